"""Turn decoded JSON into a valid `DeploymentPayload`, or a 422 listing every field error."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from mock_server.contract.errors import ValidationFailed
from mock_server.contract.messages import field_problems
from mock_server.contract.models import DeploymentPayload

_PAYLOAD = TypeAdapter(DeploymentPayload)


def validate_payload(data: Any) -> DeploymentPayload:
    """The payload (from `strict_json.decode_json`), its values kept as sent; else a 422."""
    try:
        return _PAYLOAD.validate_python(data)
    except ValidationError as exc:
        problems = field_problems(exc, DeploymentPayload)
    if any(not problem.field for problem in problems):
        message = "The request body must be a JSON object (a DeploymentPayload)."
    else:
        fields = ", ".join(dict.fromkeys(problem.field for problem in problems))
        message = f"The deployment payload is invalid ({fields})."
    raise ValidationFailed(message, extra={"errors": [p.to_json() for p in problems]})
