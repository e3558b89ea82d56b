"""The shortcuts keep every answer and every rule exactly as the plain way would.

Each shortcut (JSON encoded once per deployment, JSON fixtures read by the json module, the
cheap proof from a body's text that its walk would find nothing) is checked against what it
skips, including the inputs that must still take the long way.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from mock_server.contract.errors import InvalidJson
from mock_server.contract.models import DeploymentPayload
from mock_server.contract.strict_json import MAX_JSON_DEPTH, decode_json
from mock_server.http.responses import dump_json
from mock_server.state.fixtures import (
    build_store,
    export_document,
    parse_document,
    parse_yaml,
)
from mock_server.state.store import StoredDeployment
from tests.conftest import MLFLOW_PAYLOAD, auth


def payload(key: str, **changes: Any) -> dict[str, Any]:
    return {**MLFLOW_PAYLOAD, "deployment_key": key, **changes}


UNUSUAL_INIT = {"café": "naïve ☃", "n": [1, 2.5, -0.0, 1e300, None, True], "deep": {"a": {}}}


def record(workspace: str, key: str, **changes: Any) -> StoredDeployment:
    return StoredDeployment(workspace, DeploymentPayload(**payload(key, **changes)))


def test_cached_json_is_the_encoding_of_to_api() -> None:
    record = StoredDeployment(
        "ws1", DeploymentPayload(**payload("k", server_proxy_init=UNUSUAL_INIT))
    )
    encoded = record.api_json()
    assert encoded == dump_json(record.to_api())
    assert json.loads(encoded) == record.to_api()
    assert record.api_json() is encoded  # made once


async def test_get_list_and_create_bodies_are_byte_identical_to_encoding_the_records(
    client: TestClient[Any, Any],
) -> None:
    created = await client.post(
        "/api/deployment", json=payload("one", registry_connector_init=UNUSUAL_INIT), headers=auth()
    )
    await client.post("/api/deployment", json=payload("two"), headers=auth())
    listed = await client.get("/api/deployment", headers=auth())
    fetched = await client.get("/api/deployment/one", headers=auth())
    records = [
        record("ws1", "one", registry_connector_init=UNUSUAL_INIT),
        record("ws1", "two"),
    ]
    assert await created.read() == dump_json([records[0].to_api()])
    assert await fetched.read() == dump_json([records[0].to_api()])
    assert await listed.read() == dump_json([r.to_api() for r in records])
    for answer in (created, listed, fetched):
        assert answer.headers["Content-Type"] == "application/json; charset=utf-8"


async def test_an_empty_list_is_an_empty_array(client: TestClient[Any, Any]) -> None:
    answer = await client.get("/api/deployment", headers=auth())
    assert await answer.read() == b"[]"


@pytest.mark.parametrize(
    "text",
    [
        '{"x": "a\\\\ud800"}',  # an escaped backslash, then "ud800": no surrogate at all
        '{"x": "' + "[{" * MAX_JSON_DEPTH + '"}',  # many brackets, all inside a string
        '{"x": [[[1]]], "y": "\\u00e9"}',  # a \\u escape that is not a surrogate
    ],
)
async def test_bodies_that_only_look_suspicious_are_accepted(
    client: TestClient[Any, Any], text: str
) -> None:
    body = json.dumps(payload("k", server_proxy_init=json.loads(text)))
    answer = await client.post(
        "/api/deployment", data=body, headers={**auth(), "Content-Type": "application/json"}
    )
    assert answer.status == 201, await answer.text()
    [stored] = await answer.json()
    assert stored["server_proxy_init"] == json.loads(text)


@pytest.mark.parametrize(
    "init_text",
    ['{"x": "\\ud800"}', "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)],
)
async def test_lone_surrogates_and_deep_nesting_are_still_400(
    client: TestClient[Any, Any], init_text: str
) -> None:
    body = json.dumps(payload("k")).replace('"server_proxy_init": {', f'"x": {init_text}, "y": {{')
    answer = await client.post(
        "/api/deployment", data=body, headers={**auth(), "Content-Type": "application/json"}
    )
    assert answer.status == 400
    assert (await answer.json())["message_code"] == "invalid_json"


def test_a_utf8_bom_is_named_as_json_loads_names_it() -> None:
    with pytest.raises(InvalidJson, match="Unexpected UTF-8 BOM"):
        decode_json("\ufeff{}".encode())


def fixture_text(**extra: Any) -> str:
    document = {
        "workspaces": [{"name": "ws"}],
        "tokens": [{"token": "tok", "workspace": "ws", "expires_at": "2030-01-01T00:00:00Z"}],
        "deployments": [
            {"workspace": "ws", **payload("a", server_proxy_init=UNUSUAL_INIT)},
            {"workspace": "ws", **payload("b"), "deleted": True},
        ],
        **extra,
    }
    return json.dumps(document, ensure_ascii=False)


@pytest.mark.parametrize("text", [fixture_text(), "  \n" + fixture_text()])
def test_json_fixtures_are_read_as_json(text: str) -> None:
    """JSON semantics: 1e+300 is a number (PyYAML's YAML 1.1 reads it as a string)."""
    assert parse_yaml(text, source="f") == json.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        "{workspaces: [{name: ws}], tokens: [], deployments: []}",  # YAML flow style
        '{"workspaces": [{"name": "ws", "disabled": NaN}]}',  # not JSON
        "workspaces: []\n",
    ],
)
def test_anything_else_is_still_read_as_yaml(text: str) -> None:
    assert parse_yaml(text, source="f") == yaml.safe_load(text)


def test_an_exported_state_with_exponents_round_trips_through_a_json_fixture() -> None:
    document = parse_document(json.loads(fixture_text()), source="f")
    exported = json.dumps(export_document(build_store(document)))
    reloaded = parse_document(parse_yaml(exported, source="state.json"), source="state.json")
    assert reloaded.deployments[0].server_proxy_init == UNUSUAL_INIT
