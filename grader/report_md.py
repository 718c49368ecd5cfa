"""OUT/<student>/report.md: the student's checks as a Markdown table, the total, mistakes, what did not run."""

from __future__ import annotations

import html
import re

from grader.gradebook import Run
from grader.report_text import clean, headline, mistakes, not_run, points, result_word, student_message

_MD_SPECIAL = re.compile(r"([\\`*\[\]|#])")
_LONE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def md_text(text: object) -> str:
    """Student-controlled text as inert Markdown on one line: no HTML, links, emphasis or table breaks."""
    one_line = " ".join(clean(text).split())
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(one_line, quote=False))
    return _LONE_UNDERSCORE.sub(r"\\_", escaped)


def student_markdown(run: Run) -> str:
    lines = [f"# {md_text(run.assignment)}: {md_text(run.student)}", "",
             f"**Score: {points(run.points)} / {points(run.max_points)}** ({md_text(headline(run))})", ""]
    groups = mistakes(run)
    lines += ["## Your mistakes in plain words", ""]
    if not groups:
        lines += ["Nothing to fix: every check passed.", ""]
    for group in groups:
        lines += [f"### {group.title}", ""]
        for mistake in group.mistakes:
            names = ", ".join(f"`{name}`" for name in mistake.checks)
            if len(mistake.checks) == len(run.checks) > 1:
                names = f"all {len(run.checks)} checks"
            where = f" ({names}; -{points(mistake.points)})" if mistake.checks else ""
            lines.append(f"- {md_text(mistake.sentence)}{where}")
        lines.append("")
    lines += ["## Checks", "", "| # | check | points | result | message |", "| ---: | --- | ---: | --- | --- |"]
    for number, check in enumerate(run.checks, start=1):
        name = f"`{check.name}`" + (" (hidden)" if check.visibility != "visible" else "")
        lines.append(f"| {number} | {name} | {points(check.points)} / {points(check.max_points)} | "
                     f"{result_word(check)} | {md_text(student_message(check, run))} |")
    lines += [f"| | **total** | **{points(run.points)} / {points(run.max_points)}** | | |", ""]
    problems = not_run(run)
    lines += ["## What could not be run", ""]
    lines += [f"- {md_text(line)}" for line in problems] or ["Everything ran."]
    lines.append("")
    if run.notes:
        lines += ["## Notes from the grader", ""] + [f"- {md_text(note)}" for note in run.notes] + [""]
    lines += ["---", "",
              (f"Graded {md_text(run.graded_at)} in {run.duration_s:.1f} s (device {md_text(run.device or 'n/a')}); "
               f"submission sha256 `{md_text(run.sha256[:16])}`, check suite `{md_text(run.suite_version)}`."), ""]
    return "\n".join(lines)
