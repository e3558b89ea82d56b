"""`tango-mock --state-file`: the state (deployments, retired keys, tokens) survives a restart."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
import requests

from mock_server.state.fixtures import load_fixture_file
from tests.cli_process import MockProcess, python_module_command
from tests.conftest import MLFLOW_PAYLOAD

# Each test starts and restarts tango-mock processes.
pytestmark = pytest.mark.slow

CI = {"Authorization": "Bearer ci-token"}


def start(state: Path, *options: str) -> MockProcess:
    command = [*python_module_command(), "--port", "0", "--log-level", "warning"]
    return MockProcess([*command, "--state-file", str(state), *options]).start()


def payload(key: str) -> dict[str, Any]:
    return {**MLFLOW_PAYLOAD, "deployment_key": key}


def test_the_state_survives_a_restart_and_wins_over_the_fixtures(tmp_path: Path) -> None:
    state = tmp_path / "state.yaml"
    first = start(state, "--token", "ci-token=ci")
    try:
        for key in ("kept", "deleted"):
            created = requests.post(f"{first.url}/api/deployment", json=payload(key), headers=CI)
            assert created.status_code == 201
        gone = requests.delete(f"{first.url}/api/deployment/deleted", headers=CI)
        assert gone.status_code == 204
    finally:
        assert first.stop(signal.SIGTERM) == 0, first.output()

    saved = load_fixture_file(state)  # the file is a fixture document
    assert {(d.deployment_key, d.deleted) for d in saved.deployments if d.workspace == "ci"} == {
        ("kept", False),
        ("deleted", True),
    }

    other_fixture = tmp_path / "other.yaml"
    other_fixture.write_text("workspaces: [{name: from-fixture}]\n")
    second = start(state, "--fixtures", str(other_fixture))  # the state file wins
    try:
        assert "from-fixture" not in second.banner
        assert "ci " in second.banner
        listed = requests.get(f"{second.url}/api/deployment", headers=CI)
        assert [d["deployment_key"] for d in listed.json()] == ["kept"]
        assert requests.get(f"{second.url}/api/deployment/deleted", headers=CI).status_code == 404
        reused = requests.post(f"{second.url}/api/deployment", json=payload("deleted"), headers=CI)
        assert reused.status_code == 409  # the retired key stays retired
        demo = requests.get(
            f"{second.url}/api/deployment", headers={"Authorization": "Bearer dev-token"}
        )
        assert demo.status_code == 200  # the demo seed written at first start is kept too
    finally:
        assert second.stop(signal.SIGTERM) == 0, second.output()


def test_a_missing_state_file_is_created_from_the_fixtures(tmp_path: Path) -> None:
    state = tmp_path / "state.yaml"
    fixture = tmp_path / "seed.yaml"
    fixture.write_text(
        "workspaces: [{name: team}]\ntokens: [{token: team-token, workspace: team}]\n"
    )
    mock = start(state, "--fixtures", str(fixture))
    try:
        assert "team-token" in mock.banner
    finally:
        assert mock.stop(signal.SIGINT) == 0, mock.output()
    assert [w.name for w in load_fixture_file(state).workspaces] == ["team"]
