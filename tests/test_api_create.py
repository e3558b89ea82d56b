"""POST /api/deployment: 201 with an array of one, keys that stay taken, and every 4xx rule."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mock_server.contract.strict_json import MAX_JSON_DEPTH
from mock_server.settings import ONE_MIB
from tests.conftest import DATABRICKS_PAYLOAD, MLFLOW_PAYLOAD, OTHER_TOKEN, auth
from tests.envelope import assert_error

COLLECTION = "/api/deployment"
JSON_HEADERS = {**auth(), "Content-Type": "application/json"}


def with_changes(**changes: Any) -> dict[str, Any]:
    """The MLflow payload with some fields replaced."""
    return {**MLFLOW_PAYLOAD, **changes}


def without(field: str) -> dict[str, Any]:
    return {name: value for name, value in MLFLOW_PAYLOAD.items() if name != field}


async def post_raw(
    client: TestClient[Any, Any], body: bytes, content_type: str | None = "application/json"
) -> Any:
    """POST bytes as they are, with this Content-Type (or none at all)."""
    headers = auth()
    if content_type is not None:
        headers["Content-Type"] = content_type
    return await client.post(
        COLLECTION, data=body, headers=headers, skip_auto_headers=["Content-Type"]
    )


# -- success -------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [MLFLOW_PAYLOAD, DATABRICKS_PAYLOAD], ids=["mlflow", "dbx"])
async def test_create_answers_201_with_exactly_the_created_deployment(
    client: TestClient[Any, Any], payload: dict[str, Any]
) -> None:
    response = await client.post(COLLECTION, json=payload, headers=auth())
    assert response.status == 201
    assert response.content_type == "application/json"
    body = await response.json()
    assert body == [{**payload, "workspace": "ws1"}]
    assert response.headers["Location"] == f"{COLLECTION}/{payload['deployment_key']}"
    fetched = await client.get(response.headers["Location"], headers=auth())
    assert await fetched.json() == body


async def test_init_values_round_trip_exactly(client: TestClient[Any, Any]) -> None:
    """Any JSON values, nested, unicode, big ints, floats, nulls and empty objects come back."""
    init = {
        "url": "http://h:1",
        "nested": {"list": [1, 2.5, None, True, {"deep": ["x"]}], "empty": {}},
        "unicode": "café \u2603 \U0001f600",
        "big": 12345678901234567890123,
        "float": 0.1,
        "negative": -3e-5,
        "null": None,
        "": "empty key",
    }
    payload = with_changes(registry_connector_init=init, server_proxy_init={})
    response = await client.post(COLLECTION, json=payload, headers=auth())
    assert response.status == 201, await response.text()
    assert (await response.json())[0]["registry_connector_init"] == init
    listed = await client.get(COLLECTION, headers=auth())
    assert (await listed.json())[0]["registry_connector_init"] == init
    assert (await listed.json())[0]["server_proxy_init"] == {}


async def test_location_is_percent_encoded_and_usable(client: TestClient[Any, Any]) -> None:
    key = "Key_1.2-3"
    response = await client.post(COLLECTION, json=with_changes(deployment_key=key), headers=auth())
    assert response.status == 201
    assert response.headers["Location"] == f"{COLLECTION}/{key}"


@pytest.mark.parametrize("key", ["a", "0", "A" + "b" * 127, "a.b_c-d", "1.0", "x--__..y"])
async def test_valid_keys_are_accepted(client: TestClient[Any, Any], key: str) -> None:
    response = await client.post(COLLECTION, json=with_changes(deployment_key=key), headers=auth())
    assert response.status == 201, await response.text()
    fetched = await client.get(f"{COLLECTION}/{key}", headers=auth())
    assert (await fetched.json())[0]["deployment_key"] == key


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "utf8"])
async def test_utf8_charset_is_accepted(client: TestClient[Any, Any], charset: str) -> None:
    body = json.dumps(MLFLOW_PAYLOAD).encode()
    response = await post_raw(client, body, f"application/json; charset={charset}")
    assert response.status == 201, await response.text()


async def test_media_type_is_case_insensitive(client: TestClient[Any, Any]) -> None:
    response = await post_raw(client, json.dumps(MLFLOW_PAYLOAD).encode(), "Application/JSON")
    assert response.status == 201, await response.text()


# -- 409 -----------------------------------------------------------------------------------


async def test_live_key_conflicts(client: TestClient[Any, Any]) -> None:
    assert (await client.post(COLLECTION, json=MLFLOW_PAYLOAD, headers=auth())).status == 201
    again = await client.post(
        COLLECTION, json=DATABRICKS_PAYLOAD | {"deployment_key": "x"}, headers=auth()
    )
    assert again.status == 201
    clash = await client.post(COLLECTION, json=MLFLOW_PAYLOAD, headers=auth())
    await assert_error(clash, 409, "conflict")
    listed = await client.get(COLLECTION, headers=auth())
    assert len(await listed.json()) == 2


async def test_deleted_key_conflicts_forever(client: TestClient[Any, Any]) -> None:
    await client.post(COLLECTION, json=MLFLOW_PAYLOAD, headers=auth())
    item = f"{COLLECTION}/{MLFLOW_PAYLOAD['deployment_key']}"
    assert (await client.delete(item, headers=auth())).status == 204
    for _ in range(2):
        clash = await client.post(COLLECTION, json=MLFLOW_PAYLOAD, headers=auth())
        await assert_error(clash, 409, "conflict")
    await assert_error(await client.get(item, headers=auth()), 404, "not_found")


async def test_same_key_is_fine_in_another_workspace(client: TestClient[Any, Any]) -> None:
    item = f"{COLLECTION}/{MLFLOW_PAYLOAD['deployment_key']}"
    assert (await client.post(COLLECTION, json=MLFLOW_PAYLOAD, headers=auth())).status == 201
    assert (await client.delete(item, headers=auth())).status == 204
    other = await client.post(COLLECTION, json=MLFLOW_PAYLOAD, headers=auth(OTHER_TOKEN))
    assert other.status == 201
    assert (await other.json())[0]["workspace"] == "ws2"


async def test_keys_differing_in_case_are_distinct(client: TestClient[Any, Any]) -> None:
    for key in ("Key", "key"):
        response = await client.post(
            COLLECTION, json=with_changes(deployment_key=key), headers=auth()
        )
        assert response.status == 201


# -- 400 -----------------------------------------------------------------------------------

INVALID_JSON_BODIES = {
    "not json": b"deployment_key=abc",
    "truncated": b'{"deployment_key": "abc"',
    "not utf-8": b'{"deployment_key": "\xff\xfe"}',
    "latin-1 text": '{"deployment_key": "caf\u00e9"}'.encode("latin-1"),
    "utf-16": json.dumps(MLFLOW_PAYLOAD).encode("utf-16"),
    "nan": json.dumps(with_changes(registry_connector_init={"x": float("nan")})).encode(),
    "infinity": b'{"a": Infinity}',
    "-infinity": b'{"a": -Infinity}',
    "float overflow": b'{"a": 1e400}',
    "huge integer": b'{"a": 1' + b"0" * 5000 + b"}",
    "duplicate keys": b'{"deployment_key": "a", "deployment_key": "b"}',
    "nested duplicate keys": b'{"registry_connector_init": {"x": 1, "x": 2}}',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "deep object nesting": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "empty": b"",
    "whitespace only": b"  \n\t ",
    "trailing garbage": json.dumps(MLFLOW_PAYLOAD).encode() + b" x",
    "two documents": b"{} {}",
    "single quotes": b"{'deployment_key': 'abc'}",
    "utf-8 encoded surrogate": b'{"a": "\xed\xa0\x80"}',
}


@pytest.mark.parametrize("body", INVALID_JSON_BODIES.values(), ids=INVALID_JSON_BODIES.keys())
async def test_undecodable_body_is_400(client: TestClient[Any, Any], body: bytes) -> None:
    response = await post_raw(client, body)
    await assert_error(response, 400, "invalid_json")
    assert (await client.get(COLLECTION, headers=auth())).status == 200


@pytest.mark.parametrize(
    "value",
    [{"x": "\ud800"}, {"x": ["ok", "a\udfffb"]}, {"\udc00": 1}],
    ids=["value", "in a list", "as a key"],
)
async def test_lone_surrogate_escape_is_400_and_leaves_no_trace(
    client: TestClient[Any, Any], value: dict[str, Any]
) -> None:
    """`"\\ud800"` is valid JSON syntax but no UTF-8 text: storing it would poison every list."""
    body = json.dumps(with_changes(registry_connector_init=value)).encode()
    await assert_error(await post_raw(client, body), 400, "invalid_json")
    listed = await client.get(COLLECTION, headers=auth())
    assert listed.status == 200
    assert await listed.json() == []


async def test_escaped_surrogate_pair_is_one_character(client: TestClient[Any, Any]) -> None:
    body = b'{"deployment_key": "k", "registry_connector_class": "a.B",'
    body += b' "registry_connector_init": {"emoji": "\\ud83d\\ude00"},'
    body += b' "server_proxy_class": "a.B", "server_proxy_init": {}}'
    response = await post_raw(client, body)
    assert response.status == 201, await response.text()
    assert (await response.json())[0]["registry_connector_init"] == {"emoji": "\U0001f600"}


def nested_init(levels: int) -> dict[str, Any]:
    """An init object making the whole payload `levels` containers deep (payload = level 1)."""
    value: Any = []
    for _ in range(levels - 3):
        value = [value]
    return {"deep": value}  # the init object is level 2, the outermost list level 3


async def test_nesting_up_to_the_limit_is_stored(client: TestClient[Any, Any]) -> None:
    init = nested_init(MAX_JSON_DEPTH)
    response = await client.post(
        COLLECTION, json=with_changes(registry_connector_init=init), headers=auth()
    )
    assert response.status == 201, await response.text()
    assert (await response.json())[0]["registry_connector_init"] == init


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 500, 950])
async def test_nesting_past_the_limit_is_400(client: TestClient[Any, Any], levels: int) -> None:
    """A fixed bound, not Python's stack: the same body gets the same answer everywhere."""
    lists = levels - 2  # below the init object (level 2); built as text, json.dumps would recurse
    init = '{"deep": ' + "[" * lists + "]" * lists + "}"
    raw = json.dumps(with_changes(registry_connector_init="INIT")).replace('"INIT"', init)
    body = await assert_error(await post_raw(client, raw.encode()), 400, "invalid_json")
    assert str(MAX_JSON_DEPTH) in body["message"]


