"""The proxy's upstream hop: one HTTP/1.1 request at a time per keep-alive connection, pooled.

`aiohttp.ClientSession` was most of the proxy's own work per exchange: URL building, header
merging, tracing, cookie, redirect and timeout machinery, none of which a proxy that forwards
a request as sent needs. Here the request head is written in one go and the answer is read by
aiohttp's own client protocol, `aiohttp.client_proto.ResponseHandler`, the one `ClientSession`
reads with: its llhttp parser frames Content-Length, chunked and read-until-close bodies, knows
that HEAD, 1xx, 204 and 304 answers have none, fails a body cut short with
`ClientPayloadError` and says when a connection cannot be reused (`should_close`).
`ResponseHandler`, its `set_response_params`, `read`, `set_exception`, `should_close`,
`is_connected` and `close` are not documented API: aiohttp is pinned to the minor version this
is tested on (pyproject.toml), and tests/test_aiohttp_pin.py checks their shape.

At most `limit` connections are open, idle ones included; one the upstream answered with
`Connection: close`, or whose answer was not read to its end, is closed, never reused. Each
exchange must be over within `timeout` seconds: a check once a second (more often for short
timeouts) fails the ones past it, where a timer per exchange would cost 5-9 µs each for a
precision a 30 s bound does not need.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import AsyncIterator, Sequence
from types import TracebackType

from aiohttp import ClientError, ClientOSError, ServerDisconnectedError
from aiohttp.client_proto import ResponseHandler
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.streams import StreamReader
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

UPSTREAM_ERRORS = (ClientError, HttpProcessingError, OSError)  # TimeoutError is an OSError
"""What a request to the upstream or a read of its answer raises when it gives no answer."""

# aiohttp's client defaults, so the upstream's answers are parsed as they were before.
READ_BUFFER = 64 * 1024
MAX_LINE_BYTES = 8190
MAX_HEADERS = 128
# RFC 9110 §9.2.2: sent again on a fresh connection if a reused one turns out closed.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
# Methods that send no `Content-Length: 0` without a body (aiohttp's rule, RFC 9110 §8.6).
_NO_BODY_LENGTH = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_NO_HEADERS: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict())


class BrokenRequest(ClientError):
    """A request head that would not be one request on the wire (a line break in a field)."""


class Answer:
    """One exchange with the upstream: the answer's status line and head once it arrived; its
    body read once with `read` or `chunks`.

    `release()` (or leaving `async with`) gives the connection back when the body was read to
    its end and the upstream allows it, else closes it.
    """

    __slots__ = (
        "_payload",
        "_protocol",
        "_upstream",
        "deadline",
        "headers",
        "raw_headers",
        "reason",
        "status",
    )

    def __init__(self, upstream: Upstream, protocol: ResponseHandler, deadline: float) -> None:
        self._upstream: Upstream | None = upstream
        self._protocol = protocol
        self._payload: StreamReader | None = None
        self.deadline = deadline
        self.status = 0
        self.reason = ""
        self.headers: CIMultiDictProxy[str] = _NO_HEADERS
        self.raw_headers: tuple[tuple[bytes, bytes], ...] = ()

    @property
    def content_length(self) -> int | None:
        """The declared body length, or None (chunked, or until the upstream closes)."""
        value = self.headers.get("Content-Length")
        return int(value) if value is not None and value.isdigit() else None

    async def read(self) -> bytes:
        """The whole body (for answers of a known, small length)."""
        assert self._payload is not None, "the answer's head has not arrived"
        return await self._payload.read()

    async def chunks(self, size: int) -> AsyncIterator[bytes]:
        """The body as it arrives, in pieces of at most `size` bytes."""
        assert self._payload is not None, "the answer's head has not arrived"
        while chunk := await self._payload.read(size):
            yield chunk

    def _fail(self, exc: BaseException) -> None:
        """Fail whatever this exchange awaits (its head or its body), drop the connection."""
        if self._payload is None:
            self._protocol.set_exception(exc)
        else:
            self._payload.set_exception(exc)
        self._protocol.close()

    def release(self) -> None:
        if self._upstream is not None:
            self._upstream._put_back(self)
            self._upstream = None

    async def __aenter__(self) -> Answer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class Upstream:
    """Requests to one `http(s)://host[:port]`, over at most `limit` keep-alive connections."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        limit: int = 100,
        idle_seconds: float = 15.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """`tls`: how an https upstream's certificate is checked (default: against the
        system's trusted authorities, as aiohttp's client did)."""
        url = URL(base_url)
        if url.scheme not in ("http", "https") or not url.host or url.path not in ("", "/"):
            raise ValueError(f"expected an http(s)://HOST[:PORT] URL, got {base_url!r}")
        self.timeout = timeout
        self.idle_seconds = idle_seconds
        self._host = url.raw_host or url.host
        self._port = url.port or (443 if url.scheme == "https" else 80)
        self._ssl: ssl.SSLContext | None = None
        if url.scheme == "https":
            self._ssl = tls or ssl.create_default_context()
        host = f"[{self._host}]" if ":" in self._host else self._host
        self._host_field = host if url.is_default_port() else f"{host}:{self._port}"
        self._slots = asyncio.Semaphore(limit)
        self._idle: deque[tuple[ResponseHandler, float]] = deque()
        self._busy: set[Answer] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sweeper: asyncio.TimerHandle | None = None
        self._closed = False

    @property
    def open_connections(self) -> int:
        return len(self._idle) + len(self._busy)

    async def request(
        self, method: str, target: str, headers: Sequence[tuple[str, str]], body: bytes
    ) -> Answer:
        """Send `method target` with `headers` (hop-by-hop ones already dropped) and `body`;
        return once the answer's head arrived. Raises one of `UPSTREAM_ERRORS`."""
        loop = self._loop or self._start()
        deadline = loop.time() + self.timeout
        wire = self._encode(method, target, headers, body)
        if self._slots.locked():  # all `limit` connections busy: wait, but not past the deadline
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire()
        else:
            await self._slots.acquire()
        try:
            return await self._exchange(loop, method, wire, deadline)
        except BaseException:
            self._slots.release()
            raise

    async def _exchange(
        self, loop: asyncio.AbstractEventLoop, method: str, wire: bytes, deadline: float
    ) -> Answer:
        retry = method in IDEMPOTENT
        while True:
            protocol, reused = await self._connection(loop, deadline)
            answer = Answer(self, protocol, deadline)
            self._busy.add(answer)
            try:
                protocol.set_response_params(
                    skip_payload=method == "HEAD",
                    read_until_eof=True,
                    auto_decompress=False,
                    read_bufsize=READ_BUFFER,
                    max_line_size=MAX_LINE_BYTES,
                    max_field_size=MAX_LINE_BYTES,
                    max_headers=MAX_HEADERS,
                )
                assert protocol.transport is not None  # `_connection` gives connected ones
                protocol.transport.write(wire)
                while True:
                    message, payload = await protocol.read()
                    if not 100 <= message.code < 200 or message.code == 101:
                        break  # an interim 1xx answer is not the answer
            except (ServerDisconnectedError, ClientOSError):
                self._discard(answer)
                if reused and retry:  # closed while it was idle: nothing of an answer came
                    retry = False
                    continue
                raise
            except BaseException:
                self._discard(answer)
                raise
            answer.status = message.code
            answer.reason = message.reason
            answer.headers = message.headers
            answer.raw_headers = message.raw_headers
            answer._payload = payload
            return answer

    def _encode(
        self, method: str, target: str, headers: Sequence[tuple[str, str]], body: bytes
    ) -> bytes:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self._host_field}"]
        if not any(name.lower() == "accept-encoding" for name, _ in headers):
            lines.append("Accept-Encoding: identity")  # bodies are passed on, never decoded
        lines += [f"{name}: {value}" for name, value in headers]
        if body or method not in _NO_BODY_LENGTH:
            lines.append(f"Content-Length: {len(body)}")
        lines.append("\r\n")
        head = "\r\n".join(lines)
        # Each line break is one put here: a field holding its own would make two requests of
        # one on the wire (the proxy's own request parser never lets one through).
        if head.count("\n") != len(lines) or head.count("\r") != len(lines):
            raise BrokenRequest("a request header field holds a line break")
        return head.encode("utf-8") + body if body else head.encode("utf-8")

    async def _connection(
        self, loop: asyncio.AbstractEventLoop, deadline: float
    ) -> tuple[ResponseHandler, bool]:
        if self._closed:
            raise ClientOSError("the proxy is shutting down")
        idle = self._idle
        while idle:
            protocol, _ = idle.pop()  # the most recently used: the likeliest to be open
            if protocol.is_connected():
                return protocol, True
            protocol.close()
        async with asyncio.timeout_at(deadline):
            _, protocol = await loop.create_connection(
                lambda: ResponseHandler(loop),
                self._host,
                self._port,
                ssl=self._ssl,
                server_hostname=self._host if self._ssl is not None else None,
            )
        return protocol, False

    def _put_back(self, answer: Answer) -> None:
        self._busy.discard(answer)
        self._slots.release()
        protocol = answer._protocol
        if self._closed or protocol.should_close or not protocol.is_connected():
            protocol.close()
        else:
            assert self._loop is not None
            self._idle.append((protocol, self._loop.time()))

    def _discard(self, answer: Answer) -> None:
        self._busy.discard(answer)
        answer._protocol.close()

    def _start(self) -> asyncio.AbstractEventLoop:
        loop = self._loop = asyncio.get_running_loop()
        self._sweeper = loop.call_later(self._sweep_seconds, self._sweep)
        return loop

    @property
    def _sweep_seconds(self) -> float:
        return min(1.0, self.timeout / 4, self.idle_seconds / 4)

    def _sweep(self) -> None:
        """Fail exchanges past their deadline; close connections idle for `idle_seconds`."""
        assert self._loop is not None
        now = self._loop.time()
        for answer in [answer for answer in self._busy if answer.deadline <= now]:
            answer.deadline = float("inf")  # failed once; its holder releases it
            answer._fail(TimeoutError(f"no whole answer within {self.timeout:g} s"))
        idle, stale_before = self._idle, now - self.idle_seconds
        while idle and (idle[0][1] < stale_before or not idle[0][0].is_connected()):
            idle.popleft()[0].close()
        self._sweeper = self._loop.call_later(self._sweep_seconds, self._sweep)

    async def close(self) -> None:
        """Close every connection, idle or in use (answers still being read fail)."""
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        while self._idle:
            self._idle.pop()[0].close()
        for answer in list(self._busy):
            answer._fail(ClientOSError("the proxy is shutting down"))
