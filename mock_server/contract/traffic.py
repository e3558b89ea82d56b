"""Which side broke the contract in one exchange: pure functions over a parsed exchange.

No aiohttp here, and in the contract layer: the live proxy, the offline HAR check and the
mock's own journal (request side) judge with the same functions, so each rule is written
once. Rule ids come from `mock_server.contract.rule_ids` (the suite's where the rule is the
same).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from mock_server.contract.errors import ValidationFailed
from mock_server.contract.models import DEPLOYMENT_KEY_PATTERN, PAYLOAD_FIELDS
from mock_server.contract.spec import spec_document
from mock_server.contract.validation import validate_payload
from mock_server.masking import DEFAULT_POLICY, MaskingPolicy, mask_body, mask_headers

Side = Literal["client", "server"]
UNKNOWN_OPERATION = "unknown"
COLLECTION = "/api/deployment"
_ITEM_PREFIX = COLLECTION + "/"
_KEY = re.compile(DEPLOYMENT_KEY_PATTERN)
BODY_CHECK_LIMIT = 1024 * 1024
"""Bodies longer than this are forwarded but not judged (the proxy keeps no more)."""
SHOWN_BODY_BYTES = 4096
"""An exchange shows (reports, journal, console) at most this much of each body."""


@cache
def documented_codes() -> dict[str, frozenset[int]]:
    """openapi.yaml's documented status codes per operation, read from the spec once."""
    return {
        operation["operationId"]: frozenset(int(code) for code in operation["responses"])
        for item in spec_document()["paths"].values()
        for method, operation in item.items()
        if method in ("get", "post", "delete")
    }


NOT_JSON: Any = object()
"""`Exchange.response_json` of an answer that is not sent as JSON, or is not JSON."""

_METHODS = {COLLECTION: ("GET", "POST"), "item": ("DELETE", "GET")}


class Headers:
    """Case-insensitive header lookup over pairs (a HAR, aiohttp's multidict, a dict)."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self.pairs = list(pairs)
        self._first: dict[str, str] = {}
        for name, value in self.pairs:
            self._first.setdefault(name.lower(), value)

    def get(self, name: str, default: str = "") -> str:
        return self._first.get(name.lower(), default)

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._first


@dataclass(frozen=True)
class Exchange:
    """One request and its answer as seen on the wire (bodies as bytes, maybe cut short)."""

    method: str
    path: str
    request_headers: Headers
    request_body: bytes
    status: int
    response_headers: Headers
    response_body: bytes
    body_complete: bool = True  # False: the response body was longer than the proxy keeps

    @property
    def operation(self) -> str:
        return operation_of(self.method, self.path)

    @property
    def path_key(self) -> str | None:
        return _path_key(self.path)

    @property
    def response_json(self) -> Any:
        """The answer's body decoded, if it is sent as JSON and is JSON; else `NOT_JSON`.

        Decoded once, however many rules read it (kept beside the fields, as
        `functools.cached_property` would, without its lock)."""
        memo = self.__dict__
        if "_response_json" not in memo:
            memo["_response_json"] = _decoded_answer(self)
        return memo["_response_json"]

    def masked(self, policy: MaskingPolicy = DEFAULT_POLICY) -> dict[str, Any]:
        """The exchange to show (reports, journal, console): credentials never, secrets `***`."""
        return {
            "request": {
                "method": self.method,
                "path": self.path,
                "headers": mask_headers(self.request_headers.pairs, policy),
                "body": mask_body(self.request_body[:SHOWN_BODY_BYTES], policy)
                if self.request_body
                else None,
            },
            "response": {
                "status": self.status,
                "headers": mask_headers(self.response_headers.pairs, policy),
                "body": mask_body(self.response_body[:SHOWN_BODY_BYTES], policy)
                if self.response_body
                else None,
            },
        }


@dataclass(frozen=True)
class Violation:
    """One broken rule: who broke it, in which operation, and why (one line)."""

    side: Side
    operation: str
    rule: str
    message: str
    example: dict[str, Any] = field(default_factory=dict, compare=False)


def _path_key(path: str) -> str | None:
    """The `{deploymentKey}` of an item path (percent-decoded by whoever built the path)."""
    if path.startswith(_ITEM_PREFIX) and "/" not in path[len(_ITEM_PREFIX) :]:
        return path[len(_ITEM_PREFIX) :] or None
    return None


def _decoded_answer(exchange: Exchange) -> Any:
    if not _is_json(exchange.response_headers.get("Content-Type")):
        return NOT_JSON
    try:
        return json.loads(exchange.response_body)
    except (ValueError, RecursionError):
        return NOT_JSON


def operation_of(method: str, path: str) -> str:
    """The operationId of openapi.yaml for a method and path, or `unknown`."""
    if path == COLLECTION:
        return {"POST": "createDeployment", "GET": "listDeployments"}.get(method, UNKNOWN_OPERATION)
    if path.startswith(_ITEM_PREFIX) and "/" not in path[len(_ITEM_PREFIX) :]:
        return {"GET": "getDeployment", "DELETE": "deleteDeployment"}.get(method, UNKNOWN_OPERATION)
    return UNKNOWN_OPERATION


def bearer_token(headers: Headers) -> str | None:
    """The token of a well-formed `Authorization: Bearer <token>`, else None."""
    scheme, _, token = headers.get("Authorization").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def request_violations(exchange: Exchange) -> list[tuple[str, str]]:
    """(rule id, explanation) for each way the client's request breaks the contract."""
    return client_violations(
        exchange.method, exchange.path, exchange.request_headers, exchange.request_body
    )


