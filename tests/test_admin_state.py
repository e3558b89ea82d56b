"""POST /_mock/reset and GET/PUT /_mock/state: back to the seed, export, replace (or nothing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from mock_server import MockSettings, create_app
from mock_server.contract.strict_json import MAX_JSON_DEPTH
from mock_server.http.keys import STATE_FILE
from mock_server.state.fixtures import build_store, export_document
from mock_server.state.persistence import StateFile, load_state_file
from tests.conftest import MLFLOW_PAYLOAD, OTHER_TOKEN, AiohttpClient, auth, seed_document
from tests.envelope import assert_error

RETIRED_KEY = "retired-key"


def seed_with_deployments() -> Any:
    """The shared seed plus one live and one deleted deployment in ws1."""
    document = export_document(build_store(seed_document()))
    document["deployments"] = [
        {**MLFLOW_PAYLOAD, "workspace": "ws1", "deployment_key": "seeded"},
        {**MLFLOW_PAYLOAD, "workspace": "ws1", "deployment_key": RETIRED_KEY, "deleted": True},
    ]
    return document


@pytest.fixture
def settings() -> MockSettings:
    from mock_server.state.fixtures import parse_document

    return MockSettings(seed=parse_document(seed_with_deployments(), source="test"))


async def keys(client: TestClient[Any, Any], token: str = "t1") -> list[str]:
    response = await client.get("/api/deployment", headers=auth(token))
    assert response.status == 200
    return [d["deployment_key"] for d in await response.json()]


async def create(client: TestClient[Any, Any], key: str, token: str = "t1") -> int:
    payload = {**MLFLOW_PAYLOAD, "deployment_key": key}
    return (await client.post("/api/deployment", json=payload, headers=auth(token))).status


async def state(client: TestClient[Any, Any]) -> dict[str, Any]:
    response = await client.get("/_mock/state")
    assert response.status == 200
    document = await response.json()
    assert isinstance(document, dict)
    return document


async def test_reset_brings_back_the_seed_and_clears_journal_and_faults(
    client: TestClient[Any, Any],
) -> None:
    before = await state(client)
    assert await create(client, "new-one") == 201
    assert (await client.delete("/api/deployment/seeded", headers=auth())).status == 204
    assert (await client.post("/_mock/faults", json={"path": "/x", "status": 500})).status == 201
    reset = await client.post("/_mock/reset")
    assert reset.status == 200
    assert (await reset.json())["message_code"] == "ok"
    assert await (await client.get("/_mock/requests")).json() == []
    assert await (await client.get("/_mock/faults")).json() == []
    assert await state(client) == before
    assert await keys(client) == ["seeded"]
    assert await create(client, RETIRED_KEY) == 409, "a seeded retired key stays retired"


async def test_reset_of_one_workspace_leaves_the_others_alone(
    client: TestClient[Any, Any],
) -> None:
    assert await create(client, "mine") == 201
    assert await create(client, "theirs", OTHER_TOKEN) == 201
    for scope in ("ws1", "ws2", None):
        rule = {"path": "/nowhere", "status": 500, **({"workspace": scope} if scope else {})}
        assert (await client.post("/_mock/faults", json=rule)).status == 201
    reset = await client.post("/_mock/reset?workspace=ws1")
    assert reset.status == 200
    journal = await (await client.get("/_mock/requests")).json()
    assert {entry["workspace"] for entry in journal} == {"ws2"}
    assert await keys(client) == ["seeded"]
    assert await keys(client, OTHER_TOKEN) == ["theirs"]
    rules = await (await client.get("/_mock/faults")).json()
    assert [rule["workspace"] for rule in rules] == ["ws2", None]
    assert [space["name"] for space in (await state(client))["workspaces"]] == [
        "ws1",
        "ws2",
        "ws-off",
    ]


async def test_reset_of_a_workspace_the_seed_lacks_removes_it(
    client: TestClient[Any, Any],
) -> None:
    document = await state(client)
    document["workspaces"].append({"name": "extra", "disabled": False})
    document["tokens"].append({"token": "t-extra", "workspace": "extra", "expires_at": None})
    assert (await client.put("/_mock/state", json=document)).status == 200
    assert (await client.post("/_mock/reset?workspace=extra")).status == 200
    names = [space["name"] for space in (await state(client))["workspaces"]]
    assert "extra" not in names
    assert (await client.get("/api/deployment", headers=auth("t-extra"))).status == 401


async def test_reset_of_an_unknown_workspace_is_a_404(client: TestClient[Any, Any]) -> None:
    await assert_error(await client.post("/_mock/reset?workspace=nope"), 404, "not_found")


async def test_state_round_trips_as_json_and_yaml(client: TestClient[Any, Any]) -> None:
    assert await create(client, "round-trip") == 201
    document = await state(client)
    assert [d["deployment_key"] for d in document["deployments"]] == [
        "seeded",
        "round-trip",
        RETIRED_KEY,
    ]
    as_yaml = await client.get("/_mock/state", headers={"Accept": "application/yaml"})
    assert as_yaml.content_type == "application/yaml"
    text = await as_yaml.text()
    assert yaml.safe_load(text) == document
    by_query = await client.get("/_mock/state?format=yaml")
    assert await by_query.text() == text
    await assert_error(await client.get("/_mock/state?format=xml"), 400, "bad_request")
    assert (await client.post("/_mock/reset")).status == 200
    put = await client.put(
        "/_mock/state", data=text.encode(), headers={"Content-Type": "application/yaml"}
    )
    assert put.status == 200, await put.text()
    assert (await put.json())["counts"] == {
        "workspaces": 3,
        "tokens": 4,
        "deployments": 2,
        "deleted_deployments": 1,
    }
    assert await state(client) == document


async def test_put_state_replaces_everything(client: TestClient[Any, Any]) -> None:
    new_state = {
        "workspaces": [{"name": "fresh"}],
        "tokens": [{"token": "t-fresh", "workspace": "fresh"}],
        "deployments": [{**MLFLOW_PAYLOAD, "workspace": "fresh"}],
    }
    replaced = await client.put("/_mock/state", json=new_state)
    assert replaced.status == 200
    assert await keys(client, "t-fresh") == [MLFLOW_PAYLOAD["deployment_key"]]
    assert (await client.get("/api/deployment", headers=auth())).status == 401
    assert (await client.post("/_mock/reset")).status == 200, "the seed is unchanged"
    assert await keys(client) == ["seeded"]


@pytest.mark.parametrize(
    ("document", "where"),
    [
        (
            {"workspaces": [{"name": "a"}], "tokens": [{"token": "x", "workspace": "b"}]},
            "tokens[0]",
        ),
        (
            {"workspaces": [{"name": "a"}], "deployments": [{"workspace": "a"}]},
            "deployments[0]",
        ),
        ({"colour": "red"}, "colour"),
        ([], "document"),
    ],
)
async def test_an_invalid_state_is_a_422_saying_where_and_changes_nothing(
    client: TestClient[Any, Any], document: Any, where: str
) -> None:
    before = await state(client)
    body = await assert_error(
        await client.put("/_mock/state", json=document), 422, "validation_error"
    )
    assert where in body["message"]
    assert any(error["field"].startswith(where) for error in body["errors"])
    assert all(set(error) == {"field", "message", "type"} for error in body["errors"])
    assert await state(client) == before


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "invalid_json"),
        (b"workspaces: [", "application/yaml", 400, "invalid_yaml"),
        (b"a: &x [1]\nb: *x\n", "application/yaml", 400, "invalid_yaml"),
        (b"\xff\xfe", "application/yaml", 400, "invalid_yaml"),
        (b"workspaces: []", "text/plain", 415, "unsupported_media_type"),
    ],
)
async def test_an_unreadable_state_body_is_refused_and_changes_nothing(
    client: TestClient[Any, Any], body: bytes, content_type: str, status: int, code: str
) -> None:
    before = await state(client)
    answer = await client.put("/_mock/state", data=body, headers={"Content-Type": content_type})
    await assert_error(answer, status, code)
    assert await state(client) == before


async def test_reset_and_put_state_are_written_to_the_state_file(
    aiohttp_client: AiohttpClient, settings: MockSettings, tmp_path: Path
) -> None:
    path = tmp_path / "state.yaml"
    client = await aiohttp_client(create_app(MockSettings(seed=settings.seed, state_file=path)))
    assert await create(client, "saved") == 201
    assert (await client.post("/_mock/reset")).status == 200
    saved = load_state_file(path)
    assert saved is not None
    assert [d.deployment_key for d in saved.deployments] == ["seeded", RETIRED_KEY]
    document = json.loads(json.dumps(await state(client)))
    document["deployments"] = []
    assert (await client.put("/_mock/state", json=document)).status == 200
    saved = load_state_file(path)
    assert saved is not None and saved.deployments == []


async def test_a_reset_that_cannot_be_saved_is_undone(
    aiohttp_client: AiohttpClient, settings: MockSettings, tmp_path: Path
) -> None:
    def full_disk(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    app = create_app(settings)
    app[STATE_FILE] = StateFile(tmp_path / "state.yaml", writer=full_disk)
    client = await aiohttp_client(app)
    assert (await client.delete("/api/deployment/seeded", headers=auth())).status == 507
    before = await state(client)
    answer = await client.post("/_mock/reset?workspace=ws1")
    assert answer.status == 507
    assert await state(client) == before
    assert (await client.post("/_mock/reset")).status == 507
    assert (await client.put("/_mock/state", json={"workspaces": []})).status == 507
    assert await state(client) == before
    assert await keys(client) == ["seeded"]


@pytest.mark.parametrize("media_type", ["application/json", "application/yaml"])
async def test_an_export_holding_the_deepest_accepted_deployment_imports_again(
    client: TestClient[Any, Any], media_type: str
) -> None:
    """A create body may nest 64 levels; in the state document it sits two levels lower."""
    deep: Any = []
    for _ in range(MAX_JSON_DEPTH - 3):  # body (1) > server_proxy_init (2) > "d" (3) > ...
        deep = [deep]
    payload = {**MLFLOW_PAYLOAD, "deployment_key": "deep", "server_proxy_init": {"d": deep}}
    created = await client.post("/api/deployment", json=payload, headers=auth("t1"))
    assert created.status == 201
    exported = await client.get("/_mock/state", params={"format": media_type.split("/")[1]})
    body = await exported.read()
    put = await client.put("/_mock/state", data=body, headers={"Content-Type": media_type})
    assert put.status == 200, await put.text()
    again = await client.get("/api/deployment/deep", headers=auth("t1"))
    assert (await again.json())[0]["server_proxy_init"] == {"d": deep}

    document = await state(client)
    document["deployments"][0]["server_proxy_init"] = {"d": [deep]}  # one level too deep
    refused = await client.put("/_mock/state", json=document)
    assert refused.status in (400, 422), "the bound moved by the wrapping levels only"
    assert await state(client) != document
