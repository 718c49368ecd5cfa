"""A student's network as plain data, and the grader's own copy rebuilt from it.

Checks that judge a model must not trust a verdict computed next to student code. So the grading
process describes the model it was given (its leaf layers in the order a forward pass runs them,
their settings and tensors, and the output on a fixed batch), and the grader rebuilds that network
from torch's own layers, confirms the copy gives the same output, and judges the copy. Forging a
description that passes means describing a correct network, that is, doing the homework.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from grader.kits.torch_models.nn_probes import recording
from grader.protocol import JudgeError
from grader.tensors import plain

# The layers a copy can hold, and the settings that make them behave as the original: what a student
# building the homework's network (or a plausible wrong one) puts in it.
SETTINGS: dict[str, tuple[str, ...]] = {
    "Linear": ("in_features", "out_features"),
    "BatchNorm1d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "LayerNorm": ("normalized_shape", "eps", "elementwise_affine"),
    "Dropout": ("p",),
    "AlphaDropout": ("p",),
    "FeatureAlphaDropout": ("p",),
    "ReLU": (),
    "ReLU6": (),
    "LeakyReLU": ("negative_slope",),
    "PReLU": ("num_parameters",),
    "SELU": (),
    "CELU": ("alpha",),
    "ELU": ("alpha",),
    "GELU": ("approximate",),
    "SiLU": (),
    "Mish": (),
    "Hardswish": (),
    "Hardtanh": ("min_val", "max_val"),
    "Softplus": ("beta", "threshold"),
    "Tanh": (),
    "Sigmoid": (),
    "Identity": (),
    "Flatten": ("start_dim", "end_dim"),
    "Softmax": ("dim",),
    "LogSoftmax": ("dim",),
}


# A description comes from an untrusted process: bounds on what rebuilding and running it may cost here.
MAX_LAYERS, MAX_CALLS = 200, 1000
# A layer of the student's own with no parameters or buffers that acts on each number alone (an activation written
# by hand) is copied as the function it computes: its values on this grid, interpolated linearly (error ~1e-7 for
# smooth functions, exact for ReLU-like ones whose kinks sit on grid points), extended linearly outside it
# (inputs after BatchNorm rarely leave [-10, 10]).
GRID = torch.linspace(-40.0, 40.0, 40001, dtype=torch.float64)


class ReplicaError(JudgeError):
    """The description cannot be rebuilt, or the copy does not behave like the original."""


def probe_batch() -> torch.Tensor:
    """The fixed batch a description's output is taken on: 64 flattened images' worth of 0..1 inputs."""
    return torch.rand(64, 784, generator=torch.Generator().manual_seed(20261123))


def describe(model: nn.Module) -> dict[str, object]:
    """`model` as plain data. Runs one eval-mode forward pass on `probe_batch()` (no state changes) and
    puts the model back in the mode it was in."""
    was_training = {module: module.training for module in model.modules()}
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    try:
        model.eval()
        with torch.no_grad(), recording(model) as calls:
            output = model(probe_batch().to(device))
    finally:
        for module, training in was_training.items():
            module.training = training
    layers = list(dict.fromkeys(call.module for call in calls))
    sampled = {i: _sample(module) for i, module in enumerate(layers) if type(module).__name__ not in SETTINGS}
    return {
        "layers": [_layer(module, sampled.get(i) is not None) for i, module in enumerate(layers)],
        "calls": [layers.index(call.module) for call in calls],
        "state": {**{f"{i}.{name}": plain(value) for i, module in enumerate(layers)
                     for name, value in module.state_dict().items()},
                  **{f"{i}.values": values for i, values in sampled.items() if values is not None}},
        "output": plain(output) if isinstance(output, torch.Tensor) else None,
    }


def _layer(module: nn.Module, sampled: bool = False) -> dict[str, object]:
    kind = type(module).__name__
    if sampled:
        return {"kind": kind, "sampled": True}
    settings = SETTINGS.get(kind, ())
    return {"kind": kind, **{name: _setting(getattr(module, name, None)) for name in settings},
            **({"bias": module.bias is not None} if kind == "Linear" else {})}


def _sample(module: nn.Module) -> torch.Tensor | None:
    """The values of a stateless layer of the student's own on GRID, if it acts on each number alone, the same in
    train and eval mode (checked on numbers off the grid); otherwise None, and the copy names the layer."""
    if list(module.parameters(recurse=False)) or list(module.buffers(recurse=False)):
        return None
    training = module.training
    off_grid = torch.rand(16, 37, generator=torch.Generator().manual_seed(7), dtype=torch.float64) * 70 - 35
    try:
        with torch.no_grad():
            module.eval()
            values = module(GRID.float()).double()
            check = module(off_grid.float()).double()
            module.train()
            again = module(GRID.float()).double()
    except Exception:  # noqa: BLE001 - the student's layer: it is then described by name only
        return None
    finally:
        module.train(training)
    if values.shape != GRID.shape or check.shape != off_grid.shape or not torch.equal(values, again):
        return None
    if not torch.allclose(interpolate(values, off_grid), check, rtol=1e-4, atol=1e-5):
        return None
    return values


def interpolate(values: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear interpolation of `values` (taken on GRID) at `x`; beyond the grid, the line through the
    last unit of it (one step's slope would carry float32 rounding, ~1e-3 per unit, into the extension)."""
    grid = GRID.to(x.device)
    step = float(grid[1] - grid[0])
    x = x.double()
    index = ((x - float(grid[0])) / step).floor().clamp(0, len(grid) - 2).long()
    t = (x - grid[index]) / step
    inside = values[index] * (1 - t) + values[index + 1] * t
    span = round(1.0 / step)
    low_slope = (values[span] - values[0]) / (grid[span] - grid[0])
    high_slope = (values[-1] - values[-1 - span]) / (grid[-1] - grid[-1 - span])
    below = values[0] + (x - grid[0]) * low_slope
    above = values[-1] + (x - grid[-1]) * high_slope
    return torch.where(x < grid[0], below, torch.where(x > grid[-1], above, inside))


