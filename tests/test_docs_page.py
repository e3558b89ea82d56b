"""GET /docs: Swagger UI served from the package, rendered by a real headless Chromium.

The browser test runs Debian's `chromium` against a mock on a free port, dumps the DOM after
the page's JavaScript ran and records Chromium's network log, so it proves both that the four
operations are rendered and that the page fetched nothing from any other host. Without
`chromium` it is skipped locally, and fails when the environment variable CI is set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from mock_server import MockSettings, create_app
from mock_server.contract.spec import spec_document
from mock_server.http.docs import ASSETS, STATIC_DIR
from mock_server.http.operations import OPERATIONS
from mock_server.http.server import BackgroundServer
from tests.conftest import seed_document
from tests.headless_chromium import BrowserRun, load_page


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(create_app(MockSettings(seed=seed_document()))) as running:
        yield running


@pytest.fixture(scope="module")
def rendered_docs(server: BackgroundServer, tmp_path_factory: pytest.TempPathFactory) -> BrowserRun:
    """/docs loaded once in headless Chromium: the DOM after scripts ran and the network log."""
    return load_page(f"{server.url}/docs", tmp_path_factory.mktemp("chromium"))


@pytest.mark.slow  # headless Chromium
def test_the_browser_renders_the_four_operations(
    server: BackgroundServer, rendered_docs: BrowserRun
) -> None:
    raw_page = requests.get(f"{server.url}/docs", timeout=5).text
    dom = rendered_docs.dom
    paths = spec_document()["paths"]
    for operation_id, (method, path) in OPERATIONS.items():
        summary = paths[path][method.lower()]["summary"]
        # Present in the DOM only if Swagger UI ran: the served HTML holds none of them.
        assert operation_id not in raw_page
        assert f'id="operations-Deployments-{operation_id}"' in dom, operation_id
        assert f'data-path="{path}"' in dom, path
        assert summary in dom, summary
    assert dom.count('class="opblock opblock-') == len(OPERATIONS)
    assert "Authorize" in dom  # the bearer auth button
    assert server.url in dom  # "Try it out" targets the server that served the page


@pytest.mark.slow  # headless Chromium
def test_the_page_fetches_nothing_but_its_own_server(
    server: BackgroundServer, rendered_docs: BrowserRun
) -> None:
    urls = rendered_docs.page_requests()
    elsewhere = [url for url in urls if not url.startswith(f"{server.url}/")]
    assert elsewhere == []
    fetched = {urlsplit(url).path for url in urls}
    assert {
        "/docs",
        "/openapi.json",
        "/docs/static/docs.js",
        "/docs/static/swagger-ui/swagger-ui-bundle.js",
        "/docs/static/swagger-ui/swagger-ui.css",
    } <= fetched


@pytest.mark.parametrize("name", ["docs.html", "docs.js", "docs.css"])
def test_our_page_files_name_no_other_host(name: str) -> None:
    text = (STATIC_DIR / name).read_text(encoding="utf-8")
    # Absolute (scheme://host) and protocol-relative (//host) URLs alike.
    assert re.findall(r"(?:[a-z]+:)?//[\w.-]", text) == []


def test_docs_page_needs_no_token_and_forbids_other_origins(server: BackgroundServer) -> None:
    response = requests.get(f"{server.url}/docs", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "connect-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert '<div id="swagger-ui">' in response.text


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_every_asset_is_shipped_and_served(server: BackgroundServer, name: str) -> None:
    response = requests.get(f"{server.url}/docs/static/{name}", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == ASSETS[name]
    assert response.content == (STATIC_DIR / name).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/docs/static/nope.js",
        "/docs/static/swagger-ui/README.md",
        "/docs/static/swagger-ui/",
        "/docs/static/%2e%2e/docs_page.py",
        "/docs/static/..%2f..%2fapp.py",
    ],
)
def test_anything_else_under_static_is_a_404_envelope(server: BackgroundServer, path: str) -> None:
    response = requests.get(f"{server.url}{path}", timeout=5)
    assert response.status_code == 404
    assert response.json()["message_code"] == "not_found"


def test_the_vendored_swagger_ui_is_the_real_one_with_its_licence() -> None:
    vendor = STATIC_DIR / "swagger-ui"
    version = (vendor / "VERSION").read_text().strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert f"swagger-ui-dist {version}" in (vendor / "README.md").read_text()
    assert "Apache License" in (vendor / "LICENSE").read_text()
    bundle = (vendor / "swagger-ui-bundle.js").read_bytes()
    assert len(bundle) > 500_000  # the real bundle, not a Git LFS pointer or a stub
    assert b"SwaggerUIBundle" in bundle
