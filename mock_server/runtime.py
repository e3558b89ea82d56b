"""How the CLI's process runs: which event loop serves it, and how the garbage collector
keeps its pauses short.

## Event loop
Which asyncio event loop serves the CLI: uvloop when installed (the default), else asyncio's.

uvloop's transports are written in Cython: on this mock they cut about a seventh of the CPU of
every request (bench/RESULTS.md). It is a dependency wherever it builds (not on Windows or
PyPy); `--event-loop asyncio` keeps the standard loop, e.g. to compare or to debug.

## Garbage collection
Keep the cyclic garbage collector's pauses short while the state grows.

CPython's full collection walks every tracked object that is not frozen, so as clients create
deployments each full collection takes longer: at about 70,000 created deployments a pause
reached 50 ms and the p99 of creates rose above 10 ms (`python -m bench`). The CLI freezes
what exists once the app is built; after that, whenever a full collection proves slow, the
survivors it just found alive are frozen too, so the next ones only walk what is new.

Frozen objects are still freed by reference counting, which is how the state's objects (no
reference cycles) go away on delete or reset. Only a cycle that was alive at a freeze would
wait for ever; a freeze happens only after a slow collection, that is after many thousands of
new long-lived objects, so anything held that way is a tiny share of what triggered it.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from typing import Any

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


SLOW_FULL_COLLECTION_MS = 5.0


class FreezeAfterSlowCollections:
    """A `gc.callbacks` entry: freeze the survivors of any full collection slower than a bound."""

    def __init__(self, slow_ms: float = SLOW_FULL_COLLECTION_MS) -> None:
        self.slow_ms = slow_ms
        self.freezes = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        elif (time.perf_counter() - self._started) * 1000 >= self.slow_ms:
            gc.freeze()
            self.freezes += 1


def freeze_startup_and_slow_collections(slow_ms: float = SLOW_FULL_COLLECTION_MS) -> None:
    """Freeze what exists now (modules, seed, store) and install the policy (once a process)."""
    gc.freeze()
    if not any(isinstance(cb, FreezeAfterSlowCollections) for cb in gc.callbacks):
        gc.callbacks.append(FreezeAfterSlowCollections(slow_ms))
