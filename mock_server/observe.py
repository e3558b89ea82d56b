"""Observe every request: give it an `X-Request-Id`, log one access line, journal API traffic.

The access line holds method, path (never the query string), status, duration, request id
and workspace: no header, token or body ever reaches the log.
"""

from __future__ import annotations

import logging
import os
import re
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from mock_server.journal import JournalEntry
from mock_server.keys import JOURNAL, RAW_BODY, REQUEST_ID, WORKSPACE

access_logger = logging.getLogger("mock_server.access")

REQUEST_ID_HEADER = "X-Request-Id"
# A client's id is echoed only if it is 1..128 printable ASCII characters without spaces,
# so it cannot forge log lines or bloat the journal.
_SANE_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")

# The mock's own pages and admin API: not TANGO traffic, so never journaled nor faulted.
_SERVICE_PATHS = frozenset({"/_mock", "/openapi.yaml", "/openapi.json", "/docs", "/favicon.ico"})
_SERVICE_PREFIXES = ("/_mock/", "/docs/")


def is_api_traffic(path: str) -> bool:
    """True for requests aimed at the TANGO API (any path but the mock's own service paths)."""
    return path not in _SERVICE_PATHS and not path.startswith(_SERVICE_PREFIXES)


def choose_request_id(sent: str | None) -> str:
    """The client's `X-Request-Id` when it is sane, otherwise a fresh random one."""
    if sent is not None and _SANE_REQUEST_ID.fullmatch(sent):
        return sent
    return os.urandom(16).hex()  # 128 random bits as 32 hex digits, like uuid4().hex but cheaper


def _finish(request: web.Request, status: int, started: float, wall_start: float) -> None:
    duration_ms = (time.perf_counter() - started) * 1000
    workspace = request.get(WORKSPACE)
    workspace_name = workspace.name if workspace is not None else None
    request_id = request[REQUEST_ID]
    if access_logger.isEnabledFor(logging.INFO):  # skip building the arguments when off
        access_logger.info(
            "%s %s %d %.1fms id=%s workspace=%s",
            request.method,
            request.rel_url.raw_path,
            status,
            duration_ms,
            request_id,
            workspace_name or "-",
        )
    if is_api_traffic(request.path):
        request.app[JOURNAL].record(
            JournalEntry(
                started_at=wall_start,
                method=request.method,
                path=request.path,
                query_string=request.query_string,
                status=status,
                duration_ms=duration_ms,
                request_id=request_id,
                workspace=workspace_name,
                body=request.get(RAW_BODY),
                content_type=request.headers.get("Content-Type", "")[:100],
                declared_length=request.content_length,
            )
        )


@web.middleware
async def observe_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: sees the final status of every request, errors included."""
    request_id = request[REQUEST_ID] = choose_request_id(request.headers.get(REQUEST_ID_HEADER))
    started, wall_start = time.perf_counter(), time.time()
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects and the like: errors never get this far
        exc.headers[REQUEST_ID_HEADER] = request_id
        _finish(request, exc.status, started, wall_start)
        raise
    if not response.prepared:
        response.headers[REQUEST_ID_HEADER] = request_id
    _finish(request, response.status, started, wall_start)
    return response
