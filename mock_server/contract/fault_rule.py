"""The body of `POST /_mock/faults`: which requests get what, and its rules (mock_admin.yaml).

The admin API's contract rather than TANGO's; the fault book (`state/faults.py`) keeps and
applies the rules this validates.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mock_server.contract.errors import ValidationFailed
from mock_server.contract.messages import field_problems, refusal
from mock_server.contract.path_glob import glob_problem

# No injected delay may exceed this: a forgotten `delay=600000` must not hang a test suite.
MAX_DELAY_MS = 60_000
NO_BODY_STATUSES = frozenset({204, 205, 304})
# A method name as a filter takes it (fault rules, the journal's `?method=`): any case.
METHOD_PATTERN = r"^[A-Za-z]{1,16}$"


class FaultRuleInput(BaseModel):
    """Which requests (method, path glob, workspace) get what (status, body, delay).

    A model, not a dataclass: whether `body` was sent (`null` is a body) is in
    `model_fields_set`.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    method: str | None = Field(default=None, pattern=METHOD_PATTERN)
    path: str
    status: int | None = Field(default=None, ge=200, le=599)
    body: Any = None
    delay_ms: int | None = Field(default=None, ge=0, le=MAX_DELAY_MS)
    times: int | None = Field(default=None, ge=1)
    probability: float | None = Field(default=None, ge=0, le=1)
    workspace: str | None = Field(default=None, min_length=1)
    seed: int | None = None

    @field_validator("path")
    @classmethod
    def _usable_glob(cls, path: str) -> str:
        problem = glob_problem(path)
        if problem is not None:
            raise refusal("path_glob", f"the path glob {problem}")
        return path

    @model_validator(mode="after")
    def _coherent(self) -> FaultRuleInput:
        has_body = "body" in self.model_fields_set
        if self.status is None and self.delay_ms is None:
            raise refusal("fault_effect_missing", "a rule needs a status, a delay_ms, or both")
        if has_body and self.status is None:
            raise refusal("fault_body_without_status", "a body needs a status")
        if has_body and self.status in NO_BODY_STATUSES:
            raise refusal("fault_body_not_allowed", f"status {self.status} cannot carry a body")
        return self


def parse_fault_rule(data: Any) -> FaultRuleInput:
    """The rule, or a 422 listing every field error."""
    try:
        return FaultRuleInput.model_validate(data)
    except ValidationError as exc:
        errors = [problem.to_json() for problem in field_problems(exc, FaultRuleInput)]
    raise ValidationFailed("The fault rule is invalid.", extra={"errors": errors})
