"""The admin API's handlers under /_mock: reset, state, request journal and faults (see
mock_admin.yaml), and the dashboard's page and event stream.

Thin handlers over the store, `RequestJournal` and `FaultBook`; each change is also published
to the dashboard's event hub. Not part of the TANGO contract, so its calls are neither
journaled nor faulted. Who may call them is `access.py`'s business: `add_routes` registers
every handler behind its admin-token check, except the dashboard's static files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from mock_server.admin import dashboard
from mock_server.admin.access import AdminHandler, require_admin_token
from mock_server.admin.events import stream_events
from mock_server.admin.query import checked_query
from mock_server.admin.state_io import YAML_MEDIA_TYPES, state_from_body, state_text
from mock_server.contract.errors import (
    NotFound,
    UnsupportedMediaType,
    ValidationFailed,
)
from mock_server.contract.fault_rule import parse_fault_rule
from mock_server.contract.path_glob import PathGlob
from mock_server.contract.spec import admin_spec_text
from mock_server.http.keys import ADMIN_JOBS, ADMIN_QUERY, EVENTS, FAULTS, JOURNAL, SETTINGS, STORE
from mock_server.http.request_body import read_body_bytes, read_json
from mock_server.http.responses import (
    JSON_CONTENT_TYPE,
    dump_json,
    json_bytes_response,
    json_response,
)
from mock_server.http.state_file import save_state
from mock_server.settings import ONE_MIB
from mock_server.state.faults import TooManyRules
from mock_server.state.journal import select_entries
from mock_server.state.overview import fault_view, snapshot
from mock_server.state.snapshot import StateSnapshot
from mock_server.state.state_ops import (
    Replaced,
    built_store,
    check_import_fits,
    counts,
    install_state,
    install_workspace,
    knows_workspace,
)
from mock_server.state.store import DeploymentStore

ADMIN_PREFIX = "/_mock"
DASHBOARD_PATH = f"{ADMIN_PREFIX}/ui"
# A whole state can be much bigger than one deployment payload.
MAX_STATE_BYTES = 64 * ONE_MIB
# Beyond these sizes a job runs in a worker thread (`OffLoop`): each would hold the loop for
# more than about 10 ms on a 2-core machine (YAML costs about 200 us a deployment to write,
# JSON 10 us; a body about 0.3 us a byte to read and check, libyaml about 1 us).
INLINE_YAML_DEPLOYMENTS = 50
INLINE_JSON_DEPLOYMENTS = 1000
INLINE_SEED_DEPLOYMENTS = 2000
INLINE_RELEASED_DEPLOYMENTS = 5000
INLINE_BODY_BYTES = 16 * 1024
INLINE_ENTRIES = 200  # journal entries or fault rules rendered inline...
INLINE_ENTRY_BODY_BYTES = 64 * 1024  # ...when their bodies hold at most this much


def ok(message: str, **extra: Any) -> web.Response:
    return json_response({"message": message, "message_code": "ok", **extra})


def ascii_json_array(items: Iterable[Any]) -> bytes:
    """A JSON array with non-ASCII escaped (journal bodies may hold text UTF-8 cannot encode),
    encoded one item at a time so that no single step holds the interpreter for long."""
    encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
    return ("[" + ",".join([encode(item) for item in items]) + "]").encode("ascii")


def _snapshot(request: web.Request) -> dict[str, Any]:
    """What a dashboard shows now (its `state_reset` and `state_replaced` events carry it)."""
    config = request.config_dict
    return snapshot(config[STORE], config[JOURNAL], config[FAULTS])


# -- reset and state -------------------------------------------------------------------------


async def reset(request: web.Request) -> web.Response:
    """Back to the seed: everything (journal and faults cleared), or one workspace."""
    store, seed = request.config_dict[STORE], request.config_dict[SETTINGS].seed
    journal, faults = request.config_dict[JOURNAL], request.config_dict[FAULTS]
    jobs = request.config_dict[ADMIN_JOBS]
    large = len(seed.deployments) > INLINE_SEED_DEPLOYMENTS
    name = request[ADMIN_QUERY].get("workspace")
    events = request.config_dict[EVENTS]
    if name is None:
        built = await jobs.run(lambda: built_store(seed), large=large)
        await _keep(request, install_state(store, built))
        journal.clear()
        faults.clear()
        events.publish("state_reset", lambda: {"workspace": None, "snapshot": _snapshot(request)})
        return ok("The state is back to the seed; the journal and the faults are cleared.")
    if not knows_workspace(store, seed, name):
        raise NotFound("There is no workspace of that name in the state or in the seed.")
    part = await jobs.run(lambda: built_store(seed, only_workspace=name), large=large)
    await _keep(request, install_workspace(store, name, part))
    journal.clear(workspace=name)
    faults.clear(workspace=name)
    events.publish("state_reset", lambda: {"workspace": name, "snapshot": _snapshot(request)})
    return ok(
        f"Workspace {name!r} is back to the seed; its journal entries and faults are cleared."
    )


async def _keep(request: web.Request, replaced: Replaced) -> None:
    """Save the change (undone if it cannot be), then free what it replaced."""
    await save_state(request.app, undo=replaced.undo)
    large = replaced.record_count() > INLINE_RELEASED_DEPLOYMENTS
    await request.config_dict[ADMIN_JOBS].run(replaced.release, large=large)


def _wants_yaml(request: web.Request) -> bool:
    chosen = request[ADMIN_QUERY].get("format")
    if chosen is not None:
        return chosen == "yaml"
    accept = request.headers.get("Accept", "").lower()
    return any(media in accept for media in YAML_MEDIA_TYPES)


async def get_state(request: web.Request) -> web.Response:
    """The state as a fixture document, from a snapshot (a worker encodes a large one)."""
    snapshot = StateSnapshot.of(request.config_dict[STORE])
    as_yaml = _wants_yaml(request)
    inline_limit = INLINE_YAML_DEPLOYMENTS if as_yaml else INLINE_JSON_DEPLOYMENTS
    body = await request.config_dict[ADMIN_JOBS].run(
        lambda: state_text(snapshot, as_yaml=as_yaml),
        # A few large deployments cost as much as many small ones (YAML parses each back).
        large=snapshot.record_count() > inline_limit or snapshot.json_bytes() > INLINE_BODY_BYTES,
    )
    if as_yaml:
        return web.Response(body=body, content_type="application/yaml", charset="utf-8")
    return json_bytes_response(body)


async def put_state(request: web.Request) -> web.Response:
    """Replace the whole state with a fixture document (JSON or YAML), validated first."""
    media_type = request.content_type.lower()
    if media_type != JSON_CONTENT_TYPE and media_type not in YAML_MEDIA_TYPES:
        raise UnsupportedMediaType(
            "Send the state as application/json or application/yaml (a fixture document)."
        )
    body = await read_body_bytes(request, MAX_STATE_BYTES)
    built, sizes = await request.config_dict[ADMIN_JOBS].run(
        lambda: _built_with_counts(body, media_type), large=len(body) > INLINE_BODY_BYTES
    )
    store = request.config_dict[STORE]
    check_import_fits(store, built)
    await _keep(request, install_state(store, built))
    request.config_dict[EVENTS].publish("state_replaced", lambda: {"snapshot": _snapshot(request)})
    return ok("The state was replaced.", counts=sizes)


def _built_with_counts(body: bytes, media_type: str) -> tuple[DeploymentStore, dict[str, int]]:
    built = state_from_body(body, media_type)
    return built, counts(built)


# -- journal -------------------------------------------------------------------------------


async def list_requests(request: web.Request) -> web.Response:
    """The journal, oldest first, filtered by method, path (glob) and workspace."""
    query = request[ADMIN_QUERY]
    glob = PathGlob.compile(query["path"]) if "path" in query else None
    limit = int(query["limit"]) if "limit" in query else None
    journal = request.config_dict[JOURNAL]
    entries = journal.entries()

    def render() -> bytes:
        chosen = select_entries(
            entries, method=query.get("method"), path=glob, workspace=query.get("workspace")
        )
        if limit is not None:
            chosen = chosen[len(chosen) - limit :] if limit < len(chosen) else chosen
        return ascii_json_array(entry.to_json(journal.masking) for entry in chosen)

    body_bytes = sum(len(entry.body) for entry in entries if entry.body)
    large = len(entries) > INLINE_ENTRIES or body_bytes > INLINE_ENTRY_BODY_BYTES
    return json_bytes_response(await request.config_dict[ADMIN_JOBS].run(render, large=large))


async def list_violations(request: web.Request) -> web.Response:
    """The journal's entries whose request broke the contract (the client's side), oldest first."""
    journal = request.config_dict[JOURNAL]
    shown = [entry.to_json(journal.masking) for entry in journal]
    return json_bytes_response(ascii_json_array(entry for entry in shown if entry["violations"]))


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
    """The rules in force; their JSON is taken now, a worker encodes a large list."""
    rules = request.config_dict[FAULTS].rules()
    shown = [rule.to_json() for rule in rules]
    body_bytes = sum(rule.body_size for rule in rules)
    large = len(rules) > INLINE_ENTRIES or body_bytes > INLINE_ENTRY_BODY_BYTES
    body = await request.config_dict[ADMIN_JOBS].run(lambda: _json_array(shown), large=large)
    return json_bytes_response(body)


def _json_array(items: list[Any]) -> bytes:
    return b"[" + b",".join([dump_json(item) for item in items]) + b"]"


async def clear_faults(request: web.Request) -> web.Response:
    request.config_dict[FAULTS].clear()
    request.config_dict[EVENTS].publish("faults_cleared", dict)
    return web.Response(status=204)


async def delete_fault(request: web.Request) -> web.Response:
    rule_id = request.match_info["faultId"]
    if not request.config_dict[FAULTS].remove(rule_id):
        raise NotFound("There is no fault rule with this id (expired or never added).")
    request.config_dict[EVENTS].publish("fault_removed", lambda: {"id": rule_id})
    return web.Response(status=204)


async def admin_spec(request: web.Request) -> web.Response:
    return web.Response(text=admin_spec_text(), content_type="application/yaml", charset="utf-8")


def with_checked_query(handler: AdminHandler, route_name: str) -> AdminHandler:
    """A valid query first (`admin/query.py`): the handler reads it from `request[ADMIN_QUERY]`."""

    async def check_then_handle(request: web.Request) -> web.StreamResponse:
        request[ADMIN_QUERY] = checked_query(request, route_name)
        return await handler(request)

    return check_then_handle


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
        checked = with_checked_query(handler, name)
        app.router.add_route(method, ADMIN_PREFIX + path, require_admin_token(checked), name=name)
    dashboard.add_routes(app, DASHBOARD_PATH)
