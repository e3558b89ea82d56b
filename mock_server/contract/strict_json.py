"""Strict JSON: what the contract refuses although Python's json module and pydantic accept it.

A stored deployment is served again as JSON and saved as YAML, so only values that survive
both are taken: no NaN or Infinity, no duplicate keys, no number too big for a float, no
byte order mark, no lone UTF-16 surrogate (not UTF-8 text) and no nesting deeper than
`MAX_JSON_DEPTH`. `decode_json` applies this to request bytes; `json_value_problem` walks a
value decoded elsewhere (a YAML fixture may also hold dates, sets or keys that are not text)
and is what the models' validators call, so both sources follow one walk.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NamedTuple

from mock_server.contract.errors import InvalidJson

MAX_JSON_DEPTH = 64
"""Objects and arrays may nest this deep in a payload (the payload is level 1): a fixed bound
far below Python's recursion limit, so storing, serving, journalling and saving state (YAML)
never reach it."""

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SHOWN_PATH_LENGTH = 120  # a path 64 levels deep is mostly "[0][0]...": its start says enough


class JsonProblem(NamedTuple):
    """Why a value is not strict JSON, and where in it (`a.b[2]`; empty: the value itself)."""

    path: str
    message: str

    def __str__(self) -> str:
        if not self.path:
            return self.message
        path = self.path
        if len(path) > _SHOWN_PATH_LENGTH:
            path = path[:_SHOWN_PATH_LENGTH] + "..."
        return f"{path}: {self.message}"


_SURROGATE = "a lone surrogate (\\uD800-\\uDFFF) is not UTF-8 text"
_TOO_DEEP = f"nested more than {MAX_JSON_DEPTH} levels deep"
_NOT_FINITE = "NaN and infinity are not JSON"


def _has_lone_surrogate(text: str) -> bool:
    return not text.isascii() and _LONE_SURROGATE.search(text) is not None


def _walk(value: Any, depth: int) -> tuple[list[str | int], str] | None:
    """The problem and the reversed path to it; recursion stops at `MAX_JSON_DEPTH` + 1."""
    kind = type(value)
    if kind is str:
        return ([], _SURROGATE) if _has_lone_surrogate(value) else None
    if kind is dict or (kind is not list and isinstance(value, dict)):
        if depth > MAX_JSON_DEPTH:
            return [], _TOO_DEEP
        for key, item in value.items():
            if type(key) is not str or _has_lone_surrogate(key):
                return [], f"the key {key!r} is not a JSON string"
            if type(item) is str:  # most values: checked here, without a call
                if _has_lone_surrogate(item):
                    return [key], _SURROGATE
                continue
            found = _walk(item, depth + 1)
            if found is not None:
                found[0].append(key)
                return found
        return None
    if kind is list or isinstance(value, list):
        if depth > MAX_JSON_DEPTH:
            return [], _TOO_DEEP
        for index, item in enumerate(value):
            found = _walk(item, depth + 1)
            if found is not None:
                found[0].append(index)
                return found
        return None
    if value is None or kind is bool or kind is int:
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else ([], _NOT_FINITE)
    if isinstance(value, int):  # int subclasses (IntEnum...) are written as numbers
        return None
    return [], f"{kind.__name__} values are not JSON (quote it in YAML)"


def json_value_problem(value: Any, *, depth: int = 1) -> JsonProblem | None:
    """Why `value` cannot be stored and served as JSON, or None if it can.

    `depth` is the level `value` sits at: 1 for a request body, 2 for a payload's field.
    """
    found = _walk(value, depth)
    if found is None:
        return None
    reversed_path, message = found
    path = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in reversed(reversed_path)
    )
    return JsonProblem(path.removeprefix("."), message)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:40]} is too large")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key[:80]!r}")
        result[key] = value
    return result


# Built once: json.loads(text, **hooks) would build a decoder (and its scanner) per call.
_STRICT_DECODER = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_finite_float, object_pairs_hook=_unique_keys
)


def decode_json(body: bytes, *, wrapping_levels: int = 0) -> Any:
    """Strict RFC 8259 JSON from bytes; any problem is an `InvalidJson` saying what and where.

    `wrapping_levels`: containers around the payloads the body holds, which the depth bound
    does not count (a state document holds its deployments two levels down).
    """
    max_depth = MAX_JSON_DEPTH + wrapping_levels
    if not body.strip():
        raise InvalidJson("The request body is empty; send a JSON object.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJson(f"The request body is not valid UTF-8 (byte {exc.start}).") from None
    try:
        if text.startswith("\ufeff"):  # as json.loads says it (a decoder does not check)
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        data = _STRICT_DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise InvalidJson(
            f"The request body is not valid JSON: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno})."
        ) from None
    except RecursionError:
        raise InvalidJson(
            f"The request body is nested more than {max_depth} levels deep."
        ) from None
    except ValueError as exc:
        raise InvalidJson(f"The request body is not valid JSON: {exc}.") from None
    # Cheap proof from the text that the walk would find nothing: a lone surrogate needs a
    # \u escape (UTF-8 has none), and nesting cannot be deeper than the number of brackets.
    if "\\u" in text or text.count("{") + text.count("[") > max_depth:
        problem = json_value_problem(data, depth=1 - wrapping_levels)
        if problem is not None:
            raise InvalidJson(f"The request body cannot be stored: {problem}.")
    return data
