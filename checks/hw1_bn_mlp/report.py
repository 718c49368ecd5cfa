"""hw1's report: the notes and figures' data the grader computes from the evidence, and the figures drawn."""

from __future__ import annotations

import contextlib

from check_1_model import linear_weights

from grader.kits.mnist.figures import confusion_figure, training_figure
from grader.kits.mnist.training import accuracy_of, confusion_of_model
from grader.kits.torch_models import replica_key
from grader.kits.torch_models.figures import weights_figure
from grader.kits.torch_models.replica import ReplicaError, probe_batch, rebuild
from grader.protocol import Evidence
from grader.stats import weight_histogram


def report_data(evidence: Evidence, recorded: dict[str, object], passed: dict[str, bool]
                ) -> tuple[list[str], dict[str, object]]:
    """(notes for the report, figures' data): the initial weights of the grader's copy of build_model()'s network,
    the confusion matrix of its copy of the trained one, and the training history the student's process
    recorded (displayed only, never scored)."""
    notes: list[str] = []
    extras: dict[str, object] = {}
    history = _history(recorded)
    if history:
        extras["history"] = history
    with contextlib.suppress(ReplicaError):
        weights = linear_weights(rebuild(evidence.get(replica_key())), probe_batch())
        extras["initial_weights"] = [weight_histogram(w.detach()) for w in weights[:8]]
    if evidence.data_root is not None:
        with contextlib.suppress(ReplicaError):
            extras["confusion"] = confusion_of_model(rebuild(evidence.get("trained_model")), evidence.data_root)
            notes.append("MNIST accuracy recomputed by the grader from its copy of your trained model: "
                         f"{accuracy_of(extras['confusion']):.4f}.")  # type: ignore[arg-type]
    return notes, extras


def _history(recorded: dict[str, object]) -> list[dict[str, float]]:
    history = recorded.get("history")
    if not isinstance(history, list):
        return []
    try:
        return [{"epoch": int(h["epoch"]), "train_cost": float(h["train_cost"]),
                 "test_accuracy": float(h["test_accuracy"])} for h in history[:100]]
    except (TypeError, KeyError, ValueError, OverflowError):
        return []


def figures(extras: dict[str, object]) -> list[str]:
    """The HTML sections of the student's report.html."""
    return [weights_figure(extras.get("initial_weights")), training_figure(extras.get("history")),
            confusion_figure(extras.get("confusion"))]
