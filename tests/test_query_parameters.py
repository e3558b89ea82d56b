"""Every documented parameter, API and admin, against hostile values: a clear 4xx, never a 5xx.

The parameters are read from `openapi.yaml` and `mock_admin.yaml`, so a parameter added to a
spec is walked too; the admin API's own declaration (`admin/query.py`) must list the same ones.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote

import pytest
import yaml
from aiohttp.test_utils import TestClient
from yarl import URL

from mock_server import create_app
from mock_server.admin.query import MAX_TEXT_VALUE, QUERY_PARAMETERS
from mock_server.contract.spec import admin_spec_text, spec_document
from tests.conftest import auth
from tests.envelope import check_envelope

# (label, raw text as sent in the URL, already percent-encoded where it must be)
HOSTILE_VALUES: list[tuple[str, str]] = [
    ("5,000 digits", "9" * 5000),
    ("20,000 characters", "x" * 20_000),
    ("non-ASCII digits", quote("\u0661\u0662\u0663")),
    ("full-width digits", quote("\uff11\uff12\uff13")),
    ("negative", "-1"),
    ("signed", "%2B7"),
    ("exponent", "1e3"),
    ("spaces", "%20%201%20"),
    ("empty", ""),
    ("NUL", "a%00b"),
    ("newline", "a%0Ab"),
    ("invalid UTF-8", "%FF%FE"),
    ("lone surrogate", "%ED%A0%80"),
    ("a glob trap", "%5B" * 3000),
    ("quotes and markup", quote("\"'<script>")),
]
DISTINCT_PART = 12  # a value this long or longer must not come back in the answer


def _operations() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(spec name, method, path, operation) for every operation of both specs."""
    found = []
    for name, document in (
        ("openapi", spec_document()),
        ("admin", yaml.safe_load(admin_spec_text())),
    ):
        for path, item in document["paths"].items():
            shared = item.get("parameters", [])
            for method, operation in item.items():
                if method == "parameters":
                    continue
                operation = {**operation, "parameters": shared + operation.get("parameters", [])}
                found.append((name, method.upper(), path, operation))
    return found


def _resolved(parameter: dict[str, Any]) -> dict[str, Any]:
    reference = parameter.get("$ref")
    if reference is None:
        return parameter
    node: Any = spec_document()
    for part in reference.removeprefix("#/").split("/"):
        node = node[part]
    assert isinstance(node, dict)
    return node


def _parameters() -> list[tuple[str, str, str, str]]:
    """(method, path, location, name) of every documented parameter."""
    return [
        (method, path, parameter["in"], parameter["name"])
        for _, method, path, operation in _operations()
        for parameter in map(_resolved, operation["parameters"])
    ]


PARAMETERS = _parameters()


def test_the_specs_document_the_parameters_the_walk_covers() -> None:
    assert ("GET", "/_mock/requests", "query", "limit") in PARAMETERS
    assert ("GET", "/api/deployment/{deploymentKey}", "path", "deploymentKey") in PARAMETERS
    assert len(PARAMETERS) >= 9


def test_the_admin_api_declares_exactly_the_query_parameters_its_spec_documents() -> None:
    app = create_app()
    declared = {}
    for route in app.router.routes():
        info = route.resource.canonical if route.resource is not None else ""
        declared[(route.method, info)] = set(QUERY_PARAMETERS.get(route.name or "", {}))
    documented: dict[tuple[str, str], set[str]] = {}
    for name, method, path, operation in _operations():
        if name == "admin":
            params = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
            documented[(method, path)] = params
    assert documented, "mock_admin.yaml has operations"
    for key, params in documented.items():
        assert declared.get(key) == params, key


def _target(path: str, location: str, name: str, value: str) -> str:
    """The request target with `value` (already percent-encoded) as the parameter."""
    filled = {"deploymentKey": "some-key", "faultId": "fault-1"}
    if location == "path":
        filled[name] = value
    concrete = path.format(**filled)
    return concrete if location == "path" else f"{concrete}?{name}={value}"


async def _send(client: TestClient[Any, Any], method: str, target: str) -> tuple[int, str, str]:
    """Send the target byte for byte (no re-encoding), with a token for TANGO paths."""
    headers = auth() if target.startswith("/api/") else {}
    url = URL(str(client.make_url("")).rstrip("/") + target, encoded=True)
    async with client.session.request(method, url, headers=headers) as answer:
        return answer.status, answer.content_type, await answer.text()


