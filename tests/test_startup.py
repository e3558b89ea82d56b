"""Start-up without pydantic, and the background thread that prepares what it left out.

Both run in a fresh interpreter: the test process has long imported everything.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run_python(script: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )
    return result.stdout


def test_starting_with_a_good_seed_imports_no_pydantic() -> None:
    """A third of the cold start was pydantic: a good seed must not need it."""
    script = """
        import sys
        from mock_server.app import create_app
        from mock_server.cli import load_seed
        from mock_server.config import MockSettings
        create_app(MockSettings(seed=load_seed(None, [("extra-token", "extra")])))
        print(sorted(name for name in sys.modules if name.split(".")[0] == "pydantic"))
    """
    assert run_python(script).strip() == "[]"


def test_the_warm_up_thread_prepares_what_start_up_left_out() -> None:
    """After it, neither the first invalid create nor the first injected fault waits."""
    script = """
        import sys
        from mock_server.inject import spec_error_examples
        from mock_server.validation import payload_checker
        from mock_server.warm_up import start_warm_up
        assert "pydantic" not in sys.modules
        start_warm_up().join(60)
        print("pydantic" in sys.modules, "mock_server.fault_input" in sys.modules,
              payload_checker.cache_info().currsize, spec_error_examples.cache_info().currsize)
    """
    assert run_python(script).split() == ["True", "True", "1", "1"]
