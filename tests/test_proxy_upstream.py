"""The proxy's upstream hop (mock_server/proxy/upstream.py) against a scripted HTTP server:
framing, keep-alive reuse and its limits, timeouts, the pool bound; then through the proxy,
what a client sees when the upstream cuts an answer or is silent."""

from __future__ import annotations

import asyncio
import http.client
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiohttp import ClientPayloadError, ServerDisconnectedError

from mock_server.contract.traffic import BODY_CHECK_LIMIT
from mock_server.http.server import BackgroundServer
from mock_server.proxy import app as proxy_app
from mock_server.proxy.app import ProxyState, create_proxy_app
from mock_server.proxy.upstream import BrokenRequest, Upstream

CLOSE = b""  # a step: close the connection
Step = bytes | float  # bytes to send, CLOSE, or seconds to wait
Script = Callable[[bytes, int], list[Step]]  # (request, connection number) -> steps


def answer(body: bytes = b"[]", *, status: str = "200 OK", extra: bytes = b"") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n".encode() + extra
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


class ScriptedServer:
    """A raw HTTP/1.1 server on 127.0.0.1 in a thread: each request gets the steps `script`
    returns for it. Counts connections and the most open at once."""

    def __init__(self, script: Script, *, tls: ssl.SSLContext | None = None) -> None:
        self.script = script
        self.tls = tls
        self.requests: list[tuple[int, bytes]] = []
        self.connections = 0
        self.open_now = 0
        self.most_open = 0
        self.closed_by_client = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self.open_now += 1
                self.most_open = max(self.most_open, self.open_now)
                number = self.connections
            threading.Thread(target=self._serve, args=(connection, number), daemon=True).start()

    def _serve(self, connection: socket.socket, number: int) -> None:
        buffered = b""
        try:
            if self.tls is not None:
                connection = self.tls.wrap_socket(connection, server_side=True)
            while True:
                while b"\r\n\r\n" not in buffered:
                    data = connection.recv(65536)
                    if not data:
                        with self._lock:
                            self.closed_by_client += 1
                        return
                    buffered += data
                head, _, rest = buffered.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(rest) < length:
                    rest += connection.recv(65536)
                request, buffered = head + b"\r\n\r\n" + rest[:length], rest[length:]
                self.requests.append((number, request))
                for step in self.script(request, number):
                    if isinstance(step, float):
                        time.sleep(step)
                    elif step == CLOSE:
                        return
                    else:
                        connection.sendall(step)
        except OSError:
            return
        finally:
            connection.close()
            with self._lock:
                self.open_now -= 1

    def close(self) -> None:
        self._listener.close()


@contextmanager
def scripted(script: Script, *, tls: ssl.SSLContext | None = None) -> Iterator[ScriptedServer]:
    server = ScriptedServer(script, tls=tls)
    try:
        yield server
    finally:
        server.close()


def always(*steps: Step) -> Script:
    return lambda request, number: list(steps)


async def get(upstream: Upstream, method: str = "GET", target: str = "/x") -> tuple[int, bytes]:
    async with await upstream.request(method, target, [("X-Case", "v")], b"") as got:
        return got.status, await got.read()


async def test_a_sized_answer_is_read_and_its_connection_reused() -> None:
    with scripted(always(answer(b"[1]"))) as server:
        upstream = Upstream(server.url, timeout=5)
        assert await get(upstream) == (200, b"[1]")
        assert await get(upstream, target="/a%7Eb?q=%7E") == (200, b"[1]")
        await upstream.close()
    assert server.connections == 1
    first, second = (request for _, request in server.requests)
    # As aiohttp's client wrote it: Host, then `identity` unless the client named encodings.
    host = f"127.0.0.1:{server.port}".encode()
    assert first == b"GET /x HTTP/1.1\r\nHost: " + host + (
        b"\r\nAccept-Encoding: identity\r\nX-Case: v\r\n\r\n"
    )
    assert second.startswith(b"GET /a%7Eb?q=%7E HTTP/1.1\r\n")  # the target as sent


