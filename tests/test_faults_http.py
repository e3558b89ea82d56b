"""Fault injection over HTTP: admin rules (/_mock/faults) and the per-request Prefer header."""

from __future__ import annotations

import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mock_server import MockSettings, create_app
from mock_server.http.keys import FAULTS
from tests.conftest import MLFLOW_PAYLOAD, OTHER_TOKEN, AiohttpClient, auth, seed_document
from tests.envelope import assert_error

SPEC_NOT_FOUND = "No deployment with this key exists in this workspace."


async def add_rule(client: TestClient[Any, Any], **rule: Any) -> dict[str, Any]:
    response = await client.post("/_mock/faults", json=rule)
    assert response.status == 201, await response.text()
    stored = await response.json()
    assert isinstance(stored, dict)
    assert response.headers["Location"] == f"/_mock/faults/{stored['id']}"
    return stored


async def test_a_rule_answers_its_status_with_the_generic_envelope_then_expires(
    client: TestClient[Any, Any],
) -> None:
    rule = await add_rule(client, method="GET", path="/api/deployment*", status=502, times=2)
    assert rule["times"] == 2 and rule["hits"] == 0 and rule["id"]
    for _ in range(2):
        faulted = await client.get("/api/deployment", headers=auth())
        body = await assert_error(faulted, 502, "bad_gateway")  # a status the spec lacks
        assert "fault" in body["message"]
        assert faulted.headers["X-Mock-Fault"] == rule["id"]
    assert (await client.get("/api/deployment", headers=auth())).status == 200
    assert await (await client.get("/_mock/faults")).json() == []


async def test_a_status_the_spec_documents_answers_the_spec_example(
    client: TestClient[Any, Any],
) -> None:
    await add_rule(client, path="/api/deployment/*", status=404)
    faulted = await client.get("/api/deployment/anything", headers=auth())
    body = await assert_error(faulted, 404, "not_found")
    assert body["message"] == SPEC_NOT_FOUND


async def test_an_injected_401_keeps_the_bearer_challenge(client: TestClient[Any, Any]) -> None:
    await add_rule(client, path="/api/deployment", status=401)
    faulted = await client.get("/api/deployment", headers=auth())
    await assert_error(faulted, 401, "unauthorized")
    assert faulted.headers["WWW-Authenticate"].lower().startswith("bearer")


async def test_a_custom_body_is_answered_as_given(client: TestClient[Any, Any]) -> None:
    await add_rule(client, path="/api/deployment", status=200, body=[{"not": "a deployment"}])
    await add_rule(client, path="/api/deployment/*", status=204)
    faulted = await client.get("/api/deployment", headers=auth())
    assert faulted.status == 200 and await faulted.json() == [{"not": "a deployment"}]
    empty = await client.get("/api/deployment/x", headers=auth())
    assert empty.status == 204 and await empty.read() == b""


async def test_a_rule_can_target_one_method_and_one_workspace(
    client: TestClient[Any, Any],
) -> None:
    await add_rule(client, method="post", path="/api/deployment", status=500, workspace="ws2")
    mine = await client.post("/api/deployment", json=MLFLOW_PAYLOAD, headers=auth())
    assert mine.status == 201
    assert (await client.get("/api/deployment", headers=auth(OTHER_TOKEN))).status == 200
    theirs = await client.post("/api/deployment", json=MLFLOW_PAYLOAD, headers=auth(OTHER_TOKEN))
    await assert_error(theirs, 500, "internal_error")
    listed = await client.get("/api/deployment", headers=auth(OTHER_TOKEN))
    assert await listed.json() == [], "a faulted create must not be stored"


async def test_faults_come_after_authentication(client: TestClient[Any, Any]) -> None:
    await add_rule(client, path="/api/deployment", status=503)
    assert (await client.get("/api/deployment")).status == 401
    assert (await client.get("/api/deployment", headers=auth())).status == 503


async def test_a_delay_only_rule_slows_the_real_answer(client: TestClient[Any, Any]) -> None:
    await add_rule(client, path="/api/deployment", delay_ms=150, times=1)
    started = time.monotonic()
    delayed = await client.get("/api/deployment", headers=auth())
    assert delayed.status == 200
    assert time.monotonic() - started >= 0.14
    [entry] = await (await client.get("/_mock/requests")).json()
    assert entry["duration_ms"] >= 140


async def test_probability_with_a_seed_gives_a_repeatable_pattern(
    client: TestClient[Any, Any],
) -> None:
    async def pattern() -> list[int]:
        await client.delete("/_mock/faults")
        await add_rule(client, path="/api/deployment", status=503, probability=0.5, seed=11)
        return [(await client.get("/api/deployment", headers=auth())).status for _ in range(20)]

    first = await pattern()
    assert first == await pattern()
    assert set(first) == {200, 503}


