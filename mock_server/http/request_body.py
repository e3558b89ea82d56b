"""Read a request body: media type, then size, then strict JSON (`contract.strict_json`).

Each failure is a precise 4xx: not application/json 415, over the limit 413, a broken framing
or encoding 400, too slow 408, and anything that is not strict JSON 400.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import ContentEncodingError, HttpProcessingError

from mock_server.contract.errors import (
    BadRequest,
    PayloadTooLarge,
    RequestTimeout,
    UnsupportedMediaType,
)
from mock_server.contract.strict_json import decode_json
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


async def read_json(request: web.Request, *, limit: int) -> Any:
    """Media type, then size, then UTF-8 and JSON syntax (a large body off the event loop)."""
    require_json_media_type(request)
    body = await read_body_bytes(request, limit)
    jobs = request.config_dict.get(BODY_JOBS)
    if jobs is None or len(body) <= INLINE_DECODE_BYTES:
        return decode_json(body)
    return await jobs.run(lambda: decode_json(body), large=True)