async def test_utf8_bom_is_400(client: TestClient[Any, Any]) -> None:
    """RFC 8259 §8.1: senders must not add a BOM; strict parsing refuses it."""
    response = await post_raw(client, b"\xef\xbb\xbf" + json.dumps(MLFLOW_PAYLOAD).encode())
    await assert_error(response, 400, "invalid_json")


# -- 422 -----------------------------------------------------------------------------------


def field_errors(body: dict[str, Any]) -> dict[str, str]:
    """`errors` as {field: type}, checking each entry's shape on the way."""
    assert isinstance(body["errors"], list) and body["errors"]
    result: dict[str, str] = {}
    for error in body["errors"]:
        assert set(error) == {"field", "message", "type"}, error
        assert all(isinstance(value, str) for value in error.values()), error
        assert error["message"], error
        result[error["field"]] = error["type"]
    return result


SCHEMA_BREAKS: dict[str, tuple[Any, str]] = {
    # name: (payload, the field the errors must name)
    "missing key": (without("deployment_key"), "deployment_key"),
    "missing registry class": (without("registry_connector_class"), "registry_connector_class"),
    "missing registry init": (without("registry_connector_init"), "registry_connector_init"),
    "missing proxy class": (without("server_proxy_class"), "server_proxy_class"),
    "missing proxy init": (without("server_proxy_init"), "server_proxy_init"),
    "extra workspace": (with_changes(workspace="ws2"), "workspace"),
    "extra field": (with_changes(description="hi"), "description"),
    "extra deleted flag": (with_changes(deleted=False), "deleted"),
    "string for object": (with_changes(registry_connector_init="1"), "registry_connector_init"),
    "json text for object": (with_changes(server_proxy_init='{"a": 1}'), "server_proxy_init"),
    "list for object": (with_changes(server_proxy_init=[]), "server_proxy_init"),
    "null for object": (with_changes(server_proxy_init=None), "server_proxy_init"),
    "int for string key": (with_changes(deployment_key=1), "deployment_key"),
    "int for class": (with_changes(server_proxy_class=1), "server_proxy_class"),
    "bool for class": (with_changes(registry_connector_class=True), "registry_connector_class"),
    "null key": (with_changes(deployment_key=None), "deployment_key"),
    "empty key": (with_changes(deployment_key=""), "deployment_key"),
    "key with trailing newline": (with_changes(deployment_key="abc\n"), "deployment_key"),
    "key with leading newline": (with_changes(deployment_key="\nabc"), "deployment_key"),
    "key with space": (with_changes(deployment_key="my key"), "deployment_key"),
    "key with slash": (with_changes(deployment_key="a/b"), "deployment_key"),
    "key starting with dash": (with_changes(deployment_key="-abc"), "deployment_key"),
    "key starting with dot": (with_changes(deployment_key=".abc"), "deployment_key"),
    "key of 129 chars": (with_changes(deployment_key="a" * 129), "deployment_key"),
    "key with unicode letter": (with_changes(deployment_key="caf\u00e9"), "deployment_key"),
    "key with unicode digit": (with_changes(deployment_key="a\u0663"), "deployment_key"),
    "class not dotted": (
        with_changes(registry_connector_class="Connector"),
        "registry_connector_class",
    ),
    "class trailing dot": (with_changes(server_proxy_class="pkg.Proxy."), "server_proxy_class"),
    "class with space": (with_changes(server_proxy_class="pkg. Proxy"), "server_proxy_class"),
    "class trailing newline": (
        with_changes(server_proxy_class="pkg.Proxy\n"),
        "server_proxy_class",
    ),
    "class starting with digit": (
        with_changes(server_proxy_class="1pkg.Proxy"),
        "server_proxy_class",
    ),
    "class with dash": (with_changes(server_proxy_class="my-pkg.Proxy"), "server_proxy_class"),
}


