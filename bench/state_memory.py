"""Memory a stored deployment keeps per byte of the body that created it.

`python -m bench.state_memory [--megabytes M] [--smoke]` runs each kind of body through the
create path (`decode_json`, `validate_payload`, `DeploymentStore.create`) in a fresh
interpreter, until about M MiB of bodies (default 8) or 20,000 of them, and measures with
tracemalloc what the store keeps once the request is over. Side by side, in the same process,
the reference: what keeping the validated payload tree would cost (how the store held
deployments before it kept their JSON bytes). It prints one Markdown table:

- kept / body byte: memory the store holds per byte of body received;
- tree / body byte: the same for the parsed tree (the reference);
- kept / counted byte: memory per byte charged to `--max-state-bytes` (`StoredDeployment.
  size`): the multiple of the budget that the state can really take.

tracemalloc counts Python allocations only, exactly and the same on every run, so the figures
need no repeats. A second table is what a user sees: the RSS of a real mock (loopback) before
and after `--creates` 1 MiB creates of each pathological body, allocator slack included;
`--compare-with CHECKOUT` adds the same table for another version's mock.
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.scenarios import COLLECTION, EXTRA_TOKENS, MLFLOW_PAYLOAD, WRITE_TOKEN
from bench.servers import REPO_ROOT, START_TIMEOUT_S, free_port, list_status, rss_bytes

ONE_MIB = 1024 * 1024
BODY_LIMIT = ONE_MIB  # the API's request body limit
MAX_BODIES = 20_000


def _body(init: Any, key: str) -> bytes:
    payload = {**MLFLOW_PAYLOAD, "deployment_key": key, "server_proxy_init": init}
    # 1e15 as a client may write it: the mock stores it as Python prints it, 1000000000000000.0
    return json.dumps(payload, separators=(",", ":")).encode().replace(LONG_FLOAT, b"1e15")


LONG_FLOAT = b"1000000000000000.0"


def _fill(item: str, overhead: int = 600) -> str:
    """A JSON array of `item` repeated to fill a body up to the limit."""
    count = (BODY_LIMIT - overhead) // (len(item) + 1)
    return "[" + ",".join([item] * count) + "]"


def _init_of(kind: str) -> Any:
    """The `server_proxy_init` value of each kind of body (all within the 1 MiB limit)."""
    if kind == "small":
        return {}
    if kind == "typical":
        return {
            "endpoint": "https://models.example.com/serving",
            "timeout_s": 30,
            "retries": 3,
            "headers": {"X-Team": "ml-platform"},
            "token": "<redacted>",
            "verify_tls": True,
        }
    if kind == "empty objects":
        return {"items": json.loads(_fill("{}"))}
    if kind == "deep nesting":
        return {"chains": json.loads(_fill("[" * 60 + "]" * 60))}
    if kind == "long string":
        return {"blob": "x" * (BODY_LIMIT - 600)}
    if kind == "many keys":
        count = (BODY_LIMIT - 600) // len('"k000000":0,')
        return {f"k{i:06d}": 0 for i in range(count)}
    if kind == "numbers that print longer":
        return {"values": [1e15] * ((BODY_LIMIT - 600) // len("1e15,"))}
    raise ValueError(kind)


KINDS = (
    "small",
    "typical",
    "empty objects",
    "deep nesting",
    "long string",
    "many keys",
    "numbers that print longer",
)

_MEASURE = """
import gc, json, sys, tracemalloc
from bench.state_memory import _init_of, _body, ONE_MIB, MAX_BODIES
from mock_server.contract.strict_json import decode_json
from mock_server.contract.validation import validate_payload
from mock_server.state.store import DeploymentStore

