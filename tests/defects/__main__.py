"""Serve one broken (or the tolerated) variant in the foreground, to try it with curl."""

from __future__ import annotations

import argparse
import asyncio

from mock_server.http.server import serve_until_signalled
from tests.defects.catalogue import BY_NAME
from tests.defects.runs import CORRECT_VARIANTS, build
from tests.defects.servers import OTHER_TOKEN, TOKEN


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.defects", description=__doc__)
    parser.add_argument("name", nargs="?", choices=[*CORRECT_VARIANTS, *BY_NAME], metavar="NAME")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--list", action="store_true", help="list the variants and exit")
    args = parser.parse_args()
    if args.list or args.name is None:
        for name in CORRECT_VARIANTS:
            print(f"{name:32} (correct)")
        for defect in BY_NAME.values():
            print(f"{defect.name:32} {defect.kind.value:16} {defect.summary}")
        return
    app = build(args.name)

    def ready(url: str) -> None:
        print(f"{args.name} on {url}  tokens: {TOKEN} (main), {OTHER_TOKEN} (other)", flush=True)

    asyncio.run(serve_until_signalled(app, host="127.0.0.1", port=args.port, on_ready=ready))


if __name__ == "__main__":
    main()
