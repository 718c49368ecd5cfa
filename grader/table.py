"""The terminal table students see after `make check`."""

from __future__ import annotations

import shutil
import textwrap

from grader.results import Run


def _points(value: float) -> str:
    return f"{value:g}"


def render(result: Run) -> str:
    width = max(80, min(shutil.get_terminal_size((100, 20)).columns, 140))
    name_w = max([len(c.name) for c in result.checks] + [5])
    lines = [f"{result.assignment}: {result.source}", ""]
    lines.append(f"{'check':<{name_w}}  points  result  message")
    lines.append("-" * min(width, name_w + 40))
    indent = name_w + 18
    for check in result.checks:
        verdict = "pass" if check.passed else "FAIL"
        score = f"{_points(check.points)}/{_points(check.max_points)}"
        message = textwrap.wrap(check.message, max(30, width - indent)) or [""]
        lines.append(f"{check.name:<{name_w}}  {score:>6}  {verdict:<6}  {message[0]}")
        lines += [" " * indent + more for more in message[1:]]
    lines += ["", summary(result)]
    return "\n".join(lines)


def summary(result: Run) -> str:
    if result.problem:
        return f"Could not grade: {result.problem}."
    included = sum(c.visibility == "hidden" for c in result.checks)
    if result.hidden_not_run:
        hidden = f"{result.hidden_not_run} hidden check{'s' if result.hidden_not_run != 1 else ''} run at grading"
    else:
        hidden = f"{included} hidden check{'s' if included != 1 else ''} included" if included else "no hidden checks"
    kind = "checks" if included else "visible checks"
    total = f"Total: {_points(result.points)} of {_points(result.max_points)} points."
    failed = sum(not c.passed for c in result.checks)
    if failed == 0:
        return f"{total}\nAll {kind} passed; {hidden}."
    return f"{total}\n{failed} of {len(result.checks)} {kind} failed; fix them and run `make check` " \
        f"again ({hidden})."
