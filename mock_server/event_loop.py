"""Which asyncio event loop serves the CLI: uvloop when installed (the default), else asyncio's.

uvloop's transports are written in Cython: on this mock they cut about a seventh of the CPU of
every request (bench/RESULTS.md). It is a dependency wherever it builds (not on Windows or
PyPy); `--event-loop asyncio` keeps the standard loop, e.g. to compare or to debug.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

EVENT_LOOP_CHOICES = ("auto", "uvloop", "asyncio")


class EventLoopUnavailable(RuntimeError):
    """`--event-loop uvloop` on a machine without uvloop."""


def loop_factory(choice: str) -> tuple[str, Callable[[], asyncio.AbstractEventLoop]]:
    """The name and factory of the loop for `choice` (one of `EVENT_LOOP_CHOICES`)."""
    if choice == "asyncio":
        return "asyncio", asyncio.new_event_loop
    try:
        import uvloop
    except ImportError as exc:
        if choice == "auto":
            return "asyncio", asyncio.new_event_loop
        raise EventLoopUnavailable(
            "uvloop is not installed here (pip install uvloop), or choose --event-loop asyncio"
        ) from exc
    return "uvloop", uvloop.new_event_loop
