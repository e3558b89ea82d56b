"""pytest wiring of the contract suite: options, the run's lifetime, cleanup, rules, report.

    tango-mock contract --base-url URL --token TOKEN [--other-token TOKEN2] [--report DIR]
    python -m pytest contract_tests --base-url URL ...     (the same, from a checkout)

Without --base-url the suite starts this project's mock in-process and checks it. Before the
first test one list call per token checks the server can be used; after the last, cleanup
deletes what the run created, then the report is written and the summary printed.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from contract_tests.support import run as contract_run
from contract_tests.support.client import TangoClient
from contract_tests.support.expect import ContractViolation, expect_success
from contract_tests.support.generated_rules import broken_rules, rules_run
from contract_tests.support.payloads import MakeDeployment, payload
from contract_tests.support.preflight import preflight_problem
from contract_tests.support.report import build_report, write_report
from contract_tests.support.run import ContractRun
from contract_tests.support.settings import add_options, resolve
from mock_server.contract.rule_ids import rule

_STACK = pytest.StashKey[ExitStack]()
_STOPPED = pytest.StashKey[str]()
_REPORT = pytest.StashKey[str]()
EXIT_NOT_STARTED = 2
"""The exit code of a run stopped before its tests: a usage error or an unreachable server."""
SUMMARY_LIST_LIMIT = 25
SUMMARY_KEY_WIDTH = 40


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "generated(stateful): schemathesis' checks judge this test's rules"
    )
    config.addinivalue_line(
        "markers", "read_only: creates and deletes nothing (the smoke profile runs only these)"
    )
    settings = resolve(config)
    stack = ExitStack()
    run = contract_run.start(settings)
    stack.callback(contract_run.finish)
    stack.enter_context(contract_run.counting_requests(run.base_url, run.observe))
    config.stash[_STACK] = stack


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The read-only smoke profile skips every test that would create or delete."""
    if not contract_run.current().settings.profile.read_only:
        return
    writes = pytest.mark.skip(reason="creates or deletes: not in the read-only smoke profile")
    for item in items:
        if item.get_closest_marker("read_only") is None:
            item.add_marker(writes)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """Stop before the first test, with one line, when the server or a token is unusable."""
    problem = preflight_problem(contract_run.current())
    if problem is None:
        return None
    session.config.stash[_STOPPED] = problem  # said once, at the end of the summary
    return True  # the tests do not run


