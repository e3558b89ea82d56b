"""The traffic checker: a stateful tracker, reports, HAR files and the reverse proxy (its
upstream hop in `upstream`).

The pure checks live in `mock_server.contract.traffic`, where the mock's journal uses them too.
"""

from __future__ import annotations


def tool_version() -> str:
    """The installed distribution's version (the package root is a layer above this one)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tango-mock")
    except PackageNotFoundError:
        return "unknown"
