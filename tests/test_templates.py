"""The committed student templates are exactly what the solutions generate, and are gradable."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from grader.assign import build_assignment, python_to_notebook
from grader.assignment import PROJECT_ROOT
from grader.notebook import count_stubs, notebook_to_source
from grader.pipeline import check_path

SOLUTIONS = PROJECT_ROOT / "solutions"
ASSIGNMENTS = PROJECT_ROOT / "assignments"


@pytest.mark.parametrize("name", sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir()))
def test_committed_template_is_what_the_solution_generates(name: str, tmp_path: Path) -> None:
    written = build_assignment(SOLUTIONS / name, tmp_path)
    committed = sorted(p.relative_to(ASSIGNMENTS / name) for p in (ASSIGNMENTS / name).rglob("*") if p.is_file())
    assert sorted(p.relative_to(tmp_path) for p in written) == committed, "run `make assign` and commit"
    for path in written:
        assert path.read_bytes() == (ASSIGNMENTS / name / path.relative_to(tmp_path)).read_bytes(), \
            f"{path.name} differs from the committed template: run `make assign` and commit"


def test_hw1_template_has_one_stub_per_blank_in_py_and_notebook() -> None:
    py = (ASSIGNMENTS / "hw1_bn_mlp" / "hw1_bn_mlp.py").read_text(encoding="utf-8")
    ast.parse(py)
    nb = nbformat.read(ASSIGNMENTS / "hw1_bn_mlp" / "hw1_bn_mlp.ipynb", as_version=4)
    nbformat.validate(nb)
    assert count_stubs(py) == count_stubs(notebook_to_source(nb)) == 10
    assert "Fill this blank!" in py and "### BEGIN SOLUTION" not in py


@pytest.mark.slow
def test_filled_notebook_gets_full_marks(tmp_path: Path) -> None:
    solution = (SOLUTIONS / "hw1_bn_mlp" / "hw1_bn_mlp.py").read_text(encoding="utf-8")
    notebook = tmp_path / "hw1_bn_mlp.ipynb"
    nbformat.write(python_to_notebook(solution), notebook)
    result = check_path(notebook, "hw1_bn_mlp", visibility="all", device="cpu")
    assert not result.problem and result.checks
    assert all(c.passed for c in result.checks), {c.name: c.message for c in result.checks if not c.passed}
