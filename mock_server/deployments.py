"""HTTP handlers of the four TANGO operations: parse, call the store, serialise. Nothing else.

Route names are the spec's operationIds; the auth middleware has already put the token's
workspace in `request[WORKSPACE]`.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from aiohttp import web

from mock_server.keys import SETTINGS, STORE, WORKSPACE
from mock_server.persistence import save_state
from mock_server.request_body import read_json
from mock_server.responses import json_array_response
from mock_server.validation import validate_payload

COLLECTION_PATH = "/api/deployment"
ITEM_PATH = "/api/deployment/{deploymentKey}"
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]*")  # RFC 3986 unreserved characters
OPERATIONS = {
    "createDeployment": ("POST", COLLECTION_PATH),
    "listDeployments": ("GET", COLLECTION_PATH),
    "getDeployment": ("GET", ITEM_PATH),
    "deleteDeployment": ("DELETE", ITEM_PATH),
}


# Handlers read `request.app` (the mock's own app, also when mounted as a sub-app) rather
# than `request.config_dict`, which builds a lookup chain on every access.


async def create_deployment(request: web.Request) -> web.Response:
    app = request.app
    data = await read_json(request, limit=app[SETTINGS].max_body_bytes)
    payload = validate_payload(data)
    store, workspace = app[STORE], request[WORKSPACE].name
    record = store.create(workspace, payload)
    await save_state(app, undo=lambda: store.discard(workspace, record.deployment_key))
    key = record.deployment_key  # a valid key holds only URL-safe characters: quote() is rare
    location = f"{COLLECTION_PATH}/{key if _URL_SAFE.fullmatch(key) else quote(key, safe='')}"
    return json_array_response([record.api_json()], status=201, headers={"Location": location})


async def list_deployments(request: web.Request) -> web.Response:
    records = request.app[STORE].list(request[WORKSPACE].name)
    return json_array_response([record.api_json() for record in records])


async def get_deployment(request: web.Request) -> web.Response:
    key = request.match_info["deploymentKey"]
    record = request.app[STORE].get(request[WORKSPACE].name, key)
    return json_array_response([record.api_json()])


async def delete_deployment(request: web.Request) -> web.Response:
    key = request.match_info["deploymentKey"]
    store = request.app[STORE]
    record = store.delete(request[WORKSPACE].name, key)
    await save_state(request.app, undo=lambda: store.undelete(record))
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    """Register the operations under their operationIds (no implicit HEAD: the spec has none)."""
    handlers = {
        "createDeployment": create_deployment,
        "listDeployments": list_deployments,
        "getDeployment": get_deployment,
        "deleteDeployment": delete_deployment,
    }
    for name, (method, path) in OPERATIONS.items():
        app.router.add_route(method, path, handlers[name], name=name)
