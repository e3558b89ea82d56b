"""The app factory: everything a mock needs is built here, nothing lives in module globals."""

from __future__ import annotations

from aiohttp import web

from mock_server import admin, deployments, docs_page, persistence, spec_routes
from mock_server.config import MockSettings
from mock_server.cors import cors_policy
from mock_server.edge import edge_middleware
from mock_server.faults import FaultBook
from mock_server.fixtures import build_store
from mock_server.journal import RequestJournal
from mock_server.keys import FAULTS, JOURNAL, SETTINGS, STORE
from mock_server.limits import handler_options


def create_app(settings: MockSettings | None = None) -> web.Application:
    """A fresh, independent mock seeded from `settings.seed` (two apps never share state)."""
    settings = settings or MockSettings()
    journal, faults = RequestJournal(settings.journal_size), FaultBook()
    app = web.Application(
        middlewares=[  # the request pipeline, outermost first
            # X-Request-Id, CORS, error envelope, header limit, access log, journal; the
            # TANGO operations' own gate (auth, then faults) wraps their handlers
            edge_middleware(settings, journal, faults, cors_policy(settings.cors_origins)),
        ],
        client_max_size=settings.max_body_bytes + 1,
        # access_log None: aiohttp's own access line shows query strings (secrets), whatever
        # runner serves the app; the edge middleware writes mock_server.access lines instead.
        handler_args={**handler_options(settings), "access_log": None},
    )
    app[SETTINGS] = settings
    app[JOURNAL] = journal
    app[FAULTS] = faults
    start = settings.seed if settings.initial_state is None else settings.initial_state
    app[STORE] = build_store(
        start, max_deployments_per_workspace=settings.max_deployments_per_workspace
    )
    persistence.setup(app)
    deployments.add_routes(app)
    spec_routes.add_routes(app)
    docs_page.add_routes(app)
    if settings.admin_enabled:
        admin.add_routes(app)
    return app
