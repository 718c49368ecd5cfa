"""Q1-2: one consistent row per hidden-size configuration, from networks that were built and trained."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from types import ModuleType

import pytest
import torch
from torch import nn

from grader.checking import fail, require
from grader.kits.mnist.training import accuracy_of, confusion_of_model, mnist_loaders
from grader.kits.torch_models.nn_probes import layer_sequence
from grader.kits.torch_models.observe import built_pairs, models_built
from grader.kits.torch_models.replica import Replica, probe_batch, rebuild
from grader.protocol import Evidence, all_judged_correct
from grader.tensors import plain_data

CONFIGS = [(32, 16), (20, 30)]
# One epoch on the first 2000 training images, tested on the first 500 test images.
COMPARE_TRAIN_SIZE, COMPARE_TEST_SIZE = 2000, 500


@pytest.mark.timeout(120)
def observe_compare_hidden_sizes(submission: ModuleType, mnist_root: Path, device: torch.device,
                                 evidence: dict[str, object]) -> None:
    """What compare_hidden_sizes returns, and every network it builds through build_model, described as built
    and as the call leaves it: the rows are only claims, the networks it trained are evidence."""
    train, test = mnist_loaders(mnist_root, device, seed=0, train_size=COMPARE_TRAIN_SIZE,
                                test_size=COMPARE_TEST_SIZE)
    with models_built(submission) as built:
        try:
            rows = submission.compare_hidden_sizes(CONFIGS, train, test, epochs=1, lr=0.1, device=device)
        finally:
            evidence["compare_rows:built"] = built_pairs(built)
    evidence["compare_rows"] = plain_data(rows)


# Every check of this file is hidden: only the observation above reaches the student release.
### BEGIN HIDDEN
# The reference's networks get 0.60-0.71 of those test images right (docs/calibration-hidden-checks.md),
# an untrained one about 0.1: the floor asks only that something was learned.
COMPARE_MIN_ACCURACY = 0.25
# A row's test_accuracy and the grader's own evaluation of the same network may differ by a few near-tie
# images (the grader's copy runs with other thread counts): 5 of the 500.
ACCURACY_TOLERANCE = 0.01
# The checks whose bugs change the accuracy evaluate reports: while the grader's verdicts fail one of them, that
# bug already costs its own check, and a row's accuracy is not held to the grader's. (Not so for training: the
# networks must have learned whatever the reason they did not, or rows and networks could be made up by a
# submission that fails everything else; a bug that wrecks training costs mnist_accuracy the same way.)
EVALUATION_CHECKS = ["evaluate_mode", "evaluate_accuracy", "evaluate_scale"]


@pytest.mark.points(2, visibility="hidden")
@pytest.mark.timeout(120)
def check_compare_hidden_sizes(submission: ModuleType, mnist_root: Path, device: torch.device,
                               evidence: dict[str, object], challenge: int) -> None:
    """compare_hidden_sizes trains one network per config, built with build_model, and returns one row for
    each: its layer sizes, a finite cost and the accuracy evaluate gives that network."""
    observe_compare_hidden_sizes(submission, mnist_root, device, evidence)
    judge_compare_hidden_sizes(Evidence(evidence, challenge, mnist_root))


def judge_compare_hidden_sizes(evidence: Evidence) -> None:
    """The rows, checked against the grader's copies of the networks the call built and trained."""
    rows = require_rows(evidence.get("compare_rows"))
    built = evidence.get("compare_rows:built")
    if not isinstance(built, list):
        built = []
    import check_3_training

    judges = {name: getattr(check_3_training, f"judge_{name}") for name in EVALUATION_CHECKS}
    evaluation_judged = all_judged_correct(judges, EVALUATION_CHECKS, evidence)
    for (h1, h2), row in zip(CONFIGS, rows):
        initial, final = network_for((h1, h2), built)
        if initial is None or final is None:
            fail(f"compare_hidden_sizes built no network with Linear layers 784 -> {h1} -> {h2} -> 10 through "
                 "build_model: build each config's network with build_model(hidden=...).")
        require(any(not torch.equal(a, b) for a, b in zip(initial.state_dict().values(),
                                                          final.state_dict().values())),
                f"the network compare_hidden_sizes built for {(h1, h2)} was not trained: its weights and "
                "BatchNorm statistics are the ones build_model gave it.")
        # The row describes its own network: its BatchNorm sizes are that network's (a model without BatchNorm
        # costs the model checks, not Q1-2 again).
        norms = [m.num_features for m in layer_sequence(final.eval(), probe_batch(), (nn.BatchNorm1d,))]
        require(list(row.get("batchnorm_features", [])) == norms, f"the row for {(h1, h2)} says BatchNorm sizes "
                f"{row.get('batchnorm_features')}, but the network trained for it has {norms}.")
        accuracy = test_accuracy(final, evidence.data_root)
        require(accuracy >= COMPARE_MIN_ACCURACY, f"the grader's copy of the network compare_hidden_sizes trained "
                f"for {(h1, h2)} gets {accuracy:.3f} of the test images right, below {COMPARE_MIN_ACCURACY}: it did "
                "not learn (look at the network build_model gives and at train_epoch).")
        claimed = float(row["test_accuracy"])  # type: ignore[arg-type]  # require_rows checked it converts
        if evaluation_judged:
            require(abs(claimed - accuracy) <= ACCURACY_TOLERANCE, f"the row for {(h1, h2)} says test_accuracy "
                    f"{claimed:.3f}, but the network trained for it gets {accuracy:.3f} on test_loader: report "
                    "evaluate() of that network.")


