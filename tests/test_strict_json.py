"""The one walk that says whether a decoded value can be stored and served as JSON.

Request bodies reach it after `json` decoded them; fixture values after YAML did, which
also gives dates, sets, NaN and keys that are not text. Each case names where the problem is.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from datetime import date, datetime
from typing import Any

import pytest

from mock_server.contract.strict_json import MAX_JSON_DEPTH, JsonProblem, json_value_problem


def nested(levels: int) -> Any:
    """Containers nested `levels` deep (the outer one is level 1)."""
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


class Colour(enum.IntEnum):
    RED = 1


ACCEPTED: dict[str, Any] = {
    "scalars": {"s": "café ☃", "i": 2**70, "f": -0.0, "b": True, "n": None},
    "escaped surrogate pair": {"emoji": "\U0001f600"},
    "containers": {"a": [1, {"b": []}], "c": {}},
    "as deep as allowed": nested(MAX_JSON_DEPTH),
    "int subclasses": {"colour": Colour.RED},
    "dict subclasses": OrderedDict(a=1),
}
REFUSED: dict[str, tuple[Any, JsonProblem]] = {
    "NaN": ({"a": [1, float("nan")]}, JsonProblem("a[1]", "NaN and infinity are not JSON")),
    "infinity": ({"x": float("inf")}, JsonProblem("x", "NaN and infinity are not JSON")),
    "a date": (
        {"since": date(2020, 1, 1)},
        JsonProblem("since", "date values are not JSON (quote it in YAML)"),
    ),
    "a timestamp": (
        {"at": [datetime(2020, 1, 1)]},
        JsonProblem("at[0]", "datetime values are not JSON (quote it in YAML)"),
    ),
    "a set": ({"s": {1}}, JsonProblem("s", "set values are not JSON (quote it in YAML)")),
    "a tuple": ({"t": (1,)}, JsonProblem("t", "tuple values are not JSON (quote it in YAML)")),
    "bytes": ({"b": b"x"}, JsonProblem("b", "bytes values are not JSON (quote it in YAML)")),
    "a key that is not text": ({"a": {1: "x"}}, JsonProblem("a", "the key 1 is not a JSON string")),
    "a key with a lone surrogate": (
        {"\ud800": 1},
        JsonProblem("", "the key '\\ud800' is not a JSON string"),
    ),
    "a lone surrogate": (
        {"a": {"b": "x\udfff"}},
        JsonProblem("a.b", "a lone surrogate (\\uD800-\\uDFFF) is not UTF-8 text"),
    ),
    "a lone surrogate in a list": (
        ["ok", "\ud800"],
        JsonProblem("[1]", "a lone surrogate (\\uD800-\\uDFFF) is not UTF-8 text"),
    ),
    "too deep": (
        nested(MAX_JSON_DEPTH + 1),
        JsonProblem("[0]" * MAX_JSON_DEPTH, f"nested more than {MAX_JSON_DEPTH} levels deep"),
    ),
}


@pytest.mark.parametrize("value", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_json_values_are_accepted(value: Any) -> None:
    assert json_value_problem(value) is None


@pytest.mark.parametrize(("value", "problem"), REFUSED.values(), ids=REFUSED.keys())
def test_other_values_are_refused_saying_where(value: Any, problem: JsonProblem) -> None:
    assert json_value_problem(value) == problem


def test_depth_counts_from_where_the_value_sits() -> None:
    """A payload's field is level 2, so it may hold one level less than a whole body."""
    assert json_value_problem(nested(MAX_JSON_DEPTH - 1), depth=2) is None
    assert json_value_problem(nested(MAX_JSON_DEPTH), depth=2) is not None


def test_a_long_path_is_shortened_when_shown() -> None:
    problem = json_value_problem(nested(500))
    assert problem is not None
    shown = str(problem)
    assert shown.endswith(f"...: nested more than {MAX_JSON_DEPTH} levels deep")
    assert len(shown) < 200