async def test_a_body_gets_its_length_and_so_does_a_bodyless_delete() -> None:
    with scripted(always(answer())) as server:
        upstream = Upstream(server.url, timeout=5)
        headers = [("Content-Type", "application/json"), ("accept-encoding", "gzip")]
        async with await upstream.request("POST", "/x", headers, b'{"a":1}'):
            pass
        async with await upstream.request("DELETE", "/x", [], b""):
            pass
        await upstream.close()
    post, delete = (request for _, request in server.requests)
    assert post.endswith(b'accept-encoding: gzip\r\nContent-Length: 7\r\n\r\n{"a":1}')
    assert b"identity" not in post
    assert delete.endswith(b"Content-Length: 0\r\n\r\n")


async def test_a_chunked_answer_is_read_whole_and_the_connection_reused() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n[1,\r\n2\r\n2]\r\n0\r\n\r\n"
    )
    with scripted(always(chunked)) as server:
        upstream = Upstream(server.url, timeout=5)
        got = await upstream.request("GET", "/x", [], b"")
        assert got.content_length is None
        assert await got.read() == b"[1,2]"
        got.release()
        assert await get(upstream) == (200, b"[1,2]")
        await upstream.close()
    assert server.connections == 1


async def test_a_connection_the_upstream_said_close_on_is_never_reused() -> None:
    # The server keeps the socket open: only its `Connection: close` says not to reuse it.
    with scripted(always(answer(extra=b"Connection: close\r\n"))) as server:
        upstream = Upstream(server.url, timeout=5)
        assert await get(upstream) == (200, b"[]")
        assert await get(upstream) == (200, b"[]")
        await upstream.close()
    assert server.connections == 2


async def test_an_answer_without_length_is_read_until_the_upstream_closes() -> None:
    until_close = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[1, 2]"
    with scripted(always(until_close, CLOSE)) as server:
        upstream = Upstream(server.url, timeout=5)
        assert await get(upstream) == (200, b"[1, 2]")
        assert upstream.open_connections == 0
        await upstream.close()


