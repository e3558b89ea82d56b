"""What became of each rule in one run: held, broken (with the failure), or not judged.

Checks report here as they run, from any thread (the concurrency tests send in parallel).
A rule is `fail` once any check of it broke, `pass` when checks of it ran and all held, and
`skipped` when none was judged: its source was not selected, its profile left it out, or
the tests that check it were skipped or stopped earlier.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

from mock_server.contract.rule_ids import RULES, SOURCES, Rule, Source, rule

Verdict = Literal["pass", "fail", "skipped"]
MAX_FAILURES_KEPT = 3  # per rule: enough to see a pattern, bounded for a long fuzzing run
MAX_FAILURE_CHARS = 6000


@dataclass
class RuleRecord:
    held: int = 0
    failures: list[str] = field(default_factory=list)
    broken: int = 0


@dataclass
class RuleBook:
    """Thread-safe tally of checks per rule id, and which sources this run judges."""

    selected: tuple[Source, ...] = SOURCES
    _records: dict[str, RuleRecord] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def judged(self, rule_id: str) -> bool:
        """Whether this run judges the rule (its source was selected with --rules)."""
        return rule(rule_id).source in self.selected

    def held(self, rule_id: str) -> None:
        rule(rule_id)  # an undeclared id is a bug in the suite: fail loudly, here
        with self._lock:
            self._records.setdefault(rule_id, RuleRecord()).held += 1

    def broke(self, rule_id: str, failure: str) -> None:
        rule(rule_id)
        with self._lock:
            record = self._records.setdefault(rule_id, RuleRecord())
            record.broken += 1
            if len(record.failures) < MAX_FAILURES_KEPT:
                record.failures.append(failure[:MAX_FAILURE_CHARS])

    def verdict(self, rule_id: str) -> Verdict:
        if not self.judged(rule_id):
            return "skipped"
        with self._lock:
            record = self._records.get(rule_id)
        if record is None:
            return "skipped"
        return "fail" if record.broken else "pass"

    def record(self, rule_id: str) -> RuleRecord:
        with self._lock:
            found = self._records.get(rule_id, RuleRecord())
            return RuleRecord(found.held, list(found.failures), found.broken)

    def rules(self) -> tuple[Rule, ...]:
        return RULES
