"""The HTTP connection layer: malformed HTTP gets the JSON envelope, and connections are capped.

aiohttp answers what its parser rejects (bad request lines, oversized headers, broken chunked
framing...) before any middleware runs, with a `text/plain` body that echoes the offending
bytes. `GuardedRequestHandler` renders those answers as the API's error envelope instead,
without echoing client bytes (a header line may hold a token) and without logging a traceback
for a client's mistake. `GuardedServer` also refuses connections beyond `max_connections` with
a 503 envelope. `MockAppRunner` is the `web.AppRunner` that wires both in.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import (
    BadHttpMessage,
    BadHttpMethod,
    BadStatusLine,
    ContentEncodingError,
    ContentLengthError,
    HttpProcessingError,
    InvalidHeader,
    InvalidURLError,
    LineTooLong,
    TransferEncodingError,
)
from aiohttp.web_protocol import _ErrInfo

from mock_server.contract.errors import (
    ApiError,
    BadRequest,
    HeaderTooLarge,
    InternalError,
    TooManyConnections,
)
from mock_server.http.expect import hiding_expectations
from mock_server.http.keys import SETTINGS
from mock_server.http.responses import error_response

logger = logging.getLogger("mock_server.http.protocol")

# Parser errors whose first message line is llhttp's own reason (client bytes come after it).
_REASON_FIRST = (BadHttpMessage,)
# Parser errors that put client bytes in their first line: described by a fixed sentence.
_FIXED_SENTENCES: tuple[tuple[type[BaseException], str], ...] = (
    (BadHttpMethod, "The request line does not start with an HTTP method."),
    (BadStatusLine, "The request line is not valid HTTP/1.1."),
    (InvalidHeader, "A request header field is malformed."),
    (InvalidURLError, "The request target is not a valid URL."),
    (TransferEncodingError, "The chunked request body is malformed."),
    (ContentEncodingError, "The request's Content-Encoding is not supported or not followed."),
    (ContentLengthError, "The request body is shorter than its Content-Length."),
)


def protocol_error(status: int, exc: BaseException | None) -> ApiError:
    """The envelope for a request aiohttp rejected below the app (never echoes client bytes)."""
    if isinstance(exc, LineTooLong):
        return HeaderTooLarge(
            f"The request line or a header field is longer than {exc.args[1]} bytes."
        )
    if isinstance(exc, BadHttpMessage) and exc.message.startswith("Too many headers"):
        return HeaderTooLarge("The request has too many header fields.")
    if status >= 500:
        return InternalError("The server hit an unexpected error.")
    for kind, sentence in _FIXED_SENTENCES:
        if isinstance(exc, kind):
            if isinstance(exc, BadHttpMethod) and "HTTPS" in exc.message:
                return BadRequest("This is an HTTP port: the request arrived as HTTPS (TLS).")
            return BadRequest(sentence)
    if isinstance(exc, _REASON_FIRST):
        reason = exc.message.split("\n", 1)[0].strip().rstrip(":")
        if reason and "'" not in reason and '"' not in reason:
            return BadRequest(f"The request is not valid HTTP/1.1: {reason}.")
    error = BadRequest("The request is not valid HTTP/1.1.")
    if status != HTTPStatus.BAD_REQUEST:
        error.status = status
        error.message_code = HTTPStatus(status).phrase.lower().replace(" ", "_")
    return error


class GuardedRequestHandler(web.RequestHandler):
    """aiohttp's connection handler, answering protocol errors and refusals as JSON envelopes."""

    over_limit = False
    max_connections = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.over_limit:
            self._request_handler = self._refuse  # every request on this connection gets a 503
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._messages and isinstance(self._messages[-1][0], _ErrInfo):  # rare: no call
            self._fail_the_broken_body()

    def _fail_the_broken_body(self) -> None:
        """A body whose framing breaks mid-stream fails its reader with the parse error.

        aiohttp queues the parse error as a next "request" and leaves the body's reader waiting
        for bytes that cannot come; the handler reading it would hang until the client timeout.
        Instead the reader fails at once (the handler answers 400) and the queued error is
        dropped, since the body's reader reports it.
        """
        queued = self._messages[-1][0]
        if not isinstance(queued, _ErrInfo):
            return
        error = queued.exc
        earlier = [
            payload for message, payload in self._messages if not isinstance(message, _ErrInfo)
        ]
        current = self._current_request
        body = earlier[-1] if earlier else current.content if current is not None else None
        if body is not None and not body.is_eof() and body.exception() is None:
            self._messages.pop()
            body.set_exception(error)

    async def _refuse(self, request: web.BaseRequest) -> web.StreamResponse:
        logger.warning("Refused a connection: %d connections are open", self.max_connections)
        response = error_response(
            TooManyConnections(
                f"The mock serves at most {self.max_connections} connections at once; retry later.",
                headers={"Retry-After": "1"},
            )
        )
        response.force_close()
        return response

    def log_exception(self, *args: Any, **kw: Any) -> None:
        """A client's broken body read again while draining is its mistake: no traceback."""
        exc = kw.get("exc_info")
        if isinstance(exc, web.RequestPayloadError | HttpProcessingError):
            logger.info("Dropped a connection with a broken body (%s)", type(exc).__name__)
            return
        super().log_exception(*args, **kw)

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """Same contract as aiohttp's (the connection closes after it), but the envelope."""
        if request.writer.output_size > 0:
            raise ConnectionError("The response is sent already; the connection is dropped.")
        error = protocol_error(status, exc)
        if isinstance(exc, ConnectionError):
            logger.debug("The client hung up mid-request (%s)", exc)
        elif error.status >= 500:
            self.log_exception("Error handling request", exc_info=exc)
        else:
            logger.info("Rejected a malformed request (%s): %s", type(exc).__name__, error.message)
        response = error_response(error)
        response.force_close()
        return response


class GuardedServer(web.Server):
    """A `web.Server` whose connections are `GuardedRequestHandler`s, at most `max_connections`."""

    def __init__(self, base: web.Server, *, max_connections: int) -> None:
        super().__init__(
            base.request_handler,
            request_factory=hiding_expectations(base.request_factory),  # `Expect`: expect.py
            handler_cancellation=base.handler_cancellation,
            loop=asyncio.get_running_loop(),
            **base._kwargs,  # the handler options aiohttp's app factory chose
        )
        self.max_connections = max_connections

    def __call__(self) -> GuardedRequestHandler:
        handler = GuardedRequestHandler(self, loop=self._loop, **self._kwargs)
        handler.max_connections = self.max_connections
        handler.over_limit = len(self.connections) >= self.max_connections
        return handler


class MockAppRunner(web.AppRunner):
    """`web.AppRunner` serving through `GuardedServer` (limits from the app's `MockSettings`)."""

    def __init__(self, app: web.Application, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)

    async def _make_server(self) -> web.Server:
        base = await super()._make_server()
        settings = self.app.get(SETTINGS)
        limit = settings.max_connections if settings is not None else 1024
        return GuardedServer(base, max_connections=limit)
