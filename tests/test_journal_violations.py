"""The journal judges what clients sent: `violations` on each entry, `GET /_mock/violations`."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from mock_server.http.keys import JOURNAL
from mock_server.state.journal import JOURNAL_BODY_LIMIT, LargeBody
from tests.conftest import MLFLOW_PAYLOAD, auth


async def test_a_valid_request_has_no_violation(client: TestClient[Any, Any]) -> None:
    assert (await client.post("/api/deployment", json=MLFLOW_PAYLOAD, headers=auth())).status == 201
    [entry] = await (await client.get("/_mock/requests")).json()
    assert entry["violations"] == []
    assert entry["operation"] == "createDeployment"
    assert await (await client.get("/_mock/violations")).json() == []


async def test_each_broken_rule_of_the_client_is_named(client: TestClient[Any, Any]) -> None:
    with_workspace = {**MLFLOW_PAYLOAD, "workspace": "ws2"}
    await client.post("/api/deployment", json=with_workspace, headers=auth())
    await client.get("/api/deployment")  # no token
    await client.post(
        "/api/deployment", data=b"{}", headers={**auth(), "Content-Type": "text/plain"}
    )
    await client.get("/api/deployment", headers=auth())  # fine
    found = await (await client.get("/_mock/violations")).json()
    assert [[v["rule"] for v in entry["violations"]] for entry in found] == [
        ["client.no-workspace-field"],
        ["client.bearer-token"],
        ["client.json-content-type"],
    ]
    assert [entry["operation"] for entry in found] == [
        "createDeployment",
        "listDeployments",
        "createDeployment",
    ]
    assert found[0]["body"]["workspace"] == "ws2"  # the masked request is shown


async def test_a_body_too_large_to_keep_is_judged_then_let_go(client: TestClient[Any, Any]) -> None:
    """The journal keeps at most JOURNAL_BODY_LIMIT bytes of a body; a larger one is judged
    before it is let go, so its violations are still named."""
    blob = {"blob": "x" * (JOURNAL_BODY_LIMIT + 10)}
    big_valid = {**MLFLOW_PAYLOAD, "deployment_key": "big", "server_proxy_init": blob}
    big_bad = {**big_valid, "deployment_key": "bad", "workspace": "ws2"}
    assert (await client.post("/api/deployment", json=big_valid, headers=auth())).status == 201
    assert (await client.post("/api/deployment", json=big_bad, headers=auth())).status == 422
    entries = await (await client.get("/_mock/requests")).json()
    assert [[v["rule"] for v in entry["violations"]] for entry in entries] == [
        [],
        ["client.no-workspace-field"],
    ]
    assert all("too large to keep" in entry["body"] for entry in entries)
    kept = [entry.body for entry in client.app[JOURNAL].entries()]
    assert all(isinstance(body, LargeBody) for body in kept), "no large body is held"
