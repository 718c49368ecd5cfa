"""Verdicts the grader recomputes in its own process from the tensors the checks recorded.

A check computed next to student code can in principle be forged by that code; these cannot.
The runner combines them with the child's verdicts: a check passes only if both agree it does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeGuard

import pytest
import torch
from check_1_model import PROBE_CONTEXT, PROBE_SHAPES, require_shape_list, require_xavier
from check_3_training import (
    OPTIMIZER_LR,
    OPTIMIZER_STEPS,
    criterion_outputs,
    optimizer_probe,
    stepped_parameters,
)
from check_5_accuracy import MIN_ACCURACY
from torch import nn

from grader.mnist_training import accuracy_of, confusion_of_weights
from grader.stats import weight_histogram

Verdict = tuple[bool, str]


def _verdict(check: Callable[[], None]) -> Verdict:
    try:
        check()
    except pytest.fail.Exception as failure:
        return False, str(failure)
    return True, ""


def _weight_list(value: object) -> TypeGuard[list[torch.Tensor]]:
    return isinstance(value, list) and bool(value) and all(isinstance(w, torch.Tensor) and w.dim() == 2
                                                            for w in value)


def _init_weights_verdict(probe: object) -> Verdict:
    """init_weights on the check's 784-300-50-10 probe: the weights it left, of the probe's shapes, Xavier."""
    if not _weight_list(probe):
        return False, "the grader received no weights from init_weights(model) to verify this check."
    if [tuple(w.shape) for w in probe] != PROBE_SHAPES:
        return False, "the weights the grader received are not those of the check's 784-300-50-10 model."
    return _verdict(lambda: require_xavier(probe, PROBE_CONTEXT))


def _same_tensors(sent: object, expected: list[torch.Tensor]) -> bool:
    if not isinstance(sent, list) or len(sent) != len(expected):
        return False
    try:
        for got, want in zip(sent, expected):
            torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)
    except (AssertionError, TypeError, ValueError, RuntimeError):
        return False
    return True


def _criterion_verdict(sent: object) -> Verdict:
    if _same_tensors(sent, criterion_outputs(nn.CrossEntropyLoss())):
        return True, ""
    return False, ("the grader's own run of your criterion does not give CrossEntropyLoss's loss and gradients "
                   "(make_criterion should return torch.nn.CrossEntropyLoss()).")


def _optimizer_verdict(sent: object) -> Verdict:
    probe = optimizer_probe()
    if _same_tensors(sent, stepped_parameters(probe, torch.optim.Adam(probe.parameters(), lr=OPTIMIZER_LR))):
        return True, ""
    return False, (f"the grader's own check of your optimizer's first {OPTIMIZER_STEPS} steps does not match "
                   f"torch.optim.Adam(model.parameters(), lr={OPTIMIZER_LR}).")


def verify(artifacts: dict[str, object], mnist_root: Path
           ) -> tuple[dict[str, Verdict], list[str], dict[str, object]]:
    """(verdicts by check name, notes for the report, figures' data for the reports)."""
    verdicts: dict[str, Verdict] = {}
    notes: list[str] = []
    extras: dict[str, object] = {}
    weights = artifacts.get("initial_linear_weights")
    if _weight_list(weights):
        extras["initial_weights"] = [weight_histogram(w) for w in weights[:8]]
        verdicts["build_model_xavier"] = _verdict(lambda: require_xavier(weights, "right after build_model()"))
        shapes = [(int(w.shape[1]), int(w.shape[0])) for w in weights]
        verdicts["layer_shapes"] = _verdict(lambda: require_shape_list(shapes, (100, 100)))
    else:
        missing = "the grader received no initial weights to verify this check."
        verdicts["build_model_xavier"] = verdicts["layer_shapes"] = (False, missing)
    verdicts["init_weights_xavier"] = _init_weights_verdict(artifacts.get("init_weights_probe"))
    verdicts["criterion"] = _criterion_verdict(artifacts.get("criterion_outputs"))
    verdicts["optimizer"] = _optimizer_verdict(artifacts.get("optimizer_steps"))
    state = artifacts.get("trained_state")
    confusion = confusion_of_weights(state, mnist_root) if isinstance(state, dict) else None
    if confusion is None:
        notes.append("MNIST accuracy was not recomputed by the grader (no trained weights in the homework's "
                     "Sequential layout); the verdict from the student's process stands.")
    else:
        extras["confusion"] = confusion
        accuracy = accuracy_of(confusion)
        verdicts["mnist_accuracy"] = (accuracy >= MIN_ACCURACY, (f"the grader's own evaluation of your trained "
                                      f"weights gives a test accuracy of {accuracy:.4f}, below {MIN_ACCURACY}."))
        notes.append(f"MNIST accuracy recomputed by the grader from the trained weights: {accuracy:.4f}.")
    return verdicts, notes, extras
