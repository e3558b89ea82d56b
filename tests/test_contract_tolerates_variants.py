"""The contract suite never fails a correct server (issue 3, "Done when").

It passes this project's mock and a variant that differs only where the contract is silent
(tests/defects/tolerated.py); a probe first shows the variant really differs in each way.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from mock_server.server import BackgroundServer
from tests.defects.probe import COLLECTION, Api
from tests.defects.runs import CORRECT, TOLERATED, Target, suite_run
from tests.defects.servers import correct_app
from tests.defects.suite import SuiteRun
from tests.defects.tolerated import OTHER_CODES, tolerant_app

__all__ = ["suite_run"]  # the shared session fixture

CORRECT_SERVERS = [Target(CORRECT), Target(TOLERATED)]


def test_the_tolerated_variant_differs_where_the_contract_is_silent() -> None:
    with BackgroundServer(correct_app()) as mock, BackgroundServer(tolerant_app()) as variant:
        mock_api, variant_api = Api(mock.url), Api(variant.url)
        key = mock_api.new_key()
        from_mock = mock_api.call("POST", COLLECTION, json_body=mock_api.payload(key))
        from_variant = variant_api.call("POST", COLLECTION, json_body=variant_api.payload(key))
        missing_mock = mock_api.call("GET", mock_api.item("nothing-here"))
        missing_variant = variant_api.call("GET", variant_api.item("nothing-here"))
        anonymous = variant_api.call("GET", COLLECTION, token=None)

    assert from_mock.status_code == from_variant.status_code == 201
    assert from_mock.headers["Content-Type"] == "application/json; charset=utf-8"
    assert from_variant.headers["Content-Type"] == "application/json"
    assert "Location" in from_mock.headers and "Location" not in from_variant.headers
    assert {"X-Request-Id", "Cache-Control", "X-Powered-By"} <= set(from_variant.headers)
    stored, shown = from_mock.json()[0], from_variant.json()[0]
    assert set(shown) > set(stored)  # extra response fields
    assert {name: shown[name] for name in stored} == stored  # ... and the same values
    assert list(json.loads(from_variant.text)[0])[-1] == "id"  # another key order
    assert missing_mock.json()["message_code"] == "not_found"
    error = missing_variant.json()
    assert error["message_code"] == OTHER_CODES["not_found"]
    assert error["message"] != missing_mock.json()["message"]
    assert {"request_id", "status"} <= set(error)
    assert anonymous.status_code == 401
    assert 'realm="tango"' not in anonymous.headers["WWW-Authenticate"]


@pytest.mark.parametrize("suite_target", CORRECT_SERVERS, ids=lambda target: target.label)
def test_the_suite_passes_a_correct_server(
    suite_target: Target, suite_run: Callable[[Target], SuiteRun]
) -> None:
    run = suite_run(suite_target)
    assert run.exit_code == 0, run.describe()
    assert run.failed == () and run.passed > 0, run.describe()


def test_the_tolerated_variant_runs_every_test_the_mock_runs(
    suite_run: Callable[[Target], SuiteRun],
) -> None:
    """Nothing is skipped or deselected against the variant that runs against the mock."""
    mock, variant = (suite_run(target) for target in CORRECT_SERVERS)
    assert variant.passed == mock.passed, variant.describe()
