"""Graceful shutdown: SIGTERM or SIGINT during a write lets it finish, answers it, exits 0."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from mock_server.state.fixtures import load_fixture_file
from tests.cli_process import MockProcess, python_module_command
from tests.conftest import MLFLOW_PAYLOAD

# Each test signals a tango-mock process.
pytestmark = pytest.mark.slow

PAYLOAD = {**MLFLOW_PAYLOAD, "deployment_key": "created-during-shutdown"}

# `tango-mock` whose state writes (after the one at start) signal that they began, then take
# a second: a slow disk, so that the signal surely arrives while a request is mid-write.
SLOW_DISK_LAUNCHER = """
import sys, time
from pathlib import Path
import mock_server.state.persistence as persistence
from mock_server.cli import main

marker, real_write, calls = Path(sys.argv[1]), persistence.write_atomically, []

def slow_write(path, data):
    calls.append(path)
    if len(calls) > 1:
        marker.touch()
        time.sleep(1.0)
    real_write(path, data)

persistence.write_atomically = slow_write
sys.exit(main(sys.argv[2:]))
"""


def wait_for(path: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear within {timeout}s"
        time.sleep(0.01)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_lets_the_request_in_flight_finish_and_exits_0(
    tmp_path: Path, signum: signal.Signals
) -> None:
    state, marker = tmp_path / "state.yaml", tmp_path / "write-started"
    command = [sys.executable, "-c", SLOW_DISK_LAUNCHER, str(marker)]
    options = ["--port", "0", "--log-level", "warning", "--state-file", str(state)]
    answers: list[requests.Response] = []
    with MockProcess([*command, *options]) as mock:
        poster = threading.Thread(
            target=lambda: answers.append(
                requests.post(
                    f"{mock.url}/api/deployment",
                    json=PAYLOAD,
                    headers={"Authorization": "Bearer dev-token"},
                    timeout=15,
                )
            )
        )
        poster.start()
        wait_for(marker)  # the create is in memory and its write has begun
        exit_code = mock.stop(signum)
        poster.join(15)
    assert exit_code == 0, mock.output()
    assert [answer.status_code for answer in answers] == [201]
    saved = load_fixture_file(state)
    assert PAYLOAD["deployment_key"] in {d.deployment_key for d in saved.deployments}
    assert sorted(tmp_path.glob(".*.tmp")) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_right_after_the_banner_is_a_clean_stop(signum: signal.Signals) -> None:
    with MockProcess([*python_module_command(), "--port", "0"]) as mock:
        assert mock.stop(signum) == 0, mock.output()
        assert "Traceback" not in mock.stderr
