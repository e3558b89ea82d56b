"""The four TANGO operations: handlers that parse, call the store and serialise, each
registered behind bearer auth and then fault injection.

Route names are the spec's operationIds. Auth and faults wrap each operation's handler rather
than being middlewares: a middleware runs for every request and would first have to ask
which route matched, and each middleware layer costs CPU per request. Auth comes before
faults so a bad token still gets its 401/403 and a fault rule can target a workspace.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler

from mock_server.contract.errors import NotFound
from mock_server.contract.models import DEPLOYMENT_KEY_PATTERN
from mock_server.contract.validation import validate_payload
from mock_server.http.auth import bearer_workspace
from mock_server.http.faults import PREFER, with_faults
from mock_server.http.keys import (
    BODY_JOBS,
    EVENTS,
    FAULTS,
    JOURNAL,
    RAW_BODY,
    SETTINGS,
    STORE,
    WORKSPACE,
)
from mock_server.http.request_body import INLINE_DECODE_BYTES, read_json
from mock_server.http.responses import json_array_response, json_bytes_response
from mock_server.http.state_file import save_state
from mock_server.masking import mask_text
from mock_server.state.faults import FaultBook
from mock_server.state.overview import deployment_view
from mock_server.state.store import DeploymentStore, StoredDeployment

COLLECTION_PATH = "/api/deployment"
ITEM_PATH = "/api/deployment/{deploymentKey}"
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]*")  # RFC 3986 unreserved characters
_DEPLOYMENT_KEY = re.compile(DEPLOYMENT_KEY_PATTERN)
OPERATIONS = {
    "createDeployment": ("POST", COLLECTION_PATH),
    "listDeployments": ("GET", COLLECTION_PATH),
    "getDeployment": ("GET", ITEM_PATH),
    "deleteDeployment": ("DELETE", ITEM_PATH),
}


def operation_handlers(app: web.Application) -> dict[str, Handler]:
    """The four handlers, bound to this app's store and settings (no lookups per request).

    A create or delete that was kept (and saved) is published to the dashboard's event
    hub, which builds the event only when a page is open.
    """
    store, max_body_bytes = app[STORE], app[SETTINGS].max_body_bytes
    publish, masking = app[EVENTS].publish, app[JOURNAL].masking
    body_jobs = app[BODY_JOBS]

    async def create_deployment(request: web.Request) -> web.Response:
        payload = validate_payload(await read_json(request, limit=max_body_bytes))
        workspace = request[WORKSPACE].name
        if len(request[RAW_BODY]) <= INLINE_DECODE_BYTES:
            record = store.create(workspace, payload)
        else:  # encoding 1 MiB of tiny objects takes 20-120 ms: not on the loop
            made = await body_jobs.run(lambda: StoredDeployment(workspace, payload), large=True)
            record = store.add_new(made)
        await save_state(app, undo=lambda: store.discard(workspace, record.deployment_key))
        publish(
            "deployment_created",
            lambda: {"workspace": workspace, "deployment": deployment_view(record, masking)},
        )
        key = record.deployment_key  # a valid key holds only URL-safe characters: quote() is rare
        location = f"{COLLECTION_PATH}/{key if _URL_SAFE.fullmatch(key) else quote(key, safe='')}"
        return json_array_response([record.api_json()], status=201, headers={"Location": location})

    async def list_deployments(request: web.Request) -> web.Response:
        return json_bytes_response(store.list_json(request[WORKSPACE].name))

    async def get_deployment(request: web.Request) -> web.Response:
        record = store.get(request[WORKSPACE].name, _key_in_path(request))
        return json_array_response([record.api_json()])

    async def delete_deployment(request: web.Request) -> web.Response:
        record = store.delete(request[WORKSPACE].name, _key_in_path(request))
        await save_state(app, undo=lambda: store.undelete(record))
        publish(
            "deployment_deleted",
            lambda: {
                "workspace": record.workspace,
                "deployment_key": mask_text(record.deployment_key, masking),
            },
        )
        return web.Response(status=204)

    return {
        "createDeployment": create_deployment,
        "listDeployments": list_deployments,
        "getDeployment": get_deployment,
        "deleteDeployment": delete_deployment,
    }


def with_auth_and_faults(handler: Handler, *, store: DeploymentStore, faults: FaultBook) -> Handler:
    """`handler` after bearer auth (the workspace goes in `request[WORKSPACE]`), then faults."""
    active_rules = faults.active

    async def operation(request: web.Request) -> web.StreamResponse:
        request[WORKSPACE] = bearer_workspace(request, store)
        if active_rules or PREFER in request.headers:
            return await with_faults(request, handler)
        return await handler(request)

    return operation


def _key_in_path(request: web.Request) -> str:
    """The path's key; one that no deployment can have is a 404 that does not quote it back
    (a path segment can hold up to the header limit of anything)."""
    key = request.match_info["deploymentKey"]
    if _DEPLOYMENT_KEY.fullmatch(key) is None:
        raise NotFound("No deployment with this key exists in this workspace.")
    return key


def add_routes(app: web.Application) -> None:
    """The operations under their operationIds, each behind auth and faults (no implicit HEAD)."""
    handlers = operation_handlers(app)
    for name, (method, path) in OPERATIONS.items():
        handler = with_auth_and_faults(handlers[name], store=app[STORE], faults=app[FAULTS])
        app.router.add_route(method, path, handler, name=name)
