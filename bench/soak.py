"""Soak test: steady mixed traffic against a real `tango-mock` process, watching its memory.

    python -m bench.soak                       # the long form: 2 minutes at 300 requests/s
    python -m bench.soak --duration 10 --rate 150 --json out.json

The mock runs as a subprocess (the real CLI, request journal on at its default size) on
loopback. Clients send a fixed mix at a steady rate: reads, creates and deletes that keep about
`--live` deployments alive, and a share of requests that must fail (400, 401, 404, 409, 422).
Every answer's status is checked against the one its request must get. Printed: requests,
achieved rate, unexpected answers, latency percentiles, and the mock's RSS sampled every
second (after start, after warm-up, at the end, peak). The run fails (exit 1) on any unexpected
answer, a rate below 90 % of the target, or memory growth beyond what the retained state
explains (soft-deleted deployments are kept for good, by design).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.servers import launch, mock_spec

TOKEN = "soak-token"
WORKSPACE = "soak"
COLLECTION = "/api/deployment"
MIB = 1024 * 1024
# Memory allowed per deployment the run leaves behind (live or soft-deleted), and flat slack
# for allocator noise; growth beyond `records * PER_RECORD + SLACK` counts as a leak.
PER_RECORD_BYTES = 4096
SLACK_BYTES = 12 * MIB

PAYLOAD: dict[str, Any] = {
    "registry_connector_class": "tango_shared.connectors.mlflow.MlflowModelRegistryConnector",
    "registry_connector_init": {"model_registry_url": "http://mlflow:5000"},
    "server_proxy_class": "tango_shared.connectors.mlflow.MlflowModelServerProxy",
    "server_proxy_init": {"server_proxy_url": "http://mlflow-serving:8080"},
}

# (operation, weight): the traffic mix.
MIX = [
    ("get", 35),
    ("list", 10),
    ("create", 12),
    ("delete", 10),
    ("get_unknown", 6),
    ("create_duplicate", 6),
    ("invalid_json", 6),
    ("no_token", 6),
    ("invalid_payload", 5),
    ("get_deleted", 4),
]
EXPECTED = {
    "get": 200,
    "list": 200,
    "create": 201,
    "delete": 204,
    "get_unknown": 404,
    "create_duplicate": 409,
    "invalid_json": 400,
    "no_token": 401,
    "invalid_payload": 422,
    "get_deleted": 404,
}


@dataclass
class SoakResult:
    """The figures of one run (also written as JSON with --json)."""

    duration_s: float
    target_rps: float
    requests: int = 0
    achieved_rps: float = 0.0
    unexpected: int = 0
    server_errors: int = 0
    client_errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    rss_start_mib: float = 0.0
    rss_warm_mib: float = 0.0
    rss_end_mib: float = 0.0
    rss_peak_mib: float = 0.0
    retained_records: int = 0
    rss_budget_mib: float = 0.0
    examples: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class Traffic:
    """The client side: which keys are live or deleted, so each request knows its answer."""

    def __init__(self, url: str, seed: int) -> None:
        self.url = url
        self.rng = random.Random(seed)
        self.live: list[str] = []
        self.deleted: list[str] = []
        self.pending: set[str] = set()  # keys with a create or delete in flight
        self.reading: Counter[str] = Counter()  # keys with a get in flight: not to be deleted
        self.counter = 0
        self.created = 0
        self.operations, self.weights = zip(*MIX, strict=True)

    def pick(self, live_target: int) -> str:
        operation: str = self.rng.choices(self.operations, self.weights)[0]
        settled = [key for key in self.live if key not in self.pending]
        if operation == "create" and len(self.live) >= live_target:
            operation = "delete"
        if operation == "delete" and all(self.reading[key] for key in settled):
            operation = "get"  # every live key is being read right now
        if operation in ("delete", "get", "create_duplicate") and not settled:
            operation = "create"
        if operation == "get_deleted" and not self.deleted:
            operation = "get_unknown"
        return operation

    def request(self, operation: str) -> tuple[str, str, dict[str, str], bytes | None, str]:
        """Method, URL, headers, body, and the key it concerns ('' if none)."""
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        settled = [key for key in self.live if key not in self.pending]
        key = ""
        body: bytes | None = None
        method, path = "GET", COLLECTION
        if operation == "create":
            self.counter += 1
            key = f"soak-{self.counter}"
            method, body = "POST", json.dumps({"deployment_key": key, **PAYLOAD}).encode()
        elif operation == "create_duplicate":
            key = self.rng.choice(settled)
            method, body = "POST", json.dumps({"deployment_key": key, **PAYLOAD}).encode()
            key = ""  # a rejected create changes nothing
        elif operation == "delete":
            key = self.rng.choice([k for k in settled if not self.reading[k]])
            method, path = "DELETE", f"{COLLECTION}/{key}"
        elif operation == "get":
            key = self.rng.choice(settled)
            self.reading[key] += 1
            path = f"{COLLECTION}/{key}"
        elif operation == "get_unknown":
            path = f"{COLLECTION}/never-{self.rng.randrange(10**9)}"
        elif operation == "get_deleted":
            path = f"{COLLECTION}/{self.rng.choice(self.deleted)}"
        elif operation == "invalid_json":
            method, body = "POST", b'{"deployment_key": "x",'
        elif operation == "invalid_payload":
            method, body = "POST", json.dumps({"deployment_key": "bad key!"}).encode()
        elif operation == "no_token":
            del headers["Authorization"]
        if key and operation != "get":
            self.pending.add(key)
        return method, f"{self.url}{path}", headers, body, key

    def settle(self, operation: str, key: str, status: int) -> None:
        self.pending.discard(key)
        if operation == "get":
            self.reading[key] -= 1
        if operation == "create" and status == 201:
            self.live.append(key)
            self.created += 1
        elif operation == "delete" and status == 204:
            self.live.remove(key)
            self.deleted.append(key)


def percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {}
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 2)

    return {
        "p50": at(0.50),
        "p90": at(0.90),
        "p99": at(0.99),
        "p99.9": at(0.999),
        "max": round(ordered[-1] * 1000, 2),
        "mean": round(statistics.fmean(ordered) * 1000, 2),
    }


async def drive(
    url: str,
    *,
    duration: float,
    rate: float,
    clients: int,
    live_target: int,
    rss: Any,
    result: SoakResult,
) -> None:
    """Send requests at `rate` per second for `duration` seconds from `clients` connections."""
    traffic = Traffic(url, seed=1)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    samples: list[float] = []
    total = int(duration * rate)  # bounded in count as well as in time
    start = time.perf_counter()
    next_index = 0
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=30)

    async def sample_memory() -> None:
        while True:
            samples.append(rss())
            await asyncio.sleep(1.0)

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal next_index
        while next_index < total:
            index = next_index
            next_index += 1
            due = start + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            operation = traffic.pick(live_target)
            method, target, headers, body, key = traffic.request(operation)
            sent = time.perf_counter()
            status = 0
            try:
                async with http.request(method, target, headers=headers, data=body) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                result.client_errors += 1
                if len(result.examples) < 10:
                    result.examples.append(f"{operation}: {type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - sent)
            traffic.settle(operation, key, status)
            statuses[f"{operation} {status}"] += 1
            if status >= 500:
                result.server_errors += 1
            if status != EXPECTED[operation]:
                result.unexpected += 1
                if len(result.examples) < 10:
                    result.examples.append(
                        f"{method} {target}: {status}, expected {EXPECTED[operation]}"
                    )

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        sampler = asyncio.create_task(sample_memory())
        try:
            async with asyncio.timeout(duration * 2 + 30):  # bounded even if the mock stalls
                await asyncio.gather(*(worker(http) for _ in range(clients)))
        finally:
            sampler.cancel()
    elapsed = time.perf_counter() - start
    samples.append(rss())
    warm_index = max(1, len(samples) // 10)
    result.requests = len(latencies)
    result.achieved_rps = round(result.requests / elapsed, 1)
    result.statuses = dict(sorted(statuses.items()))
    result.latency_ms = percentiles(latencies)
    result.rss_warm_mib = round(samples[warm_index] / MIB, 1)
    result.rss_end_mib = round(samples[-1] / MIB, 1)
    result.rss_peak_mib = round(max(samples) / MIB, 1)
    result.retained_records = traffic.created


def judge(result: SoakResult, *, require_rate: bool = True) -> None:
    """Fill `failures`: unexpected answers, a rate not held, or memory not explained by state."""
    if result.unexpected or result.client_errors or result.server_errors:
        result.failures.append(
            f"{result.unexpected} unexpected answers, {result.server_errors} 5xx, "
            f"{result.client_errors} client errors"
        )
    if require_rate and result.achieved_rps < 0.9 * result.target_rps:
        result.failures.append(
            f"held {result.achieved_rps} requests/s, below 90 % of {result.target_rps}"
        )
    budget = (result.retained_records * PER_RECORD_BYTES + SLACK_BYTES) / MIB
    result.rss_budget_mib = round(budget, 1)
    growth = result.rss_end_mib - result.rss_warm_mib
    if growth > budget:
        result.failures.append(
            f"RSS grew {growth:.1f} MiB after warm-up, more than the {budget:.1f} MiB that "
            f"{result.retained_records} retained deployments explain"
        )


def run(
    *,
    duration: float = 120.0,
    rate: float = 300.0,
    clients: int = 32,
    live_target: int = 200,
    journal_size: int | None = None,
    require_rate: bool = True,
) -> SoakResult:
    """Start a mock process, soak it, stop it; the figures and verdict in a `SoakResult`."""
    extra = ["--token", f"{TOKEN}={WORKSPACE}", "--log-level", "warning"]
    if journal_size is not None:
        extra += ["--journal-size", str(journal_size)]
    server = launch(mock_spec(extra, name="tango-mock soak"))
    result = SoakResult(duration_s=duration, target_rps=rate)
    try:
        result.rss_start_mib = round(server.rss_bytes() / MIB, 1)
        asyncio.run(
            drive(
                server.url,
                duration=duration,
                rate=rate,
                clients=clients,
                live_target=live_target,
                rss=server.rss_bytes,
                result=result,
            )
        )
    finally:
        server.stop()
    judge(result, require_rate=require_rate)
    return result


def report(result: SoakResult) -> str:
    lat = result.latency_ms
    lines = [
        f"soak: {result.requests} requests in {result.duration_s:g} s, "
        f"{result.achieved_rps} req/s held (target {result.target_rps:g})",
        f"  unexpected answers {result.unexpected}, 5xx {result.server_errors}, "
        f"client errors {result.client_errors}",
        "  latency ms: " + ", ".join(f"{name} {value}" for name, value in lat.items()),
        f"  RSS MiB: start {result.rss_start_mib}, after warm-up {result.rss_warm_mib}, "
        f"end {result.rss_end_mib}, peak {result.rss_peak_mib} "
        f"(budget for growth {result.rss_budget_mib} for {result.retained_records} "
        "deployments created)",
    ]
    lines += [f"  example: {example}" for example in result.examples]
    lines.append("  verdict: " + ("; ".join(result.failures) if result.failures else "pass"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--duration", type=float, default=120.0, help="seconds (default 120)")
    parser.add_argument("--rate", type=float, default=300.0, help="requests/s (default 300)")
    parser.add_argument("--clients", type=int, default=32, help="connections (default 32)")
    parser.add_argument("--live", type=int, default=200, help="live deployments kept (200)")
    parser.add_argument("--journal-size", type=int, default=None, help="mock's --journal-size")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    result = run(
        duration=args.duration,
        rate=args.rate,
        clients=args.clients,
        live_target=args.live,
        journal_size=args.journal_size,
    )
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(asdict(result), indent=2) + "\n")
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
