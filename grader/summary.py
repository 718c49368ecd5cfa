"""OUT/summary.md and OUT/summary.html: the class at a glance, for TAs and instructors.

Score distribution, pass rate per check (which concepts the class missed), the submissions that
could not be graded or had checks that could not run, and the slowest submissions. TA-facing:
hidden checks appear with their real messages.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from urllib.parse import quote

from grader import svg
from grader.gradebook import Run
from grader.report_html import badge, esc, page
from grader.report_md import md_text
from grader.report_text import points, which_checks

BINS = 10
SLOWEST = 5


@dataclass(frozen=True)
class CheckRate:
    name: str
    max_points: float
    visibility: str
    passed: int
    failed: int
    errors: int

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


def check_rates(runs: list[Run]) -> list[CheckRate]:
    """Per check, in the suite's order, over the runs that were graded (ungradable input excluded)."""
    order: dict[str, CheckRate] = {}
    for run in runs:
        if run.status != "graded":
            continue
        for check in run.checks:
            old = order.get(check.name) or CheckRate(check.name, check.max_points, check.visibility, 0, 0, 0)
            order[check.name] = CheckRate(old.name, old.max_points, old.visibility,
                                          old.passed + (check.status == "passed"),
                                          old.failed + (check.status == "failed"),
                                          old.errors + (check.status not in ("passed", "failed")))
    return list(order.values())


def distribution(runs: list[Run]) -> tuple[list[float], list[int]]:
    """Counts of scores in BINS bins of equal share of the maximum (percent edges; the last bin closed)."""
    edges = [100 * i / BINS for i in range(BINS + 1)]
    counts = [0] * BINS
    for run in runs:
        share = 100 * run.points / run.max_points if run.max_points > 0 else 0.0
        counts[min(BINS - 1, max(0, int(share * BINS / 100 + 1e-9)))] += 1
    return edges, counts


def problems(runs: list[Run]) -> list[tuple[Run, str]]:
    """Submissions not graded (bad input, grading process failure) or with checks that could not run."""
    found = []
    for run in runs:
        if run.status != "graded":
            found.append((run, run.problem or "no reason recorded"))
            continue
        errored: dict[str, list[str]] = {}
        for check in run.checks:
            if check.status not in ("passed", "failed"):
                errored.setdefault(check.message or "no reason recorded", []).append(check.name)
        if run.problem:
            found.append((run, run.problem))
        elif errored:
            found.append((run, "; ".join(f"{which_checks(names, len(run.checks))} could not run: {message}"
                                         for message, names in errored.items())))
    return found


def _status(run: Run) -> str:
    return "checks not run" if run.status == "graded" else run.status


def slowest(runs: list[Run]) -> list[Run]:
    return sorted(runs, key=lambda r: (-r.duration_s, r.student))[:SLOWEST]


def _stats(runs: list[Run]) -> str:
    if not runs:
        return "No submissions in the gradebook."
    scores = [r.points for r in runs]
    graded = sum(r.status == "graded" for r in runs)
    return (f"{len(runs)} submission(s): mean {statistics.fmean(scores):.1f} / {points(runs[0].max_points)}, "
            f"median {statistics.median(scores):g}, min {min(scores):g}, max {max(scores):g}; "
            f"{sum(r.points >= r.max_points > 0 for r in runs)} at full marks; {graded} graded, "
            f"{len(runs) - graded} not gradable.")


def _missed(rates: list[CheckRate]) -> list[CheckRate]:
    return sorted((r for r in rates if r.rate < 1), key=lambda r: (r.rate, r.name))[:3]