@pytest.mark.parametrize(("label", "value"), HOSTILE_VALUES, ids=[v[0] for v in HOSTILE_VALUES])
@pytest.mark.parametrize(
    ("method", "path", "location", "name"),
    PARAMETERS,
    ids=[f"{m} {p} {n}" for m, p, _, n in PARAMETERS],
)
async def test_a_hostile_value_gets_a_clear_answer_that_does_not_quote_it(
    client: TestClient[Any, Any],
    method: str,
    path: str,
    location: str,
    name: str,
    label: str,
    value: str,
) -> None:
    status, content_type, text = await _send(client, method, _target(path, location, name, value))
    assert status < 500, (status, text[:300])
    if status >= 400:
        check_envelope(status, content_type, text, json.loads(text)["message_code"])
    for form in (value, unquote(value)):
        if len(form) >= DISTINCT_PART:
            assert form[:DISTINCT_PART] not in text, f"{label} is quoted back"


REFUSED = [
    ("/_mock/requests?limit=" + "9" * 5000, "limit"),
    ("/_mock/requests?limit=" + quote("\u0661\u0662"), "limit"),
    ("/_mock/requests?limit=-1", "limit"),
    ("/_mock/requests?limit=", "limit"),
    ("/_mock/requests?limit=1&limit=2", "limit"),
    ("/_mock/requests?limit=1234567890", "limit"),
    ("/_mock/requests?path=/" + "%5B" * 3000, "path"),
    ("/_mock/requests?path=/api/deployment/k%3F", "path"),
    ("/_mock/requests?path=api", "path"),
    ("/_mock/requests?path=", "path"),
    ("/_mock/requests?method=G%20ET", "method"),
    ("/_mock/requests?method=GET%0A", "method"),
    ("/_mock/requests?workspace=", "workspace"),
    ("/_mock/requests?workspace=a%00b", "workspace"),
    ("/_mock/requests?workspace=" + "w" * (MAX_TEXT_VALUE + 1), "workspace"),
    ("/_mock/requests?limt=5", "Unknown query parameter"),
    ("/_mock/state?format=xml", "format"),
    ("/_mock/state?format=", "format"),
    ("/_mock/state?format=json&format=yaml", "format"),
    ("/_mock/faults?x=1", "Unknown query parameter"),
]


@pytest.mark.parametrize(("target", "parameter"), REFUSED, ids=[t[:60] for t, _ in REFUSED])
async def test_values_a_parameter_rule_refuses_are_a_400_naming_the_parameter(
    client: TestClient[Any, Any], target: str, parameter: str
) -> None:
    status, content_type, text = await _send(client, "GET", target)
    body = check_envelope(status, content_type, text, "bad_request")
    assert status == 400
    assert parameter in body["message"]


async def test_reset_refuses_a_bad_workspace_and_does_not_quote_an_unknown_one(
    client: TestClient[Any, Any],
) -> None:
    status, content_type, text = await _send(client, "POST", "/_mock/reset?workspace=a%00b")
    check_envelope(status, content_type, text, "bad_request")
    status, content_type, text = await _send(client, "POST", "/_mock/reset?workspace=nowhere-ws")
    check_envelope(status, content_type, text, "not_found")
    assert "nowhere-ws" not in text


async def test_valid_values_still_work(client: TestClient[Any, Any]) -> None:
    assert (await client.get("/api/deployment", headers=auth())).status == 200
    listed = await client.get(
        "/_mock/requests?method=get&path=/api/*&workspace=ws1&limit=000000001"
    )
    assert listed.status == 200
    assert [entry["path"] for entry in await listed.json()] == ["/api/deployment"]
    assert (await client.get("/_mock/requests?limit=0")).status == 200
    assert await (await client.get("/_mock/requests?limit=0")).json() == []


async def test_the_api_ignores_query_parameters_it_does_not_document(
    client: TestClient[Any, Any],
) -> None:
    answer = await client.get("/api/deployment?limit=" + "9" * 5000, headers=auth())
    assert answer.status == 200
