"""Assertions that say which rule broke, on which operation, with a curl line and the answer.

Every check names the rule it judges (an id of `mock_server.contract.rule_ids`): the check
is tallied in the run's rule book, and a failure reads like:

    createDeployment: a live key sent again must answer 409, got 201 Created
      rule lifecycle.live-key-409 (tango-docs: TANGO page: "The deployment_key serves ...")
      curl -i -X POST 'http://...' -H "Authorization: Bearer $TANGO_TOKEN" ...
      response: 201 Created
        Content-Type: application/json
        body: [{"deployment_key": ...}]

Only what the contract pins is checked: extra fields, other wording or codes, extra headers,
a charset on the content type and key order are all accepted. A rule whose source the run
does not judge (`--rules`) never fails a test: a check that breaks it skips the test instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import pytest

from contract_tests.support import run as contract_run
from contract_tests.support.exchange import Exchange
from contract_tests.support.same_json import json_difference
from mock_server.contract.rule_ids import rule as rule_of
from mock_server.contract.spec import spec_document


def _payload_fields() -> tuple[str, ...]:
    """The fields every DeploymentPayload holds, as openapi.yaml declares them."""
    required = spec_document()["components"]["schemas"]["DeploymentPayload"]["required"]
    return tuple(str(name) for name in required)


PAYLOAD_FIELDS = _payload_fields()


class ContractViolation(AssertionError):
    """A server answer that breaks a rule of the contract."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


def held(rule: str) -> None:
    """Tally a check of `rule` that held (outside a contract run, e.g. in unit tests: nothing)."""
    run = contract_run.current_or_none()
    if run is not None:
        run.rule_book.held(rule)
    else:
        rule_of(rule)


def violation(exchange: Exchange, text: str, rule: str) -> NoReturn:
    """Fail the test: `<operation>: <text>`, the rule's id and source, the request and answer.

    A rule the run does not judge (its source is not in --rules) skips the test instead.
    """
    __tracebackhide__ = True
    declared = rule_of(rule)
    message = (
        f"{exchange.operation}: {text}\n  rule {declared.id} ({declared.source}: "
        f"{declared.where})\n{exchange.describe()}"
    )
    run = contract_run.current_or_none()
    if run is not None:
        if not run.rule_book.judged(rule):
            pytest.skip(
                f"{declared.id} ({declared.source}) does not hold, and --rules leaves it out"
            )
        run.rule_book.broke(rule, run.scrub(message))
    raise ContractViolation(message, declared.id)


def expect_status(exchange: Exchange, expected: int, when: str, *, rule: str) -> None:
    """The exact status `rule` gives `when`; error answers must also be envelopes."""
    __tracebackhide__ = True
    if exchange.status != expected:
        prefix = "server error: " if exchange.status is not None and exchange.status >= 500 else ""
        violation(exchange, f"{prefix}{when} must answer {expected}, got {exchange.answer}", rule)
    held(rule)
    if expected >= 400:
        expect_error_envelope(exchange, when)


def expect_success(exchange: Exchange, when: str, *, rule: str) -> None:
    """Setup steps accept any 2xx, so one wrong status fails its own test and not every other."""
    __tracebackhide__ = True
    if exchange.status is None or not 200 <= exchange.status < 300:
        violation(exchange, f"{when} must succeed, got {exchange.answer}", rule)
    held(rule)


def expect_json(exchange: Exchange, what: str, *, rule: str = "content.json-answers") -> Any:
    """The body as JSON, sent as application/json (any parameters, e.g. a charset, allowed)."""
    __tracebackhide__ = True
    media_type = exchange.media_type()
    if media_type != "application/json":
        violation(
            exchange,
            f"{what} must be sent as application/json, got Content-Type {media_type}",
            rule,
        )
    try:
        body = exchange.json()
    except ValueError as exc:
        violation(exchange, f"{what} must be valid JSON ({exc})", rule)
    held(rule)
    return body


def expect_error_envelope(exchange: Exchange, when: str) -> dict[str, Any]:
    """Every error is a JSON object with a string `message` and a string `message_code`."""
    __tracebackhide__ = True
    rule = "errors.envelope"
    shape = f"the error answer ({when}) must be the envelope {{message, message_code}}"
    body = expect_json(exchange, f"the error answer ({when})", rule=rule)
    if not isinstance(body, dict):
        violation(exchange, f"{shape}, got a JSON {type(body).__name__}", rule)
    for name in ("message", "message_code"):
        if not isinstance(body.get(name), str):
            found = "missing" if name not in body else f"a {type(body[name]).__name__}"
            violation(exchange, f"{shape}: '{name}' must be a string, got {found}", rule)
    held(rule)
    return body


