"""Real connector configs through the real API: the journal and the contract suite's failure
text show none of their secrets, the API and the state export keep every real value."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_tests.support.exchange import Exchange
from mock_server.masking import MASK, is_secret_key, mask_json
from tests.conftest import auth
from tests.masking_corpus import CORPUS, JWT, all_secrets, leaks


def shown(data: Any) -> str:
    """JSON as a person reads it (the separators the readable texts are written with)."""
    return json.dumps(data, ensure_ascii=False)


async def create_corpus(client: TestClient[Any, Any]) -> None:
    for number, config in enumerate(CORPUS):
        # A fixed request id: a random one could share 6 hex digits with a secret.
        headers = {**auth(), "X-Request-Id": f"corpus-{number}"}
        created = await client.post("/api/deployment", json=config.payload(), headers=headers)
        assert created.status == 201, await created.text()


async def test_the_journal_shows_no_secret_of_real_connector_configs(
    client: TestClient[Any, Any],
) -> None:
    await create_corpus(client)
    query = "password=Qu3ryPw9x&sig=Qu3rySig7&page=2&next=https://u:Qu3ryUrl5@h/x"
    headers = {**auth(), "X-Request-Id": "query"}
    await client.get(f"/api/deployment/{JWT}?{query}", headers=headers)

    answer = await client.get("/_mock/requests")
    entries = await answer.json()
    assert len(entries) == len(CORPUS) + 1
    raw_text = await answer.text()
    text = shown(entries)
    secrets = [*all_secrets(), "Qu3ryPw9x", "Qu3rySig7", "Qu3ryUrl5"]
    assert leaks(raw_text, secrets) == []
    assert leaks(text, secrets) == []
    for config, entry in zip(CORPUS, entries, strict=False):
        body = shown(entry["body"])
        missing = [readable for readable in config.readable if readable not in body]
        assert missing == [], f"{config.name}: {body}"
        assert entry["body"]["deployment_key"] == f"{config.name}-deployment"
        assert entry["body"]["registry_connector_class"].endswith(".RegistryConnector")
    last = entries[-1]
    assert last["path"] == "/api/deployment/<masked: jwt>"
    assert last["query"] == {
        "password": MASK,
        "sig": MASK,
        "page": "2",
        "next": "https://u:***@h/x",
    }


async def test_the_api_and_the_state_export_keep_the_real_values(
    client: TestClient[Any, Any],
) -> None:
    """Masking is for display: what was stored is what was sent, secrets included."""
    await create_corpus(client)
    for config in CORPUS:
        key = f"{config.name}-deployment"
        got = await client.get(f"/api/deployment/{key}", headers=auth())
        [deployment] = await got.json()
        assert deployment["registry_connector_init"] == config.registry_connector_init
        assert deployment["server_proxy_init"] == config.server_proxy_init
    state = await (await client.get("/_mock/state")).text()
    assert all(json.dumps(secret)[1:-1] in state for secret in all_secrets())


# -- random nesting ----------------------------------------------------------------------------

HARMLESS_WORDS = ["config", "spec", "params", "data", "registry", "server", "env", "items"]
harmless_keys = st.lists(st.sampled_from(HARMLESS_WORDS), min_size=1, max_size=3).map("_".join)
corpus_objects = st.sampled_from(
    [(init, config.secrets) for config in CORPUS for init in config.inits()]
)


def nested(leaf: Any) -> st.SearchStrategy[Any]:
    """`leaf` under random harmless keys and lists, beside harmless siblings."""
    siblings = st.dictionaries(harmless_keys, st.text(max_size=8) | st.integers(), max_size=2)
    return st.recursive(
        st.just(leaf),
        lambda inner: (
            st.builds(lambda key, child, more: {**more, key: child}, harmless_keys, inner, siblings)
            | st.builds(lambda child, n: [n, child], inner, st.integers())
        ),
        max_leaves=6,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@pytest.mark.slow
def test_the_corpus_nested_at_random_under_harmless_keys_is_still_masked(data: Any) -> None:
    init, secrets = data.draw(corpus_objects)
    document = data.draw(nested(init))
    assert leaks(shown(mask_json(document)), secrets) == []


@settings(max_examples=100, deadline=None)
@given(key=harmless_keys, plain=st.text(alphabet="abcdefghijklmnopqrstuvwxyz .,", max_size=30))
def test_harmless_keys_and_plain_text_are_shown_unchanged(key: str, plain: str) -> None:
    assert not is_secret_key(key)
    assert mask_json({key: {key: plain}}) == {key: {key: plain}}


# -- the contract suite's failure text ---------------------------------------------------------


def test_a_failure_report_masks_what_a_server_echoes_before_cutting_it() -> None:
    """A server that answers with the stored secrets: the excerpt, cut at 600 characters,
    shows none of them (a cut secret would no longer look like one)."""
    config = next(c for c in CORPUS if c.name == "vertex")
    body = json.dumps([config.payload()]).encode()
    exchange = Exchange(
        operation="get_deployment",
        method="GET",
        url="http://127.0.0.1:9/api/deployment/vertex-deployment",
        request_headers={"Authorization": "Bearer tok-1"},
        request_body=None,
        status=200,
        reason="OK",
        response_headers={"Content-Type": "application/json", "Set-Cookie": "sid=S1d9Qx7"},
        response_body=body,
        secrets={"tok-1": "$TANGO_TOKEN"},
    )
    report = exchange.describe()
    assert leaks(report, [*config.secrets, "S1d9Qx7", "tok-1"]) == []
    assert "Set-Cookie: ***" in report
    assert "vertex-deployment" in report and "$TANGO_TOKEN" in report
