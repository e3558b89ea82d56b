"""Run the contract suite, exactly as CI calls it, against one served app in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from mock_server.http.server import BackgroundServer
from tests.defects.servers import OTHER_TOKEN, TOKEN

REPO_ROOT = Path(__file__).resolve().parents[2]
SUITE_TIMEOUT_SECONDS = 300.0
# The parent run's settings must not leak into the child: it targets the variant alone.
SUITE_ENV_VARS = (
    "TANGO_BASE_URL",
    "TANGO_TOKEN",
    "TANGO_OTHER_TOKEN",
    "TANGO_MAX_EXAMPLES",
    "TANGO_CONTRACT_PROFILE",
    "TANGO_CONTRACT_SEED",
    "PYTEST_ADDOPTS",
)


@dataclass(frozen=True)
class SuiteRun:
    """What one run of the contract suite said about one server."""

    variant: str
    command: str
    exit_code: int
    output: str
    seconds: float
    failed: tuple[str, ...]  # test names (junit) that failed or errored
    passed: int

    def describe(self) -> str:
        """For assertion messages: the command, the verdict and the end of the output."""
        tail = "\n".join(self.output.splitlines()[-60:])
        return (
            f"{self.variant}: exit {self.exit_code} in {self.seconds:.1f}s; "
            f"failed {list(self.failed)}\n$ {self.command}\n{tail}"
        )


def _junit_results(path: Path) -> tuple[tuple[str, ...], int]:
    if not path.exists():
        return (), 0
    failed: list[str] = []
    passed = 0
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcomes = {child.tag for child in case}
        if outcomes & {"failure", "error"}:
            failed.append(name)
        elif "skipped" not in outcomes:
            passed += 1
    return tuple(failed), passed


def run_suite(
    variant: str,
    app: web.Application,
    *,
    max_examples: int,
    module: str | None = None,
    select: str | None = None,
    extra_args: Sequence[str] = (),
) -> SuiteRun:
    """Serve `app` on a free 127.0.0.1 port and run `python -m pytest contract_tests` at it.

    `module` (a file of contract_tests/) and `select` (a `-k` expression) narrow the run.
    """
    with tempfile.TemporaryDirectory(prefix="contract-defects-") as workdir:
        junit = Path(workdir) / "junit.xml"
        with BackgroundServer(app) as server:
            command = [
                sys.executable,
                "-m",
                "pytest",
                "contract_tests" if module is None else f"contract_tests/{module}",
                "--base-url",
                server.url,
                "--token",
                TOKEN,
                "--other-token",
                OTHER_TOKEN,
                "--max-examples",
                str(max_examples),
                f"--junitxml={junit}",
                "-p",
                "no:cacheprovider",
                "-q",
                *(["-k", select] if select else []),
                *extra_args,
            ]
            env = {k: v for k, v in os.environ.items() if k not in SUITE_ENV_VARS}
            started = time.monotonic()
            done = subprocess.run(
                command,
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=SUITE_TIMEOUT_SECONDS,
                check=False,
            )
            seconds = time.monotonic() - started
        failed, passed = _junit_results(junit)
    shown = " ".join(part if " " not in part else repr(part) for part in command[1:])
    return SuiteRun(
        variant=variant,
        command=f"python {shown}",
        exit_code=done.returncode,
        output=done.stdout + done.stderr,
        seconds=seconds,
        failed=failed,
        passed=passed,
    )
