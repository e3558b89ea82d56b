"""`tango-mock proxy` in process: a correct server gets no violation, each planted defect is
named on the server side, a bad client on the client side, and secrets never show."""

from __future__ import annotations

import json
import socket
from types import SimpleNamespace
from typing import Any

from aiohttp import web

from mock_server.contract.rule_ids import rule
from mock_server.http.server import BackgroundServer
from mock_server.proxy.app import ProxyState, create_proxy_app
from tests import test_tango_walkthrough as walkthrough
from tests.defects.catalogue import BY_NAME, answers
from tests.defects.planting import rebuilt
from tests.defects.servers import correct_app
from tests.proxy_support import OTHER_TOKEN, call, create, proxied, rules, walkthrough_app

SECRET = "dapi0123456789abcdef0123456789"


def test_the_whole_walkthrough_through_the_proxy_breaks_no_rule() -> None:
    with proxied(walkthrough_app()) as (url, state, printed):
        mock: Any = SimpleNamespace(url=url)
        walkthrough.test_page_walkthrough(mock)
        walkthrough.test_workspaces_are_walled_off(mock)
        report = state.findings.to_json()
    assert printed == []
    assert report["violations"] == []
    assert report["exchanges"] == 16
    codes = report["operations"]
    assert codes["createDeployment"]["status_codes"] == {"201": 4, "409": 2}
    assert set(codes) == {
        "createDeployment",
        "listDeployments",
        "getDeployment",
        "deleteDeployment",
    }


def test_answers_pass_through_unchanged() -> None:
    with BackgroundServer(correct_app()) as direct, proxied(correct_app()) as (url, _, _):
        for method, path in [
            ("GET", "/api/deployment"),
            ("GET", "/api/deployment/nope"),
            ("PUT", "/api/deployment"),
            ("GET", "/openapi.yaml"),
        ]:
            mine, theirs = call(url, method, path), call(direct.url, method, path)
            assert (mine.status_code, mine.content) == (theirs.status_code, theirs.content)
            skip = {"date", "server", "x-request-id"}  # per answer by design
            assert {k.lower(): v for k, v in mine.headers.items() if k.lower() not in skip} == {
                k.lower(): v for k, v in theirs.headers.items() if k.lower() not in skip
            }
            assert set(mine.headers) == set(theirs.headers)


def _defect_app(name: str) -> web.Application:
    return BY_NAME[name].build()


def test_create_answering_an_object_is_the_servers_fault() -> None:
    with proxied(_defect_app("create-answers-object")) as (url, _state, printed):
        assert create(url, "one").status_code == 201
    assert rules(printed) == {("server", "createDeployment", "create.array-of-one")}


def test_a_plain_text_404_is_the_servers_fault() -> None:
    app = correct_app()
    answers(None, 404, lambda r: rebuilt(r, text="Not here", content_type="text/plain"))(app)
    with proxied(app) as (url, state, printed):
        assert call(url, "GET", "/api/deployment/never").status_code == 404
    assert rules(printed) == {("server", "getDeployment", "errors.envelope")}
    assert "errors.envelope" in json.dumps(state.findings.to_json())


def test_a_deleted_key_still_readable_is_the_servers_fault() -> None:
    with proxied(_defect_app("get-after-delete-200")) as (url, _state, printed):
        assert create(url, "gone").status_code == 201
        assert call(url, "DELETE", "/api/deployment/gone").status_code == 204
        assert call(url, "GET", "/api/deployment/gone").status_code == 200
    assert rules(printed) == {("server", "getDeployment", "lifecycle.deleted-get-404")}


def test_another_workspaces_key_visible_is_the_servers_fault() -> None:
    with proxied(_defect_app("get-reads-other-workspace")) as (url, _state, printed):
        assert create(url, "mine").status_code == 201
        assert call(url, "GET", "/api/deployment/mine", OTHER_TOKEN).status_code == 200
    assert rules(printed) == {("server", "getDeployment", "isolation.invisible-to-others")}


def test_a_client_sending_workspace_is_the_clients_fault() -> None:
    with proxied(correct_app()) as (url, state, printed):
        assert create(url, "with-ws", workspace="ws-other").status_code == 422
        report = state.findings.to_json()
    assert rules(printed) == {("client", "createDeployment", "client.no-workspace-field")}
    [found] = report["violations"]
    assert found["count"] == 1 and found["side"] == "client"
    assert found["source"] == rule("client.no-workspace-field").source


def test_secrets_and_tokens_never_show() -> None:
    with proxied(correct_app()) as (url, state, printed):
        create(url, "secret", workspace="x")
        journal = call(url, "GET", "/_mock/requests", None).text
        violations = call(url, "GET", "/_mock/violations", None).json()
        report = json.dumps(state.findings.to_json())
    assert violations["violations"][0]["rule"] == "client.no-workspace-field"
    assert "client.no-workspace-field" in journal
    kept = repr(list(state.journal))  # held in memory (bodies too, like the mock's journal)
    assert "defects-main-token" not in kept
    for shown in (journal, report, repr(printed)):
        assert SECRET not in shown
        assert "defects-main-token" not in shown


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_unreachable_upstream_gets_a_502_envelope_and_is_recorded() -> None:
    printed: list[Any] = []
    state = ProxyState(f"http://127.0.0.1:{_closed_port()}", on_violation=printed.append)
    with BackgroundServer(create_proxy_app(state)) as proxy:
        answer = call(proxy.url, "GET", "/api/deployment")
    assert answer.status_code == 502
    assert answer.json()["message_code"] == "bad_gateway"
    assert rules(printed) == {("server", "listDeployments", "proxy.upstream-unreachable")}
    assert state.findings.exchanges == 1


def test_the_proxys_own_paths_answer_envelopes() -> None:
    with proxied(correct_app()) as (url, state, _):
        unknown = call(url, "GET", "/_mock/state", None)
        wrong_method = call(url, "DELETE", "/_mock/violations", None)
    assert (unknown.status_code, unknown.json()["message_code"]) == (404, "not_found")
    assert (wrong_method.status_code, wrong_method.headers["Allow"]) == (405, "GET")
    assert wrong_method.json()["message_code"] == "method_not_allowed"
    assert state.findings.exchanges == 0  # never forwarded, never judged
