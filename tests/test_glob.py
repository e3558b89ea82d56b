"""Path globs (journal filter, fault rules): what is refused, what matches, and in linear time."""

from __future__ import annotations

import time
from fnmatch import fnmatchcase

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.contract.path_glob import (
    MAX_GLOB_LENGTH,
    MAX_GLOB_STARS,
    GlobError,
    PathGlob,
    glob_problem,
)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "must not be empty"),
        ("/" + "a" * MAX_GLOB_LENGTH, f"at most {MAX_GLOB_LENGTH} characters"),
        ("api/*", "must start with / or *"),
        ("/api/\x00", "printable"),
        ("/api/\n", "printable"),
        ("/api/deployment/k?", "only wildcard"),
        ("/api/[ab]", "only wildcard"),
        ("/" + "[" * 30_000, f"at most {MAX_GLOB_LENGTH} characters"),
        ("/" + "*a" * (MAX_GLOB_STARS + 1), f"at most {MAX_GLOB_STARS} *"),
    ],
)
def test_unusable_globs_are_refused_with_a_reason(text: str, problem: str) -> None:
    reason = glob_problem(text)
    assert reason is not None and problem in reason
    with pytest.raises(GlobError, match=problem.replace("[", r"\[")):
        PathGlob.compile(text)


@pytest.mark.parametrize(
    ("glob", "path", "expected"),
    [
        ("/api/deployment", "/api/deployment", True),
        ("/api/deployment", "/api/deployment/x", False),
        ("/api/deployment*", "/api/deployment", True),
        ("/api/deployment*", "/api/deployment/a/b", True),
        ("/api/deployment/*", "/api/deployment", False),
        ("*", "/anything/at/all", True),
        ("*/k", "/api/deployment/k", True),
        ("/a*b*c", "/abc", True),
        ("/a*b*c", "/a-c-b", False),
        ("/a*a", "/a", False),  # the two ends may not overlap
        ("/a**b", "/ab", True),
        ("/x*/y*/z", "/x1/y2/z", True),
        ("/x*/y*/z", "/x1/z/y2", False),
    ],
)
def test_star_matches_any_run_of_characters_slashes_included(
    glob: str, path: str, expected: bool
) -> None:
    assert PathGlob.compile(glob).matches(path) is expected


@settings(max_examples=200, deadline=None)
@given(
    glob=st.text(alphabet="/ab*]", min_size=1, max_size=12).map(lambda t: "/" + t),
    path=st.text(alphabet="/ab]", max_size=16),
)
def test_every_accepted_glob_matches_what_fnmatch_matches(glob: str, path: str) -> None:
    """Same answers as `fnmatch.fnmatchcase` gave before, for every glob still accepted."""
    assert PathGlob.compile(glob).matches(path) is fnmatchcase(path, glob)


def test_matching_is_linear_in_the_path_even_for_a_near_miss_glob() -> None:
    """A glob that almost matches everywhere (the worst case of a backtracking matcher)."""
    glob = PathGlob.compile("/" + ("*" + "a" * 60) * 14 + "*ab*")  # 16 stars
    path = "/" + "a" * 30_000
    started = time.perf_counter()
    for _ in range(100):
        assert not glob.matches(path)
    assert time.perf_counter() - started < 1.0  # about 1 ms on a 2-core machine
