"""The fixture format: workspaces, tokens and deployments, every rule of them, and where a
problem is.

One format for `--fixtures`, `--state-file`, `PUT /_mock/state` and `GET /_mock/state`, so
any state can be saved and loaded again. `check_document` reports every problem of a
document at once, field errors and cross references together (a workspace that is not
declared, a name, token or key used twice), each located as
`deployments[2] (deployment_key 'x').registry_connector_class`: a file is fixed in one go.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    StrictBool,
    StrictStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass
from pydantic_core import ArgsKwargs

from mock_server.contract.messages import FieldProblem, our_words, refusal
from mock_server.contract.models import FORBID_EXTRA, Deployment, WorkspaceReference, shared
from mock_server.contract.strict_json import json_value_problem

BEARER_TOKEN_PATTERN = r"[A-Za-z0-9\-._~+/]+=*"
"""RFC 6750's b64token: what `Authorization: Bearer <token>` can carry, so a token must match."""
TOKEN_RULE = "letters, digits and - . _ ~ + / only, optionally ending in = (RFC 6750)"
_BEARER_TOKEN = re.compile(BEARER_TOKEN_PATTERN)


def token_problem(token: str) -> str | None:
    """Why `token` cannot be a bearer token, or None."""
    if _BEARER_TOKEN.fullmatch(token) is None:
        return f"must be sendable as a bearer token: {TOKEN_RULE}"
    return None


def workspace_name_problem(name: str) -> str | None:
    """Why `name` cannot name a workspace, or None; it is shown in banners and every answer."""
    if not name.strip():
        return "must not be empty"
    if not name.isprintable():
        return "must be printable text (no control characters or lone surrogates)"
    return None


def _bearer_token(token: str) -> str:
    problem = token_problem(token)
    if problem is not None:
        raise refusal("bearer_token", problem)
    return token


def _workspace_name(name: str) -> str:
    problem = workspace_name_problem(name)
    if problem is not None:
        raise refusal("workspace_name", problem)
    return name


BearerToken = Annotated[StrictStr, AfterValidator(_bearer_token)]
WorkspaceName = Annotated[WorkspaceReference, AfterValidator(_workspace_name)]


@dataclass(frozen=True, slots=True, config=FORBID_EXTRA)
class FixtureWorkspace:
    """A workspace; a disabled one answers its tokens with 403."""

    name: WorkspaceName
    disabled: StrictBool = False


@dataclass(frozen=True, slots=True, config=FORBID_EXTRA)
class FixtureToken:
    """A bearer token for a workspace, until `expires_at` if given (text or a YAML timestamp)."""

    token: BearerToken = field(repr=False)  # a secret: never in a log line or a traceback
    workspace: WorkspaceReference
    expires_at: AwareDatetime | None = None


@dataclass(frozen=True, slots=True, config=FORBID_EXTRA)
class FixtureDeployment(Deployment):
    """A deployment of a seed or a saved state: live, or soft-deleted (its key stays retired)."""

    deleted: StrictBool = False

    @field_validator("registry_connector_init", "server_proxy_init")
    @classmethod
    def _plain_json(cls, init: dict[str, Any]) -> dict[str, Any]:
        """YAML gives more than JSON has (dates, sets, NaN, keys that are not text)."""
        problem = json_value_problem(init, depth=2)  # a field of the payload: level 2
        if problem is not None:
            raise refusal("json_value", str(problem))
        for name, value in init.items():  # a seed repeats its URLs: one copy of each
            if type(value) is str:
                init[name] = shared(value)
        return init


@dataclass(frozen=True, slots=True, config=FORBID_EXTRA)
class FixtureDocument:
    """The seed, or a whole state; each list keeps the file's order (deployments: creation)."""

    workspaces: list[FixtureWorkspace] = field(default_factory=list)
    tokens: list[FixtureToken] = field(default_factory=list)
    deployments: list[FixtureDeployment] = field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data: Any) -> Any:
        if not isinstance(data, Mapping | ArgsKwargs | FixtureDocument):  # ArgsKwargs: __init__
            raise refusal(
                "document_type", "must be a mapping with workspaces, tokens and deployments"
            )
        return data


_DOCUMENT = TypeAdapter(FixtureDocument)
_SECTIONS = ("workspaces", "tokens", "deployments")
_LABELS = ("deployment_key", "name", "workspace")  # never the token: it is a secret


