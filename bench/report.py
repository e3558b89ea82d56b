"""Turn the benchmark's results into medians, target verdicts and Markdown tables."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SCENARIOS = ("list", "get", "create", "delete", "mix")
MB = 2**20


@dataclass(frozen=True)
class Target:
    """One target of issue 5 with the value measured and whether it is met."""

    name: str
    value: float | None
    limit: float
    higher_is_better: bool
    unit: str = ""

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.limit if self.higher_is_better else self.value <= self.limit

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": None if self.value is None else round(self.value, 3),
            "limit": self.limit,
            "met": self.met,
        }


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def summarise_server(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median over runs of every number of one server."""
    summary: dict[str, Any] = {
        "cold_start_s": median([r["cold_start_s"] for r in runs]),
        "idle_rss_mb": median([r["idle_rss_mb"] for r in runs]),
        "rss_after_mb": median([r["rss_after_mb"] for r in runs]),
        "bytes_per_created": median(
            [r["bytes_per_created"] for r in runs if r.get("bytes_per_created") is not None]
        )
        or None,
        "scenarios": {},
    }
    for name in SCENARIOS:
        samples = [r["scenarios"][name] for r in runs if name in r["scenarios"]]
        if samples:
            summary["scenarios"][name] = {
                field: median([s[field] for s in samples])
                for field in ("rps", "p50_ms", "p99_ms", "errors", "requests")
            }
    return summary


def paired_ratio(
    runs_a: list[dict[str, Any]], runs_b: list[dict[str, Any]], pick: Any
) -> float | None:
    """Median over runs of a/b, each pair measured in the same run (robust to drift)."""
    ratios = []
    for a, b in zip(runs_a, runs_b, strict=False):
        va, vb = pick(a), pick(b)
        if va is not None and vb:
            ratios.append(va / vb)
    return median(ratios) if ratios else None


def _rps(scenario: str) -> Any:
    def pick(run: dict[str, Any]) -> float | None:
        sample = run["scenarios"].get(scenario)
        return None if sample is None else float(sample["rps"])

    return pick


def evaluate_targets(
    servers: dict[str, list[dict[str, Any]]],
    mock: str,
    bare: str | None,
    prism: str | None,
    scale: dict[str, Any] | None,
) -> list[Target]:
    """Every target of the issue, from the same invocation's runs."""
    targets: list[Target] = []
    mock_runs = servers[mock]
    if not mock_runs:  # --runs 0: the scale runs only
        return _scale_targets(scale)
    for scenario in ("list", "get", "create"):
        if prism is not None:
            value = paired_ratio(mock_runs, servers[prism], _rps(scenario))
            targets.append(Target(f"{scenario} rps vs Prism", value, 3.0, True, "x"))
        if bare is not None:
            value = paired_ratio(mock_runs, servers[bare], _rps(scenario))
            targets.append(Target(f"{scenario} rps vs bare aiohttp", value, 0.75, True, "x"))
    if bare is not None:
        value = paired_ratio(mock_runs, servers[bare], lambda run: float(run["cold_start_s"]))
        targets.append(Target("cold start vs bare aiohttp", value, 1.3, False, "x"))
    mock_summary = summarise_server(mock_runs)
    targets.append(Target("idle RSS", mock_summary["idle_rss_mb"], 60.0, False, " MB"))
    targets.append(
        Target(
            "memory per deployment created by POST",
            mock_summary["bytes_per_created"],
            2048.0,
            False,
            " B",
        )
    )
    for scenario in ("get", "create"):
        p99 = mock_summary["scenarios"].get(scenario, {}).get("p99_ms")
        targets.append(Target(f"{scenario} p99", p99, 10.0, False, " ms"))
    return targets + _scale_targets(scale)


def _scale_targets(scale: dict[str, Any] | None) -> list[Target]:
    if scale is None:
        return []
    per_item = scale.get("bytes_per_deployment")
    targets = [Target("memory per deployment seeded from a fixture", per_item, 2048.0, False, " B")]
    for op in ("get", "delete"):
        slowdown = scale.get("slowdown", {}).get(op)
        targets.append(Target(f"{op} slowdown largest vs smallest seed", slowdown, 1.2, False, "x"))
    return targets


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return (
            "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=False)) + " |"
        )

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), separator, *(line(row) for row in rows)])


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def servers_table(summaries: dict[str, dict[str, Any]]) -> str:
    """One row per server: start, memory, and rps (p99 ms) of every scenario."""
    header = ["server", "cold start", "idle RSS", "RSS after", *SCENARIOS]
    rows = []
    for name, summary in summaries.items():
        cells = [
            name,
            f"{summary['cold_start_s']:.2f} s",
            f"{summary['idle_rss_mb']:.0f} MB",
            f"{summary['rss_after_mb']:.0f} MB",
        ]
        for scenario in SCENARIOS:
            sample = summary["scenarios"].get(scenario)
            cells.append(
                "-"
                if sample is None
                else f"{_fmt(sample['rps'])} ({sample['p50_ms']:.1f}/{sample['p99_ms']:.1f})"
                + (f" {sample['errors']:.0f} err" if sample["errors"] else "")
            )
        rows.append(cells)
    return _table(header, rows)


def scale_table(points: list[dict[str, Any]]) -> str:
    header = [
        "per workspace",
        "stored",
        "start",
        "idle RSS",
        "get rps (p99 ms)",
        "delete rps (p99 ms)",
        "list ms",
        "list us/item",
    ]
    rows = [
        [
            _fmt(p["size"]),
            _fmt(p["stored"]),
            f"{p['start_s']:.2f} s",
            f"{p['idle_rss_mb']:.0f} MB",
            f"{_fmt(p['get']['rps'])} ({p['get']['p99_ms']:.1f})",
            f"{_fmt(p['delete']['rps'])} ({p['delete']['p99_ms']:.1f})"
            + (f" {p['delete']['errors']} err" if p["delete"]["errors"] else ""),
            f"{p['list']['p50_ms']:.1f}",
            f"{p['list']['us_per_item']:.2f}",
        ]
        for p in points
    ]
    return _table(header, rows)


def targets_table(targets: list[Target]) -> str:
    rows = []
    for target in targets:
        comparison = ">=" if target.higher_is_better else "<="
        verdict = {True: "met", False: "NOT met", None: "not measured"}[target.met]
        value = "-" if target.value is None else f"{target.value:,.2f}{target.unit}"
        rows.append([target.name, value, f"{comparison} {target.limit:g}{target.unit}", verdict])
    return _table(["target", "measured", "goal", "verdict"], rows)
