"""In-memory state of the mock: workspaces, tokens, deployments and retired keys.

Plain Python with no HTTP knowledge (the moto pattern): the HTTP handlers, the admin API,
fixtures and persistence all drive this one model layer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.contract.errors import Conflict, NotFound, QuotaExceeded
from mock_server.contract.models import DeploymentPayload, api_object, shared

DEFAULT_MAX_DEPLOYMENTS_PER_WORKSPACE = 100_000
# --max-state-bytes: what all stored deployments, live and deleted, may take (`StoredDeployment.
# size`): the memory they hold stays within a small multiple of it (bench/state_memory.py).
DEFAULT_MAX_STATE_BYTES = 256 * 1024 * 1024
# What a record holds besides its JSON bytes (the record, its key, its place in a workspace's
# map), measured by bench/state_memory.py, rounded up: counted so that a budget bounds the
# memory of many tiny deployments too.
RECORD_OVERHEAD_BYTES = 256
# Compact JSON, non-ASCII kept as UTF-8: the same bytes as `responses.dump_json`.
_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class StoredDeployment:
    """One deployment, live or soft-deleted: where it lives, its key, and its API JSON bytes.

    The validated payload is kept as the canonical JSON of its `Deployment` object (what a get
    answers), not as the tree a parser made: a tree costs up to 25 times its JSON size (a body
    of empty objects), bytes cost their length. `to_api()` parses them again when a caller
    needs the object (exports, the dashboard); answers send the bytes as they are.
    """

    # The class paths too, for views that must not parse a large record (the dashboard's):
    # interned texts, so 16 bytes a record.
    __slots__ = (
        "_json",
        "deleted",
        "deployment_key",
        "registry_connector_class",
        "server_proxy_class",
        "workspace",
    )

    def __init__(self, workspace: str, payload: DeploymentPayload, *, deleted: bool = False):
        self.workspace = shared(workspace)
        self.deployment_key = payload.deployment_key
        self.registry_connector_class = payload.registry_connector_class
        self.server_proxy_class = payload.server_proxy_class
        self.deleted = deleted
        self._json = _encode_json(api_object(payload, workspace)).encode("utf-8")

    def to_api(self) -> dict[str, Any]:
        """The `Deployment` object of the API (no `deleted` flag: deleted ones are never shown)."""
        answer: dict[str, Any] = json.loads(self._json)
        return answer

    def api_json(self) -> bytes:
        """`to_api()` as JSON bytes: compact, UTF-8, the spec's key order."""
        return self._json

    @property
    def size(self) -> int:
        """What this record counts against `--max-state-bytes`: its JSON plus the fixed cost of
        a record (`RECORD_OVERHEAD_BYTES`), so that many tiny deployments count too."""
        return len(self._json) + RECORD_OVERHEAD_BYTES

    def __repr__(self) -> str:
        state = ", deleted" if self.deleted else ""
        return f"<StoredDeployment {self.workspace!r}/{self.deployment_key!r}{state}>"


# A workspace's list answer is kept while it is at most this large: listing a small workspace
# again costs one lookup; a big one is rebuilt each time rather than held twice in memory.
LISTING_CACHE_MAX_BYTES = 64 * 1024


@dataclass(slots=True)
class Workspace:
    """A tenant: its live deployments in creation order and its retired (soft-deleted) keys.

    `live` and `retired` change only through `DeploymentStore`, which keeps `stored_bytes`
    (the sizes of both) and drops `listing` (the cached JSON array of the live deployments)
    whenever they do.
    """

    name: str
    disabled: bool = False
    live: dict[str, StoredDeployment] = field(default_factory=dict)
    retired: dict[str, StoredDeployment] = field(default_factory=dict)
    listing: bytes | None = field(default=None, repr=False, compare=False)
    stored_bytes: int = 0


@dataclass(slots=True, frozen=True)
class TokenGrant:
    """A bearer token and the workspace it acts for, optionally until `expires_at` (aware UTC)."""

    token: str
    workspace: str
    expires_at: datetime | None = None

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


