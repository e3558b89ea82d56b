"""Run an app: in the foreground until SIGINT/SIGTERM (the CLI), or in a background thread
with its own event loop (tests, the contract suite and the pytest plugin, where synchronous
clients must be able to call it)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import signal
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from mock_server.http.protocol import MockRunner

T = TypeVar("T")

SHUTDOWN_GRACE_SECONDS = 10.0


def _bound_port(runner: MockRunner) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    raise RuntimeError("the server is not listening on a TCP port")


async def serve_until_signalled(
    app: web.Application,
    *,
    host: str,
    port: int,
    on_ready: Callable[[str], None],
    **runner_options: Any,
) -> None:
    """Serve until SIGINT or SIGTERM, then let in-flight requests finish and clean up."""
    # Handlers first: a signal right after the banner must stop gracefully too, not kill.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    runner = MockRunner(app, shutdown_timeout=SHUTDOWN_GRACE_SECONDS, **runner_options)
    await runner.setup()
    try:
        await runner.tcp_site(host, port).start()
        on_ready(f"http://{_url_host(host)}:{_bound_port(runner)}")
        await stop.wait()
    finally:
        await runner.cleanup()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class BackgroundServer:
    """A mock app served from a daemon thread on 127.0.0.1 (port 0 picks a free port)."""

    def __init__(self, app: web.Application, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: MockRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread = threading.Thread(target=self._run, name="tango-mock", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("tango-mock did not start in time")
        if self._error is not None:
            raise RuntimeError(f"tango-mock failed to start: {self._error}") from self._error
        return self

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._start_site())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._stop_site())
        loop.close()

    async def _start_site(self) -> None:
        runner = self._runner = MockRunner(self.app, access_log=None)
        await runner.setup()
        await runner.tcp_site(self.host, self.port).start()
        self.port = _bound_port(runner)

    async def _stop_site(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def call(self, func: Callable[[], T], timeout: float = 10.0) -> T:
        """Run `func` on the server's loop and return its result: the safe way to touch state."""
        assert self._loop is not None, "the server is not running"
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(func())
            except BaseException as exc:
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return future.result(timeout)

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(15)

    def __enter__(self) -> BackgroundServer:
        return self.start() if self._thread is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
