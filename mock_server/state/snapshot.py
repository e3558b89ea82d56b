"""The state at one instant: copied on the event loop in a few list copies, read in any thread.

Turning a large state into a fixture document (`GET /_mock/state`, every `--state-file` write)
takes far longer than a request may hold the loop, and the store keeps changing meanwhile. So
the loop copies only what changes (the workspace and token maps, each workspace's live and
retired deployments as lists: C-level copies of references) and the document is built from
that copy in a worker thread. A stored deployment never changes once made except for its
`deleted` flag, which the snapshot takes from the list that held the record, so a delete made
after the snapshot does not show in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mock_server.state.fixtures import dump_yaml, export_document
from mock_server.state.store import DeploymentStore, StoredDeployment, TokenGrant

DeploymentText = Callable[[StoredDeployment, bool], str]


@dataclass(frozen=True, slots=True)
class StateSnapshot:
    """Workspaces (name, disabled), tokens, and per workspace its live and retired records."""

    workspaces: tuple[tuple[str, bool], ...]
    tokens: tuple[TokenGrant, ...]
    records_by_workspace: tuple[tuple[list[StoredDeployment], list[StoredDeployment]], ...]

    @classmethod
    def of(cls, store: DeploymentStore) -> StateSnapshot:
        """Taken on the loop: one step per workspace, the rest are C-level copies."""
        spaces = list(store.workspaces.values())
        return cls(
            workspaces=tuple((space.name, space.disabled) for space in spaces),
            tokens=tuple(store.tokens.values()),
            records_by_workspace=tuple(
                (list(space.live.values()), list(space.retired.values())) for space in spaces
            ),
        )

    def record_count(self) -> int:
        return sum(len(live) + len(retired) for live, retired in self.records_by_workspace)

    def json_bytes(self) -> int:
        """The deployments' JSON size: what encoding the snapshot is proportional to."""
        return sum(len(record.api_json()) for record, _ in self.records())

    def records(self) -> Iterator[tuple[StoredDeployment, bool]]:
        """Every record with its `deleted` flag as of the snapshot, in export order."""
        for live, retired in self.records_by_workspace:
            for record in live:
                yield record, False
            for record in retired:
                yield record, True

    def header(self) -> dict[str, Any]:
        """The document's `workspaces` and `tokens`, exactly as `export_document` writes them."""
        shadow = DeploymentStore()
        for name, disabled in self.workspaces:
            shadow.ensure_workspace(name, disabled=disabled)
        shadow.tokens.update((grant.token, grant) for grant in self.tokens)
        document = export_document(shadow)
        del document["deployments"]
        return document


def deployment_entry(record: StoredDeployment, deleted: bool) -> dict[str, Any]:
    """One `deployments` entry of a fixture document (the shape `export_document` gives)."""
    return {**record.to_api(), "deleted": deleted}


def deployment_entry_json(record: StoredDeployment, deleted: bool) -> bytes:
    """`deployment_entry` as compact JSON, made from the record's bytes without parsing them:
    the same bytes `dump_json` gives, since `deleted` comes last."""
    return record.api_json()[:-1] + (b',"deleted":true}' if deleted else b',"deleted":false}')


def deployment_yaml(record: StoredDeployment, deleted: bool) -> str:
    """One entry as the YAML list item it is in the document."""
    return dump_yaml([deployment_entry(record, deleted)])


def state_yaml(snapshot: StateSnapshot, text_of: DeploymentText = deployment_yaml) -> str:
    """The snapshot as `dump_yaml(export_document(...))` writes it, built one deployment at a
    time: each step is short, so a worker thread doing this lets the loop run in between."""
    parts = [dump_yaml(snapshot.header())]
    pairs = snapshot.records()
    first = next(pairs, None)
    if first is None:
        parts.append("deployments: []\n")
    else:
        parts += ["deployments:\n", text_of(*first)]
        parts.extend(text_of(record, deleted) for record, deleted in pairs)
    return "".join(parts)
