"""The one middleware every request passes: request id, CORS, header limit, error envelope,
access log and journal, in this order:

1. give the request its `X-Request-Id`;
2. answer a CORS preflight from an allowed origin (before auth: browsers send no token);
3. refuse a header section above `max_header_bytes` (431), and an `Expect` other than
   100-continue (417, `expect.py`);
4. run the handler (a TANGO operation runs auth, then faults, around its handler, see
   `operations.py`; other API paths, unknown ones, get their faults here); any failure
   becomes the JSON envelope;
5. add the CORS and request-id headers (and close a connection whose client still holds
   back a body nobody asked for), write the access line, journal API traffic.

One middleware rather than one per concern: each aiohttp middleware layer costs a coroutine,
a `partial` call and an `await` per request (a fifth of a request's CPU for five of them,
`python -m bench.profile`), and one function shows the order in one place.
"""

from __future__ import annotations

import logging
import re
import time

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

from mock_server.contract.errors import (
    ApiError,
    HeaderTooLarge,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
)
from mock_server.http.cors import CorsPolicy, decorate, preflight_answer
from mock_server.http.expect import UNMET, ExpectationFailed, close_if_body_held_back, expectation
from mock_server.http.faults import PREFER, with_faults
from mock_server.http.keys import RAW_BODY
from mock_server.http.limits import header_section_size
from mock_server.http.operations import OPERATIONS
from mock_server.http.request_log import (
    REQUEST_ID_HEADER,
    RequestIds,
    finish_exchange,
    judge_large_body,
)
from mock_server.http.responses import error_response
from mock_server.settings import MockSettings
from mock_server.state.faults import FaultBook
from mock_server.state.journal import RequestJournal

logger = logging.getLogger("mock_server")


def from_http_exception(request: web.Request, exc: web.HTTPException) -> ApiError:
    """aiohttp's own 404/405/413... as domain errors, keeping headers such as `Allow`."""
    headers = {name: value for name, value in exc.headers.items() if name.lower() == "allow"}
    if exc.status == 404:
        return NotFound("Nothing is served at this path.")
    if exc.status == 405:
        allowed = headers.get("Allow", "")
        return MethodNotAllowed(
            f"{request.method} is not allowed on this path; allowed: {allowed or 'none'}.",
            headers=headers,
        )
    if exc.status == 413:
        return PayloadTooLarge("The request body is too large.")
    error = ApiError(exc.reason or "The request cannot be served.", headers=headers)
    error.status = exc.status
    error.message_code = re.sub(r"[^a-z0-9]+", "_", (exc.reason or "error").lower()).strip("_")
    return error


def _answer_failure(request: web.Request, exc: Exception) -> web.Response:
    """The envelope for anything the pipeline raised (unexpected errors logged, never shown)."""
    if isinstance(exc, ApiError):
        return error_response(exc)
    if isinstance(exc, web.HTTPException):
        return error_response(from_http_exception(request, exc))
    logger.error("Unexpected error while serving %s %s", request.method, request.path, exc_info=exc)
    return error_response(InternalError("The server hit an unexpected error."))


def _is_operation(request: web.Request) -> bool:
    return request.match_info.route.name in OPERATIONS


def request_middleware(
    settings: MockSettings, journal: RequestJournal, faults: FaultBook, cors: CorsPolicy | None
) -> Middleware:
    """The mock app's only middleware (state bound here, not looked up per request)."""
    header_limit = settings.max_header_bytes
    choose_request_id = RequestIds().choose
    active_rules = faults.active

    @web.middleware
    async def every_request(request: web.Request, handler: Handler) -> web.StreamResponse:
        request_id = choose_request_id(request.headers.get(REQUEST_ID_HEADER))
        expected = expectation(request)
        started, wall_start = time.perf_counter(), time.time()
        allow = preflight = None
        if cors is not None:
            allow = cors.allow_origin_value(request.headers.get(hdrs.ORIGIN))
            preflight = None if allow is None else preflight_answer(request, cors, allow)
        try:
            if preflight is not None:
                response: web.StreamResponse = preflight
            elif header_section_size(request) > header_limit:
                raise HeaderTooLarge(
                    f"The request line and headers are larger than {header_limit} bytes."
                )
            elif expected == UNMET:
                raise ExpectationFailed()
            elif (active_rules or PREFER in request.headers) and not _is_operation(request):
                response = await with_faults(request, handler)  # unknown paths, wrong methods
            else:
                response = await handler(request)  # the operations apply faults after auth
        except web.HTTPException as exc:
            if exc.status < 400:  # a redirect: aiohttp sends it; it gets our headers too
                if cors is not None:
                    decorate(exc, cors, allow)
                exc.headers[REQUEST_ID_HEADER] = request_id
                finish_exchange(request, journal, exc, request_id, started, wall_start)
                raise
            response = _answer_failure(request, exc)
        except ConnectionError:
            raise  # the client hung up mid-request: nobody to answer; aiohttp drops it
        except Exception as exc:
            response = _answer_failure(request, exc)
        if not response.prepared:
            if cors is not None:
                decorate(response, cors, allow)
            response.headers[REQUEST_ID_HEADER] = request_id
            if expected:
                close_if_body_held_back(request, response)
        if RAW_BODY in request:
            await judge_large_body(request, journal)
        finish_exchange(request, journal, response, request_id, started, wall_start)
        return response

    return every_request
