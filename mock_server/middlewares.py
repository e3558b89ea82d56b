"""The TANGO API's middleware (bearer auth, then faults) and aiohttp's errors as domain errors."""

from __future__ import annotations

import logging
import re

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from mock_server.auth import authenticate
from mock_server.deployments import OPERATIONS
from mock_server.errors import (
    ApiError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
)
from mock_server.inject import PREFER, with_faults
from mock_server.keys import FAULTS, STORE, WORKSPACE

logger = logging.getLogger("mock_server")


def from_http_exception(request: web.Request, exc: web.HTTPException) -> ApiError:
    """aiohttp's own 404/405/413... as domain errors, keeping headers such as `Allow`."""
    headers = {name: value for name, value in exc.headers.items() if name.lower() == "allow"}
    if exc.status == 404:
        return NotFound(f"Nothing is served at {request.method} {request.path}.")
    if exc.status == 405:
        allowed = headers.get("Allow", "")
        return MethodNotAllowed(
            f"{request.method} is not allowed on {request.path}; allowed: {allowed or 'none'}.",
            headers=headers,
        )
    if exc.status == 413:
        return PayloadTooLarge("The request body is too large.")
    error = ApiError(exc.reason or "The request cannot be served.", headers=headers)
    error.status = exc.status
    error.message_code = re.sub(r"[^a-z0-9]+", "_", (exc.reason or "error").lower()).strip("_")
    return error


@web.middleware
async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bearer auth for TANGO operations (`request[WORKSPACE]`), then injected faults.

    Auth comes first so bad tokens still get 401/403 and fault rules can target a workspace.
    One middleware for both: each aiohttp middleware layer costs CPU on every request.
    """
    if request.match_info.route.name in OPERATIONS:
        sent = request.headers.getall(hdrs.AUTHORIZATION, ())
        # Two Authorization headers are joined, so they fail as malformed instead of the
        # first one silently winning.
        authorization = sent[0] if len(sent) == 1 else ", ".join(sent) or None
        request[WORKSPACE] = authenticate(authorization, request.app[STORE])
    if PREFER in request.headers or request.app[FAULTS].has_rules:
        return await with_faults(request, handler)
    return await handler(request)
