"""Part 3: any number of sigmoid layers (the notes' xor-nn-wide-deep), checked against torch.autograd."""

from __future__ import annotations

import itertools
import math
from types import ModuleType

import pytest
import torch
from check_1_xor import (
    DTYPE,
    as_list,
    call_backward,
    generator,
    grader_cache,
    judge_cache,
    judge_gradients,
    require_dict,
    require_tensor,
    xor_points,
)

from grader.checking import require
from grader.protocol import Evidence
from grader.tensors import plain_data

Case = tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]


def xavier_parameters(sizes: list[int], seed: int) -> dict[str, torch.Tensor]:
    """What init_deep(sizes, seed) must give: Xavier-scaled torch.randn weights drawn in layer order from one
    generator, zero biases."""
    draws = generator(seed)
    params: dict[str, torch.Tensor] = {}
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes), start=1):
        params[f"w{i}"] = torch.randn(fan_in, fan_out, generator=draws, dtype=DTYPE) / math.sqrt(fan_in)
        params[f"b{i}"] = torch.zeros(fan_out, dtype=torch.float64)
    return params


def layer_sizes(draws: torch.Generator, layers: int, outputs: int = 1, widest: int = 8) -> list[int]:
    inner = torch.randint(1, widest + 1, (layers,), generator=draws).tolist()
    return [int(inner[0]) % 5 + 1, *map(int, inner[1:]), outputs]


def random_network(draws: torch.Generator, sizes: list[int], n: int) -> Case:
    """Weights 1.5 / sqrt(fan_in) * randn and biases 0.5 * randn (no layer saturates), n points, labels 0/1."""
    params: dict[str, torch.Tensor] = {}
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes), start=1):
        params[f"w{i}"] = torch.randn(fan_in, fan_out, generator=draws, dtype=DTYPE) * 1.5 / math.sqrt(fan_in)
        params[f"b{i}"] = torch.randn(fan_out, generator=draws, dtype=DTYPE) * 0.5
    X = torch.randn(n, sizes[0], generator=draws, dtype=DTYPE)
    Y = torch.randint(0, 2, (n, sizes[-1]), generator=draws).to(DTYPE)
    return X, Y, params


def deep_cases(seed: int) -> list[Case]:
    """Eight networks: 2, 3, 4 and 5 layers twice, one output, 2 to 9 points."""
    draws = generator(seed)
    cases = []
    for layers in (2, 3, 4, 5, 2, 3, 4, 5):
        sizes = layer_sizes(draws, layers)
        cases.append(random_network(draws, sizes, int(torch.randint(2, 10, (1,), generator=draws))))
    return cases


def describe(params: dict[str, torch.Tensor]) -> str:
    count = len(params) // 2
    sizes = [params["w1"].shape[0]] + [params[f"w{i}"].shape[1] for i in range(1, count + 1)]
    return "-".join(map(str, sizes))


def init_calls(seed: int) -> list[tuple[list[int], int]]:
    """The notes' xor-nn-wide-deep sizes twice with one seed, and random sizes with another."""
    draws = generator(seed)
    first = seed % 100000
    return [([2, 10, 10, 10, 1], first), ([2, 10, 10, 10, 1], first), (layer_sizes(draws, 3, outputs=2), first + 1)]