async def test_head_204_and_304_have_no_body_and_keep_the_connection() -> None:
    def script(request: bytes, number: int) -> list[Step]:
        if request.startswith(b"HEAD"):
            return [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"]  # the GET's length
        if b"/204" in request:
            return [b"HTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n"]
        return [b"HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n"]

    with scripted(script) as server:
        upstream = Upstream(server.url, timeout=5)
        assert await get(upstream, "HEAD") == (200, b"")
        assert await get(upstream, target="/204") == (204, b"")
        assert await get(upstream, target="/304") == (304, b"")
        await upstream.close()
    assert server.connections == 1


async def test_an_interim_100_is_not_the_answer() -> None:
    with scripted(always(b"HTTP/1.1 100 Continue\r\n\r\n" + answer(b"[3]"))) as server:
        upstream = Upstream(server.url, timeout=5)
        assert await get(upstream) == (200, b"[3]")
        await upstream.close()


async def test_a_body_cut_short_fails_the_read_and_drops_the_connection() -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"z" * 100
    with scripted(always(cut, CLOSE)) as server:
        upstream = Upstream(server.url, timeout=5)
        got = await upstream.request("GET", "/x", [], b"")
        with pytest.raises(ClientPayloadError):
            await got.read()
        got.release()
        assert upstream.open_connections == 0
        await upstream.close()


async def test_a_large_answer_streams_in_bounded_pieces() -> None:
    size = 3 * 1024 * 1024
    big = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + b"y" * size
    with scripted(always(big)) as server:
        upstream = Upstream(server.url, timeout=5)
        async with await upstream.request("GET", "/x", [], b"") as got:
            assert got.content_length == size
            pieces = [len(chunk) async for chunk in got.chunks(64 * 1024)]
        assert sum(pieces) == size and max(pieces) <= 64 * 1024
        assert upstream.open_connections == 1  # read to its end: kept
        await upstream.close()


async def test_a_reused_connection_found_closed_is_retried_once_for_idempotent_methods() -> None:
    # Connection 1 answers once, then closes on the next request without answering it.
    def script(request: bytes, number: int) -> list[Step]:
        answered = sum(1 for seen, _ in server.requests if seen == number)
        return [answer(b"[1]")] if answered == 1 else [CLOSE]

    with scripted(script) as server:
        upstream = Upstream(server.url, timeout=5)
        assert await get(upstream) == (200, b"[1]")
        assert await get(upstream) == (200, b"[1]")  # retried on connection 2
        assert server.connections == 2
        with pytest.raises(ServerDisconnectedError):  # a POST is never sent twice
            await get(upstream, "POST")
        assert [number for number, _ in server.requests] == [1, 1, 2, 2]
        await upstream.close()


async def test_a_silent_upstream_times_out() -> None:
    with scripted(always(2.0)) as server:
        upstream = Upstream(server.url, timeout=0.3)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(get(upstream), 5)  # the bound: a failure, not a hang
        assert time.monotonic() - started < 1.5
        await upstream.close()


async def test_a_body_that_stalls_times_out() -> None:
    stalls = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345"
    with scripted(always(stalls, 2.0)) as server:
        upstream = Upstream(server.url, timeout=0.3)
        started = time.monotonic()
        got = await upstream.request("GET", "/x", [], b"")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(got.read(), 5)
        assert time.monotonic() - started < 1.5
        got.release()
        assert upstream.open_connections == 0
        await upstream.close()


async def test_at_most_limit_connections_are_open() -> None:
    with scripted(always(0.2, answer())) as server:
        upstream = Upstream(server.url, timeout=5, limit=2)
        got = await asyncio.gather(*(get(upstream) for _ in range(5)))
        assert got == [(200, b"[]")] * 5
        assert server.most_open == 2 and upstream.open_connections == 2
        await upstream.close()


async def test_close_closes_idle_connections_and_refuses_new_requests() -> None:
    with scripted(always(answer())) as server:
        upstream = Upstream(server.url, timeout=5)
        await get(upstream)
        await upstream.close()
        for _ in range(50):
            if server.closed_by_client:
                break
            await asyncio.sleep(0.02)
        assert server.closed_by_client == 1
        with pytest.raises(OSError):
            await get(upstream)


async def test_connections_have_tcp_nodelay() -> None:
    with scripted(always(answer())) as server:
        upstream = Upstream(server.url, timeout=5)
        async with await upstream.request("GET", "/x", [], b"") as got:
            transport = got._protocol.transport
            assert transport is not None
            sock = transport.get_extra_info("socket")
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        await upstream.close()


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made for this test run only."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
    command += " -addext subjectAltName=IP:127.0.0.1"
    subprocess.run(
        [*command.split(), "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_an_https_upstream_is_verified_and_then_spoken_to(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)
    with scripted(always(answer(b"[5]")), tls=server_side) as server:
        unknown = Upstream(server.url, timeout=5)  # the system's authorities: not this one
        with pytest.raises(ssl.SSLCertVerificationError):
            await get(unknown)
        await unknown.close()
        trusted = Upstream(server.url, timeout=5, tls=ssl.create_default_context(cafile=cert))
        assert await get(trusted) == (200, b"[5]")
        assert await get(trusted) == (200, b"[5]")
        await trusted.close()
    assert server.connections == 2  # the refused one, then one kept alive


async def test_a_field_with_a_line_break_is_never_sent() -> None:
    with scripted(always(answer())) as server:
        upstream = Upstream(server.url, timeout=5)
        with pytest.raises(BrokenRequest):
            await upstream.request("GET", "/x", [("X-A", "1\r\nX-B: 2")], b"")
        await upstream.close()
    assert server.requests == []


# Through the proxy: what the client sees, and what is recorded.


@contextmanager
def proxy_in_front_of(server: ScriptedServer) -> Iterator[tuple[int, ProxyState]]:
    state = ProxyState(server.url)
    with BackgroundServer(create_proxy_app(state)) as proxy:
        yield proxy.port, state


def fetch(port: int, path: str = "/api/deployment") -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Authorization": "Bearer t1"})
    got = connection.getresponse()
    return got.status, got.read()


def test_an_upstream_dying_mid_answer_is_a_502_or_a_reset_and_recorded() -> None:
    small_cut = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"z" * 100
    large_cut = b"HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n" + b"z" * 100000
    with scripted(always(small_cut, CLOSE)) as server, proxy_in_front_of(server) as (port, state):
        status, body = fetch(port)
        assert status == 502 and b"bad_gateway" in body
        [(_, _, [violation])] = list(state.journal)
        assert violation.rule == "proxy.upstream-unreachable"
    with scripted(always(large_cut, CLOSE)) as server, proxy_in_front_of(server) as (port, state):
        with pytest.raises(http.client.IncompleteRead):  # never a whole-looking body
            fetch(port)
        [(_, exchange, [violation])] = list(state.journal)
        assert violation.rule == "proxy.upstream-unreachable"
        assert "while streaming" in violation.message and not exchange.body_complete


def test_a_large_answer_is_streamed_whole_and_at_most_the_limit_kept() -> None:
    size = 3 * 1024 * 1024
    big = answer(b"x" * size)
    with scripted(always(big)) as server, proxy_in_front_of(server) as (port, state):
        assert fetch(port) == (200, b"x" * size)
        [(_, exchange, _)] = list(state.journal)
    assert not exchange.body_complete
    assert 0 < len(exchange.response_body) <= BODY_CHECK_LIMIT


def test_a_silent_upstream_gets_the_client_a_502_after_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(proxy_app, "UPSTREAM_TIMEOUT_SECONDS", 0.3)
    with scripted(always(3.0)) as server, proxy_in_front_of(server) as (port, state):
        status, body = fetch(port)
        assert status == 502 and b"TimeoutError" in body
        assert [v.rule for _, _, found in state.journal for v in found] == [
            "proxy.upstream-unreachable"
        ]


def test_the_proxy_closes_its_upstream_connections_when_it_stops() -> None:
    with scripted(always(answer())) as server:
        with proxy_in_front_of(server) as (port, _):
            assert fetch(port)[0] == 200
            assert server.closed_by_client == 0
        for _ in range(50):
            if server.closed_by_client:
                break
            time.sleep(0.02)
    assert server.closed_by_client == 1


def test_a_sized_streamed_answer_is_recorded_before_its_last_byte_leaves() -> None:
    # The client returns as soon as it has Content-Length bytes: the record must be there.
    big = answer(b"x" * (256 * 1024))
    with scripted(always(big)) as server, proxy_in_front_of(server) as (port, state):
        for _ in range(20):
            before = len(state.journal)
            assert fetch(port)[0] == 200
            assert len(state.journal) == before + 1


def test_a_client_hanging_up_mid_stream_is_recorded_but_not_blamed_on_the_upstream() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400000\r\n\r\n"
    script = always(head + b"a" * 100_000, 0.5, b"b" * 300_000)
    with scripted(script) as server, proxy_in_front_of(server) as (port, state):
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(
            b"GET /api/deployment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t1\r\n\r\n"
        )
        assert client.recv(100).startswith(b"HTTP/1.1 200")
        client.close()
        for _ in range(100):
            if state.journal:
                break
            time.sleep(0.02)
        [(_, exchange, violations)] = list(state.journal)
    assert not exchange.body_complete
    assert violations == []
