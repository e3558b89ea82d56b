"""Micro-benchmarks of validation: one create body (valid, invalid) and a large JSON fixture.

`python -m bench.validation [--deployments N] [--repeats R]` prints one JSON object: the
microseconds from a create body's bytes to a payload (valid) or a 422 (invalid), and, each
in a fresh interpreter, the seconds to load and store an N-deployment JSON fixture, the
peak RSS of that process and the memory it keeps per deployment (seed and store). Medians
of R runs; on a shared machine compare figures taken in one sitting, interleaved.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path
from typing import Any

from bench.scale import scale_document

_LOAD_SCRIPT = """
import gc, json, resource, sys, time
from pathlib import Path
from mock_server.state.fixtures import build_store, load_fixture_file

def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

path = Path(sys.argv[1])
before = rss_mb()
started = time.perf_counter()
store = build_store(load_fixture_file(path))
seconds = time.perf_counter() - started
gc.collect()
print(json.dumps({"seconds": seconds, "deployments": store.deployment_count(),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "retained_mb": rss_mb() - before}))
"""


def _per_call_us(call: Any, number: int, repeats: int) -> float:
    """The median over `repeats` of the mean time of one call, in microseconds."""
    runs = timeit.repeat(call, number=number, repeat=repeats)
    return statistics.median(runs) / number * 1e6


def create_validation(repeats: int) -> dict[str, float]:
    """A create body's bytes to a payload, as the handler does it: TANGO's MLflow example, and
    the same with two broken fields (a 422)."""
    from mock_server.contract.errors import ValidationFailed
    from mock_server.contract.spec import spec_example
    from mock_server.contract.strict_json import decode_json
    from mock_server.contract.validation import validate_payload

    valid = json.dumps(spec_example("MlflowPayload")).encode()
    invalid = json.dumps(
        {**spec_example("MlflowPayload"), "deployment_key": "bad key", "workspace": "ws"}
    ).encode()

    def accept() -> None:
        validate_payload(decode_json(valid))

    def refuse() -> None:
        try:
            validate_payload(decode_json(invalid))
        except ValidationFailed:
            return
        raise AssertionError("the invalid body was accepted")

    accept()
    refuse()
    return {
        "valid_us": round(_per_call_us(accept, 20_000, repeats), 2),
        "invalid_us": round(_per_call_us(refuse, 5_000, repeats), 2),
    }


def fixture_load(deployments: int, repeats: int) -> dict[str, float]:
    """Load and store an N-deployment JSON fixture in a fresh interpreter, `repeats` times."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "scale.json"
        path.write_text(json.dumps(scale_document(deployments, 0)), encoding="utf-8")
        runs = []
        for _ in range(repeats):
            result = subprocess.run(
                [sys.executable, "-c", _LOAD_SCRIPT, str(path)],
                capture_output=True,
                text=True,
                timeout=600,
                check=True,
            )
            runs.append(json.loads(result.stdout))
    assert all(run["deployments"] == deployments for run in runs)
    return {
        "seconds": round(statistics.median(run["seconds"] for run in runs), 3),
        "peak_rss_mb": round(statistics.median(run["peak_rss_mb"] for run in runs), 1),
        "retained_bytes_per_deployment": round(
            statistics.median(run["retained_mb"] for run in runs) * 2**20 / deployments
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.validation")
    parser.add_argument("--deployments", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=["create", "fixture"], default=None)
    args = parser.parse_args(argv)
    report: dict[str, Any] = {}
    if args.only in (None, "create"):
        report["create"] = create_validation(args.repeats)
    if args.only in (None, "fixture"):
        report["fixture"] = {
            "deployments": args.deployments,
            **fixture_load(args.deployments, args.repeats),
        }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
