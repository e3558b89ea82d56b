"""Run the contract suite once per needed variant, two at a time, shared by the test modules.

Tests name their target through the `suite_target` parameter; the first test that asks for
`suite_runs` starts every run the session's selected tests need, so the two cores stay busy
and each variant is served and checked exactly once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from aiohttp import web

from tests.defects.catalogue import BY_NAME
from tests.defects.servers import correct_app
from tests.defects.suite import SuiteRun, run_suite
from tests.defects.tolerated import respelled_app, tolerant_app

PARALLEL_RUNS = 2
MAX_EXAMPLES = int(os.environ.get("CONTRACT_DEFECTS_MAX_EXAMPLES", "5"))
CORRECT = "correct"
TOLERATED = "tolerated"
RESPELLED = "respelled"
CORRECT_VARIANTS: dict[str, Callable[[], web.Application]] = {
    CORRECT: correct_app,
    TOLERATED: tolerant_app,
    RESPELLED: respelled_app,
}


@dataclass(frozen=True)
class Target:
    """A server to run the suite at, and which of its tests to run (default: all of them)."""

    variant: str
    module: str | None = None  # a file of contract_tests/
    select: str | None = None  # a `-k` expression

    @property
    def label(self) -> str:
        scope = " ".join(
            part for part in (self.module, self.select and f"-k {self.select}") if part is not None
        )
        return f"{self.variant} [{scope}]" if scope else self.variant


def build(variant: str) -> web.Application:
    """A fresh app of a correct variant or of a catalogued defect."""
    if variant in CORRECT_VARIANTS:
        return CORRECT_VARIANTS[variant]()
    return BY_NAME[variant].build()


_DONE: dict[Target, SuiteRun] = {}
_APPS: dict[Target, web.Application] = {}


def _run(target: Target) -> SuiteRun:
    app = _APPS[target] = build(target.variant)
    return run_suite(
        target.label,
        app,
        max_examples=MAX_EXAMPLES,
        module=target.module,
        select=target.select,
    )


def app_after_run(target: Target) -> web.Application:
    """The app the suite ran against, to inspect its state afterwards."""
    suite_run_of(target)
    return _APPS[target]


def run_all(targets: Iterable[Target]) -> None:
    """Run the suite at every target not run yet, `PARALLEL_RUNS` at a time."""
    missing = [target for target in dict.fromkeys(targets) if target not in _DONE]
    with ThreadPoolExecutor(PARALLEL_RUNS, thread_name_prefix="contract-suite") as pool:
        for target, result in zip(missing, pool.map(_run, missing), strict=True):
            _DONE[target] = result


def suite_run_of(target: Target) -> SuiteRun:
    """The suite's verdict on `target` (run now if no earlier batch included it)."""
    run_all([target])
    return _DONE[target]


@pytest.fixture(scope="session")
def suite_run(request: pytest.FixtureRequest) -> Callable[[Target], SuiteRun]:
    """Look up verdicts; first runs every target the session's selected tests name."""
    run_all(
        target
        for item in request.session.items
        if isinstance(item, pytest.Function) and hasattr(item, "callspec")
        for target in [item.callspec.params.get("suite_target")]
        if isinstance(target, Target)
    )
    return suite_run_of
