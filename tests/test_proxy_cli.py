"""`tango-mock proxy` and `tango-mock check-traffic` as processes: report.json, JUnit XML and
a masked HAR on SIGINT, exit codes, and the HAR judged again offline to the same findings."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from xml.etree import ElementTree

import pytest

from mock_server.http.server import BackgroundServer
from tests import test_tango_walkthrough as walkthrough
from tests.cli_process import MockProcess, console_script_command, run_to_exit
from tests.defects.catalogue import BY_NAME
from tests.defects.servers import correct_app
from tests.proxy_support import TOKEN, call, create, walkthrough_app

pytestmark = pytest.mark.slow  # each test starts a proxy process


def _proxy(upstream: str, report: Path, *extra: str) -> MockProcess:
    command = [*console_script_command(), "proxy", "--upstream", upstream, "--port", "0"]
    return MockProcess([*command, "--report", str(report), *extra]).start()


def test_sigint_writes_the_report_and_fails_on_violations(tmp_path: Path) -> None:
    report = tmp_path / "out"
    with BackgroundServer(BY_NAME["create-answers-object"].build()) as upstream:
        proxy = _proxy(upstream.url, report, "--fail-on-violation")
        try:
            assert create(proxy.url, "one").status_code == 201
            assert create(proxy.url, "two", workspace="ws").status_code == 422
            assert call(proxy.url, "GET", "/api/deployment").status_code == 200
            code = proxy.stop(signal.SIGINT)
        finally:
            proxy.kill()
    assert code == 1
    printed = "".join(proxy.stderr_lines)
    assert "violation [server] createDeployment create.array-of-one" in printed
    assert "violation [client] createDeployment client.no-workspace-field" in printed
    found = json.loads((report / "report.json").read_text())
    assert found["exchanges"] == 3
    assert {(v["side"], v["rule"], v["count"]) for v in found["violations"]} == {
        ("server", "create.array-of-one", 1),
        ("client", "client.no-workspace-field", 1),
    }
    assert found["operations"]["createDeployment"]["status_codes"] == {"201": 1, "422": 1}
    cases = ElementTree.parse(report / "junit.xml").getroot().findall("testcase")
    assert sorted(c.get("name") or "" for c in cases) == [
        "client.no-workspace-field",
        "create.array-of-one",
    ]
    har_text = (report / "traffic.har").read_text()
    for written in (har_text, (report / "report.json").read_text(), printed):
        assert TOKEN not in written
        assert "dapi0123456789abcdef" not in written

    offline = run_to_exit(
        [
            *console_script_command(),
            "check-traffic",
            str(report / "traffic.har"),
            "--report",
            str(tmp_path / "offline"),
        ]
    )
    assert offline.returncode == 1, offline.stderr
    again = json.loads((tmp_path / "offline" / "report.json").read_text())
    assert again["violations"] == found["violations"]
    assert again["operations"] == found["operations"]


def test_a_correct_server_exits_0_even_with_fail_on_violation(tmp_path: Path) -> None:
    with BackgroundServer(correct_app()) as upstream:
        proxy = _proxy(upstream.url, tmp_path, "--fail-on-violation")
        try:
            assert create(proxy.url, "fine").status_code == 201
            assert call(proxy.url, "DELETE", "/api/deployment/fine").status_code == 204
            assert call(proxy.url, "GET", "/api/deployment/fine").status_code == 404
            code = proxy.stop(signal.SIGTERM)
        finally:
            proxy.kill()
    assert code == 0
    assert json.loads((tmp_path / "report.json").read_text())["violations"] == []
    offline = run_to_exit(
        [*console_script_command(), "check-traffic", str(tmp_path / "traffic.har")]
    )
    assert offline.returncode == 0, offline.stdout + offline.stderr


@pytest.mark.parametrize("content", ["not json", '{"log": {}}', '{"log": {"entries": [1]}}'])
def test_check_traffic_refuses_what_is_not_har(tmp_path: Path, content: str) -> None:
    har = tmp_path / "bad.har"
    har.write_text(content)
    result = run_to_exit([*console_script_command(), "check-traffic", str(har)])
    assert result.returncode == 2
    assert "tango-mock check-traffic:" in result.stderr and "Traceback" not in result.stderr


def test_proxy_refuses_an_upstream_that_is_not_a_url() -> None:
    result = run_to_exit([*console_script_command(), "proxy", "--upstream", "ftp://x"])
    assert result.returncode == 2 and "http(s)" in result.stderr


def test_the_walkthrough_through_the_command_reports_no_violation(tmp_path: Path) -> None:
    """The done-when run: `tango-mock proxy --upstream ... --report out`, a correct server,
    the whole TANGO walkthrough of tests/test_tango_walkthrough.py."""
    with BackgroundServer(walkthrough_app()) as upstream:
        proxy = _proxy(upstream.url, tmp_path / "out")
        try:
            mock: Any = SimpleNamespace(url=proxy.url)
            walkthrough.test_page_walkthrough(mock)
            walkthrough.test_workspaces_are_walled_off(mock)
            code = proxy.stop(signal.SIGINT)
        finally:
            proxy.kill()
    assert code == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert (report["exchanges"], report["violations"]) == (16, [])
    assert "violation" not in "".join(proxy.stderr_lines)
