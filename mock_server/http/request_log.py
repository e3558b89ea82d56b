"""Log every exchange: its `X-Request-Id`, one access line, a journal entry for API traffic.

The access line holds method, path (never the query string), status, duration, request id
and workspace: no header, token or body ever reaches the log, and a secret-shaped path is
masked with the rest of the log (`masking.MaskingFilter`).
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time

from aiohttp import web

from mock_server.contract.traffic import Headers, client_violations
from mock_server.http.keys import BODY_JOBS, LARGE_BODY, RAW_BODY, WORKSPACE
from mock_server.state.journal import (
    ANSWER_KEPT_BYTES,
    JOURNAL_BODY_LIMIT,
    LargeBody,
    RequestJournal,
)

access_logger = logging.getLogger("mock_server.access")

SERVER_LOGGERS = (
    "mock_server",
    "mock_server.access",
    "mock_server.http.protocol",
    "mock_server.state.persistence",
    "aiohttp.server",
    "aiohttp.web",
)
"""Every logger a serving mock writes to: what `masking.masked_logging` covers where the mock
does not own the log handlers (the pytest plugin)."""

REQUEST_ID_HEADER = "X-Request-Id"
# A client's id is echoed only if it is 1..128 printable ASCII characters without spaces,
# so it cannot forge log lines or bloat the journal.
_SANE_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")

# The mock's own pages and admin API: not TANGO traffic, so never journaled nor faulted.
_SERVICE_PATHS = frozenset(
    {"/", "/_mock", "/openapi.yaml", "/openapi.json", "/docs", "/favicon.ico"}
)
_SERVICE_PREFIXES = ("/_mock/", "/docs/")


def is_api_traffic(path: str) -> bool:
    """True for requests aimed at the TANGO API (any path but the mock's own service paths)."""
    return path not in _SERVICE_PATHS and not path.startswith(_SERVICE_PREFIXES)


class RequestIds:
    """Fresh request ids: 32 hex digits, a random per-process half and a counter half.

    Unique within a process and, with 64 random bits, across restarts; about ten times cheaper
    than 16 bytes from `os.urandom` per request (a system call), which the profile showed.
    """

    def __init__(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count(1)

    def choose(self, sent: str | None) -> str:
        """The client's `X-Request-Id` when it is sane, otherwise a fresh one."""
        if sent is not None and _SANE_REQUEST_ID.fullmatch(sent):
            return sent
        return f"{self._prefix}{next(self._counter):016x}"


def _body_read(request: web.Request) -> bytes | LargeBody | None:
    """The body as the handler read it, if something read it; a large one as its verdict."""
    try:
        body = request[RAW_BODY]
    except KeyError:
        return None
    if len(body) <= JOURNAL_BODY_LIMIT:
        return body
    return request.get(LARGE_BODY) or LargeBody(len(body), None)


async def judge_large_body(request: web.Request, journal: RequestJournal) -> None:
    """Judge a body too large for the journal now, in a worker thread (a 1 MiB body of tiny
    objects takes about 0.1 s to decode), so that the entry keeps only its verdict: the journal
    then holds at most `JOURNAL_BODY_LIMIT` bytes of body per entry."""
    body = request.get(RAW_BODY)
    if not journal.size or body is None or len(body) <= JOURNAL_BODY_LIMIT:
        return
    headers = Headers(request.headers.items())
    method, path = request.method, request.path
    found = await request.config_dict[BODY_JOBS].run(
        lambda: client_violations(method, path, headers, body), large=True
    )
    request[LARGE_BODY] = LargeBody(len(body), found)


def _error_answer(response: web.StreamResponse) -> bytes | None:
    """An error answer's body (its envelope, for the journal's message_code), when small."""
    body = response.body if isinstance(response, web.Response) else None
    return body if isinstance(body, bytes) and len(body) <= ANSWER_KEPT_BYTES else None


def finish_exchange(
    request: web.Request,
    journal: RequestJournal,
    response: web.StreamResponse,
    request_id: str,
    started: float,
    wall_start: float,
) -> None:
    """The access line (method, path without query, status; never headers) and the journal."""
    status = response.status
    duration_ms = (time.perf_counter() - started) * 1000
    # Request.get() is a Python-level Mapping method that raises and catches KeyError when
    # the key is missing: reading the keys directly is cheaper on the common paths.
    try:
        workspace_name: str | None = request[WORKSPACE].name
    except KeyError:
        workspace_name = None
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
    # Only TANGO operations name a workspace (auth sets it): then the path needs no check.
    if journal.size and (workspace_name is not None or is_api_traffic(request.path)):
        journal.record(
            (
                wall_start,
                request.method,
                request.rel_url,
                request.headers,
                status,
                duration_ms,
                request_id,
                workspace_name,
                _body_read(request) if request.body_exists else None,
                _error_answer(response) if status >= 400 else None,
            )
        )
