"""The proxy's pure checks: the documented codes are openapi.yaml's, and each side is judged
by what it alone controls."""

from __future__ import annotations

import json

from mock_server.contract.rule_ids import rule
from mock_server.contract.traffic import (
    Exchange,
    Headers,
    documented_codes,
    request_violations,
    response_violations,
)
from mock_server.proxy.tracker import Tracker

GOOD = {
    "deployment_key": "k",
    "registry_connector_class": "a.B",
    "registry_connector_init": {},
    "server_proxy_class": "a.C",
    "server_proxy_init": {},
}
JSON = [("Content-Type", "application/json")]
AUTH = [("Authorization", "Bearer t1")]


def exchange(method: str, path: str, status: int, body: object = None, **kw: object) -> Exchange:
    request_body = kw.get("request_body", b"")
    assert isinstance(request_body, bytes)
    return Exchange(
        method,
        path,
        Headers(kw.get("request_headers", AUTH + JSON)),  # type: ignore[arg-type]
        request_body,
        status,
        Headers(kw.get("response_headers", JSON)),  # type: ignore[arg-type]
        b"" if body is None else json.dumps(body).encode(),
    )


def test_documented_codes_are_the_specs() -> None:
    codes = documented_codes()
    operations = {"createDeployment", "listDeployments", "getDeployment", "deleteDeployment"}
    assert set(codes) == operations
    assert {201, 409, 422} <= codes["createDeployment"] and 404 in codes["getDeployment"]
    assert 200 not in codes["createDeployment"]


def test_every_rule_id_used_is_registered() -> None:
    for rule_id in ("client.valid-payload", "proxy.upstream-unreachable", "errors.envelope"):
        assert rule(rule_id).statement


def test_request_side() -> None:
    good = json.dumps(GOOD).encode()
    assert request_violations(exchange("POST", "/api/deployment", 201, request_body=good)) == []
    bad = json.dumps({**GOOD, "deployment_key": "-x", "extra": 1}).encode()
    found = request_violations(
        exchange("POST", "/api/deployment", 422, request_body=bad, request_headers=[])
    )
    assert [rule_id for rule_id, _ in found] == [
        "client.bearer-token",
        "client.json-content-type",
        "client.valid-payload",
    ]
    assert request_violations(exchange("PATCH", "/api/deployment/k", 405))[0][0] == (
        "client.known-operation"
    )


def test_response_side() -> None:
    deployment = {**GOOD, "workspace": "ws1"}
    assert response_violations(exchange("GET", "/api/deployment/k", 200, [deployment])) == []
    assert [r for r, _ in response_violations(exchange("GET", "/api/deployment/k", 200, GOOD))] == [
        "get.array-of-one"
    ]
    assert [r for r, _ in response_violations(exchange("GET", "/api/deployment", 200, [GOOD]))] == [
        "roundtrip.workspace-of-token"
    ]
    unchallenged = exchange("GET", "/api/deployment", 401, {"message": "m", "message_code": "c"})
    assert [r for r, _ in response_violations(unchallenged)] == ["auth.challenge-bearer"]
    assert [r for r, _ in response_violations(exchange("DELETE", "/api/deployment/k", 200))] == [
        "schema.status-code-documented"
    ]


def test_the_tracker_never_keeps_a_token() -> None:
    tracker = Tracker()
    token = "tok-never-kept-0123456789"
    created = exchange(
        "POST",
        "/api/deployment",
        201,
        [{**GOOD, "workspace": "w"}],
        request_body=json.dumps(GOOD).encode(),
        request_headers=[("Authorization", f"Bearer {token}"), *JSON],
    )
    tracker.judge(created)
    assert tracker._created  # it did remember the create
    assert token not in repr(vars(tracker))
