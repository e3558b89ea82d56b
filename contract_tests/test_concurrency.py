"""Parallel requests on one key: exactly one create wins, exactly one delete wins.

A server that looks a key up and stores it in two steps lets parallel creates all succeed
(each silently replacing the last); one that looks up and deletes in two steps answers 204
to several deletes of one deployment. Clients retry and fan out, so both happen in real
life. The requests go out together (a barrier lines the threads up), each on its own
connection.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests

from contract_tests.support.client import TangoClient
from contract_tests.support.exchange import Exchange
from contract_tests.support.expect import (
    expect_single,
    expect_status,
    held,
    listed_keys,
    violation,
)
from contract_tests.support.payloads import MakeDeployment, payload
from contract_tests.support.run import ContractRun
from contract_tests.support.same_json import json_difference

PARALLEL = 8
BARRIER_SECONDS = 30.0


def together(run: ContractRun, send: Callable[[int, TangoClient], Exchange]) -> list[Exchange]:
    """`send(i, client)` for i in range(PARALLEL), all released at once, one connection each."""
    barrier = threading.Barrier(PARALLEL, timeout=BARRIER_SECONDS)
    sessions = [requests.Session() for _ in range(PARALLEL)]

    def one(index: int) -> Exchange:
        client = run.client(session=sessions[index])
        barrier.wait()
        return send(index, client)

    try:
        with ThreadPoolExecutor(PARALLEL, thread_name_prefix="contract-parallel") as pool:
            return list(pool.map(one, range(PARALLEL)))
    finally:
        for session in sessions:
            session.close()


def _tally(answers: list[Exchange]) -> str:
    counts = Counter(answer.answer for answer in answers)
    return ", ".join(f"{times} x {answer}" for answer, times in counts.most_common())


def test_parallel_creates_of_one_new_key_give_one_201_and_one_deployment(
    run: ContractRun, new_key: Callable[[str], str]
) -> None:
    rule = "concurrency.one-create-wins"
    key = new_key("parallel-create")
    sent = [payload(key, "mlflow" if index % 2 else "databricks") for index in range(PARALLEL)]
    answers = together(run, lambda index, client: client.create(sent[index]))
    won = [index for index, answer in enumerate(answers) if answer.status == 201]
    refused = [answer for answer in answers if answer.status == 409]
    if len(won) != 1 or len(refused) != PARALLEL - 1:
        shown = answers[won[1]] if len(won) > 1 else answers[0]
        violation(
            shown,
            f"{PARALLEL} parallel creates of one new key must give exactly one 201 and "
            f"{PARALLEL - 1} 409, got {_tally(answers)}",
            rule,
        )
    listed = run.client().list()
    expect_status(listed, 200, "listing the workspace after parallel creates", rule="list.array")
    times = listed_keys(listed, "the list answer").count(key)
    if times != 1:
        violation(listed, f"after parallel creates the key must be listed once, got {times}", rule)
    fetched = run.client().get(key)
    expect_status(fetched, 200, "getting the key parallel creates raced for", rule=rule)
    stored = expect_single(fetched, "the get answer", rule="get.array-of-one")
    winner = sent[won[0]]
    for name, value in winner.items():
        difference = json_difference(value, stored.get(name), name)
        if difference is not None:
            violation(
                fetched,
                f"the deployment must be the one whose create got 201, but {difference}",
                rule,
            )
    held(rule)


def test_parallel_deletes_of_one_deployment_give_one_204(
    run: ContractRun, created: MakeDeployment
) -> None:
    rule = "concurrency.one-delete-wins"
    key = str(created("parallel-delete")["deployment_key"])
    answers = together(run, lambda index, client: client.delete(key))
    deleted = [answer for answer in answers if answer.status == 204]
    missing = [answer for answer in answers if answer.status == 404]
    if len(deleted) != 1 or len(missing) != PARALLEL - 1:
        shown = deleted[1] if len(deleted) > 1 else answers[0]
        violation(
            shown,
            f"{PARALLEL} parallel deletes of one deployment must give exactly one 204 and "
            f"{PARALLEL - 1} 404, got {_tally(answers)}",
            rule,
        )
    held(rule)
    expect_status(
        run.client().get(key),
        404,
        "getting a deployment after parallel deletes",
        rule="lifecycle.deleted-get-404",
    )
