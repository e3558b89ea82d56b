"""The contract suite never fails a correct server.

It passes this project's mock and two variants that differ only where the contract is
silent (tests/defects/tolerated.py); probes first show each variant really differs.
Against the variant that holds other teams' deployments, the suite must leave them alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import unquote

import pytest

from mock_server.http.keys import STORE
from mock_server.http.server import BackgroundServer
from tests.defects.probe import COLLECTION, Api
from tests.defects.runs import CORRECT, RESPELLED, TOLERATED, Target, app_after_run, suite_run
from tests.defects.servers import correct_app
from tests.defects.suite import SuiteRun
from tests.defects.tolerated import (
    EXISTING_DEPLOYMENTS,
    OTHER_CODES,
    REQUESTED,
    respelled_app,
    tolerant_app,
)

# Each test runs the whole contract suite against a server: tens of seconds.
pytestmark = pytest.mark.slow

__all__ = ["suite_run"]  # the shared session fixture

CORRECT_SERVERS = [Target(CORRECT), Target(TOLERATED), Target(RESPELLED)]


def test_the_tolerated_variant_differs_where_the_contract_is_silent() -> None:
    with BackgroundServer(correct_app()) as mock, BackgroundServer(tolerant_app()) as variant:
        mock_api, variant_api = Api(mock.url), Api(variant.url)
        key = mock_api.new_key()
        from_mock = mock_api.call("POST", COLLECTION, json_body=mock_api.payload(key))
        from_variant = variant_api.call("POST", COLLECTION, json_body=variant_api.payload(key))
        missing_mock = mock_api.call("GET", mock_api.item("nothing-here"))
        missing_variant = variant_api.call("GET", variant_api.item("nothing-here"))
        anonymous = variant_api.call("GET", COLLECTION, token=None)
        listed = variant_api.listed_keys()

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
    assert listed[:2] == ["0", "mlflow-deployment-staging"]  # other teams' data came first


def test_the_respelled_variant_spells_headers_another_valid_way() -> None:
    with BackgroundServer(respelled_app()) as server:
        api = Api(server.url)
        created = api.call("POST", COLLECTION, json_body=api.payload(api.new_key()))
        anonymous = api.call("GET", COLLECTION, token=None)
        wrong_method = api.call("PUT", COLLECTION)

    assert created.status_code == 201
    assert created.headers["Content-Type"] == "Application/JSON;Charset=UTF-8"
    assert created.headers["Location"].startswith(server.url)
    assert anonymous.headers["WWW-Authenticate"].startswith("bearer ")
    assert "Basic" in anonymous.headers["WWW-Authenticate"]
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] != "GET,POST"


@pytest.mark.parametrize("suite_target", CORRECT_SERVERS, ids=lambda target: target.label)
def test_the_suite_passes_a_correct_server(
    suite_target: Target, suite_run: Callable[[Target], SuiteRun]
) -> None:
    run = suite_run(suite_target)
    assert run.exit_code == 0, run.describe()
    assert run.failed == () and run.passed > 0, run.describe()


def test_the_variants_run_every_test_the_mock_runs(
    suite_run: Callable[[Target], SuiteRun],
) -> None:
    """Nothing is skipped or deselected against a variant that runs against the mock."""
    passed = {target.variant: suite_run(target).passed for target in CORRECT_SERVERS}
    assert len(set(passed.values())) == 1, passed


def test_the_suite_leaves_other_teams_deployments_alone(
    suite_run: Callable[[Target], SuiteRun],
) -> None:
    """Deployments the run did not create are neither changed, deleted nor even read."""
    target = Target(TOLERATED)
    assert suite_run(target).exit_code == 0
    app = app_after_run(target)
    store = app[STORE]
    for seeded in EXISTING_DEPLOYMENTS:
        space = store.workspaces[seeded["workspace"]]
        records = space.retired if seeded["deleted"] else space.live
        record = records[seeded["deployment_key"]]
        kept = {**record.to_api(), "deleted": record.deleted}
        assert {name: kept[name] for name in seeded} == seeded
    item_paths = {unquote(path) for _, path in app[REQUESTED]}
    touched = [
        s["deployment_key"]
        for s in EXISTING_DEPLOYMENTS
        if f"{COLLECTION}/{s['deployment_key']}" in item_paths
    ]
    assert touched == [], f"the suite asked for other teams' deployments: {touched}"
    assert len(app[REQUESTED]) > 100  # the recorder saw the run


def test_the_suite_cleans_up_after_itself_on_a_server_without_location(
    suite_run: Callable[[Target], SuiteRun],
) -> None:
    """What the run created is deleted again: only other teams' deployments stay live."""
    target = Target(TOLERATED)
    assert suite_run(target).exit_code == 0
    store = app_after_run(target)[STORE]
    live = {(name, key) for name, space in store.workspaces.items() for key in space.live}
    seeded = {
        (s["workspace"], s["deployment_key"]) for s in EXISTING_DEPLOYMENTS if not s["deleted"]
    }
    assert live == seeded
    retired = sum(len(space.retired) for space in store.workspaces.values())
    assert retired > 10  # the run did create (and then delete) deployments
