"""Assertions that say which rule broke, on which operation, with a curl line and the answer.

A failure reads like:

    createDeployment: a live key sent again must answer 409, got 201 Created
      curl -i -X POST 'http://...' -H "Authorization: Bearer $TANGO_TOKEN" ...
      response: 201 Created
        Content-Type: application/json
        body: [{"deployment_key": ...}]

Only what the contract pins is checked: extra fields, other wording or codes, extra headers,
a charset on the content type and key order are all accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import yaml

from contract_tests.exchange import Exchange
from contract_tests.same_json import json_difference
from mock_server.contract.spec import spec_path


def _payload_fields() -> tuple[str, ...]:
    """DeploymentPayload's properties as openapi.yaml lists them: the contract names them."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it
    spec = yaml.load(spec_path().read_text(encoding="utf-8"), Loader=loader)
    return tuple(spec["components"]["schemas"]["DeploymentPayload"]["properties"])


PAYLOAD_FIELDS = _payload_fields()


class ContractViolation(AssertionError):
    """A server answer that breaks a rule of the contract."""


def violation(exchange: Exchange, rule: str) -> NoReturn:
    """Fail the test: `<operation>: <rule>` and then the request and the response."""
    __tracebackhide__ = True
    raise ContractViolation(f"{exchange.operation}: {rule}\n{exchange.describe()}")


def expect_status(exchange: Exchange, expected: int, when: str) -> None:
    """The exact status the contract gives `when`; error answers must also be envelopes."""
    __tracebackhide__ = True
    if exchange.status != expected:
        prefix = "server error: " if exchange.status is not None and exchange.status >= 500 else ""
        violation(exchange, f"{prefix}{when} must answer {expected}, got {exchange.answer}")
    if expected >= 400:
        expect_error_envelope(exchange, when)


def expect_success(exchange: Exchange, when: str) -> None:
    """Setup steps accept any 2xx, so one wrong status fails its own test and not every other."""
    __tracebackhide__ = True
    if exchange.status is None or not 200 <= exchange.status < 300:
        violation(exchange, f"{when} must succeed, got {exchange.answer}")


def expect_json(exchange: Exchange, what: str) -> Any:
    """The body as JSON, sent as application/json (any parameters, e.g. a charset, allowed)."""
    __tracebackhide__ = True
    media_type = exchange.media_type()
    if media_type != "application/json":
        violation(
            exchange, f"{what} must be sent as application/json, got Content-Type {media_type}"
        )
    try:
        return exchange.json()
    except ValueError as exc:
        violation(exchange, f"{what} must be valid JSON ({exc})")


def expect_error_envelope(exchange: Exchange, when: str) -> dict[str, Any]:
    """Every error is a JSON object with a string `message` and a string `message_code`."""
    __tracebackhide__ = True
    rule = f"the error answer ({when}) must be the envelope {{message, message_code}}"
    body = expect_json(exchange, f"the error answer ({when})")
    if not isinstance(body, dict):
        violation(exchange, f"{rule}, got a JSON {type(body).__name__}")
    for name in ("message", "message_code"):
        if not isinstance(body.get(name), str):
            found = "missing" if name not in body else f"a {type(body[name]).__name__}"
            violation(exchange, f"{rule}: '{name}' must be a string, got {found}")
    return body


def expect_array(exchange: Exchange, what: str, *, length: int | None = None) -> list[Any]:
    """A JSON array (of exactly `length` items when given) of objects."""
    __tracebackhide__ = True
    body = expect_json(exchange, what)
    if not isinstance(body, list):
        violation(exchange, f"{what} must be a JSON array, got a JSON {type(body).__name__}")
    if length is not None and len(body) != length:
        violation(exchange, f"{what} must be an array of exactly {length}, got {len(body)} items")
    for index, item in enumerate(body):
        if not isinstance(item, dict):
            violation(
                exchange, f"{what}: item {index} must be an object, got {type(item).__name__}"
            )
    return body


def expect_single(exchange: Exchange, what: str) -> dict[str, Any]:
    """Create and get answer an array holding exactly one deployment."""
    __tracebackhide__ = True
    item: dict[str, Any] = expect_array(exchange, what, length=1)[0]
    return item


def expect_no_body(exchange: Exchange, when: str) -> None:
    """A 204 carries no body (HTTP forbids one; TANGO's page shows one, the contract does not)."""
    __tracebackhide__ = True
    if exchange.response_body:
        size = len(exchange.response_body)
        violation(exchange, f"{when} must answer 204 with an empty body, got {size} bytes")
    length = exchange.header("Content-Length")
    if length is not None and length.strip() != "0":
        violation(exchange, f"{when} must answer 204 without a body, got Content-Length {length}")


def expect_deployment(
    exchange: Exchange, item: Mapping[str, Any], payload: Mapping[str, Any], workspace: str | None
) -> None:
    """The five payload fields as the same JSON sent (types exact), plus the token's workspace.

    Extra fields are allowed; `payload` is parsed JSON, as the server saw it.
    """
    __tracebackhide__ = True
    for name in PAYLOAD_FIELDS:
        if name not in item:
            violation(exchange, f"the deployment must hold '{name}' as sent, but it is missing")
        difference = json_difference(payload[name], item[name], name)
        if difference is not None:
            violation(exchange, f"'{name}' must come back exactly as sent: {difference}")
    if not isinstance(item.get("workspace"), str) or not item["workspace"]:
        violation(
            exchange, f"the deployment must name its workspace, got {item.get('workspace')!r}"
        )
    if workspace is not None and item["workspace"] != workspace:
        violation(
            exchange,
            f"the workspace must be the token's ({workspace!r}), got {item['workspace']!r}",
        )


def listed_keys(exchange: Exchange, what: str) -> list[str]:
    """The deployment keys of a list answer, in order."""
    __tracebackhide__ = True
    return [str(item.get("deployment_key")) for item in expect_array(exchange, what)]


def expect_listed(exchange: Exchange, key: str, where: str) -> dict[str, Any]:
    """The list holds `key`; returns its entry. `where` reads like "the owner's list"."""
    __tracebackhide__ = True
    for item in expect_array(exchange, "the list answer"):
        if item.get("deployment_key") == key:
            return dict(item)
    violation(exchange, f"{key!r} must be in {where}, but it is not")


def expect_not_listed(exchange: Exchange, key: str, where: str) -> None:
    __tracebackhide__ = True
    if key in listed_keys(exchange, "the list answer"):
        violation(exchange, f"{key!r} must not be in {where}, but it is")


def expect_all_in_workspace(exchange: Exchange, workspace: str) -> None:
    """A list shows the token's workspace only: no entry may name another one."""
    __tracebackhide__ = True
    for item in expect_array(exchange, "the list answer"):
        if item.get("workspace") != workspace:
            violation(
                exchange,
                f"the list must hold only the token's workspace ({workspace!r}), but "
                f"{item.get('deployment_key')!r} is in {item.get('workspace')!r}",
            )
