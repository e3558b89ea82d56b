"""The `tango-mock` command as a user runs it: banner, real requests, signals, exit codes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from mock_server import __version__
from mock_server.cli import build_parser, main
from tests.cli_process import (
    MockProcess,
    console_script_command,
    python_module_command,
    run_to_exit,
)
from tests.conftest import DATABRICKS_PAYLOAD

HTTP_TIMEOUT = 10
SECRET_TOKEN = "tok-SECRET-3f9a"


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProcess]:
    """One `python -m mock_server` with the demo fixture and two extra tokens, for the module."""
    command = [*python_module_command(), "--port", "0", "--token", "t1=ws1", "--token", "t2=ws2"]
    process = MockProcess(command)
    try:
        process.start()
        yield process
    finally:
        process.kill()


def banner_row(banner: str, workspace: str) -> str:
    rows = [line for line in banner.splitlines() if line.strip().startswith(workspace + " ")]
    assert len(rows) == 1, banner
    return rows[0]


@pytest.mark.slow  # a tango-mock process
def test_banner_tells_a_newcomer_what_to_do(mock: MockProcess) -> None:
    first = mock.banner.splitlines()[0]
    assert first == f"tango-mock {__version__}: TANGO Deployment API on {mock.url}"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", mock.url)
    assert int(mock.url.rsplit(":", 1)[1]) > 0  # port 0 was replaced by the real port
    assert f"contract: {mock.url}/openapi.yaml" in mock.banner
    demo = banner_row(mock.banner, "my-workspace")
    assert "2 deployments, 1 deleted" in demo and "tokens: dev-token" in demo
    other = banner_row(mock.banner, "other-workspace")
    assert "1 deployment " in other and "tokens: other-token" in other
    assert "0 deployments" in banner_row(mock.banner, "ws1")
    assert "tokens: t1" in banner_row(mock.banner, "ws1")
    assert "tokens: t2" in banner_row(mock.banner, "ws2")
    assert f"curl -H 'Authorization: Bearer dev-token' {mock.url}/api/deployment" in mock.banner


@pytest.mark.slow  # a tango-mock process
def test_the_banner_curl_command_works(mock: MockProcess) -> None:
    response = requests.get(
        f"{mock.url}/api/deployment",
        headers={"Authorization": "Bearer dev-token"},
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 200
    assert [d["deployment_key"] for d in response.json()] == [
        "mlflow-deployment-staging",
        "databricks-deployment-staging",
    ]


@pytest.mark.slow  # a tango-mock process
def test_token_option_grants_work_over_http(mock: MockProcess) -> None:
    t1 = {"Authorization": "Bearer t1"}
    t2 = {"Authorization": "Bearer t2"}
    payload = {**DATABRICKS_PAYLOAD, "deployment_key": "cli-test"}
    created = requests.post(
        f"{mock.url}/api/deployment", json=payload, headers=t1, timeout=HTTP_TIMEOUT
    )
    assert created.status_code == 201
    assert created.json() == [{**payload, "workspace": "ws1"}]
    listed = requests.get(f"{mock.url}/api/deployment", headers=t2, timeout=HTTP_TIMEOUT)
    assert listed.json() == []
    spec = requests.get(f"{mock.url}/openapi.yaml", timeout=HTTP_TIMEOUT)
    assert spec.status_code == 200
    assert yaml.safe_load(spec.text)["openapi"].startswith("3.")


@pytest.mark.slow  # a tango-mock process
def test_logs_never_hold_tokens_or_pats() -> None:
    """At debug level, the most talkative, neither bearer tokens nor PATs reach the log."""
    command = [*python_module_command(), "--port", "0", "--log-level", "debug"]
    process = MockProcess([*command, "--token", f"{SECRET_TOKEN}=ws-secret"])
    try:
        process.start()
        url = f"{process.url}/api/deployment"
        headers = {"Authorization": f"Bearer {SECRET_TOKEN}"}
        payload = {**DATABRICKS_PAYLOAD, "deployment_key": "pat-holder"}
        created = requests.post(url, json=payload, headers=headers, timeout=HTTP_TIMEOUT)
        assert created.status_code == 201
        bad = {**payload, "deployment_key": "bad key"}
        requests.post(url, json=bad, headers=headers, timeout=HTTP_TIMEOUT)
        requests.get(url, headers=headers, timeout=HTTP_TIMEOUT)
        wrong = {"Authorization": "Bearer wrong-SECRET-token"}
        assert requests.get(url, headers=wrong, timeout=HTTP_TIMEOUT).status_code == 401
        assert process.stop() == 0  # flushes every log line
    finally:
        process.kill()
    init = {**payload["registry_connector_init"], **payload["server_proxy_init"]}
    pats = [value for name, value in init.items() if name.endswith("_pat")]
    assert pats
    for secret in [SECRET_TOKEN, "wrong-SECRET-token", *pats]:
        assert secret not in process.stderr, f"{secret!r} reached the log:\n{process.stderr}"


@pytest.mark.slow  # a tango-mock process
def test_sigterm_stops_cleanly_with_exit_code_0() -> None:
    process = MockProcess([*python_module_command(), "--port", "0"])
    try:
        process.start()
        assert requests.get(f"{process.url}/openapi.json", timeout=HTTP_TIMEOUT).ok
        assert process.stop(signal.SIGTERM) == 0
        assert "Traceback" not in process.stderr
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{process.url}/openapi.json", timeout=HTTP_TIMEOUT)
    finally:
        process.kill()


@pytest.mark.slow  # a tango-mock process
def test_sigint_stops_cleanly_with_exit_code_0() -> None:
    process = MockProcess([*console_script_command(), "--port", "0", "--log-level", "warning"])
    try:
        process.start()
        assert process.stop(signal.SIGINT) == 0
        assert "Traceback" not in process.stderr
    finally:
        process.kill()


@pytest.mark.slow  # a tango-mock process
def test_fixture_files_are_merged_in_order(tmp_path: Path) -> None:
    first = tmp_path / "one.yaml"
    second = tmp_path / "two.json"
    first.write_text(
        "workspaces: [{name: team}]\ntokens: [{token: tt, workspace: team}]\n", encoding="utf-8"
    )
    second.write_text(
        '{"workspaces": [{"name": "team"}], "deployments": [{"workspace": "team", '
        '"deployment_key": "k1", "registry_connector_class": "a.B", '
        '"registry_connector_init": {}, "server_proxy_class": "a.B", "server_proxy_init": {}}]}',
        encoding="utf-8",
    )
    command = [*python_module_command(), "--port", "0", "--fixtures", str(first)]
    process = MockProcess([*command, "--fixtures", str(second)])
    try:
        process.start()
        assert "my-workspace" not in process.banner  # --fixtures replaces the demo
        assert "1 deployment " in banner_row(process.banner, "team")
        response = requests.get(
            f"{process.url}/api/deployment/k1",
            headers={"Authorization": "Bearer tt"},
            timeout=HTTP_TIMEOUT,
        )
        assert response.status_code == 200
        assert process.stop() == 0
    finally:
        process.kill()


# -- commands that must stop at once ------------------------------------------------------


def assert_clean_usage_failure(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, f"{fragment!r} missing from:\n{result.stderr}"
    assert "Press Ctrl+C" not in result.stdout


@pytest.mark.slow  # a tango-mock process
def test_bad_fixture_file_exits_2_naming_file_entry_and_problem(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(
        "workspaces: [{name: ws}]\n"
        "deployments:\n"
        "  - {workspace: ws, deployment_key: ok, registry_connector_class: a.B,\n"
        "     registry_connector_init: {}, server_proxy_class: a.B, server_proxy_init: {}}\n"
        "  - {workspace: ws, deployment_key: 'bad key', registry_connector_class: a.B,\n"
        "     registry_connector_init: {}, server_proxy_class: a.B, server_proxy_init: {}}\n",
        encoding="utf-8",
    )
    result = run_to_exit([*python_module_command(), "--fixtures", str(path), "--port", "0"])
    assert_clean_usage_failure(
        result, str(path), "deployments[1]", "'bad key'", "deployment_key", "pattern"
    )


@pytest.mark.slow  # a tango-mock process
def test_invalid_yaml_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("workspaces: [\n", encoding="utf-8")
    result = run_to_exit([*python_module_command(), "--fixtures", str(path)])
    assert_clean_usage_failure(result, str(path), "not valid YAML", "line")


@pytest.mark.slow  # a tango-mock process
def test_missing_fixture_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    result = run_to_exit([*python_module_command(), "--fixtures", str(path)])
    assert_clean_usage_failure(result, str(path), "cannot read")


@pytest.mark.parametrize("content", ["", " \n\n"], ids=["0 bytes", "blank lines"])
@pytest.mark.slow  # a tango-mock process
def test_empty_fixture_file_exits_2_as_an_empty_state_file_does(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(content, encoding="utf-8")
    result = run_to_exit([*python_module_command(), "--fixtures", str(path), "--port", "0"])
    assert_clean_usage_failure(result, str(path), "the fixture file is empty")


@pytest.mark.slow  # a tango-mock process
def test_every_problem_of_a_fixture_file_is_named_in_one_run(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(
        "workspaces: [{name: ws}]\n"
        "deployments:\n"
        "  - {workspace: ghost, deployment_key: k, registry_connector_class: NoDots,\n"
        "     registry_connector_init: {}, server_proxy_class: a.B, server_proxy_init: {},\n"
        "     colour: red}\n",
        encoding="utf-8",
    )
    result = run_to_exit([*python_module_command(), "--fixtures", str(path), "--port", "0"])
    assert_clean_usage_failure(
        result,
        "deployments[0] (deployment_key 'k').registry_connector_class: does not match",
        "deployments[0] (deployment_key 'k').colour: is not a field of FixtureDeployment",
        "deployments[0] (deployment_key 'k'): workspace 'ghost' is not declared",
    )
    assert "Value error" not in result.stderr and "Extra inputs" not in result.stderr


@pytest.mark.slow  # a tango-mock process
def test_malformed_token_option_exits_2() -> None:
    result = run_to_exit([*python_module_command(), "--token", "no-equals-sign"])
    assert_clean_usage_failure(result, "--token", "TOKEN=WORKSPACE")


@pytest.mark.parametrize(
    "value",
    [
        "nope",
        "=ws",
        "tok=",
        "my tok=ws",
        "",
        "tok=ws\x1b",
        os.fsdecode(b"tok=ws\xff"),
        "t!k=ws",
        "tok= ",
    ],
    ids=[
        "no =",
        "no token",
        "no workspace",
        "space",
        "empty",
        "control",
        "not utf-8",
        "not b64",
        "blank workspace",
    ],
)
def test_every_malformed_token_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """In-process (fast); a workspace that cannot be printed or sent as JSON is refused too."""
    with pytest.raises(SystemExit) as caught:
        main(["--token", value])
    assert caught.value.code == 2
    assert "TOKEN=WORKSPACE" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["99999", "65536", "-1", "abc", "", "8o8o", "\u0668\u0660"])
def test_a_port_outside_0_to_65535_is_a_usage_error_naming_the_range(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Refused before anything binds: no port picked at random, no resolver message."""
    with pytest.raises(SystemExit) as caught:
        main(["--port", value])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "argument --port: expected a TCP port from 0 to 65535" in err, err
    assert repr(value) in err


