"""The `tango-mock` command (also `python -m mock_server`): options in, a running mock out."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mock_server import __version__
from mock_server.admin.access import (
    ADMIN_TOKEN_ENV,
    ADMIN_TOKEN_HEADER,
    AdminDecision,
    decide_admin,
)
from mock_server.admin.routes import DASHBOARD_PATH
from mock_server.app import create_app
from mock_server.contract.fixture_format import (
    TOKEN_RULE,
    FixtureDocument,
    token_problem,
    workspace_name_problem,
)
from mock_server.contract.spec import demo_fixture_path
from mock_server.http.cors import normalise_origin
from mock_server.http.keys import STORE
from mock_server.http.limits import add_limit_options, limit_settings
from mock_server.http.server import serve_until_signalled
from mock_server.masking import MaskingFilter, MaskingPolicy, mask_key_problem
from mock_server.runtime import (
    EVENT_LOOP_CHOICES,
    EventLoopUnavailable,
    freeze_startup_and_slow_collections,
    loop_factory,
)
from mock_server.settings import MockSettings
from mock_server.state.fixtures import (
    FixtureError,
    load_fixture_file,
    merge_documents,
    with_extra_tokens,
)
from mock_server.state.journal import DEFAULT_JOURNAL_SIZE
from mock_server.state.persistence import StateFileError, load_state_file, write_state_file
from mock_server.state.store import DeploymentStore

EXIT_USAGE = 2
MAX_PORT = 65535


def _port_option(value: str) -> int:
    """A TCP port number; anything else is a usage error (exit 2), not a resolver's guess."""
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_PORT:
        raise argparse.ArgumentTypeError(
            f"expected a TCP port from 0 to {MAX_PORT} (0 picks a free one), got {value!r}"
        )
    return int(value)


def _token_option(value: str) -> tuple[str, str]:
    token, sep, workspace = value.partition("=")
    if not sep or not token or not workspace or any(ch.isspace() for ch in token):
        raise argparse.ArgumentTypeError(f"expected TOKEN=WORKSPACE, got {value!r}")
    if not value.isprintable():  # control characters, or bytes that are not UTF-8
        raise argparse.ArgumentTypeError(f"TOKEN=WORKSPACE must be printable text, got {value!r}")
    if token_problem(token):
        raise argparse.ArgumentTypeError(f"in TOKEN=WORKSPACE, TOKEN must be {TOKEN_RULE}")
    problem = workspace_name_problem(workspace)
    if problem:
        raise argparse.ArgumentTypeError(f"in TOKEN=WORKSPACE, WORKSPACE {problem}")
    return token, workspace


def _cors_origin_option(value: str) -> str:
    try:
        return normalise_origin(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _journal_size_option(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"expected a number of entries (0 or more), got {value!r}")
    return int(value)


def _mask_key_option(value: str) -> str:
    problem = mask_key_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value


def _admin_token_option(value: str) -> str:
    if not value or not value.isprintable() or any(ch.isspace() for ch in value):
        raise argparse.ArgumentTypeError("the admin token must be printable, without spaces")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tango-mock",
        usage="%(prog)s [serve] [options]  |  %(prog)s contract [options]",
        description="An in-memory TANGO Deployment API for laptops, CI and demos. "
        "`tango-mock contract --help`: check a server against the contract instead.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=_port_option,
        default=8000,
        help=f"TCP port, 0 to {MAX_PORT}; 0 picks a free one (default: 8000)",
    )
    parser.add_argument(
        "--fixtures",
        action="append",
        type=Path,
        metavar="FILE",
        help="seed from this fixture file (repeatable; default: the built-in demo fixture)",
    )
    parser.add_argument(
        "--token",
        action="append",
        type=_token_option,
        default=[],
        metavar="TOKEN=WORKSPACE",
        help="add a bearer token for a workspace, creating the workspace if needed (repeatable)",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        type=_cors_origin_option,
        default=[],
        metavar="ORIGIN",
        help="let browser pages from this origin (e.g. http://localhost:3000, or '*' for any) "
        "call the mock: CORS preflight answers and headers (repeatable; default: off)",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        metavar="PATH",
        help="keep the state in this YAML file across restarts: loaded at start if it exists "
        "(then it wins over --fixtures), else created; rewritten atomically on every change",
    )
    parser.add_argument(
        "--journal-size",
        type=_journal_size_option,
        default=DEFAULT_JOURNAL_SIZE,
        metavar="N",
        help=f"requests kept in the journal (GET /_mock/requests); 0 keeps none "
        f"(default: {DEFAULT_JOURNAL_SIZE})",
    )
    parser.add_argument(
        "--mask-key",
        action="append",
        type=_mask_key_option,
        default=[],
        metavar="NAME",
        help="also hide values under keys named so (matched on words, any case: "
        "model_uri hides modelUri too) in the journal and the logs (repeatable)",
    )
    parser.add_argument(
        "--admin-token",
        type=_admin_token_option,
        default=os.environ.get(ADMIN_TOKEN_ENV) or None,
        metavar="TOKEN",
        help=f"admin calls (/_mock/...) must send it in {ADMIN_TOKEN_HEADER}; needed to serve "
        f"the admin API on a non-loopback host (default: ${ADMIN_TOKEN_ENV}, else none)",
    )
    parser.add_argument(
        "--no-admin", action="store_true", help="do not serve the admin API (/_mock/...) at all"
    )
    parser.add_argument(
        "--event-loop",
        choices=EVENT_LOOP_CHOICES,
        default="auto",
        help="the asyncio event loop: uvloop (faster) or the standard one; auto picks uvloop "
        "when it is installed (default: auto)",
    )
    add_limit_options(parser)
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="logging verbosity (default: info)",
    )
    parser.add_argument("--version", action="version", version=f"tango-mock {__version__}")
    return parser


