"""The servers under test, started as subprocesses on loopback and timed to their first 200.

Cold start = from launching the process to the first 200 answer of `GET /api/deployment`
sent with a valid bearer token. RSS is read from /proc/PID/status (VmRSS), summed over the
process and its children (npx/node may fork).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.scenarios import COLLECTION, DEMO_TOKEN, EXTRA_TOKENS

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
CACHE_DIR = BENCH_DIR / ".cache"
PRISM_VERSION = "5.16.0"
START_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.005


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ServerSpec:
    """How to launch one server on a port, and the token its first request carries."""

    name: str
    argv: Callable[[int], list[str]]
    stateful: bool  # False: answers are fixed, so any key can be deleted any number of times
    ready_token: str = DEMO_TOKEN


def mock_spec(
    extra_args: Sequence[str] = (), *, name: str = "tango-mock", ready_token: str = DEMO_TOKEN
) -> ServerSpec:
    """`python -m mock_server` (demo fixtures unless `extra_args` say otherwise) + write tokens."""
    tokens = [arg for token, ws in EXTRA_TOKENS.items() for arg in ("--token", f"{token}={ws}")]

    def argv(port: int) -> list[str]:
        return [sys.executable, "-m", "mock_server", "--port", str(port), *tokens, *extra_args]

    return ServerSpec(name, argv, stateful=True, ready_token=ready_token)


def bare_spec(*, uvloop: bool = False, name: str = "bare aiohttp") -> ServerSpec:
    """The issue's bare aiohttp app; on uvloop only for the informational row."""
    script = BENCH_DIR / "bare_aiohttp.py"
    extra = ["uvloop"] if uvloop else []
    return ServerSpec(name, lambda port: [sys.executable, str(script), str(port), *extra], False)


def prism_spec(prism: Path) -> ServerSpec:
    """Prism's mock on the same openapi.yaml, logs off (silent), no error responses."""
    spec = str(REPO_ROOT / "openapi.yaml")

    def argv(port: int) -> list[str]:
        return [
            *(["node", str(prism)] if prism.suffix == ".js" else [str(prism)]),
            "mock",
            spec,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--errors",
            "false",
            "--verboseLevel",
            "silent",
        ]

    return ServerSpec(f"Prism {PRISM_VERSION}", argv, stateful=False)


def ensure_prism(version: str = PRISM_VERSION, log: Callable[[str], None] = print) -> Path | None:
    """The Prism CLI from the npm registry, installed once into bench/.cache; None if no npm."""
    target = CACHE_DIR / f"prism-{version}"
    binary = target / "node_modules" / ".bin" / "prism"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        log("Prism skipped: node/npm are not installed")
        return None
    log(f"installing @stoplight/prism-cli@{version} into {target} (once) ...")
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(target),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            f"@stoplight/prism-cli@{version}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 or not binary.exists():
        log(f"Prism skipped: npm install failed: {done.stderr.strip()[-500:]}")
        return None
    return binary


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 (after the command in parentheses) is the parent pid.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def rss_bytes(pid: int) -> int:
    """VmRSS of the process and all its descendants, in bytes (0 if it is gone)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
        pending.extend(_children(current))
    return total


def list_status(port: int, token: str, timeout: float = 2.0) -> int | None:
    """The status of GET /api/deployment, or None while nothing listens yet."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", COLLECTION, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        response.read()
        return response.status
    except (ConnectionError, OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


@dataclass
class RunningServer:
    """A launched server: its process, port, cold start and where its output went."""

    spec: ServerSpec
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    cold_start_s: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_bytes(self) -> int:
        return rss_bytes(self.process.pid)

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM (graceful), SIGKILL after 10 s: to the server's own process group only."""
        if self.process.poll() is not None:
            return
        group = os.getpgid(self.process.pid)  # its own session: see launch()
        os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait(5)


def launch(spec: ServerSpec, log_dir: Path | None = None) -> RunningServer:
    """Start the server and wait for its first 200; the wait is its cold start."""
    port = free_port()
    log_dir = log_dir or Path(tempfile.gettempdir())
    log_path = log_dir / f"bench-{spec.name.split()[0].lower()}-{port}.log"
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            spec.argv(port),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO_ROOT,
            start_new_session=True,  # a process group of its own, so stop() reaches children
        )
    server = RunningServer(spec, process, port, log_path)
    deadline = started + START_TIMEOUT_S
    while time.perf_counter() < deadline:
        status = list_status(port, spec.ready_token)
        if status == 200:
            server.cold_start_s = time.perf_counter() - started
            return server
        if process.poll() is not None:
            break
        time.sleep(POLL_INTERVAL_S)
    server.stop()
    raise RuntimeError(
        f"{spec.name} did not answer 200 within {START_TIMEOUT_S:.0f} s "
        f"(exit code {process.poll()}); its output:\n{server.log_tail()}"
    )
