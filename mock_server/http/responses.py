"""One way to write JSON bodies and the error envelope, so every answer has the same shape."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from mock_server.contract.errors import ApiError

JSON_CONTENT_TYPE = "application/json"
_JSON_HEADERS = {"Content-Type": f"{JSON_CONTENT_TYPE}; charset=utf-8"}
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dump_json(data: Any) -> bytes:
    return _encode(data).encode("utf-8")


def json_response(
    data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return json_bytes_response(dump_json(data), status=status, headers=headers)


def json_bytes_response(
    body: bytes, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON answer whose body is already encoded (stored deployments cache theirs)."""
    all_headers = {**headers, **_JSON_HEADERS} if headers else _JSON_HEADERS
    return web.Response(body=body, status=status, headers=all_headers)


def json_array_response(
    items: Iterable[bytes], *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON array of already encoded items: `[` + items joined by `,` + `]`."""
    return json_bytes_response(b"[" + b",".join(items) + b"]", status=status, headers=headers)


def error_response(error: ApiError) -> web.Response:
    """The envelope `{"message", "message_code", ...}` with the error's status and headers."""
    return json_response(error.envelope(), status=error.status, headers=error.headers)
