"""Wire the state file (`--state-file`) into an app: save after each change, flush on cleanup."""

from __future__ import annotations

from aiohttp import web

from mock_server.http.keys import SETTINGS, STATE_FILE, STORE
from mock_server.state.persistence import StateFile, Undo


async def save_state(app: web.Application, *, undo: Undo) -> None:
    """Persist the current state; on failure undo the change and raise a 5xx `ApiError`.

    `app` is the application holding the store (the root app).
    """
    state_file = app.get(STATE_FILE)
    if state_file is not None:
        await state_file.save(app[STORE], undo)


async def _flush_on_cleanup(app: web.Application) -> None:
    state_file = app.get(STATE_FILE)
    if state_file is not None:
        await state_file.flush()


def setup(app: web.Application) -> None:
    """Attach the state file named in the settings (no IO here; see `load_state_file`)."""
    path = app[SETTINGS].state_file
    if path is not None:
        app[STATE_FILE] = StateFile(path)
        app.on_cleanup.append(_flush_on_cleanup)
