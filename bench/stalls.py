"""Stalls: each hostile request runs while a second client lists; both are timed.

    python -m bench.stalls                          # the real CLI, a state of about 20 MB
    python -m bench.stalls --deployments 4000 --json stalls.json

The mock runs as a subprocess (the real CLI) on loopback, seeded with `--deployments`
deployments in one workspace (a fixture file, so a reset rebuilds all of them). For each case
of `cases()` (a request as a hostile or careless client sends it: a huge journal glob, a 20 MB
YAML export, a thousand long fault globs, 1 MiB of empty objects...), the figures are:

- the hostile request's status and its own time;
- the list (`GET /api/deployment` of another workspace, on its own connection) timed over and
  over while the hostile request is in flight: how many lists, their median and their maximum;
- the same list on an idle mock, just before, for comparison.

`tests/hardening/test_stalls.py` runs the same cases, smaller, in every test run and requires
every list to answer within a second; this prints the real figures (RELIABILITY.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.servers import launch, mock_spec

HOSTILE_TOKEN = "stall-token"  # the big workspace's
LIST_TOKEN = "stall-list-token"  # the listed workspace's (a few deployments)
COLLECTION = "/api/deployment"
READ_TIMEOUT_S = 300.0  # a 20 MB YAML import takes tens of seconds, never minutes
IDLE_LISTS = 20
LIST_PAUSE_S = 0.01  # between two timed lists
MIB = 1024 * 1024

PAYLOAD: dict[str, Any] = {
    "registry_connector_class": "tango_shared.connectors.deployment.mlflow_registry_connector."
    "MlflowModelRegistryConnector",
    "registry_connector_init": {
        "model_registry_url": "http://mlflow.example.com:5000",
        "tracking_server_url": "http://mlflow.example.com:5000",
    },
    "server_proxy_class": "tango_shared.connectors.deployment.mlflow_server_proxy."
    "MlflowModelServerProxy",
    "server_proxy_init": {"server_proxy_url": "http://mlflow-serving.example.com:8080"},
}


@dataclass(frozen=True)
class Sizes:
    """How big each hostile case is (the test uses smaller ones than the benchmark)."""

    deployments: int = 40_000  # about 20 MB of JSON, 19 MB of YAML
    yaml_import_deployments: int = 40_000
    long_paths: int = 500  # journal entries with 30,000-character paths
    big_bodies: int = 300  # journal entries with 60 KiB bodies of small objects
    fault_rules: int = 1000  # rules with near-miss globs of 16 stars
    fault_body_rules: int = 200  # rules with 60 KiB bodies


def state_document(count: int) -> dict[str, Any]:
    """The seed: `count` deployments in workspace `stall`, two in `stall-list`."""
    return {
        "workspaces": [{"name": "stall"}, {"name": "stall-list"}],
        "tokens": [
            {"token": HOSTILE_TOKEN, "workspace": "stall"},
            {"token": LIST_TOKEN, "workspace": "stall-list"},
        ],
        "deployments": [
            {**PAYLOAD, "workspace": "stall", "deployment_key": f"stall-{index}"}
            for index in range(count)
        ]
        + [
            {**PAYLOAD, "workspace": "stall-list", "deployment_key": f"listed-{index}"}
            for index in range(2)
        ],
    }


def request(
    method: str,
    target: str,
    *,
    body: bytes = b"",
    content_type: str = "application/json",
    token: str | None = HOSTILE_TOKEN,
    headers: dict[str, str] | None = None,
) -> bytes:
    """One HTTP/1.1 request, the target sent byte for byte (no client re-encodes it)."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    if body or method in ("POST", "PUT"):
        lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


