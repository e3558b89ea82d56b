"""List, get and soft delete over HTTP, and the wall between workspaces."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import DATABRICKS_PAYLOAD, MLFLOW_PAYLOAD, OTHER_TOKEN, TOKEN, auth
from tests.envelope import assert_error

COLLECTION = "/api/deployment"


def item(key: str) -> str:
    return f"{COLLECTION}/{key}"


async def create(client: TestClient[Any, Any], key: str, token: str = TOKEN) -> dict[str, Any]:
    payload = {**MLFLOW_PAYLOAD, "deployment_key": key}
    response = await client.post(COLLECTION, json=payload, headers=auth(token))
    assert response.status == 201, await response.text()
    created: dict[str, Any] = (await response.json())[0]
    return created


async def listed_keys(client: TestClient[Any, Any], token: str = TOKEN) -> list[str]:
    response = await client.get(COLLECTION, headers=auth(token))
    assert response.status == 200
    assert response.content_type == "application/json"
    return [deployment["deployment_key"] for deployment in await response.json()]


# -- list ----------------------------------------------------------------------------------


async def test_empty_workspace_lists_an_empty_array(client: TestClient[Any, Any]) -> None:
    response = await client.get(COLLECTION, headers=auth())
    assert response.status == 200
    assert response.content_type == "application/json"
    assert await response.json() == []


async def test_list_is_oldest_first_not_alphabetical(client: TestClient[Any, Any]) -> None:
    for key in ("zeta", "alpha", "Mid", "0-first-digit"):
        await create(client, key)
    assert await listed_keys(client) == ["zeta", "alpha", "Mid", "0-first-digit"]


async def test_list_holds_only_live_deployments(client: TestClient[Any, Any]) -> None:
    for key in ("a", "b", "c"):
        await create(client, key)
    assert (await client.delete(item("b"), headers=auth())).status == 204
    await create(client, "d")
    assert await listed_keys(client) == ["a", "c", "d"]


async def test_list_returns_full_deployments(client: TestClient[Any, Any]) -> None:
    await client.post(COLLECTION, json=MLFLOW_PAYLOAD, headers=auth())
    await client.post(COLLECTION, json=DATABRICKS_PAYLOAD, headers=auth())
    response = await client.get(COLLECTION, headers=auth())
    assert await response.json() == [
        {**MLFLOW_PAYLOAD, "workspace": "ws1"},
        {**DATABRICKS_PAYLOAD, "workspace": "ws1"},
    ]


# -- get -----------------------------------------------------------------------------------


async def test_get_answers_an_array_of_exactly_one(client: TestClient[Any, Any]) -> None:
    created = await create(client, "one")
    await create(client, "two")
    response = await client.get(item("one"), headers=auth())
    assert response.status == 200
    assert response.content_type == "application/json"
    assert await response.json() == [created]


@pytest.mark.parametrize(
    "key", ["unknown", "a%2Fb", "with%20space", "a" * 129, "%E2%98%83", "abc%0A"]
)
async def test_get_unknown_key_is_404(client: TestClient[Any, Any], key: str) -> None:
    await create(client, "abc")
    await assert_error(await client.get(item(key), headers=auth()), 404, "not_found")


async def test_key_lookup_is_exact(client: TestClient[Any, Any]) -> None:
    await create(client, "Key")
    await assert_error(await client.get(item("key"), headers=auth()), 404, "not_found")
    await assert_error(await client.get(item("Key."), headers=auth()), 404, "not_found")


# -- delete --------------------------------------------------------------------------------


async def test_delete_is_204_with_an_empty_body(client: TestClient[Any, Any]) -> None:
    await create(client, "gone")
    response = await client.delete(item("gone"), headers=auth())
    assert response.status == 204
    assert await response.read() == b""
    assert "Content-Type" not in response.headers


async def test_after_delete_the_key_never_works_again(client: TestClient[Any, Any]) -> None:
    await create(client, "gone")
    await create(client, "kept")
    assert (await client.delete(item("gone"), headers=auth())).status == 204
    await assert_error(await client.get(item("gone"), headers=auth()), 404, "not_found")
    await assert_error(await client.delete(item("gone"), headers=auth()), 404, "not_found")
    assert await listed_keys(client) == ["kept"]
    payload = {**DATABRICKS_PAYLOAD, "deployment_key": "gone"}
    await assert_error(await client.post(COLLECTION, json=payload, headers=auth()), 409, "conflict")
    assert (await client.get(item("kept"), headers=auth())).status == 200


async def test_delete_unknown_key_is_404(client: TestClient[Any, Any]) -> None:
    await assert_error(await client.delete(item("never"), headers=auth()), 404, "not_found")
    # ...and it did not retire the key.
    await create(client, "never")


# -- workspace isolation ------------------------------------------------------------------


async def test_other_workspace_cannot_see_or_touch_a_deployment(
    client: TestClient[Any, Any],
) -> None:
    created = await create(client, "private")
    assert created["workspace"] == "ws1"
    await assert_error(
        await client.get(item("private"), headers=auth(OTHER_TOKEN)), 404, "not_found"
    )
    await assert_error(
        await client.delete(item("private"), headers=auth(OTHER_TOKEN)), 404, "not_found"
    )
    assert await listed_keys(client, OTHER_TOKEN) == []
    # The failed delete changed nothing for the owner.
    assert (await client.get(item("private"), headers=auth())).status == 200
    assert await listed_keys(client) == ["private"]


async def test_other_workspace_answers_match_unknown_keys(client: TestClient[Any, Any]) -> None:
    """Existence does not leak: foreign, deleted and unknown keys get the same 404."""
    await create(client, "private")
    await create(client, "retired")
    assert (await client.delete(item("retired"), headers=auth())).status == 204
    answers = []
    for key, token in [("private", OTHER_TOKEN), ("retired", TOKEN), ("unknown", TOKEN)]:
        response = await client.get(item(key), headers=auth(token))
        body = await assert_error(response, 404, "not_found")
        answers.append(body["message"].replace(key, "KEY"))
    assert len(set(answers)) == 1, answers


async def test_same_key_lives_independently_in_two_workspaces(
    client: TestClient[Any, Any],
) -> None:
    mine = await create(client, "shared")
    theirs = await create(client, "shared", OTHER_TOKEN)
    assert (mine["workspace"], theirs["workspace"]) == ("ws1", "ws2")
    assert (await client.delete(item("shared"), headers=auth(OTHER_TOKEN))).status == 204
    fetched = await client.get(item("shared"), headers=auth())
    assert await fetched.json() == [mine]
    assert await listed_keys(client) == ["shared"]
    assert await listed_keys(client, OTHER_TOKEN) == []


async def test_several_tokens_share_their_workspace(
    aiohttp_client: Any,
) -> None:
    from mock_server import MockSettings, create_app
    from mock_server.state.fixtures import parse_document

    seed = parse_document(
        {
            "workspaces": [{"name": "team"}],
            "tokens": [
                {"token": "alice", "workspace": "team"},
                {"token": "bob", "workspace": "team"},
            ],
        },
        source="test",
    )
    client = await aiohttp_client(create_app(MockSettings(seed=seed)))
    await create(client, "by-alice", "alice")
    assert await listed_keys(client, "bob") == ["by-alice"]
    assert (await client.delete(item("by-alice"), headers=auth("bob"))).status == 204
    assert await listed_keys(client, "alice") == []
