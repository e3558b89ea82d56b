"""Apply faults to TANGO requests: a `Prefer` header or an admin rule delays and/or answers.

A canned error answer is the envelope the spec shows for that status on that operation
(`openapi.yaml`'s response example), or a generic envelope for statuses the spec lacks.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from mock_server.contract.errors import ApiError
from mock_server.contract.fault_rule import NO_BODY_STATUSES
from mock_server.contract.spec import spec_document
from mock_server.http.auth import REALM
from mock_server.http.expect import AWAITS_CONTINUE, expectation
from mock_server.http.keys import EVENTS, FAULTS, JOURNAL, RAW_BODY, SETTINGS, WORKSPACE
from mock_server.http.request_body import read_body_bytes
from mock_server.http.request_log import is_api_traffic
from mock_server.http.responses import json_response
from mock_server.state.faults import NO_PREFERENCE, InvalidPreference, parse_prefer
from mock_server.state.overview import fault_view

FAULT_HEADER = "X-Mock-Fault"
PREFER = "Prefer"


class InvalidPreferHeader(ApiError):
    status = 400
    message_code = "invalid_prefer"


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        node = target
    return node


def _example_of(document: dict[str, Any], response: Any) -> Any:
    media = _resolve(document, response)
    media = media.get("content", {}).get("application/json") if isinstance(media, dict) else None
    if not isinstance(media, dict):
        return None
    if "example" in media:
        return media["example"]
    for example in (media.get("examples") or {}).values():
        value = _resolve(document, example)
        if isinstance(value, dict) and "value" in value:
            return value["value"]
    return None


@cache
def spec_error_examples() -> dict[tuple[str | None, int], Any]:
    """(operationId, status) -> example body, plus (None, status) for any operation."""
    document = spec_document()
    examples: dict[tuple[str | None, int], Any] = {}
    for path_item in (document.get("paths") or {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status_text, response in operation["responses"].items():
                if not str(status_text).isdigit() or int(status_text) < 400:
                    continue
                example = _example_of(document, response)
                if example is not None:
                    examples[(operation.get("operationId"), int(status_text))] = example
                    examples.setdefault((None, int(status_text)), example)
    return examples


def default_error_body(operation_id: str | None, status: int) -> dict[str, Any]:
    """The spec's example for this status (this operation's first), else a generic envelope."""
    examples = spec_error_examples()
    example = examples.get((operation_id, status), examples.get((None, status)))
    if isinstance(example, dict):
        return dict(example)
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    code = "_".join(reason.lower().replace("'", "").replace("-", " ").split()) or "error"
    return {"message": f"{reason} (a fault injected by tango-mock).", "message_code": code}


def canned_response(
    request: web.Request, status: int, *, body: Any = None, has_body: bool = False, source: str
) -> web.Response:
    """The injected answer; 401s keep their bearer challenge so they stay contract-valid."""
    headers = {FAULT_HEADER: source}
    if status == 401:
        headers["WWW-Authenticate"] = REALM
    if status in NO_BODY_STATUSES or (not has_body and status < 400):
        return web.Response(status=status, headers=headers)
    if not has_body:
        body = default_error_body(request.match_info.route.name, status)
    return json_response(body, status=status, headers=headers)


async def _keep_body_for_journal(request: web.Request) -> None:
    """Read the body a faulted request carried, so the journal shows what was sent (not one
    a client holds back until a 100 Continue: it was never sent)."""
    if RAW_BODY in request or not request.body_exists or expectation(request) == AWAITS_CONTINUE:
        return
    with contextlib.suppress(ApiError):  # too large or too slow: the journal summarises it
        await read_body_bytes(request, request.config_dict[SETTINGS].max_body_bytes)


@dataclass(slots=True, frozen=True)
class Injection:
    """What to do to one request: wait `delay_ms`, then answer `status` instead of the API."""

    source: str  # "prefer" or the rule's id, sent back in X-Mock-Fault
    status: int | None = None
    delay_ms: int | None = None
    body: Any = None
    has_body: bool = False


def injection_for(request: web.Request) -> Injection | None:
    """`Prefer` first (it wins over rules and consumes none), then the first rule that fires."""
    prefer_headers = request.headers.getall(PREFER, ())
    if prefer_headers:
        try:
            preference = parse_prefer(prefer_headers)
        except InvalidPreference as exc:
            raise InvalidPreferHeader(str(exc)) from None
        if preference is not NO_PREFERENCE:
            return Injection("prefer", status=preference.code, delay_ms=preference.delay_ms)
    workspace = request.get(WORKSPACE)
    rule = request.app[FAULTS].take(
        request.method, request.path, workspace.name if workspace is not None else None
    )
    if rule is None:
        return None
    masking = request.app[JOURNAL].masking  # a hit changes the rule's hits and times left
    request.app[EVENTS].publish("fault_hit", lambda: {"rule": fault_view(rule, masking)})
    return Injection(
        rule.id, status=rule.status, delay_ms=rule.delay_ms, body=rule.body, has_body=rule.has_body
    )


async def with_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Serve `request` with its fault applied, if one applies (called after auth)."""
    injection = injection_for(request) if is_api_traffic(request.path) else None
    if injection is None:
        return await handler(request)
    if injection.delay_ms:
        await asyncio.sleep(injection.delay_ms / 1000)
    if injection.status is None:
        return await handler(request)
    await _keep_body_for_journal(request)
    return canned_response(
        request,
        injection.status,
        body=injection.body,
        has_body=injection.has_body,
        source=injection.source,
    )
