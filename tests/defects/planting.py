"""Plant one defect in a correct mock app: an extra middleware at a chosen depth.

A broken variant is `create_app()` plus one small middleware, so everything the middleware
does not touch stays exactly the real mock's behaviour (no collateral breakage).
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from mock_server.http.auth import bearer_workspace
from mock_server.http.keys import STORE, WORKSPACE
from mock_server.http.operations import OPERATIONS
from mock_server.http.responses import dump_json

JSON = "application/json"


class Depth(Enum):
    """Where a planted middleware sits (request middleware -> auth and faults -> handler)."""

    OUTSIDE = "outside"  # around the request middleware: sees every final answer, envelopes too
    BEFORE_AUTH = "before_auth"  # inside it, before an operation's auth: auth not done
    INSIDE = "inside"  # after auth: request[WORKSPACE] is set, raised ApiErrors become envelopes


def _after_auth(middleware: Middleware) -> Middleware:
    """`middleware` seeing operations after auth, as an operation's handler does.

    Auth wraps each operation's handler, so no middleware runs after it; this one runs the
    same check first (a bad token is answered exactly as the operation would answer it).
    """

    @web.middleware
    async def authenticated(request: web.Request, handler: Handler) -> web.StreamResponse:
        if operation(request) in OPERATIONS:
            request[WORKSPACE] = bearer_workspace(request, request.app[STORE])
        return await middleware(request, handler)

    return authenticated


def plant(app: web.Application, middleware: Middleware, depth: Depth) -> web.Application:
    """Add `middleware` to a not yet started `app` at `depth`; returns the app."""
    stack = app.middlewares
    if depth is Depth.OUTSIDE:
        stack.insert(0, middleware)
    elif depth is Depth.BEFORE_AUTH:
        stack.append(middleware)
    else:
        stack.append(_after_auth(middleware))
    return app


def operation(request: web.Request) -> str | None:
    """The operationId the request was routed to (route names are operationIds)."""
    return request.match_info.route.name


def body_of(response: web.StreamResponse) -> Any:
    """The decoded JSON body of a mock answer (the mock always answers with bytes)."""
    assert isinstance(response, web.Response) and isinstance(response.body, bytes)
    return json.loads(response.body)


def rebuilt(
    response: web.StreamResponse,
    *,
    data: Any = None,
    text: str | None = None,
    status: int | None = None,
    content_type: str = JSON,
    charset: str | None = "utf-8",
    drop_headers: tuple[str, ...] = (),
) -> web.Response:
    """A copy of `response` with another body, status or media type; other headers kept."""
    skip = {"content-type", "content-length", *(name.lower() for name in drop_headers)}
    headers = {k: v for k, v in response.headers.items() if k.lower() not in skip}
    body = text.encode("utf-8") if text is not None else dump_json(data)
    return web.Response(
        body=body,
        status=response.status if status is None else status,
        headers=headers,
        content_type=content_type,
        charset=charset,
    )


class NoContentWithBody(web.Response):
    """A 204 that really carries a body: HTTP forbids it, aiohttp drops it, broken ones send it."""

    async def _start(self, request: web.BaseRequest) -> Any:
        self._must_be_empty_body = False
        return await super()._start(request)