def network_for(hidden: tuple[int, int], built: list[object]) -> tuple[Replica | None, Replica | None]:
    """The grader's copies (as built, as trained) of the last network built with the config's Linear sizes:
    a network built for a look before the one trained (say, to print a summary) is not the one reported."""
    want = [(784, hidden[0]), (hidden[0], hidden[1]), (hidden[1], 10)]
    for pair in reversed(built):
        with contextlib.suppress(Exception):  # a description that cannot be rebuilt is no evidence
            initial, final = rebuild(pair["initial"]), rebuild(pair["final"])  # type: ignore[index]
            linears = layer_sequence(final.eval(), probe_batch(), (nn.Linear,))  # eval: BatchNorm keeps its statistics
            if [(m.in_features, m.out_features) for m in linears] == want and same_shapes(initial, final):
                return initial, final
    return None, None


def same_shapes(first: nn.Module, second: nn.Module) -> bool:
    """One network as built and as trained: the same tensors, of the same shapes."""
    a, b = first.state_dict(), second.state_dict()
    return a.keys() == b.keys() and all(a[key].shape == b[key].shape for key in a)


def test_accuracy(model: nn.Module, mnist_root: Path) -> float:
    """`model`'s accuracy in eval mode on the test images the call's test_loader holds."""
    return accuracy_of(confusion_of_model(model, mnist_root, size=COMPARE_TEST_SIZE))


def require_rows(rows: object) -> list[dict[str, object]]:
    __tracebackhide__ = True
    if not isinstance(rows, list) or len(rows) != len(CONFIGS):
        fail(f"compare_hidden_sizes should return a list of {len(CONFIGS)} rows, one per config.")
    for (h1, h2), row in zip(CONFIGS, rows):
        if not isinstance(row, dict):
            fail("each row should be a dict.")
        require(tuple(row.get("hidden", ())) == (h1, h2), f"row for {(h1, h2)} says hidden={row.get('hidden')}.")
        shapes = [tuple(s) for s in row.get("linear_shapes", [])]
        require(shapes == [(784, h1), (h1, h2), (h2, 10)], f"row for {(h1, h2)} trained Linear layers {shapes}.")
        cost, accuracy = float(row.get("train_cost", math.nan)), float(row.get("test_accuracy", math.nan))
        require(math.isfinite(cost) and cost >= 0, f"row for {(h1, h2)} has train_cost {cost}.")
        require(0.0 <= accuracy <= 1.0, f"row for {(h1, h2)} has test_accuracy {accuracy}, not in 0..1.")
    return rows
### END HIDDEN