class Connection:
    """A keep-alive connection sending raw requests and reading whole answers."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self, data: bytes) -> tuple[int, int]:
        """(status, body bytes) of the answer; reconnects after a closed connection."""
        if self._streams is None:
            self._streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self._streams
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(READ_TIMEOUT_S):
            head = b"HTTP/1.1 100"
            while head.startswith(b"HTTP/1.1 1"):
                head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            fields = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line)
            lowered = {name.strip().lower(): value.strip() for name, value in fields.items()}
            body = await reader.readexactly(int(lowered.get(b"content-length", b"0")))
        if lowered.get(b"connection", b"").lower() == b"close":
            await self.close()
        return status, len(body)

    async def close(self) -> None:
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


Setup = Callable[[Connection], Awaitable[None]]


@dataclass(frozen=True)
class Case:
    """A hostile request (or a sequence of them), what it must get, and what it needs first."""

    name: str
    requests: tuple[bytes, ...]
    status: int
    setup: Setup | None = None


async def _send_all(connection: Connection, requests: Iterator[bytes]) -> None:
    for data in requests:
        status, _ = await connection.send(data)
        if status >= 500:
            raise RuntimeError(f"a setup request got {status}")


def _fill_journal(sizes: Sizes) -> Setup:
    async def fill(connection: Connection) -> None:
        await connection.send(request("DELETE", "/_mock/requests", token=None))
        long_path = "/api/" + "a" * 30_000
        await _send_all(connection, (request("GET", long_path) for _ in range(sizes.long_paths)))
        body = json.dumps({"items": [{"k": index, "v": "x"} for index in range(4000)]})
        big = request("POST", COLLECTION, body=body.encode()[: 60 * 1024])
        await _send_all(connection, (big for _ in range(sizes.big_bodies)))

    return fill


# 16 stars that almost match every path of `a`s, the worst case of a matcher: each rule finds
# 15 pieces, then scans the rest of the path for `ab`; lists never match it.
NEAR_MISS = ("*" + "a" * 60) * 14 + "*ab*"
FAULT_GLOB = "/api/" + NEAR_MISS


def _fault_rule() -> bytes:
    rule = {"method": "GET", "path": FAULT_GLOB, "status": 503}
    return request("POST", "/_mock/faults", body=json.dumps(rule).encode(), token=None)


def _add_body_rules(sizes: Sizes) -> Setup:
    async def add(connection: Connection) -> None:
        await connection.send(request("DELETE", "/_mock/faults", token=None))
        body = {"items": [{"k": index} for index in range(6000)]}
        rule = {"path": "/nowhere/*", "status": 500, "body": body}
        data = request("POST", "/_mock/faults", body=json.dumps(rule).encode(), token=None)
        await _send_all(connection, (data for _ in range(sizes.fault_body_rules)))

    return add


async def _clear_faults(connection: Connection) -> None:
    await connection.send(request("DELETE", "/_mock/faults", token=None))


def cases(sizes: Sizes) -> list[Case]:
    """Every hostile case, in the order they run (some prepare the state of the next)."""
    document = state_document(sizes.deployments)
    state_json = json.dumps(document).encode()
    # A JSON round trip unshares the entries' dicts, so YAML writes no aliases (refused).
    yaml_part = json.loads(
        json.dumps(
            dict(document, deployments=document["deployments"][: sizes.yaml_import_deployments])
        )
    )
    state_yaml = yaml.safe_dump(yaml_part, sort_keys=False).encode()
    empty_objects = "[" + ",".join(["{}"] * 340_000) + "]"
    huge_create = json.dumps({**PAYLOAD, "deployment_key": "huge-create"}).replace(
        '"model_registry_url"', f'"pile": {empty_objects}, "model_registry_url"', 1
    )
    chains = "[" + ",".join(["[" * 60 + "]" * 60] * 8_000) + "]"
    deep_create = json.dumps({**PAYLOAD, "deployment_key": "deep-create"}).replace(
        '"model_registry_url"', f'"chains": {chains}, "model_registry_url"', 1
    )
    alias_bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
    )
    glob_trap = "/" + NEAR_MISS
    return [
        Case(
            "journal ?path= of 30,000 [",
            (request("GET", "/_mock/requests?path=/" + "[" * 30_000, token=None),),
            400,
        ),
        Case(
            f"journal glob near-miss, {sizes.long_paths} paths of 30,000 chars",
            (request("GET", "/_mock/requests?path=" + glob_trap, token=None),),
            200,
            setup=_fill_journal(sizes),
        ),
        Case(
            f"journal listing, {sizes.big_bodies} bodies of 60 KiB",
            (request("GET", "/_mock/requests?method=POST", token=None),),
            200,
        ),
        Case(
            "journal ?limit= of 5,000 digits",
            (request("GET", "/_mock/requests?limit=" + "9" * 5000, token=None),),
            400,
        ),
        Case(
            "journal with 4,000 unknown parameters",
            (
                request(
                    "GET", "/_mock/requests?" + "&".join(f"p{i}=1" for i in range(4000)), token=None
                ),
            ),
            400,
        ),
        Case(
            f"GET state as JSON, {sizes.deployments} deployments",
            (request("GET", "/_mock/state", token=None),),
            200,
        ),
        Case(
            f"GET state as YAML, {sizes.deployments} deployments",
            (request("GET", "/_mock/state?format=yaml", token=None),),
            200,
        ),
        Case(
            f"PUT state as JSON, {len(state_json) / MIB:.1f} MiB",
            (request("PUT", "/_mock/state", body=state_json, token=None),),
            200,
        ),
        Case(
            f"PUT state as YAML, {len(state_yaml) / MIB:.1f} MiB",
            (
                request(
                    "PUT",
                    "/_mock/state",
                    body=state_yaml,
                    content_type="application/yaml",
                    token=None,
                ),
            ),
            200,
        ),
        Case(
            f"reset to a seed of {sizes.deployments} deployments",
            (request("POST", "/_mock/reset", token=None),),
            200,
        ),
        Case(
            "PUT state: JSON nested 100,000 deep",
            (request("PUT", "/_mock/state", body=b"[" * 100_000 + b"]" * 100_000, token=None),),
            400,
        ),
        Case(
            "PUT state: YAML nested 100,000 deep",
            (
                request(
                    "PUT",
                    "/_mock/state",
                    body=b"[" * 100_000,
                    content_type="application/yaml",
                    token=None,
                ),
            ),
            400,
        ),
        Case(
            "PUT state: YAML alias bomb",
            (
                request(
                    "PUT",
                    "/_mock/state",
                    body=alias_bomb.encode(),
                    content_type="application/yaml",
                    token=None,
                ),
            ),
            400,
        ),
        Case(
            f"add {sizes.fault_rules} fault rules with 16-star near-miss globs",
            (_fault_rule(),) * sizes.fault_rules,
            201,
            setup=_clear_faults,
        ),
        Case(
            f"1,024-char path through {sizes.fault_rules} rules",
            (request("GET", "/api/" + "a" * 1019),),
            404,
        ),
        Case(
            f"30,000-char path past {sizes.fault_rules} rules",
            (request("GET", "/api/" + "a" * 30_000),),
            404,
        ),
        Case(
            f"list {sizes.fault_body_rules} fault rules with 60 KiB bodies",
            (request("GET", "/_mock/faults", token=None),),
            200,
            setup=_add_body_rules(sizes),
        ),
        Case(
            "create of 1 MiB: 340,000 empty objects",
            (request("POST", COLLECTION, body=huge_create.encode()),),
            201,
            setup=_clear_faults,
        ),
        Case(
            "create of 1 MiB: 8,000 chains of 60 nested arrays",
            (request("POST", COLLECTION, body=deep_create.encode()),),
            201,
        ),
        Case(
            "Expect: something-else",
            (request("POST", COLLECTION, body=b"{}", headers={"Expect": "something-else"}),),
            417,
        ),
        Case(
            "Expect: 100-continue with a bad token",
            (
                request(
                    "POST", COLLECTION, body=b"{}", token="nope", headers={"Expect": "100-continue"}
                ),
            ),
            401,
        ),
    ]


@dataclass
class CaseResult:
    """The figures of one case (also written as JSON with --json)."""

    name: str
    status: int = 0
    expected: int = 0
    hostile_ms: float = 0.0
    lists_during: int = 0
    list_median_ms: float = 0.0
    list_max_ms: float = 0.0
    idle_median_ms: float = 0.0
    idle_max_ms: float = 0.0
    list_errors: list[str] = field(default_factory=list)


LIST_REQUEST = request("GET", COLLECTION, token=LIST_TOKEN)


async def _timed_list(connection: Connection) -> float:
    started = time.perf_counter()
    status, _ = await connection.send(LIST_REQUEST)
    if status != 200:
        raise RuntimeError(f"the list got {status}")
    return time.perf_counter() - started


async def run_case(port: int, case: Case) -> CaseResult:
    """Idle lists, then the hostile request(s) with lists timed until they are answered."""
    result = CaseResult(case.name, expected=case.status)
    hostile, lister = Connection(port), Connection(port)
    try:
        if case.setup is not None:
            await case.setup(hostile)
        idle = [await _timed_list(lister) for _ in range(IDLE_LISTS)]
        result.idle_median_ms = round(statistics.median(idle) * 1000, 2)
        result.idle_max_ms = round(max(idle) * 1000, 2)

        async def send_hostile() -> int:
            status = 0
            for data in case.requests:
                status, _ = await hostile.send(data)
                if status != case.status:
                    break
            return status

        started = time.perf_counter()
        task = asyncio.create_task(send_hostile())
        during: list[float] = []
        while True:
            try:
                during.append(await _timed_list(lister))
            except (RuntimeError, OSError, TimeoutError) as exc:
                result.list_errors.append(f"{type(exc).__name__}: {exc}")
                break
            if task.done():
                break
            await asyncio.sleep(LIST_PAUSE_S)
        result.status = await task
        result.hostile_ms = round((time.perf_counter() - started) * 1000, 1)
        result.lists_during = len(during)
        if during:
            result.list_median_ms = round(statistics.median(during) * 1000, 2)
            result.list_max_ms = round(max(during) * 1000, 2)
    finally:
        await hostile.close()
        await lister.close()
    return result


async def run_cases(port: int, sizes: Sizes) -> list[CaseResult]:
    return [await run_case(port, case) for case in cases(sizes)]


def report(results: list[CaseResult]) -> str:
    lines = [
        "| hostile request | status | its time ms | lists during | list median ms "
        "| list max ms | idle list median / max ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        status = f"{r.status}" + ("" if r.status == r.expected else f" (expected {r.expected})")
        lines.append(
            f"| {r.name} | {status} | {r.hostile_ms:,.1f} | {r.lists_during} | "
            f"{r.list_median_ms} | {r.list_max_ms} | {r.idle_median_ms} / {r.idle_max_ms} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stalls", description=__doc__)
    parser.add_argument("--deployments", type=int, default=Sizes.deployments)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    sizes = Sizes(deployments=args.deployments, yaml_import_deployments=args.deployments)
    with tempfile.TemporaryDirectory() as directory:
        seed = Path(directory) / "stall-seed.json"
        seed.write_text(json.dumps(state_document(sizes.deployments)))
        spec = mock_spec(
            ["--fixtures", str(seed), "--log-level", "warning"],
            name="tango-mock stalls",
            ready_token=LIST_TOKEN,
        )
        server = launch(spec)
        try:
            results = asyncio.run(run_cases(server.port, sizes))
        finally:
            server.stop()
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    failed = [r for r in results if r.status != r.expected or r.list_errors]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