class Sampled(nn.Module):
    """The grader's copy of a stateless elementwise layer of the student's own (see GRID)."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("values", torch.zeros(len(GRID), dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return interpolate(self.values, x).to(x.dtype)


def _setting(value: object) -> object:
    if isinstance(value, (tuple, list)) and all(isinstance(v, int) for v in value):
        return list(value)  # LayerNorm's normalized_shape
    return value if isinstance(value, (bool, int, float, str, type(None))) else repr(value)


class Replica(nn.Module):
    """The rebuilt network: its layers run in the recorded order (a layer may run more than once)."""

    def __init__(self, layers: list[nn.Module], calls: list[int]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.calls = calls

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for index in self.calls:
            x = self.layers[index](x)
        return x


def rebuild(description: object) -> Replica:
    """The grader's copy of a described network, confirmed to give the recorded output. Raises ReplicaError."""
    if not isinstance(description, dict):
        raise ReplicaError("the grader received no description of your model")
    try:
        specs, calls = list(description["layers"])[:MAX_LAYERS + 1], list(description["calls"])[:MAX_CALLS + 1]
        if len(specs) > MAX_LAYERS or len(calls) > MAX_CALLS:
            raise ReplicaError(f"your model runs more than {MAX_LAYERS} layers or {MAX_CALLS} layer calls")
        # Built on the meta device, so the sizes a description claims allocate nothing: the tensors it sent
        # (bounded in size) become the parameters, and must have the shapes the layers declare.
        with torch.device("meta"):
            layers = [_build_layer(spec) for spec in specs]
        calls = [int(i) for i in calls]
        if not calls or any(not 0 <= i < len(layers) for i in calls):
            raise ReplicaError("the description of your model's forward pass is inconsistent")
        replica = Replica(layers, calls)
        # Copies: the replica's training must not change the description another check rebuilds from.
        state = {f"layers.{key}": value.clone() if isinstance(value, torch.Tensor) else value
                 for key, value in description["state"].items()}
        replica.load_state_dict(state, strict=True, assign=True)
    except ReplicaError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as error:
        raise ReplicaError(f"the description of your model is unusable ({type(error).__name__})") from error
    _confirm_output(replica, description.get("output"))
    return replica


def _build_layer(spec: object) -> nn.Module:
    if isinstance(spec, dict) and spec.get("sampled") is True and str(spec.get("kind", "")).isidentifier():
        # Named as the student named it, so that a message listing the layers says what they wrote.
        return type(str(spec["kind"])[:60], (Sampled,), {})()
    if not isinstance(spec, dict) or spec.get("kind") not in SETTINGS:
        kind = spec.get("kind") if isinstance(spec, dict) else spec
        raise ReplicaError(f"your model runs a layer the grader cannot copy ({str(kind)[:60]}): build it from "
                           "torch.nn's own layers")
    kind = spec["kind"]
    settings = {name: tuple(spec[name]) if isinstance(spec[name], list) else spec[name] for name in SETTINGS[kind]}
    if kind == "Linear":
        settings["bias"] = bool(spec["bias"])
    factory: Callable[..., nn.Module] = getattr(nn, kind)
    return factory(**settings)


def _confirm_output(replica: Replica, recorded: object) -> None:
    if not isinstance(recorded, torch.Tensor):
        raise ReplicaError("the grader received no output of your model to compare its copy with")
    with torch.no_grad():
        try:
            output = replica.eval()(probe_batch())
            torch.testing.assert_close(output, recorded, rtol=1e-4, atol=1e-5)
        except (AssertionError, RuntimeError, TypeError, ValueError) as error:
            raise ReplicaError("the grader's copy of your model (its layers, run in the order your forward pass "
                               "runs them) does not give your model's output, so its forward pass does more "
                               "than run its layers: build it as a torch.nn.Sequential of layers") from error
    replica.train()
