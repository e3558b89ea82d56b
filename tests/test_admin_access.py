"""Who may use /_mock: the admin token, --no-admin, non-loopback hosts; and its own spec."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from aiohttp import web

from mock_server import MockSettings, create_app
from mock_server.admin.access import decide_admin, is_loopback_host
from mock_server.admin.routes import ADMIN_PREFIX
from mock_server.cli import build_parser, format_banner
from mock_server.contract.spec import admin_spec_path
from mock_server.state.fixtures import build_store
from tests.conftest import AiohttpClient, auth, seed_document
from tests.envelope import assert_error

ADMIN_CALLS = [
    ("POST", "/_mock/reset"),
    ("GET", "/_mock/state"),
    ("GET", "/_mock/requests"),
    ("DELETE", "/_mock/requests"),
    ("GET", "/_mock/faults"),
    ("DELETE", "/_mock/faults"),
    ("GET", "/_mock/openapi.yaml"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_CALLS)
async def test_with_an_admin_token_every_admin_call_needs_the_header(
    aiohttp_client: AiohttpClient, method: str, path: str
) -> None:
    settings = MockSettings(seed=seed_document(), admin_token="s3cret")
    client = await aiohttp_client(create_app(settings))
    for headers in ({}, {"X-Mock-Admin-Token": "wrong"}, {"X-Mock-Admin-Token": "S3CRET"}):
        refused = await client.request(method, path, headers=headers)
        await assert_error(refused, 401, "unauthorized")
    allowed = await client.request(method, path, headers={"X-Mock-Admin-Token": "s3cret"})
    assert allowed.status in {200, 204}


async def test_the_admin_token_is_not_a_tango_token(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(
        create_app(MockSettings(seed=seed_document(), admin_token="s3cret"))
    )
    assert (await client.get("/api/deployment", headers=auth("s3cret"))).status == 401
    assert (await client.get("/api/deployment", headers=auth())).status == 200


@pytest.mark.parametrize(("method", "path"), ADMIN_CALLS)
async def test_a_disabled_admin_api_is_not_there(
    aiohttp_client: AiohttpClient, method: str, path: str
) -> None:
    client = await aiohttp_client(
        create_app(MockSettings(seed=seed_document(), admin_enabled=False))
    )
    await assert_error(await client.request(method, path), 404, "not_found")
    assert (await client.get("/api/deployment", headers=auth())).status == 200


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.10", False),
        ("example.com", False),
    ],
)
def test_only_loopback_hosts_count_as_private(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_the_admin_api_is_off_on_a_public_host_unless_a_token_guards_it() -> None:
    assert decide_admin("127.0.0.1", admin_token=None, disabled=False).enabled
    public = decide_admin("0.0.0.0", admin_token=None, disabled=False)
    assert not public.enabled and "--admin-token" in public.reason
    assert decide_admin("0.0.0.0", admin_token="t", disabled=False).enabled
    assert not decide_admin("127.0.0.1", admin_token="t", disabled=True).enabled


def test_the_banner_tells_the_admin_api_state() -> None:
    store = build_store(seed_document())
    url = "http://0.0.0.0:8000"
    off = format_banner(url, store, admin=decide_admin("0.0.0.0", admin_token=None, disabled=False))
    assert "admin API: OFF" in off and "--admin-token" in off
    on = format_banner(url, store, admin=decide_admin("0.0.0.0", admin_token="x", disabled=False))
    assert f"admin API: {url}/_mock" in on and "X-Mock-Admin-Token" in on
    assert "x" not in on.split("admin API:")[1].split("\n")[0].replace("X-Mock", "")
    disabled = format_banner(url, store, admin=decide_admin("::1", admin_token=None, disabled=True))
    assert "admin API: off (--no-admin)" in disabled


def test_the_cli_options(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = build_parser()
    defaults = parser.parse_args([])
    assert (defaults.journal_size, defaults.no_admin) == (1000, False)
    args = parser.parse_args(["--journal-size", "0", "--admin-token", "tok", "--no-admin"])
    assert (args.journal_size, args.admin_token, args.no_admin) == (0, "tok", True)
    for bad in (["--journal-size", "-1"], ["--journal-size", "x"], ["--admin-token", "a b"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)
    monkeypatch.setenv("TANGO_MOCK_ADMIN_TOKEN", "from-env")
    assert build_parser().parse_args([]).admin_token == "from-env"


async def test_the_admin_spec_is_served_and_documents_every_admin_route(
    aiohttp_client: AiohttpClient,
) -> None:
    app = create_app(MockSettings(seed=seed_document()))
    client = await aiohttp_client(app)
    served = await client.get("/_mock/openapi.yaml")
    assert served.status == 200 and served.content_type == "application/yaml"
    document = yaml.safe_load(await served.text())
    assert document == yaml.safe_load(admin_spec_path().read_text(encoding="utf-8"))
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch"}
    }
    registered = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if isinstance(route.resource, web.Resource)
        and route.resource.canonical.startswith(ADMIN_PREFIX)
    }
    assert registered == documented
    tango_paths = yaml.safe_load(await (await client.get("/openapi.yaml")).text())["paths"]
    assert not [path for path in tango_paths if path.startswith(ADMIN_PREFIX)]


async def test_admin_errors_use_the_envelope(client: Any) -> None:
    await assert_error(await client.get("/_mock/nothing-here"), 404, "not_found")
    await assert_error(await client.put("/_mock/requests"), 405, "method_not_allowed")
    await assert_error(await client.delete("/_mock/faults/fault-99"), 404, "not_found")
