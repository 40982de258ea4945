"""Report: a replay's summary as one self-contained HTML page (``validate --report``).

The page is built from the ``--summary-json`` object alone, so the two always agree: totals,
a bar chart of the most common issues (plain CSS, no script), and tables by rule, keyword,
status, call type and event. Nothing is fetched: no script, no font, no image, no link. The
summary holds no submitted value, and every text is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

__all__ = ["CHART_RULES", "render_report"]

# The chart shows this many rules; the table below it lists them all.
CHART_RULES = 10

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { text-align: left; padding: .2em .8em .2em 0; border-bottom: 1px solid #ddd;
  vertical-align: top; }
td.count, th.count { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: .92em; }
.chart { display: grid; grid-template-columns: minmax(12em, max-content) 1fr max-content;
  gap: .3em .8em; align-items: center; }
.track { background: #eee; height: 1.1em; }
.bar { background: #c0392b; height: 100%; }
.bar.warning { background: #d68910; }
.totals td.count { font-weight: 600; }
.places { color: #555; font-size: .9em; }
"""


def _count(value: int) -> str:
    return f'<td class="count">{value:,}</td>'


def _table(
    ident: str, heading: str, label: str, counts: Mapping[str, int], unit: str = "messages"
) -> str:
    rows = "".join(
        f"<tr><td>{escape(name)}</td>{_count(count)}</tr>" for name, count in counts.items()
    )
    if not rows:
        rows = '<tr><td colspan="2">none</td></tr>'
    return (
        f"<h2>{escape(heading)}</h2>\n"
        f'<table id="{ident}"><thead><tr><th>{escape(label)}</th>'
        f'<th class="count">{unit}</th></tr></thead><tbody>{rows}</tbody></table>\n'
    )


def _rule_label(rule: Mapping[str, Any]) -> str:
    return f"{rule['keyword']} at {rule['json_path']}"


def _chart(rules: Iterable[Mapping[str, Any]]) -> str:
    shown = list(rules)[:CHART_RULES]
    if not shown:
        return '<p id="chart">No issue.</p>\n'
    top = max(rule["count"] for rule in shown)
    cells = []
    for rule in shown:
        width = 100.0 * rule["count"] / top
        label = escape(_rule_label(rule))
        cells.append(
            f'<div class="label"><code>{label}</code></div>'
            f'<div class="track"><div class="bar {escape(rule["severity"])}"'
            f' style="width: {width:.1f}%"></div></div>'
            f'<div class="count">{rule["count"]:,}</div>'
        )
    return f'<div id="chart" class="chart">{"".join(cells)}</div>\n'


def _rules(rules: Iterable[Mapping[str, Any]]) -> str:
    rows = []
    for rule in rules:
        places = ", ".join(
            f"{escape(place['file'])}:{place['line']} <code>{escape(place['json_path'])}</code>"
            for place in rule["first"]
        )
        rows.append(
            f"<tr><td><code>{escape(rule['keyword'])}</code></td>"
            f"<td>{escape(rule['severity'])}</td>"
            f"<td><code>{escape(rule['json_path'])}</code></td>"
            f'{_count(rule["count"])}<td class="places">{places}</td></tr>'
        )
    body = "".join(rows) or '<tr><td colspan="5">none</td></tr>'
    return (
        "<h2>Issues by rule</h2>\n"
        '<table id="by_rule"><thead><tr><th>keyword</th><th>severity</th><th>path</th>'
        '<th class="count">issues</th><th>first places</th></tr></thead>'
        f"<tbody>{body}</tbody></table>\n"
    )


def render_report(summary: Mapping[str, Any]) -> str:
    """The HTML page of a summary (``Summary.as_json()``'s object).

    >>> page = render_report({"messages": 2, "accepted": 1, "accepted_with_warnings": 0,
    ...     "rejected": 1, "files": 1, "unreadable": [], "by_status": {"400": 1},
    ...     "by_call": {"group": 2}, "by_event": {}, "by_keyword": {"required": 1},
    ...     "by_rule": [{"keyword": "required", "severity": "error", "json_path": "$.group_id",
    ...         "count": 1, "first": [{"file": "a", "line": 2, "json_path": "$.group_id"}]}]})
    >>> page.startswith("<!DOCTYPE html>"), "required at $.group_id" in page
    (True, True)
    """
    totals = [
        ("messages", summary["messages"]),
        ("accepted", summary["accepted"]),
        ("accepted with warnings", summary["accepted_with_warnings"]),
        ("rejected", summary["rejected"]),
    ]
    total_rows = "".join(f"<tr><th>{name}</th>{_count(value)}</tr>" for name, value in totals)
    unreadable = "".join(
        f"<li>{escape(item['file'])}: {escape(item['reason'])}</li>"
        for item in summary.get("unreadable", ())
    )
    files = summary.get("files", 0)
    parts = [
        "<!DOCTYPE html>\n",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>segment-spec replay report</title>",
        f"<style>{_STYLE}</style></head><body>\n",
        "<h1>Replay report</h1>\n",
        f'<p id="files">{files:,} file(s) read by <code>segment-spec validate</code>.'
        " Counts only: no submitted value appears here; a custom event is counted as"
        " “(custom event)”.</p>\n",
        f'<table id="totals" class="totals"><tbody>{total_rows}</tbody></table>\n',
    ]
    if unreadable:
        parts.append(
            f'<h2>Files not read to their end</h2>\n<ul id="unreadable">{unreadable}</ul>\n'
        )
    parts += [
        "<h2>Most common issues</h2>\n",
        _chart(summary["by_rule"]),
        _rules(summary["by_rule"]),
        _table("by_keyword", "Issues by keyword", "keyword", summary["by_keyword"], "issues"),
        _table("by_status", "Rejections by status", "status", summary["by_status"]),
        _table("by_call", "Messages by call type", "call type", summary["by_call"]),
        _table("by_event", "Track calls by event", "event", summary["by_event"]),
        "</body></html>\n",
    ]
    return "".join(parts)