def client_violations(
    method: str, path: str, headers: Headers, body: bytes | None
) -> list[tuple[str, str]]:
    """The request-side rules over a request's parts; `body` None: not read, not judged."""
    op = operation_of(method, path)
    found: list[tuple[str, str]] = []
    if op == UNKNOWN_OPERATION:
        if path == COLLECTION or path.startswith(_ITEM_PREFIX):
            return [("client.known-operation", f"{method} is not an operation here")]
        return [("client.known-operation", f"{method} {path} is no operation")]
    if bearer_token(headers) is None:
        problem = "missing" if "Authorization" not in headers else "not Bearer"
        found.append(("client.bearer-token", f"the Authorization header is {problem}"))
    key = _path_key(path)
    if key is not None and not _KEY.fullmatch(key):
        found.append(("client.key-pattern", "the key in the path does not match the key pattern"))
    if op == "createDeployment":
        if not _is_json(headers.get("Content-Type")):
            found.append(("client.json-content-type", "the body is not sent as application/json"))
        if body is not None:
            found.extend(_create_body_violations(body))
    return found


def _create_body_violations(body: bytes) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return [*found, ("client.body-json", "the body is not JSON")]
    if not isinstance(data, dict):
        return [*found, ("client.body-json", "the body is not a JSON object")]
    if "workspace" in data:
        found.append(("client.no-workspace-field", "the body carries `workspace`"))
        data = {name: value for name, value in data.items() if name != "workspace"}
    try:
        validate_payload(data)
    except ValidationFailed as exc:
        fields = ", ".join(f"{e['field'] or 'body'}: {e['message']}" for e in exc.extra["errors"])
        found.append(("client.valid-payload", f"not a valid DeploymentPayload ({fields})"))
    return found


def response_violations(exchange: Exchange) -> list[tuple[str, str]]:
    """(rule id, explanation) for each way the server's answer breaks the contract."""
    op = exchange.operation
    status, headers = exchange.status, exchange.response_headers
    found: list[tuple[str, str]] = []
    if status == 405 and "Allow" not in headers:
        found.append(("http.method-405-allow", "a 405 without an Allow header"))
    if status == 401 and not headers.get("WWW-Authenticate").lower().startswith("bearer"):
        found.append(("auth.challenge-bearer", "a 401 without a Bearer WWW-Authenticate"))
    if op == UNKNOWN_OPERATION:
        return found
    if status not in documented_codes()[op]:
        found.append(("schema.status-code-documented", f"{status} is not documented for {op}"))
    if status == 204:
        if exchange.response_body:
            found.append(("lifecycle.no-content-no-body", "a 204 with a body"))
        return found
    if not exchange.body_complete:
        return found
    body = exchange.response_json
    if status >= 400:
        if not isinstance(body, dict) or not all(
            isinstance(body.get(name), str) for name in ("message", "message_code")
        ):
            found.append(("errors.envelope", f"the {status} is not a JSON error envelope"))
        return found
    if body is NOT_JSON and op in _SHAPE_RULES:
        return [*found, ("content.json-answers", f"the {status} is not sent as JSON")]
    found.extend(_success_body_violations(op, status, body))
    return found


_SHAPE_RULES = {
    "createDeployment": "create.array-of-one",
    "getDeployment": "get.array-of-one",
    "listDeployments": "list.array",
}
_DEPLOYMENT_FIELDS = frozenset((*PAYLOAD_FIELDS, "workspace"))


def _success_body_violations(op: str, status: int, body: Any) -> list[tuple[str, str]]:
    shape_rule = _SHAPE_RULES.get(op)
    if shape_rule is None:
        return []
    if not isinstance(body, list) or (op != "listDeployments" and len(body) != 1):
        wanted = "an array" if op == "listDeployments" else "an array of one deployment"
        return [(shape_rule, f"the {status} answer is not {wanted}")]
    found: list[tuple[str, str]] = []
    for item in body:
        if not isinstance(item, dict) or not isinstance(item.get("workspace"), str):
            found.append(("roundtrip.workspace-of-token", "a deployment without its workspace"))
            break
        payload = {name: value for name, value in item.items() if name != "workspace"}
        if item.keys() != _DEPLOYMENT_FIELDS or _invalid(payload):
            found.append(("schema.body-documented", "a deployment that is not a Deployment"))
            break
    return found


def _invalid(payload: dict[str, Any]) -> bool:
    try:
        validate_payload(payload)
    except ValidationFailed:
        return True
    return False


def deployments_in(exchange: Exchange) -> list[dict[str, Any]]:
    """The deployments a 2xx answer carries (for the tracker); empty when it carries none."""
    if exchange.status >= 300 or not exchange.body_complete or not exchange.response_body:
        return []
    body = exchange.response_json
    if not isinstance(body, list):
        return []
    return [item for item in body if isinstance(item, dict)]
