"""The fixture format: load and validate seed files, build a store from them, export it back.

A fixture document is the same shape as `GET /_mock/state`, so any state can be saved
and loaded again. Problems are reported as `FixtureError` naming the file, the entry and
the problem, so a bad file stops the start-up with a message a human can act on.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    ValidationError,
    field_validator,
    model_validator,
)

from mock_server.models import (
    BEARER_TOKEN_PATTERN,
    LONE_SURROGATE,
    MAX_JSON_DEPTH,
    DeploymentKey,
    InitParameters,
    PythonClassPath,
)
from mock_server.store import DeploymentStore, StoredDeployment, TokenGrant

TOKEN_RULE = "letters, digits and - . _ ~ + / only, optionally ending in = (RFC 6750)"


class FixtureError(Exception):
    """A fixture document that cannot be used; the message says where and why."""


class FixtureWorkspace(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str
    disabled: bool = False

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        if not value.isprintable():  # it is shown in the banner and sent in every Deployment
            raise ValueError("must be printable text (no control characters or lone surrogates)")
        return value


class FixtureToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str
    workspace: str
    expires_at: AwareDatetime | None = None

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: str) -> str:
        if not re.fullmatch(BEARER_TOKEN_PATTERN, value):
            raise ValueError(f"must be sendable as a bearer token: {TOKEN_RULE}")
        return value


# Shared fields-sets of fixture deployments (a handful: with and without `deleted`, ...).
_FIELDS_SETS: dict[frozenset[str], frozenset[str]] = {}


class FixtureDeployment(BaseModel):
    # Frozen: an entry is never changed, which lets entries share one fields-set (see below).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    workspace: str
    deployment_key: DeploymentKey
    registry_connector_class: PythonClassPath
    registry_connector_init: InitParameters
    server_proxy_class: PythonClassPath
    server_proxy_init: InitParameters
    deleted: bool = False

    @field_validator("workspace", "registry_connector_class", "server_proxy_class")
    @classmethod
    def _shared_text(cls, value: str) -> str:
        """One copy of each name: deployments repeat them (~300 bytes saved per deployment)."""
        return sys.intern(value)

    @field_validator("registry_connector_init", "server_proxy_init")
    @classmethod
    def _plain_json(cls, value: dict[str, Any]) -> dict[str, Any]:
        problem = json_problem(value, depth=2)  # as deep as in a request body
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _share_fields_set(self) -> FixtureDeployment:
        """Entries set the same fields: one shared frozen set, not ~730 bytes per deployment."""
        fields = frozenset(self.__pydantic_fields_set__)
        object.__setattr__(self, "__pydantic_fields_set__", _FIELDS_SETS.setdefault(fields, fields))
        return self


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


class FixtureDocument(BaseModel):
    """Workspaces, tokens and deployments (live or deleted): the seed or the whole state."""

    model_config = ConfigDict(extra="forbid")

    workspaces: list[FixtureWorkspace] = []
    tokens: list[FixtureToken] = []
    deployments: list[FixtureDeployment] = []


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


def parse_document(data: Any, *, source: str) -> FixtureDocument:
    """Validate an already-decoded document (dict) and its cross references."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FixtureError(
            f"{source}: the document must be a mapping with workspaces, tokens, deployments"
        )
    try:
        document = FixtureDocument.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{source}: {_describe_location(err['loc'], data)}: {err['msg']}"
            for err in exc.errors()
        ]
        raise FixtureError("\n".join(problems)) from None
    check_references(document, source=source)
    return document


