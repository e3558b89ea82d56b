"""What one contract run targets and how hard it pushes: options, env fallbacks and profiles."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mock_server.contract.rule_ids import SOURCES, Source, parse_sources

DEFAULT_SEED = 20_240_601
"""Fixed so two runs against the same server send the same generated data."""


@dataclass(frozen=True, kw_only=True)
class Profile:
    """How many generated requests a run may send: the budget of one run."""

    name: str
    max_examples: int
    stateful_scenarios: int
    stateful_max_steps: int
    read_only: bool = False  # only tests that create and delete nothing


PROFILES = {
    # CI on every change: about 10 s and ~600 requests against the local mock.
    "default": Profile(
        name="default", max_examples=50, stateful_scenarios=30, stateful_max_steps=6
    ),
    # Nightly: about ten times the requests, longer linked sequences.
    "deep": Profile(name="deep", max_examples=500, stateful_scenarios=200, stateful_max_steps=12),
    # A production server: only tests that create and delete nothing, in seconds.
    "smoke": Profile(
        name="smoke", max_examples=1, stateful_scenarios=1, stateful_max_steps=2, read_only=True
    ),
}


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """The resolved options of one run (after command line, environment and profile)."""

    base_url: str | None
    token: str | None = field(repr=False)  # secrets stay out of tracebacks and logs
    other_token: str | None = field(repr=False)
    profile: Profile
    max_examples: int
    seed: int
    run_id: str
    rules: tuple[Source, ...] = SOURCES
    report_dir: Path | None = None

    @property
    def key_prefix(self) -> str:
        """Every deployment key this run creates or touches starts with this."""
        return f"ct-{self.run_id}-"

    @property
    def is_local(self) -> bool:
        """No --base-url: the suite serves this project's mock itself."""
        return self.base_url is None


@dataclass(frozen=True)
class Option:
    """One option of the suite: the pytest flag, its environment variable and its help."""

    flag: str
    env: str
    metavar: str
    help: str


OPTIONS = (
    Option(
        "--base-url", "TANGO_BASE_URL", "URL", "the TANGO server to check (default: start the mock)"
    ),
    Option("--token", "TANGO_TOKEN", "TOKEN", "bearer token of the workspace the suite works in"),
    Option(
        "--other-token",
        "TANGO_OTHER_TOKEN",
        "TOKEN",
        "token of a second workspace (isolation tests)",
    ),
    Option(
        "--max-examples",
        "TANGO_MAX_EXAMPLES",
        "N",
        "generated examples per operation (request budget)",
    ),
    Option(
        "--contract-profile",
        "TANGO_CONTRACT_PROFILE",
        "PROFILE",
        "default (CI), deep (nightly) or smoke (read-only, for production)",
    ),
    Option(
        "--rules",
        "TANGO_CONTRACT_RULES",
        "SOURCES",
        f"judge only rules from these sources, comma-separated: {', '.join(SOURCES)} "
        "(default: all)",
    ),
    Option(
        "--report",
        "TANGO_CONTRACT_REPORT",
        "DIR",
        "write the conformance report there: report.json and report.html",
    ),
    Option(
        "--contract-seed",
        "TANGO_CONTRACT_SEED",
        "N",
        f"data generation seed (default {DEFAULT_SEED})",
    ),
)


def add_options(parser: pytest.Parser) -> None:
    """Register the suite's options; reuse one another plugin (pytest-base-url) already added."""
    group = parser.getgroup("tango-contract", "TANGO contract suite")
    for option in OPTIONS:
        try:
            group.addoption(
                option.flag,
                default=None,
                metavar=option.metavar,
                help=f"{option.help}; env {option.env}",
            )
        except ValueError:  # e.g. pytest-base-url owns --base-url: same meaning, keep theirs
            continue


def _option(config: pytest.Config, flag: str, env: str) -> str | None:
    value = config.getoption(flag.lstrip("-").replace("-", "_"), default=None)
    if value in (None, ""):
        value = os.environ.get(env) or None
    return None if value is None else str(value)


def _positive_int(text: str | None, flag: str, default: int) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise pytest.UsageError(f"{flag} must be a whole number, got {text!r}") from None
    if value < 1:
        raise pytest.UsageError(f"{flag} must be at least 1, got {value}")
    return value


def resolve(config: pytest.Config) -> RunSettings:
    """Read the options (command line first, then environment) and check they fit together."""
    values = {option.flag: _option(config, option.flag, option.env) for option in OPTIONS}
    profile_name = values["--contract-profile"] or "default"
    if profile_name not in PROFILES:
        raise pytest.UsageError(
            f"--contract-profile must be one of {', '.join(PROFILES)}, got {profile_name!r}"
        )
    profile = PROFILES[profile_name]
    base_url = values["--base-url"]
    if base_url is not None:
        base_url = base_url.rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise pytest.UsageError(f"--base-url must start with http:// or https://: {base_url!r}")
        if values["--token"] is None:
            raise pytest.UsageError("--base-url needs --token (or TANGO_TOKEN)")
        if values["--token"] == values["--other-token"]:
            raise pytest.UsageError("--other-token must belong to a different workspace")
    try:
        rules = SOURCES if values["--rules"] is None else parse_sources(values["--rules"])
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    return RunSettings(
        base_url=base_url,
        token=values["--token"],
        other_token=values["--other-token"],
        profile=profile,
        max_examples=_positive_int(
            values["--max-examples"], "--max-examples", profile.max_examples
        ),
        seed=_positive_int(values["--contract-seed"], "--contract-seed", DEFAULT_SEED),
        run_id=secrets.token_hex(4),
        rules=rules,
        report_dir=None if values["--report"] is None else Path(values["--report"]).resolve(),
    )
