"""`GET /_mock/ui`: the dashboard page, its script and stylesheet, all from the package.

The page and its files hold no data, so they are served without the admin token: with one,
the page asks for it and sends it on every admin call it makes, the event stream included.
They are served only where the admin API is (loopback, or an admin token). A
Content-Security-Policy keeps the page from reaching any other host or running inline code.
"""

from __future__ import annotations

from aiohttp import web

from mock_server.http.docs import STATIC_DIR, allowed_file_response, file_response

UI_DIR = STATIC_DIR / "ui"

# The only files served beside the page (an allow-list: no directory listing, no traversal).
ASSETS: dict[str, str] = {
    "ui.js": "text/javascript",
    "ui.css": "text/css",
    "favicon.svg": "image/svg+xml",
}

# Same origin only, no inline script or style; no form posts anywhere; never framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


async def dashboard_page(request: web.Request) -> web.FileResponse:
    return file_response(
        UI_DIR / "index.html",
        "text/html",
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Referrer-Policy": "no-referrer",
        },
    )


async def dashboard_asset(request: web.Request) -> web.FileResponse:
    return allowed_file_response(UI_DIR, ASSETS, request.match_info["name"])


def add_routes(app: web.Application, path: str) -> None:
    """The page at `path` and its files under `path/static/` (no implicit HEAD)."""
    app.router.add_route("GET", path, dashboard_page, name="admin-ui")
    app.router.add_route("GET", path + "/static/{name}", dashboard_asset, name="admin-ui-asset")
