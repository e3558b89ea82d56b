"""Whether a value came back as the same JSON it was sent as, and where it did not.

Python's `==` is too lax for a round trip: `True == 1`, `False == 0` and `1 == 1.0`, so a
server answering `1` for `true` (or `3.0` for `3`) would pass it. Here JSON types are
compared exactly: objects (any member order), arrays (same order), strings, `true`/`false`,
`null` and numbers.

Numbers: a number sent as an integer (no fraction, no exponent) must come back as an integer
of exactly that value, so `3` -> `3.0` and precision lost through a float are caught. A number
sent with a fraction or exponent must come back with the same value, spelled either way: JSON
has one number type, and correct stacks respell these (PostgreSQL's jsonb answers `1e2` as
`100`; Go and JavaScript answer `1.0` as `1`).
"""

from __future__ import annotations

import json
from typing import Any

SHOWN_CHARS = 120


def json_difference(sent: Any, got: Any, at: str) -> str | None:
    """The first place where `got` is not the JSON `sent` was, as `at <path>: ...`; else None.

    `sent` and `got` are parsed JSON (`json.loads` output); `at` names the value, e.g. a field.
    """
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            return _differs(at, sent, got)
        missing = [name for name in sent if name not in got]
        if missing:
            return f"at {at}: the member {_shown(missing[0])} is missing"
        added = [name for name in got if name not in sent]
        if added:
            return f"at {at}: the member {_shown(added[0])} was added"
        for name, value in sent.items():
            difference = json_difference(value, got[name], _member(at, name))
            if difference is not None:
                return difference
        return None
    if isinstance(sent, list):
        if not isinstance(got, list):
            return _differs(at, sent, got)
        if len(got) != len(sent):
            return f"at {at}: sent {len(sent)} items, got {len(got)}"
        for index, (sent_item, got_item) in enumerate(zip(sent, got, strict=True)):
            difference = json_difference(sent_item, got_item, f"{at}[{index}]")
            if difference is not None:
                return difference
        return None
    return None if _same_scalar(sent, got) else _differs(at, sent, got)


def _same_scalar(sent: Any, got: Any) -> bool:
    if isinstance(sent, float):  # sent with a fraction or exponent: the value must survive
        return type(got) in (int, float) and got == sent
    # bool is a subclass of int: comparing exact types keeps true, 1 and 1.0 apart
    return type(got) is type(sent) and got == sent


def _member(at: str, name: str) -> str:
    return f"{at}.{name}" if name.isidentifier() else f"{at}[{_shown(name)}]"


def _differs(at: str, sent: Any, got: Any) -> str:
    return f"at {at}: sent {_shown(sent)}, got {_shown(got)}"


def _shown(value: Any) -> str:
    """The value as JSON text (so `true` and `1` read differently), cut to a readable length."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}..."
