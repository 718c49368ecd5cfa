"""OUT/<student>/report.html: one self-contained page (inline CSS and SVG, no JavaScript, no URLs).

Readable on a phone: a single column that widens on larger screens, tables that scroll sideways
rather than overflow, charts that scale to the page. Every piece of text from the gradebook goes
through `esc` (student exception text reaches the messages).
"""

from __future__ import annotations

import functools
import html
from typing import Any

from grader.gradebook import Run
from grader.report_text import (
    clean,
    headline,
    is_hidden,
    mistakes,
    not_run,
    points,
    public_description,
    result_word,
    student_message,
)

CSS = """
*{box-sizing:border-box}
body{margin:0;background:#eef1f5;color:#1d2430;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Noto Sans","Noto Sans KR",sans-serif;-webkit-text-size-adjust:100%}
main{max-width:940px;margin:0 auto;padding:10px}
.card{background:#fff;border-radius:10px;padding:12px 14px;margin:0 0 12px;box-shadow:0 1px 3px rgba(0,0,0,.09)}
h1{font-size:1.3rem;margin:0 0 4px;overflow-wrap:anywhere}h2{font-size:1.1rem;margin:0 0 8px}
h3{font-size:.98rem;margin:10px 0 4px}
p{margin:6px 0}ul{margin:4px 0 6px;padding-left:20px}li{margin:3px 0}
code{font:.88em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f1f3f7;border-radius:4px;
padding:0 3px;overflow-wrap:anywhere}
.score{font-size:2.1rem;font-weight:700;line-height:1.1}.score small{font-size:1rem;color:#5b6472;font-weight:600}
.meter{height:10px;background:#e4e8ee;border-radius:99px;overflow:hidden;margin:8px 0}
.meter span{display:block;height:100%;background:#2f9e5b}
.muted,.meta{color:#5b6472;font-size:.85rem}.meta{overflow-wrap:anywhere}
.badge{display:inline-block;padding:0 7px;border-radius:99px;font-size:.78rem;font-weight:700;white-space:nowrap}
.pass{background:#e1f3e7;color:#1d6b36}.fail{background:#fde5e2;color:#a3261a}.error{background:#fff0d1;color:#875400}
.hidden{background:#ece8fb;color:#4b3a99}
.wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%}
th,td{padding:6px 5px;border-bottom:1px solid #e6e9ef;text-align:left;vertical-align:top}
th{font-size:.8rem;color:#5b6472;font-weight:600}
.num{text-align:right;white-space:nowrap}
.msg{display:block;font-size:.88rem;color:#3b4350;margin-top:2px;overflow-wrap:anywhere}
.lost{color:#a3261a;font-weight:600;white-space:nowrap}
.figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(290px,1fr));gap:10px 14px}
figure{margin:0}figcaption{font-size:.85rem;color:#3b4350;margin-top:2px}
svg.chart{display:block;width:100%;height:auto;max-width:560px}
svg.chart text.axis{fill:#3b4350}
.legend{font-size:.82rem;color:#3b4350;display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 0 2px}
.key{display:inline-block;width:16px;height:4px;vertical-align:middle;margin-right:5px;border-radius:2px}
.key.bar{height:10px;width:12px;background:#8fb3dc}.key.uni{background:#d9822b}.key.nor{background:#238b45}
.key.bnd{background:repeating-linear-gradient(90deg,#c0392b 0 4px,transparent 4px 7px)}
table.cm{width:auto;margin:0 auto;font-size:11px;font-variant-numeric:tabular-nums}
table.cm th,table.cm td{padding:3px 1px;min-width:28px;text-align:center;border:1px solid #fff}
table.cm th{font-size:11px}
.rate{background:#e4e8ee;border-radius:4px;height:12px;min-width:60px;overflow:hidden}
.rate span{display:block;height:100%;background:#2f5d9a}
@media (min-width:700px){main{padding:18px}.card{padding:16px 20px}}
"""


def esc(text: object) -> str:
    return html.escape(clean(text), quote=True)


def page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}</main>\n"
            "</body>\n</html>\n")


def badge(check_status: str, text: str) -> str:
    kind = {"passed": "pass", "failed": "fail"}.get(check_status, "error")
    return f'<span class="badge {kind}">{esc(text)}</span>'


def student_html(run: Run) -> str:
    parts = [_header(run), _mistakes(run), _not_run(run), _checks(run), _figures(run), _footer(run)]
    return page(f"{run.student}: {run.assignment} report", "".join(p for p in parts if p))