def load_seed(
    fixture_files: Sequence[Path] | None, tokens: Sequence[tuple[str, str]]
) -> FixtureDocument:
    """Fixture files (or the demo), merged, plus `--token` grants."""
    files = list(fixture_files) if fixture_files else [demo_fixture_path()]
    merged = merge_documents((str(path), load_fixture_file(path)) for path in files)
    return with_extra_tokens(merged, tokens)


def format_banner(url: str, store: DeploymentStore, *, admin: AdminDecision | None = None) -> str:
    """What a newcomer needs to paste a first curl command."""
    lines = [
        f"tango-mock {__version__}: TANGO Deployment API on {url}",
        f"  contract: {url}/openapi.yaml",
    ]
    if admin is not None:
        state = f"{url}/_mock ({admin.reason})" if admin.enabled else admin.reason
        lines.append(f"  admin API: {state}")
        if admin.enabled:
            lines.append(f"  dashboard: {url}{DASHBOARD_PATH}")
    lines.append("  workspaces:")
    first_token: str | None = None
    tokens_of: dict[str, list[str]] = {}  # one pass: seeds may hold thousands of workspaces
    for grant in store.tokens.values():
        tokens_of.setdefault(grant.workspace, []).append(grant.token)
    for space in store.workspaces.values():
        tokens = tokens_of.get(space.name, [])
        first_token = first_token or (tokens[0] if tokens and not space.disabled else None)
        live = len(space.live)
        detail = f"{live} deployment{'s' if live != 1 else ''}"
        if space.retired:
            detail += f", {len(space.retired)} deleted"
        if space.disabled:
            detail += ", DISABLED (its tokens get 403)"
        lines.append(f"    {space.name:<24} {detail:<32} tokens: {', '.join(tokens) or '-'}")
    if first_token:
        lines.append(f"  try: curl -H 'Authorization: Bearer {first_token}' {url}/api/deployment")
    lines.append("Press Ctrl+C to stop.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["contract"]:
        from mock_server.contract_command import main as contract_main

        return contract_main(argv[1:])
    if argv[:1] == ["proxy"]:
        from mock_server.proxy.command import proxy_main

        return proxy_main(argv[1:])
    if argv[:1] == ["check-traffic"]:
        from mock_server.proxy.command import check_traffic_main

        return check_traffic_main(argv[1:])
    if argv[:1] == ["serve"]:  # the default command, spelled out
        argv = argv[1:]
    args = build_parser().parse_args(argv)
    masking = MaskingPolicy(tuple(args.mask_key))
    # Every line, ours and the libraries' (aiohttp, asyncio) with tracebacks, is masked.
    log_handler = logging.StreamHandler()
    log_handler.addFilter(MaskingFilter(masking))
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[log_handler],
    )
    # The access log writes a line per request: skip gathering what this format never shows
    # (caller, thread and process; see the logging HOWTO, "Optimization"): ~25% of a line.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None
    try:
        seed = load_seed(args.fixtures, args.token)
    except FixtureError as exc:
        print(f"tango-mock: invalid fixtures:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    try:  # an existing state file is the state; the fixtures stay the seed for resets
        saved = None
        if args.state_file:
            saved = load_state_file(args.state_file, extra_tokens=args.token)
        admin = decide_admin(args.host, admin_token=args.admin_token, disabled=args.no_admin)
        settings = MockSettings(
            journal_size=args.journal_size,
            admin_enabled=admin.enabled,
            admin_token=args.admin_token,
            seed=seed,
            state_file=args.state_file,
            initial_state=saved,
            cors_origins=tuple(args.cors_origin),
            mask_keys=masking.extra_keys,
            **limit_settings(args),
        )
        app = create_app(settings)
        if args.state_file:
            write_state_file(args.state_file, app[STORE])
            how = "created from the fixtures" if saved is None else "loaded"
            logging.getLogger("mock_server").info("State file %s %s", args.state_file, how)
    except StateFileError as exc:
        print(f"tango-mock: unusable state file:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    except FixtureError as exc:  # the starting state is over --max-state-bytes
        print(f"tango-mock: {exc}", file=sys.stderr)
        return EXIT_USAGE

    # What exists now (modules, seed, store) lives as long as the process: frozen out of the
    # garbage collector's sight, it no longer makes full collections (latency spikes) slower
    # the more deployments were seeded; nor, later, do the deployments clients create.
    freeze_startup_and_slow_collections()

    def announce(url: str) -> None:
        print(format_banner(url, app[STORE], admin=admin), flush=True)

    try:
        loop_name, new_loop = loop_factory(args.event_loop)
    except EventLoopUnavailable as exc:
        print(f"tango-mock: {exc}", file=sys.stderr)
        return EXIT_USAGE
    logging.getLogger("mock_server").debug("Event loop: %s", loop_name)
    try:
        serving = serve_until_signalled(app, host=args.host, port=args.port, on_ready=announce)
        with asyncio.Runner(loop_factory=new_loop) as runner:
            runner.run(serving)
    except OSError as exc:
        print(
            f"tango-mock: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    return 0
