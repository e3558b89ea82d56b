"""The proxy benchmark runs end to end in seconds (no timing asserted: the machine is shared)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts a mock and a proxy process

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_the_proxy_benchmark_prints_its_table() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.proxy_overhead", "--requests", "100", "--seconds", "4"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]  # 1: over the budget, still a run
    assert "| get | 100 |" in done.stdout and "| list | 100 |" in done.stdout
    assert "worst median overhead" in done.stdout