def pytest_unconfigure(config: pytest.Config) -> None:
    stack = config.stash.get(_STACK, None)
    if stack is not None:
        stack.close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Delete every deployment the run created and did not delete itself."""
    if _STOPPED in session.config.stash:
        session.exitstatus = EXIT_NOT_STARTED
    run = contract_run.current()
    clients = {
        identity.name: run.client(identity, purpose="cleanup") for identity in run.identities
    }
    for entry in run.ledger.live():
        exchange = clients[entry.identity].delete(entry.key)
        if exchange.status is None or not 200 <= exchange.status < 300:
            run.ledger.cleanup_failed(entry.identity, entry.key, exchange.answer)
    if run.settings.report_dir is not None:
        report = build_report(
            run,
            exit_code=int(session.exitstatus),
            stopped=session.config.stash.get(_STOPPED, None),
        )
        written = write_report(run.settings.report_dir, report)
        session.config.stash[_REPORT] = str(written[1])


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count test outcomes for the report (a skip or error in setup counts as the test's)."""
    if report.when == "call" or (report.when == "setup" and not report.passed):
        contract_run.current().outcomes[report.outcome] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the run went, what it created and deleted, and what cleanup could not undo."""
    run = contract_run.current()
    verbose = terminalreporter.config.get_verbosity() > 0
    write = terminalreporter.write_line
    terminalreporter.section("TANGO contract run")
    stopped = terminalreporter.config.stash.get(_STOPPED, None)
    target = f"{run.base_url} (this project's mock, in-process)" if run.local_mock else run.base_url
    settings = run.settings
    write(f"server: {target}")
    write(
        f"profile: {settings.profile.name}, max examples {settings.max_examples} per operation, "
        f"seed {settings.seed}, key prefix {settings.key_prefix}"
    )
    entries = list(run.ledger)
    by_test = sum(1 for entry in entries if entry.deleted_by == "test")
    by_cleanup = sum(1 for entry in entries if entry.deleted_by == "cleanup")
    left = [entry for entry in entries if entry.deleted_by is None]
    write(
        f"created {len(entries)} deployments; deleted {by_test} during the tests and "
        f"{by_cleanup} in cleanup; {len(left)} left; {run.ledger.requests_sent} HTTP request"
        f"{'s' if run.ledger.requests_sent != 1 else ''}"
    )
    shown = entries if verbose else entries[:SUMMARY_LIST_LIMIT]
    if shown:
        width = min(max(len(entry.key) for entry in shown), SUMMARY_KEY_WIDTH)
        write(f"  {'created with':<15} {'deployment key':<{width}}  state")
    for entry in shown:
        state = f"deleted ({entry.deleted_by})" if entry.deleted_by else "NOT deleted"
        problem = f": cleanup got {entry.cleanup_problem}" if entry.cleanup_problem else ""
        flag = f"--{entry.identity}"
        write(f"  {flag:<15} {entry.key:<{width}}  {state}{problem}")
    if len(shown) < len(entries):
        write(f"  ... and {len(entries) - len(shown)} more (-v lists them all)")
    if left:
        write("Some deployments could not be deleted; remove them by hand (see above).", red=True)
    report = terminalreporter.config.stash.get(_REPORT, None)
    if report is not None:
        write(f"report: {report} (and report.json beside it)")
    if stopped is not None:
        write(f"stopped before the tests: {stopped}", red=True, bold=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A broken contract rule is reported as its message and the test line, not a traceback."""
    report = yield
    excinfo = call.excinfo
    generated = item.get_closest_marker("generated")
    if generated is not None and report.when == "call":
        _tally_generated(report, excinfo, stateful=bool(generated.kwargs.get("stateful")))
    if report.failed and excinfo is not None and isinstance(excinfo.value, ContractViolation):
        root = item.config.rootpath
        where = [
            f"{_relative(Path(str(entry.path)), root)}:{entry.lineno + 1}"
            for entry in excinfo.traceback
            if Path(str(entry.path)).name.startswith(("test_", "conftest"))
        ]
        report.longrepr = f"{excinfo.value}\n  (at {where[-1] if where else item.nodeid})"
    return report


def _tally_generated(
    report: pytest.TestReport,
    excinfo: pytest.ExceptionInfo[BaseException] | None,
    *,
    stateful: bool,
) -> None:
    """What a schemathesis test judged: each failure's rule broke, the other rules held."""
    run = contract_run.current()
    broken = []
    if report.failed and excinfo is not None:
        broken = broken_rules(excinfo.value, str(report.longrepr))
    for rule_id, text in broken:
        run.rule_book.broke(rule_id, run.scrub(text))
    if report.failed or report.passed:
        for rule_id in rules_run(stateful=stateful, selected=run.settings.rules):
            if rule_id not in {broken_id for broken_id, _ in broken}:
                run.rule_book.held(rule_id)
    if broken:
        lines = [
            f"{rule_id} ({rule(rule_id).source}: {rule(rule_id).where})" for rule_id, _ in broken
        ]
        report.sections.append(("broken rules", "\n".join(dict.fromkeys(lines))))


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


@pytest.fixture(scope="session")
def run() -> ContractRun:
    """The current contract run (target, identities, keys, ledger)."""
    return contract_run.current()


@pytest.fixture
def client(run: ContractRun) -> TangoClient:
    """Requests as --token."""
    return run.client(run.owner)


@pytest.fixture
def other_client(run: ContractRun) -> TangoClient:
    """Requests as --other-token (a different workspace); skips the test without one."""
    if run.other is None:
        pytest.skip(
            "workspace isolation needs a second workspace: pass --other-token or TANGO_OTHER_TOKEN"
        )
    return run.client(run.other)


@pytest.fixture
def new_key(run: ContractRun) -> Callable[[str], str]:
    """A factory of never-used keys under the run's prefix."""
    return run.keys.new


@pytest.fixture
def created(client: TangoClient, new_key: Callable[[str], str]) -> MakeDeployment:
    """Create a deployment as a test's setup and return the payload sent.

    Any 2xx will do here: the create rules themselves (201, array of one) are test_round_trip's.
    """

    def create(
        label: str = "k", kind: str = "mlflow", via: TangoClient | None = None
    ) -> dict[str, Any]:
        sent = payload(new_key(label), kind)
        expect_success(
            (via or client).create(sent),
            "creating a valid new deployment (setup)",
            rule="create.valid-accepted",
        )
        return sent

    return create
