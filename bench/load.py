"""Load generators: wrk when installed (C, cheap on the client side), else a Python loader.

Both run a `Scenario` against a URL for a bounded time (and, when the scenario says so, a
bounded number of requests) and return the same `LoadResult`.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.scenarios import Scenario

LUA_SCRIPT = Path(__file__).resolve().parent / "lua" / "tango.lua"
WRK_MARKER = "BENCH_JSON "
REQUEST_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class LoadResult:
    """What one load run saw; errors are 4xx/5xx answers plus socket errors and timeouts."""

    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "rps": round(self.rps, 1)}


def wrk_path() -> str | None:
    return shutil.which("wrk")


def run_wrk(url: str, scenario: Scenario, *, seconds: int, connections: int) -> LoadResult:
    """One wrk run (1 thread) of the scenario's Lua mode; `seconds` is whole seconds for wrk."""
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError("wrk is not installed")
    command = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, seconds)}s",
        f"--timeout={int(REQUEST_TIMEOUT_S)}s",
        "-s",
        str(LUA_SCRIPT),
        url,
        "--",
        *scenario.lua_args,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(WRK_MARKER)), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
    data = json.loads(line[len(WRK_MARKER) :])
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["status_errors"] + data["socket_errors"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
    )


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


async def _python_load(
    url: str, scenario: Scenario, seconds: float, connections: int, max_requests: int
) -> LoadResult:
    limit = max_requests if scenario.max_requests is None else scenario.max_requests
    limit = min(limit, max_requests)
    latencies: list[float] = []
    errors = 0
    next_index = 0
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        deadline = started + seconds

        async def worker() -> None:
            nonlocal next_index, errors
            while next_index < limit and time.perf_counter() < deadline:
                request = scenario.plan(next_index)
                next_index += 1
                sent = time.perf_counter()
                try:
                    async with session.request(
                        request.method, request.path, headers=request.headers, data=request.body
                    ) as response:
                        await response.read()
                        errors += response.status >= 400
                except (aiohttp.ClientError, TimeoutError):
                    errors += 1
                latencies.append(time.perf_counter() - sent)

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return LoadResult(
        requests=len(latencies),
        seconds=elapsed,
        errors=errors,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        max_ms=(latencies[-1] * 1000) if latencies else 0.0,
    )


def run_python(
    url: str, scenario: Scenario, *, seconds: float, connections: int, max_requests: int
) -> LoadResult:
    """The fallback loader: asyncio + aiohttp client, bounded by time and by request count."""
    return asyncio.run(_python_load(url, scenario, seconds, connections, max_requests))


@dataclass(frozen=True)
class Loader:
    """Which generator to use and how hard to push."""

    use_wrk: bool
    connections: int
    max_requests: int  # the Python loader's bound per run (wrk is bounded by time only)

    @property
    def name(self) -> str:
        return "wrk" if self.use_wrk else "python"

    def run(self, url: str, scenario: Scenario, seconds: float) -> LoadResult:
        if self.use_wrk:  # whole seconds only; rounded down so a bounded pool is not overrun
            return run_wrk(url, scenario, seconds=int(seconds), connections=self.connections)
        return run_python(
            url,
            scenario,
            seconds=seconds,
            connections=self.connections,
            max_requests=self.max_requests,
        )
