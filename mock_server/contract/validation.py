"""Turn decoded JSON into a valid `DeploymentPayload`, or a 422 listing every field error.

A payload that is plainly valid is accepted in plain Python (`plainly_valid_payload`); pydantic,
imported on first need, judges the rest and words each problem. The plain check says yes
only where pydantic does (tests/test_payload_check.py compares the two).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from mock_server.contract.errors import ValidationFailed
from mock_server.contract.rules import PAYLOAD_FIELDS, payload_values_plainly_valid

_PAYLOAD_FIELD_SET = frozenset(PAYLOAD_FIELDS)

_FRIENDLY = {
    "string_pattern_mismatch": "does not match the required pattern {pattern}",
    "extra_forbidden": "is not a field of DeploymentPayload",
    "missing": "is required",
}


def _field_error(error: Any) -> dict[str, str]:
    field = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    template = _FRIENDLY.get(kind)
    context = error.get("ctx") or {}
    message = template.format(**context) if template is not None else error["msg"]
    return {"field": field, "message": message, "type": kind}


def validate_payload(data: Any) -> dict[str, Any]:
    """The payload (decoded JSON) as a plain dict in field order (values exactly as sent)."""
    if not isinstance(data, dict):
        raise ValidationFailed(
            "The request body must be a JSON object (a DeploymentPayload).",
            extra={
                "errors": [{"field": "", "message": "must be a JSON object", "type": "object_type"}]
            },
        )
    problems = None if plainly_valid_payload(data) else payload_checker()(data)
    if problems:
        errors = [_field_error(problem) for problem in problems]
        fields = ", ".join(sorted({e["field"] or "body" for e in errors}))
        raise ValidationFailed(
            f"The deployment payload is invalid ({fields}).", extra={"errors": errors}
        )
    return {name: data[name] for name in PAYLOAD_FIELDS}


def plainly_valid_payload(data: dict[str, Any]) -> bool:
    """Exactly the five fields, with the types and patterns of the spec (decoded JSON only)."""
    return data.keys() == _PAYLOAD_FIELD_SET and payload_values_plainly_valid(data)


@cache
def payload_checker() -> Callable[[dict[str, Any]], list[Any]]:
    """pydantic's check of a payload, imported on first use: start-up does without pydantic.

    The CLI calls this in a background thread once it is serving (`warm_up`), so the first
    invalid create does not pay for the import either.
    """
    from mock_server.contract.models import payload_problems

    return payload_problems
