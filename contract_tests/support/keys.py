"""Deployment keys of one run: always new, always under the run's prefix.

On a real TANGO a deleted key is retired forever and other people's deployments live next to
ours, so the suite only ever creates, reads or deletes keys that start with its own prefix.
"""

from __future__ import annotations

import itertools
import re
import threading
from typing import Any

KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
MAX_KEY_LENGTH = 128


def is_valid_key(value: Any) -> bool:
    """Whether `value` is a deployment key the contract accepts (the whole string matches)."""
    return isinstance(value, str) and KEY_PATTERN.fullmatch(value) is not None


class KeyFactory:
    """Hands out unique keys under `prefix` and confines foreign keys into it."""

    def __init__(self, prefix: str) -> None:
        if not is_valid_key(prefix):
            raise ValueError(f"key prefix {prefix!r} is not a valid deployment key")
        self.prefix = prefix
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def new(self, label: str = "k") -> str:
        """A key never handed out before in this run, e.g. `ct-1a2b3c4d-7-roundtrip`."""
        with self._lock:
            number = next(self._counter)
        return f"{self.prefix}{number}-{label}"[:MAX_KEY_LENGTH]

    def owns(self, key: Any) -> bool:
        return isinstance(key, str) and key.startswith(self.prefix)

    def fresh_from(self, generated: str) -> str:
        """A new valid key that keeps what it can of a valid generated key (for readable logs).

        A key this factory made before (schemathesis may send one case twice) is renumbered
        rather than prefixed again.
        """
        if self.owns(generated):
            generated = generated[len(self.prefix) :].partition("-")[2] or "k"
        with self._lock:
            number = next(self._counter)
        return f"{self.prefix}{number}-{generated}"[:MAX_KEY_LENGTH]

    def confine(self, generated: Any) -> Any:
        """A generated path key moved under the prefix, so it can only name this run's keys.

        Keys already under the prefix (taken from earlier responses) pass unchanged; anything
        else, valid or not, gets `<prefix>g-` in front: a namespace no created key uses, so a
        generated key can never name a deployment, not even one of this run's.
        """
        if not isinstance(generated, str) or self.owns(generated):
            return generated
        return f"{self.prefix}g-{generated}"
