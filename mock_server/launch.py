"""The process entry point of `tango-mock` and `python -m mock_server`: a lean start-up.

Cold start (launch to the first answer) is what every CI job pays, and most of it is imports.
Two things here trim it without changing what is served:

- no cyclic garbage collection until the app is built: start-up only creates objects that
  live as long as the process (modules, models, the seed), so collecting finds nothing; the
  CLI freezes them and turns the collector back on before it serves (`gc_policy.py`);
- no scan of installed packages for pydantic plugins (`PYDANTIC_DISABLE_PLUGINS`, unless
  set): the mock's own process uses none, and the scan reads every package's metadata.

Importing `mock_server.cli` elsewhere (tests, embedding) changes neither.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    gc.disable()
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from mock_server.cli import main as cli_main

    return cli_main(sys.argv[1:] if argv is None else argv)
