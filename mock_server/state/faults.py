"""Fault injection rules and the `Prefer` header: which request gets a delay or a canned answer.

Plain Python, no HTTP (`http/faults.py` applies what this module decides). With no
rules, `FaultBook.take` returns at once, so an idle fault book costs nothing per request.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mock_server.contract.fault_rule import MAX_DELAY_MS, FaultRuleInput
from mock_server.contract.path_glob import MAX_GLOB_LENGTH, PathGlob

# Every API request scans the rules: a runaway test adding rules must not slow it unboundedly.
MAX_FAULT_RULES = 1000
# Nor may a long path: a rule never applies to a longer one (TANGO paths stay under 150), so
# a request costs at most 1000 rules x 16 searches of 1,024 characters (about 10 ms).
MAX_FAULTED_PATH = MAX_GLOB_LENGTH


@dataclass(slots=True)
class FaultRule:
    """A stored rule; `times_left` None means it never expires."""

    id: str
    path: PathGlob  # compiled once, when the rule is added
    method: str | None = None
    workspace: str | None = None
    status: int | None = None
    body: Any = None
    has_body: bool = False
    body_size: int = 0  # bytes of the body's JSON: what listing the rule costs
    delay_ms: int | None = None
    times_left: int | None = None
    probability: float | None = None
    seed: int | None = None
    hits: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def matches(self, method: str, path: str, workspace: str | None) -> bool:
        return (
            (self.method is None or self.method == method)
            and (self.workspace is None or self.workspace == workspace)
            and self.path.matches(path)
        )

    def fires(self) -> bool:
        """Whether a matching request gets the fault this time (the `probability` draw)."""
        return self.probability is None or self.rng.random() < self.probability

    def to_json(self) -> dict[str, Any]:
        """The rule as `GET /_mock/faults` shows it; `times` is what is left."""
        data: dict[str, Any] = {
            "id": self.id,
            "method": self.method,
            "path": self.path.text,
            "workspace": self.workspace,
            "status": self.status,
            "delay_ms": self.delay_ms,
            "times": self.times_left,
            "probability": self.probability,
            "seed": self.seed,
            "hits": self.hits,
        }
        if self.has_body:
            data["body"] = self.body
        return data


class TooManyRules(Exception):
    """The fault book already holds `MAX_FAULT_RULES` rules."""


class FaultBook:
    """The active rules, checked in the order they were added; the first that fires wins."""

    def __init__(self, *, max_rules: int = MAX_FAULT_RULES) -> None:
        self.max_rules = max_rules
        # The rules in force, oldest first. Changed in place, never replaced: the request path
        # keeps a reference and tests it for emptiness (no call per request).
        self.active: list[FaultRule] = []
        self._next_id = 1

    def add(self, spec: FaultRuleInput) -> FaultRule:
        if len(self.active) >= self.max_rules:
            raise TooManyRules(f"at most {self.max_rules} fault rules can be active at once")
        rule = FaultRule(
            id=f"fault-{self._next_id}",
            path=PathGlob.compile(spec.path),
            method=spec.method.upper() if spec.method else None,
            workspace=spec.workspace,
            status=spec.status,
            body=spec.body,
            has_body="body" in spec.model_fields_set,
            body_size=len(json.dumps(spec.body)) if "body" in spec.model_fields_set else 0,
            delay_ms=spec.delay_ms,
            times_left=spec.times,
            probability=spec.probability,
            seed=spec.seed,
            rng=random.Random(spec.seed),
        )
        self._next_id += 1
        self.active.append(rule)
        return rule

    def rules(self) -> list[FaultRule]:
        return list(self.active)

    def remove(self, rule_id: str) -> bool:
        """Drop one rule; False if there is none with this id."""
        before = len(self.active)
        self.active[:] = [rule for rule in self.active if rule.id != rule_id]
        return len(self.active) != before

    def clear(self, *, workspace: str | None = None) -> None:
        """Drop every rule, or only the rules scoped to one workspace."""
        if workspace is None:
            self.active.clear()
        else:
            self.active[:] = [rule for rule in self.active if rule.workspace != workspace]

    def take(self, method: str, path: str, workspace: str | None) -> FaultRule | None:
        """The rule that applies to this request, if any; counts the hit and expires N-shots."""
        if not self.active or len(path) > MAX_FAULTED_PATH:
            return None
        for rule in self.active:
            if rule.matches(method, path, workspace) and rule.fires():
                rule.hits += 1
                if rule.times_left is not None:
                    rule.times_left -= 1
                    if rule.times_left <= 0:
                        self.active.remove(rule)
                return rule
        return None


class InvalidPreference(ValueError):
    """A `Prefer: code=...` or `delay=...` value the mock cannot honour."""


@dataclass(slots=True, frozen=True)
class Preference:
    """What a request asked for through `Prefer` (RFC 7240): a status, a delay, or neither."""

    code: int | None = None
    delay_ms: int | None = None


NO_PREFERENCE = Preference()


def _bounded_int(name: str, raw: str, low: int, high: int) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or not low <= int(raw) <= high:
        raise InvalidPreference(f"Prefer: {name}={raw[:20]!r} is invalid; use {low}..{high}.")
    return int(raw)


def parse_prefer(headers: Iterable[str]) -> Preference:
    """`code=N` (400..599) and `delay=MS` (0..60000) from Prefer headers; others ignored."""
    code: int | None = None
    delay_ms: int | None = None
    for header in headers:
        for item in header.split(","):
            name, _, raw = item.split(";", 1)[0].partition("=")
            name, raw = name.strip().lower(), raw.strip().strip('"')
            if name == "code":
                code = _bounded_int("code", raw, 400, 599)
            elif name == "delay":
                delay_ms = _bounded_int("delay", raw, 0, MAX_DELAY_MS)
    if code is None and delay_ms is None:
        return NO_PREFERENCE
    return Preference(code=code, delay_ms=delay_ms)
