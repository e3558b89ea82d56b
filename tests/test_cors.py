"""CORS (`--cors-origin`): preflights answered before auth and 405, headers on every answer
to an allowed origin (errors included), nothing for other origins or when it is off."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from mock_server import MockSettings, create_app
from mock_server.cli import build_parser
from mock_server.http.cors import normalise_origin
from mock_server.http.server import BackgroundServer
from tests.conftest import MLFLOW_PAYLOAD, TOKEN, AiohttpClient, auth, seed_document
from tests.headless_chromium import load_page

APP_ORIGIN = "http://localhost:3000"
OTHER_ALLOWED = "https://console.example.com"
STRANGER = "http://evil.example"
CORS_HEADERS = (
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Max-Age",
    "Access-Control-Expose-Headers",
    "Access-Control-Allow-Credentials",
)


def preflight_headers(origin: str, method: str, headers: str = "") -> dict[str, str]:
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        sent["Access-Control-Request-Headers"] = headers
    return sent


def comma_set(value: str) -> set[str]:
    return {item.strip().lower() for item in value.split(",") if item.strip()}


def assert_no_cors(headers: Any) -> None:
    present = [name for name in CORS_HEADERS if name in headers]
    assert present == []


async def make_client(aiohttp_client: AiohttpClient, *origins: str) -> TestClient[Any, Any]:
    settings = MockSettings(seed=seed_document(), cors_origins=origins)
    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def cors_client(aiohttp_client: AiohttpClient) -> TestClient[Any, Any]:
    return await make_client(aiohttp_client, APP_ORIGIN, OTHER_ALLOWED)


@pytest.mark.parametrize(
    ("path", "method", "expected_methods"),
    [
        ("/api/deployment", "POST", {"get", "post"}),
        ("/api/deployment/some-key", "DELETE", {"get", "delete"}),
        ("/openapi.json", "GET", {"get"}),
    ],
)
async def test_preflight_is_answered_without_a_token(
    cors_client: TestClient[Any, Any], path: str, method: str, expected_methods: set[str]
) -> None:
    response = await cors_client.options(
        path, headers=preflight_headers(APP_ORIGIN, method, "authorization,content-type")
    )
    assert response.status == 204
    assert await response.read() == b""
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert comma_set(response.headers["Access-Control-Allow-Methods"]) == expected_methods
    allowed_headers = comma_set(response.headers["Access-Control-Allow-Headers"])
    assert {"authorization", "content-type"} <= allowed_headers
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "origin" in comma_set(response.headers["Vary"])
    assert "Access-Control-Allow-Credentials" not in response.headers


async def test_each_configured_origin_gets_its_own_origin_back(
    cors_client: TestClient[Any, Any],
) -> None:
    response = await cors_client.options(
        "/api/deployment", headers=preflight_headers(OTHER_ALLOWED, "GET")
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == OTHER_ALLOWED


async def test_preflight_of_an_unknown_path_is_a_404(cors_client: TestClient[Any, Any]) -> None:
    response = await cors_client.options("/nowhere", headers=preflight_headers(APP_ORIGIN, "GET"))
    assert response.status == 404
    assert (await response.json())["message_code"] == "not_found"
    assert "Access-Control-Allow-Methods" not in response.headers


async def test_a_stranger_origin_gets_no_cors_at_all(cors_client: TestClient[Any, Any]) -> None:
    preflight = await cors_client.options(
        "/api/deployment", headers=preflight_headers(STRANGER, "POST", "authorization")
    )
    assert preflight.status == 405
    assert (await preflight.json())["message_code"] == "method_not_allowed"
    assert_no_cors(preflight.headers)
    assert "origin" in comma_set(preflight.headers["Vary"])  # caches must keep them apart

    response = await cors_client.get("/api/deployment", headers={**auth(), "Origin": STRANGER})
    assert response.status == 200
    assert_no_cors(response.headers)


@pytest.mark.parametrize("origins", [(), (APP_ORIGIN,)])
async def test_plain_options_is_still_a_405(
    aiohttp_client: AiohttpClient, origins: tuple[str, ...]
) -> None:
    client = await make_client(aiohttp_client, *origins)
    response = await client.options("/api/deployment", headers=auth())
    assert response.status == 405
    assert (await response.json())["message_code"] == "method_not_allowed"
    assert_no_cors(response.headers)


async def test_off_by_default(aiohttp_client: AiohttpClient) -> None:
    client = await make_client(aiohttp_client)
    preflight = await client.options(
        "/api/deployment", headers=preflight_headers(APP_ORIGIN, "POST")
    )
    assert preflight.status == 405
    assert_no_cors(preflight.headers)
    response = await client.get("/api/deployment", headers={**auth(), "Origin": APP_ORIGIN})
    assert response.status == 200
    assert_no_cors(response.headers)
    assert "Vary" not in response.headers


async def test_actual_answers_carry_allow_origin_and_expose_headers(
    cors_client: TestClient[Any, Any],
) -> None:
    created = await cors_client.post(
        "/api/deployment", json=MLFLOW_PAYLOAD, headers={**auth(), "Origin": APP_ORIGIN}
    )
    assert created.status == 201
    assert created.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    exposed = comma_set(created.headers["Access-Control-Expose-Headers"])
    assert {"x-request-id", "location"} <= exposed
    assert "origin" in comma_set(created.headers["Vary"])

    deleted = await cors_client.delete(
        "/api/deployment/mlflow-deployment-staging", headers={**auth(), "Origin": APP_ORIGIN}
    )
    assert deleted.status == 204
    assert deleted.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status"),
    [
        ("GET", "/api/deployment", {}, None, 401),
        ("GET", "/api/deployment/missing", auth(), None, 404),
        ("POST", "/api/deployment", auth(), {"deployment_key": "x"}, 422),
        ("PUT", "/api/deployment", auth(), None, 405),
        ("GET", "/nowhere", {}, None, 404),
    ],
)
async def test_error_answers_carry_cors_too(
    cors_client: TestClient[Any, Any],
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any,
    status: int,
) -> None:
    response = await cors_client.request(
        method, path, headers={**headers, "Origin": APP_ORIGIN}, json=body
    )
    assert response.status == status
    assert "message_code" in await response.json()
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert "www-authenticate" in comma_set(response.headers["Access-Control-Expose-Headers"])


async def test_injected_faults_and_the_admin_api_work_across_origins(
    cors_client: TestClient[Any, Any],
) -> None:
    faulted = await cors_client.get(
        "/api/deployment", headers={**auth(), "Origin": APP_ORIGIN, "Prefer": "code=503"}
    )
    assert faulted.status == 503
    assert faulted.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert "X-Request-Id" in faulted.headers

    preflight = await cors_client.options(
        "/_mock/reset", headers=preflight_headers(APP_ORIGIN, "POST", "x-mock-admin-token")
    )
    assert preflight.status == 204
    assert comma_set(preflight.headers["Access-Control-Allow-Methods"]) == {"post"}
    assert "x-mock-admin-token" in comma_set(preflight.headers["Access-Control-Allow-Headers"])


async def test_any_origin(aiohttp_client: AiohttpClient) -> None:
    client = await make_client(aiohttp_client, "*")
    preflight = await client.options(
        "/api/deployment", headers=preflight_headers(STRANGER, "POST", "authorization")
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Vary" not in preflight.headers
    response = await client.get("/api/deployment", headers={**auth(), "Origin": STRANGER})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Vary" not in response.headers


async def test_configured_origins_are_compared_as_browsers_send_them(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await make_client(aiohttp_client, "HTTP://LocalHost:80/")
    response = await client.get("/openapi.json", headers={"Origin": "http://localhost"})
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost"
    response = await client.get("/openapi.json", headers={"Origin": "http://localhost:8080"})
    assert_no_cors(response.headers)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("*", "*"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("https://Example.COM:443/", "https://example.com"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_normalise_origin(given: str, expected: str) -> None:
    assert normalise_origin(given) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "localhost:3000",
        "http://example.com/app",
        "http://example.com?x=1",
        "ftp://example.com",
        "http://",
        "http://user@example.com",
        "http://example.com:99999",
        "null",
        "",
    ],
)
def test_bad_origins_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="origin"):
        normalise_origin(bad)


def test_cli_option_is_repeatable_and_validated(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(
        ["--cors-origin", "http://localhost:3000/", "--cors-origin", "*"]
    )
    assert args.cors_origin == ["http://localhost:3000", "*"]
    assert build_parser().parse_args([]).cors_origin == []
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["--cors-origin", "localhost:3000"])
    assert exit_info.value.code == 2
    assert "--cors-origin" in capsys.readouterr().err


BROWSER_PAGE = """<!DOCTYPE html>
<html><body><pre id="result">pending</pre>
<script>
const ALLOWED = %(allowed)s, CLOSED = %(closed)s, PAYLOAD = %(payload)s;
const AUTH = {Authorization: "Bearer %(token)s"};
async function attempt(call) {
  try { return await call(); } catch (error) { return "blocked: " + error.name; }
}
(async () => {
  const out = {};
  out.create = await attempt(async () => {
    const r = await fetch(ALLOWED + "/api/deployment", {method: "POST",
      headers: {...AUTH, "Content-Type": "application/json"}, body: JSON.stringify(PAYLOAD)});
    return {status: r.status, location: r.headers.get("Location")};
  });
  out.list = await attempt(async () => {
    const r = await fetch(ALLOWED + "/api/deployment", {headers: AUTH});
    return {status: r.status, keys: (await r.json()).map((d) => d.deployment_key)};
  });
  out.no_token = await attempt(async () => {
    const r = await fetch(ALLOWED + "/api/deployment");
    return {status: r.status, code: (await r.json()).message_code};
  });
  out.delete = await attempt(async () => {
    const r = await fetch(ALLOWED + "/api/deployment/" + PAYLOAD.deployment_key,
      {method: "DELETE", headers: AUTH});
    return {status: r.status};
  });
  out.closed = await attempt(async () => {
    const r = await fetch(CLOSED + "/api/deployment", {headers: AUTH});
    return {status: r.status};
  });
  document.getElementById("result").textContent = JSON.stringify(out);
})();
</script></body></html>
"""


@pytest.mark.slow  # headless Chromium
def test_a_real_browser_calls_the_mock_across_origins(tmp_path: Path) -> None:
    """Chromium on another origin can create, list, read a 401, delete; without CORS: blocked."""
    targets: dict[str, str] = {}

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=BROWSER_PAGE % targets, content_type="text/html")

    page_app = web.Application()
    page_app.router.add_get("/", page)
    with BackgroundServer(page_app) as page_server:
        allowed_app = create_app(
            MockSettings(seed=seed_document(), cors_origins=(page_server.url,))
        )
        closed_app = create_app(MockSettings(seed=seed_document()))
        with BackgroundServer(allowed_app) as allowed, BackgroundServer(closed_app) as closed:
            targets.update(
                allowed=json.dumps(allowed.url),
                closed=json.dumps(closed.url),
                payload=json.dumps(MLFLOW_PAYLOAD),
                token=TOKEN,
            )
            run = load_page(f"{page_server.url}/", tmp_path)
    found = re.search(r'<pre id="result">(.*?)</pre>', run.dom, re.DOTALL)
    assert found is not None, run.dom
    result = json.loads(html.unescape(found.group(1)))
    key = MLFLOW_PAYLOAD["deployment_key"]
    assert result == {
        "create": {"status": 201, "location": f"/api/deployment/{key}"},
        "list": {"status": 200, "keys": [key]},
        "no_token": {"status": 401, "code": "unauthorized"},
        "delete": {"status": 204},
        "closed": "blocked: TypeError",
    }
