"""The rule registry: unique ids, known sources, every id used by a check, and the README's
table in step with it; importable by a checker that has no pytest."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mock_server.contract.rule_ids import BY_ID, RULES, SCHEMATHESIS_CHECKS, SOURCES, parse_sources

REPO_ROOT = Path(__file__).resolve().parent.parent
SUITE = REPO_ROOT / "contract_tests"
ID_SHAPE = re.compile(r"[a-z]+\.[a-z0-9]+(-[a-z0-9]+)*")


def ids_named_in_the_suite() -> set[str]:
    """String literals of the suite shaped like rule ids, in families the registry has."""
    families = {rule_id.split(".")[0] for rule_id in BY_ID}
    found = set()
    for path in SUITE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if ID_SHAPE.fullmatch(text) and text.split(".")[0] in families:
                    found.add(text)
    return found


def test_ids_are_unique_and_well_formed() -> None:
    assert len(BY_ID) == len(RULES)
    for rule in RULES:
        assert ID_SHAPE.fullmatch(rule.id), rule.id
        assert rule.source in SOURCES and rule.statement.endswith(".") and rule.where


def test_every_rule_is_checked_and_every_checked_id_is_declared() -> None:
    named = ids_named_in_the_suite()
    assert named - set(BY_ID) == set()
    assert set(BY_ID) - named - set(SCHEMATHESIS_CHECKS.values()) == set()


def test_the_readme_table_lists_every_rule_with_its_source() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z0-9.-]+)` \| ([a-z-]+) \|", readme, re.MULTILINE)
    assert rows == [(rule.id, rule.source) for rule in RULES]


def test_sources_are_parsed_in_a_fixed_order_and_bad_ones_named() -> None:
    assert parse_sources("http, tango-docs") == ("tango-docs", "http")
    with pytest.raises(ValueError, match="'rfc'"):
        parse_sources("rfc")
    with pytest.raises(ValueError):
        parse_sources(" , ")


def test_the_registry_imports_without_pytest_or_aiohttp() -> None:
    script = (
        "import sys, mock_server.contract.rule_ids as r\n"
        "assert r.RULES\n"
        "print(sorted(m for m in ('pytest', 'aiohttp', 'schemathesis') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
