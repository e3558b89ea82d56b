"""What a checked run found, counted: report.json for people and tools, JUnit XML for CI.

Bounded whatever the traffic: one entry per (side, operation, rule) with its first example,
and per operation a count per status code.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from mock_server.contract.rule_ids import rule
from mock_server.contract.traffic import Exchange, Violation

REPORT_FILE = "report.json"
JUNIT_FILE = "junit.xml"


def console_line(violation: Violation) -> str:
    """One line per violation, as the proxy prints it the moment it happens."""
    request = violation.example.get("request", {})
    status = violation.example.get("response", {}).get("status")
    return (
        f"violation [{violation.side}] {violation.operation} {violation.rule}: "
        f"{violation.message} ({request.get('method')} {request.get('path')} -> {status})"
    )


@dataclass
class _Seen:
    violation: Violation
    count: int = 0


@dataclass
class Findings:
    """Every exchange's outcome, aggregated; safe to feed from one thread and read from another."""

    exchanges: int = 0
    status_codes: dict[str, Counter[int]] = field(default_factory=dict)
    _seen: dict[tuple[str, str, str], _Seen] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, exchange: Exchange, violations: list[Violation]) -> None:
        with self._lock:
            self.exchanges += 1
            self.status_codes.setdefault(exchange.operation, Counter())[exchange.status] += 1
            for violation in violations:
                seen = self._seen.setdefault(
                    (violation.side, violation.operation, violation.rule), _Seen(violation)
                )
                seen.count += 1

    @property
    def violation_count(self) -> int:
        return sum(seen.count for seen in self._seen.values())

    def violations(self) -> list[dict[str, Any]]:
        with self._lock:
            seen = sorted(self._seen.values(), key=lambda s: (s.violation.side, s.violation.rule))
        return [
            {
                "side": s.violation.side,
                "operation": s.violation.operation,
                "rule": s.violation.rule,
                "source": rule(s.violation.rule).source,
                "message": s.violation.message,
                "count": s.count,
                "example": s.violation.example,
            }
            for s in seen
        ]

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            operations = {
                op: {"status_codes": {str(code): n for code, n in sorted(codes.items())}}
                for op, codes in sorted(self.status_codes.items())
            }
            exchanges = self.exchanges
        return {"exchanges": exchanges, "violations": self.violations(), "operations": operations}

    def write(self, directory: Path) -> None:
        """`report.json` and `junit.xml` in `directory` (made if missing)."""
        directory.mkdir(parents=True, exist_ok=True)
        report = self.to_json()
        (directory / REPORT_FILE).write_text(
            json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (directory / JUNIT_FILE).write_bytes(junit_xml(report))


def junit_xml(report: dict[str, Any]) -> bytes:
    """One test case per rule seen broken (each side and operation a failure of it)."""
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for violation in report["violations"]:
        by_rule.setdefault(violation["rule"], []).append(violation)
    suite = ElementTree.Element(
        "testsuite",
        name="tango-mock traffic",
        tests=str(max(len(by_rule), 1)),
        failures=str(len(by_rule)),
        errors="0",
    )
    if not by_rule:
        ElementTree.SubElement(
            suite, "testcase", classname="traffic", name=f"{report['exchanges']} exchanges"
        )
    for rule_id, found in sorted(by_rule.items()):
        case = ElementTree.SubElement(suite, "testcase", classname="traffic", name=rule_id)
        sides = ", ".join(sorted({f"{v['side']} side in {v['operation']}" for v in found}))
        failure = ElementTree.SubElement(
            case, "failure", message=f"{rule(rule_id).statement} Broken on the {sides}."
        )
        failure.text = "\n\n".join(
            f"[{v['side']}] {v['operation']}: {v['message']} ({v['count']} times)\n"
            + json.dumps(v["example"], indent=2, ensure_ascii=False)
            for v in found
        )
    document: bytes = ElementTree.tostring(suite, encoding="utf-8", xml_declaration=True)
    return document
