"""`grader grade` on a class: expected grades, bad input as statuses, skip and resume through the gradebook."""

from __future__ import annotations

import runpy
import shutil
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from grader.assignment import PROJECT_ROOT
from grader.batch import BatchOptions, grade_batch
from grader.gradebook import Gradebook
from grader.pipeline import Submitted, check_file
from grader.sandbox import Limits
from grader.suite import load_suite

EXAMPLES = PROJECT_ROOT / "examples" / "submissions"
SOLUTION = PROJECT_ROOT / "solutions" / "hw1_bn_mlp" / "hw1_bn_mlp.py"
# What each example student must get (examples/README.md says why).
EXPECTED = {"alice": 37, "bob": 35, "carol": 34, "dave": 0, "erin": 36, "frank": 32, "grace": 36}


def totals(out: Path) -> dict[str, float]:
    with Gradebook(out / "grades.db") as book:
        return {run.student: run.points for run in book.latest("hw1_bn_mlp")}


def options(out: Path, **kwargs: object) -> BatchOptions:
    return BatchOptions(assignment="hw1_bn_mlp", out=out, jobs=2, device="cpu", limits=Limits(wall_s=120), **kwargs)  # type: ignore[arg-type]


@pytest.mark.slow
def test_examples_get_their_grades_and_a_rerun_regrades_nothing(tmp_path: Path) -> None:
    summary = grade_batch(EXAMPLES, options(tmp_path))
    assert sorted(summary.graded) == sorted(EXPECTED) and not summary.bad_input
    assert totals(tmp_path) == EXPECTED
    again = grade_batch(EXAMPLES, options(tmp_path), progress=lambda _: None)
    assert sorted(again.skipped) == sorted(EXPECTED) and not again.graded
    assert totals(tmp_path) == EXPECTED


def test_bad_input_is_a_status_never_an_aborted_batch(tmp_path: Path) -> None:
    class_dir = tmp_path / "class"
    (class_dir / "empty").mkdir(parents=True)
    (class_dir / "notes.txt").write_text("not code")
    (class_dir / "broken.ipynb").write_text("{not json")
    (class_dir / "latin.py").write_bytes("x = 'caf\xe9'\n".encode("latin-1"))
    summary = grade_batch(class_dir, options(tmp_path / "out"), progress=lambda _: None)
    assert sorted(summary.bad_input) == ["broken", "empty", "latin", "notes"]
    with Gradebook(tmp_path / "out" / "grades.db") as book:
        statuses = {run.student: run.status for run in book.latest("hw1_bn_mlp")}
    assert statuses == {"broken": "invalid_notebook", "empty": "empty", "latin": "not_utf8",
                        "notes": "unsupported"}


@pytest.mark.slow
def test_an_interrupted_batch_resumes_where_it_stopped(tmp_path: Path) -> None:
    class_dir = tmp_path / "class"
    class_dir.mkdir()
    for name in ("ann", "ben", "cat"):
        shutil.copy(SOLUTION, class_dir / f"{name}.py")
    nbformat.validate(nbformat.read(EXAMPLES / "carol.ipynb", as_version=4))

    def interrupt_after_first(line: str) -> None:
        if line.startswith("[1/"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grade_batch(class_dir, BatchOptions(assignment="hw1_bn_mlp", out=tmp_path / "out", jobs=1, device="cpu"), interrupt_after_first)
    assert len(totals(tmp_path / "out")) == 1
    summary = grade_batch(class_dir, options(tmp_path / "out"), progress=lambda _: None)
    assert len(summary.skipped) == 1 and len(summary.graded) == 2
    assert totals(tmp_path / "out") == {"ann": 37, "ben": 37, "cat": 37}


def test_committed_examples_are_what_the_script_writes(tmp_path: Path) -> None:
    """examples/ is generated from the reference and the bug catalogue: it must not drift from them."""
    script = runpy.run_path(str(PROJECT_ROOT / "scripts" / "make_examples.py"))
    script["write_examples"](tmp_path / "submissions")
    committed = PROJECT_ROOT / "examples"
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    hw1 = [p for p in committed.rglob("*") if p.is_file() and (p.parent == committed or "submissions" in p.parts)]
    assert written == sorted(p.relative_to(committed) for p in hw1)
    for path in written:
        assert (tmp_path / path).read_bytes() == (committed / path).read_bytes(), f"{path} differs: run make examples"


def test_a_failure_of_the_grader_is_never_a_grade(tmp_path: Path) -> None:
    """A grading process whose machinery cannot start (here: its copy of the checks lost its declaration, so pytest
    stops before any check) is 'not graded: grader error', with no points, and is never taken as current."""
    suite = load_suite(PROJECT_ROOT / "checks" / "hw1_bn_mlp")
    broken = tmp_path / "hw1_bn_mlp"
    broken.mkdir()
    shutil.copy(suite.path / "check_2_modes.py", broken)
    submission = tmp_path / "hw1_bn_mlp.py"
    shutil.copy(PROJECT_ROOT / "solutions" / "hw1_bn_mlp" / "hw1_bn_mlp.py", submission)
    run = check_file(replace(suite, path=broken), Submitted(student="s", file=submission, sha256="ab" * 32),
                     data_root=None, device="cpu", visibility="all")
    assert run.status == "grader_error" and run.points == 0
    assert run.problem.startswith("not graded: grader error (the grading process ended before the checks started")
    with Gradebook(tmp_path / "grades.db") as book:
        book.record(run)
        assert not book.is_current(run.assignment, "s", run.sha256, run.suite_version)
