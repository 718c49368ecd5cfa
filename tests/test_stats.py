"""The Xavier test passes both Xavier initialisers and fails PyTorch's default and He/Kaiming init."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from grader.stats import xavier_problem

SHAPES = [(100, 784), (100, 100), (10, 100)]  # (out, in) of the homework's layers
ALPHA = 1e-6 / 3


def init_with(initialiser: Callable[[torch.Tensor], object], shape: tuple[int, int], seed: int) -> torch.Tensor:
    torch.manual_seed(seed)
    weight = torch.empty(shape)
    initialiser(weight)
    return weight


@pytest.mark.parametrize("initialiser", [nn.init.xavier_uniform_, nn.init.xavier_normal_])
@pytest.mark.parametrize("seed", range(20))
def test_xavier_passes(initialiser: Callable[[torch.Tensor], object], seed: int) -> None:
    for shape in SHAPES:
        assert xavier_problem(init_with(initialiser, shape, seed), ALPHA) is None


def pytorch_default(weight: torch.Tensor) -> None:
    layer = nn.Linear(weight.shape[1], weight.shape[0])
    weight.copy_(layer.weight.detach())


@pytest.mark.parametrize("initialiser", [
    pytorch_default,
    lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu"),
    lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
    lambda w: nn.init.normal_(w, std=0.01),
    lambda w: nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain("relu")),
], ids=["default", "he_uniform", "he_normal", "normal_0.01", "xavier_with_relu_gain"])
@pytest.mark.parametrize("seed", range(5))
def test_wrong_initialisations_fail_on_some_layer(initialiser: Callable[[torch.Tensor], object], seed: int) -> None:
    problems = [xavier_problem(init_with(initialiser, shape, seed), ALPHA) for shape in SHAPES]
    assert any(problems)
    message = next(p for p in problems if p)
    assert "Xavier gives std" in message


def test_he_fails_the_first_two_layers() -> None:
    # He's variance 2/fan_in is 13% above Xavier's on 784 -> 100 and twice it on 100 -> 100.
    he = lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert xavier_problem(init_with(he, SHAPES[0], 0), ALPHA)
    assert xavier_problem(init_with(he, SHAPES[1], 0), ALPHA)
