"""The grader's own verdicts on hw1's checks, computed in its process from what the grading process observed.

Every check is judged again here (grader/judging.py): the model checks on the grader's copies of the
student's networks, the others by the judge_* functions beside them in the check modules. The runner
combines these with the child's verdicts: a check passes only if both agree it does.
"""

from __future__ import annotations

import contextlib
import importlib
from pathlib import Path

from check_1_model import linear_weights

from grader.judging import Evidence, Verdict, judge_checks, replica_key
from grader.mnist_training import accuracy_of, confusion_of_model
from grader.observe import requests_of
from grader.replica import ReplicaError, probe_batch, rebuild
from grader.stats import weight_histogram

# Every check module of this copy of the suite (a student release has fewer: its hidden files are left out).
MODULES = [importlib.import_module(path.stem) for path in sorted(Path(__file__).parent.glob("check_*.py"))]
# What `grader grade` has the grading process observe for the hidden checks, whose code it does not get.
OBSERVATIONS = requests_of(MODULES)


def verify(artifacts: dict[str, object], mnist_root: Path, challenge: int, checks: list[str]
           ) -> tuple[dict[str, Verdict], list[str], dict[str, object]]:
    """(verdicts by check name, notes for the report, figures' data for the reports)."""
    evidence = Evidence(artifacts, mnist_root, challenge)
    verdicts = judge_checks(MODULES, checks, evidence)
    notes, extras = [], {}
    with contextlib.suppress(ReplicaError):
        model = rebuild(evidence.get(replica_key()))
        weights = linear_weights(model, probe_batch())
        extras["initial_weights"] = [weight_histogram(w.detach()) for w in weights[:8]]
    with contextlib.suppress(ReplicaError):
        extras["confusion"] = confusion_of_model(rebuild(evidence.get("trained_model")), mnist_root)
        notes.append("MNIST accuracy recomputed by the grader from its copy of your trained model: "
                     f"{accuracy_of(extras['confusion']):.4f}.")  # type: ignore[arg-type]
    return verdicts, notes, extras
