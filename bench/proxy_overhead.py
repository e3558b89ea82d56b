"""What `tango-mock proxy` adds per exchange: the same requests to a tango-mock, directly and
through a proxy in front of it, on loopback, one keep-alive connection each.

`python -m bench.proxy_overhead [--requests N] [--seconds S]`: bounded by both (whichever
comes first). Direct and proxied requests alternate in blocks of 50, so both see the same
machine load; the overhead is the difference of the medians, per scenario.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
BLOCK = 50
PAYLOAD = {
    "deployment_key": "bench-key",
    "registry_connector_class": "tango.connectors.Registry",
    "registry_connector_init": {"tracking_server_url": "http://tracking"},
    "server_proxy_class": "tango.proxies.Server",
    "server_proxy_init": {},
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (from /proc, Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def process(args: list[str], port: int) -> Iterator[int]:
    """A server process, ready once its port answers (at most 20 s); if it exits or never
    listens, the error says so with the end of what it wrote."""
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [sys.executable, "-m", "mock_server", *args],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            deadline = time.monotonic() + 20
            while child.poll() is None and time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            else:
                errors.seek(0)
                said = errors.read()[-1500:].decode(errors="replace")
                state = (
                    f"exited with {child.returncode}" if child.poll() is not None else "is silent"
                )
                raise RuntimeError(f"{args[:2]} did not listen on {port}: it {state}:\n{said}")
            yield child.pid
        finally:
            child.terminate()
            child.wait(timeout=15)


def timed(connection: http.client.HTTPConnection, method: str, path: str) -> float:
    started = time.perf_counter()
    connection.request(method, path, headers=HEADERS)
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"{method} {path} answered {response.status}")
    return elapsed * 1000


def measure(requests: int, seconds: float) -> dict[str, dict[str, float]]:
    mock_port, proxy_port = free_port(), free_port()
    mock_args = ["--port", str(mock_port), "--log-level", "warning", "--token", f"{TOKEN}=ws"]
    proxy_args = ["proxy", "--upstream", f"http://127.0.0.1:{mock_port}"]
    with (
        process(mock_args, mock_port),
        process([*proxy_args, "--port", str(proxy_port)], proxy_port) as proxy_pid,
    ):
        direct = http.client.HTTPConnection("127.0.0.1", mock_port, timeout=10)
        proxied = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=10)
        direct.request(
            "POST",
            "/api/deployment",
            body=json.dumps(PAYLOAD),
            headers={**HEADERS, "Content-Type": "application/json"},
        )
        direct.getresponse().read()
        results: dict[str, dict[str, float]] = {}
        for name, path in (("get", "/api/deployment/bench-key"), ("list", "/api/deployment")):
            samples: dict[str, list[float]] = {"direct": [], "proxied": []}
            for connection in (direct, proxied):  # warm both paths up
                for _ in range(BLOCK):
                    timed(connection, "GET", path)
            deadline = time.monotonic() + seconds / 2
            cpu_before = cpu_seconds(proxy_pid)
            while len(samples["direct"]) < requests and time.monotonic() < deadline:
                for label, connection in (("direct", direct), ("proxied", proxied)):
                    samples[label] += [timed(connection, "GET", path) for _ in range(BLOCK)]
            proxy_cpu = cpu_seconds(proxy_pid) - cpu_before
            medians = {label: statistics.median(values) for label, values in samples.items()}
            results[name] = {
                "exchanges": len(samples["direct"]),
                "direct_p50_ms": round(medians["direct"], 3),
                "proxied_p50_ms": round(medians["proxied"], 3),
                "overhead_p50_ms": round(medians["proxied"] - medians["direct"], 3),
                "proxy_cpu_ms": round(proxy_cpu * 1000 / len(samples["proxied"]), 3),
            }
        return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000, help="per scenario and path")
    parser.add_argument("--seconds", type=float, default=30.0, help="in all, at most")
    args = parser.parse_args()
    results = measure(args.requests, args.seconds)
    print(
        "| scenario | exchanges | direct p50 (ms) | through the proxy p50 (ms) | overhead (ms) "
        "| proxy CPU per exchange (ms) |"
    )
    print("|---|---|---|---|---|---|")
    for name, row in results.items():
        print(
            f"| {name} | {row['exchanges']:.0f} | {row['direct_p50_ms']} | "
            f"{row['proxied_p50_ms']} | {row['overhead_p50_ms']} | {row['proxy_cpu_ms']} |"
        )
    worst = max(row["overhead_p50_ms"] for row in results.values())
    print(f"\nworst median overhead: {worst} ms (budget 1 ms)")
    return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
