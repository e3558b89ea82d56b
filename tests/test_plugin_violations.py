"""The fixture checks the client under test: violations, strict mode, coverage."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from mock_server.pytest_plugin import TangoMock, coverage_table
from tests.conftest import MLFLOW_PAYLOAD

pytest_plugins = ["pytester"]
INNER_OPTIONS = ("-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function")

USER_TESTS = f"""
import pytest
import requests

PAYLOAD = {MLFLOW_PAYLOAD!r}


def create(tango_mock, body):
    return requests.post(
        tango_mock.url + "/api/deployment", json=body, headers=tango_mock.headers(), timeout=5
    )


@pytest.mark.tango_mock(strict=True)
def test_good_client(tango_mock):
    assert create(tango_mock, PAYLOAD).status_code == 201


@pytest.mark.tango_mock(strict=True)
def test_bad_client(tango_mock):
    create(tango_mock, {{**PAYLOAD, "workspace": "elsewhere"}})


@pytest.mark.tango_mock(strict=True)
def test_deliberate_bad_request(tango_mock):
    tango_mock.expect_violation("client.no-workspace-field")
    assert create(tango_mock, {{**PAYLOAD, "workspace": "elsewhere"}}).status_code == 422


def test_lenient_by_default(tango_mock):
    create(tango_mock, {{**PAYLOAD, "workspace": "elsewhere"}})
"""


def test_strict_mode_fails_only_the_test_whose_client_broke_the_contract(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_inprocess(*INNER_OPTIONS, "--tango-mock-coverage")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_bad_client*",
            "*the client broke the TANGO contract 1 time(s)*",
            "*createDeployment client.no-workspace-field*",
            "*POST /api/deployment -> 422*",
        ]
    )
    assert "FAILED test_user.py::test_bad_client" in result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*tango-mock coverage*", "createDeployment*201 x1*409 -*422 x3*", "listDeployments*200 -*"]
    )


def test_the_settings_flag_makes_every_test_strict(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "import pytest\nfrom mock_server import MockSettings\n\n"
        "@pytest.fixture(scope='session')\ndef tango_mock_settings():\n"
        "    return MockSettings(strict_client_contract=True)\n"
    )
    pytester.makepyfile(
        test_user=USER_TESTS + "\n\n@pytest.mark.tango_mock(strict=False)\n"
        "def test_opted_out(tango_mock):\n"
        "    create(tango_mock, {**PAYLOAD, 'workspace': 'x'})\n"
    )
    result = pytester.runpytest_inprocess(*INNER_OPTIONS)
    result.assert_outcomes(passed=3, failed=2)  # the bad and the lenient one fail


def test_violations_and_assert_no_violations(tango_mock: TangoMock) -> None:
    tango_mock.assert_no_violations()
    requests.get(tango_mock.url + "/api/deployment", timeout=5)  # no token
    [entry] = tango_mock.violations()
    assert [v["rule"] for v in entry["violations"]] == ["client.bearer-token"]
    with pytest.raises(AssertionError, match=r"listDeployments client.bearer-token"):
        tango_mock.assert_no_violations()
    tango_mock.expect_violation("client.bearer-token")
    tango_mock.assert_no_violations()


def test_coverage_counts_across_resets(tango_mock: TangoMock) -> None:
    before = tango_mock.coverage()["listDeployments"]["200"]
    requests.get(tango_mock.url + "/api/deployment", headers=tango_mock.headers(), timeout=5)
    assert tango_mock.coverage()["listDeployments"]["200"] == before + 1
    tango_mock.reset()
    assert tango_mock.coverage()["listDeployments"]["200"] == before + 1  # counted once


def test_the_table_lists_every_operation_and_code() -> None:
    coverage: dict[str, Any] = {"createDeployment": {"201": 2, "409": 0}, "getDeployment": {}}
    assert coverage_table(coverage)[1:] == ["createDeployment  201 x2  409 -", "getDeployment     "]
