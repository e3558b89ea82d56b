"""Serve the interactive docs page at /docs (Swagger UI), with every asset from the package.

Nothing is fetched from a CDN: the page, its script and the vendored Swagger UI files live in
`mock_server/static/` (see `static/swagger-ui/README.md`), so the page works offline. A
Content-Security-Policy keeps the browser from reaching any other host.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aiohttp import web

from mock_server.contract.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
DOCS_PATH = "/docs"
ASSET_PREFIX = "/docs/static/"

# The only files served under ASSET_PREFIX (an allow-list: no directory listing, no traversal).
ASSETS: dict[str, str] = {
    "docs.js": "text/javascript",
    "docs.css": "text/css",
    "swagger-ui/swagger-ui-bundle.js": "text/javascript",
    "swagger-ui/swagger-ui.css": "text/css",
    "swagger-ui/favicon-16x16.png": "image/png",
    "swagger-ui/favicon-32x32.png": "image/png",
    "swagger-ui/LICENSE": "text/plain",
    "swagger-ui/NOTICE": "text/plain",
    "swagger-ui/swagger-ui-bundle.js.LICENSE.txt": "text/plain",
    "swagger-ui/VERSION": "text/plain",
}

# Same origin only: scripts, styles, the spec fetch and "Try it out" calls. Swagger UI sets
# element styles from script (allowed) and shows images from data: and blob: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)

_COMMON_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def file_response(
    path: Path, content_type: str, *, headers: Mapping[str, str] | None = None
) -> web.FileResponse:
    """A file shipped in the package: revalidated on each load, never sniffed as another type."""
    response = web.FileResponse(path, headers={**_COMMON_HEADERS, **(headers or {})})
    response.content_type = content_type
    if content_type.startswith("text/"):
        response.charset = "utf-8"
    return response


async def docs_page(request: web.Request) -> web.FileResponse:
    return file_response(
        STATIC_DIR / "docs.html",
        "text/html",
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
    )


def allowed_file_response(
    directory: Path, allowed: Mapping[str, str], name: str
) -> web.FileResponse:
    """`name` from `directory` if the allow-list `allowed` (name -> media type) holds it: no
    directory listing, no traversal; anything else is the 404 envelope."""
    content_type = allowed.get(name)
    if content_type is None:
        raise NotFound("Nothing is served at this path.")
    return file_response(directory / name, content_type)


async def docs_asset(request: web.Request) -> web.FileResponse:
    return allowed_file_response(STATIC_DIR, ASSETS, request.match_info["name"])


def add_routes(app: web.Application) -> None:
    """`GET /docs` and its assets; no token needed, like /openapi.yaml."""
    app.router.add_get(DOCS_PATH, docs_page, name="docs", allow_head=False)
    app.router.add_get(ASSET_PREFIX + "{name:.+}", docs_asset, name="docs-asset", allow_head=False)
