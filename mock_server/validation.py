"""Turn decoded JSON into a valid `DeploymentPayload`, or a 422 listing every field error."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from mock_server.errors import ValidationFailed
from mock_server.rules import PAYLOAD_FIELDS

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
    """The payload as a plain dict in field order (values exactly as sent)."""
    if not isinstance(data, dict):
        raise ValidationFailed(
            "The request body must be a JSON object (a DeploymentPayload).",
            extra={
                "errors": [{"field": "", "message": "must be a JSON object", "type": "object_type"}]
            },
        )
    problems = payload_checker()(data)
    if problems:
        errors = [_field_error(problem) for problem in problems]
        fields = ", ".join(sorted({e["field"] or "body" for e in errors}))
        raise ValidationFailed(
            f"The deployment payload is invalid ({fields}).", extra={"errors": errors}
        )
    return {name: data[name] for name in PAYLOAD_FIELDS}


@cache
def payload_checker() -> Callable[[dict[str, Any]], list[Any]]:
    """pydantic's check of a payload, imported on first use: start-up does without pydantic.

    The CLI calls this in a background thread once it is serving (`warm_up`), so the first
    create does not pay for the import either.
    """
    from mock_server.models import payload_problems

    return payload_problems
