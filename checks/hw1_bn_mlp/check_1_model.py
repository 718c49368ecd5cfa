"""Checks of build_model and init_weights: shapes, layer order, dropout, logits, Xavier statistics."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TypeGuard

import pytest
import torch
from torch import nn

from grader.checking import fail, require
from grader.kits.torch_models.nn_probes import describe_order, layer_sequence
from grader.protocol import Evidence
from grader.stats import xavier_problem
from grader.tensors import plain

BatchNorm = nn.modules.batchnorm._BatchNorm
EXPECTED_ORDER = "Linear -> BatchNorm -> ReLU -> Dropout -> Linear -> BatchNorm -> ReLU -> Dropout -> Linear"
# Each Xavier check fails a correct model with probability at most this (see grader/stats.py).
XAVIER_FALSE_FAIL = 1e-6


def linear_shapes(model: nn.Module, batch: torch.Tensor) -> list[tuple[int, int]]:
    return [(m.in_features, m.out_features) for m in layer_sequence(model, batch, (nn.Linear,))]


def expected_shapes(hidden: tuple[int, int]) -> list[tuple[int, int]]:
    return [(784, hidden[0]), (hidden[0], hidden[1]), (hidden[1], 10)]


def require_shapes(model: nn.Module, batch: torch.Tensor, hidden: tuple[int, int]) -> None:
    __tracebackhide__ = True
    require_shape_list(linear_shapes(model, batch), hidden)


def require_shape_list(shapes: list[tuple[int, int]], hidden: tuple[int, int]) -> None:
    """Also run by the grader outside the student's process, on the recorded weights' shapes."""
    __tracebackhide__ = True
    want = expected_shapes(hidden)
    require(shapes == want, f"the Linear layers should run as {_arrows(want)}, but they run as "
            f"{_arrows(shapes) if shapes else '(no Linear layer)'}.")


def _arrows(shapes: list[tuple[int, int]]) -> str:
    return ", ".join(f"{a} -> {b}" for a, b in shapes)


def require_matching_batchnorm(model: nn.Module, batch: torch.Tensor) -> None:
    __tracebackhide__ = True
    sequence = layer_sequence(model, batch, (nn.Linear, BatchNorm))
    norms = [(i, m) for i, m in enumerate(sequence) if isinstance(m, BatchNorm)]
    require(len(norms) == 2, f"a BatchNorm1d should follow each of the 2 hidden Linear layers, found {len(norms)}.")
    require(norms[0][1] is not norms[1][1], "the same BatchNorm1d object runs after both hidden Linear layers: "
            "each hidden layer needs a BatchNorm1d of its own (its own statistics and parameters).")
    for i, norm in norms:
        before = sequence[i - 1] if i > 0 else None
        require(isinstance(norm, nn.BatchNorm1d), f"use torch.nn.BatchNorm1d, not {type(norm).__name__}.")
        require(isinstance(before, nn.Linear) and before.out_features == norm.num_features,
                f"BatchNorm1d({norm.num_features}) should match the {getattr(before, 'out_features', '?')} "
                "outputs of the Linear layer before it.")


@pytest.mark.points(2)
def check_layer_shapes(model: nn.Module, batch: torch.Tensor) -> None:
    """The Linear layers map 784 -> 100 -> 100 -> 10 and the model outputs 10 scores per image."""
    require_shapes(model, batch, (100, 100))
    model.eval()
    with torch.no_grad():
        out = model(batch)
    require(tuple(out.shape) == (64, 10), f"for 64 images the model should output shape (64, 10), got {tuple(out.shape)}.")


@pytest.mark.points(1)
def check_batchnorm_sizes(model: nn.Module, batch: torch.Tensor) -> None:
    """Each hidden Linear layer is followed by a BatchNorm1d of matching size."""
    require_matching_batchnorm(model, batch)


@pytest.mark.points(2)
def check_layer_order(model: nn.Module, batch: torch.Tensor) -> None:
    """The layers run in the order Linear -> BatchNorm -> ReLU -> Dropout (twice), then Linear."""
    kinds = [order_kind(layer) for layer in layer_sequence(model, batch, (nn.Module,))]
    order = " -> ".join(kind for kind in kinds if kind)
    require(order == EXPECTED_ORDER, f"the layers run as {all_layers(model, batch)}, but the homework asks for "
            f"{EXPECTED_ORDER}.")


RELU_PROBE = torch.linspace(-3.0, 3.0, 61).reshape(1, 61)


def order_kind(layer: nn.Module) -> str | None:
    """The layer's part in the homework's order, judged by what it does where that is the question: a ReLU of the
    student's own (a stateless layer that computes max(0, x)) is a ReLU."""
    for kind, name in ((nn.Linear, "Linear"), (BatchNorm, "BatchNorm"), (nn.Dropout, "Dropout"), (nn.ReLU, "ReLU")):
        if isinstance(layer, kind):
            return name
    if list(layer.parameters(recurse=False)):
        return None
    try:
        with torch.no_grad():
            out = layer(RELU_PROBE.clone())
    except Exception:  # noqa: BLE001 - not a layer that takes a batch of numbers: not a ReLU
        return None
    return "ReLU" if isinstance(out, torch.Tensor) and torch.equal(out, RELU_PROBE.clamp(min=0)) else None


def all_layers(model: nn.Module, batch: torch.Tensor) -> str:
    """Every layer a forward pass runs, whatever its kind (a message names what was found)."""
    return describe_order(layer_sequence(model, batch, (nn.Module,)))