@pytest.mark.parametrize("value", ["0", "1", "8000", "65535"])
def test_every_port_in_the_range_is_accepted(value: str) -> None:
    assert build_parser().parse_args(["--port", value]).port == int(value)


@pytest.mark.slow  # a tango-mock process
def test_the_command_exits_2_for_port_99999() -> None:
    """The real process, as the README promises: bad options exit 2."""
    result = run_to_exit([*python_module_command(), "--port", "99999"])
    assert_clean_usage_failure(result, "--port", "0 to 65535", "'99999'")


@pytest.mark.parametrize("option", [["--port", "http"], ["--log-level", "loud"], ["--nope"]])
def test_other_bad_options_are_usage_errors(
    option: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(option)
    assert caught.value.code == 2
    assert "usage: tango-mock" in capsys.readouterr().err


@pytest.mark.slow  # a tango-mock process
def test_busy_port_exits_1_with_a_message() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_to_exit([*python_module_command(), "--port", str(port)])
    assert result.returncode == 1, result
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow  # a tango-mock process
def test_console_script_and_module_give_the_same_help() -> None:
    script = run_to_exit([*console_script_command(), "--help"])
    assert script.returncode == 0, script.stderr
    assert script.stdout.startswith("usage: tango-mock")
    for option in ("--host", "--port", "--fixtures", "--token", "--log-level", "--version"):
        assert option in script.stdout
    assert run_to_exit([*python_module_command(), "--help"]).stdout == script.stdout


def test_version_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"tango-mock {__version__}"
