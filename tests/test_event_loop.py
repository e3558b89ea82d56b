"""`--event-loop`: uvloop when asked or available, the standard loop otherwise."""

from __future__ import annotations

import asyncio
import sys

import pytest

from mock_server.runtime import EventLoopUnavailable, loop_factory


def test_asyncio_is_always_the_standard_loop() -> None:
    assert loop_factory("asyncio") == ("asyncio", asyncio.new_event_loop)


def test_without_uvloop_auto_falls_back_and_uvloop_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # makes `import uvloop` fail
    assert loop_factory("auto") == ("asyncio", asyncio.new_event_loop)
    with pytest.raises(EventLoopUnavailable, match="--event-loop asyncio"):
        loop_factory("uvloop")


def test_with_uvloop_auto_picks_it() -> None:
    uvloop = pytest.importorskip("uvloop")
    name, factory = loop_factory("auto")
    assert (name, factory) == ("uvloop", uvloop.new_event_loop)
    loop = factory()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
