"""`tango-mock contract`: the installed contract suite, run through pytest against one server.

The suite is the `contract_tests` package of this distribution. It runs from any directory:
pytest is given the package itself as its root and an empty configuration, so neither the
caller's `pytest.ini`/`pyproject.toml` nor a `conftest.py` above the installation changes it.

Exit codes: 0 the server keeps the contract, 1 it breaks it, 2 a usage error or a server
that cannot be used (unreachable, or a token it refuses); the output says which.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_KEPT, EXIT_BROKEN, EXIT_UNUSABLE = 0, 1, 2
JUNIT_ENV = "TANGO_CONTRACT_JUNITXML"

EPILOG = """\
Options win over their environment variables. Anything after `--` goes to pytest as it is,
e.g. `-- -k isolation -v`. Exit codes: 0 the contract is kept, 1 it is broken, 2 a usage
error or a server that cannot be used (unreachable, or a refused token).
"""


def build_parser() -> argparse.ArgumentParser:
    from contract_tests.support.settings import OPTIONS

    parser = argparse.ArgumentParser(
        prog="tango-mock contract",
        description="Check a TANGO Deployment API server against the contract (openapi.yaml\n"
        "and the contract decisions). Without --base-url it checks a mock it starts itself.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for option in OPTIONS:
        parser.add_argument(
            option.flag, metavar=option.metavar, help=f"{option.help} (env {option.env})"
        )
    parser.add_argument(
        "--junitxml", metavar="FILE", help=f"also write a JUnit XML report (env {JUNIT_ENV})"
    )
    parser.add_argument("pytest_args", nargs="*", metavar="-- PYTEST_ARGS", help=argparse.SUPPRESS)
    return parser


def pytest_arguments(args: argparse.Namespace, suite: Path) -> list[str]:
    """The suite's directory as pytest's root, no configuration from the caller's directory."""
    from contract_tests.support.settings import OPTIONS

    arguments = [
        str(suite),
        "-c",
        os.devnull,
        "--rootdir",
        str(suite),
        "--confcutdir",
        str(suite),
        "-p",
        "no:cacheprovider",
        "-ra",
        # Both packages are imported before pytest starts (this command and its options live
        # there), so pytest cannot rewrite their asserts: the test modules, imported later,
        # still are; the helpers assert nothing that needs it.
        *(
            argument
            for package in ("mock_server", "contract_tests")
            for argument in (
                "-W",
                f"ignore:Module already imported so cannot be rewritten; {package}"
                ":pytest.PytestAssertRewriteWarning",
            )
        ),
    ]
    for option in OPTIONS:
        value = getattr(args, option.flag.lstrip("-").replace("-", "_"))
        if value is not None:
            arguments.append(f"{option.flag}={value}")
    junit = args.junitxml or os.environ.get(JUNIT_ENV)
    if junit:
        arguments.append(f"--junitxml={Path(junit).resolve()}")
    return [*arguments, *args.pytest_args]


def suite_directory() -> Path:
    """Where the installed `contract_tests` package is."""
    import contract_tests

    return Path(contract_tests.__file__).resolve().parent


def exit_code(pytest_code: int) -> int:
    """pytest's codes as the command's three: kept, broken, cannot run."""
    if pytest_code in (EXIT_KEPT, EXIT_BROKEN):
        return pytest_code
    return EXIT_UNUSABLE


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    gc.enable()  # the mock's launcher turns it off for start-up; a test run needs it
    import pytest

    code = int(pytest.main(pytest_arguments(args, suite_directory())))
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("tango-mock contract: usage error: no test matched", file=sys.stderr)
    elif code == pytest.ExitCode.USAGE_ERROR:
        print("tango-mock contract: usage error (see above)", file=sys.stderr)
    elif code == pytest.ExitCode.INTERNAL_ERROR:
        print("tango-mock contract: the suite itself failed (see above)", file=sys.stderr)
    return exit_code(code)
