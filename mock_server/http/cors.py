"""CORS for browser clients (`--cors-origin`): preflight answers and headers on every response.

Off unless origins are configured. A preflight (OPTIONS with Origin and
Access-Control-Request-Method) from an allowed origin to a path that exists is answered here,
before authentication and before aiohttp's 405 for OPTIONS; every other response to an
allowed origin, errors included, carries Access-Control-Allow-Origin and exposes the headers
a client reads. Requests from other origins get no CORS headers at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import hdrs, web
from aiohttp.web_urldispatcher import MatchInfoError

ANY_ORIGIN = "*"
ALLOWED_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "Prefer",
    "X-Request-Id",
    "X-Mock-Admin-Token",
)
EXPOSED_RESPONSE_HEADERS = ("X-Request-Id", "Location", "WWW-Authenticate", "Allow")
PREFLIGHT_MAX_AGE_SECONDS = 600
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_origin(value: str) -> str:
    """`*` or a browser-style origin `scheme://host[:port]` (lower case, no default port)."""
    if value == ANY_ORIGIN:
        return value
    parts = urlsplit(value.strip().removesuffix("/"))
    if (
        parts.scheme.lower() not in _DEFAULT_PORTS
        or not parts.hostname
        or parts.username is not None
        or parts.path
        or parts.query
        or parts.fragment
    ):
        raise ValueError(f"expected '*' or an origin such as http://localhost:3000, got {value!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"the origin {value!r} has no valid port (0 to 65535)") from None
    scheme, host = parts.scheme.lower(), parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return (
        f"{scheme}://{host}"
        if port in (None, _DEFAULT_PORTS[scheme])
        else f"{scheme}://{host}:{port}"
    )


@dataclass(frozen=True)
class CorsPolicy:
    """Which origins may read responses; `*` lets every origin in."""

    origins: frozenset[str]

    @classmethod
    def from_origins(cls, origins: Iterable[str]) -> CorsPolicy:
        return cls(frozenset(normalise_origin(origin) for origin in origins))

    @property
    def any_origin(self) -> bool:
        return ANY_ORIGIN in self.origins

    def allow_origin_value(self, origin: str | None) -> str | None:
        """The Access-Control-Allow-Origin value for this request's Origin, or None."""
        if self.any_origin:
            return ANY_ORIGIN
        if origin is None:
            return None
        try:
            return origin if normalise_origin(origin) in self.origins else None
        except ValueError:
            return None


def _path_methods(request: web.Request) -> set[str] | None:
    """The methods the request's path has, or None if nothing is served there."""
    match_info = request.match_info
    if isinstance(match_info, MatchInfoError):
        error = match_info.http_exception
        if isinstance(error, web.HTTPMethodNotAllowed):
            return set(error.allowed_methods)
        return None
    resource = match_info.route.resource
    return {route.method for route in resource} if resource is not None else None


def _add_vary_origin(response: web.StreamResponse) -> None:
    existing = response.headers.get(hdrs.VARY, "")
    names = [name.strip() for name in existing.split(",") if name.strip()]
    if not any(name.lower() == "origin" or name == "*" for name in names):
        response.headers[hdrs.VARY] = ", ".join([*names, "Origin"])


def decorate(target: web.StreamResponse, policy: CorsPolicy, allow: str | None) -> None:
    """CORS headers on any answer (errors included) to an allowed origin; `Vary: Origin`."""
    if not policy.any_origin:
        _add_vary_origin(target)
    if allow is not None:
        target.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = allow
        target.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = ", ".join(EXPOSED_RESPONSE_HEADERS)


def _preflight_response(policy: CorsPolicy, allow: str, methods: set[str]) -> web.Response:
    response = web.Response(
        status=204,
        headers={
            hdrs.ACCESS_CONTROL_ALLOW_ORIGIN: allow,
            hdrs.ACCESS_CONTROL_ALLOW_METHODS: ", ".join(sorted(methods)),
            hdrs.ACCESS_CONTROL_ALLOW_HEADERS: ", ".join(ALLOWED_REQUEST_HEADERS),
            hdrs.ACCESS_CONTROL_MAX_AGE: str(PREFLIGHT_MAX_AGE_SECONDS),
        },
    )
    if not policy.any_origin:
        _add_vary_origin(response)
    return response


def preflight_answer(request: web.Request, policy: CorsPolicy, allow: str) -> web.Response | None:
    """The 204 for a preflight from an allowed origin to a path that exists, else None."""
    if (
        request.method != hdrs.METH_OPTIONS
        or hdrs.ORIGIN not in request.headers
        or hdrs.ACCESS_CONTROL_REQUEST_METHOD not in request.headers
    ):
        return None
    methods = _path_methods(request)
    return None if methods is None else _preflight_response(policy, allow, methods)


def cors_policy(origins: Iterable[str]) -> CorsPolicy | None:
    """The policy for `--cors-origin` values, or None when there are none (CORS off, no cost)."""
    policy = CorsPolicy.from_origins(origins)
    return policy if policy.origins else None
