"""`tango-mock proxy` and `tango-mock check-traffic`: judge live or recorded client traffic.

Exit codes: 0 done (no violation, or violations without --fail-on-violation), 1 violations
with --fail-on-violation (check-traffic: any violation), 2 a usage error or an unreadable
file.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from yarl import URL

from mock_server.contract.traffic import Violation
from mock_server.http.server import serve_until_signalled
from mock_server.proxy import tool_version
from mock_server.proxy.app import ProxyState, create_proxy_app
from mock_server.proxy.report import Findings, console_line
from mock_server.runtime import loop_factory

EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2


def _upstream(value: str) -> str:
    url = URL(value)
    if url.scheme not in ("http", "https") or not url.host:
        raise argparse.ArgumentTypeError(f"expected an http(s)://HOST[:PORT] URL, got {value!r}")
    if url.user or url.password:
        raise argparse.ArgumentTypeError("the upstream URL must not carry credentials")
    return str(url).rstrip("/")


def _port(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"expected a TCP port from 0 to 65535, got {value!r}")
    return int(value)


def proxy_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tango-mock proxy",
        description="Forward a client's TANGO traffic to a server and report which side breaks "
        "the contract. Ctrl+C (or SIGTERM) stops it and writes the report.",
    )
    parser.add_argument("--upstream", required=True, type=_upstream, metavar="URL")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default loopback only)"
    )
    parser.add_argument("--port", type=_port, default=8081, help="0 picks a free port")
    parser.add_argument(
        "--report", type=Path, metavar="DIR", help="write report.json, junit.xml, traffic.har"
    )
    parser.add_argument(
        "--fail-on-violation", action="store_true", help="exit 1 if any violation was seen"
    )
    return parser


def _print_violation(violation: Violation) -> None:
    print(console_line(violation), file=sys.stderr, flush=True)


def _finish(findings: Findings, report: Path | None, fail: bool) -> int:
    if report is not None:
        findings.write(report)
    print(
        f"tango-mock: {findings.exchanges} exchanges, {findings.violation_count} violations"
        + (f"; report in {report}" if report is not None else ""),
        flush=True,
    )
    return EXIT_VIOLATIONS if fail and findings.violation_count else EXIT_OK


def proxy_main(argv: Sequence[str]) -> int:
    args = proxy_parser().parse_args(argv)
    state = ProxyState(args.upstream, on_violation=_print_violation)
    har = None
    if args.report is not None:
        from mock_server.proxy.har import HarRecorder

        har = HarRecorder(state.tracker.identity)
        state.on_exchange.append(har.add)
    app = create_proxy_app(state)

    def announce(url: str) -> None:
        print(f"tango-mock proxy {tool_version()}: listening on {url} (upstream {args.upstream})")
        print(f"  violations: {url}/_mock/violations", flush=True)
        print("Press Ctrl+C to stop.", flush=True)

    try:
        serving = serve_until_signalled(app, host=args.host, port=args.port, on_ready=announce)
        _, new_loop = loop_factory("auto")  # uvloop where installed, like the mock
        with asyncio.Runner(loop_factory=new_loop) as runner:
            runner.run(serving)
    except OSError as exc:
        print(f"tango-mock proxy: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if har is not None and args.report is not None:
        args.report.mkdir(parents=True, exist_ok=True)
        har.write(args.report / "traffic.har")
    return _finish(state.findings, args.report, args.fail_on_violation)


def check_traffic_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tango-mock check-traffic",
        description="Judge recorded traffic (a HAR 1.2 file) as the proxy judges live traffic.",
    )
    parser.add_argument("har", type=Path, metavar="FILE.har")
    parser.add_argument("--report", type=Path, metavar="DIR", help="write report.json, junit.xml")
    args = parser.parse_args(argv)
    from mock_server.proxy.har import HarError, read_har
    from mock_server.proxy.tracker import Tracker

    try:
        exchanges = read_har(args.har)
    except HarError as exc:
        print(f"tango-mock check-traffic: {exc}", file=sys.stderr)
        return EXIT_USAGE
    tracker, findings = Tracker(), Findings()
    for exchange in exchanges:
        violations = tracker.judge(exchange)
        for violation in violations:
            _print_violation(violation)
        findings.add(exchange, violations)
    return _finish(findings, args.report, fail=True)
