"""`report.html`: the report as one self-contained page (inline CSS and JS, no network).

A person opens it from CI artifacts: the verdict first, then which operations and documented
answers were exercised, then every rule grouped by where it comes from, failures open.
Rendered from the report's JSON data only, every value escaped.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from mock_server.contract.rule_ids import SOURCE_TITLES, SOURCES

VERDICT_ORDER = {"fail": 0, "pass": 1, "skipped": 2}
BANNERS = {
    "kept": ("Contract kept", "The server keeps every rule this run judged."),
    "broken": ("Contract broken", "The server breaks at least one rule: see the failures below."),
    "not run": ("Not run", "The run stopped before its tests."),
}

CSS = """
:root { --ok: #1a7f37; --ok-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9;
  --skip: #7d4e00; --skip-bg: #fff8c5; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --paper: #ffffff; --page: #f6f8fa; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas,
  monospace; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink); line-height: 1.5;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
.wrap { max-width: 1180px; margin: 0 auto; padding: 0 28px; }
header.banner { color: #fff; padding: 26px 0 22px; }
header.kept { background: linear-gradient(120deg, #116329, #1a7f37); }
header.broken { background: linear-gradient(120deg, #a40e26, #cf222e); }
header.notrun { background: linear-gradient(120deg, #424a53, #6e7781); }
.verdict { font-size: 32px; font-weight: 700; letter-spacing: -0.02em; margin: 0; }
.verdict .mark { display: inline-block; width: 1.1em; }
.lede { margin: 4px 0 14px; opacity: 0.92; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 22px; font-size: 14px; opacity: 0.95; }
.meta b { font-weight: 600; }
.meta code { font-family: var(--mono); font-size: 13px; }
.stats { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 18px; }
.stat { background: rgba(255,255,255,0.14); border: 1px solid rgba(255,255,255,0.25);
  border-radius: 10px; padding: 8px 14px; min-width: 120px; }
.stat .n { font-size: 22px; font-weight: 700; display: block; }
.stat .l { font-size: 12.5px; opacity: 0.9; }
.broken-list { margin-top: 14px; font-size: 14px; font-weight: 600; }
.broken-list a { color: #fff; font-family: var(--mono); font-size: 13.5px; }
.stopped { margin-top: 14px; background: rgba(0,0,0,0.18); border-radius: 8px;
  padding: 8px 12px; font-family: var(--mono); font-size: 13px; }
main section { background: var(--paper); border: 1px solid var(--line); border-radius: 12px;
  margin: 22px 0; padding: 20px 24px; }
h2 { font-size: 19px; margin: 0 0 4px; }
.hint { color: var(--muted); margin: 0 0 14px; font-size: 14px; }
table.matrix { border-collapse: separate; border-spacing: 3px; }
.matrix th.op { padding-right: 14px; }
.matrix th { font-weight: 600; font-size: 13px; color: var(--muted); padding: 4px 2px;
  text-align: center; }
.matrix th.op { text-align: left; color: var(--ink); white-space: nowrap; }
.matrix th.op small { display: block; color: var(--muted); font-weight: 400;
  font-family: var(--mono); font-size: 12px; }
.scroll { overflow-x: auto; }
.matrix td { text-align: center; border-radius: 6px; height: 40px; min-width: 38px;
  font-variant-numeric: tabular-nums; font-size: 13.5px; }
td.hit { background: rgba(26,127,55,var(--a)); color: #0b3d1a; font-weight: 600; }
td.hit.strong { color: #fff; }
td.missed { background: repeating-linear-gradient(45deg, #f6f8fa, #f6f8fa 5px,
  #eaeef2 5px, #eaeef2 10px); color: var(--muted); }
td.na { color: #c4cbd2; }
td.undocumented { background: var(--bad); color: #fff; font-weight: 700; }
td.total { color: var(--muted); font-size: 13px; }
.legend { display: flex; flex-wrap: wrap; gap: 16px; margin-top: 12px; font-size: 13px;
  color: var(--muted); }
.legend span::before { content: ""; display: inline-block; width: 14px; height: 14px;
  border-radius: 4px; vertical-align: -2px; margin-right: 6px; }
.legend .l-hit::before { background: rgba(26,127,55,0.55); }
.legend .l-missed::before { background: repeating-linear-gradient(45deg, #f6f8fa, #f6f8fa 3px,
  #d1d9e0 3px, #d1d9e0 6px); }
.legend .l-undoc::before { background: var(--bad); }
.other { margin-top: 10px; font-size: 13px; color: var(--muted); }
.filters { display: flex; gap: 8px; margin: 0 0 8px; flex-wrap: wrap; }
.filters button { font: inherit; font-size: 13px; border: 1px solid var(--line);
  background: var(--page); border-radius: 999px; padding: 4px 12px; cursor: pointer; }
.filters button[aria-pressed="true"] { background: var(--ink); color: #fff;
  border-color: var(--ink); }
h3 { font-size: 16px; margin: 22px 0 8px; display: flex; align-items: baseline; gap: 10px; }
h3 .counts { font-weight: 400; font-size: 13px; color: var(--muted); }
.rule { display: grid; grid-template-columns: 78px 1fr; gap: 1px 14px; padding: 9px 4px;
  border-top: 1px solid #eaeef2; }
.rule > :not(.pill) { grid-column: 2; }
.pill { grid-row: 1 / span 3; align-self: start; margin-top: 2px; text-align: center;
  border-radius: 999px;
  font-size: 12px; font-weight: 700; padding: 2px 0; text-transform: uppercase;
  letter-spacing: 0.04em; }
.rule.pass .pill { background: var(--ok-bg); color: var(--ok); }
.rule.fail .pill { background: var(--bad-bg); color: var(--bad); }
.rule.skipped .pill { background: var(--skip-bg); color: var(--skip); }
.rule .id { font-family: var(--mono); font-size: 13.5px; font-weight: 600; }
.rule .statement { color: var(--ink); }
.rule .where, .rule .reason { color: var(--muted); font-size: 13px; }
.rule.fail { background: linear-gradient(90deg, #fff5f5, transparent 60%); }
details { grid-column: 2; margin-top: 6px; }
summary { cursor: pointer; color: var(--bad); font-weight: 600; font-size: 13.5px; }
pre { background: #0d1117; color: #e6edf3; border-radius: 8px; padding: 12px 14px;
  overflow-x: auto; font: 12.5px/1.45 var(--mono); white-space: pre-wrap;
  word-break: break-word; margin: 8px 0 0; }
body[data-filter="fail"] .rule:not(.fail), body[data-filter="pass"] .rule:not(.pass),
body[data-filter="skipped"] .rule:not(.skipped) { display: none; }
footer { color: var(--muted); font-size: 13px; padding: 6px 0 30px; }
"""

SCRIPT = """
document.querySelectorAll('.filters button').forEach(function (button) {
  button.addEventListener('click', function () {
    document.body.dataset.filter = button.dataset.show;
    document.querySelectorAll('.filters button').forEach(function (other) {
      other.setAttribute('aria-pressed', String(other === button));
    });
  });
});
"""


def _numeric(code: str) -> tuple[int, str]:
    return (int(code), code) if code.isdigit() else (10_000, code)


def _banner(report: dict[str, Any]) -> str:
    verdict = report["verdict"]
    title, lede = BANNERS.get(verdict, BANNERS["not run"])
    css = {"kept": "kept", "broken": "broken"}.get(verdict, "notrun")
    mark = {"kept": "&#10003;", "broken": "&#10007;"}.get(verdict, "&#8226;")
    rules = report["summary"]["rules"]
    if verdict == "kept" and rules.get("skipped"):
        lede += f" {rules['skipped']} rules were not judged: see Skipped below."
    writes = report["writes"]
    target = "this project's mock, started by the run" if report["local_mock"] else "server"
    deleted = writes["deleted_by_tests"] + writes["deleted_in_cleanup"]
    written = f"{writes['created']} created, {deleted} deleted"
    if report["read_only"]:
        written = f"read-only run: {written}"
    stats = [
        (rules.get("pass", 0), "rules held"),
        (rules.get("fail", 0), "rules broken"),
        (rules.get("skipped", 0), "rules skipped"),
        (report["summary"]["requests"], "HTTP requests"),
        (written, "deployments"),
    ]
    stat_html = "".join(
        f'<div class="stat"><span class="n">{escape(str(n))}</span>'
        f'<span class="l">{escape(label)}</span></div>'
        for n, label in stats
    )
    selected = ", ".join(report["rules_selected"])
    meta = [
        f"<span><b>{escape(target)}</b> <code>{escape(report['server'])}</code></span>",
        f"<span><b>profile</b> {escape(report['profile'])}</span>",
        f"<span><b>seed</b> {report['seed']}</span>",
        f"<span><b>rules from</b> {escape(selected)}</span>",
        f"<span><b>started</b> {escape(report['started_at'])}, "
        f"{report['duration_seconds']} s</span>",
    ]
    stopped = report.get("stopped")
    stopped_html = f'<div class="stopped">{escape(stopped)}</div>' if stopped else ""
    failed = [rule["id"] for rule in report["rules"] if rule["verdict"] == "fail"]
    if failed:
        links = ", ".join(f'<a href="#rule-{escape(i)}">{escape(i)}</a>' for i in failed)
        stopped_html += f'<div class="broken-list">Broken: {links}</div>'

    return (
        f'<header class="banner {css}"><div class="wrap">'
        f'<p class="verdict"><span class="mark">{mark}</span>{escape(title)}</p>'
        f'<p class="lede">{escape(lede)}</p><div class="meta">{"".join(meta)}</div>'
        f'<div class="stats">{stat_html}</div>{stopped_html}</div></header>'
    )


def _cell(operation: dict[str, Any], code: str, peak: int) -> str:
    documented = operation["status_codes"]
    undocumented = operation["undocumented_status_codes"]
    if code in undocumented:
        times = undocumented[code]
        return (
            f'<td class="undocumented" data-code="{escape(code)}" '
            f'title="{times} answers with {escape(code)}: not documented">{times}</td>'
        )
    if code not in documented:
        return '<td class="na" title="not documented for this operation">&middot;</td>'
    times = documented[code]
    if not times:
        return (
            f'<td class="missed" data-code="{escape(code)}" title="documented, never seen">0</td>'
        )
    share = math.log1p(times) / math.log1p(max(peak, 1))
    alpha = 0.18 + 0.72 * share
    strong = " strong" if alpha > 0.6 else ""
    return (
        f'<td class="hit{strong}" data-code="{escape(code)}" style="--a:{alpha:.2f}" '
        f'title="{times} answers with {escape(code)}">{times}</td>'
    )


def _matrix(report: dict[str, Any]) -> str:
    ops = report["operations"]
    codes = sorted(
        {
            code
            for op in ops.values()
            for code in [*op["status_codes"], *op["undocumented_status_codes"]]
        },
        key=_numeric,
    )
    peak = max([times for op in ops.values() for times in op["status_codes"].values()] or [1])
    head = "".join(f"<th>{escape(code)}</th>" for code in codes)
    rows = []
    for operation_id, op in ops.items():
        cells = "".join(_cell(op, code, peak) for code in codes)
        rows.append(
            f'<tr data-operation="{escape(operation_id)}"><th class="op">{escape(operation_id)}'
            f"<small>{escape(op['method'])} {escape(op['path'])}</small></th>{cells}"
            f'<td class="total">{op["requests"]}</td></tr>'
        )
    other = report["other_requests"]
    other_html = ""
    if other["requests"]:
        seen = ", ".join(f"{escape(code)} &times; {n}" for code, n in other["status_codes"].items())
        other_html = (
            f'<p class="other">{other["requests"]} requests addressed no operation of the spec '
            f"(methods a path lacks, unknown paths): {seen}</p>"
        )
    return (
        '<section id="coverage"><h2>Coverage: operations &times; status codes</h2>'
        '<p class="hint">Every request the run sent, by the operation it addressed and the '
        "status that came back. Columns are the codes openapi.yaml documents.</p>"
        f'<div class="scroll"><table class="matrix"><thead><tr><th class="op">operation</th>'
        f"{head}<th>requests</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        '<div class="legend"><span class="l-hit">seen (darker: more often)</span>'
        '<span class="l-missed">documented, never seen</span>'
        '<span class="l-undoc">seen, not documented</span><span>&middot; not documented for '
        f"the operation</span></div>{other_html}</section>"
    )


def _rule(rule: dict[str, Any]) -> str:
    verdict = rule["verdict"]
    label = {"pass": "held", "fail": "broken", "skipped": "skipped"}[verdict]
    extra = ""
    if verdict == "fail":
        failures = "".join(f"<pre>{escape(text)}</pre>" for text in rule.get("failures", []))
        count = rule.get("failed_checks", 1)
        extra = (
            f"<details open><summary>{count} failed check{'s' if count != 1 else ''}"
            f"</summary>{failures}</details>"
        )
    if verdict == "skipped":
        note = f" &middot; skipped: {escape(rule.get('reason', ''))}"
    else:
        checks = rule["checks"]
        note = f" &middot; {checks} check{'s' if checks != 1 else ''}"
    return (
        f'<div class="rule {verdict}" id="rule-{escape(rule["id"])}" '
        f'data-rule="{escape(rule["id"])}">'
        f'<span class="pill">{label}</span><span class="id">{escape(rule["id"])}</span>'
        f'<span class="statement">{escape(rule["statement"])}</span>'
        f'<span class="where">{escape(rule["where"])}{note}</span>{extra}</div>'
    )


def _rules(report: dict[str, Any]) -> str:
    groups = []
    for source in SOURCES:
        rules = [rule for rule in report["rules"] if rule["source"] == source]
        rules.sort(key=lambda rule: VERDICT_ORDER[rule["verdict"]])
        counts = {verdict: sum(r["verdict"] == verdict for r in rules) for verdict in VERDICT_ORDER}
        summary = f"{counts['pass']} held, {counts['fail']} broken, {counts['skipped']} skipped"
        groups.append(
            f'<h3 id="source-{source}">{escape(SOURCE_TITLES[source])} '
            f'<span class="counts">{escape(source)} &middot; {summary}</span></h3>'
            + "".join(_rule(rule) for rule in rules)
        )
    buttons = "".join(
        f'<button type="button" data-show="{show}" aria-pressed="{str(show == "all").lower()}">'
        f"{label}</button>"
        for show, label in (
            ("all", "All rules"),
            ("fail", "Broken"),
            ("pass", "Held"),
            ("skipped", "Skipped"),
        )
    )
    return (
        '<section id="rules"><h2>Rules</h2><p class="hint">Each rule with where it comes from. '
        "Curl lines show tokens as <code>$TANGO_TOKEN</code> / <code>$TANGO_OTHER_TOKEN</code>: "
        f'set them and paste.</p><div class="filters">{buttons}</div>{"".join(groups)}</section>'
    )


def render_html(report: dict[str, Any]) -> str:
    """The whole page for `report` (the data of report.json)."""
    title = f"TANGO contract: {report['verdict']} - {report['server']}"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f'<body data-filter="all">{_banner(report)}<main class="wrap">{_matrix(report)}'
        f'{_rules(report)}</main><footer class="wrap">{escape(report["tool"])} &middot; '
        f"key prefix <code>{escape(report['key_prefix'])}</code> &middot; report format "
        f"{report['format']}</footer><script>{SCRIPT}</script></body></html>\n"
    )
