"""The parent's own verdicts (checks/hw1_bn_mlp/verify.py) from the tensors a grading process sent back.

Each recomputed check must fail on artifacts a wrong or forging submission would send, and pass on the
reference's, whatever the child claimed.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import torch
from torch import nn

from grader.runner import suite_dir
from grader.suite import load_suite

VERIFY = load_suite(suite_dir("hw1_bn_mlp")).verify  # loading it puts the checks folder on sys.path
training = importlib.import_module("check_3_training")  # the probes the check and verify.py share
PROBE = [(300, 784), (50, 300), (10, 50)]  # the init_weights check's probe model, (out, in)


def weights(shapes: list[tuple[int, int]], init) -> list[torch.Tensor]:
    torch.manual_seed(0)
    out = []
    for rows, cols in shapes:
        layer = nn.Linear(cols, rows)
        if init is not None:
            init(layer.weight)
        out.append(layer.weight.detach().clone())
    return out


def verdict(artifacts: dict[str, object], check: str) -> tuple[bool, str]:
    assert VERIFY is not None
    verdicts, _, _ = VERIFY(artifacts, Path("/nonexistent"))
    return verdicts[check]


def test_init_weights_recomputed_from_the_probe_weights() -> None:
    assert verdict({"init_weights_probe": weights(PROBE, nn.init.xavier_uniform_)}, "init_weights_xavier") == (True, "")
    assert verdict({"init_weights_probe": weights(PROBE, nn.init.xavier_normal_)}, "init_weights_xavier")[0]


@pytest.mark.parametrize("artifacts", [
    {},  # a forged results file and nothing else
    {"init_weights_probe": "xavier, trust me"},
    {"init_weights_probe": weights(PROBE, None)},  # PyTorch's default init: init_weights did nothing
    {"init_weights_probe": weights(PROBE, nn.init.kaiming_uniform_)},  # He init
    {"init_weights_probe": weights([(100, 784), (100, 100), (10, 100)], nn.init.xavier_uniform_)},  # not the probe
], ids=["missing", "not_tensors", "default_init", "he_init", "other_model"])
def test_init_weights_fails_on_what_a_wrong_or_forging_child_sends(artifacts: dict[str, object]) -> None:
    ok, message = verdict(artifacts, "init_weights_xavier")
    assert not ok and message


def test_build_model_xavier_and_shapes_recomputed_from_the_initial_weights() -> None:
    good = {"initial_linear_weights": weights([(100, 784), (100, 100), (10, 100)], nn.init.xavier_uniform_)}
    assert verdict(good, "build_model_xavier") == (True, "") and verdict(good, "layer_shapes") == (True, "")
    wide = {"initial_linear_weights": weights([(100, 784), (100, 100), (20, 100)], nn.init.xavier_uniform_)}
    assert not verdict(wide, "layer_shapes")[0]
    default = {"initial_linear_weights": weights([(100, 784), (100, 100), (10, 100)], None)}
    assert not verdict(default, "build_model_xavier")[0]


def test_criterion_recomputed_from_its_loss_and_gradients() -> None:
    assert verdict({"criterion_outputs": training.criterion_outputs(nn.CrossEntropyLoss())}, "criterion") == (True, "")
    for wrong in ({}, {"criterion_outputs": [torch.tensor([1.0])]},
                  {"criterion_outputs": training.criterion_outputs(nn.CrossEntropyLoss(reduction="sum"))},
                  {"criterion_outputs": training.criterion_outputs(nn.CrossEntropyLoss(label_smoothing=0.1))},
                  {"criterion_outputs": training.criterion_outputs(
                      lambda logits, y: nn.functional.nll_loss(logits, y))}):  # logits taken for log-probabilities
        ok, message = verdict(wrong, "criterion")
        assert not ok and message, wrong


def test_optimizer_recomputed_from_its_first_steps() -> None:

    def sent(make) -> dict[str, object]:
        probe = training.optimizer_probe()
        return {"optimizer_steps": training.stepped_parameters(probe, make(probe))}

    assert verdict(sent(lambda m: torch.optim.Adam(m.parameters(), lr=0.01)), "optimizer") == (True, "")
    for wrong in (lambda m: torch.optim.SGD(m.parameters(), lr=0.01),  # the catalogue's sgd_optimizer
                  lambda m: torch.optim.Adam(m.parameters(), lr=0.1),  # the lr argument ignored
                  lambda m: torch.optim.Adam(list(m.parameters())[:2], lr=0.01),  # not every parameter
                  lambda m: torch.optim.AdamW(m.parameters(), lr=0.01)):
        ok, message = verdict(sent(wrong), "optimizer")
        assert not ok and message
    ok, _ = verdict({"optimizer_steps": "Adam, honestly"}, "optimizer")
    assert not ok
