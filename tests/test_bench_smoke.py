"""The benchmark still runs end to end (smoke mode: seconds, Python loader, no Prism).

No timing is asserted: the machine is shared and noisy. What must hold is that every server
starts, every scenario gets answers without errors, and the table and the JSON are written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Starts the benchmark's servers and load for a few seconds.
pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_smoke_run_prints_the_table_and_writes_the_json(tmp_path: Path) -> None:
    output = tmp_path / "latest.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--output", str(output)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for heading in ("| server ", "tango-mock", "bare aiohttp", "| per workspace", "| target "):
        assert heading in done.stdout
    results = json.loads(output.read_text())
    mock = results["servers"]["tango-mock"]
    assert mock["cold_start_s"] > 0 and mock["idle_rss_mb"] > 0
    for scenario in ("list", "get", "create", "delete"):
        sample = mock["scenarios"][scenario]
        assert sample["requests"] > 0, scenario
        assert sample["errors"] == 0, (scenario, sample)
    assert mock["scenarios"]["mix"]["requests"] > 0
    sizes = [point["size"] for point in results["scale"]["points"]]
    assert sizes == [10, 100]
    assert all(point["get"]["errors"] == 0 for point in results["scale"]["points"])
    assert {target["name"] for target in results["targets"]} >= {"idle RSS", "get p99"}
    assert results["settings"]["smoke"] is True
