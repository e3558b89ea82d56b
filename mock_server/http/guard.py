"""The gate of every TANGO operation: bearer auth, then injected faults, then the handler.

A wrapper around each operation's handler rather than a middleware: a middleware runs for
every request and would first have to ask which route matched, while a wrapper knows, and
each middleware layer costs CPU per request. Auth comes before faults so a bad token still
gets its 401/403 and a fault rule can target a workspace.
"""

from __future__ import annotations

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from mock_server.http.auth import authenticate
from mock_server.http.faults import PREFER, with_faults
from mock_server.http.keys import WORKSPACE
from mock_server.state.faults import FaultBook
from mock_server.state.store import DeploymentStore, Workspace


def bearer_workspace(request: web.Request, store: DeploymentStore) -> Workspace:
    """The workspace of the request's bearer token (401/403 `ApiError` otherwise)."""
    sent = request.headers.getall(hdrs.AUTHORIZATION, ())
    # Two Authorization headers are joined, so they fail as malformed instead of the first
    # one silently winning.
    return authenticate(sent[0] if len(sent) == 1 else ", ".join(sent) or None, store)


def guarded(handler: Handler, *, store: DeploymentStore, faults: FaultBook) -> Handler:
    """`handler` behind the gate; it finds the caller's workspace in `request[WORKSPACE]`."""
    active_rules = faults.active

    async def operation(request: web.Request) -> web.StreamResponse:
        request[WORKSPACE] = bearer_workspace(request, store)
        if active_rules or PREFER in request.headers:
            return await with_faults(request, handler)
        return await handler(request)

    return operation
