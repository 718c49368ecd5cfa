"""The notebook templates' install and check cells, executed in a real Jupyter kernel (nbclient + ipykernel).

A notebook is the committed template with the reference's code (or a catalogued bug's) in its blank cells; the
experiment cells are left out (they train for minutes). Every check cell must show what `grader check` gives the
same code: the same verdicts and messages (where an error happened is named as the kernel numbers runs).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from catalogue import CATALOGUES, plant
from nbclient import NotebookClient

from grader.assign import python_to_notebook
from grader.assignment import PROJECT_ROOT, load_assignment
from grader.live import Checker
from grader.notebook import CHECK_TAG, INSTALL_TAG, notebook_to_source
from grader.pipeline import Submitted, check_file
from grader.suite import load_suite

ASSIGNMENTS = PROJECT_ROOT / "assignments"
# Where a message names the place of an error: a file's line, a notebook's cell, a kernel's run.
_PLACE = re.compile(r" \((?:line \d+ of your code|cell \d+, line \d+ of your notebook|cell In \[\d+\], line \d+)\)")


def filled(assignment: str, source: str, extra: list[str] = ()) -> nbformat.NotebookNode:  # type: ignore[assignment]
    """The template notebook with `source`'s code in its cells (the same ids), without the experiment, and
    `extra` cells run at the end."""
    nb = nbformat.read(ASSIGNMENTS / assignment / f"{assignment}.ipynb", as_version=4)
    code = {cell.id: cell.source for cell in python_to_notebook(source).cells}
    cells = []
    for cell in nb.cells:
        cell.source = code.get(cell.id, cell.source)
        if "experiment" not in cell.metadata.get("tags", []) and '__name__ == "__main__"' not in cell.source:
            cells.append(cell)
    nb.cells = cells + [nbformat.v4.new_code_cell(text) for text in extra]
    return nb


def execute(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(tmp)}}).execute()
    return nb


def shown(cell: nbformat.NotebookNode, kind: str = "text/plain") -> str:
    return "".join(out.get("text", "") if out.output_type == "stream" else out.get("data", {}).get(kind, "")
                   for out in cell.outputs)


def check_cells(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {cell.id.removeprefix("check-"): cell for cell in nb.cells if CHECK_TAG in cell.metadata.get("tags", [])}


# Every visible check's verdict and message as the check cells showed them (IPython keeps each result in Out).
SHOWN = ("import json; print(json.dumps({c.name: [c.status, c.message] for r in Out.values()"
         " if type(r).__name__ == 'LiveResult' for c in r.run.checks}))")


def kernel_results(cells: list[nbformat.NotebookNode]) -> dict[str, list[str]]:
    """What the last of `cells` (`SHOWN`) printed: every visible check's verdict and message."""
    return {name: [status, _PLACE.sub("", message)] for name, (status, message) in
            json.loads(shown(cells[-1]).strip().splitlines()[-1]).items()}


def grader_check(assignment: str, source: str, tmp: Path) -> dict[str, list[str]]:
    """`grader check`'s stages on the same code as a file, with the kernel's challenge (0)."""
    file = tmp / f"{assignment}.py"
    file.write_text(source, encoding="utf-8")
    run = check_file(load_suite(load_assignment(assignment).folder), Submitted(student="", file=file),
                     data_root=None, visibility="visible")
    return {c.name: [c.status, _PLACE.sub("", c.message)] for c in run.checks}


def assert_every_check_cell_passed(nb: nbformat.NotebookNode) -> None:
    install = next(cell for cell in nb.cells if INSTALL_TAG in cell.metadata.get("tags", []))
    # Where the package is installed the first cell installs nothing: it only says it is ready.
    assert shown(install).strip() == 'Ready: run check("name") under a blank, or check() for every visible check.'
    cells = check_cells(nb)
    assert cells, "the template has no check cells"
    for blank, cell in cells.items():
        text = shown(cell)
        assert "FAIL" not in text and ("all passed" in text or "No visible check" in text), (blank, text)
        assert "<table>" in shown(cell, "text/html") or "No visible check" in text


@pytest.mark.slow
def test_reference_passes_every_check_cell_and_check_gives_the_total(tmp_path: Path) -> None:
    # hw2's reference passes its cells in the endless-loop test below; hw1's in `make bench` (its accuracy check
    # trains for 2 epochs).
    nb = execute(filled("hw3_backprop_init", plant(None, assignment="hw3_backprop_init"), ["check()", SHOWN]),
                 tmp_path)
    assert_every_check_cell_passed(nb)
    results = kernel_results(nb.cells)
    assert results and all(status == "passed" for status, _ in results.values())
    total = shown(nb.cells[-2])
    assert re.search(r"^Total: 23 of 23 points, all passed .*; 2 hidden checks run at grading\.$", total, re.MULTILINE)


