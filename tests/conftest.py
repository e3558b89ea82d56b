"""Shared fixtures of the mock's own tests: a fresh app per test, seeded with known tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mock_server import MockSettings, create_app
from mock_server.contract.fixture_format import FixtureDocument
from mock_server.contract.spec import spec_example
from mock_server.state.fixtures import parse_document

TOKEN = "t1"
OTHER_TOKEN = "t2"
DISABLED_TOKEN = "t-disabled"
EXPIRED_TOKEN = "t-expired"

# TANGO's MLflow example, taken from openapi.yaml so the spec and the tests share one copy.
MLFLOW_PAYLOAD: dict[str, Any] = spec_example("MlflowPayload")

DATABRICKS_PAYLOAD: dict[str, Any] = {
    "deployment_key": "databricks-deployment-staging",
    "registry_connector_class": (
        "tango_shared.connectors.databricks_registry_connector.DatabricksModelRegistryConnector"
    ),
    "registry_connector_init": {
        "model_registry_url": "https://dbc.example.com",
        "tracking_server_url": "https://dbc.example.com",
        "tracking_server_pat": "dapi-secret-tracking",
    },
    "server_proxy_class": (
        "tango_shared.connectors.databricks_server_proxy.DatabricksModelServerProxy"
    ),
    "server_proxy_init": {
        "server_proxy_url": "https://dbc.example.com/serving",
        "server_proxy_pat": "dapi-secret-serving",
    },
}


def seed_document() -> FixtureDocument:
    """Two workspaces with a token each, a disabled workspace and an expired token."""
    return parse_document(
        {
            "workspaces": [
                {"name": "ws1"},
                {"name": "ws2"},
                {"name": "ws-off", "disabled": True},
            ],
            "tokens": [
                {"token": TOKEN, "workspace": "ws1"},
                {"token": OTHER_TOKEN, "workspace": "ws2"},
                {"token": DISABLED_TOKEN, "workspace": "ws-off"},
                {"token": EXPIRED_TOKEN, "workspace": "ws1", "expires_at": "2020-01-01T00:00:00Z"},
            ],
        },
        source="tests/conftest.py",
    )


AiohttpClient = Callable[..., Awaitable[TestClient[Any, Any]]]


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def settings() -> MockSettings:
    return MockSettings(seed=seed_document())


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, settings: MockSettings) -> TestClient[Any, Any]:
    """An HTTP client on a fresh app seeded with `seed_document()`."""
    return await aiohttp_client(create_app(settings))
