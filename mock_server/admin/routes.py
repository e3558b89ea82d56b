"""The admin API's handlers under /_mock: reset, state, request journal and faults (see
mock_admin.yaml), and the dashboard's page and event stream.

Thin handlers over the store, `RequestJournal` and `FaultBook`; each change is also published
to the dashboard's event hub. Not part of the TANGO contract, so its calls are neither
journaled nor faulted. Who may call them is `access.py`'s business: `add_routes` registers
every handler behind its admin-token check, except the dashboard's static files.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from aiohttp import web

from mock_server.admin import dashboard
from mock_server.admin.access import AdminHandler, require_admin_token
from mock_server.admin.events import stream_events
from mock_server.contract.errors import (
    ApiError,
    NotFound,
    UnsupportedMediaType,
    ValidationFailed,
)
from mock_server.contract.fault_rule import parse_fault_rule
from mock_server.contract.fixture_format import FixtureDocument
from mock_server.contract.spec import admin_spec_text
from mock_server.contract.strict_json import decode_json
from mock_server.http.keys import EVENTS, FAULTS, JOURNAL, SETTINGS, STORE
from mock_server.http.request_body import read_body_bytes, read_json
from mock_server.http.responses import JSON_CONTENT_TYPE, json_response
from mock_server.http.state_file import save_state
from mock_server.settings import ONE_MIB
from mock_server.state.faults import TooManyRules
from mock_server.state.fixtures import FixtureError, dump_yaml, export_document, parse_document
from mock_server.state.overview import fault_view, snapshot
from mock_server.state.state_ops import counts, knows_workspace, replace_state, reset_workspace

ADMIN_PREFIX = "/_mock"
DASHBOARD_PATH = f"{ADMIN_PREFIX}/ui"
# A whole state can be much bigger than one deployment payload.
MAX_STATE_BYTES = 64 * ONE_MIB
YAML_MEDIA_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})


class InvalidYaml(ApiError):
    status = 400
    message_code = "invalid_yaml"


class BadAdminQuery(ApiError):
    status = 400
    message_code = "bad_request"


def ok(message: str, **extra: Any) -> web.Response:
    return json_response({"message": message, "message_code": "ok", **extra})


def ascii_json_response(data: Any, *, status: int = 200) -> web.Response:
    """JSON with non-ASCII escaped: journal bodies may hold text UTF-8 cannot encode."""
    body = json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return web.Response(body=body, status=status, content_type=JSON_CONTENT_TYPE)


def _snapshot(request: web.Request) -> dict[str, Any]:
    """What a dashboard shows now (its `state_reset` and `state_replaced` events carry it)."""
    config = request.config_dict
    return snapshot(config[STORE], config[JOURNAL], config[FAULTS])


# -- reset and state -------------------------------------------------------------------------


async def reset(request: web.Request) -> web.Response:
    """Back to the seed: everything (journal and faults cleared), or one workspace."""
    store, seed = request.config_dict[STORE], request.config_dict[SETTINGS].seed
    journal, faults = request.config_dict[JOURNAL], request.config_dict[FAULTS]
    events = request.config_dict[EVENTS]
    name = request.query.get("workspace")
    if name is None:
        undo = replace_state(store, seed)
        await save_state(request.app, undo=undo)
        journal.clear()
        faults.clear()
        events.publish("state_reset", lambda: {"workspace": None, "snapshot": _snapshot(request)})
        return ok("The state is back to the seed; the journal and the faults are cleared.")
    if not knows_workspace(store, seed, name):
        raise NotFound(f"There is no workspace {name!r} in the state or in the seed.")
    undo = reset_workspace(store, seed, name)
    await save_state(request.app, undo=undo)
    journal.clear(workspace=name)
    faults.clear(workspace=name)
    events.publish("state_reset", lambda: {"workspace": name, "snapshot": _snapshot(request)})
    return ok(
        f"Workspace {name!r} is back to the seed; its journal entries and faults are cleared."
    )


def _wants_yaml(request: web.Request) -> bool:
    chosen = request.query.get("format")
    if chosen is not None:
        if chosen not in {"json", "yaml"}:
            raise BadAdminQuery("format must be json or yaml.")
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


def _validated_state(data: Any) -> FixtureDocument:
    try:
        return parse_document(data, source="state")
    except FixtureError as exc:
        where = ", ".join(dict.fromkeys(problem.field for problem in exc.problems))
        raise ValidationFailed(
            f"The state document is invalid ({where[:300]}); nothing was changed.",
            extra={"errors": [problem.to_json() for problem in exc.problems]},
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
    request.config_dict[EVENTS].publish("state_replaced", lambda: {"snapshot": _snapshot(request)})
    return ok("The state was replaced.", counts=counts(store))


# -- journal -------------------------------------------------------------------------------


async def list_requests(request: web.Request) -> web.Response:
    """The journal, oldest first, filtered by method, path (glob) and workspace."""
    query, journal = request.query, request.config_dict[JOURNAL]
    entries = journal.find(
        method=query.get("method"), path=query.get("path"), workspace=query.get("workspace")
    )
    limit = query.get("limit")
    if limit is not None:
        if not limit.isdigit():
            raise BadAdminQuery("limit must be a non-negative integer.")
        entries = entries[-int(limit) :] if int(limit) else []
    return ascii_json_response([entry.to_json(journal.masking) for entry in entries])


async def list_violations(request: web.Request) -> web.Response:
    """The journal's entries whose request broke the contract (the client's side), oldest first."""
    journal = request.config_dict[JOURNAL]
    shown = [entry.to_json(journal.masking) for entry in journal]
    return ascii_json_response([entry for entry in shown if entry["violations"]])


async def clear_requests(request: web.Request) -> web.Response:
    request.config_dict[JOURNAL].clear()
    request.config_dict[EVENTS].publish("journal_cleared", dict)
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
    masking = request.config_dict[JOURNAL].masking
    request.config_dict[EVENTS].publish("fault_added", lambda: {"rule": fault_view(rule, masking)})
    location = f"{ADMIN_PREFIX}/faults/{rule.id}"
    return json_response(rule.to_json(), status=201, headers={"Location": location})


async def list_faults(request: web.Request) -> web.Response:
    return json_response([rule.to_json() for rule in request.config_dict[FAULTS].rules()])


async def clear_faults(request: web.Request) -> web.Response:
    request.config_dict[FAULTS].clear()
    request.config_dict[EVENTS].publish("faults_cleared", dict)
    return web.Response(status=204)


async def delete_fault(request: web.Request) -> web.Response:
    rule_id = request.match_info["faultId"]
    if not request.config_dict[FAULTS].remove(rule_id):
        raise NotFound(f"There is no fault rule {rule_id!r} (expired or never added).")
    request.config_dict[EVENTS].publish("fault_removed", lambda: {"id": rule_id})
    return web.Response(status=204)


async def admin_spec(request: web.Request) -> web.Response:
    return web.Response(text=admin_spec_text(), content_type="application/yaml", charset="utf-8")


def add_routes(app: web.Application) -> None:
    """/_mock/* behind the admin-token check, on the root app (`save_state` needs its store)."""
    routes: list[tuple[str, str, AdminHandler, str]] = [
        ("POST", "/reset", reset, "admin-reset"),
        ("GET", "/state", get_state, "admin-get-state"),
        ("PUT", "/state", put_state, "admin-put-state"),
        ("GET", "/requests", list_requests, "admin-list-requests"),
        ("DELETE", "/requests", clear_requests, "admin-clear-requests"),
        ("GET", "/violations", list_violations, "admin-list-violations"),
        ("POST", "/faults", add_fault, "admin-add-fault"),
        ("GET", "/faults", list_faults, "admin-list-faults"),
        ("DELETE", "/faults", clear_faults, "admin-clear-faults"),
        ("DELETE", "/faults/{faultId}", delete_fault, "admin-delete-fault"),
        ("GET", "/openapi.yaml", admin_spec, "admin-openapi-yaml"),
        ("GET", "/events", stream_events, "admin-events"),
    ]
    for method, path, handler, name in routes:
        app.router.add_route(method, ADMIN_PREFIX + path, require_admin_token(handler), name=name)
    dashboard.add_routes(app, DASHBOARD_PATH)
