"""The app factory: everything a mock needs is built here, nothing lives in module globals."""

from __future__ import annotations

from aiohttp import web

from mock_server import admin, deployments, docs_page, persistence, spec_routes
from mock_server.config import MockSettings
from mock_server.cors import cors_middlewares
from mock_server.faults import FaultBook
from mock_server.fixtures import build_store
from mock_server.inject import fault_middleware
from mock_server.journal import RequestJournal
from mock_server.keys import FAULTS, JOURNAL, SETTINGS, STORE
from mock_server.limits import handler_options, header_limit_middleware
from mock_server.middlewares import auth_middleware, error_middleware
from mock_server.observe import observe_middleware


def create_app(settings: MockSettings | None = None) -> web.Application:
    """A fresh, independent mock seeded from `settings.seed` (two apps never share state)."""
    settings = settings or MockSettings()
    app = web.Application(
        middlewares=[  # the request pipeline, outermost first
            observe_middleware,  # X-Request-Id, access log, journal: sees every final status
            *cors_middlewares(settings.cors_origins),
            error_middleware,
            header_limit_middleware,
            auth_middleware,
            fault_middleware,  # Prefer header and admin fault rules, after auth
        ],
        client_max_size=settings.max_body_bytes + 1,
        # access_log None: aiohttp's own access line shows query strings (secrets), whatever
        # runner serves the app; observe_middleware writes mock_server.access lines instead.
        handler_args={**handler_options(settings), "access_log": None},
    )
    app[SETTINGS] = settings
    app[JOURNAL] = RequestJournal(settings.journal_size)
    app[FAULTS] = FaultBook()
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
