"""Bearer authentication (RFC 6750): the token decides the workspace of every TANGO request."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from aiohttp import hdrs, web

from mock_server.contract.errors import Forbidden, Unauthorized
from mock_server.contract.fixture_format import BEARER_TOKEN_PATTERN
from mock_server.state.store import DeploymentStore, Workspace

REALM = 'Bearer realm="tango"'
_BEARER = re.compile(rf"[Bb][Ee][Aa][Rr][Ee][Rr] +({BEARER_TOKEN_PATTERN}) *")


def _challenge(error: str | None, description: str) -> Unauthorized:
    header = REALM if error is None else f'{REALM}, error="{error}"'
    return Unauthorized(description, headers={"WWW-Authenticate": header})


def authenticate(
    authorization: str | None, store: DeploymentStore, now: datetime | None = None
) -> Workspace:
    """The workspace of a valid `Authorization: Bearer <token>`; 401 or 403 otherwise.

    `now` (aware UTC) defaults to the clock, read only for tokens that can expire.
    """
    if authorization is None or not authorization.strip():
        raise _challenge(None, "A bearer token is required: send Authorization: Bearer <token>.")
    match = _BEARER.fullmatch(authorization)
    if match is None:
        raise _challenge("invalid_request", "The Authorization header must be 'Bearer <token>'.")
    grant = store.grant_for(match.group(1))
    if grant is None:
        raise _challenge("invalid_token", "The bearer token is not valid.")
    if grant.expires_at is not None and grant.is_expired(now or datetime.now(UTC)):
        raise _challenge("invalid_token", "The bearer token has expired.")
    workspace = store.workspaces.get(grant.workspace)
    if workspace is None:
        raise _challenge("invalid_token", "The bearer token is not valid.")
    if workspace.disabled:
        raise Forbidden(f"The workspace '{workspace.name}' of this token is disabled.")
    return workspace


def bearer_workspace(request: web.Request, store: DeploymentStore) -> Workspace:
    """The workspace of the request's bearer token (401/403 `ApiError` otherwise)."""
    sent = request.headers.getall(hdrs.AUTHORIZATION, ())
    # Two Authorization headers are joined, so they fail as malformed instead of the first
    # one silently winning.
    return authenticate(sent[0] if len(sent) == 1 else ", ".join(sent) or None, store)
