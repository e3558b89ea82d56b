"""The fixture format: load and validate seed files, build a store from them, export it back.

A fixture document is the same shape as `GET /_mock/state`, so any state can be saved
and loaded again. Problems are reported as `FixtureError` naming the file, the entry and
the problem, so a bad file stops the start-up with a message a human can act on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from mock_server.state.fixture_check import quick_document
from mock_server.state.fixture_types import (
    FixtureDocument,
    FixtureError,
    FixtureToken,
    FixtureWorkspace,
    token_problem,
    workspace_name_problem,
)
from mock_server.state.store import DeploymentStore, StoredDeployment, TokenGrant


def parse_document(data: Any, *, source: str) -> FixtureDocument:
    """Validate an already-decoded document (dict) and its cross references."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FixtureError(
            f"{source}: the document must be a mapping with workspaces, tokens, deployments"
        )
    document = quick_document(data)
    if document is None:  # a problem, or something unusual: pydantic decides and explains
        from mock_server.state.fixture_schema import validate_document

        document = validate_document(data, source=source)
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
    return parse_document(parse_yaml(text, source=str(path)), source=str(path))


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


class _WrittenOutDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """No anchors and aliases: entries may share objects in memory (a seed's init dicts), but
    each is written out in full, since `PUT /_mock/state` refuses aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(document: Any) -> str:
    """Plain data (a fixture document or part of one) as YAML, keys in their natural order."""
    return yaml.dump(
        document,
        Dumper=_WrittenOutDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
    )


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
    # Only the two lists change, so only they are copied (the entries are never modified).
    workspaces, grants = list(document.workspaces), list(document.tokens)
    for token, workspace in tokens:
        problem = token_problem(token) or workspace_name_problem(workspace)
        if problem:
            raise FixtureError(f"token grant {token}={workspace!r}: {problem}")
        if all(space.name != workspace for space in workspaces):
            workspaces.append(FixtureWorkspace(workspace))
        grants = [grant for grant in grants if grant.token != token]
        grants.append(FixtureToken(token, workspace))
    return FixtureDocument(workspaces, grants, document.deployments)


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
