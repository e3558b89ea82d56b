"""Fixture files: read and validate seeds, merge them, build a store from them, export it back.

The format and its rules are `contract.fixture_format`; this module reads files (YAML or
JSON), turns every problem into a `FixtureError` naming the file, the entry and the problem
(a bad file stops the start-up with a message a human can act on), and moves documents in
and out of a `DeploymentStore`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from mock_server.contract.fixture_format import (
    FixtureDeployment,
    FixtureDocument,
    FixtureToken,
    FixtureWorkspace,
    check_document,
    reference_problems,
)
from mock_server.contract.messages import FieldProblem, dotted, field_problems
from mock_server.state.store import DeploymentStore, StoredDeployment, TokenGrant

Part = TypeVar("Part", FixtureToken, FixtureWorkspace)


class FixtureError(Exception):
    """A fixture document that cannot be used; the message says where and why.

    `problems` lists each problem of a document that was read but is invalid (empty when the
    file could not be read at all), for answers that list them one by one.
    """

    def __init__(self, message: str, problems: Sequence[FieldProblem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)

    @classmethod
    def listing(cls, source: str, problems: Sequence[FieldProblem]) -> FixtureError:
        """One line per problem: `<source>: <where>: <what>`."""
        lines = [f"{source}: {problem.field}: {problem.message}" for problem in problems]
        return cls("\n".join(lines), problems)


def parse_document(data: Any, *, source: str) -> FixtureDocument:
    """Validate a decoded document (None, from an empty YAML document, is an empty one)."""
    document, problems = check_document({} if data is None else data)
    if document is None:
        raise FixtureError.listing(source, problems)
    return document


def load_fixture_file(path: Path) -> FixtureDocument:
    """Read one YAML (or JSON) fixture file and validate it fully."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FixtureError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise FixtureError(f"{path}: the file is not UTF-8 text") from None
    if not text.strip():
        raise FixtureError(
            f"{path}: the fixture file is empty; a fixture file holds a document with "
            'workspaces, tokens and deployments (README, "Fixture format")'
        )
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


def merge_documents(documents: Iterable[tuple[str, FixtureDocument]]) -> FixtureDocument:
    """Combine several fixture files into one seed; a clash names both files."""
    workspaces: list[FixtureWorkspace] = []
    tokens: list[FixtureToken] = []
    deployments: list[FixtureDeployment] = []
    origin: dict[str, str] = {}
    by_name: dict[str, FixtureWorkspace] = {}  # O(1) lookups: seeds may hold many workspaces
    for source, document in documents:
        for space in document.workspaces:
            known = by_name.get(space.name)
            if known is None:
                workspaces.append(space)
                by_name[space.name] = space
            elif known != space:
                raise FixtureError(
                    f"{source}: workspace {space.name!r} is declared differently "
                    f"in {origin[space.name]}"
                )
            origin.setdefault(space.name, source)
        tokens.extend(document.tokens)
        deployments.extend(document.deployments)
        problems = reference_problems(
            {"workspaces": workspaces, "tokens": tokens, "deployments": deployments}
        )
        if problems:
            clash = FixtureError.listing("merged fixtures", problems)
            raise FixtureError(f"{source}: clashes with an earlier fixture file:\n{clash}")
    return FixtureDocument(workspaces, tokens, deployments)


def with_extra_tokens(
    document: FixtureDocument, tokens: Iterable[tuple[str, str]]
) -> FixtureDocument:
    """Add `--token TOKEN=WORKSPACE` grants, creating workspaces as needed; later wins."""
    # Only the two lists change, so only they are copied (the entries are never modified).
    workspaces, grants = list(document.workspaces), list(document.tokens)
    for token, workspace in tokens:
        where = f"token grant for workspace {workspace!r}"  # never the token: it is a secret
        grant = _grant_part(FixtureToken, where, token=token, workspace=workspace)
        if all(space.name != workspace for space in workspaces):
            workspaces.append(_grant_part(FixtureWorkspace, where, name=workspace))
        grants = [known for known in grants if known.token != token]
        grants.append(grant)
    return FixtureDocument(workspaces, grants, document.deployments)


def _grant_part(model: type[Part], where: str, **values: Any) -> Part:
    try:
        return model(**values)
    except ValidationError as exc:
        problems = field_problems(exc, model, locate=lambda loc: f"{where}.{dotted(loc)}")
        raise FixtureError.listing("--token", problems) from None


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
    for deployment in document.deployments:
        if wanted(deployment.workspace):
            record = StoredDeployment(deployment.workspace, deployment, deleted=deployment.deleted)
            store.add_record(record)


def build_store(
    document: FixtureDocument, *, source: str = "the seed", **options: Any
) -> DeploymentStore:
    """A store holding the document; `FixtureError` if it is over the store's byte budget."""
    store = DeploymentStore(**options)
    populate(store, document)
    problem = store.over_budget()
    if problem is not None:
        raise FixtureError(f"{source}: {problem}.")
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
