"""Correct servers that differ from the mock only where the contract is silent.

The contract suite must pass both. `tolerant_app`: extra fields on deployments, errors and
field errors; other error wording and `message_code`s; extra headers and another bearer
realm; `application/json` without a charset; no `Location`; reversed JSON key order; pretty
printing; and deployments of other teams already in both workspaces (live and retired),
which the suite must neither touch nor trip over. `respelled_app`: the same HTTP spelled
another valid way (media type and charset in other case, a lower-case `bearer` scheme with
a second challenge, `Allow` in another order, an absolute `Location`).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from tests.defects.planting import JSON, Depth, body_of, plant
from tests.defects.servers import OTHER_WORKSPACE, WORKSPACE, correct_app

OTHER_CODES = {
    "unauthorized": "authentication_required",
    "forbidden": "access_denied",
    "not_found": "deployment_not_found",
    "conflict": "deployment_key_taken",
    "invalid_json": "malformed_body",
    "validation_error": "invalid_deployment",
    "unsupported_media_type": "media_type_not_supported",
    "payload_too_large": "body_too_large",
    "method_not_allowed": "method_not_supported",
}
DROPPED_HEADERS = {"content-type", "content-length", "location", "www-authenticate"}
EXTRA_HEADERS = {
    "Cache-Control": "no-store",
    "X-Powered-By": "tango-alternative",
    "Strict-Transport-Security": "max-age=0",
}


def reversed_keys(value: Any) -> Any:
    """The same JSON with every object's members in reverse order (arrays keep theirs)."""
    if isinstance(value, dict):
        return {name: reversed_keys(value[name]) for name in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(item) for item in value]
    return value


def decorated_deployment(deployment: dict[str, Any], serial: int) -> dict[str, Any]:
    """A deployment with the server-side fields a real backend may add."""
    return {
        "id": serial,
        "created_at": "2025-01-02T03:04:05Z",
        "status": "active",
        **deployment,
        "links": {"self": f"/api/deployment/{deployment['deployment_key']}"},
    }


def reworded_error(envelope: dict[str, Any], status: int, request_id: str) -> dict[str, Any]:
    """Another sentence, another snake_case code, extra members; `errors` keeps its items."""
    code = OTHER_CODES.get(envelope["message_code"], f"http_{status}")
    changed: dict[str, Any] = {
        **envelope,
        "message": f"Sorry, the request could not be completed ({status}).",
        "message_code": code,
        "status": status,
        "request_id": request_id,
    }
    if "errors" in envelope:
        changed["errors"] = [{**item, "location": "body"} for item in envelope["errors"]]
    return changed


def tolerant_middleware() -> Any:
    """Rewrite every answer of the app into its tolerated alternative form."""
    serials = itertools.count(1)

    @web.middleware
    async def tolerated(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        request_id = f"req-{next(serials)}"
        headers = {k: v for k, v in response.headers.items() if k.lower() not in DROPPED_HEADERS}
        headers.update(EXTRA_HEADERS, **{"X-Request-Id": request_id})
        challenge = response.headers.get("WWW-Authenticate")
        if challenge is not None:
            headers["WWW-Authenticate"] = challenge.replace(
                'realm="tango"', 'realm="TANGO Deployment API", scope="deployments"'
            )
        if response.content_type != JSON or response.status == 204:
            return _with_headers(response, headers)
        data = body_of(response)
        if response.status >= 400:
            data = reworded_error(data, response.status, request_id)
        elif isinstance(data, list):
            data = [decorated_deployment(item, next(serials)) for item in data]
        body = json.dumps(reversed_keys(data), indent=2, ensure_ascii=True).encode()
        return web.Response(body=body, status=response.status, headers=headers, content_type=JSON)

    return tolerated


def _with_headers(response: web.StreamResponse, headers: dict[str, str]) -> web.StreamResponse:
    for name in list(response.headers):
        if name.lower() in {"location", "www-authenticate"}:
            del response.headers[name]
    response.headers.update(headers)
    return response


def _existing(workspace: str, key: str, *, deleted: bool = False) -> dict[str, Any]:
    return {
        "workspace": workspace,
        "deployment_key": key,
        "registry_connector_class": "team.registry.Connector",
        "registry_connector_init": {"owner": "another team", "url": "http://registry:5000"},
        "server_proxy_class": "team.serving.Proxy",
        "server_proxy_init": {"url": "http://serving:8080"},
        "deleted": deleted,
    }


# Keys chosen to collide with what careless generated requests send ("0", examples' keys).
EXISTING_DEPLOYMENTS = [
    _existing(WORKSPACE, "0"),
    _existing(WORKSPACE, "mlflow-deployment-staging"),
    _existing(WORKSPACE, "databricks-deployment-staging", deleted=True),
    _existing(OTHER_WORKSPACE, "shared-name"),
]


REQUESTED: web.AppKey[list[tuple[str, str]]] = web.AppKey("requested")


@web.middleware
async def record_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Keep every (method, path) asked, to prove what the suite never touched."""
    request.app[REQUESTED].append((request.method, request.path))
    return await handler(request)


def tolerant_app() -> web.Application:
    """The correct mock with other teams' data, answering in every tolerated alternative form."""
    app = plant(correct_app(EXISTING_DEPLOYMENTS), tolerant_middleware(), Depth.OUTSIDE)
    app[REQUESTED] = []
    return plant(app, record_requests, Depth.OUTSIDE)


@web.middleware
async def respelled(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The same answers with equivalent, differently spelled HTTP headers."""
    response = await handler(request)
    headers = response.headers
    if response.content_type == JSON:
        headers["Content-Type"] = "Application/JSON;Charset=UTF-8"
    if "WWW-Authenticate" in headers:
        challenge = headers["WWW-Authenticate"].replace("Bearer", "bearer", 1)
        headers["WWW-Authenticate"] = f'{challenge}, Basic realm="legacy clients"'
    if "Allow" in headers:
        headers["Allow"] = ", ".join(reversed(headers["Allow"].split(",")))
    if "Location" in headers:
        headers["Location"] = f"http://{request.host}{headers['Location']}"
    return response


def respelled_app() -> web.Application:
    """The correct mock with its headers spelled in other valid ways."""
    return plant(correct_app(), respelled, Depth.OUTSIDE)
