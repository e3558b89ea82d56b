"""GET /: a newcomer opening the mock's address is pointed at the docs, the contract and the
admin API, as JSON, or as a page for a browser; it is the mock's own page, not TANGO traffic."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mock_server import MockSettings, create_app
from mock_server.http.home import prefers_html
from tests.conftest import AiohttpClient, auth, seed_document
from tests.envelope import assert_error

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
EXPECTED_LINKS = {
    "docs": "/docs",
    "openapi_yaml": "/openapi.yaml",
    "openapi_json": "/openapi.json",
    "dashboard": "/_mock/ui",
    "admin": "/_mock/openapi.yaml",
}


async def test_the_json_answer_points_at_docs_contract_and_admin(
    client: TestClient[Any, Any],
) -> None:
    response = await client.get("/")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Vary"] == "Accept"
    body = await response.json()
    assert body["links"] == EXPECTED_LINKS
    assert body["api"] == "/api/deployment"
    assert "Bearer" in body["message"]
    for path in body["links"].values():  # every link leads somewhere real
        assert (await client.get(path)).status == 200, path


@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/json", "application/json, text/html;q=0.5"]
)
async def test_api_clients_get_json(client: TestClient[Any, Any], accept: str | None) -> None:
    response = await client.get("/", headers={"Accept": accept} if accept else {})
    assert response.content_type == "application/json"


async def test_a_browser_gets_a_page_with_the_same_links(client: TestClient[Any, Any]) -> None:
    response = await client.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    page = await response.text()
    assert set(re.findall(r'href="([^"]+)"', page)) == set(EXPECTED_LINKS.values())
    assert "<script" not in page


async def test_without_the_admin_api_there_is_no_admin_link(
    aiohttp_client: AiohttpClient,
) -> None:
    app = create_app(MockSettings(seed=seed_document(), admin_enabled=False))
    client = await aiohttp_client(app)
    links = (await (await client.get("/")).json())["links"]
    assert "admin" not in links and not any(path.startswith("/_mock") for path in links.values())
    page = await (await client.get("/", headers={"Accept": BROWSER_ACCEPT})).text()
    assert "/_mock" not in page


async def test_it_needs_no_token_and_is_neither_journaled_nor_faulted(
    client: TestClient[Any, Any],
) -> None:
    rule = await client.post("/_mock/faults", json={"path": "*", "status": 503})
    assert rule.status == 201
    assert (await client.get("/", headers=auth("not-a-token"))).status == 200
    assert (await client.get("/", headers={"Prefer": "code=500"})).status == 200
    assert (await client.get("/api/deployment", headers=auth())).status == 503  # the rule works
    await client.delete("/_mock/faults")
    journal = await (await client.get("/_mock/requests")).json()
    assert [entry["path"] for entry in journal] == ["/api/deployment"]


async def test_other_methods_on_the_root_are_405_with_allow(client: TestClient[Any, Any]) -> None:
    response = await client.post("/", json={})
    await assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET"


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER_ACCEPT, True),
        ("text/html", True),
        ("text/*", True),
        ("text/html;q=0.9, application/json", False),
        ("text/html, application/json", False),  # a tie: JSON, the API's own format
        ("*/*", False),
        ("", False),
        ("application/*;q=0.2, text/html;q=0.3", True),
        ("text/html;q=nan, */*;q=0.1", False),
        ("text/html;q=2", False),
        ("text/html;q=abc", False),
        (",;,;=", False),
        ("text/html;q=0", False),
        ("text/html, text/*;q=0", True),  # the most specific range decides
    ],
)
def test_content_negotiation(accept: str, html: bool) -> None:
    assert prefers_html(accept) is html
