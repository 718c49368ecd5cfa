"""The end-to-end check: the student's model, trained by the student's code, learns MNIST."""

from __future__ import annotations

import contextlib
from pathlib import Path
from types import ModuleType

import pytest
import torch

from grader.checking import require
from grader.kits.mnist.training import GRADING_EPOCHS, accuracy_of, confusion_of_model, train_and_evaluate
from grader.kits.torch_models.replica import describe, rebuild
from grader.protocol import Evidence

# Calibrated on the reference solution (checks/hw1_bn_mlp/CALIBRATION.md): the worst of 12 seeds
# reached 0.9425 after 2 epochs; the threshold sits more than 1 percentage point below it.
MIN_ACCURACY = 0.92


@pytest.mark.points(4)
@pytest.mark.timeout(300)
def check_mnist_accuracy(submission: ModuleType, mnist_root: Path, device: torch.device,
                         record_property: pytest.RecordProperty, artifacts: dict[str, object]) -> None:
    """Your build_model and train_epoch train a model that reaches the minimum MNIST test accuracy."""
    history, model = train_and_evaluate(submission, mnist_root, device)
    record_property("history", [vars(h) for h in history])
    with contextlib.suppress(Exception):  # a model that cannot be described is a model the grader cannot judge
        artifacts["trained_model"] = describe(model)
    # Measured by the grader's own evaluation (eval mode, no autograd, 0..1 images), not the student's evaluate:
    # an evaluate bug costs the evaluate_* checks that name it, not this one too (one bug, one check).
    accuracy = accuracy_of(confusion_of_model(model.cpu(), mnist_root))
    require(accuracy >= MIN_ACCURACY, f"after {GRADING_EPOCHS} epochs of training with your train_epoch, your model "
            f"gets a test accuracy of {accuracy:.4f}, below the {MIN_ACCURACY} that the reference solution always "
            "beats.")


def judge_mnist_accuracy(evidence: Evidence) -> None:
    """The grader's own evaluation, on the MNIST test set, of its copy of the model the student's code trained."""
    accuracy = accuracy_of(confusion_of_model(rebuild(evidence.get("trained_model")), evidence.data_root))
    require(accuracy >= MIN_ACCURACY, f"the grader's own evaluation of your trained model gives a test accuracy of "
            f"{accuracy:.4f}, below {MIN_ACCURACY}.")
