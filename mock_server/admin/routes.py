"""The admin API under /_mock: reset, state, request journal and faults (see mock_admin.yaml).

Thin handlers over the store, `RequestJournal` and `FaultBook`. Not part of the TANGO
contract, so its calls are neither journaled nor faulted. With `--admin-token` every admin
call needs the `X-Mock-Admin-Token` header.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import yaml
from aiohttp import web

from mock_server.admin.query import checked_query
from mock_server.contract.errors import (
    ApiError,
    NotFound,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from mock_server.contract.spec import admin_spec_text
from mock_server.http.keys import ADMIN_QUERY, FAULTS, JOURNAL, SETTINGS, STORE
from mock_server.http.request_body import decode_json, read_body_bytes, read_json
from mock_server.http.responses import JSON_CONTENT_TYPE, json_response
from mock_server.http.state_file import save_state
from mock_server.settings import ONE_MIB
from mock_server.state.faults import TooManyRules, parse_fault_rule
from mock_server.state.fixture_types import FixtureDocument, FixtureError
from mock_server.state.fixtures import dump_yaml, export_document, parse_document
from mock_server.state.glob import PathGlob
from mock_server.state.state_ops import counts, knows_workspace, replace_state, reset_workspace

ADMIN_PREFIX = "/_mock"
ADMIN_TOKEN_HEADER = "X-Mock-Admin-Token"
ADMIN_TOKEN_ENV = "TANGO_MOCK_ADMIN_TOKEN"
# A whole state can be much bigger than one deployment payload.
MAX_STATE_BYTES = 64 * ONE_MIB
YAML_MEDIA_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})

AdminHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class InvalidYaml(ApiError):
    status = 400
    message_code = "invalid_yaml"


def ok(message: str, **extra: Any) -> web.Response:
    return json_response({"message": message, "message_code": "ok", **extra})


def ascii_json_response(data: Any, *, status: int = 200) -> web.Response:
    """JSON with non-ASCII escaped: journal bodies may hold text UTF-8 cannot encode."""
    body = json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return web.Response(body=body, status=status, content_type=JSON_CONTENT_TYPE)


# -- reset and state -------------------------------------------------------------------------


async def reset(request: web.Request) -> web.Response:
    """Back to the seed: everything (journal and faults cleared), or one workspace."""
    store, seed = request.config_dict[STORE], request.config_dict[SETTINGS].seed
    journal, faults = request.config_dict[JOURNAL], request.config_dict[FAULTS]
    name = request[ADMIN_QUERY].get("workspace")
    if name is None:
        undo = replace_state(store, seed)
        await save_state(request.app, undo=undo)
        journal.clear()
        faults.clear()
        return ok("The state is back to the seed; the journal and the faults are cleared.")
    if not knows_workspace(store, seed, name):
        raise NotFound("There is no workspace of that name in the state or in the seed.")
    undo = reset_workspace(store, seed, name)
    await save_state(request.app, undo=undo)
    journal.clear(workspace=name)
    faults.clear(workspace=name)
    return ok(
        f"Workspace {name!r} is back to the seed; its journal entries and faults are cleared."
    )


def _wants_yaml(request: web.Request) -> bool:
    chosen = request[ADMIN_QUERY].get("format")
    if chosen is not None:
        return chosen == "yaml"
    accept = request.headers.get("Accept", "").lower()
    return any(media in accept for media in YAML_MEDIA_TYPES)


async def get_state(request: web.Request) -> web.Response:
    document = export_document(request.config_dict[STORE])
    if _wants_yaml(request):
        text = dump_yaml(document)
        return web.Response(text=text, content_type="application/yaml", charset="utf-8")
    return json_response(document)


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors' aliases: an alias bomb must not blow up validation time."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not accepted here", event.start_mark
            )
        return super().compose_node(parent, index)


def _decode_yaml(body: bytes) -> Any:
    try:
        return yaml.load(body.decode("utf-8"), Loader=_NoAliasLoader)
    except UnicodeDecodeError as exc:
        raise InvalidYaml(f"The body is not valid UTF-8 (byte {exc.start}).") from None
    except RecursionError:
        raise InvalidYaml("The YAML document is nested too deeply.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InvalidYaml(f"The body is not valid YAML{where}: {problem}.") from None


def _field_errors(problem: FixtureError) -> list[dict[str, str]]:
    """`state: deployments[0] (...).deployment_key: msg` lines as {field, message} items."""
    errors = []
    for line in str(problem).splitlines():
        location, _, message = line.removeprefix("state: ").rpartition(": ")
        errors.append({"field": location, "message": message})
    return errors


def _validated_state(data: Any) -> FixtureDocument:
    try:
        return parse_document(data, source="state")
    except FixtureError as exc:
        errors = _field_errors(exc)
        where = ", ".join(dict.fromkeys(e["field"] or "document" for e in errors))
        raise ValidationFailed(
            f"The state document is invalid ({where[:300]}); nothing was changed.",
            extra={"errors": errors},
        ) from None
    except RecursionError:
        raise ValidationFailed(
            "The state document is nested too deeply; nothing was changed.",
            extra={"errors": [{"field": "", "message": "nested too deeply"}]},
        ) from None


async def put_state(request: web.Request) -> web.Response:
    """Replace the whole state with a fixture document (JSON or YAML), validated first."""
    media_type = request.content_type.lower()
    if media_type != JSON_CONTENT_TYPE and media_type not in YAML_MEDIA_TYPES:
        raise UnsupportedMediaType(
            "Send the state as application/json or application/yaml (a fixture document)."
        )
    body = await read_body_bytes(request, MAX_STATE_BYTES)
    data = decode_json(body) if media_type == JSON_CONTENT_TYPE else _decode_yaml(body)
    document = _validated_state(data)
    store = request.config_dict[STORE]
    undo = replace_state(store, document)
    await save_state(request.app, undo=undo)
    return ok("The state was replaced.", counts=counts(store))


# -- journal -------------------------------------------------------------------------------


async def list_requests(request: web.Request) -> web.Response:
    """The journal, oldest first, filtered by method, path (glob) and workspace."""
    query = request[ADMIN_QUERY]
    glob = PathGlob.compile(query["path"]) if "path" in query else None
    entries = request.config_dict[JOURNAL].find(
        method=query.get("method"), path=glob, workspace=query.get("workspace")
    )
    if "limit" in query:
        limit = int(query["limit"])
        entries = entries[len(entries) - limit :] if limit < len(entries) else entries
    return ascii_json_response([entry.to_json() for entry in entries])


async def clear_requests(request: web.Request) -> web.Response:
    request.config_dict[JOURNAL].clear()
    return web.Response(status=204)


# -- faults --------------------------------------------------------------------------------


async def add_fault(request: web.Request) -> web.Response:
    data = await read_json(request, limit=request.config_dict[SETTINGS].max_body_bytes)
    spec = parse_fault_rule(data)
    try:
        rule = request.config_dict[FAULTS].add(spec)
    except TooManyRules as exc:
        raise ValidationFailed(
            f"The fault rule was not added: {exc}; delete some first.",
            extra={"errors": [{"field": "", "message": str(exc)}]},
        ) from None
    location = f"{ADMIN_PREFIX}/faults/{rule.id}"
    return json_response(rule.to_json(), status=201, headers={"Location": location})


async def list_faults(request: web.Request) -> web.Response:
    return json_response([rule.to_json() for rule in request.config_dict[FAULTS].rules()])


async def clear_faults(request: web.Request) -> web.Response:
    request.config_dict[FAULTS].clear()
    return web.Response(status=204)


async def delete_fault(request: web.Request) -> web.Response:
    if not request.config_dict[FAULTS].remove(request.match_info["faultId"]):
        raise NotFound("There is no fault rule with this id (expired or never added).")
    return web.Response(status=204)


async def admin_spec(request: web.Request) -> web.Response:
    return web.Response(text=admin_spec_text(), content_type="application/yaml", charset="utf-8")


# -- access ----------------------------------------------------------------------------------


def guarded(handler: AdminHandler, route_name: str) -> AdminHandler:
    """Require `X-Mock-Admin-Token` when the settings name an admin token (constant time),
    then a valid query (`admin/query.py`): the handler reads it from `request[ADMIN_QUERY]`."""

    async def check_then_handle(request: web.Request) -> web.StreamResponse:
        expected = request.config_dict[SETTINGS].admin_token
        if expected is not None:
            given = request.headers.get(ADMIN_TOKEN_HEADER, "")
            if not hmac.compare_digest(
                given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
            ):
                raise Unauthorized(f"The admin API needs a valid {ADMIN_TOKEN_HEADER} header.")
        request[ADMIN_QUERY] = checked_query(request, route_name)
        return await handler(request)

    return check_then_handle


def add_routes(app: web.Application) -> None:
    """Register /_mock/* on the root app (so `save_state(request.app)` sees the store)."""
    routes: list[tuple[str, str, AdminHandler, str]] = [
        ("POST", "/reset", reset, "admin-reset"),
        ("GET", "/state", get_state, "admin-get-state"),
        ("PUT", "/state", put_state, "admin-put-state"),
        ("GET", "/requests", list_requests, "admin-list-requests"),
        ("DELETE", "/requests", clear_requests, "admin-clear-requests"),
        ("POST", "/faults", add_fault, "admin-add-fault"),
        ("GET", "/faults", list_faults, "admin-list-faults"),
        ("DELETE", "/faults", clear_faults, "admin-clear-faults"),
        ("DELETE", "/faults/{faultId}", delete_fault, "admin-delete-fault"),
        ("GET", "/openapi.yaml", admin_spec, "admin-openapi-yaml"),
    ]
    for method, path, handler, name in routes:
        app.router.add_route(method, ADMIN_PREFIX + path, guarded(handler, name), name=name)


# -- whether to serve it -----------------------------------------------------------------------


def is_loopback_host(host: str) -> bool:
    """`localhost`, 127.0.0.0/8 or ::1; anything else (0.0.0.0, names...) counts as exposed."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class AdminDecision:
    """Whether the admin API is served, and the banner line that tells the user why."""

    enabled: bool
    reason: str


def decide_admin(host: str, *, admin_token: str | None, disabled: bool) -> AdminDecision:
    """Off with --no-admin; off on a non-loopback host unless an admin token protects it."""
    if disabled:
        return AdminDecision(False, "off (--no-admin)")
    if admin_token is not None:
        return AdminDecision(True, f"needs header {ADMIN_TOKEN_HEADER}")
    if is_loopback_host(host):
        return AdminDecision(True, "no token needed: loopback only")
    return AdminDecision(
        False, f"OFF: {host or 'all interfaces'} is not loopback and no --admin-token was given"
    )
