"""A new assignment is a solution and a checks folder, nothing else (docs/authoring.md): a throwaway one, written
in a temporary copy of the project from those two folders alone, goes through `grader assign`, `grader check`,
`grader grade` (a hidden check included) and `grader release` with the grader's core unchanged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.assignment import PROJECT_ROOT

NAME = "relu_softmax"

SOLUTION = '''\
# %% [markdown]
# # A tiny homework: `relu` and `softmax` / 작은 과제
# Fill every `# Fill this blank!`. / 모든 빈칸을 채우세요.

# %%
import torch


# %% [markdown]
# ### Blank 1: `relu(x)`
# Return max(x, 0) elementwise, as a new tensor. / 원소별 max(x, 0)을 새 텐서로 돌려주세요.


# %%
def relu(x):
    ### BEGIN SOLUTION
    return x.clamp(min=0)
    ### END SOLUTION


# %% [markdown]
# ### Blank 2: `softmax(x)`
# Softmax over the last dimension, stable for large inputs. / 마지막 차원의 softmax (큰 입력에도 안정적으로).


# %%
def softmax(x):
    ### BEGIN SOLUTION
    shifted = x - x.max(dim=-1, keepdim=True).values
    return shifted.exp() / shifted.exp().sum(dim=-1, keepdim=True)
    ### END SOLUTION
'''

CHECKS = '''\
"""Checks of relu and softmax, each judged again by the grader from the evidence."""

import pytest
import torch

from grader.checking import require
from grader.protocol import Evidence


def challenge_input(seed: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(8, 5, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * scale


def require_relu(out: object, x: torch.Tensor) -> None:
    require(isinstance(out, torch.Tensor) and torch.equal(out, x.clamp(min=0)),
            "relu(x) should be max(x, 0) for every element.")


@pytest.mark.points(2)
def check_relu(submission, evidence, challenge):
    """relu(x) is max(x, 0), elementwise."""
    x = challenge_input(challenge)
    evidence["relu"] = out = submission.relu(x.clone())
    require_relu(out, x)


def judge_relu(evidence: Evidence) -> None:
    require_relu(evidence.get("relu"), challenge_input(evidence.challenge))


def require_softmax(out: object, x: torch.Tensor) -> None:
    require(isinstance(out, torch.Tensor) and torch.allclose(out, torch.softmax(x, dim=-1)),
            "softmax(x) should be exp(x) / sum(exp(x)) over the last dimension.")


@pytest.mark.points(3)
def check_softmax(submission, evidence, challenge):
    """softmax(x) sums to 1 over the last dimension."""
    x = challenge_input(challenge)
    evidence["softmax"] = out = submission.softmax(x.clone())
    require_softmax(out, x)


def judge_softmax(evidence: Evidence) -> None:
    require_softmax(evidence.get("softmax"), challenge_input(evidence.challenge))


def observe_softmax_large(submission, evidence, challenge):
    evidence["softmax_large"] = submission.softmax(challenge_input(challenge, 1000.0))


### BEGIN HIDDEN
@pytest.mark.points(1, visibility="hidden")
def check_softmax_large(submission, evidence, challenge):
    """softmax stays finite for large inputs."""
    observe_softmax_large(submission, evidence, challenge)
    judge_softmax_large(Evidence(evidence, challenge))


def judge_softmax_large(evidence: Evidence) -> None:
    require_softmax(evidence.get("softmax_large"), challenge_input(evidence.challenge, 1000.0))
### END HIDDEN
'''

UNSTABLE = "    shifted = x - x.max(dim=-1, keepdim=True).values\n"  # removing it: overflow on large inputs


def tiny_project(root: Path) -> Path:
    """A copy of the project's grader with only the throwaway assignment's two folders beside it."""
    shutil.copytree(PROJECT_ROOT / "grader", root / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root)
    (root / "solutions" / NAME).mkdir(parents=True)
    (root / "solutions" / NAME / f"{NAME}.py").write_text(SOLUTION, encoding="utf-8")
    (root / "checks" / NAME).mkdir(parents=True)
    (root / "checks" / NAME / "assignment.toml").write_text(f'module = "{NAME}"\n', encoding="utf-8")
    (root / "checks" / NAME / "check_functions.py").write_text(CHECKS, encoding="utf-8")
    return root


def grader(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=root, env=env, check=False,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_a_new_assignment_needs_only_its_solution_and_checks(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "course")
    assert grader(root, "assign", NAME).returncode == 0
    template = root / "assignments" / NAME / f"{NAME}.py"
    assert template.read_text(encoding="utf-8").count("raise NotImplementedError(\"Fill this blank!\")") == 2
    assert (root / "assignments" / NAME / f"{NAME}.ipynb").is_file()

    solved = grader(root, "check", f"solutions/{NAME}", "--all")
    assert solved.returncode == 0, solved.stdout + solved.stderr
    assert "Total: 6 of 6 points." in solved.stdout and "1 hidden check included" in solved.stdout
    untouched = grader(root, "check", f"assignments/{NAME}")  # the assignment found from the path
    assert untouched.returncode == 1
    assert "Total: 0 of 5 points." in untouched.stdout and "1 hidden check run at grading" in untouched.stdout
    assert untouched.stdout.count("is not implemented yet: fill its blank.") == 2

    # A class of three: the reference, the template, and an unstable softmax only the hidden check catches.
    class_dir = tmp_path / "class"
    for student in ("ada", "ben", "cy"):
        (class_dir / student).mkdir(parents=True)
    shutil.copy(root / "solutions" / NAME / f"{NAME}.py", class_dir / "ada" / f"{NAME}.py")
    shutil.copy(template, class_dir / "ben" / f"{NAME}.py")
    (class_dir / "cy" / f"{NAME}.py").write_text(SOLUTION.replace(UNSTABLE, "    shifted = x\n"), encoding="utf-8")
    graded = grader(root, "grade", str(class_dir), "--out", str(tmp_path / "out"), "--jobs", "2")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    scores = {}
    for student in ("ada", "ben", "cy"):
        report = json.loads((tmp_path / "out" / student / "report.json").read_text(encoding="utf-8"))
        scores[student] = (report["points"], {c["name"] for c in report["checks"] if c["status"] != "passed"})
    assert scores == {"ada": (6, set()), "ben": (0, {"relu", "softmax", "softmax_large"}),
                      "cy": (5, {"softmax_large"})}

    release = tmp_path / "release"
    released = grader(root, "release", "--out", str(release), NAME)
    assert released.returncode == 0, released.stdout + released.stderr
    checks = (release / "checks" / NAME / "check_functions.py").read_text(encoding="utf-8")
    assert "def observe_softmax_large(" in checks and "check_softmax_large" not in checks
    assert "released = true" in (release / "checks" / NAME / "assignment.toml").read_text(encoding="utf-8")


def test_the_authoring_guide_documents_the_protocol() -> None:
    guide = (PROJECT_ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    for piece in ("assignment.toml", "judge_", "observe_", "### BEGIN HIDDEN", "grader release", "report.py",
                  "kits", "challenge"):
        assert piece in guide, piece
    assert textwrap.dedent(CHECKS).count("def judge_") == 3
