"""GitHub annotations and summary, and --fail-under, from a result (no grading needed)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from grader.cli import passes
from grader.github import annotations, markdown_summary
from grader.results import CheckResult, Run


def result_for(path: Path) -> Run:
    return replace(run_of(str(path), checks=(
        CheckResult("layer_order", "", 2, 2, "passed", ""),
        CheckResult("evaluate_mode", "", 2, 0, "failed", "evaluate ran the model in train mode: call model.eval()."),
        CheckResult("predict_one", "", 1, 0, "error", "predict_one() raised AttributeError: x (line 3 of your code)."),
        CheckResult("criterion", "", 1, 0, "failed", "make_criterion() is not implemented yet: fill its blank."),
    )), assignment="hw1_bn_mlp", hidden_not_run=3)


def test_annotations_point_at_the_failing_line_or_function(tmp_path: Path) -> None:
    path = tmp_path / "hw.py"
    path.write_text("import torch\n\ndef make_criterion():\n    raise NotImplementedError\n")
    lines = annotations(result_for(path))
    assert len(lines) == 3
    assert lines[0].startswith(f"::error file={path},title=evaluate_mode (0/2)::evaluate ran")
    assert f"file={path},line=3,title=predict_one" in lines[1]
    assert f"file={path},line=3,title=criterion" in lines[2]


def test_annotation_data_is_escaped(tmp_path: Path) -> None:
    result = run_of(str(tmp_path / "a.py"), (CheckResult("c", "", 1, 0, "failed", "50% done\nnext"),))
    assert annotations(result)[0].endswith("::50%25 done%0Anext")


def test_summary_is_a_markdown_table_with_the_total(tmp_path: Path) -> None:
    text = markdown_summary(result_for(tmp_path / "hw.py"))
    assert text.startswith("### hw1_bn_mlp: 2 of 6 points")
    assert "| evaluate_mode | 0/2 | ❌ fail |" in text and "3 hidden checks run at grading." in text


def test_fail_under_sets_the_threshold(tmp_path: Path) -> None:
    result = result_for(tmp_path / "hw.py")  # 2 of 6 points = 33%
    assert not passes(result, 100) and not passes(result, 34)
    assert passes(result, 33) and passes(result, 0)
    assert not passes(run_of("x", (), problem="killed"), 0)


def run_of(source: str, checks: tuple[CheckResult, ...], problem: str = "") -> Run:
    return Run(student="", assignment="hw", source=source, sha256="", suite_version="", status="graded",
               problem=problem, points=sum(c.points for c in checks), max_points=sum(c.max_points for c in checks),
               graded_at="", duration_s=0, checks=checks)
