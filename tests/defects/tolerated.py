"""A correct server that differs from the mock only where the contract is silent.

The contract suite must pass it: extra fields on deployments, errors and field errors;
other error wording and `message_code`s; extra headers and another bearer realm;
`application/json` without a charset; no `Location`; reversed JSON key order; pretty printing.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from tests.defects.planting import JSON, Depth, body_of, plant
from tests.defects.servers import correct_app

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


def tolerant_app() -> web.Application:
    """The correct mock, answering in every tolerated alternative form."""
    return plant(correct_app(), tolerant_middleware(), Depth.OUTSIDE)