async def test_list_delete_one_and_clear(client: TestClient[Any, Any]) -> None:
    one = await add_rule(client, path="/a", status=500)
    two = await add_rule(client, path="/b", delay_ms=1)
    assert [r["id"] for r in await (await client.get("/_mock/faults")).json()] == [
        one["id"],
        two["id"],
    ]
    assert (await client.delete(f"/_mock/faults/{one['id']}")).status == 204
    await assert_error(await client.delete(f"/_mock/faults/{one['id']}"), 404, "not_found")
    assert (await client.delete("/_mock/faults")).status == 204
    assert await (await client.get("/_mock/faults")).json() == []


@pytest.mark.parametrize(
    "rule",
    [
        {"path": "/api/deployment"},
        {"path": "/api/deployment", "status": 42},
        {"status": 503},
        {"path": "/api/deployment", "status": 503, "times": 0},
        {"path": "/api/deployment", "delay_ms": 60_001},
        {"path": "/api/deployment", "status": 503, "probability": 2},
        {"path": "/api/deployment", "status": 503, "colour": "red"},
        [],
    ],
)
async def test_an_invalid_rule_is_a_422_listing_the_fields(
    client: TestClient[Any, Any], rule: Any
) -> None:
    body = await assert_error(
        await client.post("/_mock/faults", json=rule), 422, "validation_error"
    )
    assert body["errors"] and all("field" in e and "message" in e for e in body["errors"])
    assert await (await client.get("/_mock/faults")).json() == []


async def test_a_rule_that_is_not_json_is_a_400(client: TestClient[Any, Any]) -> None:
    sent = await client.post(
        "/_mock/faults", data=b"{oops", headers={"Content-Type": "application/json"}
    )
    await assert_error(sent, 400, "invalid_json")


# -- Prefer ------------------------------------------------------------------------------------


async def test_prefer_code_answers_that_status_with_the_spec_example(
    client: TestClient[Any, Any],
) -> None:
    conflict = await client.post(
        "/api/deployment", json=MLFLOW_PAYLOAD, headers={**auth(), "Prefer": "code=409"}
    )
    body = await assert_error(conflict, 409, "conflict")
    assert body["message"] == "The deployment key is already used in this workspace."
    assert conflict.headers["X-Mock-Fault"] == "prefer"
    listed = await client.get("/api/deployment", headers=auth())
    assert await listed.json() == [], "the create did not happen"


async def test_prefer_code_and_delay_combine(client: TestClient[Any, Any]) -> None:
    started = time.monotonic()
    answer = await client.get(
        "/api/deployment", headers={**auth(), "Prefer": "code=503, delay=120"}
    )
    assert answer.status == 503
    body = await answer.json()
    assert set(body) == {"message", "message_code"}  # the spec's 503 example
    assert time.monotonic() - started >= 0.11


async def test_prefer_delay_alone_delays_the_real_answer(client: TestClient[Any, Any]) -> None:
    started = time.monotonic()
    answer = await client.get("/api/deployment", headers={**auth(), "Prefer": "delay=100"})
    assert answer.status == 200 and await answer.json() == []
    assert time.monotonic() - started >= 0.09


async def test_prefer_wins_over_rules_and_consumes_none(client: TestClient[Any, Any]) -> None:
    rule = await add_rule(client, path="/api/deployment", status=500, times=1)
    preferred = await client.get("/api/deployment", headers={**auth(), "Prefer": "code=502"})
    assert preferred.status == 502
    [still] = await (await client.get("/_mock/faults")).json()
    assert still["id"] == rule["id"] and still["times"] == 1


@pytest.mark.parametrize("prefer", ["code=200", "code=abc", "delay=60001", "delay=-1"])
async def test_invalid_prefer_values_are_a_400(client: TestClient[Any, Any], prefer: str) -> None:
    answer = await client.get("/api/deployment", headers={**auth(), "Prefer": prefer})
    await assert_error(answer, 400, "invalid_prefer")


async def test_other_preferences_are_ignored(client: TestClient[Any, Any]) -> None:
    answer = await client.get("/api/deployment", headers={**auth(), "Prefer": "return=minimal"})
    assert answer.status == 200


async def test_admin_and_spec_paths_are_never_faulted(client: TestClient[Any, Any]) -> None:
    await add_rule(client, path="*", status=503)
    assert (await client.get("/openapi.json")).status == 200
    assert (await client.get("/_mock/faults", headers={"Prefer": "code=500"})).status == 200
    assert (await client.get("/api/deployment", headers=auth())).status == 503


async def test_the_number_of_rules_is_bounded(aiohttp_client: AiohttpClient) -> None:
    app = create_app(MockSettings(seed=seed_document()))
    app[FAULTS].max_rules = 3
    client = await aiohttp_client(app)
    for _ in range(3):
        await add_rule(client, path="/nowhere", delay_ms=1)
    refused = await client.post("/_mock/faults", json={"path": "/x", "status": 500})
    body = await assert_error(refused, 422, "validation_error")
    assert "at most 3" in body["message"]
    assert len(await (await client.get("/_mock/faults")).json()) == 3
