"""One way to write JSON bodies and the error envelope, so every answer has the same shape."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from mock_server.errors import ApiError

JSON_CONTENT_TYPE = "application/json"


def dump_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=dump_json(data),
        status=status,
        headers=headers,
        content_type=JSON_CONTENT_TYPE,
        charset="utf-8",
    )


def error_response(error: ApiError) -> web.Response:
    """The envelope `{"message", "message_code", ...}` with the error's status and headers."""
    return json_response(error.envelope(), status=error.status, headers=error.headers)
