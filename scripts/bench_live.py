"""`make bench`'s rows for the notebooks' check cells (issue #13): how long `check("blank")` takes in a real kernel.

For each assignment, a Jupyter kernel (nbclient, ipykernel) runs the template with the reference's code in its
blanks (the experiment left out), then times each blank's check cell: the kernel's first check (it reads the
suite and imports pytest and the checks), then every blank's first call and the median of 10 warm calls (3 for a
blank whose first call takes over 5 s: hw1's evaluate, which holds the 2-epoch accuracy check), with the CPU
time the kernel and its fork spent (on a loaded machine the wall time grows, the CPU time hardly). Goal: every
blank but the one holding the accuracy check answers a warm call in <= 2 s.

`python scripts/bench_live.py` prints the rows alone.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable

import nbformat
from nbclient import NotebookClient

from grader.assign import python_to_notebook
from grader.assignment import PROJECT_ROOT

ASSIGNMENTS = ("hw1_bn_mlp", "hw2_from_scratch", "hw3_backprop_init")
WARM_GOAL_S = 2.0
TIMING = '''
import json, resource, statistics, time
def _cpu():
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime
def _timed(blank):
    started, cpu = time.perf_counter(), _cpu()
    result = check(blank)
    return time.perf_counter() - started, _cpu() - cpu, result
_rows = {}
_first = _timed(None if not check.blanks else check.blanks[0])[0]
for _blank in check.blanks:
    _once, _, _result = _timed(_blank)
    _warm = [_timed(_blank) for _ in range(10 if _once <= 5 else 3)]
    _rows[_blank] = [_once, statistics.median(w[0] for w in _warm), len(_warm), _result.passed or bool(_result.note),
                     any(c.name == "mnist_accuracy" for c in _result.run.checks), statistics.median(w[1] for w in _warm)]
print(json.dumps({"kernel_first": _first, "blanks": _rows}))
'''


def notebook(assignment: str) -> nbformat.NotebookNode:
    """The template with the reference's code in its blanks, without the experiment, then the timing cell."""
    nb = nbformat.read(PROJECT_ROOT / "assignments" / assignment / f"{assignment}.ipynb", as_version=4)
    solution = (PROJECT_ROOT / "solutions" / assignment / f"{assignment}.py").read_text(encoding="utf-8")
    code = {cell.id: cell.source for cell in python_to_notebook(solution).cells}
    cells = []
    for cell in nb.cells:
        cell.source = code.get(cell.id, cell.source)
        tags = cell.metadata.get("tags", [])
        if "experiment" not in tags and "check-cell" not in tags and '__name__ == "__main__"' not in cell.source:
            cells.append(cell)
    nb.cells = cells + [nbformat.v4.new_code_cell(TIMING)]
    return nb


def timings(assignment: str) -> dict:
    nb = notebook(assignment)
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": tmp}}).execute()
    printed = "".join(out.get("text", "") for out in nb.cells[-1].outputs if out.output_type == "stream")
    return json.loads(printed.strip().splitlines()[-1])


def live_rows(loads: Callable[[float], str] | None = None) -> list[str]:
    """One Markdown row per assignment, in bench.py's columns (`loads`: bench.py's load before -> after)."""
    rows = []
    for assignment in ASSIGNMENTS:
        before = os.getloadavg()[0]
        data = timings(assignment)
        blanks = data["blanks"]
        timed = {name: row for name, row in blanks.items() if not row[4]}
        slowest = max(timed, key=lambda name: timed[name][1])
        warm = timed[slowest][1]
        accuracy = [f"`{name}` (holds the accuracy check) {row[1]:.2f} s" for name, row in blanks.items() if row[4]]
        failed = [name for name, row in blanks.items() if not row[3]]
        rows.append(
            f"| notebook `check(\"blank\")` in a real kernel, {assignment}, cpu | warm call (median of 10): slowest "
            f"blank `{slowest}` {warm:.2f} s (CPU time, kernel + fork: {timed[slowest][5]:.2f} s), median over blanks "
            f"{sorted(row[1] for row in timed.values())[len(timed) // 2]:.2f} s; first call in the kernel "
            f"{data['kernel_first']:.2f} s | {'; '.join(accuracy) or 'no accuracy check'}"
            + (f"; **not passed: {', '.join(failed)}**" if failed else "")
            + f" | | <= {WARM_GOAL_S:g} s warm | {'yes' if warm <= WARM_GOAL_S else 'no'} "
            f"| {loads(before) if loads else ''} |")
    return rows


if __name__ == "__main__":
    print("\n".join(live_rows()))
    sys.exit(0)
