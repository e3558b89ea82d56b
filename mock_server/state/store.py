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
from mock_server.contract.models import DeploymentPayload, api_object

DEFAULT_MAX_DEPLOYMENTS_PER_WORKSPACE = 100_000
# Compact JSON, non-ASCII kept as UTF-8: the same bytes as `responses.dump_json`.
_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class StoredDeployment:
    """One deployment, live or soft-deleted: its workspace and its validated payload, as sent.

    The payload's fields are the model's (`DeploymentPayload`); a record only adds where it
    lives and whether it is deleted, and answers through `to_api()` and `api_json()`.
    """

    __slots__ = ("_api_json", "_payload", "deleted", "workspace")

    def __init__(self, workspace: str, payload: DeploymentPayload, *, deleted: bool = False):
        self.workspace = workspace
        self.deleted = deleted
        self._payload = payload  # frozen: never changes, so neither does `api_json()`
        self._api_json: bytes | None = None

    @property
    def deployment_key(self) -> str:
        return self._payload.deployment_key

    def to_api(self) -> dict[str, Any]:
        """The `Deployment` object of the API (no `deleted` flag: deleted ones are never shown)."""
        return api_object(self._payload, self.workspace)

    def api_json(self) -> bytes:
        """`to_api()` as JSON bytes, encoded once: a stored deployment never changes."""
        encoded = self._api_json
        if encoded is None:
            encoded = self._api_json = _encode_json(self.to_api()).encode("utf-8")
        return encoded

    def __repr__(self) -> str:
        state = ", deleted" if self.deleted else ""
        return f"<StoredDeployment {self.workspace!r}/{self.deployment_key!r}{state}>"


# A workspace's list answer is kept while it is at most this large: listing a small workspace
# again costs one lookup; a big one is rebuilt each time rather than held twice in memory.
LISTING_CACHE_MAX_BYTES = 64 * 1024


@dataclass(slots=True)
class Workspace:
    """A tenant: its live deployments in creation order and its retired (soft-deleted) keys.

    `live` changes only through `DeploymentStore`, which drops `listing` (the cached JSON
    array of the live deployments) whenever it does.
    """

    name: str
    disabled: bool = False
    live: dict[str, StoredDeployment] = field(default_factory=dict)
    retired: dict[str, StoredDeployment] = field(default_factory=dict)
    listing: bytes | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True, frozen=True)
class TokenGrant:
    """A bearer token and the workspace it acts for, optionally until `expires_at` (aware UTC)."""

    token: str
    workspace: str
    expires_at: datetime | None = None

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


class DeploymentStore:
    """All state; every rule about keys (unique, permanent, per workspace) lives here."""

    def __init__(
        self, *, max_deployments_per_workspace: int = DEFAULT_MAX_DEPLOYMENTS_PER_WORKSPACE
    ) -> None:
        self.max_deployments_per_workspace = max_deployments_per_workspace
        self.workspaces: dict[str, Workspace] = {}
        self.tokens: dict[str, TokenGrant] = {}

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
        self.workspaces.pop(name, None)
        for token in [t for t, grant in self.tokens.items() if grant.workspace == name]:
            del self.tokens[token]

    def clear(self) -> None:
        self.workspaces.clear()
        self.tokens.clear()

    # -- deployments -------------------------------------------------------------------------

    def create(self, workspace: str, payload: DeploymentPayload) -> StoredDeployment:
        """Store a new live deployment; a key live or ever deleted in the workspace conflicts."""
        space = self.ensure_workspace(workspace)
        key = payload.deployment_key
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
        record = StoredDeployment(workspace, payload)
        space.live[key] = record
        space.listing = None
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
        """Put a record (live or deleted) back as it was: used by fixtures and rollbacks."""
        space = self.ensure_workspace(record.workspace)
        space.live.pop(record.deployment_key, None)
        space.retired.pop(record.deployment_key, None)
        target = space.retired if record.deleted else space.live
        target[record.deployment_key] = record
        space.listing = None

    def discard(self, workspace: str, key: str) -> None:
        """Remove every trace of a key (used to roll back a create that could not be saved)."""
        space = self.workspaces.get(workspace)
        if space is not None:
            space.live.pop(key, None)
            space.retired.pop(key, None)
            space.listing = None

    def all_records(self) -> Iterator[StoredDeployment]:
        """Every record, live then retired per workspace, for export."""
        for space in self.workspaces.values():
            yield from space.live.values()
            yield from space.retired.values()

    def deployment_count(self) -> int:
        return sum(len(space.live) for space in self.workspaces.values())
