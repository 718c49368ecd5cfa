"""Every check fails on a realistic wrong submission and passes on the reference.

Each wrong submission in wrong_submissions/catalogue.toml is graded with all checks (hidden too);
the set of checks it fails must be exactly the set the catalogue names, so no verdict is an accident.
The same holds for the grader's own verdicts alone (checks/<assignment>/verify.py, from what the
grading process observed), since those are what a submission cannot forge.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from catalogue import BUGS, CATALOGUE, HARMLESS, SOLUTION, plant

from grader.assignment import DEFAULT_CHECKS, PROJECT_ROOT
from grader.kits.mnist.data import ensure_mnist
from grader.pipeline import child_artifacts, judged, new_job, run_unconfined, verdicts
from grader.protocol import Evidence, judge_checks
from grader.results import CheckResult
from grader.suite import load_suite

TEMPLATE = PROJECT_ROOT / "assignments" / "hw1_bn_mlp" / "hw1_bn_mlp.py"
SUITE = load_suite(DEFAULT_CHECKS / "hw1_bn_mlp")
CHALLENGE = 20261124  # any seed: the parent's verdicts must not depend on it


class Graded:
    def __init__(self, checks: list[CheckResult]) -> None:
        self.checks = checks
        self.points = sum(c.points for c in checks)
        self.max_points = sum(c.max_points for c in checks)


def grade(path: Path, bug: dict | None = None) -> Graded:
    """The verdicts of both halves combined, as grader check and grader grade give them, having confirmed that
    the grading process's verdicts and the grader's own fail the same checks, but the ones the catalogue says
    the grader judges from another angle."""
    root = ensure_mnist(None, log=lambda _: None)
    with tempfile.TemporaryDirectory() as scratch:
        job = new_job(SUITE, path, Path(scratch), data_root=root, device="cpu", threads=0, challenge=CHALLENGE)
        outcome = run_unconfined(job, 900)
        child, _, errors, _ = verdicts(SUITE, Path(job.results), job.nonce, outcome)
        evidence = Evidence(child_artifacts(Path(job.artifacts)), CHALLENGE, root)
    assert child, "no check ran"
    assert not any("grading process" in c.message for c in child), [c.message for c in child]
    parent = judge_checks(SUITE.judges, [c.name for c in child], evidence)
    parent_failed = {name: message for name, (ok, message) in parent.items() if not ok}
    child_failed = {c.name for c in child if not c.passed}
    assert set(parent_failed) == child_failed - set((bug or {}).get("grader_passes", {})), (
        f"the grader's own verdicts fail {sorted(parent_failed)}, the checks fail {sorted(child_failed)}: "
        f"{parent_failed}")
    return Graded(judged(SUITE, child, evidence, errors))


def failed(result: Graded) -> set[str]:
    return {c.name for c in result.checks if not c.passed}


def test_catalogue_is_large_and_unique() -> None:
    assert len(BUGS) == len(CATALOGUE["bug"]) >= 15
    assert len(HARMLESS) == len(CATALOGUE["ok"])


@pytest.mark.slow
def test_reference_gets_full_marks() -> None:
    result = grade(SOLUTION)
    assert failed(result) == set(), [c.message for c in result.checks if not c.passed]
    assert result.points == result.max_points > 0


@pytest.mark.slow
def test_untouched_template_scores_zero_with_not_implemented() -> None:
    result = grade(TEMPLATE)
    assert result.points == 0
    for check in result.checks:
        assert "not implemented yet" in check.message, (check.name, check.message)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BUGS))
def test_wrong_submission_loses_exactly_the_named_checks(name: str, tmp_path: Path) -> None:
    bug = BUGS[name]
    path = tmp_path / "hw1_bn_mlp.py"
    path.write_text(plant(bug), encoding="utf-8")
    result = grade(path, bug)
    expected = set(bug["fails"])
    if expected == {"*"}:
        expected = {c.name for c in result.checks}
    assert failed(result) == expected, {c.name: c.message for c in result.checks if not c.passed}
    for check in result.checks:
        if not check.passed:
            assert check.points == 0 and check.message, check


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HARMLESS))
def test_harmless_variation_gets_full_marks(name: str, tmp_path: Path) -> None:
    path = tmp_path / "hw1_bn_mlp.py"
    path.write_text(plant(HARMLESS[name]), encoding="utf-8")
    result = grade(path)
    assert failed(result) == set(), {c.name: c.message for c in result.checks if not c.passed}


@pytest.mark.slow
def test_same_submission_graded_twice_gets_identical_results(tmp_path: Path) -> None:
    path = tmp_path / "hw1_bn_mlp.py"
    path.write_text(plant(BUGS["no_eval_in_evaluate"]), encoding="utf-8")
    first, second = grade(path, BUGS["no_eval_in_evaluate"]), grade(path, BUGS["no_eval_in_evaluate"])
    strip = [(c.name, c.points, c.status, c.message) for c in first.checks]
    assert strip == [(c.name, c.points, c.status, c.message) for c in second.checks]