@pytest.mark.parametrize(("payload", "field"), SCHEMA_BREAKS.values(), ids=SCHEMA_BREAKS.keys())
async def test_schema_break_is_422_naming_the_field(
    client: TestClient[Any, Any], payload: Any, field: str
) -> None:
    response = await client.post(COLLECTION, json=payload, headers=auth())
    body = await assert_error(response, 422, "validation_error")
    assert field in field_errors(body), body
    assert field in body["message"], body
    listed = await client.get(COLLECTION, headers=auth())
    assert await listed.json() == []


async def test_422_lists_every_broken_field(client: TestClient[Any, Any]) -> None:
    payload = {
        "deployment_key": "bad key",
        "registry_connector_class": "nodots",
        "registry_connector_init": "1",
        "workspace": "ws2",
    }
    body = await assert_error(
        await client.post(COLLECTION, json=payload, headers=auth()), 422, "validation_error"
    )
    assert field_errors(body) == {
        "deployment_key": "string_pattern_mismatch",
        "registry_connector_class": "string_pattern_mismatch",
        "registry_connector_init": "dict_type",
        "server_proxy_class": "missing",
        "server_proxy_init": "missing",
        "workspace": "extra_forbidden",
    }


async def test_too_long_key_reports_its_length(client: TestClient[Any, Any]) -> None:
    response = await client.post(
        COLLECTION, json=with_changes(deployment_key="a" * 129), headers=auth()
    )
    body = await assert_error(response, 422, "validation_error")
    assert field_errors(body)["deployment_key"] in {"string_too_long", "string_pattern_mismatch"}


