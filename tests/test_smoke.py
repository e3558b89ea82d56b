"""The happy path end to end: create, list, get, delete on one app."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import MLFLOW_PAYLOAD, auth


async def test_create_list_get_delete_round_trip(client: TestClient[Any, Any]) -> None:
    created = await client.post("/api/deployment", json=MLFLOW_PAYLOAD, headers=auth())
    assert created.status == 201
    assert await created.json() == [{**MLFLOW_PAYLOAD, "workspace": "ws1"}]
    listed = await client.get("/api/deployment", headers=auth())
    assert [d["deployment_key"] for d in await listed.json()] == ["mlflow-deployment-staging"]
    key_path = "/api/deployment/mlflow-deployment-staging"
    fetched = await client.get(key_path, headers=auth())
    assert await fetched.json() == [{**MLFLOW_PAYLOAD, "workspace": "ws1"}]
    deleted = await client.delete(key_path, headers=auth())
    assert deleted.status == 204
    assert await deleted.read() == b""
    assert (await client.get(key_path, headers=auth())).status == 404
    again = await client.post("/api/deployment", json=MLFLOW_PAYLOAD, headers=auth())
    assert again.status == 409
