"""RequestJournal and its masking, without HTTP: bound, filters, per-workspace clear, summaries."""

from __future__ import annotations

import json

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from mock_server.contract.path_glob import PathGlob
from mock_server.masking import MaskingPolicy
from mock_server.state.journal import (
    JOURNAL_BODY_LIMIT,
    JournalEntry,
    RequestJournal,
    describe_body,
)


def entry(
    number: int = 0,
    *,
    method: str = "GET",
    path: str = "/api/deployment",
    workspace: str | None = "ws1",
    body: bytes | None = None,
    query: str = "",
) -> JournalEntry:
    headers = CIMultiDict({"Content-Type": "application/json"})
    if body is not None:
        headers["Content-Length"] = str(len(body))
    return JournalEntry(
        started_at=1_700_000_000.0 + number,
        method=method,
        url=URL.build(path=path, query_string=query),
        headers=CIMultiDictProxy(headers),
        status=200,
        duration_ms=1.5,
        request_id=f"id-{number}",
        workspace=workspace,
        body=body,
    )


def test_the_journal_keeps_the_newest_entries_oldest_first() -> None:
    journal = RequestJournal(3)
    for number in range(5):
        journal.record(entry(number))
    assert [e.request_id for e in journal] == ["id-2", "id-3", "id-4"]
    assert len(journal) == 3


def test_a_zero_size_journal_keeps_nothing_and_a_negative_one_is_refused() -> None:
    journal = RequestJournal(0)
    journal.record(entry())
    assert len(journal) == 0
    with pytest.raises(ValueError):
        RequestJournal(-1)


def test_find_filters_by_method_path_glob_and_workspace() -> None:
    journal = RequestJournal()
    journal.record(entry(1, method="POST", path="/api/deployment"))
    journal.record(entry(2, path="/api/deployment/a", workspace="ws2"))
    journal.record(entry(3, method="DELETE", path="/api/deployment/b", workspace=None))
    assert [e.request_id for e in journal.find(method="post")] == ["id-1"]
    assert [e.request_id for e in journal.find(path=PathGlob.compile("/api/deployment/*"))] == [
        "id-2",
        "id-3",
    ]
    assert [e.request_id for e in journal.find(path=PathGlob.compile("/api/deployment"))] == [
        "id-1"
    ]
    assert [e.request_id for e in journal.find(workspace="ws2")] == ["id-2"]
    assert journal.find(method="GET", workspace="ws1") == []


def test_clear_can_spare_other_workspaces() -> None:
    journal = RequestJournal(10)
    for number, workspace in enumerate(["ws1", "ws2", "ws1", None]):
        journal.record(entry(number, workspace=workspace))
    journal.clear(workspace="ws1")
    assert [e.workspace for e in journal] == ["ws2", None]
    journal.record(entry(9))
    assert journal.size == 10 and len(journal) == 3
    journal.clear()
    assert len(journal) == 0


def test_bodies_that_are_not_json_or_too_large_are_summarised_never_kept_raw() -> None:
    assert describe_body(None, content_type="", declared_length=None) is None
    assert describe_body(b"", content_type="application/json", declared_length=0) is None
    not_json = describe_body(b"token=abc", content_type="text/plain", declared_length=9)
    assert not_json == "<9 bytes of text/plain, not JSON>"
    unread = describe_body(None, content_type="application/json", declared_length=50)
    assert unread == "<50 bytes of application/json, not read>"
    big = json.dumps({"pat": "x" * JOURNAL_BODY_LIMIT}).encode()
    summary = describe_body(big, content_type="application/json", declared_length=len(big))
    assert summary == f"<{len(big)} bytes of application/json, too large to keep>"


def test_an_entry_renders_utc_time_and_masked_body() -> None:
    rendered = entry(body=b'{"server_proxy_pat": "dapi-2"}', query="token=t").to_json()
    assert rendered["time"] == "2023-11-14T22:13:20.000Z"
    assert rendered["body"] == {"server_proxy_pat": "***"}
    assert rendered["query"] == {"token": "***"}
    assert "dapi-2" not in json.dumps(rendered)


def test_an_entry_is_shown_with_the_journal_s_masking_policy() -> None:
    """Extra key names reach the body and the query; real values stay in the entry."""
    body = b'{"init": {"model_uri": "models:/m/1", "region": "eu"}, "modelUri": "x"}'
    raw = entry(body=body, query="model_uri=q&page=2", path="/api/deployment/ok")
    journal = RequestJournal(10, masking=MaskingPolicy(("model_uri",)))
    journal.record(raw)
    rendered = next(iter(journal)).to_json(journal.masking)
    assert rendered["body"] == {"init": {"model_uri": "***", "region": "eu"}, "modelUri": "***"}
    assert rendered["query"] == {"model_uri": "***", "page": "2"}
    assert next(iter(journal)).body == body  # masked when shown, never when kept
    assert entry(body=body).to_json()["body"]["init"]["model_uri"] == "models:/m/1"


def test_a_secret_shaped_path_is_masked_when_shown_but_still_filters() -> None:
    token = "ghp_" + "A1b2" * 9
    journal = RequestJournal(10)
    journal.record(entry(path=f"/api/deployment/{token}"))
    [found] = journal.find(path=PathGlob.compile(f"/api/deployment/{token}"))
    assert found.to_json()["path"] == "/api/deployment/<masked: github token>"