def summary_markdown(runs: list[Run], assignment: str) -> str:
    lines = [f"# {md_text(assignment)}: class summary", "", md_text(_stats(runs)), "", "## Score distribution", "",
             "```text"]
    edges, counts = distribution(runs)
    widest = max(counts, default=0) or 1
    for i, count in enumerate(counts):
        bar = "#" * round(30 * count / widest)
        closing = "]" if i == BINS - 1 else ")"
        lines.append(f"[{edges[i]:3.0f}%, {edges[i + 1]:3.0f}%{closing} {bar:<30} {count}")
    lines += ["```", ""]
    rates = check_rates(runs)
    graded = sum(r.status == "graded" for r in runs)
    lines += ["## Pass rate per check", "", f"Over the {graded} graded submission(s), in the suite's order.", ""]
    missed = _missed(rates)
    if missed:
        lines += ["Most missed: " + ", ".join(f"`{r.name}` ({100 * r.rate:.0f}%)" for r in missed) + ".", ""]
    lines += ["| check | points | passed | failed | could not run | pass rate |", "| --- | ---: | ---: | ---: | ---: | --- |"]
    for r in rates:
        hidden = " (hidden)" if r.visibility != "visible" else ""
        bar = "#" * round(10 * r.rate) + "." * (10 - round(10 * r.rate))
        lines.append(f"| `{r.name}`{hidden} | {points(r.max_points)} | {r.passed} | {r.failed} | {r.errors} | "
                     f"`{bar}` {100 * r.rate:.0f}% |")
    lines += ["", "## Could not be graded, or checks that could not run", ""]
    found = problems(runs)
    if found:
        lines += ["| student | status | points | why |", "| --- | --- | ---: | --- |"]
        lines += [f"| {md_text(run.student)} | {md_text(_status(run))} | {points(run.points)} | {md_text(why)} |"
                  for run, why in found]
    else:
        lines.append("Every submission was graded and every check ran.")
    lines += ["", "## Slowest submissions", "", "| student | duration | points |", "| --- | ---: | ---: |"]
    lines += [f"| {md_text(run.student)} | {run.duration_s:.1f} s | {points(run.points)} |" for run in slowest(runs)]
    lines += ["", "## Every submission", "", "| student | points | status | report |", "| --- | ---: | --- | --- |"]
    lines += [f"| {md_text(run.student)} | {points(run.points)} / {points(run.max_points)} | {md_text(run.status)} | "
              f"[report]({quote(run.student)}/report.md) |" for run in runs]
    lines.append("")
    return "\n".join(lines)


def summary_html(runs: list[Run], assignment: str) -> str:
    edges, counts = distribution(runs)
    chart = svg.count_histogram(edges, counts, title="score distribution", x_title="score (% of the points)")
    body = [(f'<section class="card"><h1>{esc(assignment)}: class summary</h1><p>{esc(_stats(runs))}</p>'
             f'<figure>{chart}<figcaption>Submissions per tenth of the points (the last bar includes full marks).'
             "</figcaption></figure></section>\n")]
    rates = check_rates(runs)
    graded = sum(r.status == "graded" for r in runs)
    missed = _missed(rates)
    missed_html = ("<p>Most missed: " + ", ".join(f"<code>{esc(r.name)}</code> ({100 * r.rate:.0f}%)" for r in missed)
                   + ".</p>") if missed else ""
    hidden = ' <span class="badge hidden">hidden</span>'
    rows = "".join(
        f'<tr><td><code>{esc(r.name)}</code>{hidden if r.visibility != "visible" else ""}</td>'
        f'<td class="num">{r.passed}/{r.total}</td><td><div class="rate" title="{100 * r.rate:.0f}%">'
        f'<span style="width:{100 * r.rate:.1f}%"></span></div></td><td class="num">{100 * r.rate:.0f}%</td></tr>'
        for r in rates)
    body.append(f'<section class="card"><h2>Pass rate per check</h2><p class="muted">Over the {graded} graded '
                f"submission(s), in the suite's order.</p>{missed_html}<div class=\"wrap\"><table><thead><tr>"
                '<th>check</th><th class="num">passed</th><th>pass rate</th><th class="num">%</th></tr></thead>'
                f"<tbody>{rows}</tbody></table></div></section>\n")
    found = problems(runs)
    if found:
        items = "".join(f'<tr><td>{esc(run.student)}</td><td>{badge("error", _status(run))}</td>'
                        f'<td><span class="msg">{esc(why)}</span></td></tr>' for run, why in found)
        problems_html = ("<div class=\"wrap\"><table><thead><tr><th>student</th><th>status</th><th>why</th></tr>"
                         f"</thead><tbody>{items}</tbody></table></div>")
    else:
        problems_html = "<p>Every submission was graded and every check ran.</p>"
    body.append('<section class="card"><h2>Could not be graded, or checks that could not run</h2>'
                f"{problems_html}</section>\n")
    slow = "".join(f'<tr><td>{esc(run.student)}</td><td class="num">{run.duration_s:.1f} s</td>'
                   f'<td class="num">{esc(points(run.points))}</td></tr>' for run in slowest(runs))
    body.append('<section class="card"><h2>Slowest submissions</h2><div class="wrap"><table><thead><tr>'
                '<th>student</th><th class="num">duration</th><th class="num">points</th></tr></thead>'
                f"<tbody>{slow}</tbody></table></div></section>\n")
    every = "".join(
        f'<tr><td><a href="{esc(quote(run.student))}/report.html">{esc(run.student)}</a></td>'
        f'<td class="num">{esc(points(run.points))}/{esc(points(run.max_points))}</td>'
        f'<td>{badge("passed" if run.status == "graded" else "error", run.status)}</td></tr>' for run in runs)
    body.append('<section class="card"><h2>Every submission</h2><div class="wrap"><table><thead><tr>'
                '<th>student</th><th class="num">points</th><th>status</th></tr></thead>'
                f"<tbody>{every}</tbody></table></div></section>\n")
    return page(f"{assignment}: class summary", "".join(body))
