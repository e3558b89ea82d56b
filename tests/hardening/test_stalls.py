"""No single request stalls the server: each hostile case runs while a second client lists.

The cases are the benchmark's (`bench/stalls.py`), smaller: a huge or pathological journal
glob, a big journal, a big state exported and imported as JSON and YAML, a reset to a big seed,
deeply nested and alias-bomb state bodies, a thousand long fault globs, fault rules with big
bodies, a create of 1 MiB of empty objects, unknown expectations. While each runs, another
workspace's list is timed over and over on its own connection; every list must answer within
`LIST_BOUND` (generous, so that noise on a shared machine cannot fail it; `python -m
bench.stalls` prints the real figures).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.stalls import Case, Sizes, cases, run_case, state_document
from mock_server import MockSettings
from mock_server.state.fixtures import parse_document
from tests.hardening.support import LiveMock

LIST_BOUND_MS = 1000.0
SIZES = Sizes(
    deployments=6000,  # about 3 MB: a YAML export took about 1.5 s on the loop
    yaml_import_deployments=1500,
    long_paths=200,
    big_bodies=150,
    fault_rules=1000,
    fault_body_rules=20,
)
CASES = cases(SIZES)


@pytest.fixture(scope="module")
def mock() -> Iterator[LiveMock]:
    seed = parse_document(state_document(SIZES.deployments), source="bench/stalls.py")
    with LiveMock(MockSettings(seed=seed)) as live:
        yield live


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_a_hostile_request_leaves_another_client_answered_within_a_second(
    mock: LiveMock, case: Case
) -> None:
    result = await run_case(mock.port, case)
    assert result.status == case.status, result
    assert not result.list_errors, result
    assert result.lists_during >= 1
    assert result.list_max_ms < LIST_BOUND_MS, result
