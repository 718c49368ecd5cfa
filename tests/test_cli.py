"""The `grader` command as students and staff meet it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.assign import python_to_notebook
from grader.assignment import PROJECT_ROOT, load_assignment
from grader.cli import main, pick_submission

TEMPLATE_DIR = PROJECT_ROOT / "assignments" / "hw1_bn_mlp"
SOLUTION = PROJECT_ROOT / "solutions" / "hw1_bn_mlp" / "hw1_bn_mlp.py"


def grader(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, check=False)


def test_help_explains_every_command() -> None:
    out = grader("--help").stdout
    for command in ("data", "check", "assign"):
        assert command in out


def test_untouched_template_prints_zero_with_reasons_not_tracebacks() -> None:
    run = grader("check", str(TEMPLATE_DIR))
    assert run.returncode == 1
    assert "Total: 0 of 33 points." in run.stdout
    assert "not implemented yet" in run.stdout and "Traceback" not in run.stdout + run.stderr
    assert "3 hidden checks run at grading" in run.stdout


@pytest.mark.slow
def test_solution_in_place_of_the_template_gets_full_visible_marks(tmp_path: Path) -> None:
    shutil.copy(SOLUTION, tmp_path / "hw1_bn_mlp.py")
    run = grader("check", str(tmp_path))
    assert run.returncode == 0, run.stdout
    assert "Total: 33 of 33 points." in run.stdout
    assert "All visible checks passed; 3 hidden checks run at grading." in run.stdout
    assert "all tests passed" not in run.stdout.lower()


def test_folder_grades_the_notebook_when_that_is_what_was_filled(tmp_path: Path) -> None:
    shutil.copy(TEMPLATE_DIR / "hw1_bn_mlp.py", tmp_path)
    nbformat.write(python_to_notebook(SOLUTION.read_text(encoding="utf-8")), tmp_path / "hw1_bn_mlp.ipynb")
    hw1 = load_assignment("hw1_bn_mlp")
    assert pick_submission(tmp_path, hw1) == tmp_path / "hw1_bn_mlp.ipynb"
    shutil.copy(TEMPLATE_DIR / "hw1_bn_mlp.ipynb", tmp_path)
    assert pick_submission(tmp_path, hw1) == tmp_path / "hw1_bn_mlp.py"


def test_missing_path_and_unknown_assignment_are_usage_errors(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nope.py")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "a.py").write_text("x = 1\n")
    assert main(["check", str(tmp_path / "a.py"), "--assignment", "hw9"]) == 2
    assert "no assignment 'hw9'" in capsys.readouterr().err
    (tmp_path / "homework.py").write_text("x = 1\n")
    assert main(["check", str(tmp_path / "homework.py")]) == 2  # nothing says which assignment it is
    assert "--assignment (known: " in capsys.readouterr().err
