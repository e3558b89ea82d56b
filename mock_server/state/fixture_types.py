"""A fixture document as plain data, and the rules each of its values must keep.

Plain frozen dataclasses, not pydantic models: a seed is read at every start-up, and the
mock's cold start should not pay for importing pydantic and building its models (about a
third of it). The rules here are shared by the quick check (`fixture_check.py`), the
pydantic schema that words every problem (`fixture_schema.py`) and the CLI's `--token`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.contract.rules import BEARER_TOKEN_PATTERN, LONE_SURROGATE, MAX_JSON_DEPTH

TOKEN_RULE = "letters, digits and - . _ ~ + / only, optionally ending in = (RFC 6750)"
_BEARER_TOKEN = re.compile(BEARER_TOKEN_PATTERN)


class FixtureError(Exception):
    """A fixture document that cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class FixtureWorkspace:
    name: str
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class FixtureToken:
    token: str
    workspace: str
    expires_at: datetime | None = None  # always timezone-aware


@dataclass(frozen=True, slots=True)
class FixtureDeployment:
    """One deployment of a seed; frozen and never copied: stored records share its dicts."""

    workspace: str
    deployment_key: str
    registry_connector_class: str
    registry_connector_init: dict[str, Any]
    server_proxy_class: str
    server_proxy_init: dict[str, Any]
    deleted: bool = False


@dataclass(slots=True)
class FixtureDocument:
    """Workspaces, tokens and deployments (live or deleted): the seed or the whole state."""

    workspaces: list[FixtureWorkspace] = field(default_factory=list)
    tokens: list[FixtureToken] = field(default_factory=list)
    deployments: list[FixtureDeployment] = field(default_factory=list)


def workspace_name_problem(name: str) -> str | None:
    """Why `name` cannot name a workspace, or None; it is shown in banners and every answer."""
    if not name.strip():
        return "must not be empty"
    if not name.isprintable():
        return "must be printable text (no control characters or lone surrogates)"
    return None


def token_problem(token: str) -> str | None:
    """Why `token` cannot be a bearer token, or None."""
    if _BEARER_TOKEN.fullmatch(token) is None:
        return f"must be sendable as a bearer token: {TOKEN_RULE}"
    return None


def json_problem(value: Any, path: str = "", depth: int = 1) -> str | None:
    """Why a YAML value cannot be served as JSON (dates, sets, NaN...), or None if it can."""
    if isinstance(value, list | dict) and depth > MAX_JSON_DEPTH:
        return f"{path or 'value'}: nested more than {MAX_JSON_DEPTH} levels deep"
    if isinstance(value, str):
        if LONE_SURROGATE.search(value):
            return f"{path or 'value'}: a lone surrogate (\\uD800-\\uDFFF) is not UTF-8 text"
        return None
    if value is None or isinstance(value, (bool, int)):
        return None
    if isinstance(value, float):
        return (
            None
            if value == value and abs(value) != float("inf")
            else f"{path or 'value'}: NaN and infinity are not JSON"
        )
    if isinstance(value, list):
        return next(
            (p for i, v in enumerate(value) if (p := json_problem(v, f"{path}[{i}]", depth + 1))),
            None,
        )
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or json_problem(key):
                return f"{path or 'value'}: key {key!r} is not a JSON string"
            problem = json_problem(item, f"{path}.{key}" if path else key, depth + 1)
            if problem:
                return problem
        return None
    return f"{path or 'value'}: {type(value).__name__} values are not JSON (quote it in YAML)"
