"""Prepare what start-up left out, in the background once serving.

Start-up skips pydantic to answer sooner (`rules.py`, `fixture_check.py`), and a valid
create never needs it (`validation.py`); without this the first invalid create would pay
for it (about 40 ms) to word its 422. Likewise the first fault rule would build its model,
and the first injected fault would parse openapi.yaml for the spec's example error bodies.
A daemon thread does all three while the client gets going: a request that needs one of
them meanwhile waits for it, never fails.
"""

from __future__ import annotations

import importlib
import threading

from mock_server.inject import spec_error_examples
from mock_server.validation import payload_checker


def _prepare() -> None:
    payload_checker()({})  # imports pydantic; the first check builds the (deferred) model
    importlib.import_module("mock_server.fault_input")  # the model of POST /_mock/faults
    spec_error_examples()  # parses openapi.yaml (also what /openapi.json serves)


def start_warm_up() -> threading.Thread:
    thread = threading.Thread(target=_prepare, name="tango-mock-warm-up", daemon=True)
    thread.start()
    return thread
