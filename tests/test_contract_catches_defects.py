"""The contract suite catches every kind of defect, and says why.

Each broken variant (tests/defects/catalogue.py) is the real mock with one planted defect.
First, probes show the variants are honest: each shows its own defect over HTTP and no
other, so a failing suite run is about that defect, not collateral breakage. Then the suite
runs as CI calls it (`python -m pytest contract_tests --base-url ... --token ...
--other-token ...`) against each variant: it must exit 1 and its output must name the
operation and the broken rule.

Default run: per defect, one run of the suite's tests that own the broken rule (a module
and a `-k`), plus whole-suite runs against a few defects to show they are found without
hand-picking.
`CONTRACT_DEFECTS=all` runs the whole suite against every defect instead (slower).

A defect the suite misses today is a `known_gap` proof: a strict xfail that runs the whole
suite, so it turns into a failure (remove the mark) the day the suite learns to catch it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

from mock_server.http.server import BackgroundServer
from tests.defects.catalogue import BY_NAME, DEFECTS, Defect, Kind
from tests.defects.probe import Api
from tests.defects.runs import CORRECT, Target, suite_run
from tests.defects.servers import correct_app
from tests.defects.suite import SuiteRun
from tests.defects.tolerated import respelled_app, tolerant_app

__all__ = ["suite_run"]  # the shared session fixture

WHOLE_SUITE_FOR_EVERY_DEFECT = os.environ.get("CONTRACT_DEFECTS", "") == "all"


@dataclass(frozen=True)
class Proof:
    """How the suite must report one defect: the tests that own the rule and what they say."""

    defect: str
    module: str | None  # the file of contract_tests/ with the tests that own the broken rule
    select: str | None  # the `-k` expression picking those tests (both None: the whole suite)
    evidence: tuple[str, ...]  # each must appear in the suite's output
    whole_suite: bool = False  # also run the whole suite against it in the default run
    known_gap: str | None = None  # why the suite misses it today (the test is a strict xfail)


def _must(operation: str, when: str, expected: int, got: str) -> str:
    return f"{operation}: {when} must answer {expected}, got {got}"


PROOFS = (
    Proof(
        "create-answers-object",
        "test_round_trip.py",
        "comes_back_exactly",
        ("createDeployment: the create answer must be a JSON array, got a JSON dict",),
    ),
    Proof(
        "list-answers-object",
        "test_round_trip.py",
        "list_answers_an_array",
        ("listDeployments: the list answer must be a JSON array, got a JSON dict",),
    ),
    Proof(
        "create-answers-200",
        "test_round_trip.py",
        "comes_back_exactly",
        (_must("createDeployment", "a valid new deployment", 201, "200 OK"),),
    ),
    Proof(
        "delete-answers-200",
        "test_lifecycle.py",
        "soft_delete",
        (_must("deleteDeployment", "deleting a live deployment", 204, "200 OK"),),
    ),
    Proof(
        "list-accepts-missing-token",
        "test_auth.py",
        "bad_credentials",
        (_must("listDeployments", "a request with no Authorization header", 401, "200 OK"),),
    ),
    Proof(
        "delete-accepts-unknown-token",
        "test_auth.py",
        "bad_credentials",
        (_must("deleteDeployment", "a request with an unknown token", 401, "204 No Content"),),
    ),
    Proof(
        "401-without-challenge",
        "test_auth.py",
        "bad_credentials",
        ("a 401 must carry a WWW-Authenticate header",),
    ),
    Proof(
        "create-checks-body-before-token",
        "test_auth.py",
        "before_the_body",
        (
            _must(
                "createDeployment",
                "a create with no Authorization header and a body that is not JSON",
                401,
                "400 Bad Request",
            ),
            _must(
                "createDeployment",
                "a create with an unknown token and JSON that breaks the schema",
                401,
                "422 Unprocessable Entity",
            ),
        ),
    ),
    Proof(
        "get-reads-other-workspace",
        "test_isolation.py",
        "another_workspace_cannot",
        (_must("getDeployment", "another workspace getting this deployment", 404, "200 OK"),),
        whole_suite=True,
    ),
    Proof(
        "list-shows-every-workspace",
        "test_isolation.py",
        "another_workspace_cannot",
        ("listDeployments: ", "must not be in another workspace's list, but it is"),
    ),
    Proof(
        "delete-in-other-workspace",
        "test_isolation.py",
        "another_workspace_cannot",
        (
            _must(
                "deleteDeployment",
                "another workspace deleting this deployment",
                404,
                "204 No Content",
            ),
        ),
    ),
    Proof(
        "key-unique-across-workspaces",
        "test_isolation.py",
        "same_key_in_two_workspaces",
        (
            _must(
                "createDeployment",
                "another workspace creating a key that is only used elsewhere",
                201,
                "409 Conflict",
            ),
        ),
    ),
    Proof(
        "get-after-delete-200",
        "test_lifecycle.py",
        "soft_delete",
        (_must("getDeployment", "getting a deleted deployment", 404, "200 OK"),),
    ),
    Proof(
        "deleted-key-reusable",
        "test_lifecycle.py",
        "soft_delete",
        (
            _must(
                "createDeployment",
                "creating again under a deleted (retired) key",
                409,
                "201 Created",
            ),
        ),
    ),
    Proof(
        "delete-again-204",
        "test_lifecycle.py",
        "soft_delete",
        (
            _must(
                "deleteDeployment",
                "deleting an already deleted deployment",
                404,
                "204 No Content",
            ),
        ),
    ),
    Proof(
        "delete-204-with-body",
        "test_lifecycle.py",
        "soft_delete",
        ("deleteDeployment: deleting a live deployment must answer 204 with an empty body",),
    ),
    Proof(
        "list-includes-deleted",
        "test_lifecycle.py",
        "soft_delete",
        ("listDeployments: ", "must not be in the list after its delete, but it is"),
    ),
    Proof(
        "duplicate-key-overwrites",
        "test_lifecycle.py",
        "live_key_sent_again",
        (
            _must(
                "createDeployment",
                "the same payload again (a live key)",
                409,
                "201 Created",
            ),
        ),
    ),
    Proof(
        "keys-case-insensitive",
        "test_lifecycle.py",
        "only_in_case",
        (
            _must(
                "createDeployment",
                "a key that differs from a live key only in case",
                201,
                "409 Conflict",
            ),
        ),
    ),
    Proof(
        "workspace-field-accepted",
        "test_bad_input.py",
        "breaks_the_schema and workspace",
        (_must("createDeployment", "a payload with an extra 'workspace' field", 422, "201"),),
    ),
    Proof(
        "bad-key-pattern-accepted",
        "test_bad_input.py",
        "breaks_the_schema and key",
        (_must("createDeployment", "a payload with a key with a space", 422, "201"),),
    ),
    Proof(
        "get-adds-init-defaults",
        "test_round_trip.py",
        "comes_back_exactly",
        ("getDeployment: 'registry_connector_init' must come back exactly as sent",),
    ),
    Proof(
        "get-wrong-workspace",
        "test_round_trip.py",
        "comes_back_exactly",
        ("getDeployment: the workspace must be the token's", "got 'default'"),
    ),
    Proof(
        "init-bools-become-ints",
        "test_round_trip.py",
        "comes_back_exactly",
        (
            "getDeployment: 'registry_connector_init' must come back exactly as sent: "
            "at registry_connector_init.nested.list[3]: sent true, got 1",
        ),
    ),
    Proof(
        "404-without-message-code",
        "test_lifecycle.py",
        "unknown_keys",
        ("getDeployment: the error answer", "'message_code' must be a string, got missing"),
    ),
    Proof(
        "409-plain-text",
        "test_lifecycle.py",
        "live_key_sent_again",
        (
            "createDeployment: the error answer (the same payload again (a live key)) must be "
            "sent as application/json, got Content-Type text/plain",
        ),
    ),
    Proof(
        "422-without-errors",
        "test_generated.py",
        "POST",
        (
            "FAILED contract_tests/test_generated.py::test_operation_keeps_the_spec"
            "[POST /api/deployment]",
            "ST108 Response violates schema",
            '"errors" is a required property',
        ),
    ),
    Proof(
        "ignores-request-content-type",
        "test_bad_input.py",
        "not_sent_as_json",
        (_must("createDeployment", "a create sent as text/plain", 415, "201"),),
    ),
    Proof(
        "list-answers-text-plain",
        "test_round_trip.py",
        "list_answers_an_array",
        (
            "listDeployments: the list answer must be sent as application/json, "
            "got Content-Type text/plain",
        ),
    ),
    Proof(
        "invalid-json-500",
        "test_bad_input.py",
        "not_json",
        (
            _must(
                "createDeployment",
                "server error: a body with a truncated object",
                400,
                "500",
            ),
        ),
        whole_suite=True,
    ),
    Proof(
        "non-object-init-500",
        "test_bad_input.py",
        "breaks_the_schema and init",
        (
            _must(
                "createDeployment",
                "server error: a payload with an array as server_proxy_init",
                422,
                "500",
            ),
        ),
    ),
    Proof(
        "parallel-creates-all-win",
        "test_concurrency.py",
        "one_new_key",
        (
            "createDeployment: 8 parallel creates of one new key must give exactly one 201 "
            "and 7 409, got 8 x 201 Created",
            "rule concurrency.one-create-wins (tango-docs: ",
        ),
    ),
    Proof(
        "parallel-deletes-all-win",
        "test_concurrency.py",
        "one_deployment",
        (
            "deleteDeployment: 8 parallel deletes of one deployment must give exactly one 204 "
            "and 7 404, got 8 x 204 No Content",
            "rule concurrency.one-delete-wins (decision: ",
        ),
    ),
    Proof(
        "auth-scheme-case-sensitive",
        "test_auth.py",
        "scheme_is_read",
        (
            _must(
                "listDeployments",
                "listing with the valid token and the scheme in lower case",
                200,
                "401 Unauthorized",
            ),
            "rule auth.scheme-case-insensitive (http: RFC 9110 §11.1)",
        ),
    ),
    Proof(
        "auth-scheme-one-space-only",
        "test_auth.py",
        "scheme_is_read",
        (
            _must(
                "listDeployments",
                "listing with the valid token and two spaces after the scheme",
                200,
                "401 Unauthorized",
            ),
            "rule auth.scheme-spaces (http: ",
        ),
    ),
    Proof(
        "media-type-case-sensitive",
        "test_round_trip.py",
        "charset_and_any_case",
        (
            _must(
                "createDeployment",
                "a create sent as Application/JSON; Charset=UTF-8",
                201,
                "415 Unsupported Media Type",
            ),
            "rule create.media-type-case-insensitive (http: RFC 9110 §8.3.1",
        ),
    ),
)


def _targets() -> list[Any]:
    """pytest params (target, proof): whole-suite runs first (the longest), then narrow ones."""
    whole, narrow = [], []
    for proof in PROOFS:
        marks = (
            []
            if proof.known_gap is None
            else [pytest.mark.xfail(reason=proof.known_gap, strict=True)]
        )
        if proof.module is None or proof.whole_suite or WHOLE_SUITE_FOR_EVERY_DEFECT:
            target = Target(proof.defect)
            whole.append(pytest.param(target, proof, id=target.label, marks=marks))
        if proof.module is not None and not WHOLE_SUITE_FOR_EVERY_DEFECT:
            target = Target(proof.defect, proof.module, proof.select)
            narrow.append(pytest.param(target, proof, id=target.label, marks=marks))
    return whole + narrow


# -- the variants are honest ---------------------------------------------------------------


def symptoms_shown(app: web.Application) -> set[str]:
    """The names of the catalogued defects whose symptom this served app shows."""
    with BackgroundServer(app) as server:
        api = Api(server.url)
        return {defect.name for defect in DEFECTS if defect.symptom(api)}


def test_every_kind_of_defect_has_a_variant_and_a_proof() -> None:
    assert {defect.kind for defect in DEFECTS} == set(Kind)
    assert [proof.defect for proof in PROOFS] == list(BY_NAME)


@pytest.mark.parametrize(
    "build",
    [correct_app, tolerant_app, respelled_app],
    ids=["correct-mock", "tolerated-variant", "respelled-variant"],
)
def test_correct_servers_show_no_symptom(build: Callable[[], web.Application]) -> None:
    assert symptoms_shown(build()) == set()


@pytest.mark.slow  # serves each planted defect
@pytest.mark.parametrize("defect", DEFECTS, ids=[defect.name for defect in DEFECTS])
def test_each_variant_shows_its_own_defect_and_no_other(defect: Defect) -> None:
    assert symptoms_shown(defect.build()) == {defect.name}


# -- the suite catches each defect and says why ----------------------------------------------


@pytest.mark.slow  # a contract suite run
@pytest.mark.parametrize("suite_target", [Target(CORRECT)], ids=["correct-mock"])
def test_the_suite_passes_the_correct_mock(
    suite_target: Target, suite_run: Callable[[Target], SuiteRun]
) -> None:
    """The baseline: the same command against the mock without a defect finds nothing."""
    run = suite_run(suite_target)
    assert run.exit_code == 0 and not run.failed and run.passed > 0, run.describe()


@pytest.mark.slow  # a contract suite run per planted defect
@pytest.mark.parametrize(("suite_target", "proof"), _targets())
def test_the_suite_fails_the_variant_and_names_the_rule(
    suite_target: Target, proof: Proof, suite_run: Callable[[Target], SuiteRun]
) -> None:
    run = suite_run(suite_target)
    assert run.exit_code == 1, f"expected exit 1 (violations)\n{run.describe()}"
    assert run.failed, f"no failing test in the junit report\n{run.describe()}"
    missing = [phrase for phrase in proof.evidence if phrase not in run.output]
    assert not missing, f"the output does not say {missing}\n{run.describe()}"
    assert "curl " in run.output, f"no request to reproduce\n{run.describe()}"
