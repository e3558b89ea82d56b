"""Bad create requests get the documented 4xx (never a 5xx) and store nothing.

Not JSON: 400. JSON that breaks the DeploymentPayload schema: 422. Not application/json:
415. Over 1 MiB: 413. Each answer must be the error envelope.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from contract_tests.support.client import TangoClient
from contract_tests.support.expect import expect_status
from contract_tests.support.keys import MAX_KEY_LENGTH, is_valid_key
from contract_tests.support.payloads import payload
from contract_tests.support.run import ContractRun

ONE_MIB = 1024 * 1024


def _valid_body(run: ContractRun) -> bytes:
    return json.dumps(payload(run.keys.new("bad-json"))).encode()


NOT_JSON: dict[str, Callable[[ContractRun], bytes]] = {
    "an empty body": lambda run: b"",
    "a truncated object": lambda run: _valid_body(run)[:-1],
    "plain text": lambda run: b"deployment_key=abc",
    "bytes that are not UTF-8": lambda run: _valid_body(run).replace(b"bad-json", b"bad-\xff\xfe"),
    "NaN as a value": lambda run: _valid_body(run)[:-1] + b', "x": NaN}',
    "a duplicated key": lambda run: _valid_body(run)[:-1] + b', "server_proxy_init": {}}',
    "100000 nested arrays": lambda run: b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("problem", list(NOT_JSON))
def test_a_body_that_is_not_json_answers_400(
    run: ContractRun, client: TangoClient, problem: str
) -> None:
    body = NOT_JSON[problem](run)
    expect_status(client.create_raw(body), 400, f"a body with {problem}", rule="input.not-json-400")


def _without(field: str) -> Callable[[dict[str, Any]], Any]:
    return lambda sent: {name: value for name, value in sent.items() if name != field}


def _with(field: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda sent: {**sent, field: value}


def _key(make: Callable[[str], str]) -> Callable[[dict[str, Any]], Any]:
    return lambda sent: {**sent, "deployment_key": make(sent["deployment_key"])}


SCHEMA_VIOLATIONS: dict[str, Callable[[dict[str, Any]], Any]] = {
    **{
        f"no {field}": _without(field)
        for field in (
            "deployment_key",
            "registry_connector_class",
            "registry_connector_init",
            "server_proxy_class",
            "server_proxy_init",
        )
    },
    "an extra 'workspace' field": _with("workspace", "someone-elses-workspace"),
    "an unknown extra field": _with("owner", "me"),
    "a number as deployment_key": _with("deployment_key", 12345),
    "null as deployment_key": _with("deployment_key", None),
    "a string as registry_connector_init": _with("registry_connector_init", "url=http://x"),
    "an array as server_proxy_init": _with("server_proxy_init", [1, 2]),
    "a number as server_proxy_class": _with("server_proxy_class", 42),
    "a class without a module": _with("registry_connector_class", "ConnectorWithoutModule"),
    "a class path starting with a digit": _with("server_proxy_class", "1module.Proxy"),
    "an empty deployment_key": _with("deployment_key", ""),
    "a key with a space": _key(lambda key: f"{key} x"),
    "a key with a slash": _key(lambda key: f"{key}/x"),
    "a key starting with a dash": _key(lambda key: f"-{key}"),
    "a key ending in a newline": _key(lambda key: f"{key}\n"),
    "a key of 129 characters": _key(lambda key: (key + "x" * MAX_KEY_LENGTH)[: MAX_KEY_LENGTH + 1]),
    "a key with non-ASCII letters": _key(lambda key: f"{key}-ключ"),
    "an array instead of an object": lambda sent: [sent],
    "a string instead of an object": lambda sent: "deployment",
    "null instead of an object": lambda sent: None,
}


@pytest.mark.parametrize("problem", list(SCHEMA_VIOLATIONS))
def test_json_that_breaks_the_schema_answers_422_and_stores_nothing(
    client: TangoClient, new_key: Callable[[str], str], problem: str
) -> None:
    sent = payload(new_key("invalid"))
    body = SCHEMA_VIOLATIONS[problem](sent)
    expect_status(client.create(body), 422, f"a payload with {problem}", rule="input.schema-422")
    key = body.get("deployment_key") if isinstance(body, dict) else None
    if isinstance(key, str) and is_valid_key(key):
        expect_status(
            client.get(key),
            404,
            f"getting the key of a refused payload ({problem})",
            rule="input.refused-stores-nothing",
        )


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/xml"],
    ids=["none", "text-plain", "form", "xml"],
)
def test_a_body_not_sent_as_json_answers_415(
    client: TangoClient, new_key: Callable[[str], str], content_type: str | None
) -> None:
    sent = payload(new_key("media-type"))
    shown = content_type or "no Content-Type"
    expect_status(
        client.create(sent, content_type=content_type),
        415,
        f"a create sent as {shown}",
        rule="input.media-type-415",
    )
    expect_status(
        client.get(sent["deployment_key"]),
        404,
        f"getting a refused create ({shown})",
        rule="input.refused-stores-nothing",
    )


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_one_mib_answers_413(
    client: TangoClient, new_key: Callable[[str], str], chunked: bool
) -> None:
    sent = payload(new_key("too-large"))
    sent["registry_connector_init"]["padding"] = "x" * (ONE_MIB + 1024)
    body = json.dumps(sent).encode()
    how = "streamed without a length" if chunked else "with its Content-Length"
    expect_status(
        client.create_raw(body, chunked=chunked),
        413,
        f"a body over 1 MiB {how}",
        rule="input.too-large-413",
    )
    expect_status(
        client.get(sent["deployment_key"]),
        404,
        "getting a refused over-size create",
        rule="input.refused-stores-nothing",
    )
