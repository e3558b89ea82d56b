"""Middlewares of the TANGO API: one place renders every error, one place authenticates."""

from __future__ import annotations

import logging
import re

from aiohttp import web
from aiohttp.typedefs import Handler

from mock_server.auth import authenticate
from mock_server.deployments import OPERATIONS
from mock_server.errors import (
    ApiError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
)
from mock_server.fixtures import utc_now
from mock_server.keys import STORE, WORKSPACE
from mock_server.responses import error_response

logger = logging.getLogger("mock_server")


def _from_http_exception(request: web.Request, exc: web.HTTPException) -> ApiError:
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
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure leaves as the JSON envelope; unexpected ones are logged, never shown."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(_from_http_exception(request, exc))
    except ConnectionError:
        raise  # the client hung up mid-request: nobody to answer; aiohttp drops the connection
    except Exception:
        logger.exception("Unexpected error while serving %s %s", request.method, request.path)
        return error_response(InternalError("The server hit an unexpected error."))


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """TANGO operations need a bearer token; its workspace goes into `request[WORKSPACE]`."""
    if request.match_info.route.name in OPERATIONS:
        # Two Authorization headers are joined, so they fail as malformed instead of the
        # first one silently winning.
        authorization = ", ".join(request.headers.getall("Authorization", [])) or None
        request[WORKSPACE] = authenticate(authorization, request.app[STORE], utc_now())
    return await handler(request)
