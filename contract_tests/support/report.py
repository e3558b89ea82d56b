"""The conformance report of one run: `report.json` for machines, `report.html` for people.

Both are written from one dictionary, so the page shows exactly what the JSON says. Tokens
never reach either: every text passes through the run's scrubber (tokens become
`$TANGO_TOKEN` / `$TANGO_OTHER_TOKEN`), the local mock's throwaway tokens included.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from contract_tests.support.coverage import OTHER, operations
from contract_tests.support.report_html import render_html
from contract_tests.support.run import ContractRun
from mock_server import __version__
from mock_server.contract.rule_ids import RULES, Rule

REPORT_FORMAT = 1
VERDICTS = {0: "kept", 1: "broken"}  # any other exit: "not run"


def _server(url: str) -> str:
    """The URL without user information (a `user:password@` must not reach a report)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _skip_reason(run: ContractRun, rule: Rule) -> str:
    settings = run.settings
    if rule.source not in settings.rules:
        return f"its source is not selected (--rules {','.join(settings.rules)})"
    if rule.needs_other_token and run.other is None:
        return "needs a second workspace: --other-token"
    if settings.profile.read_only:
        return "not checked by the read-only smoke profile"
    return "not checked in this run: the tests that judge it were skipped or stopped earlier"


def _rules(run: ContractRun) -> list[dict[str, Any]]:
    book = run.rule_book
    entries = []
    for rule in RULES:
        verdict = book.verdict(rule.id)
        record = book.record(rule.id)
        entry: dict[str, Any] = {
            "id": rule.id,
            "source": rule.source,
            "verdict": verdict,
            "statement": rule.statement,
            "where": rule.where,
            "checks": record.held + record.broken,
        }
        if verdict == "fail":
            entry["failure"] = record.failures[0]
            entry["failures"] = record.failures
            entry["failed_checks"] = record.broken
        elif verdict == "skipped":
            entry["reason"] = _skip_reason(run, rule)
        entries.append(entry)
    return entries


def _operations(run: ContractRun) -> tuple[dict[str, Any], dict[str, Any]]:
    counts = run.coverage.counts()
    result: dict[str, Any] = {}
    for operation in operations():
        seen: Counter[str] = counts.get(operation.operation_id, Counter())
        documented = [code for code in operation.documented if code.isdigit()]
        result[operation.operation_id] = {
            "method": operation.method,
            "path": operation.path,
            "requests": sum(seen.values()),
            "status_codes": {code: seen.get(code, 0) for code in documented},
            "undocumented_status_codes": {
                code: times for code, times in sorted(seen.items()) if code not in documented
            },
        }
    other = counts.get(OTHER, Counter())
    return result, {"requests": sum(other.values()), "status_codes": dict(sorted(other.items()))}


def build_report(run: ContractRun, *, exit_code: int, stopped: str | None) -> dict[str, Any]:
    """Everything the report says, as plain JSON data."""
    settings = run.settings
    entries = list(run.ledger)
    rules = _rules(run)
    operations_seen, other = _operations(run)
    report = {
        "format": REPORT_FORMAT,
        "tool": f"tango-mock contract {__version__}",
        "server": _server(run.base_url),
        "local_mock": run.local_mock is not None,
        "profile": settings.profile.name,
        "read_only": settings.profile.read_only,
        "seed": settings.seed,
        "max_examples": settings.max_examples,
        "rules_selected": list(settings.rules),
        "key_prefix": settings.key_prefix,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(run.started_at)),
        "duration_seconds": round(time.time() - run.started_at, 1),
        "verdict": VERDICTS.get(exit_code, "not run"),
        "exit_code": exit_code,
        "stopped": stopped,
        "summary": {
            "rules": dict(Counter(rule["verdict"] for rule in rules)),
            "tests": dict(run.outcomes),
            "requests": run.ledger.requests_sent,
        },
        "writes": {
            "created": len(entries),
            "deleted_by_tests": sum(1 for entry in entries if entry.deleted_by == "test"),
            "deleted_in_cleanup": sum(1 for entry in entries if entry.deleted_by == "cleanup"),
            "left": [entry.key for entry in entries if entry.deleted_by is None],
        },
        "rules": rules,
        "operations": operations_seen,
        "other_requests": other,
    }
    scrubbed: dict[str, Any] = _scrubbed(report, run)
    return scrubbed


def _scrubbed(value: Any, run: ContractRun) -> Any:
    """Every string of `value`, at any depth, with the run's tokens replaced."""
    if isinstance(value, str):
        return run.scrub(value)
    if isinstance(value, dict):
        return {run.scrub(str(key)): _scrubbed(item, run) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, run) for item in value]
    return value


def write_report(directory: Path, report: dict[str, Any]) -> tuple[Path, Path]:
    """`report.json` and `report.html` in `directory` (created if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    as_json = directory / "report.json"
    as_html = directory / "report.html"
    as_json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    as_html.write_text(render_html(report), encoding="utf-8")
    return as_json, as_html
