"""Read a request body as strict JSON: size, media type, UTF-8 and syntax, in that order.

Each failure is a precise 4xx: over the limit 413, not application/json 415, not UTF-8 or
not JSON (including NaN/Infinity, duplicate keys, numbers too big and nesting too deep) 400.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import ContentEncodingError, HttpProcessingError

from mock_server.contract.errors import (
    BadRequest,
    InvalidJson,
    PayloadTooLarge,
    RequestTimeout,
    UnsupportedMediaType,
)
from mock_server.contract.rules import LONE_SURROGATE, MAX_JSON_DEPTH
from mock_server.http.expect import send_continue
from mock_server.http.keys import BODY_JOBS, RAW_BODY, SETTINGS

# A body larger than this is decoded in a worker thread: checking every value of a
# pathological one (1 MiB of empty objects) takes about 2 us a byte.
INLINE_DECODE_BYTES = 8 * 1024
_JSON_MEDIA_TYPE = "application/json"
_PLAIN_JSON_TYPES = frozenset(
    {_JSON_MEDIA_TYPE, f"{_JSON_MEDIA_TYPE}; charset=utf-8", f"{_JSON_MEDIA_TYPE};charset=utf-8"}
)


def require_json_media_type(request: web.Request) -> None:
    """Accept `application/json` (any case, with an optional utf-8 charset) and nothing else."""
    raw = request.headers.get("Content-Type")
    if raw in _PLAIN_JSON_TYPES:
        return  # what nearly every client sends: no need to parse it
    if raw is None:
        raise UnsupportedMediaType(
            "The request body must be sent with Content-Type: application/json."
        )
    if request.content_type.lower() != _JSON_MEDIA_TYPE:
        raise UnsupportedMediaType(  # the header as sent: aiohttp reads garbage as octet-stream
            f"Content-Type {raw[:100]!r} is not supported; send application/json."
        )
    charset = request.charset
    if charset is not None and charset.lower().replace("_", "-") not in {"utf-8", "utf8"}:
        raise UnsupportedMediaType(f"Charset {charset!r} is not supported; send UTF-8 JSON.")


def _payload_problem(exc: Exception) -> str:
    """What went wrong below JSON: a broken chunked framing or Content-Encoding."""
    cause = exc.__cause__ if isinstance(exc, web.RequestPayloadError) else exc
    if isinstance(cause, ContentEncodingError) or "decompress" in str(cause).lower():
        return "The request body is not encoded as its Content-Encoding says."
    return "The request body's framing (chunked encoding or Content-Length) is broken."


async def read_body_bytes(request: web.Request, limit: int) -> bytes:
    """The raw body, refusing anything over `limit` bytes before or while reading it.

    The whole body must arrive within the app's `client_timeout` (408 otherwise), so a client
    that trickles bytes, or declares a longer Content-Length than it sends, cannot hold a
    request open for ever.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    await send_continue(request)  # the body is wanted: a client holding it back may send it
    settings = request.app.get(SETTINGS)
    seconds = settings.client_timeout if settings is not None else None
    content = request.content
    chunks: list[bytes] = []
    size = 0
    try:
        if content.is_eof():  # the whole body came with the head: no wait, so no timer
            chunks.append(content.read_nowait())
            size = len(chunks[0])
            if size > limit:
                raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        else:
            async with asyncio.timeout(seconds):
                async for chunk in content.iter_any():
                    size += len(chunk)
                    if size > limit:
                        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
                    chunks.append(chunk)
    except (web.RequestPayloadError, HttpProcessingError) as exc:
        raise BadRequest(_payload_problem(exc)) from None
    except TimeoutError:
        raise RequestTimeout(
            f"The request body did not arrive within {seconds:g} seconds.",
            headers={"Connection": "close"},
        ) from None
    body = request[RAW_BODY] = b"".join(chunks)  # kept for the request journal
    return body


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


def _content_problem(data: Any, text: str) -> str | None:
    """Why parsed JSON cannot be stored and served again (too deep, lone surrogates), or None."""
    if "\\u" not in text and text.count("{") + text.count("[") <= MAX_JSON_DEPTH:
        # Cheap proof from the text: a lone surrogate needs a \u escape (UTF-8 has none), and
        # nesting cannot be deeper than the number of brackets.
        return None
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if LONE_SURROGATE.search(item):
                return "holds a lone surrogate escape (\\uD800-\\uDFFF)"
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return f"is nested more than {MAX_JSON_DEPTH} levels deep"
            children = [*item, *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return None


def decode_json(body: bytes) -> Any:
    """Strict RFC 8259 JSON from bytes; any problem is an `InvalidJson` saying what and where."""
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
            f"The request body is nested more than {MAX_JSON_DEPTH} levels deep."
        ) from None
    except ValueError as exc:
        raise InvalidJson(f"The request body is not valid JSON: {exc}.") from None
    problem = _content_problem(data, text)
    if problem is not None:
        raise InvalidJson(f"The request body {problem}.")
    return data


async def read_json(request: web.Request, *, limit: int) -> Any:
    """Media type, then size, then UTF-8 and JSON syntax (a large body off the event loop)."""
    require_json_media_type(request)
    body = await read_body_bytes(request, limit)
    jobs = request.config_dict.get(BODY_JOBS)
    if jobs is None or len(body) <= INLINE_DECODE_BYTES:
        return decode_json(body)
    return await jobs.run(lambda: decode_json(body), large=True)
