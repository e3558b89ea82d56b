"""Whole-state changes of the admin API (reset, replace), each returning how to undo it.

Plain Python on the store, no HTTP. The store object itself is kept (changed in place), so
everything holding a reference to it keeps seeing the current state.
"""

from __future__ import annotations

from collections.abc import Callable

from mock_server.contract.fixture_format import FixtureDocument
from mock_server.state.fixtures import populate
from mock_server.state.store import DeploymentStore

Undo = Callable[[], None]


def _snapshot(store: DeploymentStore) -> Undo:
    """Undo by putting back the current workspace and token maps (their objects stay intact)."""
    workspaces, tokens = dict(store.workspaces), dict(store.tokens)

    def undo() -> None:
        store.workspaces.clear()
        store.workspaces.update(workspaces)
        store.tokens.clear()
        store.tokens.update(tokens)

    return undo


def replace_state(store: DeploymentStore, document: FixtureDocument) -> Undo:
    """Make the store hold exactly the (already validated) document."""
    undo = _snapshot(store)
    store.clear()
    populate(store, document)
    return undo


def reset_workspace(store: DeploymentStore, seed: FixtureDocument, name: str) -> Undo:
    """Put one workspace (deployments, retired keys, tokens) back as the seed has it.

    A workspace the seed lacks is removed. Other workspaces are untouched, except that a seed
    token of this workspace is given back to it if the state had moved it elsewhere.
    """
    undo = _snapshot(store)
    order = list(store.workspaces)
    store.drop_workspace(name)
    populate(store, seed, only_workspace=name)
    if name in order and name in store.workspaces:
        reordered = {key: store.workspaces[key] for key in order if key in store.workspaces}
        store.workspaces.clear()
        store.workspaces.update(reordered)
    return undo


def knows_workspace(store: DeploymentStore, seed: FixtureDocument, name: str) -> bool:
    """Whether `name` is in the current state or in the seed (what a reset can act on)."""
    return name in store.workspaces or any(space.name == name for space in seed.workspaces)


def counts(store: DeploymentStore) -> dict[str, int]:
    """Sizes of the state, for answers and banners."""
    return {
        "workspaces": len(store.workspaces),
        "tokens": len(store.tokens),
        "deployments": store.deployment_count(),
        "deleted_deployments": sum(len(space.retired) for space in store.workspaces.values()),
    }