def load_fixture_file(path: Path) -> FixtureDocument:
    """Read one YAML (or JSON) fixture file and validate it fully."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FixtureError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise FixtureError(f"{path}: the file is not UTF-8 text") from None
    document = _valid_json_document(text, source=str(path))
    if document is not None:
        return document
    return parse_document(parse_yaml(text, source=str(path)), source=str(path))


def _valid_json_document(text: str, *, source: str) -> FixtureDocument | None:
    """A valid JSON fixture, validated straight from its text; None for anything else.

    No intermediate Python data: a seed of 100,000 deployments loads several times faster and
    peaks about 1 KB per deployment lower. Whatever fails here (YAML, NaN, a bad entry) takes
    the general path, which names every problem.
    """
    if not text.lstrip().startswith("{"):
        return None
    try:
        document = FixtureDocument.model_validate_json(text)
    except ValidationError:
        return None
    check_references(document, source=source)
    return document


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# PyYAML's libyaml-based safe loader, when PyYAML was built with it (most wheels are).
_FastLoader: type[Any] | None = getattr(yaml, "CSafeLoader", None)


def parse_yaml(text: str, *, source: str) -> Any:
    """YAML (a superset of JSON) to Python data, with a located error message.

    A document that is plain JSON is read with the json module: the same data, about a
    hundred times faster than PyYAML (100,000 deployments: under a second instead of minutes).
    Anything json refuses (YAML flow style, NaN, nesting too deep) is left to YAML.
    """
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            pass
    if _FastLoader is not None:
        try:  # libyaml: about three times faster on a large state file
            return yaml.load(text, Loader=_FastLoader)
        except (yaml.YAMLError, RecursionError):
            pass  # the pure-Python parser below words the error the same way every time
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise FixtureError(f"{source}: not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise FixtureError(f"{source}: the YAML is nested too deeply to read") from None


def check_references(document: FixtureDocument, *, source: str) -> None:
    """Names unique, tokens and deployments pointing at declared workspaces."""
    problems: list[str] = []
    workspaces: set[str] = set()
    for index, space in enumerate(document.workspaces):
        if space.name in workspaces:
            problems.append(f"workspaces[{index}] (name {space.name!r}): declared twice")
        workspaces.add(space.name)
    tokens: set[str] = set()
    for index, grant in enumerate(document.tokens):
        if grant.token in tokens:
            problems.append(
                f"tokens[{index}] (workspace {grant.workspace!r}): the token is declared twice"
            )
        tokens.add(grant.token)
        if grant.workspace not in workspaces:
            problems.append(
                f"tokens[{index}]: workspace {grant.workspace!r} is not declared under workspaces"
            )
    keys: set[tuple[str, str]] = set()
    for index, dep in enumerate(document.deployments):
        label = f"deployments[{index}] (deployment_key {dep.deployment_key!r})"
        if dep.workspace not in workspaces:
            problems.append(
                f"{label}: workspace {dep.workspace!r} is not declared under workspaces"
            )
        if (dep.workspace, dep.deployment_key) in keys:
            problems.append(f"{label}: the key is used twice in workspace {dep.workspace!r}")
        keys.add((dep.workspace, dep.deployment_key))
    if problems:
        raise FixtureError("\n".join(f"{source}: {problem}" for problem in problems))


def merge_documents(documents: Iterable[tuple[str, FixtureDocument]]) -> FixtureDocument:
    """Combine several fixture files into one seed; a clash names both files."""
    merged = FixtureDocument()
    origin: dict[str, str] = {}
    by_name: dict[str, FixtureWorkspace] = {}  # O(1) lookups: seeds may hold many workspaces
    for source, document in documents:
        for space in document.workspaces:
            known = by_name.get(space.name)
            if known is None:
                merged.workspaces.append(space)
                by_name[space.name] = space
            elif known != space:
                raise FixtureError(
                    f"{source}: workspace {space.name!r} is declared differently "
                    f"in {origin[space.name]}"
                )
            origin.setdefault(space.name, source)
        merged.tokens.extend(document.tokens)
        merged.deployments.extend(document.deployments)
        try:
            check_references(merged, source="merged fixtures")
        except FixtureError as exc:
            raise FixtureError(f"{source}: clashes with an earlier fixture file:\n{exc}") from None
    return merged


def with_extra_tokens(
    document: FixtureDocument, tokens: Iterable[tuple[str, str]]
) -> FixtureDocument:
    """Add `--token TOKEN=WORKSPACE` grants, creating workspaces as needed; later wins."""
    # Only the two lists change, so only they are copied (a deep copy of a seed with 100,000
    # deployments took seconds); the entries themselves are never modified.
    result = document.model_copy(
        update={"workspaces": list(document.workspaces), "tokens": list(document.tokens)}
    )
    for token, workspace in tokens:
        if all(space.name != workspace for space in result.workspaces):
            result.workspaces.append(FixtureWorkspace(name=workspace))
        result.tokens = [grant for grant in result.tokens if grant.token != token]
        result.tokens.append(FixtureToken(token=token, workspace=workspace))
    return result


def populate(
    store: DeploymentStore, document: FixtureDocument, *, only_workspace: str | None = None
) -> None:
    """Add the document's content to the store (all of it, or one workspace's part)."""

    def wanted(name: str) -> bool:
        return only_workspace is None or name == only_workspace

    for space in document.workspaces:
        if wanted(space.name):
            store.ensure_workspace(space.name, disabled=space.disabled)
    for grant in document.tokens:
        if wanted(grant.workspace):
            store.add_token(TokenGrant(grant.token, grant.workspace, grant.expires_at))
    for dep in document.deployments:
        if wanted(dep.workspace):
            store.add_record(
                StoredDeployment(
                    workspace=dep.workspace,
                    deployment_key=dep.deployment_key,
                    registry_connector_class=dep.registry_connector_class,
                    # Shared, not copied: neither a seed nor a stored record is ever changed,
                    # and a copy costs ~370 bytes per deployment.
                    registry_connector_init=dep.registry_connector_init,
                    server_proxy_class=dep.server_proxy_class,
                    server_proxy_init=dep.server_proxy_init,
                    deleted=dep.deleted,
                )
            )


def build_store(document: FixtureDocument, **options: Any) -> DeploymentStore:
    store = DeploymentStore(**options)
    populate(store, document)
    return store


def export_document(store: DeploymentStore) -> dict[str, Any]:
    """The whole state as a fixture document (plain data, ready for JSON or YAML)."""
    return {
        "workspaces": [
            {"name": space.name, "disabled": space.disabled} for space in store.workspaces.values()
        ],
        "tokens": [
            {
                "token": grant.token,
                "workspace": grant.workspace,
                "expires_at": grant.expires_at.astimezone(UTC).isoformat()
                if grant.expires_at
                else None,
            }
            for grant in store.tokens.values()
        ],
        "deployments": [
            {**record.to_api(), "deleted": record.deleted} for record in store.all_records()
        ],
    }


def utc_now() -> datetime:
    return datetime.now(UTC)
