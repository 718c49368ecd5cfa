"""GitHub Actions output: workflow-command annotations on the student's lines and a Markdown summary.

See GitHub's "workflow commands" (`::error file=...,line=...,title=...::message`) and the job summary
file named by $GITHUB_STEP_SUMMARY.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from grader.results import Run

_LINE = re.compile(r"line (\d+) of your code")
_FUNCTION = re.compile(r"^(\w+)\(\)")


def _escape(text: str, *, property_value: bool = False) -> str:
    # The escapes GitHub's toolkit applies to command data and property values.
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def function_lines(path: Path) -> dict[str, int]:
    """Where each top-level function of the submission starts, to anchor an annotation without a line."""
    if path.suffix != ".py":
        return {}
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return {}
    return {node.name: node.lineno for node in tree.body if isinstance(node, ast.FunctionDef)}


def annotations(result: Run) -> list[str]:
    path = Path(result.source)
    lines = function_lines(path)
    out = []
    for check in result.checks:
        if check.passed:
            continue
        found = _LINE.search(check.message) or None
        named = _FUNCTION.match(check.message)
        line = int(found.group(1)) if found else lines.get(named.group(1), 0) if named else 0
        where = f"file={_escape(str(path), property_value=True)}" + (f",line={line}" if line else "")
        title = _escape(f"{check.name} (0/{check.max_points:g})", property_value=True)
        out.append(f"::error {where},title={title}::{_escape(check.message)}")
    if result.problem:
        out.append(f"::error title=grading failed::{_escape(result.problem)}")
    return out


def markdown_summary(result: Run) -> str:
    rows = [f"### {result.assignment}: {result.points:g} of {result.max_points:g} points", "",
            "| check | points | result | message |", "| --- | --- | --- | --- |"]
    for check in result.checks:
        verdict = "✅ pass" if check.passed else "❌ fail"
        message = check.message.replace("|", "\\|")
        rows.append(f"| {check.name} | {check.points:g}/{check.max_points:g} | {verdict} | {message} |")
    if result.hidden_not_run:
        rows += ["", f"{result.hidden_not_run} hidden checks run at grading."]
    if result.problem:
        rows += ["", f"**Could not grade:** {result.problem}"]
    return "\n".join(rows) + "\n"
