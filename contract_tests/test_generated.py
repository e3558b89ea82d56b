"""Every operation of openapi.yaml with generated data, valid and invalid, and all built-in checks.

schemathesis runs its examples, coverage and fuzzing phases per operation (one test per
operation, `--max-examples` bounds the fuzzing), checking status codes, content types,
headers and bodies against the spec, that valid data is accepted, invalid data rejected,
auth enforced and that no request makes the server fail.
"""

from __future__ import annotations

from typing import Any

import pytest

from contract_tests.support.schema import load_schema

schema = load_schema()
pytestmark = pytest.mark.generated(
    stateful=False
)  # schemathesis judges the rules: see support/generated_rules.py


@schema.parametrize()  # type: ignore[untyped-decorator]
def test_operation_keeps_the_spec(case: Any) -> None:
    case.call_and_validate()
