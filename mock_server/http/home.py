"""`GET /`: where a newcomer who opens the mock's address goes next.

A small JSON answer pointing at the docs page, the contract and (when it is served) the admin
API; a browser, which ranks `text/html` above JSON in its `Accept`, gets the same links as a
page. Like `/docs` it needs no token, and it is neither journaled nor faulted: it is the
mock's own page, not TANGO traffic (`request_log.is_api_traffic`).
"""

from __future__ import annotations

from html import escape

from aiohttp import hdrs, web

from mock_server.http.docs import DOCS_PATH
from mock_server.http.keys import SETTINGS
from mock_server.http.responses import dump_json, json_bytes_response

HOME_PATH = "/"
API_PATH = "/api/deployment"
ADMIN_SPEC_PATH = "/_mock/openapi.yaml"
DASHBOARD_PATH = "/_mock/ui"
_MAX_ACCEPT_RANGES = 32  # more ranges than any browser sends; the rest are ignored

# (key in the JSON answer, path, what a reader finds there)
PAGES: tuple[tuple[str, str, str], ...] = (
    ("docs", DOCS_PATH, "interactive docs (Swagger UI): try every operation in the browser"),
    ("openapi_yaml", "/openapi.yaml", "the contract, as YAML"),
    ("openapi_json", "/openapi.json", "the contract, as JSON"),
)
ADMIN_PAGES = (
    ("dashboard", DASHBOARD_PATH, "a live view of the workspaces, the requests and the faults"),
    (
        "admin",
        ADMIN_SPEC_PATH,
        "the admin API under /_mock (reset, state, request journal, faults), its spec",
    ),
)
SUMMARY = (
    "tango-mock: a mock of the TANGO Deployment API. The API is under /api/deployment and "
    "needs Authorization: Bearer <token> (the start-up banner lists the tokens); the pages "
    "below need none."
)
_HTML_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
_COMMON_HEADERS = {
    "Cache-Control": "no-cache",
    "Vary": "Accept",
    "X-Content-Type-Options": "nosniff",
}


def _accept_ranges(accept: str) -> list[tuple[str, float]]:
    """`(media range, q)` pairs of an `Accept` header; an unreadable q counts as 0."""
    ranges = []
    for item in accept.split(",")[:_MAX_ACCEPT_RANGES]:
        media, *params = item.split(";")
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media.strip().lower(), quality if 0 <= quality <= 1 else 0.0))
    return ranges


def _quality(ranges: list[tuple[str, float]], media_type: str) -> float:
    """The q of the most specific range matching `media_type` (RFC 9110, 12.5.1); 0 if none."""
    kind = media_type.split("/", 1)[0]
    specificity = {media_type: 2, f"{kind}/*": 1, "*/*": 0}
    best, quality = -1, 0.0
    for media, q in ranges:
        rank = specificity.get(media, -1)
        if rank > best:
            best, quality = rank, q
    return quality


def prefers_html(accept: str | None) -> bool:
    """True when `Accept` ranks HTML above JSON (a browser); JSON wins ties (curl's `*/*`)."""
    if not accept:
        return False
    ranges = _accept_ranges(accept)
    return _quality(ranges, "text/html") > _quality(ranges, "application/json")


def home_links(*, admin_enabled: bool) -> tuple[tuple[str, str, str], ...]:
    """The pages `GET /` points at; the admin API's only when this mock serves it."""
    return (*PAGES, *ADMIN_PAGES) if admin_enabled else PAGES


def home_json(links: tuple[tuple[str, str, str], ...]) -> bytes:
    return dump_json(
        {
            "message": SUMMARY,
            "api": API_PATH,
            "links": {key: path for key, path, _ in links},
        }
    )


def home_html(links: tuple[tuple[str, str, str], ...]) -> str:
    items = "\n".join(
        f'    <li><a href="{escape(path)}">{escape(path)}</a>: {escape(what)}</li>'
        for _, path, what in links
    )
    return (
        "<!doctype html>\n"
        '<html lang="en">\n'
        '<head><meta charset="utf-8"><title>tango-mock</title></head>\n'
        "<body>\n"
        "  <h1>tango-mock</h1>\n"
        f"  <p>{escape(SUMMARY)}</p>\n"
        f"  <ul>\n{items}\n  </ul>\n"
        "</body>\n"
        "</html>\n"
    )


def add_routes(app: web.Application) -> None:
    """`GET /`, both answers built once from this app's settings (no HEAD, like /docs)."""
    links = home_links(admin_enabled=app[SETTINGS].admin_enabled)
    json_body, html_body = home_json(links), home_html(links).encode("utf-8")

    async def home(request: web.Request) -> web.Response:
        if prefers_html(request.headers.get(hdrs.ACCEPT)):
            headers = {**_COMMON_HEADERS, "Content-Security-Policy": _HTML_POLICY}
            return web.Response(
                body=html_body, headers=headers, content_type="text/html", charset="utf-8"
            )
        return json_bytes_response(json_body, headers=_COMMON_HEADERS)

    app.router.add_get(HOME_PATH, home, name="home", allow_head=False)
