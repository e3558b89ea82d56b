"""Run Debian's headless Chromium on a page: the DOM after its scripts ran and the network log
(`load_page`), or a live page driven over the DevTools protocol (`DevToolsSession`).

Shared by the docs page, CORS and dashboard browser tests. Chromium missing: the test is
skipped locally and fails when the environment variable CI is set (CI must run the browser).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

TIMEOUT_SECONDS = 60
VIRTUAL_TIME_BUDGET_MS = 15_000


def find_chromium() -> str:
    """The browser binary; a missing one skips locally but fails in CI (CI set)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed but CI is set: the browser tests must run")
    pytest.skip("chromium is not installed (apt-get install chromium); set CI=1 to fail instead")


@dataclass(frozen=True)
class BrowserRun:
    dom: str
    net_log: dict[str, Any]

    def page_requests(self) -> list[str]:
        """URLs of every request the page made: the navigation and all it initiated.

        Chromium's own background requests (updates, sign-in) carry no initiator origin and
        are not the page's; `--host-resolver-rules` keeps them on the machine anyway.
        """
        names = {
            number: name for name, number in self.net_log["constants"]["logEventTypes"].items()
        }
        urls = []
        for event in self.net_log["events"]:
            params = event.get("params") or {}
            if names.get(event["type"]) != "URL_REQUEST_START_JOB" or "url" not in params:
                continue
            if (
                params.get("request_type") == "main frame"
                or params.get("initiator") != "not an origin"
            ):
                urls.append(params["url"])
        return urls


def _browser_options(workdir: Path, *, profile: str = "profile") -> list[str]:
    """A fresh headless profile that cannot resolve any host name but 127.0.0.1."""
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={workdir / profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ]


def load_page(url: str, workdir: Path) -> BrowserRun:
    """Open `url` once and return the DOM after its scripts ran, with the network log."""
    chromium = find_chromium()
    net_log_path = workdir / "net-log.json"
    command = [
        chromium,
        *_browser_options(workdir),
        f"--log-net-log={net_log_path}",
        f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    assert done.returncode == 0, f"chromium failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return BrowserRun(dom=done.stdout, net_log=json.loads(net_log_path.read_text()))


def screenshot(
    url: str, path: Path, workdir: Path, *, width: int = 1280, height: int = 800
) -> Path:
    """A PNG of `url` at `width` x `height`, in the same offline profile as `load_page`."""
    chromium = find_chromium()
    command = [
        chromium,
        *_browser_options(workdir, profile="screenshot-profile"),
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        f"--screenshot={path}",
        url,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    assert done.returncode == 0 and path.is_file(), f"no screenshot:\n{done.stderr[-3000:]}"
    return path


class DevToolsError(AssertionError):
    """Chromium answered a DevTools command with an error, or not in time."""


class DevToolsSession:
    """A headless Chromium driven over the DevTools protocol, on a pipe.

    `--remote-debugging-pipe` makes Chromium read commands on its fd 3 and answer on fd 4
    (NUL-terminated JSON): no debugging port and no extra package, only Debian's `chromium`.
    One page, its viewport fixed; every request the page makes is recorded (`page_urls`).
    """

    def __init__(self, workdir: Path, *, width: int = 1280, height: int = 800) -> None:
        self.workdir = workdir
        self.width, self.height = width, height
        self.page_urls: list[str] = []
        self.console_errors: list[str] = []
        self._events: list[dict[str, Any]] = []
        self._buffer = b""
        self._next_id = 0
        self._session_id: str | None = None
        self._pid: int | None = None
        self._to_browser = self._from_browser = -1

    def start(self) -> DevToolsSession:
        chromium = find_chromium()
        commands_read, self._to_browser = os.pipe()
        self._from_browser, answers_write = os.pipe()
        os.set_inheritable(commands_read, True)
        os.set_inheritable(answers_write, True)
        log = self.workdir / "chromium.log"
        argv = [
            chromium,
            *_browser_options(self.workdir),
            "--remote-debugging-pipe",
            f"--window-size={self.width},{self.height}",
            "about:blank",
        ]
        try:
            self._pid = os.posix_spawn(
                chromium,
                argv,
                dict(os.environ),
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, commands_read, 3),
                    (os.POSIX_SPAWN_DUP2, answers_write, 4),
                    (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT, 0o644),
                    (os.POSIX_SPAWN_DUP2, 1, 2),
                ],
            )
        finally:
            os.close(commands_read)
            os.close(answers_write)
        page = next(
            target["targetId"]
            for target in self.send("Target.getTargets", browser=True)["targetInfos"]
            if target["type"] == "page"
        )
        attached = self.send(
            "Target.attachToTarget", {"targetId": page, "flatten": True}, browser=True
        )
        self._session_id = attached["sessionId"]
        for domain in ("Page", "Runtime", "Network"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
        )
        return self

    # -- the protocol ------------------------------------------------------------------------

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        browser: bool = False,
        timeout: float = 20.0,
    ) -> dict[str, Any]:
        """Run one command (on the page unless `browser`) and return its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if not browser:
            message["sessionId"] = self._session_id
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        for reply in self._messages(deadline):
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise DevToolsError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self._note(reply)
        raise DevToolsError(f"{method}: no answer within {timeout} s")

    def _messages(self, deadline: float) -> Iterator[dict[str, Any]]:
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                yield json.loads(raw)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            readable, _, _ = select.select([self._from_browser], [], [], remaining)
            if readable:
                chunk = os.read(self._from_browser, 1 << 16)
                if not chunk:
                    raise DevToolsError("chromium closed the DevTools pipe")
                self._buffer += chunk

    def _note(self, event: dict[str, Any]) -> None:
        method, params = event.get("method"), event.get("params") or {}
        if method == "Network.requestWillBeSent":
            self.page_urls.append(params["request"]["url"])
        elif method == "Runtime.exceptionThrown":
            self.console_errors.append(json.dumps(params.get("exceptionDetails"))[:500])
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.console_errors.append(json.dumps(params.get("args"))[:500])
        self._events.append(event)

    # -- what tests do -----------------------------------------------------------------------

    def open(self, url: str, *, timeout: float = 20.0) -> None:
        """Navigate and wait for the load event."""
        self._events.clear()
        self.send("Page.navigate", {"url": url})
        deadline = time.monotonic() + timeout
        if any(event.get("method") == "Page.loadEventFired" for event in self._events):
            return
        for event in self._messages(deadline):
            self._note(event)
            if event.get("method") == "Page.loadEventFired":
                return
        raise DevToolsError(f"{url} did not load within {timeout} s")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise DevToolsError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, *, timeout: float = 10.0, every: float = 0.02) -> Any:
        """Evaluate until the value is truthy; fail after `timeout` seconds.

        An element has no JSON value (it comes back as `{}`, falsy): test for one with `!!`.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise DevToolsError(f"still false after {timeout} s: {expression}")
            time.sleep(every)

    def set_files(self, selector: str, paths: list[Path]) -> None:
        """Choose files in an `<input type=file>`, as the file picker would."""
        root = self.send("DOM.getDocument")["root"]["nodeId"]
        node = self.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        self.send("DOM.setFileInputFiles", {"nodeId": node, "files": [str(p) for p in paths]})

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        if self._pid is None:
            return
        with contextlib.suppress(DevToolsError, OSError):  # it may hang up before answering
            self.send("Browser.close", browser=True, timeout=5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done, _ = os.waitpid(self._pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
        self._pid = None
        for fd in (self._to_browser, self._from_browser):
            os.close(fd)

    def __enter__(self) -> DevToolsSession:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
