"""Run `tango-mock` as a real subprocess for the CLI and walkthrough tests: bounded waits only.

Output is read by background threads, so a wait is always bounded by a timeout and a chatty
process can never block on a full pipe; the process is killed if it does not stop in time.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

REPO_ROOT = Path(__file__).resolve().parent.parent
BANNER_END = "Press Ctrl+C to stop."
START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0
_URL = re.compile(r"on (http://\S+)")


def python_module_command() -> list[str]:
    return [sys.executable, "-m", "mock_server"]


def console_script_command() -> list[str]:
    """The installed `tango-mock` next to this interpreter (the venv's bin/)."""
    beside = Path(sys.executable).parent / "tango-mock"
    found = str(beside) if beside.is_file() else shutil.which("tango-mock")
    assert found, "the tango-mock console script is not installed next to this Python"
    return [found]


def run_to_exit(args: Sequence[str], *, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run a command that should exit by itself (bad options, --help), bounded in time."""
    return subprocess.run(
        list(args),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
        env=_env(),
        check=False,
    )


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}


class MockProcess:
    """A `tango-mock` subprocess: start, wait for the banner, talk to it, stop with a signal."""

    def __init__(self, command: Sequence[str]) -> None:
        self.command = list(command)
        self.process: subprocess.Popen[str] | None = None
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self._stdout_queue: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self.banner = ""
        self.url = ""

    def start(self, timeout: float = START_TIMEOUT) -> MockProcess:
        """Start and wait until the banner is complete; fail with the output if it is not."""
        self.process = subprocess.Popen(
            self.command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            cwd=REPO_ROOT,
            env=_env(),
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self._follow(self.process.stdout, self.stdout_lines, self._stdout_queue)
        self._follow(self.process.stderr, self.stderr_lines, None)
        self.banner = self._read_banner(timeout)
        match = _URL.search(self.banner)
        assert match, f"no URL in the banner:\n{self.banner}"
        self.url = match.group(1)
        return self

    def _follow(
        self, stream: IO[str], sink: list[str], lines: queue.Queue[str | None] | None
    ) -> None:
        def pump() -> None:
            for line in stream:
                sink.append(line)
                if lines is not None:
                    lines.put(line)
            if lines is not None:
                lines.put(None)

        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _read_banner(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no banner within {timeout}s:\n{self.output()}")
            try:
                line = self._stdout_queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"tango-mock exited before its banner:\n{self.output()}")
            seen.append(line)
            if line.strip() == BANNER_END:
                return "".join(seen)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send `signum`, wait for the exit code; kill (and fail) if it does not stop in time."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"tango-mock ignored signal {signum} for {timeout}s") from None
        self._join_readers()
        return code

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
        self._join_readers()

    def _join_readers(self) -> None:
        for thread in self._threads:
            thread.join(timeout=5)

    def output(self) -> str:
        return "".join(self.stdout_lines) + "\n--- stderr ---\n" + "".join(self.stderr_lines)

    @property
    def stderr(self) -> str:
        return "".join(self.stderr_lines)

    def __enter__(self) -> MockProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.kill()
