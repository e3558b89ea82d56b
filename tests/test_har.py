"""HAR 1.2 as others write it (base64 bodies, no proxy comments) is judged like the proxy's."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from mock_server.contract.traffic import Exchange, Headers
from mock_server.proxy import har
from mock_server.proxy.har import HarError, HarRecorder, read_har
from mock_server.proxy.tracker import Tracker


def entry(method: str, url: str, status: int, answer: object, **request: object) -> object:
    text = base64.b64encode(json.dumps(answer).encode()).decode()
    return {
        "request": {
            "method": method,
            "url": url,
            "headers": request.get("headers", []),
            **({"postData": request["post"]} if "post" in request else {}),
        },
        "response": {
            "status": status,
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "content": {"mimeType": "application/json", "encoding": "base64", "text": text},
        },
    }


def test_a_browser_har_is_judged_and_a_recorded_one_reads_back(tmp_path: Path) -> None:
    auth = [{"name": "Authorization", "value": "Bearer t1"}]
    body = {"deployment_key": "k", "workspace": "w"}
    har = {
        "log": {
            "version": "1.2",
            "entries": [
                entry(
                    "GET",
                    "https://tango.example/api/deployment",
                    200,
                    {"not": "a list"},
                    headers=auth,
                ),
                entry(
                    "POST",
                    "https://tango.example/api/deployment",
                    422,
                    {"message": "m", "message_code": "validation_error"},
                    headers=auth,
                    post={"mimeType": "application/json", "text": json.dumps(body)},
                ),
            ],
        }
    }
    path = tmp_path / "browser.har"
    path.write_text(json.dumps(har))
    exchanges = read_har(path)
    tracker = Tracker()
    found = [(v.side, v.rule) for e in exchanges for v in tracker.judge(e)]
    assert ("server", "list.array") in found
    assert ("client", "client.no-workspace-field") in found

    recorder = HarRecorder(tracker.identity)
    for exchange in exchanges:
        recorder.add(exchange, 0.0)
    again = tmp_path / "again.har"
    recorder.write(again)
    assert "Bearer t1" not in again.read_text()
    replayed = Tracker()
    assert [(v.side, v.rule) for e in read_har(again) for v in replayed.judge(e)] == found


def test_what_is_not_har_is_refused_with_where(tmp_path: Path) -> None:
    path = tmp_path / "x.har"
    path.write_text(json.dumps({"log": {"entries": [{"request": {}, "response": {}}]}}))
    with pytest.raises(HarError, match=r"log.entries\[0\]"):
        read_har(path)


def test_the_recorder_bounds_the_body_text_it_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    body = json.dumps({"blob": "x" * 990}).encode()

    def exchange(i: int) -> Exchange:
        return Exchange("GET", f"/api/deployment/k{i}", Headers([]), b"", 200, Headers([]), body)

    one = HarRecorder(lambda token: "p")
    one.add(exchange(0), 0.0)
    monkeypatch.setattr(har, "MAX_TOTAL_TEXT", 3 * one.text_size)
    recorder = HarRecorder(lambda token: "p")
    for i in range(10):
        recorder.add(exchange(i), 0.0)
    assert recorder.text_size == 3 * one.text_size
    assert [entry["request"]["url"][-2:] for entry in recorder.entries] == ["k7", "k8", "k9"]
