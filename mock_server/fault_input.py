"""The `POST /_mock/faults` body, validated by pydantic: imported on first use, not at start-up."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mock_server.errors import ValidationFailed
from mock_server.faults import MAX_DELAY_MS, NO_BODY_STATUSES


class FaultRuleInput(BaseModel):
    """Which requests (method, path glob, workspace) get what (status, body, delay)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    method: str | None = Field(default=None, pattern=r"^[A-Za-z]{1,16}$")
    path: str = Field(min_length=1, max_length=2048, pattern=r"^[/*]")
    status: int | None = Field(default=None, ge=200, le=599)
    body: Any = None
    delay_ms: int | None = Field(default=None, ge=0, le=MAX_DELAY_MS)
    times: int | None = Field(default=None, ge=1)
    probability: float | None = Field(default=None, ge=0, le=1)
    workspace: str | None = Field(default=None, min_length=1)
    seed: int | None = None

    @model_validator(mode="after")
    def _coherent(self) -> FaultRuleInput:
        if self.status is None and self.delay_ms is None:
            raise ValueError("a rule needs a status, a delay_ms, or both")
        if "body" in self.model_fields_set and self.status is None:
            raise ValueError("a body needs a status")
        if "body" in self.model_fields_set and self.status in NO_BODY_STATUSES:
            raise ValueError(f"status {self.status} cannot carry a body")
        return self


def parse_fault_rule(data: Any) -> FaultRuleInput:
    """The rule, or a 422 listing every field error."""
    try:
        return FaultRuleInput.model_validate(data)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(p) for p in err["loc"]),
                "message": err["msg"],
                "type": err["type"],
            }
            for err in exc.errors(include_url=False, include_input=False)
        ]
        raise ValidationFailed("The fault rule is invalid.", extra={"errors": errors}) from None