def planted_bugs(assignment: str, count: int) -> tuple[list[dict], str]:
    """`count` catalogued bugs of different blanks that cost visible checks only, none sharing a check, planted
    together."""
    checker = Checker(assignment, namespace={}, fetch_data=False)
    blank_of = {check: blank for blank in checker.blanks for check in checker.checks_of(blank)}
    chosen: list[dict] = []
    source = plant(None, assignment=assignment)
    for bug in CATALOGUES[assignment]["bug"]:
        fails = set(bug["fails"])
        if not fails <= set(blank_of) or any(fails & set(other["fails"]) or blank_of[next(iter(bug["fails"]))]
                                             == blank_of[next(iter(other["fails"]))] for other in chosen):
            continue
        try:
            source = plant(bug, source)
        except AssertionError:  # its text was changed by a bug already planted
            continue
        chosen.append(bug)
        if len(chosen) == count:
            return chosen, source
    raise AssertionError(f"{assignment}: fewer than {count} independent visible bugs in the catalogue")


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ["hw2_from_scratch", "hw3_backprop_init"])
def test_catalogued_bugs_fail_in_their_cells_as_grader_check_says(assignment: str, tmp_path: Path) -> None:
    bugs, source = planted_bugs(assignment, 3)
    nb = execute(filled(assignment, source, [SHOWN]), tmp_path)
    # The same verdicts and messages as `grader check` gives the same code.
    assert kernel_results(nb.cells) == grader_check(assignment, source, tmp_path)
    # Each bug shows in the cell under the blank it is in.
    texts = [shown(cell) for cell in check_cells(nb).values()]
    for bug in bugs:
        named = next(iter(bug["fails"]))
        assert any(re.search(rf"^{named} +\S+ +FAIL", text, re.MULTILINE) for text in texts), (bug["name"], texts)


LOOP = '''
counter = 0
def l2_penalty(w):
    global counter
    counter += 1
    while True:
        pass
'''
CRASH = '''
import os
def dropout_layer(X, p):
    os._exit(3)
'''
STATE = '''
import random, numpy as np, torch
torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
random.seed(5); np.random.seed(5); torch.manual_seed(5)
before = (random.getstate(), np.random.get_state()[1].tolist(), torch.get_rng_state())
'''
AFTER = '''
after = (random.getstate(), np.random.get_state()[1].tolist(), torch.get_rng_state())
print(counter, before[0] == after[0], before[1] == after[1], torch.equal(before[2], after[2]),
      torch.get_default_dtype(), torch.get_num_threads())
'''


@pytest.mark.slow
def test_an_endless_loop_and_a_crash_end_the_check_not_the_kernel(tmp_path: Path) -> None:
    assignment = "hw2_from_scratch"
    nb = filled(assignment, plant(None, assignment=assignment),
                [STATE, LOOP, 'check("l2_penalty")', CRASH, 'check("dropout_layer")', AFTER, "6 * 7"])
    execute(nb, tmp_path)
    assert_every_check_cell_passed(nb)  # the reference's own cells, before the loop and the crash
    loop, crash, after, answer = (shown(nb.cells[i]) for i in (-5, -3, -2, -1))
    assert "FAIL" in loop and re.search(r"timed out after [0-9.]+ s of CPU time in l2_penalty\(\)", loop), loop
    assert "FAIL" in crash and "passed" not in crash.split("\n")[-1], crash
    # The student's globals, random state, default dtype and threads are as they were before the checks.
    assert after.split() == ["0", "True", "True", "True", "torch.float64", "1"], after
    assert answer.strip() == "42"


def test_grading_skips_the_install_and_check_cells() -> None:
    for assignment in ("hw1_bn_mlp", "hw2_from_scratch", "hw3_backprop_init"):
        nb = nbformat.read(ASSIGNMENTS / assignment / f"{assignment}.ipynb", as_version=4)
        added = [cell for cell in nb.cells if {INSTALL_TAG, CHECK_TAG} & set(cell.metadata.get("tags", []))]
        assert added[0] is nb.cells[0] and len(added) > 1
        without = nbformat.from_dict({**nb, "cells": [cell for cell in nb.cells if cell not in added]})
        assert notebook_to_source(nb) == notebook_to_source(without)


def test_a_check_cell_without_its_tag_is_not_graded_either() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def f():\n    return 1"), nbformat.v4.new_code_cell('check("f")\ncheck()'),
                nbformat.v4.new_code_cell("result = check_answer(2)")]
    source = notebook_to_source(nb)
    assert 'check("f")' not in source and "result = check_answer(2)" in source and "def f():" in source


@pytest.mark.parametrize("assignment", ["hw1_bn_mlp", "hw2_from_scratch", "hw3_backprop_init"])
def test_every_visible_check_answers_under_one_blank(assignment: str) -> None:
    checker = Checker(assignment, namespace={}, fetch_data=False)
    placed = [check for blank in checker.blanks for check in checker.checks_of(blank)]
    visible = [spec.name for spec in checker.suite.specs if spec.visibility == "visible"]
    assert sorted(placed) == sorted(visible)
    # A check answers where everything it needs is written: hw1's model checks under build_model, the accuracy
    # check (build_model, train_epoch, evaluate) under evaluate; each hw2 optimizer under its own class.
    expected = {"hw1_bn_mlp": ("build_model", "layer_order"), "hw2_from_scratch": ("Momentum", "momentum"),
                "hw3_backprop_init": ("backward_deep", "backward_by_hand")}[assignment]
    assert expected[1] in checker.checks_of(expected[0])
    if assignment == "hw1_bn_mlp":
        assert "mnist_accuracy" in checker.checks_of("evaluate") and checker.checks_of("compare_hidden_sizes") == []
    assert "no blank named `nope`" in str(checker("nope"))
    assert "not defined in this kernel yet" in str(checker(checker.blanks[0]))