def expect_array(
    exchange: Exchange, what: str, *, rule: str, length: int | None = None
) -> list[Any]:
    """A JSON array (of exactly `length` items when given) of objects."""
    __tracebackhide__ = True
    body = expect_json(exchange, what)
    if not isinstance(body, list):
        violation(exchange, f"{what} must be a JSON array, got a JSON {type(body).__name__}", rule)
    if length is not None and len(body) != length:
        violation(
            exchange, f"{what} must be an array of exactly {length}, got {len(body)} items", rule
        )
    for index, item in enumerate(body):
        if not isinstance(item, dict):
            violation(
                exchange, f"{what}: item {index} must be an object, got {type(item).__name__}", rule
            )
    held(rule)
    return body


def expect_single(exchange: Exchange, what: str, *, rule: str) -> dict[str, Any]:
    """Create and get answer an array holding exactly one deployment."""
    __tracebackhide__ = True
    item: dict[str, Any] = expect_array(exchange, what, rule=rule, length=1)[0]
    return item


def expect_no_body(exchange: Exchange, when: str) -> None:
    """A 204 carries no body (HTTP forbids one; TANGO's page shows one, the contract does not)."""
    __tracebackhide__ = True
    rule = "lifecycle.no-content-no-body"
    if exchange.response_body:
        size = len(exchange.response_body)
        violation(exchange, f"{when} must answer 204 with an empty body, got {size} bytes", rule)
    length = exchange.header("Content-Length")
    if length is not None and length.strip() != "0":
        violation(
            exchange, f"{when} must answer 204 without a body, got Content-Length {length}", rule
        )
    held(rule)


def expect_deployment(
    exchange: Exchange, item: Mapping[str, Any], payload: Mapping[str, Any], workspace: str | None
) -> None:
    """The five payload fields as the same JSON sent (types exact), plus the token's workspace.

    Extra fields are allowed; `payload` is parsed JSON, as the server saw it.
    """
    __tracebackhide__ = True
    fields = "roundtrip.fields-as-sent"
    for name in PAYLOAD_FIELDS:
        if name not in item:
            violation(
                exchange, f"the deployment must hold '{name}' as sent, but it is missing", fields
            )
        difference = json_difference(payload[name], item[name], name)
        if difference is not None:
            violation(exchange, f"'{name}' must come back exactly as sent: {difference}", fields)
    held(fields)
    owner = "roundtrip.workspace-of-token"
    if not isinstance(item.get("workspace"), str) or not item["workspace"]:
        violation(
            exchange,
            f"the deployment must name its workspace, got {item.get('workspace')!r}",
            owner,
        )
    if workspace is not None and item["workspace"] != workspace:
        violation(
            exchange,
            f"the workspace must be the token's ({workspace!r}), got {item['workspace']!r}",
            owner,
        )
    held(owner)


def listed_keys(exchange: Exchange, what: str) -> list[str]:
    """The deployment keys of a list answer, in order."""
    __tracebackhide__ = True
    items = expect_array(exchange, what, rule="list.array")
    return [str(item.get("deployment_key")) for item in items]


def expect_listed(exchange: Exchange, key: str, where: str, *, rule: str) -> dict[str, Any]:
    """The list holds `key`; returns its entry. `where` reads like "the owner's list"."""
    __tracebackhide__ = True
    for item in expect_array(exchange, "the list answer", rule="list.array"):
        if item.get("deployment_key") == key:
            held(rule)
            return dict(item)
    violation(exchange, f"{key!r} must be in {where}, but it is not", rule)


def expect_not_listed(exchange: Exchange, key: str, where: str, *, rule: str) -> None:
    __tracebackhide__ = True
    if key in listed_keys(exchange, "the list answer"):
        violation(exchange, f"{key!r} must not be in {where}, but it is", rule)
    held(rule)


def expect_all_in_workspace(exchange: Exchange, workspace: str) -> None:
    """A list shows the token's workspace only: no entry may name another one."""
    __tracebackhide__ = True
    rule = "list.only-own-workspace"
    for item in expect_array(exchange, "the list answer", rule="list.array"):
        if item.get("workspace") != workspace:
            violation(
                exchange,
                f"the list must hold only the token's workspace ({workspace!r}), but "
                f"{item.get('deployment_key')!r} is in {item.get('workspace')!r}",
                rule,
            )
    held(rule)
