"""The check protocol (grader/suite.py, grader/protocol.py): a suite is read once into specs, every check has a
judge, every hidden check a visible observe half, and the evidence that crosses to the grader is plain data."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from grader.assignment import DEFAULT_CHECKS, UsageError, assignment_of_path, resolve_assignment
from grader.kits.torch_models.observe import built_pairs, models_built
from grader.kits.torch_models.replica import rebuild
from grader.release import released_checks
from grader.suite import SuiteError, load_suite
from grader.tensors import plain_data

SUITE = load_suite(DEFAULT_CHECKS / "hw1_bn_mlp")


def write_suite(folder: Path, checks: str, declaration: str = 'module = "tiny"\n') -> Path:
    folder.mkdir(parents=True)
    (folder / "assignment.toml").write_text(declaration, encoding="utf-8")
    (folder / "check_tiny.py").write_text(textwrap.dedent(checks), encoding="utf-8")
    return folder


def test_hw1_hidden_checks_each_have_a_visible_observe_half() -> None:
    hidden = {spec.name: spec.observe for spec in SUITE.hidden}
    assert hidden == {"build_model_hidden_sizes": "observe_build_model_hidden_sizes",
                      "build_model_dropout_argument": "observe_build_model_dropout_argument",
                      "compare_hidden_sizes": "observe_compare_hidden_sizes"}
    assert all(spec.judge is not None for spec in SUITE.specs)


def test_the_grading_processes_copy_of_the_checks_holds_the_observations_and_no_hidden_code() -> None:
    """What stage_checks writes: the release's copy, with no HIDDEN region, hidden check or reference code."""
    files = released_checks(SUITE.path)
    text = "\n".join(data.decode("utf-8") for data in files.values())
    assert "BEGIN HIDDEN" not in text and "reference_train_epoch" not in text
    for spec in SUITE.hidden:
        assert f"def check_{spec.name}" not in text and f"def judge_{spec.name}" not in text
        assert f"def {spec.observe}(" in text
    declaration = files[Path("assignment.toml")].decode()
    assert "released = true" in declaration and "hidden_checks = 3" in declaration


def test_a_check_without_a_judge_is_an_error_naming_its_file_and_line(tmp_path: Path) -> None:
    folder = write_suite(tmp_path / "tiny", """\
        import pytest

        @pytest.mark.points(1)
        def check_alone(submission):
            '''No judge beside it.'''
        """)
    with pytest.raises(SuiteError, match=r"check_tiny.py:3: check_alone has no judge: write judge_alone"):
        load_suite(folder)


def test_a_hidden_check_without_an_observe_half_is_an_error(tmp_path: Path) -> None:
    folder = write_suite(tmp_path / "tiny", """\
        import pytest

        @pytest.mark.points(1, visibility="hidden")
        def check_secret(submission):
            '''Hidden.'''

        def judge_secret(evidence):
            pass
        """)
    with pytest.raises(SuiteError, match=r"hidden check_secret has no observe_secret"):
        load_suite(folder)


def test_points_are_read_however_the_marker_is_written(tmp_path: Path) -> None:
    """`@mark.points(2)` after `from pytest import mark` is worth 2, as pytest itself reads it."""
    folder = write_suite(tmp_path / "tiny", """\
        from pytest import mark

        @mark.points(2)
        def check_marked(submission):
            '''Marked another way.'''

        def judge_marked(evidence):
            pass
        """)
    suite = load_suite(folder)
    assert [(s.name, s.points, s.visibility) for s in suite.specs] == [("marked", 2.0, "visible")]
    assert suite.max_points == 2


def test_editing_one_assignment_changes_its_version_only(tmp_path: Path) -> None:
    checks = """\
        import pytest

        @pytest.mark.points(1)
        def check_a(submission):
            '''A.'''

        def judge_a(evidence):
            pass
        """
    first, second = write_suite(tmp_path / "one", checks), write_suite(tmp_path / "two", checks)
    before = (load_suite(first).version, load_suite(second).version)
    (first / "check_tiny.py").write_text(textwrap.dedent(checks) + "\n# edited\n", encoding="utf-8")
    assert load_suite(first).version != before[0] and load_suite(second).version == before[1]


def test_the_assignment_is_found_from_the_path(tmp_path: Path) -> None:
    project = DEFAULT_CHECKS.parent
    assert assignment_of_path(project / "assignments" / "hw1_bn_mlp") == "hw1_bn_mlp"
    assert assignment_of_path(project / "solutions" / "hw1_bn_mlp" / "hw1_bn_mlp.py") == "hw1_bn_mlp"
    assert assignment_of_path(tmp_path / "hw1_bn_mlp.ipynb") == "hw1_bn_mlp"
    assert assignment_of_path(project / "examples" / "submissions") == "hw1_bn_mlp"  # its students' files
    with pytest.raises(UsageError, match=r"cannot tell which assignment .*--assignment \(known: .*hw1_bn_mlp"):
        resolve_assignment(tmp_path / "homework.py", None)
    with pytest.raises(UsageError, match=r"no assignment 'nope'.*known: .*hw1_bn_mlp"):
        resolve_assignment(None, "nope")


STUDENT_WHO_TRAINS = """
import torch
from torch import nn

def build_model(hidden=(100, 100), p=0.3):
    return nn.Sequential(nn.Linear(784, hidden[0]), nn.ReLU(), nn.Dropout(p), nn.Linear(hidden[0], 10))

def compare(configs):
    for hidden in configs:
        model = build_model(hidden)
        with torch.no_grad():
            model[0].weight.add_(1.0)  # what training does, as far as the capture can tell
    return []
"""


def test_the_networks_build_model_builds_during_a_call_are_described_as_built_and_as_left() -> None:
    """Whatever the call then does with them or with the data: the rows are claims, the networks evidence."""
    module = ModuleType("hw1_bn_mlp")
    exec(STUDENT_WHO_TRAINS, vars(module))  # noqa: S102 - a student's module, as import_submission makes one
    original = module.build_model
    with models_built(module) as built:
        module.compare([(5, 6), (7, 8)])
    pairs = built_pairs(built)
    assert [[m.out_features for m in rebuild(p["final"]).layers if isinstance(m, nn.Linear)] for p in pairs] == [
        [5, 10], [7, 10]]
    for pair in pairs:
        initial, final = rebuild(pair["initial"]), rebuild(pair["final"])
        torch.testing.assert_close(final.layers[0].weight, initial.layers[0].weight + 1.0)
    assert module.build_model is original  # put back after the call


def test_plain_data_keeps_tensors_of_any_size_and_nothing_but_plain_values() -> None:
    deep: list = []
    for _ in range(12):
        deep = [deep]
    assert str(plain_data(deep)).count("[") == 9  # bounded in depth
    sent = plain_data({1: (torch.ones(()), torch.arange(6).reshape(2, 3), np.ones((2, 2)), SimpleNamespace())})
    scalar, matrix, array, other = sent["1"]  # type: ignore[index]
    assert float(scalar) == 1.0 and matrix.shape == (2, 3) and type(matrix) is torch.Tensor
    assert torch.equal(array, torch.ones(2, 2, dtype=torch.float64)) and other.startswith("namespace(")
