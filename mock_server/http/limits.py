"""Limits that protect the process from hostile or broken clients (see RELIABILITY.md).

Header size and client timeouts are enforced by aiohttp's connection handler, configured here
from `MockSettings`; the header section's total size is checked by the request middleware
(`middleware.py`), since aiohttp only bounds each line and the number of fields.
"""

from __future__ import annotations

import argparse
from itertools import chain
from typing import Any

from aiohttp import web

from mock_server.settings import MockSettings
from mock_server.state.store import (
    DEFAULT_MAX_DEPLOYMENTS_PER_WORKSPACE,
    DEFAULT_MAX_STATE_BYTES,
    RECORD_OVERHEAD_BYTES,
)

# aiohttp waits this long (at most) for the rest of a body the app did not read, before it
# closes the connection; so an abandoned slow upload is dropped after the client timeout too.
MAX_LINGERING_SECONDS = 10.0


def handler_options(settings: MockSettings) -> dict[str, Any]:
    """`web.Application(handler_args=...)`: per-line header limit and client timeouts.

    aiohttp's keep-alive timer starts when a connection opens and again after each answer, and
    closes the connection if no complete request head arrived by then: so `client_timeout`
    bounds both idle keep-alive connections and clients that send their headers too slowly.
    """
    return {
        "max_line_size": settings.max_header_bytes,
        "max_field_size": settings.max_header_bytes,
        "keepalive_timeout": settings.client_timeout,
        "lingering_time": min(MAX_LINGERING_SECONDS, settings.client_timeout),
    }


def header_section_size(request: web.BaseRequest) -> int:
    """Bytes of the request line and header fields as sent (without the final blank line)."""
    line = len(request.method) + len(request.raw_path) + len(" HTTP/1.1\r\n") + 1
    fields = request.raw_headers  # each field is `name: value\r\n`, 4 bytes besides the two
    return line + sum(map(len, chain.from_iterable(fields))) + 4 * len(fields)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _positive_seconds(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    """The CLI options of the process-protecting limits (defaults: `MockSettings`'s)."""
    defaults = MockSettings()
    group = parser.add_argument_group("limits (see RELIABILITY.md)")
    group.add_argument(
        "--max-deployments-per-workspace",
        type=_positive_int,
        default=DEFAULT_MAX_DEPLOYMENTS_PER_WORKSPACE,
        metavar="N",
        help="live deployments a workspace may hold; a create beyond answers 403 "
        f"quota_exceeded (default: {DEFAULT_MAX_DEPLOYMENTS_PER_WORKSPACE})",
    )
    group.add_argument(
        "--max-state-bytes",
        type=_positive_int,
        default=DEFAULT_MAX_STATE_BYTES,
        metavar="BYTES",
        help="bytes all stored deployments (live and deleted) may take, each its JSON plus "
        f"{RECORD_OVERHEAD_BYTES}; a create beyond answers 403 quota_exceeded, a state import "
        f"413 payload_too_large (default: {DEFAULT_MAX_STATE_BYTES})",
    )
    group.add_argument(
        "--max-header-bytes",
        type=_positive_int,
        default=defaults.max_header_bytes,
        metavar="BYTES",
        help="request line plus headers; beyond answers 431 header_too_large "
        f"(default: {defaults.max_header_bytes})",
    )
    group.add_argument(
        "--client-timeout",
        type=_positive_seconds,
        default=defaults.client_timeout,
        metavar="SECONDS",
        help="time a client has to send its headers, then its body (408), and the longest "
        f"idle keep-alive (default: {defaults.client_timeout:g})",
    )
    group.add_argument(
        "--max-connections",
        type=_positive_int,
        default=defaults.max_connections,
        metavar="N",
        help="open connections served at once; more get 503 too_many_connections "
        f"(default: {defaults.max_connections})",
    )


def limit_settings(args: argparse.Namespace) -> dict[str, Any]:
    """`MockSettings` keyword arguments from the options of `add_limit_options`."""
    return {
        "max_deployments_per_workspace": args.max_deployments_per_workspace,
        "max_state_bytes": args.max_state_bytes,
        "max_header_bytes": args.max_header_bytes,
        "client_timeout": args.client_timeout,
        "max_connections": args.max_connections,
    }
