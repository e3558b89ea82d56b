"""The app factory: everything a mock needs is built here, nothing lives in module globals."""

from __future__ import annotations

from aiohttp import web

from mock_server.admin import routes as admin
from mock_server.http import docs as docs_page
from mock_server.http import home as home_page
from mock_server.http import operations as deployments
from mock_server.http import spec_routes, state_file
from mock_server.http.cors import cors_policy
from mock_server.http.keys import ADMIN_JOBS, BODY_JOBS, EVENTS, FAULTS, JOURNAL, SETTINGS, STORE
from mock_server.http.limits import handler_options
from mock_server.http.middleware import request_middleware
from mock_server.http.offload import OffLoop
from mock_server.settings import MockSettings
from mock_server.state.events import EventHub
from mock_server.state.faults import FaultBook
from mock_server.state.fixtures import build_store
from mock_server.state.journal import RequestJournal


async def _close_event_streams(app: web.Application) -> None:
    """Open dashboards would hold the shutdown for its whole grace period: end them first."""
    app[EVENTS].close()


def create_app(settings: MockSettings | None = None) -> web.Application:
    """A fresh, independent mock seeded from `settings.seed` (two apps never share state).

    Raises `FixtureError` when the starting state is larger than `settings.max_state_bytes`.
    """
    settings = settings or MockSettings()
    journal = RequestJournal(settings.journal_size, masking=settings.masking)
    faults = FaultBook()
    app = web.Application(
        middlewares=[  # X-Request-Id, CORS, header limit, error envelope, access log, journal
            request_middleware(settings, journal, faults, cors_policy(settings.cors_origins)),
        ],
        client_max_size=settings.max_body_bytes + 1,
        # access_log None: aiohttp's own access line shows query strings (secrets), whatever
        # runner serves the app; the request middleware writes mock_server.access lines instead.
        handler_args={**handler_options(settings), "access_log": None},
    )
    app[SETTINGS] = settings
    app[JOURNAL] = journal
    app[FAULTS] = faults
    app[ADMIN_JOBS], app[BODY_JOBS] = OffLoop(), OffLoop()
    app[EVENTS] = EventHub(journal)
    app.on_shutdown.append(_close_event_streams)
    start = settings.seed if settings.initial_state is None else settings.initial_state
    app[STORE] = build_store(
        start,
        source="the seed" if settings.initial_state is None else "the state file",
        max_deployments_per_workspace=settings.max_deployments_per_workspace,
        max_state_bytes=settings.max_state_bytes,
    )
    state_file.setup(app)
    deployments.add_routes(app)
    spec_routes.add_routes(app)
    docs_page.add_routes(app)
    home_page.add_routes(app)
    if settings.admin_enabled:
        admin.add_routes(app)
    return app
