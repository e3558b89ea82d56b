"""Limits that protect the process from hostile or broken clients (see RELIABILITY.md).

Header size and client timeouts are enforced by aiohttp's connection handler, configured here
from `MockSettings`; the header section's total size is checked by `header_limit_middleware`
(aiohttp only bounds each line and the number of fields).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from mock_server.config import MockSettings
from mock_server.errors import HeaderTooLarge
from mock_server.keys import SETTINGS

# aiohttp waits this long (at most) for the rest of a body the app did not read, before it
# closes the connection; so an abandoned slow upload is dropped after the client timeout too.
MAX_LINGERING_SECONDS = 10.0


def handler_options(settings: MockSettings) -> dict[str, Any]:
    """`web.Application(handler_args=...)`: per-line header limit and client timeouts.

    aiohttp's keep-alive timer starts when a connection opens and again after each answer, and
    closes the connection if no complete request head arrived by then: so `client_timeout`
    bounds both idle keep-alive connections and clients that send their headers too slowly.
    """
    return {
        "max_line_size": settings.max_header_bytes,
        "max_field_size": settings.max_header_bytes,
        "keepalive_timeout": settings.client_timeout,
        "lingering_time": min(MAX_LINGERING_SECONDS, settings.client_timeout),
    }


def header_section_size(request: web.BaseRequest) -> int:
    """Bytes of the request line and header fields as sent (without the final blank line)."""
    line = len(request.method) + len(request.raw_path) + len(" HTTP/1.1\r\n") + 1
    return line + sum(len(name) + len(value) + 4 for name, value in request.raw_headers)


@web.middleware
async def header_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """431 when the request line and headers together exceed `max_header_bytes`."""
    limit = request.config_dict[SETTINGS].max_header_bytes
    if header_section_size(request) > limit:
        raise HeaderTooLarge(f"The request line and headers are larger than {limit} bytes.")
    return await handler(request)
