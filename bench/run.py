"""`python -m bench`: tango-mock side by side with bare aiohttp and Prism, on loopback.

Every run starts each server afresh (cold start), reads its idle RSS, drives the scenarios
(list, get, create, delete, mix), reads RSS after the load and stops it; servers take turns
within a run so that ratios compare numbers measured close together on a noisy machine.
Then the scale runs, the medians, the targets, a Markdown table and bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import report
from bench.load import Loader, LoadResult, wrk_path
from bench.scale import ScalePoint, measure_size, memory_per_deployment
from bench.scenarios import (
    create_scenario,
    delete_scenario,
    get_scenario,
    list_scenario,
    mix_scenario,
)
from bench.servers import (
    BENCH_DIR,
    CACHE_DIR,
    PRISM_VERSION,
    REPO_ROOT,
    RunningServer,
    ServerSpec,
    bare_spec,
    ensure_prism,
    launch,
    mock_spec,
    prism_spec,
)

DEFAULT_OUTPUT = BENCH_DIR / "results" / "latest.json"
MOCK = "tango-mock"
MOCK_WITH_ACCESS_LOG = "tango-mock, access log on"
MOCK_ON_ASYNCIO = "tango-mock, asyncio loop"
BARE_ON_UVLOOP = "bare aiohttp, uvloop"
IDLE_SETTLE_S = 0.5
WARM_UP_S = 1.0
DELETE_POOL_SHARE = 0.8  # plan deletes for at most this share of the keys created


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cold_start_s(spec: ServerSpec, log_dir: Path, launches: int) -> tuple[RunningServer, float]:
    """Launch `launches` times (all but the last stopped at once): the last server, and the
    median launch-to-first-200 time. One launch on a shared machine varies by 10-20%."""
    times = []
    for _ in range(launches - 1):
        extra = launch(spec, log_dir)
        extra.stop()
        times.append(extra.cold_start_s)
    server = launch(spec, log_dir)
    times.append(server.cold_start_s)
    return server, statistics.median(times)


def measure_server(
    spec: ServerSpec,
    loader: Loader,
    seconds: float,
    run: int,
    log_dir: Path,
    *,
    cold_starts: int = 1,
) -> dict[str, Any]:
    """Start one server, measure it under every scenario, stop it."""
    server, cold_start = cold_start_s(spec, log_dir, cold_starts)
    results: dict[str, LoadResult] = {}
    try:
        time.sleep(IDLE_SETTLE_S)
        idle_rss = server.rss_bytes()
        loader.run(server.url, get_scenario(), min(WARM_UP_S, seconds))
        results["list"] = loader.run(server.url, list_scenario(), seconds)
        results["get"] = loader.run(server.url, get_scenario(), seconds)
        prefix = f"bench-r{run}"
        rss_before_create = server.rss_bytes()
        results["create"] = created = loader.run(server.url, create_scenario(prefix), seconds)
        stored_bytes = server.rss_bytes() - rss_before_create
        pool = created.requests - created.errors if spec.stateful else None
        delete_seconds = seconds
        if pool is not None:
            # Plan to delete no more keys than exist: at the get rate, a share of the pool.
            expected_rate = max(results["get"].rps, created.rps, 1.0)
            delete_seconds = min(seconds, DELETE_POOL_SHARE * pool / expected_rate)
        results["delete"] = loader.run(server.url, delete_scenario(prefix, pool), delete_seconds)
        results["mix"] = loader.run(server.url, mix_scenario(f"mix-r{run}"), seconds)
        rss_after = server.rss_bytes()
    except Exception as exc:
        raise RuntimeError(f"{spec.name}: {exc}\n{server.log_tail()}") from exc
    finally:
        server.stop()
    _log(
        f"  {spec.name}: cold start {cold_start:.3f} s, "
        + ", ".join(f"{name} {r.rps:,.0f} rps" for name, r in results.items())
    )
    return {
        "cold_start_s": cold_start,
        "idle_rss_mb": idle_rss / report.MB,
        "rss_after_mb": rss_after / report.MB,
        # RSS growth while creating, per deployment created (stateful servers only).
        "bytes_per_created": stored_bytes / (created.requests - created.errors)
        if spec.stateful and created.requests > created.errors
        else None,
        "scenarios": {name: result.to_json() for name, result in results.items()},
    }


def machine_info(loader: Loader, prism: Path | None) -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    def output(command: Sequence[str]) -> str | None:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        text = (done.stdout or done.stderr).strip()
        return text.splitlines()[0] if text else None

    wrk = wrk_path()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "aiohttp": version("aiohttp"),
        "pydantic": version("pydantic"),
        "orjson": version("orjson"),
        "uvloop": version("uvloop"),
        "loader": loader.name,
        "wrk": output([wrk, "-v"]) if wrk and loader.use_wrk else None,
        "node": output(["node", "--version"]) if prism else None,
        "prism": output([str(prism), "--version"]) if prism else None,
        "commit": output(["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"]),
    }


def scale_summary(points: list[ScalePoint]) -> dict[str, Any]:
    data = [p.to_json() for p in points]
    smallest, largest = (data[0], data[-1]) if data else ({}, {})
    slowdown = {
        op: smallest[op]["rps"] / largest[op]["rps"]
        for op in ("get", "delete")
        if len(data) > 1 and largest[op]["rps"]
    }
    return {
        "points": data,
        "bytes_per_deployment": memory_per_deployment(points),
        "slowdown": slowdown,
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark tango-mock against bare aiohttp and Prism on loopback.",
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per server, medians shown (0: scale runs only)"
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument(
        "--loader",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator (auto: wrk when installed)",
    )
    parser.add_argument("--max-requests", type=int, default=200_000, help="python loader cap")
    parser.add_argument("--no-prism", action="store_true", help="skip Prism")
    parser.add_argument(
        "--no-access-log-row",
        action="store_true",
        help="skip the extra row of the mock with its default access log (INFO lines)",
    )
    parser.add_argument(
        "--no-loop-rows",
        action="store_true",
        help="skip the two rows that show what the event loop gives: the mock on asyncio's "
        "standard loop and bare aiohttp on uvloop",
    )
    parser.add_argument("--prism-version", default=PRISM_VERSION)
    parser.add_argument(
        "--scale-sizes",
        default="10,10000,100000",
        help="deployments per workspace for the scale runs (comma separated; empty: none)",
    )
    parser.add_argument(
        "--delete-pool", type=int, default=40_000, help="deletable keys seeded for scale delete"
    )
    parser.add_argument(
        "--mock-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra argument for the mock (repeatable), e.g. --mock-arg=--log-level=warning",
    )
    parser.add_argument(
        "--cold-starts",
        type=int,
        default=3,
        metavar="N",
        help="launches per server and run; its cold start is their median",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a few seconds: 1 run, python loader, no Prism, tiny scale (proves it works)",
    )
    return parser


def apply_smoke(args: argparse.Namespace) -> None:
    args.runs, args.duration, args.loader, args.no_prism = 1, 0.2, "python", True
    args.cold_starts = 1
    args.no_access_log_row = args.no_loop_rows = True
    args.scale_sizes, args.delete_pool, args.max_requests = "10,100", 200, 300


def _servers(args: argparse.Namespace) -> tuple[list[ServerSpec], str | None]:
    """The mock as measured for the targets (access log off, like Prism's logs, on uvloop when
    installed), the ceiling (the issue's bare aiohttp app, on asyncio's loop), Prism; then
    for information the mock with its default access log, and each of the mock and the
    ceiling on the other event loop."""
    specs = [mock_spec(["--log-level", "warning", *args.mock_arg], name=MOCK), bare_spec()]
    prism_name = None
    if not args.no_prism:
        prism = ensure_prism(args.prism_version, log=_log)
        if prism is not None:
            spec = prism_spec(prism)
            specs.append(spec)
            prism_name = spec.name
    if not args.no_access_log_row:
        specs.append(mock_spec(args.mock_arg, name=MOCK_WITH_ACCESS_LOG))
    if not args.no_loop_rows:
        asyncio_args = ["--log-level", "warning", "--event-loop", "asyncio", *args.mock_arg]
        specs.append(mock_spec(asyncio_args, name=MOCK_ON_ASYNCIO))
        specs.append(bare_spec(uvloop=True, name=BARE_ON_UVLOOP))
    return specs, prism_name


def run(args: argparse.Namespace, log: Callable[[str], None] = _log) -> dict[str, Any]:
    use_wrk = args.loader == "wrk" or (args.loader == "auto" and wrk_path() is not None)
    if args.loader == "wrk" and wrk_path() is None:
        raise SystemExit("wrk is not installed (apt-get install wrk), use --loader python")
    loader = Loader(use_wrk, args.connections, args.max_requests)
    specs, prism_name = _servers(args)
    runs: dict[str, list[dict[str, Any]]] = {spec.name: [] for spec in specs}
    sizes = [int(s) for s in args.scale_sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="tango-bench-") as logs:
        log_dir = Path(logs)
        for number in range(1, args.runs + 1):
            log(f"run {number}/{args.runs} ({loader.name}, {args.connections} connections)")
            order = specs[number - 1 :] + specs[: number - 1]  # take turns being first
            for spec in order:
                runs[spec.name].append(
                    measure_server(
                        spec, loader, args.duration, number, log_dir, cold_starts=args.cold_starts
                    )
                )
        points = []
        for size in sizes:
            log(f"scale: {size:,} deployments per workspace")
            points.append(
                measure_size(
                    size,
                    pool=args.delete_pool,
                    loader=loader,
                    seconds=args.duration,
                    log_dir=log_dir,
                    # Smoke runs (CI) leave nothing behind; real runs keep big seeds cached.
                    fixture_dir=log_dir if args.smoke else CACHE_DIR / "fixtures",
                )
            )
    mock_name, bare_name = specs[0].name, specs[1].name
    scale = scale_summary(points) if points else None
    targets = report.evaluate_targets(runs, mock_name, bare_name, prism_name, scale)
    prism_path = None if prism_name is None else ensure_prism(args.prism_version, log=log)
    return {
        "settings": {
            "runs": args.runs,
            "duration_s": args.duration,
            "connections": args.connections,
            "threads": 1,
            "loader": loader.name,
            "smoke": args.smoke,
            "mock_args": args.mock_arg,
        },
        "machine": machine_info(loader, prism_path),
        "servers": {name: report.summarise_server(r) for name, r in runs.items()},
        "runs": runs,
        "scale": scale,
        "targets": [t.to_json() for t in targets],
        "_targets": targets,
    }


def render(results: dict[str, Any]) -> str:
    """The Markdown tables printed at the end (and pasted into bench/RESULTS.md)."""
    machine = results["machine"]
    settings = results["settings"]
    parts = [
        f"Machine: {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, "
        f"aiohttp {machine['aiohttp']}; loader {settings['loader']}, 1 thread, "
        f"{settings['connections']} connections, {settings['duration_s']:g} s per scenario, "
        f"median of {settings['runs']} run(s).",
    ]
    if settings["runs"]:
        parts += [
            "",
            "Throughput in requests/s, (p50/p99 latency in ms):",
            "",
            report.servers_table(results["servers"]),
        ]
    created = results["servers"].get(MOCK, {}).get("bytes_per_created")
    if settings["runs"] and created:
        parts += [
            "",
            f"Memory per deployment created by POST (RSS growth while creating): {created:,.0f} B",
        ]
    if results["scale"]:
        per = results["scale"]["bytes_per_deployment"]
        parts += [
            "",
            "Scale (tango-mock; list on 1 connection):",
            "",
            report.scale_table(results["scale"]["points"]),
            "",
            "Memory per stored deployment: "
            + ("-" if per is None else f"{per:,.0f} bytes (idle RSS slope)"),
        ]
    parts += ["", "Targets:", "", report.targets_table(results["_targets"])]
    return "\n".join(parts)


def precompile_mock() -> None:
    """Write the mock's bytecode (.pyc) before any launch, as pip does when it installs a package.

    The reference's aiohttp was compiled when pip installed it. The mock is an editable
    install, so under `PYTHONDONTWRITEBYTECODE=1` (set on some machines, this one included)
    every launch would compile its ~35 modules from source again: about 20 ms of a cold start
    that no installed copy, and no machine that keeps bytecode, pays after its first run.
    """
    compileall.compile_dir(REPO_ROOT / "mock_server", quiet=1)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.smoke:
        apply_smoke(args)
    precompile_mock()
    results = run(args)
    arguments = sys.argv[1:] if argv is None else list(argv)
    results["command"] = " ".join(["python -m bench", shlex.join(arguments)]).strip()
    print(render(results))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    serialisable = {key: value for key, value in results.items() if not key.startswith("_")}
    args.output.write_text(json.dumps(serialisable, indent=2) + "\n", encoding="utf-8")
    print(f"\nJSON: {args.output}")
    return 0
