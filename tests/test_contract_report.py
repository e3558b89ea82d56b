"""The conformance report (`--report DIR`): what report.json says and how report.html shows it.

Two short runs of the installed command, one against the mock and one against a planted
defect, each writing a report; the HTML is opened in headless Chromium with no network.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from mock_server.contract.rule_ids import RULES
from mock_server.http.server import BackgroundServer
from tests.defects.catalogue import BY_NAME
from tests.defects.servers import OTHER_TOKEN, TOKEN, correct_app
from tests.defects.suite import SUITE_ENV_VARS
from tests.headless_chromium import load_page, screenshot

pytestmark = pytest.mark.slow  # runs the contract suite and a browser

SELECT = "unknown_keys or live_key_sent_again or comes_back_exactly or a_method_the_path"
TIMEOUT = 240.0


@dataclass(frozen=True)
class Reported:
    exit_code: int
    output: str
    report: dict[str, Any]
    json_text: str
    html_path: Path


def _run(app: web.Application, out: Path) -> Reported:
    env = {k: v for k, v in os.environ.items() if k not in SUITE_ENV_VARS}
    with BackgroundServer(app) as server:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "mock_server",
                "contract",
                "--base-url",
                server.url,
                "--token",
                TOKEN,
                "--other-token",
                OTHER_TOKEN,
                "--max-examples",
                "2",
                "--report",
                str(out),
                "--",
                "-k",
                SELECT,
            ],
            cwd=out.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    text = (out / "report.json").read_text(encoding="utf-8")
    return Reported(
        done.returncode, done.stdout + done.stderr, json.loads(text), text, out / "report.html"
    )


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Reported:
    return _run(correct_app(), tmp_path_factory.mktemp("kept") / "out")


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Reported:
    return _run(
        BY_NAME["404-without-message-code"].build(), tmp_path_factory.mktemp("broken") / "out"
    )


@contextmanager
def served(page: Path) -> Iterator[str]:
    """The report's folder over HTTP on 127.0.0.1, so Chromium's net log sees every request."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(page.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{page.name}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _rules(reported: Reported) -> dict[str, dict[str, Any]]:
    return {rule["id"]: rule for rule in reported.report["rules"]}


def test_a_kept_contract_reports_every_rule_and_the_operations(kept: Reported) -> None:
    assert kept.exit_code == 0, kept.output
    report = kept.report
    assert report["verdict"] == "kept" and report["profile"] == "default"
    assert report["seed"] == 20_240_601 and report["server"].startswith("http://127.0.0.1:")
    rules = _rules(kept)
    assert list(rules) == [rule.id for rule in RULES]
    assert {rule["verdict"] for rule in rules.values()} <= {"pass", "skipped"}
    assert rules["lifecycle.live-key-409"]["verdict"] == "pass"
    assert rules["lifecycle.live-key-409"]["source"] == "tango-docs"
    skipped = rules["input.not-json-400"]  # its tests were not selected in this run
    assert skipped["verdict"] == "skipped" and "reason" in skipped
    operations = report["operations"]
    assert list(operations) == [
        "createDeployment",
        "listDeployments",
        "getDeployment",
        "deleteDeployment",
    ]
    get = operations["getDeployment"]
    assert get["status_codes"]["404"] >= 1 and get["status_codes"]["403"] == 0
    assert get["requests"] == sum(get["status_codes"].values())
    assert report["other_requests"]["status_codes"].get("405", 0) >= 3
    assert (
        sum(op["requests"] for op in operations.values()) + report["other_requests"]["requests"]
        == report["summary"]["requests"]
    )
    assert f"report: {kept.html_path}" in kept.output


def test_the_report_never_holds_a_token(kept: Reported, broken: Reported) -> None:
    for reported in (kept, broken):
        for text in (reported.json_text, reported.html_path.read_text(encoding="utf-8")):
            assert TOKEN not in text and OTHER_TOKEN not in text


def test_a_broken_contract_names_the_rule_with_a_curl_line(broken: Reported) -> None:
    assert broken.exit_code == 1, broken.output
    assert broken.report["verdict"] == "broken"
    failed = {rule_id for rule_id, rule in _rules(broken).items() if rule["verdict"] == "fail"}
    assert failed == {"errors.envelope"}
    failure = _rules(broken)["errors.envelope"]["failure"]
    assert "'message_code' must be a string, got missing" in failure
    assert "curl -i -X GET" in failure and "$TANGO_TOKEN" in failure


def test_the_page_renders_offline_and_shows_the_hit_codes(kept: Reported, tmp_path: Path) -> None:
    with served(kept.html_path) as url:
        page = load_page(url, tmp_path)
        shot = screenshot(url, tmp_path / "report-1280x800.png", tmp_path)
    assert page.page_requests() == [url]  # nothing but the page itself: no network at view time
    assert "Contract kept" in page.dom
    get = kept.report["operations"]["getDeployment"]
    for code, times in get["status_codes"].items():
        cell = f'data-code="{code}"'
        row = page.dom.split('data-operation="getDeployment"', 1)[1].split("</tr>", 1)[0]
        if times:
            assert 'class="hit' in row and f"{cell}" in row and f">{times}</td>" in row
        else:
            assert f'<td class="missed" {cell}' in row
    assert shot.stat().st_size > 10_000


def test_the_broken_page_opens_its_failures(broken: Reported, tmp_path: Path) -> None:
    with served(broken.html_path) as url:
        page = load_page(url, tmp_path)
        screenshot(url, tmp_path / "broken-1280x800.png", tmp_path)
    assert page.page_requests() == [url]
    assert "Contract broken" in page.dom
    rule = page.dom.split('data-rule="errors.envelope"', 1)[1].split('<div class="rule', 1)[0]
    assert "<details open" in rule and "curl -i -X GET" in rule
