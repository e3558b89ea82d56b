"""Who may call the admin API: whether it is served at all (loopback, `--admin-token`,
`--no-admin`), and the `X-Mock-Admin-Token` check in front of every admin handler.

The admin API can replace the whole state and read every request, so on a host other
clients can reach it is off unless a token protects it.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from mock_server.contract.errors import Unauthorized
from mock_server.http.keys import SETTINGS

ADMIN_TOKEN_HEADER = "X-Mock-Admin-Token"
ADMIN_TOKEN_ENV = "TANGO_MOCK_ADMIN_TOKEN"

AdminHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def require_admin_token(handler: AdminHandler) -> AdminHandler:
    """Require `X-Mock-Admin-Token` when the settings name an admin token (constant time)."""

    async def check_then_handle(request: web.Request) -> web.StreamResponse:
        expected = request.config_dict[SETTINGS].admin_token
        if expected is not None:
            given = request.headers.get(ADMIN_TOKEN_HEADER, "")
            if not hmac.compare_digest(
                given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
            ):
                raise Unauthorized(f"The admin API needs a valid {ADMIN_TOKEN_HEADER} header.")
        return await handler(request)

    return check_then_handle


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
