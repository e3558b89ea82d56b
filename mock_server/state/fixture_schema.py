"""The fixture format as pydantic models: checks what the quick check declines, names each problem.

Imported only when `fixture_check.quick_document` declines a document (it has a problem, or
something unusual such as an expiry written as a date string), so a good seed starts the
mock without pydantic. Its verdicts are the reference: the quick check accepts nothing this
schema refuses, and builds the same document (tests/test_fixture_check.py).
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError, field_validator

from mock_server.contract.models import DeploymentKey, InitParameters, PythonClassPath
from mock_server.state.fixture_types import (
    FixtureDeployment,
    FixtureDocument,
    FixtureError,
    FixtureToken,
    FixtureWorkspace,
    json_problem,
    token_problem,
    workspace_name_problem,
)


def _refuse(problem: str | None) -> None:
    """A rule's verdict (`fixture_types`) as pydantic expects it: a ValueError naming it."""
    if problem:
        raise ValueError(problem)


class WorkspaceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str
    disabled: bool = False

    @field_validator("name")
    @classmethod
    def _usable_name(cls, value: str) -> str:
        _refuse(workspace_name_problem(value))
        return value


class TokenEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str
    workspace: str
    expires_at: AwareDatetime | None = None

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: str) -> str:
        _refuse(token_problem(value))
        return value


class DeploymentEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    workspace: str
    deployment_key: DeploymentKey
    registry_connector_class: PythonClassPath
    registry_connector_init: InitParameters
    server_proxy_class: PythonClassPath
    server_proxy_init: InitParameters
    deleted: bool = False

    @field_validator("registry_connector_init", "server_proxy_init")
    @classmethod
    def _plain_json(cls, value: dict[str, Any]) -> dict[str, Any]:
        _refuse(json_problem(value, depth=2))  # as deep as in a request body
        return value


class DocumentEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspaces: list[WorkspaceEntry] = []
    tokens: list[TokenEntry] = []
    deployments: list[DeploymentEntry] = []


def validate_document(data: dict[str, Any], *, source: str) -> FixtureDocument:
    """The document, or a `FixtureError` naming every problem and where it is."""
    try:
        entry = DocumentEntry.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{source}: {_describe_location(err['loc'], data)}: {err['msg']}"
            for err in exc.errors()
        ]
        raise FixtureError("\n".join(problems)) from None
    return FixtureDocument(
        workspaces=[FixtureWorkspace(space.name, space.disabled) for space in entry.workspaces],
        tokens=[
            FixtureToken(grant.token, grant.workspace, grant.expires_at) for grant in entry.tokens
        ],
        deployments=[
            FixtureDeployment(
                workspace=sys.intern(dep.workspace),
                deployment_key=dep.deployment_key,
                registry_connector_class=sys.intern(dep.registry_connector_class),
                registry_connector_init=dep.registry_connector_init,
                server_proxy_class=sys.intern(dep.server_proxy_class),
                server_proxy_init=dep.server_proxy_init,
                deleted=dep.deleted,
            )
            for dep in entry.deployments
        ],
    )


def _describe_location(loc: tuple[int | str, ...], data: Any) -> str:
    """`deployments[2] (deployment_key 'x').registry_connector_class` from a pydantic loc."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
            node = node[item] if isinstance(node, list) and item < len(node) else None
            label = _entry_label(node)
            if label:
                parts.append(f" ({label})")
        else:
            parts.append(f".{item}" if parts else str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "document"


def _entry_label(node: Any) -> str:
    if not isinstance(node, dict):
        return ""
    for name in ("deployment_key", "name", "workspace"):
        if isinstance(node.get(name), str):
            return f"{name} {node[name]!r}"
    return ""
