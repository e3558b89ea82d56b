"""GET/DELETE /_mock/requests: what a client sent and got, bounded, filterable, secrets masked."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mock_server import MockSettings, create_app
from tests.conftest import (
    DATABRICKS_PAYLOAD,
    MLFLOW_PAYLOAD,
    OTHER_TOKEN,
    AiohttpClient,
    auth,
    seed_document,
)

PATS = ("dapi-secret-tracking", "dapi-secret-serving")


async def journal(client: TestClient[Any, Any], query: str = "") -> list[dict[str, Any]]:
    response = await client.get(f"/_mock/requests{query}")
    assert response.status == 200
    entries = await response.json()
    assert isinstance(entries, list)
    return entries


async def test_each_api_request_is_journaled_with_its_answer(
    client: TestClient[Any, Any],
) -> None:
    created = await client.post("/api/deployment?dry=1", json=MLFLOW_PAYLOAD, headers=auth())
    assert created.status == 201
    [entry] = await journal(client)
    assert entry["method"] == "POST"
    assert entry["path"] == "/api/deployment"
    assert entry["query"] == {"dry": "1"}
    assert entry["status"] == 201
    assert entry["workspace"] == "ws1"
    assert entry["request_id"] == created.headers["X-Request-Id"]
    assert entry["body"] == MLFLOW_PAYLOAD
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert entry["time"].endswith("Z") and entry["time"][:2] == "20"


async def test_failed_and_unknown_requests_are_journaled_too_newest_last(
    client: TestClient[Any, Any],
) -> None:
    await client.get("/api/deployment")  # no token
    await client.get("/api/nowhere", headers=auth())
    await client.post("/api/deployment", data=b"not json", headers=auth())
    entries = await journal(client)
    assert [(e["path"], e["status"], e["workspace"]) for e in entries] == [
        ("/api/deployment", 401, None),
        ("/api/nowhere", 404, None),
        ("/api/deployment", 415, "ws1"),
    ]
    assert entries[2]["body"] == "<8 bytes of application/octet-stream, not read>"


async def test_an_entry_names_the_message_code_its_client_got(
    client: TestClient[Any, Any],
) -> None:
    """What an error answered, without its body: a success or a body-less answer has none."""
    await client.post("/api/deployment", json=MLFLOW_PAYLOAD, headers=auth())
    await client.post("/api/deployment", json=MLFLOW_PAYLOAD, headers=auth())  # 409
    await client.get("/api/deployment/nope", headers=auth())
    await client.get("/api/deployment", headers=auth("unknown-token"))
    await client.post(
        "/_mock/faults",
        json={
            "path": "/api/deployment",
            "status": 418,
            "body": {"message_code": "sk-" + "x" * 20},
            "times": 1,
        },
    )
    await client.get("/api/deployment", headers=auth())
    await client.post("/_mock/faults", json={"path": "/api/deployment", "status": 500, "body": []})
    await client.get("/api/deployment", headers=auth())
    codes = [(e["status"], e["message_code"]) for e in await journal(client)]
    assert codes == [
        (201, None),
        (409, "conflict"),
        (404, "not_found"),
        (401, "unauthorized"),
        (418, "<masked: api key>"),  # an injected body is masked like any other value
        (500, None),  # not an envelope
    ]


async def test_admin_and_spec_calls_are_not_journaled(client: TestClient[Any, Any]) -> None:
    await client.get("/openapi.yaml")
    await client.get("/_mock/faults")
    await client.get("/_mock/state")
    assert await journal(client) == []


async def test_filters_by_method_path_glob_workspace_and_limit(
    client: TestClient[Any, Any],
) -> None:
    await client.post("/api/deployment", json=MLFLOW_PAYLOAD, headers=auth())
    await client.get("/api/deployment/mlflow-deployment-staging", headers=auth())
    await client.get("/api/deployment", headers=auth(OTHER_TOKEN))
    assert [e["method"] for e in await journal(client, "?method=post")] == ["POST"]
    by_glob = await journal(client, "?path=/api/deployment/*")
    assert [e["path"] for e in by_glob] == ["/api/deployment/mlflow-deployment-staging"]
    exact = await journal(client, "?path=/api/deployment")
    assert [e["method"] for e in exact] == ["POST", "GET"]
    assert [e["workspace"] for e in await journal(client, "?workspace=ws2")] == ["ws2"]
    newest = await journal(client, "?limit=1")
    assert [e["workspace"] for e in newest] == ["ws2"]
    assert await journal(client, "?limit=0") == []
    assert (await client.get("/_mock/requests?limit=-1")).status == 400


async def test_the_journal_is_bounded_by_journal_size(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(create_app(MockSettings(seed=seed_document(), journal_size=3)))
    for number in range(5):
        await client.get(f"/api/deployment/key-{number}", headers=auth())
    assert [e["path"] for e in await journal(client)] == [
        "/api/deployment/key-2",
        "/api/deployment/key-3",
        "/api/deployment/key-4",
    ]


async def test_delete_empties_the_journal(client: TestClient[Any, Any]) -> None:
    await client.get("/api/deployment", headers=auth())
    deleted = await client.delete("/_mock/requests")
    assert deleted.status == 204
    assert await journal(client) == []


async def test_databricks_pats_never_reach_the_journal_or_the_logs(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = {**auth(), "X-Request-Id": "pat-check"}
    created = await client.post(
        "/api/deployment?access_token=query-secret", json=DATABRICKS_PAYLOAD, headers=headers
    )
    assert created.status == 201
    await client.post("/api/deployment", json=DATABRICKS_PAYLOAD, headers=auth())  # 409
    response = await client.get("/_mock/requests")
    text = await response.text()
    for secret in (*PATS, "query-secret", "Bearer t1"):
        assert secret not in text
        assert secret not in caplog.text
    first = (await response.json())[0]
    assert first["body"]["registry_connector_init"]["tracking_server_pat"] == "***"
    assert first["body"]["server_proxy_init"]["server_proxy_pat"] == "***"
    assert first["query"] == {"access_token": "***"}
    access_lines = [r.getMessage() for r in caplog.records if r.name == "mock_server.access"]
    assert any("POST /api/deployment 201" in line and "pat-check" in line for line in access_lines)


async def test_a_faulted_request_still_shows_what_the_client_sent(
    client: TestClient[Any, Any],
) -> None:
    answered = await client.post(
        "/api/deployment", json=DATABRICKS_PAYLOAD, headers={**auth(), "Prefer": "code=503"}
    )
    assert answered.status == 503
    [entry] = await journal(client)
    assert entry["status"] == 503
    assert entry["body"]["deployment_key"] == DATABRICKS_PAYLOAD["deployment_key"]
    assert entry["body"]["server_proxy_init"]["server_proxy_pat"] == "***"


async def test_a_body_with_text_utf8_cannot_encode_does_not_break_the_journal(
    client: TestClient[Any, Any],
) -> None:
    raw = b'{"deployment_key": "\\ud800"}'
    sent = await client.post(
        "/api/deployment", data=raw, headers={**auth(), "Content-Type": "application/json"}
    )
    assert sent.status == 400
    [entry] = await journal(client)
    assert entry["status"] == 400
    assert entry["body"] == {"deployment_key": "\ud800"}


async def test_a_body_nested_too_deeply_is_summarised_not_a_500(
    client: TestClient[Any, Any],
) -> None:
    deep = b"[" * 900 + b"]" * 900
    sent = await client.post(
        "/api/deployment", data=deep, headers={**auth(), "Content-Type": "application/json"}
    )
    assert sent.status == 400
    [entry] = await journal(client)
    assert entry["body"] == "<1800 bytes of JSON nested too deeply to show>"
