"""Which operations the run exercised and which status codes came back, per operation.

Every request the run sends (its own clients, schemathesis' cases, cleanup) is counted by
the operation of openapi.yaml it addresses; requests the spec has no operation for (a PUT on
the collection, an unknown path) are counted apart. The documented codes come from the spec,
so a report can show what was documented but never seen.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urlsplit

from mock_server.contract.spec import spec_document

OTHER = "other"  # requests that address no operation of the spec


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str  # as the spec writes it, e.g. /api/deployment/{deploymentKey}
    documented: tuple[str, ...]  # status codes, as the spec's keys ("201", "default")
    pattern: re.Pattern[str] = field(compare=False)


@cache
def operations() -> tuple[Operation, ...]:
    """The spec's operations in the order it lists them."""
    found = []
    for path, methods in spec_document()["paths"].items():
        pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)))
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            codes = tuple(sorted(str(code) for code in operation.get("responses", {})))
            found.append(Operation(operation["operationId"], method.upper(), path, codes, pattern))
    return tuple(found)


def operation_of(method: str, path: str) -> str:
    """The operationId that `method path` addresses, or OTHER."""
    for operation in operations():
        if operation.method == method.upper() and operation.pattern.fullmatch(path):
            return operation.operation_id
    return OTHER


@dataclass
class Coverage:
    """Thread-safe counts of (operation, status) for the requests sent to `base_url`."""

    base_url: str
    _seen: Counter[tuple[str, str]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, method: str, url: str, status: int | None) -> None:
        base_path = urlsplit(self.base_url).path.rstrip("/")
        path = urlsplit(url).path
        if base_path and path.startswith(base_path):
            path = path[len(base_path) :]
        code = "no answer" if status is None else str(status)
        with self._lock:
            self._seen[(operation_of(method, path), code)] += 1

    def counts(self) -> dict[str, Counter[str]]:
        """operationId (or OTHER) -> status code -> times seen."""
        result: dict[str, Counter[str]] = {}
        with self._lock:
            for (operation_id, code), times in self._seen.items():
                result.setdefault(operation_id, Counter())[code] += times
        return result
