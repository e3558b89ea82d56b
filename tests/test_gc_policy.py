"""The CLI's garbage-collector policy: survivors of a slow full collection are frozen."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from mock_server.runtime import FreezeAfterSlowCollections, freeze_startup_and_slow_collections


@pytest.fixture
def no_frozen_objects_left() -> Iterator[None]:
    before = gc.get_freeze_count()
    yield
    if gc.get_freeze_count() != before:
        gc.unfreeze()


@pytest.mark.usefixtures("no_frozen_objects_left")
def test_a_slow_full_collection_freezes_its_survivors() -> None:
    policy = FreezeAfterSlowCollections(slow_ms=0.0)  # every full collection counts as slow
    survivor = [object() for _ in range(10)]
    gc.callbacks.append(policy)
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(policy)
    assert policy.freezes == 1
    assert gc.get_freeze_count() >= len(survivor)


@pytest.mark.usefixtures("no_frozen_objects_left")
def test_fast_and_young_collections_freeze_nothing() -> None:
    policy = FreezeAfterSlowCollections(slow_ms=10_000.0)
    before = gc.get_freeze_count()
    gc.callbacks.append(policy)
    try:
        gc.collect(0)
        gc.collect(1)
        gc.collect()  # a full collection, but far faster than 10 s
    finally:
        gc.callbacks.remove(policy)
    assert policy.freezes == 0
    assert gc.get_freeze_count() == before


@pytest.mark.usefixtures("no_frozen_objects_left")
def test_start_up_freezes_what_exists_and_installs_the_policy_once() -> None:
    callbacks_before = list(gc.callbacks)
    policy = FreezeAfterSlowCollections
    gc.callbacks[:] = [cb for cb in callbacks_before if not isinstance(cb, policy)]
    try:
        freeze_startup_and_slow_collections()
        freeze_startup_and_slow_collections()
        assert gc.get_freeze_count() > 0
        policies = [cb for cb in gc.callbacks if isinstance(cb, FreezeAfterSlowCollections)]
        assert len(policies) == 1
    finally:
        gc.callbacks[:] = callbacks_before
