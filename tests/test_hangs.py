"""A student function that hangs or kills the grading process costs one time limit (or one restart), not one per
check that calls it, and every check it stops says so in one sentence that names the first. Which checks each
case loses is the catalogue's business (wrong_submissions/hw1_bn_mlp.toml, graded by test_wrong_submissions.py,
under `grader check` and `grader grade`); here: the messages and the time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from catalogue import CATALOGUES, plant

from grader.pipeline import check_path
from grader.results import Run


def graded(name: str, tmp_path: Path) -> tuple[Run, float]:
    bug = next(b for b in CATALOGUES["hw1_bn_mlp"]["bug"] if b["name"] == name)
    path = tmp_path / "hw1_bn_mlp.py"
    path.write_text(plant(bug), encoding="utf-8")
    started = time.monotonic()
    run = check_path(path, "hw1_bn_mlp", visibility="all", device="cpu")
    return run, time.monotonic() - started


def messages(run: Run) -> dict[str, str]:
    return {c.name: c.message for c in run.checks if not c.passed}


@pytest.mark.slow
@pytest.mark.parametrize(("name", "first", "again"), [
    ("build_model_never_returns", "timed out after 2 s of CPU time in build_model()",
     ("build_model() did not return within 2 s of CPU time when `layer_shapes` called it, so the grader does not "
      "call it again")),
    ("build_model_exits_the_process", "your code ended the grading process (exit code 3) in build_model()",
     ("build_model() ended the grading process (exit code 3) when `layer_shapes` called it, so the grader does not "
     "call it again")),
])
def test_a_function_that_hung_or_crashed_is_not_called_again(name: str, first: str, again: str,
                                                             tmp_path: Path) -> None:
    run, seconds = graded(name, tmp_path)
    failed = messages(run)
    assert failed["layer_shapes"].startswith(first), failed["layer_shapes"]
    # Every other check that builds the model, the hidden ones and the accuracy check included, says so at once.
    others = {n: m for n, m in failed.items() if n != "layer_shapes"}
    assert len(others) == 11 and all(m.startswith(again) for m in others.values()), others
    assert seconds < 2 * 3 + 60, seconds  # one time limit (or one restart), not one per check (24 x 15 s before)


@pytest.mark.slow
def test_a_segfault_costs_the_checks_of_the_function_it_happened_in(tmp_path: Path) -> None:
    run, _ = graded("train_epoch_crashes_python", tmp_path)
    failed = messages(run)
    assert failed["train_epoch_mode"].startswith(
        "your code ended the grading process (signal SIGSEGV) in train_epoch() during `train_epoch_mode`")
    assert failed["mnist_accuracy"].startswith("train_epoch() ended the grading process (signal SIGSEGV)")
    assert len(failed) == 5 and run.points > 0


@pytest.mark.slow
def test_an_endless_loop_at_import_costs_the_import_limit_once_and_names_the_line(tmp_path: Path) -> None:
    run, seconds = graded("import_never_finishes", tmp_path)
    failed = messages(run)
    assert len(failed) == len(run.checks) and len(set(failed.values())) == 1, set(failed.values())
    message = next(iter(failed.values()))
    assert message.startswith(
        "importing your code did not finish within 5 s of CPU time (it was at line 17 of your code)")
    assert "if __name__ ==" in message
    assert seconds < 5 * 3 + 60, seconds


@pytest.mark.slow
def test_a_function_that_waits_is_stopped_by_the_wall_clock_and_not_called_again(tmp_path: Path) -> None:
    """A sleep uses no CPU: the wall-clock backstop (3x hw1's 2 s) stops it, and the message says it was waiting."""
    run, seconds = graded("evaluate_sleeps", tmp_path)
    failed = messages(run)
    assert failed["evaluate_mode"].startswith("timed out after 6 s (waiting, not computing) in evaluate()")
    assert "look for a sleep, input() or a wait" in failed["evaluate_mode"]
    others = {n: m for n, m in failed.items() if n != "evaluate_mode"}
    assert len(others) == 4 and all(m.startswith(
        "evaluate() did not return within 6 s (waiting, not computing) when `evaluate_mode` called it")
        for m in others.values()), others
    assert seconds < 6 + 60, seconds