@pytest.mark.points(1)
def check_dropout_p(model: nn.Module, batch: torch.Tensor) -> None:
    """Both hidden layers use Dropout with p = 0.3."""
    dropouts = layer_sequence(model, batch, (nn.Dropout,))
    require(len(dropouts) == 2, f"a torch.nn.Dropout(p=0.3) should follow each of the 2 hidden ReLUs, found "
            f"{len(dropouts)} (the layers run as {all_layers(model, batch)}).")
    ps = [float(d.p) for d in dropouts]  # type: ignore[arg-type]
    require(all(abs(p - 0.3) < 1e-9 for p in ps), f"Dropout should use p=0.3, but the model uses p={ps}.")


@pytest.mark.points(1)
def check_logits_output(model: nn.Module, batch: torch.Tensor) -> None:
    """The model outputs raw scores (logits); CrossEntropyLoss applies the softmax itself."""
    model.eval()
    with torch.no_grad():
        out = model(batch).double()
    ones = torch.ones(out.shape[0], dtype=torch.float64)
    if bool((out >= 0).all()) and torch.allclose(out.sum(dim=1), ones, atol=1e-4):
        fail("the model ends with a softmax, but CrossEntropyLoss applies softmax itself: return the last "
             "Linear layer's output (logits).")
    if torch.allclose(torch.logsumexp(out, dim=1), ones - 1, atol=1e-4):
        fail("the model ends with a log-softmax, but CrossEntropyLoss applies it itself: return the last "
             "Linear layer's output (logits).")


def linear_weights(model: nn.Module, batch: torch.Tensor) -> list[torch.Tensor]:
    return [layer.weight for layer in dict.fromkeys(layer_sequence(model, batch, (nn.Linear,)))]


def require_xavier(weights: list[torch.Tensor], where: str) -> None:
    """Also run by the grader outside the student's process, on the weights recorded as artifacts."""
    __tracebackhide__ = True
    require(bool(weights), "the model has no Linear layer to check.")
    for index, weight in enumerate(weights, start=1):
        problem = xavier_problem(weight, XAVIER_FALSE_FAIL / len(weights))
        if problem:
            fail(f"{where}, Linear layer {index} ({weight.shape[1]} -> {weight.shape[0]}) {problem}; "
                 "initialise every Linear weight with torch.nn.init.xavier_uniform_ (or xavier_normal_).")


@pytest.mark.points(2)
def check_build_model_xavier(model: nn.Module, batch: torch.Tensor) -> None:
    """Right after build_model, every Linear weight follows Xavier: variance 2/(fan_in+fan_out)."""
    require_xavier(linear_weights(model, batch), "right after build_model()")


PROBE_CONTEXT = "after init_weights(model) on a 784-300-50-10 model"
PROBE_SHAPES = [(300, 784), (50, 300), (10, 50)]  # (out, in) of the probe's Linear weights, in order


@pytest.mark.points(1)
def check_init_weights_xavier(submission: ModuleType, batch: torch.Tensor, artifacts: dict[str, object]) -> None:
    """init_weights(model) gives every Linear layer of any model a Xavier-distributed weight."""
    probe = nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Sequential(nn.Linear(300, 50), nn.Linear(50, 10)))
    result = submission.init_weights(probe)
    require(result is None or result is probe, "init_weights(model) should change the model in place.")
    weights = linear_weights(probe, batch)
    artifacts["init_weights_probe"] = [plain(w) for w in weights]
    require_xavier(weights, PROBE_CONTEXT)


def judge_init_weights_xavier(evidence: Evidence) -> None:
    """The weights init_weights left on the probe: of the probe's shapes, and Xavier."""
    probe = evidence.get("init_weights_probe")
    require(is_weight_list(probe), "the grader received no weights from init_weights(model) to verify this check.")
    require([tuple(w.shape) for w in probe] == PROBE_SHAPES,  # type: ignore[union-attr]
            "the weights the grader received are not those of the check's 784-300-50-10 model.")
    require_xavier(probe, PROBE_CONTEXT)  # type: ignore[arg-type]


def is_weight_list(value: object) -> TypeGuard[list[torch.Tensor]]:
    return isinstance(value, list) and bool(value) and all(isinstance(w, torch.Tensor) and w.dim() == 2
                                                            for w in value)


def observe_build_model_hidden_sizes(build: Callable[..., nn.Module]) -> None:
    """Builds the model the hidden check judges (the `build` fixture records it)."""
    build(hidden=(200, 150))


### BEGIN HIDDEN
@pytest.mark.points(1, visibility="hidden")
def check_build_model_hidden_sizes(build: Callable[..., nn.Module], batch: torch.Tensor) -> None:
    """build_model(hidden=(200, 150)) builds 784 -> 200 -> 150 -> 10 with matching BatchNorm sizes."""
    model = build(hidden=(200, 150))
    require_shapes(model, batch, (200, 150))
    require_matching_batchnorm(model, batch)
### END HIDDEN


# A dropout rate nobody hard-codes (0.5 and 0.3 are what students write), so a model that ignores `p` shows it.
HIDDEN_P = 0.37


def observe_build_model_dropout_argument(build: Callable[..., nn.Module]) -> None:
    """Builds the model the hidden check judges (the `build` fixture records it)."""
    build(p=HIDDEN_P)


### BEGIN HIDDEN
@pytest.mark.points(1, visibility="hidden")
def check_build_model_dropout_argument(build: Callable[..., nn.Module], batch: torch.Tensor) -> None:
    """build_model(p=...) uses that p in both Dropout layers."""
    ps = [float(d.p) for d in layer_sequence(build(p=HIDDEN_P), batch, (nn.Dropout,))]  # type: ignore[arg-type]
    require(len(ps) == 2 and all(abs(p - HIDDEN_P) < 1e-9 for p in ps),
            f"build_model(p={HIDDEN_P}) should use p={HIDDEN_P} in both Dropout layers, got {ps}.")
### END HIDDEN
