"""A student function that hangs costs one time limit, not one per check that calls it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from catalogue import plant

from grader.pipeline import check_path

LOOPING_BUILD_MODEL = {"name": "build_model_never_returns", "old": "    h1, h2 = hidden\n",
                       "new": "    while True:  # a wrong loop condition\n        pass\n    h1, h2 = hidden\n"}


@pytest.mark.slow
def test_a_hung_function_is_not_called_again(tmp_path: Path) -> None:
    path = tmp_path / "hw1_bn_mlp.py"
    path.write_text(plant(LOOPING_BUILD_MODEL), encoding="utf-8")
    started = time.monotonic()
    run = check_path(path, "hw1_bn_mlp", visibility="all", device="cpu")
    seconds = time.monotonic() - started
    failed = {c.name: c.message for c in run.checks if not c.passed}
    first = [m for m in failed.values() if m.startswith("timed out")]
    again = [m for m in failed.values() if "did not return within 15 s when `layer_shapes` called it" in m]
    assert len(first) == 1 and "build_model()" in first[0], failed
    # Every other check that builds the model, the hidden ones and the accuracy check included, says so at once.
    assert len(again) == len(failed) - 1 == 11, failed
    assert {"build_model_hidden_sizes", "compare_hidden_sizes", "mnist_accuracy"} <= set(failed)
    assert "load_mnist" not in failed and "criterion" not in failed  # checks that need no model still pass
    assert seconds < 15 + 60, seconds  # one time limit, not one per check (24 x 15 s before)
