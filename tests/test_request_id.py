"""X-Request-Id on every response and one access-log line per request, never with a secret."""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.cli_process import MockProcess, python_module_command
from tests.conftest import DATABRICKS_PAYLOAD, auth

ACCESS_LINE = re.compile(
    r"(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) (?P<ms>\d+\.\d)ms "
    r"id=(?P<id>\S+) workspace=(?P<workspace>\S+)"
)


def access_lines(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    lines = [r.getMessage() for r in caplog.records if r.name == "mock_server.access"]
    matches = [ACCESS_LINE.fullmatch(line) for line in lines]
    assert all(matches), lines
    return [match for match in matches if match is not None]


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/api/deployment", auth(), 200),
        ("GET", "/api/deployment", {}, 401),
        ("GET", "/api/deployment/nope", auth(), 404),
        ("PUT", "/api/deployment", auth(), 405),
        ("POST", "/api/deployment", {**auth(), "Content-Type": "text/plain"}, 415),
        ("GET", "/nowhere", {}, 404),
        ("GET", "/openapi.json", {}, 200),
        ("GET", "/_mock/faults", {}, 200),
        ("GET", "/_mock/nothing", {}, 404),
        ("GET", "/api/deployment", {**auth(), "Prefer": "code=500"}, 500),
        ("GET", "/api/deployment", {**auth(), "Prefer": "code=1"}, 400),
    ],
)
async def test_every_response_carries_a_fresh_request_id(
    client: TestClient[Any, Any], method: str, path: str, headers: dict[str, str], status: int
) -> None:
    first = await client.request(method, path, headers=headers)
    second = await client.request(method, path, headers=headers)
    assert first.status == second.status == status
    ids = [first.headers.get("X-Request-Id"), second.headers.get("X-Request-Id")]
    assert all(value and re.fullmatch(r"[0-9a-f]{32}", value) for value in ids), ids
    assert ids[0] != ids[1]


@pytest.mark.parametrize("sent", ["abc-123", "trace:00-4bf92f3577b34da6-01", "x" * 128])
async def test_a_sane_client_request_id_is_echoed(client: TestClient[Any, Any], sent: str) -> None:
    answer = await client.get("/api/deployment", headers={**auth(), "X-Request-Id": sent})
    assert answer.headers["X-Request-Id"] == sent
    [entry] = await (await client.get("/_mock/requests")).json()
    assert entry["request_id"] == sent


@pytest.mark.parametrize("sent", ["x" * 129, "two words", "caf\u00e9", ""])
async def test_an_insane_client_request_id_is_replaced(
    client: TestClient[Any, Any], sent: str
) -> None:
    headers = {**auth(), "X-Request-Id": sent.encode("utf-8").decode("latin-1")}
    answer = await client.get("/api/deployment", headers=headers)
    assert answer.status == 200
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-Id"])


async def test_one_access_line_per_request_with_no_secret(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mock_server.access")
    created = await client.post(
        "/api/deployment?api_token=in-the-query",
        json=DATABRICKS_PAYLOAD,
        headers={**auth(), "X-Request-Id": "req-1"},
    )
    assert created.status == 201
    await client.get("/api/deployment/nope", headers=auth("t2"))
    await client.get("/_mock/state")
    lines = access_lines(caplog)
    assert [(m["method"], m["path"], m["status"], m["workspace"]) for m in lines] == [
        ("POST", "/api/deployment", "201", "ws1"),
        ("GET", "/api/deployment/nope", "404", "ws2"),
        ("GET", "/_mock/state", "200", "-"),
    ]
    assert lines[0]["id"] == "req-1"
    for secret in ("in-the-query", "Bearer", "t1 ", "dapi-secret"):
        assert secret not in caplog.text


@pytest.mark.slow  # a tango-mock process
def test_the_cli_writes_the_access_log_and_guards_the_admin_api() -> None:
    """The real command: access lines on stderr without query secrets; the admin token works."""
    command = [*python_module_command(), "--port", "0", "--token", "cli-token=cli-ws"]
    with MockProcess([*command, "--admin-token", "adm-1"]) as mock:
        assert f"admin API: {mock.url}/_mock (needs header X-Mock-Admin-Token)" in mock.banner
        request = urllib.request.Request(
            f"{mock.url}/api/deployment?token=query-secret",
            headers={"Authorization": "Bearer cli-token", "X-Request-Id": "cli-req"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200 and answer.headers["X-Request-Id"] == "cli-req"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{mock.url}/_mock/requests", timeout=10)
        assert refused.value.code == 401
        admin = urllib.request.Request(
            f"{mock.url}/_mock/requests", headers={"X-Mock-Admin-Token": "adm-1"}
        )
        with urllib.request.urlopen(admin, timeout=10) as answer:
            [entry] = json.load(answer)
        assert entry["query"] == {"token": "***"} and entry["workspace"] == "cli-ws"
        assert mock.stop() == 0
    log = mock.stderr
    assert re.search(r"GET /api/deployment 200 \d+\.\dms id=cli-req workspace=cli-ws", log), log
    assert "GET /_mock/requests 401" in log
    for secret in ("query-secret", "cli-token", "adm-1"):
        assert secret not in log
