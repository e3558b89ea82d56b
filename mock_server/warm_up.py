"""Import what start-up left out (pydantic, the payload model) in the background once serving.

Start-up skips pydantic to answer sooner (`rules.py`, `fixture_check.py`), and a valid
create never needs it (`validation.py`); without this the first invalid create would pay
for it (about 40 ms) to word its 422. A daemon thread does it while the client gets going:
a request that needs the model meanwhile waits on the import lock, never fails.
"""

from __future__ import annotations

import threading

from mock_server.validation import payload_checker


def _build_payload_model() -> None:
    payload_checker()({})  # the first check builds the (deferred) model


def start_warm_up() -> threading.Thread:
    thread = threading.Thread(target=_build_payload_model, name="tango-mock-warm-up", daemon=True)
    thread.start()
    return thread
