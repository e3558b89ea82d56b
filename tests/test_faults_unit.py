"""FaultBook, rule validation and `Prefer` parsing, without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.contract.errors import ValidationFailed
from mock_server.contract.fault_rule import MAX_DELAY_MS, FaultRuleInput, parse_fault_rule
from mock_server.contract.path_glob import MAX_GLOB_LENGTH, PathGlob
from mock_server.state.faults import (
    NO_PREFERENCE,
    FaultBook,
    InvalidPreference,
    Preference,
    TooManyRules,
    parse_prefer,
)


def rule(**fields: Any) -> FaultRuleInput:
    return FaultRuleInput.model_validate({"path": "/api/deployment*", **fields})


def test_rules_match_on_method_path_glob_and_workspace() -> None:
    book = FaultBook()
    book.add(rule(method="post", status=500, workspace="ws2"))
    assert book.take("GET", "/api/deployment", "ws2") is None
    assert book.take("POST", "/api/deployment", "ws1") is None
    assert book.take("POST", "/other", "ws2") is None
    fired = book.take("POST", "/api/deployment", "ws2")
    assert fired is not None and fired.status == 500 and fired.hits == 1


def test_an_n_shot_rule_fires_n_times_then_is_gone() -> None:
    book = FaultBook()
    added = book.add(rule(status=503, times=2))
    assert [book.take("GET", "/api/deployment/x", None) is added for _ in range(3)] == [
        True,
        True,
        False,
    ]
    assert book.rules() == []


def test_the_first_rule_that_fires_wins_and_later_ones_are_kept() -> None:
    book = FaultBook()
    first = book.add(rule(status=500, times=1))
    second = book.add(rule(status=502))
    assert book.take("GET", "/api/deployment", None) is first
    assert book.take("GET", "/api/deployment", None) is second
    assert [r.id for r in book.rules()] == [second.id]


def test_probability_with_a_seed_is_repeatable_and_roughly_right() -> None:
    def draws(seed: int) -> list[bool]:
        book = FaultBook()
        book.add(rule(status=503, probability=0.3, seed=seed))
        return [book.take("GET", "/api/deployment", None) is not None for _ in range(400)]

    first = draws(7)
    assert first == draws(7)
    assert 60 < sum(first) < 180  # 400 draws at 0.3: ~120 expected
    never = FaultBook()
    never.add(rule(status=503, probability=0.0))
    assert all(never.take("GET", "/api/deployment", None) is None for _ in range(50))


def test_a_probabilistic_miss_does_not_use_up_times() -> None:
    book = FaultBook()
    added = book.add(rule(status=503, probability=0.5, times=3, seed=1))
    fired = [book.take("GET", "/api/deployment", None) for _ in range(100)]
    assert sum(result is added for result in fired) == 3
    assert added.times_left == 0 and book.rules() == []


def test_remove_and_clear_by_workspace() -> None:
    book = FaultBook()
    one = book.add(rule(status=500, workspace="ws1"))
    two = book.add(rule(status=500, workspace="ws2"))
    three = book.add(rule(delay_ms=5))
    assert book.remove(one.id) and not book.remove(one.id)
    book.clear(workspace="ws2")
    assert book.rules() == [three]
    assert two not in book.rules()
    book.clear()
    assert book.rules() == []


@pytest.mark.parametrize(
    ("fields", "field", "kind", "message"),
    [
        ({}, "", "fault_effect_missing", "a rule needs a status, a delay_ms, or both"),
        ({"status": 199}, "status", "greater_than_equal", "must be at least 200"),
        ({"status": 600}, "status", "less_than_equal", "must be at most 599"),
        ({"status": True}, "status", "int_type", "must be an integer"),
        ({"status": "503"}, "status", "int_type", "must be an integer"),
        ({"delay_ms": -1}, "delay_ms", "greater_than_equal", "must be at least 0"),
        ({"delay_ms": MAX_DELAY_MS + 1}, "delay_ms", "less_than_equal", "must be at most 60000"),
        ({"status": 503, "times": 0}, "times", "greater_than_equal", "must be at least 1"),
        ({"status": 503, "probability": 1.5}, "probability", "less_than_equal", "at most 1"),
        ({"body": {"a": 1}, "delay_ms": 5}, "", "fault_body_without_status", "needs a status"),
        ({"status": 204, "body": "x"}, "", "fault_body_not_allowed", "204 cannot carry a body"),
        ({"status": 503, "method": "G ET"}, "method", "string_pattern_mismatch", "pattern"),
        ({"status": 503, "unknown": 1}, "unknown", "extra_forbidden", "of FaultRuleInput"),
        ({"status": 503, "path": "api/x"}, "path", "path_glob", "must start with / or *"),
        ({"status": 503, "path": "/api/deployment/k?"}, "path", "path_glob", "only wildcard"),
        ({"status": 503, "path": "/api/[" + "[" * 30_000}, "path", "path_glob", "at most 1024"),
        ({"status": 503, "path": "/" + "a" * MAX_GLOB_LENGTH}, "path", "path_glob", "at most"),
        ({"status": 503, "path": "/api/\x00"}, "path", "path_glob", "printable"),
        ({"status": 503, "workspace": ""}, "workspace", "string_too_short", "at least 1"),
    ],
)
def test_invalid_rules_are_refused_in_our_words(
    fields: dict[str, Any], field: str, kind: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_fault_rule({"path": "/api/deployment*", **fields})
    [error] = caught.value.extra["errors"]
    assert (error["field"], error["type"]) == (field, kind)
    assert message in error["message"]
    assert "Value error" not in error["message"] and "Input should" not in error["message"]


def test_a_rule_shows_its_body_only_when_it_has_one() -> None:
    book = FaultBook()
    without = book.add(rule(status=503)).to_json()
    with_null = book.add(rule(status=200, body=None)).to_json()
    assert "body" not in without
    assert with_null["body"] is None and with_null["id"] == "fault-2"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["code=503"], Preference(code=503)),
        (["delay=250"], Preference(delay_ms=250)),
        (["code=503, delay=100"], Preference(code=503, delay_ms=100)),
        (["return=minimal", 'Code="429"; foo=bar'], Preference(code=429)),
        (["respond-async, wait=5"], NO_PREFERENCE),
        ([""], NO_PREFERENCE),
    ],
)
def test_prefer_reads_code_and_delay_and_ignores_other_preferences(
    headers: list[str], expected: Preference
) -> None:
    assert parse_prefer(headers) == expected


@pytest.mark.parametrize(
    "header", ["code=200", "code=600", "code=abc", "code=", "delay=-5", "delay=60001", "delay=1.5"]
)
def test_prefer_values_out_of_range_are_errors(header: str) -> None:
    with pytest.raises(InvalidPreference):
        parse_prefer([header])


def test_the_book_holds_a_bounded_number_of_rules() -> None:
    book = FaultBook(max_rules=2)
    book.add(rule(status=500))
    book.add(rule(status=500))
    with pytest.raises(TooManyRules):
        book.add(rule(status=500))
    book.clear()
    assert book.add(rule(status=500)).id == "fault-3"


def test_a_rule_glob_is_compiled_once_when_the_rule_is_added() -> None:
    book = FaultBook()
    added = book.add(rule(path="/api/deployment/*-staging", status=503))
    assert isinstance(added.path, PathGlob)
    assert added.to_json()["path"] == "/api/deployment/*-staging"
    assert book.take("GET", "/api/deployment/mlflow", None) is None
    assert book.take("GET", "/api/deployment/mlflow-staging", None) is added