@pytest.mark.parametrize("document", [[], [MLFLOW_PAYLOAD], "text", 1, None, True], ids=repr)
async def test_json_that_is_not_an_object_is_422(
    client: TestClient[Any, Any], document: Any
) -> None:
    response = await post_raw(client, json.dumps(document).encode())
    body = await assert_error(response, 422, "validation_error")
    assert field_errors(body) == {"": "object_type"}


async def test_422_does_not_echo_init_values(client: TestClient[Any, Any]) -> None:
    """Field errors name fields, not values: a PAT in a bad payload stays out of the answer."""
    payload = with_changes(deployment_key="bad key", server_proxy_init={"pat": "dapi-SECRET"})
    response = await client.post(COLLECTION, json=payload, headers=auth())
    assert response.status == 422
    assert "dapi-SECRET" not in await response.text()


# -- 415 -----------------------------------------------------------------------------------

UNSUPPORTED_TYPES = {
    "text/plain": "text/plain",
    "form": "application/x-www-form-urlencoded",
    "octet-stream": "application/octet-stream",
    "latin-1 charset": "application/json; charset=latin-1",
    "iso-8859-1 charset": "application/json; charset=ISO-8859-1",
    "utf-16 charset": "application/json; charset=utf-16",
    "json suffix": "application/problem+json",
    "text/json": "text/json",
    "empty": "",
}