def _header(run: Run) -> str:
    share = 100 * run.points / run.max_points if run.max_points > 0 else 0.0
    status = "" if run.status == "graded" else f' {badge("error", run.status)}'
    return (f'<section class="card"><h1>{esc(run.student)}</h1><p class="muted">{esc(run.assignment)}{status}</p>'
            f'<div class="score">{esc(points(run.points))} <small>/ {esc(points(run.max_points))} points</small>'
            f'</div><div class="meter" role="img" aria-label="{share:.0f} percent of the points">'
            f'<span style="width:{share:.1f}%"></span></div><p>{esc(headline(run))}</p></section>\n')


def _mistakes(run: Run) -> str:
    groups = mistakes(run)
    if not groups:
        return ('<section class="card"><h2>Your mistakes in plain words</h2>'
                "<p>Nothing to fix: every check passed.</p></section>\n")
    out = ['<section class="card"><h2>Your mistakes in plain words</h2>']
    for group in groups:
        out.append(f"<h3>{esc(group.title)}</h3><ul>")
        for mistake in group.mistakes:
            names = ", ".join(f"<code>{esc(n)}</code>" for n in mistake.checks)
            if len(mistake.checks) == len(run.checks) > 1:
                names = f"all {len(run.checks)} checks"
            where = f' <span class="muted">({names})</span>' if mistake.checks else ""
            out.append(f'<li>{esc(mistake.sentence)}{where} <span class="lost">&minus;{esc(points(mistake.points))}'
                       "</span></li>")
        out.append("</ul>")
    out.append("</section>\n")
    return "".join(out)


def _not_run(run: Run) -> str:
    lines = not_run(run)
    if not lines:
        return ""
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    return f'<section class="card"><h2>What could not be run</h2><ul>{items}</ul></section>\n'


def _checks(run: Run) -> str:
    rows = []
    for number, check in enumerate(run.checks, start=1):
        hidden = ' <span class="badge hidden">hidden</span>' if is_hidden(check) else ""
        message = student_message(check, run)
        detail = message if message else public_description(check)
        rows.append(f'<tr><td class="num">{number}</td><td><code>{esc(check.name)}</code>{hidden}'
                    f'<span class="msg">{esc(detail)}</span></td>'
                    f'<td class="num">{esc(points(check.points))}/{esc(points(check.max_points))}</td>'
                    f"<td>{badge(check.status, result_word(check))}</td></tr>")
    rows.append(f'<tr><td></td><th>total</th><th class="num">{esc(points(run.points))}/'
                f"{esc(points(run.max_points))}</th><td></td></tr>")
    return ('<section class="card"><h2>Checks</h2><div class="wrap"><table><thead><tr><th class="num">#</th>'
            '<th>check</th><th class="num">points</th><th>result</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table></div></section>\n")


def _figures(run: Run) -> str:
    """The figures the assignment draws (checks/<a>/report.py `figures`) from the run's data."""
    extras: dict[str, Any] = run.extras if isinstance(run.extras, dict) else {}
    draw = getattr(assignment_report(run.assignment), "figures", None)
    sections = [section for section in (draw(extras) if callable(draw) else []) if section]
    if not sections:
        return ('<section class="card"><h2>Figures</h2><p>No figures for this submission: the grader had no data '
                "to draw from your code's results.</p></section>\n")
    return "".join(sections)


@functools.cache
def assignment_report(name: str) -> object | None:
    """The assignment's report.py, where the course repository has one (None for a gradebook of another's)."""
    from grader.assignment import DEFAULT_CHECKS
    from grader.suite import import_report

    return import_report(DEFAULT_CHECKS / name) if name.isidentifier() else None


def _footer(run: Run) -> str:
    notes = "".join(f"<li>{esc(note)}</li>" for note in run.notes)
    notes_html = f"<h2>Notes from the grader</h2><ul>{notes}</ul>" if notes else ""
    return (f'<section class="card">{notes_html}<p class="meta">Graded {esc(run.graded_at)} in '
            f"{run.duration_s:.1f} s (device {esc(run.device or 'n/a')}). Submission sha256 "
            f"<code>{esc(run.sha256)}</code>; check suite <code>{esc(run.suite_version)}</code>.</p></section>\n")


def _num(value: object, digits: int) -> str:
    try:
        return f"{float(value):.{digits}f}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "?"