class DeploymentStore:
    """All state; every rule about keys (unique, permanent, per workspace) lives here, and the
    budgets that protect the process: deployments per workspace, bytes in all.

    `state_bytes` is the sum of every workspace's `stored_bytes`, kept as records come and go;
    code that swaps the maps wholesale goes through `replace_content`, which recounts.
    """

    def __init__(
        self,
        *,
        max_deployments_per_workspace: int = DEFAULT_MAX_DEPLOYMENTS_PER_WORKSPACE,
        max_state_bytes: int = DEFAULT_MAX_STATE_BYTES,
    ) -> None:
        self.max_deployments_per_workspace = max_deployments_per_workspace
        self.max_state_bytes = max_state_bytes
        self.workspaces: dict[str, Workspace] = {}
        self.tokens: dict[str, TokenGrant] = {}
        self.state_bytes = 0

    # -- workspaces and tokens -------------------------------------------------------------

    def ensure_workspace(self, name: str, *, disabled: bool | None = None) -> Workspace:
        """Return the workspace, creating it if needed; `disabled` updates it when given."""
        workspace = self.workspaces.get(name)
        if workspace is None:
            workspace = self.workspaces[name] = Workspace(name=name)
        if disabled is not None:
            workspace.disabled = disabled
        return workspace

    def add_token(self, grant: TokenGrant) -> None:
        """Register a token; its workspace is created when missing."""
        self.ensure_workspace(grant.workspace)
        self.tokens[grant.token] = grant

    def grant_for(self, token: str) -> TokenGrant | None:
        return self.tokens.get(token)

    def drop_workspace(self, name: str) -> None:
        """Forget a workspace with its deployments, retired keys and tokens."""
        space = self.workspaces.pop(name, None)
        if space is not None:
            self.state_bytes -= space.stored_bytes
        for token in [t for t, grant in self.tokens.items() if grant.workspace == name]:
            del self.tokens[token]

    def clear(self) -> None:
        self.replace_content({}, {})

    def replace_content(
        self, workspaces: dict[str, Workspace], tokens: dict[str, TokenGrant]
    ) -> None:
        """Hold exactly these workspaces and tokens (whole-state changes: reset, import, undo).

        The maps are changed in place, so whoever holds them sees the new content.
        """
        self.workspaces.clear()
        self.workspaces.update(workspaces)
        self.tokens.clear()
        self.tokens.update(tokens)
        self.state_bytes = sum(space.stored_bytes for space in self.workspaces.values())

    # -- deployments -------------------------------------------------------------------------

    def create(self, workspace: str, payload: DeploymentPayload) -> StoredDeployment:
        """Store a new live deployment; a key live or ever deleted in the workspace conflicts."""
        return self.add_new(StoredDeployment(workspace, payload))

    def add_new(self, record: StoredDeployment) -> StoredDeployment:
        """`create` for a record made beforehand (a large one is encoded off the event loop)."""
        space = self.ensure_workspace(record.workspace)
        key = record.deployment_key
        if key in space.live:
            raise Conflict(f"A deployment with key '{key}' already exists in this workspace.")
        if key in space.retired:
            raise Conflict(
                f"The deployment key '{key}' belonged to a deleted deployment; "
                "deleted keys can never be reused."
            )
        if len(space.live) >= self.max_deployments_per_workspace:
            raise QuotaExceeded(
                f"This workspace already holds {self.max_deployments_per_workspace} "
                "deployments, the most this mock allows."
            )
        if self.state_bytes + record.size > self.max_state_bytes:
            raise QuotaExceeded(
                f"The mock's state holds {self.state_bytes} of the {self.max_state_bytes} bytes "
                f"it may take (--max-state-bytes) and this deployment needs {record.size}. "
                "Deleted deployments keep their bytes (their keys stay taken); a reset frees them."
            )
        space.live[key] = record
        self._added(space, record)
        return record

    def get(self, workspace: str, key: str) -> StoredDeployment:
        space = self.workspaces.get(workspace)
        record = space.live.get(key) if space is not None else None
        if record is None:
            raise NotFound(f"No deployment with key '{key}' exists in this workspace.")
        return record

    def list(self, workspace: str) -> list[StoredDeployment]:
        """Live deployments, oldest first."""
        space = self.workspaces.get(workspace)
        return list(space.live.values()) if space is not None else []

    def list_json(self, workspace: str) -> bytes:
        """The live deployments as a JSON array (the list answer), oldest first."""
        space = self.workspaces.get(workspace)
        if space is None:
            return b"[]"
        listing = space.listing
        if listing is None:
            listing = b"[" + b",".join([record.api_json() for record in space.live.values()]) + b"]"
            if len(listing) <= LISTING_CACHE_MAX_BYTES:
                space.listing = listing
        return listing

    def delete(self, workspace: str, key: str) -> StoredDeployment:
        """Soft delete: the record moves to the retired keys, so the key is never reused."""
        record = self.get(workspace, key)
        space = self.workspaces[workspace]
        del space.live[key]
        space.listing = None
        record.deleted = True
        space.retired[key] = record
        return record

    def undelete(self, record: StoredDeployment) -> None:
        """Make a soft-deleted record live again (rolls back a delete that could not be saved)."""
        record.deleted = False
        self.add_record(record)

    def add_record(self, record: StoredDeployment) -> None:
        """Put a record (live or deleted) back as it was: used by fixtures and rollbacks.

        Not held to the byte budget: a seed is checked as a whole (`over_budget`), and a
        rollback only restores what was there.
        """
        space = self.ensure_workspace(record.workspace)
        self._remove(space, record.deployment_key)
        target = space.retired if record.deleted else space.live
        target[record.deployment_key] = record
        self._added(space, record)

    def discard(self, workspace: str, key: str) -> None:
        """Remove every trace of a key (used to roll back a create that could not be saved)."""
        space = self.workspaces.get(workspace)
        if space is not None:
            self._remove(space, key)

    def over_budget(self, limit: int | None = None) -> str | None:
        """Why the state is larger than `limit` (default `max_state_bytes`), None if it fits:
        for seeds and imports, which are built whole before they are checked."""
        limit = self.max_state_bytes if limit is None else limit
        if self.state_bytes <= limit:
            return None
        return (
            f"its deployments take {self.state_bytes} bytes once stored, more than the "
            f"{limit} this mock may hold (--max-state-bytes)"
        )

    def _added(self, space: Workspace, record: StoredDeployment) -> None:
        space.stored_bytes += record.size
        self.state_bytes += record.size
        space.listing = None

    def _remove(self, space: Workspace, key: str) -> None:
        for records in (space.live, space.retired):
            gone = records.pop(key, None)
            if gone is not None:
                space.stored_bytes -= gone.size
                self.state_bytes -= gone.size
        space.listing = None

    def all_records(self) -> Iterator[StoredDeployment]:
        """Every record, live then retired per workspace, for export."""
        for space in self.workspaces.values():
            yield from space.live.values()
            yield from space.retired.values()

    def deployment_count(self) -> int:
        return sum(len(space.live) for space in self.workspaces.values())
