"""`tango-mock contract`: the installed suite as a command, from any directory.

Each run is a real subprocess in an empty directory whose own `pyproject.toml` and
`conftest.py` would break a pytest run that picked them up: the command must ignore both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from contract_tests.support.settings import OPTIONS
from mock_server.cli import main as cli_main
from mock_server.http.keys import STORE
from mock_server.http.server import BackgroundServer
from tests.defects.catalogue import BY_NAME
from tests.defects.servers import OTHER_TOKEN, TOKEN, correct_app
from tests.defects.suite import SUITE_ENV_VARS

pytestmark = pytest.mark.slow  # runs the contract suite as a command

TIMEOUT = 240.0
HOSTILE_PYPROJECT = '[tool.pytest.ini_options]\naddopts = "--no-such-option"\n'
HOSTILE_CONFTEST = "raise RuntimeError('a conftest.py of the calling directory was loaded')\n"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A directory that is not the repository, with pytest configuration that must not apply."""
    (tmp_path / "pyproject.toml").write_text(HOSTILE_PYPROJECT)
    (tmp_path / "conftest.py").write_text(HOSTILE_CONFTEST)
    return tmp_path


def contract(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in SUITE_ENV_VARS}
    return subprocess.run(
        [sys.executable, "-m", "mock_server", "contract", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_help_lists_every_option_with_its_environment_variable(elsewhere: Path) -> None:
    done = contract(elsewhere, "--help")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    for option in [*OPTIONS]:
        assert option.flag in text and f"(env {option.env})" in text, option
    assert "--junitxml FILE" in text and "(env TANGO_CONTRACT_JUNITXML)" in text


def test_serve_is_the_default_command_spelled_out(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--version"], ["serve", "--version"]):
        with pytest.raises(SystemExit) as stopped:
            cli_main(argv)
        assert stopped.value.code == 0
    versions = capsys.readouterr().out.split("\n")
    assert versions[0] == versions[1] and versions[0].startswith("tango-mock ")


def test_an_unreachable_server_exits_2_saying_so_once(elsewhere: Path) -> None:
    done = contract(elsewhere, "--base-url", "http://127.0.0.1:9", "--token", TOKEN)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert output.count("cannot reach") == 1, output
    assert "unreachable server" in output and "Connection refused" in output


def test_a_refused_token_exits_2_with_one_line_before_any_test(elsewhere: Path) -> None:
    with BackgroundServer(correct_app()) as server:
        done = contract(
            elsewhere, "--base-url", server.url, "--token", TOKEN, "--other-token", "not-issued"
        )
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert output.count("refuses --other-token") == 1, output
    assert "usage error" in output and "401" in output
    assert "passed" not in output and "failed" not in output and "not-issued" not in output


def test_a_bad_option_value_is_a_usage_error(elsewhere: Path) -> None:
    done = contract(elsewhere, "--max-examples", "many")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--max-examples must be a whole number" in done.stdout + done.stderr


def test_a_kept_contract_exits_0_and_a_broken_one_1(elsewhere: Path) -> None:
    """One quick test of the suite against the mock, then against a defect that breaks it."""
    select = ["--", "-k", "unknown_keys or live_key_sent_again"]
    for app, expected in ((correct_app(), 0), (BY_NAME["404-without-message-code"].build(), 1)):
        with BackgroundServer(app) as server:
            done = contract(
                elsewhere,
                "--base-url",
                server.url,
                "--token",
                TOKEN,
                "--other-token",
                OTHER_TOKEN,
                "--junitxml",
                "junit.xml",
                *select,
            )
        output = done.stdout + done.stderr
        assert done.returncode == expected, output
        assert f"rootdir: {Path(__file__).resolve().parents[1] / 'contract_tests'}" in output
        assert (elsewhere / "junit.xml").is_file()
    assert "'message_code' must be a string, got missing" in output


def test_the_smoke_profile_creates_and_deletes_nothing(elsewhere: Path) -> None:
    """Read-only against a production server: the store is as empty after the run as before."""
    app = correct_app()
    with BackgroundServer(app) as server:
        done = contract(
            elsewhere,
            "--base-url",
            server.url,
            "--token",
            TOKEN,
            "--other-token",
            OTHER_TOKEN,
            "--contract-profile",
            "smoke",
            "--report",
            "out",
        )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    store = app[STORE]
    assert all(not space.live and not space.retired for space in store.workspaces.values())
    report = json.loads((elsewhere / "out" / "report.json").read_text())
    assert report["read_only"] is True and report["profile"] == "smoke"
    assert report["writes"] == {
        "created": 0,
        "deleted_by_tests": 0,
        "deleted_in_cleanup": 0,
        "left": [],
    }
    verdicts = {rule["id"]: rule["verdict"] for rule in report["rules"]}
    for judged in ("auth.missing-token-401", "list.array", "lifecycle.unknown-key-404"):
        assert verdicts[judged] == "pass", judged
    assert verdicts["lifecycle.deleted-key-retired"] == "skipped"
    operations = report["operations"]
    assert all(operations[name]["requests"] > 0 for name in operations)
    assert report["operations"]["deleteDeployment"]["status_codes"]["204"] == 0
    assert report["duration_seconds"] < 60


def test_rules_of_unselected_sources_skip_instead_of_failing(elsewhere: Path) -> None:
    """A server that differs on a decision (create answers 200) passes `--rules tango-docs,http`."""
    with BackgroundServer(BY_NAME["create-answers-200"].build()) as server:
        done = contract(
            elsewhere,
            "--base-url",
            server.url,
            "--token",
            TOKEN,
            "--rules",
            "tango-docs,http",
            "--report",
            "out",
            "--",
            "-k",
            "comes_back_exactly",
        )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "create.answers-201 (decision) does not hold, and --rules leaves it out" in output
    rules = {
        rule["id"]: rule
        for rule in json.loads((elsewhere / "out/report.json").read_text())["rules"]
    }
    assert rules["create.answers-201"]["verdict"] == "skipped"
    assert "not selected (--rules tango-docs,http)" in rules["create.answers-201"]["reason"]
    assert rules["roundtrip.fields-as-sent"]["verdict"] == "skipped"  # a decision too
    assert {rule["verdict"] for rule in rules.values() if rule["source"] == "decision"} == {
        "skipped"
    }


def test_an_unknown_rule_source_is_a_usage_error(elsewhere: Path) -> None:
    done = contract(elsewhere, "--rules", "rfc")
    assert done.returncode == 2
    assert "--rules takes a comma-separated list of tango-docs, http, decision" in done.stderr