def check_document(data: Any) -> tuple[FixtureDocument | None, list[FieldProblem]]:
    """The document, or every problem of it in document order (`data` as decoded)."""
    located: list[tuple[tuple[int, int], FieldProblem]] = []
    document: FixtureDocument | None = None
    try:
        document = _DOCUMENT.validate_python(data)
    except ValidationError as exc:
        for item in exc.errors(include_url=False, include_input=False):
            loc = tuple(item["loc"])
            problem = FieldProblem(_locate(loc, data), *our_words(item, FixtureDocument))
            located.append((_order(loc), problem))
    if isinstance(data, Mapping):
        located += _located_references(data)
    located.sort(key=lambda pair: pair[0])  # stable: an entry's field errors keep their order
    problems = [problem for _, problem in located]
    return (None if problems else document), problems


def _order(loc: tuple[int | str, ...]) -> tuple[int, int]:
    section = _SECTIONS.index(loc[0]) if loc and loc[0] in _SECTIONS else -1
    index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else -1
    return section, index


def _text(entry: Any, name: str) -> str | None:
    """A text field of an entry, decoded (a mapping) or validated (a dataclass); else None."""
    value = entry.get(name) if isinstance(entry, Mapping) else getattr(entry, name, None)
    return value if type(value) is str else None


def _entry_location(section: str, index: int, entry: Any) -> str:
    """`deployments[2] (deployment_key 'x')`: the entry's position, and its name if it has one."""
    for name in _LABELS:
        value = _text(entry, name)
        if value is not None:
            return f"{section}[{index}] ({name} {value!r})"
    return f"{section}[{index}]"


def _locate(loc: tuple[int | str, ...], data: Any) -> str:
    """Where pydantic's `loc` is in the document, named as `_entry_location` names entries."""
    if not loc:
        return "document"
    head, rest = str(loc[0]), loc[1:]
    if rest and isinstance(rest[0], int):
        entries = _entries(data, head) if isinstance(data, Mapping) else ()
        index, rest = rest[0], rest[1:]
        head = _entry_location(head, index, entries[index] if index < len(entries) else None)
    return head + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in rest)


def _entries(sections: Mapping[str, Any], name: str) -> Sequence[Any]:
    entries = sections.get(name)
    return entries if isinstance(entries, list | tuple) else ()


def reference_problems(sections: Mapping[str, Any]) -> list[FieldProblem]:
    """Workspaces, tokens and keys declared once, and tokens and deployments pointing at
    declared workspaces; `sections` holds the three lists, decoded or validated."""
    return [problem for _, problem in _located_references(sections)]


def _located_references(sections: Mapping[str, Any]) -> list[tuple[tuple[int, int], FieldProblem]]:
    found: list[tuple[tuple[int, int], FieldProblem]] = []

    def problem(section: str, index: int, entry: Any, message: str, kind: str) -> None:
        where = _entry_location(section, index, entry)
        found.append(((_SECTIONS.index(section), index), FieldProblem(where, message, kind)))

    declared: set[str] = set()
    for index, entry in enumerate(_entries(sections, "workspaces")):
        name = _text(entry, "name")
        if name is not None:
            if name in declared:
                problem("workspaces", index, entry, "declared twice", "duplicate_workspace")
            declared.add(name)
    tokens: set[str] = set()
    for index, entry in enumerate(_entries(sections, "tokens")):
        token, workspace = _text(entry, "token"), _text(entry, "workspace")
        if token is not None:
            if token in tokens:
                problem("tokens", index, entry, "the token is declared twice", "duplicate_token")
            tokens.add(token)
        if workspace is not None and workspace not in declared:
            message = f"workspace {workspace!r} is not declared under workspaces"
            problem("tokens", index, entry, message, "undeclared_workspace")
    keys: set[tuple[str, str]] = set()
    for index, entry in enumerate(_entries(sections, "deployments")):
        workspace, key = _text(entry, "workspace"), _text(entry, "deployment_key")
        if workspace is None:
            continue
        if workspace not in declared:
            message = f"workspace {workspace!r} is not declared under workspaces"
            problem("deployments", index, entry, message, "undeclared_workspace")
        if key is not None:
            if (workspace, key) in keys:
                message = f"the key is used twice in workspace {workspace!r}"
                problem("deployments", index, entry, message, "duplicate_key")
            keys.add((workspace, key))
    return found
