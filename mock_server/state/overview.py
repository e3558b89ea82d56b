"""What the dashboard shows of a mock: workspaces, deployments, the journal's tail and the
fault rules, every value masked before it leaves the server.

Plain Python, no HTTP. Deployments and fault rules pass through the same masking policy as
the journal's bodies; tokens keep only their first characters (`masking.mask_token`).
A page shows a bounded view: the newest deployments of the first workspaces, the newest
requests, with the full counts beside them (`GET /_mock/state` has everything).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mock_server.masking import MaskingPolicy, mask_json, mask_text, mask_token
from mock_server.state.faults import FaultBook, FaultRule
from mock_server.state.journal import RequestJournal
from mock_server.state.state_ops import counts
from mock_server.state.store import DeploymentStore, StoredDeployment, TokenGrant, Workspace

SHOWN_WORKSPACES = 100
SHOWN_DEPLOYMENTS = 200  # per workspace, live and retired each: the newest
SHOWN_REQUESTS = 200
SHOWN_DEPLOYMENT_BYTES = 64 * 1024  # larger deployments are summarised, not parsed


def deployment_view(record: StoredDeployment, masking: MaskingPolicy) -> dict[str, Any]:
    """A deployment as the API answers it, masked as the journal masks a create's body.

    A large one is not parsed (1 MiB of tiny objects takes up to 0.3 s, on the event loop):
    its init objects are shown as one line saying how to see them.
    """
    size = len(record.api_json())
    if size > SHOWN_DEPLOYMENT_BYTES:
        summary = {"…": f"<{size} bytes in all: too large to show here; GET the deployment>"}
        return {
            "deployment_key": record.deployment_key,
            "workspace": record.workspace,
            "registry_connector_class": record.registry_connector_class,
            "registry_connector_init": summary,
            "server_proxy_class": record.server_proxy_class,
            "server_proxy_init": summary,
        }
    view: dict[str, Any] = mask_json(record.to_api(), masking)
    return view


def token_view(grant: TokenGrant, now: datetime) -> dict[str, Any]:
    expires_at = grant.expires_at
    return {
        "token": mask_token(grant.token),
        "expires_at": expires_at.isoformat().replace("+00:00", "Z") if expires_at else None,
        "expired": grant.is_expired(now),
    }


def workspace_view(
    space: Workspace, grants: list[TokenGrant], masking: MaskingPolicy, now: datetime
) -> dict[str, Any]:
    """A workspace with its newest live deployments and retired keys, and how many in all."""
    live = list(space.live.values())[-SHOWN_DEPLOYMENTS:]
    retired = list(space.retired)[-SHOWN_DEPLOYMENTS:]
    return {
        "name": space.name,
        "disabled": space.disabled,
        "tokens": [token_view(grant, now) for grant in grants],
        "deployments": [deployment_view(record, masking) for record in live],
        "deployment_count": len(space.live),
        "retired": [mask_text(key, masking) for key in retired],
        "retired_count": len(space.retired),
    }


def state_view(store: DeploymentStore, masking: MaskingPolicy) -> dict[str, Any]:
    """The first workspaces in the store's order, and the state's counts."""
    now = datetime.now(UTC)
    grants: dict[str, list[TokenGrant]] = {}
    for grant in store.tokens.values():
        grants.setdefault(grant.workspace, []).append(grant)
    spaces = list(store.workspaces.values())[:SHOWN_WORKSPACES]
    return {
        "workspaces": [
            workspace_view(space, grants.get(space.name, []), masking, now) for space in spaces
        ],
        "counts": counts(store),
    }


def fault_view(rule: FaultRule, masking: MaskingPolicy) -> dict[str, Any]:
    """A rule as `GET /_mock/faults` shows it, its canned body masked."""
    view: dict[str, Any] = mask_json(rule.to_json(), masking)
    return view


def journal_view(journal: RequestJournal) -> dict[str, Any]:
    """The newest entries, oldest first, and the journal's size (0: the journal is off)."""
    entries = list(journal)[-SHOWN_REQUESTS:]
    return {
        "size": journal.size,
        "entries": [entry.to_json(journal.masking) for entry in entries],
    }


def snapshot(store: DeploymentStore, journal: RequestJournal, faults: FaultBook) -> dict[str, Any]:
    """Everything a page shows, at one moment: what it starts from and reloads."""
    masking = journal.masking
    return {
        "state": state_view(store, masking),
        "journal": journal_view(journal),
        "faults": [fault_view(rule, masking) for rule in faults.rules()],
    }
