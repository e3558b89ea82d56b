"""schemathesis' checks as rules of the registry: which run where, and what a failure broke.

Its failures arrive as one exception group per test; each failure names the checks that
report it, and each check judges one rule (`SCHEMATHESIS_CHECKS`). A rule whose source the
run does not judge has its check switched off in the schemathesis configuration.
"""

from __future__ import annotations

import re
from typing import Any

from mock_server.contract.rule_ids import SCHEMATHESIS_CHECKS, Source, rule

# Checks that judge sequences: only the stateful test runs them.
STATEFUL_ONLY = ("use_after_free", "ensure_resource_availability")
# Never fires on this API (see SCHEMATHESIS_CHECKS): a pass would claim what it did not check.
NEVER_FIRES = ("object_level_authorization",)
_CURL = re.compile(r"^\s*(curl .+)$", re.MULTILINE)
_FILTERED_AUTH = re.compile(r"Authorization: \[Filtered\]")


def checks_config(selected: tuple[Source, ...]) -> dict[str, Any]:
    """The `checks` section of the schemathesis configuration: unselected sources off."""
    return {
        name: {"enabled": False}
        for name, rule_id in SCHEMATHESIS_CHECKS.items()
        if rule(rule_id).source not in selected
    }


def rules_run(*, stateful: bool, selected: tuple[Source, ...]) -> list[str]:
    """The rule ids a passing generated (or stateful) test has judged."""
    return [
        rule_id
        for name, rule_id in SCHEMATHESIS_CHECKS.items()
        if name not in NEVER_FIRES
        and (stateful or name not in STATEFUL_ONLY)
        and rule(rule_id).source in selected
    ]


def broken_rules(error: BaseException, report_text: str) -> list[tuple[str, str]]:
    """(rule id, failure text with a curl line) for each schemathesis failure in `error`."""
    from schemathesis.core.failures import Failure

    failures = getattr(error, "exceptions", None) or [error]
    curl = _CURL.search(report_text)
    reproduce = (
        ""
        if curl is None
        else _FILTERED_AUTH.sub("Authorization: Bearer $TANGO_TOKEN", curl.group(1))
    )
    found: list[tuple[str, str]] = []
    for failure in failures:
        if not isinstance(failure, Failure):
            continue
        for check in failure.checks:  # none: a check of the suite's own, tallied as it failed
            rule_id = SCHEMATHESIS_CHECKS.get(check)
            if rule_id is not None:
                text = f"{failure.operation}: {failure.code} {failure.title}\n{failure.message}"
                found.append((rule_id, f"{text}\n  {reproduce}".rstrip()))
                break
    return found
