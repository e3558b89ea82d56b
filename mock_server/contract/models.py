"""The deployment's shape, declared once: what a client sends and what the API answers.

openapi.yaml is the contract; tests/test_models_match_spec.py keeps these equal to it. The
store keeps each validated payload as its API JSON (`state.store.StoredDeployment`), and a
seed keeps each fixture deployment (`fixture_format.FixtureDeployment`, this shape plus
`deleted`), so everything else derives the fields from here (`PAYLOAD_FIELDS`).

They are pydantic dataclasses with slots rather than `BaseModel`s: a seed keeps one per
deployment for as long as the mock runs, and without a `__dict__` and a set of the fields
given, an instance takes under 100 bytes instead of about 1 KB. Strictness is set per field
(`Strict...`): a strict dataclass would accept only instances of itself, not the dict of a
request body.
"""

from __future__ import annotations

import sys
from dataclasses import fields
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictStr,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic.dataclasses import dataclass

DEPLOYMENT_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
PYTHON_CLASS_PATH_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$"

# Texts that a seed's deployments repeat (class paths, workspace names) are kept once: a
# parser makes a copy per deployment, about 80 bytes each. Interned strings are freed like
# any other once nothing uses them.
_SHARED_TEXT_MAX_LENGTH = 200  # longer texts rarely repeat: interning them would be wasted


def shared(text: str) -> str:
    """`text`, or an equal one already kept (interned)."""
    return sys.intern(text) if len(text) <= _SHARED_TEXT_MAX_LENGTH else text


def _kept_as_sent(value: Any, handler: ValidatorFunctionWrapHandler) -> dict[str, Any]:
    """A dict is kept, not copied as pydantic would copy it; anything else is refused by it.

    Whether its content is JSON is known already: a request body passed `decode_json`, and a
    fixture deployment checks its YAML values itself (`FixtureDeployment`).
    """
    kept: dict[str, Any] = value if type(value) is dict else handler(value)
    return kept


DeploymentKey = Annotated[
    StrictStr, Field(pattern=DEPLOYMENT_KEY_PATTERN, min_length=1, max_length=128)
]
PythonClassPath = Annotated[
    StrictStr, Field(pattern=PYTHON_CLASS_PATH_PATTERN), AfterValidator(shared)
]
InitParameters = Annotated[dict[str, Any], Strict(), WrapValidator(_kept_as_sent)]
WorkspaceReference = Annotated[StrictStr, AfterValidator(shared)]

FORBID_EXTRA = ConfigDict(extra="forbid")


@dataclass(frozen=True, slots=True, config=FORBID_EXTRA)
class DeploymentPayload:
    """What a client sends to create a deployment; strict, so `"1"` is never taken for a number."""

    deployment_key: DeploymentKey
    registry_connector_class: PythonClassPath
    registry_connector_init: InitParameters
    server_proxy_class: PythonClassPath
    server_proxy_init: InitParameters


PAYLOAD_FIELDS: tuple[str, ...] = tuple(field.name for field in fields(DeploymentPayload))
"""DeploymentPayload's fields in the spec's order."""


@dataclass(frozen=True, slots=True, config=FORBID_EXTRA)
class Deployment(DeploymentPayload):
    """A stored deployment as the API returns it: the payload plus the token's workspace."""

    workspace: WorkspaceReference


def api_object(payload: DeploymentPayload, workspace: str) -> dict[str, Any]:
    """The `Deployment` object of the API, in the spec's order (key, workspace, the rest)."""
    answer: dict[str, Any] = {"deployment_key": payload.deployment_key, "workspace": workspace}
    answer.update((name, getattr(payload, name)) for name in PAYLOAD_FIELDS)  # key stays first
    return answer


class ErrorEnvelope(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(extra="allow")

    message: str
    message_code: str
