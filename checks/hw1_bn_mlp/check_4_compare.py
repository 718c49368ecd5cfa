"""Q1-2: one consistent row per hidden-size configuration."""

# Every check of this file is hidden: the whole file is left out of the student release.
### BEGIN HIDDEN
from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType

import pytest
import torch

from grader.checking import require
from grader.judging import Evidence
from grader.observe import observed, perform_call, plain_data

CONFIGS = [(32, 16), (20, 30)]


# One epoch on the first 2000 training images, tested on the first 500 test images.
COMPARE_CALL = {"function": "compare_hidden_sizes", "key": "compare_rows", "train_size": 2000, "test_size": 500,
                "args": [CONFIGS, "$train_loader", "$test_loader"], "kwargs": {"epochs": 1, "lr": 0.1}}


@pytest.mark.points(2, visibility="hidden")
@pytest.mark.timeout(120)
@observed(calls=[COMPARE_CALL])
def check_compare_hidden_sizes(submission: ModuleType, mnist_root: Path, device: torch.device,
                               artifacts: dict[str, object]) -> None:
    """compare_hidden_sizes returns one row per config with matching layer sizes and numbers in range."""
    rows = perform_call(COMPARE_CALL, submission, mnist_root, device)
    artifacts["compare_rows"] = plain_data(rows)
    require_rows(rows)


def judge_compare_hidden_sizes(evidence: Evidence) -> None:
    """The same checks of the rows, in the grader's process. Rows are only numbers a function returned: this
    verdict holds a forger to rows of the right shape, not to having trained anything."""
    require_rows(evidence.get("compare_rows"))


def require_rows(rows: object) -> None:
    __tracebackhide__ = True
    require(isinstance(rows, list) and len(rows) == len(CONFIGS),
            f"compare_hidden_sizes should return a list of {len(CONFIGS)} rows, one per config.")
    for (h1, h2), row in zip(CONFIGS, rows):  # type: ignore[arg-type]
        require(isinstance(row, dict), "each row should be a dict.")
        require(tuple(row.get("hidden", ())) == (h1, h2), f"row for {(h1, h2)} says hidden={row.get('hidden')}.")
        shapes = [tuple(s) for s in row.get("linear_shapes", [])]
        require(shapes == [(784, h1), (h1, h2), (h2, 10)], f"row for {(h1, h2)} trained Linear layers {shapes}.")
        require(list(row.get("batchnorm_features", [])) == [h1, h2],
                f"row for {(h1, h2)} has BatchNorm sizes {row.get('batchnorm_features')}, not {[h1, h2]}.")
        cost, accuracy = float(row.get("train_cost", math.nan)), float(row.get("test_accuracy", math.nan))
        require(math.isfinite(cost) and cost >= 0, f"row for {(h1, h2)} has train_cost {cost}.")
        require(0.0 <= accuracy <= 1.0, f"row for {(h1, h2)} has test_accuracy {accuracy}, not in 0..1.")
### END HIDDEN
