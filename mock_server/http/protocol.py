"""The HTTP connection layer: malformed HTTP gets the JSON envelope, and connections are capped.

aiohttp answers what its parser rejects (bad request lines, oversized headers, broken chunked
framing...) before any middleware runs, with a `text/plain` body that echoes the offending
bytes; no middleware or public hook of `web.Application` ever sees those requests.
`ConnectionHandler`, aiohttp's per-connection `web.RequestHandler` with its public
`handle_error` overridden, renders them as the API's error envelope instead, without echoing
client bytes (a header line may hold a token) and without logging a traceback for a client's
mistake. `MockServer` makes those connections and answers 503 beyond `max_connections`;
`MockRunner` serves an app through it with aiohttp's public runners.

One behaviour needs aiohttp's private names, `RequestHandler._messages` and
`aiohttp.web_protocol._ErrInfo`: failing a body whose framing breaks mid-stream at once
(`ConnectionHandler.data_received`). aiohttp is pinned to the minor version this is tested
on (pyproject.toml), and `tests/test_aiohttp_pin.py` fails on any other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from aiohttp import StreamReader, web
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
from mock_server.http.limits import handler_options
from mock_server.http.responses import error_response
from mock_server.settings import MockSettings

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


class ConnectionHandler(web.RequestHandler):
    """One client connection: aiohttp's handler, answering protocol errors as JSON envelopes."""

    # Set by `MockServer` when the connection is over the cap: each request then gets a 503.
    refused = False
    max_connections = 0
    # The body the app is reading now (set by `MockServer.serve_request`).
    reading: StreamReader | None = None

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._messages and isinstance(self._messages[-1][0], _ErrInfo):  # rare: no call
            self._fail_the_broken_body()

    def _fail_the_broken_body(self) -> None:
        """A body whose framing breaks mid-stream fails its reader with the parse error.

        aiohttp queues the parse error as a next "request" and leaves the body's reader waiting
        for bytes that cannot come; the handler reading it would wait until the client timeout
        (408). Instead the reader fails at once (the handler answers 400) and the queued error
        is dropped, since the body's reader reports it.
        """
        queued = self._messages[-1][0]
        if not isinstance(queued, _ErrInfo):
            return
        earlier = [
            payload for message, payload in self._messages if not isinstance(message, _ErrInfo)
        ]
        body = earlier[-1] if earlier else self.reading
        if body is not None and not body.is_eof() and body.exception() is None:
            self._messages.pop()
            body.set_exception(queued.exc)

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


class MockServer(web.Server):
    """aiohttp's protocol factory, making `ConnectionHandler`s, at most `max_connections`.

    `app_server` is the `web.Server` aiohttp built for the app: its public `request_handler`
    and `request_factory` route each request through the app, its middlewares included.
    """

    def __init__(
        self,
        app_server: web.Server,
        *,
        max_connections: int,
        connection_options: Mapping[str, Any],
    ) -> None:
        self.app_handler = app_server.request_handler
        self.max_connections = max_connections
        self.connection_options = dict(connection_options)
        self.event_loop = asyncio.get_running_loop()
        super().__init__(
            self.serve_request,
            request_factory=hiding_expectations(app_server.request_factory),  # expect.py
            handler_cancellation=app_server.handler_cancellation,
            loop=self.event_loop,
            **self.connection_options,
        )

    def __call__(self) -> ConnectionHandler:
        handler = ConnectionHandler(self, loop=self.event_loop, **self.connection_options)
        handler.max_connections = self.max_connections
        handler.refused = len(self.connections) >= self.max_connections
        return handler

    async def serve_request(self, request: web.BaseRequest) -> web.StreamResponse:
        connection = request.protocol
        if not isinstance(connection, ConnectionHandler):  # never: `__call__` makes them all
            return await self.app_handler(request)
        if connection.refused:
            return self._refusal()
        connection.reading = request.content
        try:
            return await self.app_handler(request)
        finally:
            connection.reading = None

    def _refusal(self) -> web.StreamResponse:
        logger.warning("Refused a connection: %d connections are open", self.max_connections)
        response = error_response(
            TooManyConnections(
                f"The mock serves at most {self.max_connections} connections at once; retry later.",
                headers={"Retry-After": "1"},
            )
        )
        response.force_close()
        return response


class _AppRunner(web.AppRunner):
    """aiohttp's `AppRunner` whose shutdown hooks run once: `MockRunner` runs them before
    the connections' grace period, and `cleanup` would run them again."""

    _shut_down = False

    async def shutdown(self) -> None:
        if not self._shut_down:
            self._shut_down = True
            await super().shutdown()


class MockRunner:
    """Serve a mock app through `MockServer`, with aiohttp's public runners.

    A `web.AppRunner` runs the app's start-up and clean-up hooks and builds its request
    handler; a `web.ServerRunner` serves that handler through `MockServer`. The connection
    options are the ones `create_app` gives aiohttp (`handler_options` of the app's
    settings), so a plain `web.AppRunner` and this runner enforce the same limits.
    """

    def __init__(
        self, app: web.Application, *, shutdown_timeout: float = 60.0, **options: Any
    ) -> None:
        self.app = app
        self.shutdown_timeout = shutdown_timeout
        self.options = options  # RequestHandler keywords, e.g. access_log=None
        self._app_runner = _AppRunner(app, **options)
        self._serving: web.ServerRunner | None = None

    async def setup(self) -> None:
        await self._app_runner.setup()
        app_server = self._app_runner.server
        assert app_server is not None
        settings = self.app.get(SETTINGS) or MockSettings()
        server = MockServer(
            app_server,
            max_connections=settings.max_connections,
            connection_options={"access_log": None, **handler_options(settings), **self.options},
        )
        self._serving = web.ServerRunner(server, shutdown_timeout=self.shutdown_timeout)
        await self._serving.setup()

    def tcp_site(self, host: str, port: int) -> web.TCPSite:
        """The listening socket; `start()` it after `setup()`."""
        assert self._serving is not None, "call setup() first"
        return web.TCPSite(self._serving, host, port)

    @property
    def addresses(self) -> list[Any]:
        return self._serving.addresses if self._serving is not None else []

    async def cleanup(self) -> None:
        """Stop listening, run the app's shutdown hooks (they end long-lived answers such as
        event streams), let requests in flight finish, then run its clean-up hooks: the order
        of aiohttp's own `AppRunner`."""
        if self._serving is not None:
            for site in list(self._serving.sites):
                await site.stop()
            await self._app_runner.shutdown()
            await self._serving.cleanup()
            self._serving = None
        await self._app_runner.cleanup()