kind, megabytes = sys.argv[1], float(sys.argv[2])
init = _init_of(kind)
template = _body(init, "k0")
count = max(2, min(MAX_BODIES, int(megabytes * ONE_MIB // len(template))))
bodies = [template.replace(b'"k0"', f'"k{i}"'.encode(), 1) for i in range(count)]
del init
# Warm up, and keep: a payload interns its class paths, which may grow the interpreter's
# table of interned strings once (about 1 MB), not a cost of any deployment. (In a running
# mock the seed's deployments keep them.)
warm_up = validate_payload(decode_json(bodies[0]))

def measure(keep):
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = keep()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return kept, after - before

store = DeploymentStore(max_state_bytes=1 << 62)
def create_all():
    for body in bodies:
        store.create("ws", validate_payload(decode_json(body)))
    return store
_, kept_bytes = measure(create_all)
trees, tree_bytes = measure(lambda: [validate_payload(decode_json(body)) for body in bodies])
body_bytes = sum(map(len, bodies))
print(json.dumps({"kind": kind, "bodies": count, "body_bytes": body_bytes,
                  "kept_bytes": kept_bytes, "tree_bytes": tree_bytes,
                  "counted_bytes": store.state_bytes}))
"""


def measure(kind: str, megabytes: float) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, kind, str(megabytes)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind}: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| body | bodies | bytes each | kept / body byte | tree / body byte (before) "
        "| kept / counted byte |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        body = row["body_bytes"]
        lines.append(
            f"| {row['kind']} | {row['bodies']:,} | {body // row['bodies']:,} "
            f"| {row['kept_bytes'] / body:.2f} | {row['tree_bytes'] / body:.2f} "
            f"| {row['kept_bytes'] / row['counted_bytes']:.2f} |"
        )
    return "\n".join(lines)


PATHOLOGICAL = ("empty objects", "deep nesting", "many keys")


def server_rss(kind: str, count: int, server_dir: Path) -> dict[str, Any]:
    """RSS of a real `tango-mock` (its own process, loopback) before and after `count` creates
    of one kind of body: what a user sees, allocator slack and the request's own tree included.
    `server_dir` is the checkout whose `mock_server` runs (another one gives a before/after)."""
    port = free_port()
    tokens = [arg for token, ws in EXTRA_TOKENS.items() for arg in ("--token", f"{token}={ws}")]
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mock_server",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *tokens,
        ],
        cwd=server_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while list_status(port, WRITE_TOKEN) != 200:
            if time.monotonic() > deadline or child.poll() is not None:
                raise SystemExit(f"the mock in {server_dir} did not start")
            time.sleep(0.05)
        before = rss_bytes(child.pid)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        statuses = []
        for i in range(count):
            headers = {"Authorization": f"Bearer {WRITE_TOKEN}", "Content-Type": "application/json"}
            connection.request(
                "POST", COLLECTION, body=_body(_init_of(kind), f"r{i}"), headers=headers
            )
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        connection.close()
        after = rss_bytes(child.pid)
    finally:
        child.terminate()
        child.wait(10)
    return {
        "kind": kind,
        "creates": count,
        "statuses": sorted(set(statuses)),
        "rss_growth_mb": (after - before) / ONE_MIB,
    }


def rss_table(rows: list[dict[str, Any]], label: str) -> str:
    lines = [
        f"| body ({label}) | creates of 1 MiB | answers | RSS growth | per create |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['kind']} | {row['creates']} | {', '.join(map(str, row['statuses']))} "
            f"| {row['rss_growth_mb']:.1f} MB | {row['rss_growth_mb'] / row['creates']:.2f} MB |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=8.0, help="bodies per kind (MiB)")
    parser.add_argument("--creates", type=int, default=30, help="1 MiB creates per kind (RSS)")
    parser.add_argument(
        "--compare-with",
        type=Path,
        metavar="CHECKOUT",
        help="also measure the RSS of the mock of another checkout (e.g. `git worktree add`)",
    )
    parser.add_argument("--smoke", action="store_true", help="2 MiB per kind, 3 creates")
    args = parser.parse_args(argv)
    megabytes = 2.0 if args.smoke else args.megabytes
    creates = 3 if args.smoke else min(args.creates, 200)
    print(table([measure(kind, megabytes) for kind in KINDS]))
    checkouts = [("this checkout", REPO_ROOT)]
    if args.compare_with:
        checkouts.append((str(args.compare_with), args.compare_with))
    for label, checkout in checkouts:
        print()
        print(rss_table([server_rss(kind, creates, checkout) for kind in PATHOLOGICAL], label))
    return 0


if __name__ == "__main__":
    sys.exit(main())
