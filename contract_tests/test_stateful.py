"""Sequences over the spec's links: create -> get/delete, get -> delete, delete -> get.

Catches what single requests cannot: a created deployment that cannot be read back
(`ensure_resource_availability`), one still served after its delete (`use_after_free`), and,
with --other-token, one that another workspace can read. schemathesis' own
`object_level_authorization` runs too (the two tokens are its peers), but its ownership
inference does not recognise `deployment_key` as the id of what a create makes, so the
`other_workspace_cannot_read` check below replays every successful read as the other token.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest

from contract_tests.support.expect import expect_status
from contract_tests.support.run import ContractRun, current
from contract_tests.support.schema import ITEM, load_schema

schema = load_schema()
pytestmark = pytest.mark.generated(
    stateful=True
)  # schemathesis judges the rules: see support/generated_rules.py


def other_workspace_cannot_read(ctx: Any, response: Any, case: Any) -> None:
    """A deployment the owner just read answers 404 to the other workspace's token."""
    run = current()
    if run.other is None or case.operation.path != ITEM or case.method.upper() != "GET":
        return
    if response.status_code != 200:
        return
    if run.identity_of(response.request.headers.get("Authorization")) is not run.owner:
        return
    key = str(case.path_parameters["deploymentKey"])
    expect_status(
        run.client(run.other).get(key),
        404,
        "another workspace reading this deployment",
        rule="isolation.invisible-to-others",
    )


class LinkedSequences(schema.as_state_machine()):  # type: ignore[misc]
    """The spec's state machine with the isolation check added to every step."""

    def validate_response(
        self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
    ) -> None:
        checks = [*(additional_checks or []), other_workspace_cannot_read]
        super().validate_response(response, case, additional_checks=checks, **kwargs)


def test_linked_sequences_keep_the_spec(run: ContractRun) -> None:
    profile = run.settings.profile
    settings = hypothesis.settings(
        max_examples=profile.stateful_scenarios,
        stateful_step_count=profile.stateful_max_steps,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    machine: Any = hypothesis.seed(run.settings.seed)(LinkedSequences)
    machine.run(settings=settings)