@pytest.mark.points(1)
def check_init_deep(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """init_deep(sizes, seed) gives Xavier weights (randn * sqrt(1 / fan_in)) and zero biases, seeded."""
    evidence["init_deep"] = [plain_data(submission.init_deep(list(sizes), seed)) for sizes, seed in init_calls(challenge)]
    judge_init_deep(Evidence(evidence, challenge))


def judge_init_deep(evidence: Evidence) -> None:
    calls = as_list(evidence.get("init_deep"))
    require(len(calls) == 3, "the grader received no parameters from init_deep to verify.")
    for (sizes, seed), params in zip(init_calls(evidence.challenge), calls):
        expected = xavier_parameters(sizes, seed)
        params = require_dict(params, list(expected), f"init_deep({sizes}, {seed})")
        require(len(params) == len(expected), f"init_deep({sizes}, {seed}) should hold exactly the keys "
                f"{', '.join(expected)}.")
        for key, want in expected.items():
            got = require_tensor(params[key], tuple(want.shape), f"init_deep({sizes}, {seed})[{key!r}]")
            require(torch.allclose(got, want, rtol=1e-12, atol=0.0), f"init_deep({sizes}, {seed})[{key!r}] is not "
                    "what the template asks: for i = 1..L in order, torch.randn(n(i-1), n(i)) from "
                    "torch.Generator().manual_seed(seed) times sqrt(1 / n(i-1)), and zero biases.")


def forward_cases(seed: int) -> list[tuple[torch.Tensor, dict[str, torch.Tensor]]]:
    draws = generator(seed)
    cases = []
    for layers in (2, 3, 4, 5):
        X, _, params = random_network(draws, layer_sizes(draws, layers), int(torch.randint(2, 10, (1,), generator=draws)))
        cases.append((X, params))
    return cases


@pytest.mark.points(2)
def check_forward_deep(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """forward_deep returns z_i and a_i of every layer of random networks of 2 to 5 layers."""
    evidence["forward_deep"] = [plain_data(submission.forward_deep(X.clone(), {k: v.clone() for k, v in params.items()}))
                                for X, params in forward_cases(challenge)]
    judge_forward_deep(Evidence(evidence, challenge))


def judge_forward_deep(evidence: Evidence) -> None:
    caches = as_list(evidence.get("forward_deep"))
    cases = forward_cases(evidence.challenge)
    require(len(caches) == len(cases), "the grader received no cache from forward_deep to verify.")
    for cache, (X, params) in zip(caches, cases):
        judge_cache(cache, grader_cache(X, params), f"forward_deep on a {describe(params)} network")


@pytest.mark.points(3)
def check_backward_deep(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """backward_deep gives autograd's gradients for random networks of 2 to 5 sigmoid layers."""
    evidence["backward_deep"] = [plain_data(call_backward(submission.backward_deep, X, Y, params))
                                 for X, Y, params in deep_cases(challenge)]
    judge_backward_deep(Evidence(evidence, challenge))


def judge_backward_deep(evidence: Evidence) -> None:
    grads = as_list(evidence.get("backward_deep"))
    cases = deep_cases(evidence.challenge)
    require(len(grads) == len(cases), "the grader received no gradients from backward_deep to verify.")
    for got, (X, Y, params) in zip(grads, cases):
        judge_gradients(got, X, Y, params, "backward_deep", describe(params))


def output_cases(seed: int) -> list[Case]:
    """Networks with 2 to 4 outputs, single points, and the notes' 2-10-10-10-1 network on the XOR points."""
    draws = generator(seed + 3)
    cases = [random_network(draws, layer_sizes(draws, layers, outputs=outputs), n)
             for layers, outputs, n in ((2, 3, 5), (3, 2, 1), (4, 4, 6), (5, 2, 3), (3, 1, 1))]
    X, Y = xor_points()
    return [*cases, (X, Y, xavier_parameters([2, 10, 10, 10, 1], seed))]


def observe_backward_deep_outputs(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    evidence["backward_deep_outputs"] = [plain_data(call_backward(submission.backward_deep, X, Y, params))
                                         for X, Y, params in output_cases(challenge)]


### BEGIN HIDDEN
@pytest.mark.points(2, visibility="hidden")
def check_backward_deep_outputs(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """backward_deep is right with several outputs (the mean over all N x nL entries), one point, and 2-10-10-10-1."""
    observe_backward_deep_outputs(submission, evidence, challenge)
    judge_backward_deep_outputs(Evidence(evidence, challenge))


def judge_backward_deep_outputs(evidence: Evidence) -> None:
    grads = as_list(evidence.get("backward_deep_outputs"))
    cases = output_cases(evidence.challenge)
    require(len(grads) == len(cases), "the grader received no gradients from backward_deep to verify.")
    for got, (X, Y, params) in zip(grads, cases):
        judge_gradients(got, X, Y, params, "backward_deep", describe(params))
### END HIDDEN
