"""Whole-state changes of the admin API (reset, replace): each says how to undo it.

Plain Python on the store, no HTTP. A change is made in steps so that a large one never holds
the event loop: `built_store` makes the new content in a store nobody else sees (in any
thread, since nothing else touches it); `install_state` / `install_workspace` put it in place
on the loop by swapping map entries, whatever the number of deployments; and once the change
is kept (saved, if there is a state file), `Replaced.release` frees what it replaced a
deployment at a time, in a worker thread (freeing 40,000 deployments at once holds the
interpreter for over 100 ms). The store object itself is kept (changed in place), so
everything holding it sees the current state.
"""

from __future__ import annotations

from dataclasses import dataclass

from mock_server.contract.errors import PayloadTooLarge
from mock_server.contract.fixture_format import FixtureDocument
from mock_server.state.fixtures import populate
from mock_server.state.store import DeploymentStore, TokenGrant, Workspace


@dataclass(frozen=True, slots=True)
class Replaced:
    """The workspace and token maps as they were before a change: to put back, or to free."""

    store: DeploymentStore
    workspaces: dict[str, Workspace]
    tokens: dict[str, TokenGrant]

    @classmethod
    def of(cls, store: DeploymentStore) -> Replaced:
        return cls(store, dict(store.workspaces), dict(store.tokens))

    def undo(self) -> None:
        """Put the maps back (their objects are intact until `release`)."""
        self.store.replace_content(self.workspaces, self.tokens)

    def record_count(self) -> int:
        """Deployments that `release` may have to free."""
        return sum(len(space.live) + len(space.retired) for space in self.workspaces.values())

    def release(self) -> None:
        """Free the replaced workspaces a deployment at a time; never one still served.

        Only after the change is kept for good: `undo` is impossible afterwards. Requests in
        flight may still hold a replaced workspace, but only read its name.
        """
        served = self.store.workspaces
        while self.workspaces:
            name, space = self.workspaces.popitem()
            if served.get(name) is space:
                continue
            for records in (space.live, space.retired):
                while records:
                    records.popitem()
        self.tokens.clear()


def built_store(document: FixtureDocument, *, only_workspace: str | None = None) -> DeploymentStore:
    """A new store holding the (already validated) document, or only one workspace's part."""
    store = DeploymentStore()
    populate(store, document, only_workspace=only_workspace)
    return store


def check_import_fits(store: DeploymentStore, built: DeploymentStore) -> None:
    """A state sent to replace the store's must fit its byte budget (413 otherwise)."""
    problem = built.over_budget(store.max_state_bytes)
    if problem is not None:
        raise PayloadTooLarge(f"The state sent is too large: {problem}; nothing was changed.")


def install_state(store: DeploymentStore, built: DeploymentStore) -> Replaced:
    """Make `store` hold exactly what `built` holds (which must not be used afterwards)."""
    replaced = Replaced.of(store)
    store.replace_content(built.workspaces, built.tokens)
    return replaced


def install_workspace(store: DeploymentStore, name: str, part: DeploymentStore) -> Replaced:
    """Put workspace `name` back as `part` (`built_store(seed, only_workspace=name)`) has it.

    A workspace the part lacks is removed. Other workspaces are untouched, except that a token
    of this workspace is given back to it if the state had moved it elsewhere. The workspace
    keeps its place in the order of workspaces.
    """
    replaced = Replaced.of(store)
    workspaces = dict(store.workspaces)  # the same order: the workspace keeps its place
    space = part.workspaces.get(name)
    if space is None:
        workspaces.pop(name, None)
    else:
        workspaces[name] = space
    tokens = {token: grant for token, grant in store.tokens.items() if grant.workspace != name}
    tokens.update(part.tokens)
    store.replace_content(workspaces, tokens)
    return replaced


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
