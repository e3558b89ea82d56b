"""Path globs of the journal filter and of fault rules: bounded, compiled once, linear time.

A glob is tried on every journal entry a query reads and, for a fault rule, on every API
request, so matching one must cost no more than a pass over the path. `*` (any run of
characters, `/` included) is the only wildcard; `?` and `[` are refused rather than read
literally, so a glob written for `fnmatch` fails loudly instead of matching something else.
Every glob accepted here matches exactly the paths `fnmatch.fnmatchcase` would match.

Matching splits the glob at its stars once (at compile time), checks the first piece at the
start of the path and the last at its end, and finds each middle piece at its leftmost place
after the previous one (`str.find`, linear in the path). The leftmost place never loses a
match, so nothing is ever retried: the cost is O(len(path) + len(glob)), at most 16 searches.
"""

from __future__ import annotations

from dataclasses import dataclass

# TANGO paths are under 150 characters; a filter or a rule ten times longer is a mistake.
MAX_GLOB_LENGTH = 1024
# Each star costs a search through the path; real globs have one to three.
MAX_GLOB_STARS = 16
_REFUSED = "?["


class GlobError(ValueError):
    """Why a text is not a usable path glob (a sentence that never quotes the text)."""


def glob_problem(text: str) -> str | None:
    """What makes `text` unusable as a path glob, or None."""
    if not text:
        return "must not be empty"
    if len(text) > MAX_GLOB_LENGTH:
        return f"must be at most {MAX_GLOB_LENGTH} characters"
    if text[0] not in "/*":
        return "must start with / or *"
    if not text.isprintable():
        return "must be printable text (no control characters)"
    if any(char in text for char in _REFUSED):
        return "takes * as its only wildcard (? and [ are not accepted)"
    if text.count("*") > MAX_GLOB_STARS:
        return f"must have at most {MAX_GLOB_STARS} *"
    return None


@dataclass(frozen=True, slots=True)
class PathGlob:
    """A compiled glob: `matches(path)` in time linear in the path."""

    text: str
    _first: str
    _middle: tuple[str, ...]
    _last: str | None  # None: no star, the glob is an exact path

    @classmethod
    def compile(cls, text: str) -> PathGlob:
        """The glob for `text`; `GlobError` says what is wrong with it."""
        problem = glob_problem(text)
        if problem is not None:
            raise GlobError(problem)
        pieces = text.split("*")
        if len(pieces) == 1:
            return cls(text, text, (), None)
        middle = tuple(piece for piece in pieces[1:-1] if piece)  # `**` is one star
        return cls(text, pieces[0], middle, pieces[-1])

    def matches(self, path: str) -> bool:
        last = self._last
        if last is None:
            return path == self._first
        first = self._first
        end = len(path) - len(last)
        if end < len(first) or not path.startswith(first) or not path.endswith(last):
            return False
        position = len(first)
        for piece in self._middle:
            found = path.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True
