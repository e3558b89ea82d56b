"""`python -m bench.profile`: where the mock spends its time under one scenario (py-spy).

Starts the mock as the benchmark does, drives one scenario with the benchmark's loader while
py-spy samples the server process, then prints the functions with the most samples, by
self time and by inclusive time. Needs py-spy (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.load import Loader, wrk_path
from bench.scenarios import (
    Scenario,
    create_scenario,
    get_scenario,
    list_scenario,
    mix_scenario,
)
from bench.servers import bare_spec, launch, mock_spec

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?P<line>:\d+)?\)$")


def _scenario(name: str) -> Scenario:
    return {
        "list": list_scenario(),
        "get": get_scenario(),
        "create": create_scenario("profile"),
        "mix": mix_scenario("profile-mix"),
    }[name]


def _short(frame: str, by_line: bool = False) -> str:
    """`func (path/to/module.py:12)` -> `module.py:func` (or `module.py:12:func`)."""
    match = _FRAME.match(frame)
    if match is None:
        return frame
    line = match["line"] or "" if by_line else ""
    return f"{Path(match['file']).name}{line}:{match['func']}"


def summarise(raw: str, top: int, by_line: bool = False) -> str:
    """Top functions by self and by inclusive samples, from py-spy's raw (collapsed) output."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";")]
        total += count
        own[_short(stack.rsplit(";", 1)[-1], by_line)] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return "no samples"
    lines = [f"{total} samples", "", "self %  function"]
    lines += [f"{100 * n / total:6.1f}  {name}" for name, n in own.most_common(top)]
    by_file: Counter[str] = Counter()
    for name, n in own.items():
        by_file[name.split(":", 1)[0]] += n
    lines += ["", "self %  file"]
    lines += [f"{100 * n / total:6.1f}  {name}" for name, n in by_file.most_common(top)]
    lines += ["", "incl %  function"]
    lines += [f"{100 * n / total:6.1f}  {name}" for name, n in inclusive.most_common(top)]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--scenario", choices=["list", "get", "create", "mix"], default="get")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--mock-arg", action="append", default=[], metavar="ARG")
    parser.add_argument("--bare", action="store_true", help="profile the bare aiohttp app instead")
    parser.add_argument("--native", action="store_true", help="include C frames (py-spy)")
    parser.add_argument("--lines", action="store_true", help="self time per source line")
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        raise SystemExit("py-spy is not installed: pip install -e '.[bench]'")
    loader = Loader(wrk_path() is not None, args.connections, 10_000_000)
    with tempfile.TemporaryDirectory(prefix="tango-profile-") as tmp:
        server = launch(bare_spec() if args.bare else mock_spec(args.mock_arg), Path(tmp))
        raw = Path(tmp) / "profile.txt"
        try:
            command = [
                py_spy,
                "record",
                "--pid",
                str(server.process.pid),
                "--duration",
                str(args.seconds),
                "--rate",
                str(args.rate),
                "--format",
                "raw",
                "--output",
                str(raw),
                "--nonblocking",
                *(["--native"] if args.native else []),
            ]
            spy = threading.Thread(
                target=subprocess.run,
                args=(command,),
                kwargs={"capture_output": True, "timeout": args.seconds + 60, "check": False},
            )
            spy.start()
            result = loader.run(server.url, _scenario(args.scenario), args.seconds)
            spy.join()
        finally:
            server.stop()
        print(
            f"{args.scenario}: {result.rps:,.0f} rps under the profiler "
            f"(p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, {result.errors} errors)"
        )
        print(summarise(raw.read_text() if raw.exists() else "", args.top, args.lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
