"""The contract suite's near-miss tokens never reach its output: curl lines derive them."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.support import run as contract_run
from contract_tests.support.client import Identity
from contract_tests.support.settings import PROFILES, RunSettings
from contract_tests.test_auth import NEAR_MISSES, near_miss_client

TOKEN = "s3cret-Token-42"
UNREACHABLE = "http://127.0.0.1:9"  # discard port: nothing answers, the curl line is still built


@pytest.fixture
def run(tmp_path: Path) -> Iterator[contract_run.ContractRun]:
    """A run at a real server (tokens are secret there); never the session's current run."""
    settings = RunSettings(
        base_url=UNREACHABLE,
        token=TOKEN,
        other_token=None,
        profile=PROFILES["default"],
        max_examples=1,
        seed=1,
        run_id="0a1b2c3d",
    )
    owner = Identity(contract_run.OWNER, TOKEN, "$TANGO_TOKEN")
    run = contract_run.ContractRun(
        settings=settings,
        base_url=UNREACHABLE,
        owner=owner,
        other=None,
        local_mock=None,
        workdir=tmp_path,
    )
    yield run
    run.session.close()


@pytest.mark.parametrize("near_miss", list(NEAR_MISSES))
def test_near_miss_tokens_are_masked_and_the_curl_line_rebuilds_them(
    run: contract_run.ContractRun, near_miss: str
) -> None:
    client, authorization = near_miss_client(run, near_miss)
    exchange = client.list(authorization=authorization)
    sent_token = authorization.removeprefix("Bearer ")
    shown = exchange.describe()
    assert sent_token not in shown and TOKEN not in shown and TOKEN[:-1] not in shown
    header = shown.split(" -H ", 1)[1].split("\n", 1)[0]
    echoed = subprocess.run(
        ["bash", "-c", f"printf %s {header}"],
        env={"TANGO_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert echoed == f"Authorization: {authorization}"
