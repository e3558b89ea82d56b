"""Typed app and request state keys, in one module that imports nothing else from the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from mock_server.http.offload import OffLoop
    from mock_server.settings import MockSettings
    from mock_server.state.events import EventHub
    from mock_server.state.faults import FaultBook
    from mock_server.state.journal import LargeBody, RequestJournal
    from mock_server.state.persistence import StateFile
    from mock_server.state.store import DeploymentStore, Workspace

SETTINGS: web.AppKey[MockSettings] = web.AppKey("settings")
STORE: web.AppKey[DeploymentStore] = web.AppKey("store")
STATE_FILE: web.AppKey[StateFile] = web.AppKey("state_file")
JOURNAL: web.AppKey[RequestJournal] = web.AppKey("journal")
FAULTS: web.AppKey[FaultBook] = web.AppKey("faults")
# Large jobs off the event loop: the admin API's (state, journal, faults) and request bodies
# decoding, each one at a time, so that a long admin job never delays a create.
ADMIN_JOBS: web.AppKey[OffLoop] = web.AppKey("admin_jobs")
BODY_JOBS: web.AppKey[OffLoop] = web.AppKey("body_jobs")
EVENTS: web.AppKey[EventHub] = web.AppKey("events")

# Per-request value: the bearer token's workspace, set for TANGO operations (`operations.py`).
WORKSPACE: web.RequestKey[Workspace] = web.RequestKey("workspace")
# Per-request value for the journal: the body once something read it.
RAW_BODY: web.RequestKey[bytes] = web.RequestKey("raw_body")
# ...or, for a body too large for the journal, its size and verdict (`request_log.py`).
LARGE_BODY: web.RequestKey[LargeBody] = web.RequestKey("large_body")
# Per-request value set by the server's request factory: what `Expect` asked for (expect.py).
EXPECTATION: web.RequestKey[str] = web.RequestKey("expectation")
# Per-request value of admin calls: the query's values, checked (`admin/query.py`).
ADMIN_QUERY: web.RequestKey[dict[str, str]] = web.RequestKey("admin_query")
