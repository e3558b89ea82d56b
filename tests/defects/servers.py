"""The correct mock the defects are planted in: two workspaces with one token each."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mock_server import MockSettings, create_app
from mock_server.contract.fixture_format import FixtureDocument
from mock_server.state.fixtures import parse_document

TOKEN = "defects-main-token"
OTHER_TOKEN = "defects-other-token"
WORKSPACE = "ws-main"
OTHER_WORKSPACE = "ws-other"


def seed(deployments: list[dict[str, Any]] | None = None) -> FixtureDocument:
    """Two workspaces, the suite's `--token` and `--other-token` identities, and `deployments`."""
    return parse_document(
        {
            "workspaces": [{"name": WORKSPACE}, {"name": OTHER_WORKSPACE}],
            "tokens": [
                {"token": TOKEN, "workspace": WORKSPACE},
                {"token": OTHER_TOKEN, "workspace": OTHER_WORKSPACE},
            ],
            "deployments": deployments or [],
        },
        source="tests/defects/servers.py",
    )


def correct_app(deployments: list[dict[str, Any]] | None = None) -> web.Application:
    """The real mock, freshly seeded: every variant starts from this."""
    return create_app(MockSettings(seed=seed(deployments)))
