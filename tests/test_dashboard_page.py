"""GET /_mock/ui: the page and its files as served (no token, a strict policy, nothing where
the admin API is off), then in a real headless Chromium driven over the DevTools protocol:
the demo's workspaces and deployments show, changes made by other clients appear without a
reload, a fault added from the page fails the next API call, a fixture file loads (or shows
its errors), the admin token is asked for once, and the page reaches no other host.

Each browser test gets a fresh mock; one browser serves the module. 1280x800 screenshots are
written under the tests' tmp dirs for a person to look at. Without `chromium` the browser
tests are skipped locally, and fail when the environment variable CI is set.
"""

from __future__ import annotations

import re
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from mock_server import MockSettings, create_app
from mock_server.admin.access import decide_admin
from mock_server.admin.dashboard import ASSETS, UI_DIR
from mock_server.cli import format_banner
from mock_server.contract.spec import demo_fixture_path
from mock_server.http.server import BackgroundServer
from mock_server.state.fixtures import build_store, load_fixture_file
from tests.conftest import MLFLOW_PAYLOAD, AiohttpClient, seed_document
from tests.envelope import assert_error
from tests.headless_chromium import DevToolsSession

DEMO_AUTH = {"Authorization": "Bearer dev-token"}
NEW_DEPLOYMENT = {**MLFLOW_PAYLOAD, "deployment_key": "churn-model-staging"}
LIVE = "document.querySelector('#connection').dataset.state === 'live'"
WORKSPACES = """[...document.querySelectorAll('.workspace')].map(w => ({
    name: w.dataset.workspace,
    live: [...w.querySelectorAll('.deployment')].map(d => d.dataset.key),
    retired: [...w.querySelectorAll('.retired-key')].map(r => r.dataset.key),
    tokens: [...w.querySelectorAll('.token')].map(t => t.textContent),
}))"""
FIRST_ROW = """(() => { const row = document.querySelector('#journal-rows tr.entry');
    return row && [row.dataset.method, row.dataset.path, row.dataset.status]; })()"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevToolsSession]:
    with DevToolsSession(tmp_path_factory.mktemp("chromium")) as session:
        yield session


def serve(**options: Any) -> BackgroundServer:
    seed = load_fixture_file(demo_fixture_path())
    return BackgroundServer(create_app(MockSettings(seed=seed, **options))).start()


@pytest.fixture
def server() -> Iterator[BackgroundServer]:
    running = serve()
    yield running
    running.stop()


def open_dashboard(browser: DevToolsSession, server: BackgroundServer) -> None:
    browser.open(f"{server.url}/_mock/ui")
    browser.wait_for(LIVE)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# -- the page as served ---------------------------------------------------------------------


async def test_the_page_is_served_with_a_strict_policy(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(create_app(MockSettings(seed=seed_document())))
    page = await client.get("/_mock/ui")
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    policy = page.headers["Content-Security-Policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "connect-src 'self'"):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    for name, content_type in ASSETS.items():
        asset = await client.get(f"/_mock/ui/static/{name}")
        assert asset.status == 200
        assert asset.headers["Content-Type"].split(";")[0] == content_type
        assert await asset.read() == (UI_DIR / name).read_bytes()
    for path in ("/_mock/ui/static/index.html", "/_mock/ui/static/..%2fdocs.js"):
        await assert_error(await client.get(path), 404, "not_found")


async def test_with_an_admin_token_the_page_is_served_without_it(
    aiohttp_client: AiohttpClient,
) -> None:
    """It holds no data: the page asks for the token, and its calls carry it."""
    settings = MockSettings(seed=seed_document(), admin_token="s3cret")
    client = await aiohttp_client(create_app(settings))
    page = await client.get("/_mock/ui")
    assert page.status == 200
    assert "ws1" not in await page.text()
    assert (await client.get("/_mock/ui/static/ui.js")).status == 200
    await assert_error(await client.get("/_mock/state"), 401, "unauthorized")


@pytest.mark.parametrize("path", ["/_mock/ui", "/_mock/ui/static/ui.js"])
async def test_on_a_public_host_without_a_token_there_is_no_page(
    aiohttp_client: AiohttpClient, path: str
) -> None:
    decision = decide_admin("0.0.0.0", admin_token=None, disabled=False)  # what the CLI does
    settings = MockSettings(seed=seed_document(), admin_enabled=decision.enabled)
    client = await aiohttp_client(create_app(settings))
    await assert_error(await client.get(path), 404, "not_found")


def test_the_banner_prints_the_dashboard_url_next_to_the_admin_api() -> None:
    store = build_store(seed_document())
    url = "http://127.0.0.1:8000"
    on = format_banner(
        url, store, admin=decide_admin("127.0.0.1", admin_token=None, disabled=False)
    )
    lines = on.splitlines()
    admin_line = next(i for i, line in enumerate(lines) if "admin API:" in line)
    assert lines[admin_line + 1] == f"  dashboard: {url}/_mock/ui"
    off = format_banner(url, store, admin=decide_admin("0.0.0.0", admin_token=None, disabled=False))
    assert "dashboard" not in off


@pytest.mark.parametrize("name", ["index.html", "ui.js", "ui.css"])
def test_the_page_files_name_no_other_host(name: str) -> None:
    text = (UI_DIR / name).read_text(encoding="utf-8")
    assert re.findall(r"(?:[a-z]+:)?//[\w.-]", text) == []
    assert "innerHTML" not in text  # data goes into the page as text only


# -- in the browser -------------------------------------------------------------------------


@pytest.mark.slow  # headless Chromium
def test_the_page_shows_the_demo_workspaces_and_deployments(
    browser: DevToolsSession, server: BackgroundServer, tmp_path: Path
) -> None:
    open_dashboard(browser, server)
    assert browser.evaluate(WORKSPACES) == [
        {
            "name": "my-workspace",
            "live": ["mlflow-deployment-staging", "databricks-deployment-staging"],
            "retired": ["mlflow-deployment-legacy"],
            "tokens": ["dev***"],
        },
        {
            "name": "other-workspace",
            "live": ["mlflow-deployment-production"],
            "retired": [],
            "tokens": ["oth***"],
        },
    ]
    struck = browser.evaluate(
        "getComputedStyle(document.querySelector('.retired-key')).textDecorationLine"
    )
    assert "line-through" in struck
    # Open the Databricks deployment: its PATs are masked, its URLs readable.
    browser.evaluate(
        "document.querySelector('[data-key=\"databricks-deployment-staging\"]').open = true"
    )
    init = browser.evaluate(
        """[...document.querySelectorAll('[data-key="databricks-deployment-staging"] .init tr')]
            .map(r => r.innerText.split('\\t'))"""
    )
    assert ["tracking_server_pat", "***"] in init
    assert ["server_proxy_pat", "***"] in init
    page = browser.evaluate("document.documentElement.outerHTML")
    for secret in ("dev-token", "other-token", "dapi-demo-tracking-pat", "dapi-demo-serving-pat"):
        assert secret not in page
    assert browser.evaluate("document.querySelector('#counts').textContent") == (
        "2 workspaces · 3 deployments · 1 retired key · 2 tokens"
    )
    assert browser.console_errors == []
    shot = browser.screenshot(tmp_path / "dashboard-demo.png")
    assert png_size(shot) == (1280, 800)


@pytest.mark.slow  # headless Chromium
def test_a_create_made_with_requests_appears_without_a_reload(
    browser: DevToolsSession, server: BackgroundServer
) -> None:
    open_dashboard(browser, server)
    browser.evaluate("window.notReloaded = true")
    key = NEW_DEPLOYMENT["deployment_key"]
    created = requests.post(
        f"{server.url}/api/deployment", json=NEW_DEPLOYMENT, headers=DEMO_AUTH, timeout=5
    )
    answered = time.monotonic()
    assert created.status_code == 201
    browser.wait_for(
        f'!!document.querySelector(\'[data-workspace="my-workspace"] [data-key="{key}"]\')'
    )
    shown_after = time.monotonic() - answered
    assert browser.evaluate(FIRST_ROW) == ["POST", "/api/deployment", "201"]
    assert browser.evaluate("window.notReloaded") is True
    assert shown_after < 1.0, f"shown {shown_after:.3f} s after the answer"
    # A delete by another client strikes the key through, still without a reload.
    requests.delete(f"{server.url}/api/deployment/{key}", headers=DEMO_AUTH, timeout=5)
    browser.wait_for(f"!!document.querySelector('.retired-key[data-key=\"{key}\"]')")
    assert browser.evaluate(FIRST_ROW) == ["DELETE", f"/api/deployment/{key}", "204"]
    assert browser.evaluate("window.notReloaded") is True


@pytest.mark.slow  # headless Chromium
def test_a_fault_added_from_the_page_makes_the_next_api_call_fail(
    browser: DevToolsSession, server: BackgroundServer
) -> None:
    open_dashboard(browser, server)
    browser.evaluate(
        """(() => { const form = document.querySelector('#fault-form');
            form.elements.namedItem('method').value = 'GET';
            form.elements.namedItem('path').value = '/api/deployment';
            form.elements.namedItem('status').value = '503';
            form.elements.namedItem('times').value = '1';
            form.querySelector('button[type=submit]').click(); })()"""
    )
    browser.wait_for("document.querySelectorAll('#faults .fault').length === 1")
    failed = requests.get(f"{server.url}/api/deployment", headers=DEMO_AUTH, timeout=5)
    assert failed.status_code == 503
    assert failed.headers["X-Mock-Fault"] == "fault-1"
    browser.wait_for("document.querySelectorAll('#faults .fault').length === 0")  # used up
    assert browser.evaluate(FIRST_ROW) == ["GET", "/api/deployment", "503"]
    assert requests.get(f"{server.url}/api/deployment", headers=DEMO_AUTH, timeout=5).ok
    # A row opens on a click: the answer's message_code and the masked body.
    browser.wait_for("document.querySelectorAll('#journal-rows tr.entry').length === 2")
    browser.evaluate("document.querySelector('#journal-rows tr.entry:nth-child(2)').click()")
    detail = browser.wait_for("document.querySelector('#journal-rows tr.detail')?.innerText")
    assert failed.json()["message_code"] in detail


@pytest.mark.slow  # headless Chromium
def test_a_request_that_breaks_the_contract_shows_its_violations(
    browser: DevToolsSession, server: BackgroundServer
) -> None:
    open_dashboard(browser, server)
    bad = {**NEW_DEPLOYMENT, "workspace": "other-workspace"}
    answer = requests.post(f"{server.url}/api/deployment", json=bad, headers=DEMO_AUTH, timeout=5)
    assert answer.status_code == 422
    browser.wait_for("!!document.querySelector('#journal-rows tr.entry .flag')")
    assert browser.evaluate("document.querySelector('#journal-rows .flag').textContent") == (
        "⚠ 1 violation"
    )
    browser.evaluate("document.querySelector('#journal-rows tr.entry').click()")
    shown = browser.wait_for("document.querySelector('#journal-rows .violations')?.innerText")
    assert "client.no-workspace-field" in shown
    assert "validation_error" in browser.evaluate(
        "document.querySelector('#journal-rows tr.detail').innerText"
    )


@pytest.mark.slow  # headless Chromium
def test_an_invalid_rule_shows_its_errors_beside_the_form(
    browser: DevToolsSession, server: BackgroundServer
) -> None:
    open_dashboard(browser, server)
    browser.evaluate(
        """(() => { const form = document.querySelector('#fault-form');
            form.elements.namedItem('status').value = '';
            form.querySelector('button[type=submit]').click(); })()"""
    )
    errors = browser.wait_for("document.querySelector('#fault-errors').innerText")
    assert "a status, a delay_ms, or both" in errors
    assert requests.get(f"{server.url}/_mock/faults", timeout=5).json() == []


@pytest.mark.slow  # headless Chromium
def test_a_fixture_file_loads_or_shows_its_errors_inline(
    browser: DevToolsSession, server: BackgroundServer, tmp_path: Path
) -> None:
    open_dashboard(browser, server)
    bad = tmp_path / "bad.yaml"
    bad.write_text("workspaces:\n  - name: demo\ndeployments:\n  - workspace: demo\n")
    browser.set_files("#fixture-file", [bad])
    notice = browser.wait_for("document.querySelector('#notice[data-kind=\"error\"]')?.innerText")
    assert "bad.yaml was refused; nothing changed." in notice
    assert "deployment_key" in notice  # the 422's errors, field by field
    assert [w["name"] for w in browser.evaluate(WORKSPACES)] == ["my-workspace", "other-workspace"]

    good = tmp_path / "good.yaml"
    good.write_text(
        "workspaces:\n  - name: demo-space\ntokens:\n  - token: demo-space-token\n"
        "    workspace: demo-space\n"
    )
    browser.set_files("#fixture-file", [good])
    browser.wait_for("!!document.querySelector('#notice[data-kind=\"ok\"]')")
    browser.wait_for("document.querySelectorAll('.workspace').length === 1")
    assert browser.evaluate(WORKSPACES) == [
        {"name": "demo-space", "live": [], "retired": [], "tokens": ["dem***"]}
    ]


@pytest.mark.slow  # headless Chromium
def test_with_an_admin_token_the_page_asks_for_it_once(
    browser: DevToolsSession, tmp_path: Path
) -> None:
    guarded = serve(admin_token="open-sesame")
    try:
        browser.open(f"{guarded.url}/_mock/ui")
        browser.wait_for("!document.querySelector('#token-dialog').hidden")
        browser.evaluate(
            """(() => { document.querySelector('#token-input').value = 'open-sesame';
                document.querySelector('#token-form button').click(); })()"""
        )
        browser.wait_for(LIVE)
        assert browser.evaluate("sessionStorage.getItem('tango-mock-admin-token')") == (
            "open-sesame"
        )
        browser.open(f"{guarded.url}/_mock/ui")  # a reload: the token is kept for the tab
        browser.wait_for(LIVE)
        assert browser.evaluate("document.querySelector('#token-dialog').hidden") is True
    finally:
        guarded.stop()


@pytest.mark.slow  # headless Chromium
def test_the_page_reaches_nothing_but_its_own_server(
    browser: DevToolsSession, server: BackgroundServer, tmp_path: Path
) -> None:
    browser.page_urls.clear()
    open_dashboard(browser, server)
    requests.post(f"{server.url}/api/deployment", json=NEW_DEPLOYMENT, headers=DEMO_AUTH, timeout=5)
    requests.get(f"{server.url}/api/deployment/nope", headers=DEMO_AUTH, timeout=5)
    requests.get(f"{server.url}/api/deployment", timeout=5)
    requests.post(
        f"{server.url}/_mock/faults",
        json={"method": "DELETE", "path": "/api/deployment/*", "delay_ms": 50},
        timeout=5,
    )
    browser.wait_for("document.querySelectorAll('#journal-rows tr.entry').length === 3")
    browser.evaluate("document.querySelector('#journal-rows tr.entry:nth-child(2)').click()")
    time.sleep(1.3)  # let the arrival highlight fade
    shot = browser.screenshot(tmp_path / "dashboard-live.png")
    assert png_size(shot) == (1280, 800)
    elsewhere = [url for url in browser.page_urls if not url.startswith(f"{server.url}/")]
    assert elsewhere == []
    assert f"{server.url}/_mock/events" in browser.page_urls
    assert browser.console_errors == []
