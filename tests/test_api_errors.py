"""Routing errors, unexpected faults and the served contract: always the JSON envelope."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from mock_server.contract.spec import spec_path
from mock_server.http.keys import STORE
from tests.conftest import MLFLOW_PAYLOAD, auth
from tests.envelope import assert_error

COLLECTION = "/api/deployment"
ITEM = "/api/deployment/some-key"


def allowed(response: Any) -> set[str]:
    return {method.strip() for method in response.headers["Allow"].split(",")}


@pytest.mark.parametrize(
    ("method", "path", "expected_allow"),
    [
        ("PATCH", COLLECTION, {"GET", "POST"}),
        ("PUT", COLLECTION, {"GET", "POST"}),
        ("DELETE", COLLECTION, {"GET", "POST"}),
        ("OPTIONS", COLLECTION, {"GET", "POST"}),
        ("PATCH", ITEM, {"GET", "DELETE"}),
        ("PUT", ITEM, {"GET", "DELETE"}),
        ("POST", ITEM, {"GET", "DELETE"}),
        ("POST", "/openapi.yaml", {"GET"}),
        ("DELETE", "/openapi.json", {"GET"}),
    ],
)
async def test_wrong_method_is_405_with_allow(
    client: TestClient[Any, Any], method: str, path: str, expected_allow: set[str]
) -> None:
    response = await client.request(method, path, headers=auth(), json=MLFLOW_PAYLOAD)
    body = await assert_error(response, 405, "method_not_allowed")
    assert allowed(response) == expected_allow
    assert method in body["message"]


@pytest.mark.parametrize("path", [COLLECTION, ITEM, "/openapi.yaml"])
async def test_head_is_not_implied_by_get(client: TestClient[Any, Any], path: str) -> None:
    response = await client.head(path, headers=auth())
    assert response.status == 405
    assert "HEAD" not in allowed(response)
    assert "GET" in allowed(response)
    assert response.content_type == "application/json"


async def test_put_does_not_create(client: TestClient[Any, Any]) -> None:
    await client.put(ITEM, json=MLFLOW_PAYLOAD, headers=auth())
    assert await (await client.get(COLLECTION, headers=auth())).json() == []


@pytest.mark.parametrize(
    "path",
    [
        "/api",
        "/api/",
        "/api/deployments",
        "/api/deployment/",
        "/api/deployment/a/b",
        "/api/deployment/a/",
        "/API/deployment",
        "/api/deployment.json",
        "/openapi.yml",
        "/_nothing_here",
    ],
)
@pytest.mark.parametrize("headers", [auth(), {}], ids=["with token", "without token"])
async def test_unknown_path_is_404(
    client: TestClient[Any, Any], path: str, headers: dict[str, str]
) -> None:
    response = await client.get(path, headers=headers)
    await assert_error(response, 404, "not_found")


async def test_404_message_does_not_reflect_markup(client: TestClient[Any, Any]) -> None:
    """The body is JSON, so a path with markup in it stays inert data."""
    response = await client.get("/<script>alert(1)</script>", headers=auth())
    await assert_error(response, 404, "not_found")


# -- unexpected exceptions ----------------------------------------------------------------

SECRET_DETAIL = "database password is hunter2 at /srv/secret.py"


def explode(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(SECRET_DETAIL)


@pytest.mark.parametrize(
    ("store_method", "method", "path", "body"),
    [
        ("list_json", "GET", COLLECTION, None),
        ("get", "GET", ITEM, None),
        ("create", "POST", COLLECTION, MLFLOW_PAYLOAD),
        ("delete", "DELETE", ITEM, None),
        ("grant_for", "GET", COLLECTION, None),
    ],
)
async def test_unexpected_exception_is_a_logged_500_without_details(
    client: TestClient[Any, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    store_method: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    store = client.app[STORE]
    monkeypatch.setattr(store, store_method, explode)
    with caplog.at_level(logging.ERROR, logger="mock_server"):
        response = await client.request(method, path, json=body, headers=auth())
    error = await assert_error(response, 500, "internal_error")
    text = await response.text()
    assert "hunter2" not in text and "RuntimeError" not in text and ".py" not in text
    assert error["message"] == "The server hit an unexpected error."
    # The operator, not the client, gets the details.
    assert any(
        record.exc_info and SECRET_DETAIL in str(record.exc_info[1]) for record in caplog.records
    )


async def test_server_keeps_serving_after_a_500(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = client.app[STORE]
    with monkeypatch.context() as patch:
        patch.setattr(store, "list_json", explode)
        assert (await client.get(COLLECTION, headers=auth())).status == 500
    assert (await client.post(COLLECTION, json=MLFLOW_PAYLOAD, headers=auth())).status == 201
    assert len(await (await client.get(COLLECTION, headers=auth())).json()) == 1


# -- the served contract ------------------------------------------------------------------


async def test_openapi_yaml_is_served_without_a_token(client: TestClient[Any, Any]) -> None:
    response = await client.get("/openapi.yaml")
    assert response.status == 200
    assert response.content_type == "application/yaml"
    assert await response.text() == spec_path().read_text(encoding="utf-8")


async def test_openapi_json_is_the_same_document(client: TestClient[Any, Any]) -> None:
    response = await client.get("/openapi.json")
    assert response.status == 200
    assert response.content_type == "application/json"
    expected = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
    assert await response.json() == expected
    assert expected["openapi"].startswith("3.")


async def test_openapi_ignores_a_bad_token(client: TestClient[Any, Any]) -> None:
    response = await client.get("/openapi.json", headers=auth("no-such-token"))
    assert response.status == 200
