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
need no repeats; the process's RSS adds the allocator's slack on top.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from bench.scenarios import MLFLOW_PAYLOAD

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=8.0, help="bodies per kind (MiB)")
    parser.add_argument("--smoke", action="store_true", help="2 MiB per kind: seconds")
    args = parser.parse_args(argv)
    megabytes = 2.0 if args.smoke else args.megabytes
    rows = [measure(kind, megabytes) for kind in KINDS]
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
