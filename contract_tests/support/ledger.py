"""What the run created and deleted on the server, so it can clean up and say so at the end."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Entry:
    """One deployment this run created, as (identity, key)."""

    identity: str
    key: str
    deleted_by: str | None = None  # "test" or "cleanup" once gone
    cleanup_problem: str | None = None


@dataclass
class Ledger:
    """Thread-safe record of the run's deployments and of the HTTP requests it sent."""

    _entries: dict[tuple[str, str], Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    requests_sent: int = 0

    def count_request(self) -> None:
        with self._lock:
            self.requests_sent += 1

    def created(self, identity: str, key: str) -> None:
        with self._lock:
            self._entries.setdefault((identity, key), Entry(identity, key))

    def deleted(self, identity: str, key: str, *, by: str = "test") -> None:
        with self._lock:
            entry = self._entries.get((identity, key))
            if entry is not None and entry.deleted_by is None:
                entry.deleted_by = by

    def cleanup_failed(self, identity: str, key: str, problem: str) -> None:
        with self._lock:
            self._entries[(identity, key)].cleanup_problem = problem

    def live(self) -> list[Entry]:
        """Created and not deleted yet: what cleanup must delete."""
        with self._lock:
            return [entry for entry in self._entries.values() if entry.deleted_by is None]

    def __iter__(self) -> Iterator[Entry]:
        with self._lock:
            return iter(list(self._entries.values()))

    def __len__(self) -> int:
        return len(self._entries)