@pytest.mark.parametrize("content_type", UNSUPPORTED_TYPES.values(), ids=UNSUPPORTED_TYPES.keys())
async def test_other_content_type_is_415(client: TestClient[Any, Any], content_type: str) -> None:
    response = await post_raw(client, json.dumps(MLFLOW_PAYLOAD).encode(), content_type)
    await assert_error(response, 415, "unsupported_media_type")


async def test_415_names_the_content_type_as_sent(client: TestClient[Any, Any]) -> None:
    sent = "application/json, text/plain"
    body = await assert_error(
        await post_raw(client, json.dumps(MLFLOW_PAYLOAD).encode(), sent),
        415,
        "unsupported_media_type",
    )
    assert repr(sent) in body["message"]


async def test_no_content_type_is_415(client: TestClient[Any, Any]) -> None:
    response = await post_raw(client, json.dumps(MLFLOW_PAYLOAD).encode(), None)
    await assert_error(response, 415, "unsupported_media_type")
    assert (await client.get(COLLECTION, headers=auth())).status == 200


async def test_415_wins_over_a_bad_body(client: TestClient[Any, Any]) -> None:
    response = await post_raw(client, b"\xff not json", "text/plain")
    await assert_error(response, 415, "unsupported_media_type")


# -- 413 -----------------------------------------------------------------------------------


def padded_payload(size: int) -> bytes:
    """A valid payload serialised to exactly `size` bytes (padding inside an init value)."""
    base = json.dumps(with_changes(server_proxy_init={"pad": ""})).encode()
    padding = size - len(base)
    assert padding >= 0
    body = json.dumps(with_changes(server_proxy_init={"pad": "x" * padding})).encode()
    assert len(body) == size
    return body


async def test_body_of_one_mib_plus_one_is_413(client: TestClient[Any, Any]) -> None:
    response = await post_raw(client, padded_payload(ONE_MIB + 1))
    await assert_error(response, 413, "payload_too_large")
    assert await (await client.get(COLLECTION, headers=auth())).json() == []


async def test_body_of_exactly_one_mib_is_accepted(client: TestClient[Any, Any]) -> None:
    body = padded_payload(ONE_MIB)
    response = await post_raw(client, body)
    assert response.status == 201, (await response.text())[:300]
    assert (await response.json())[0] == {**json.loads(body), "workspace": "ws1"}


async def test_large_chunked_body_is_413(client: TestClient[Any, Any]) -> None:
    """Without a Content-Length the limit still holds while streaming."""

    async def chunks() -> Any:
        for _ in range(20):
            yield b" " * (64 * 1024)
        yield b"{}"

    response = await client.post(
        COLLECTION,
        data=chunks(),
        headers={**auth(), "Content-Type": "application/json"},
    )
    await assert_error(response, 413, "payload_too_large")


async def test_large_body_of_garbage_is_413_not_400(client: TestClient[Any, Any]) -> None:
    response = await post_raw(client, b"\xff" * (2 * ONE_MIB))
    await assert_error(response, 413, "payload_too_large")
