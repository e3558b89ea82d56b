"""Accept a well-formed fixture document in plain Python: the path every good seed takes.

Says yes only to what the pydantic schema (`fixture_schema.py`) accepts, and builds the same
document (tests/test_fixture_check.py compares the two on generated documents). Anything
else, a problem or merely something unusual (an expiry written as text in another format, a
tuple where a list belongs), gets None: the schema then validates the document and words
every problem. So start-up needs no pydantic unless a seed is bad or unusual.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime
from typing import Any

from mock_server.contract.rules import PAYLOAD_FIELDS, payload_values_plainly_valid
from mock_server.state.fixture_types import (
    FixtureDeployment,
    FixtureDocument,
    FixtureToken,
    FixtureWorkspace,
    json_problem,
    token_problem,
    workspace_name_problem,
)

DOCUMENT_FIELDS = frozenset({"workspaces", "tokens", "deployments"})
WORKSPACE_FIELDS = frozenset({"name", "disabled"})
TOKEN_FIELDS = frozenset({"token", "workspace", "expires_at"})
REQUIRED_DEPLOYMENT_FIELDS = frozenset({"workspace", *PAYLOAD_FIELDS})
DEPLOYMENT_FIELDS = REQUIRED_DEPLOYMENT_FIELDS | {"deleted"}

# How exported state files write an expiry (`export_document`): UTC, ISO 8601.
_exported_expiry = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00").fullmatch


_SHARED_TEXT_MAX_LENGTH = 200  # longer texts rarely repeat; interning them would be wasted


class _LeaveToSchema(Exception):
    """Not accepted here: the pydantic schema decides (and explains)."""


def quick_document(data: dict[str, Any]) -> FixtureDocument | None:
    """The document if it is plainly valid (before cross references), else None."""
    if not data.keys() <= DOCUMENT_FIELDS:
        return None
    try:
        return FixtureDocument(
            workspaces=[_workspace(entry) for entry in _entries(data, "workspaces")],
            tokens=[_token(entry) for entry in _entries(data, "tokens")],
            deployments=[_deployment(entry) for entry in _entries(data, "deployments")],
        )
    except _LeaveToSchema:
        return None


def _entries(data: dict[str, Any], name: str) -> list[Any]:
    entries = data.get(name, [])
    if type(entries) is not list:
        raise _LeaveToSchema
    return entries


def _text(entry: dict[str, Any], name: str) -> str:
    value = entry.get(name)
    if type(value) is not str:
        raise _LeaveToSchema
    return value


def _flag(entry: dict[str, Any], name: str) -> bool:
    value = entry.get(name, False)
    if type(value) is not bool:
        raise _LeaveToSchema
    return value


def _workspace(entry: Any) -> FixtureWorkspace:
    if type(entry) is not dict or not entry.keys() <= WORKSPACE_FIELDS:
        raise _LeaveToSchema
    name = _text(entry, "name")
    if workspace_name_problem(name):
        raise _LeaveToSchema
    return FixtureWorkspace(name, _flag(entry, "disabled"))


def _token(entry: Any) -> FixtureToken:
    if type(entry) is not dict or not entry.keys() <= TOKEN_FIELDS:
        raise _LeaveToSchema
    token = _text(entry, "token")
    if token_problem(token):
        raise _LeaveToSchema
    return FixtureToken(token, _text(entry, "workspace"), _expiry(entry.get("expires_at")))


def _expiry(value: Any) -> datetime | None:
    if value is None:
        return None
    if type(value) is datetime and value.utcoffset() is not None:  # YAML's own timestamps
        return value
    if type(value) is str and _exported_expiry(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:  # a day or hour that does not exist
            pass
    raise _LeaveToSchema


def _share_repeated_texts(init: dict[str, Any]) -> None:
    """One copy of each top-level text value (URLs repeat across a seed's deployments).

    The values stay equal, so the data is unchanged; only its copies are merged: the parser
    gave every deployment its own, about 80 bytes per URL. Interned strings are freed when
    no longer used.
    """
    for name, value in init.items():
        if type(value) is str and len(value) <= _SHARED_TEXT_MAX_LENGTH:
            init[name] = sys.intern(value)


def _deployment(entry: Any) -> FixtureDeployment:
    if type(entry) is not dict or not REQUIRED_DEPLOYMENT_FIELDS <= entry.keys() <= (
        DEPLOYMENT_FIELDS
    ):
        raise _LeaveToSchema
    if not payload_values_plainly_valid(entry):
        raise _LeaveToSchema
    registry_init, server_init = entry["registry_connector_init"], entry["server_proxy_init"]
    if json_problem(registry_init, depth=2) or json_problem(server_init, depth=2):
        raise _LeaveToSchema
    _share_repeated_texts(registry_init)
    _share_repeated_texts(server_init)
    return FixtureDeployment(
        # One copy of each name: deployments repeat them (~300 bytes saved per deployment).
        workspace=sys.intern(_text(entry, "workspace")),
        deployment_key=entry["deployment_key"],
        registry_connector_class=sys.intern(entry["registry_connector_class"]),
        registry_connector_init=registry_init,
        server_proxy_class=sys.intern(entry["server_proxy_class"]),
        server_proxy_init=server_init,
        deleted=_flag(entry, "deleted"),
    )
