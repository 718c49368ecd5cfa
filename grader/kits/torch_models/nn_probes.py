"""Look at a student's network from the outside: which layers run, in which order, in which mode.

Forward hooks see the modules as they actually run, so a custom nn.Module, nested Sequentials or
a reused layer are graded by behaviour, not by how they happen to be declared.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Call:
    """One forward call of a leaf module, recorded by a hook."""

    module: nn.Module
    training: bool
    grad_enabled: bool
    input_max: float

    @property
    def kind(self) -> str:
        return type(self.module).__name__


@contextmanager
def recording(model: nn.Module, *, leaves_only: bool = True) -> Iterator[list[Call]]:
    """Record every forward call of `model`'s modules (leaves by default) while the block runs."""
    calls: list[Call] = []

    def hook(module: nn.Module, args: tuple[object, ...]) -> None:
        first = args[0] if args else None
        top = float(first.detach().abs().max()) if isinstance(first, torch.Tensor) and first.numel() else 0.0
        calls.append(Call(module, module.training, torch.is_grad_enabled(), top))

    modules = [m for m in model.modules() if not leaves_only or not list(m.children())]
    handles = [m.register_forward_pre_hook(hook) for m in modules]
    try:
        yield calls
    finally:
        for handle in handles:
            handle.remove()


def layer_sequence(model: nn.Module, x: torch.Tensor, kinds: tuple[type[nn.Module], ...]) -> list[nn.Module]:
    """The modules of the given kinds in the order a forward pass on `x` runs them."""
    with torch.no_grad(), recording(model) as calls:
        model(x)
    return [c.module for c in calls if isinstance(c.module, kinds)]


def describe_order(modules: list[nn.Module]) -> str:
    return " -> ".join(_short_name(m) for m in modules) or "(none)"


def _short_name(module: nn.Module) -> str:
    names = {nn.BatchNorm1d: "BatchNorm", nn.Linear: "Linear", nn.ReLU: "ReLU", nn.Dropout: "Dropout"}
    return next((v for k, v in names.items() if isinstance(module, k)), type(module).__name__)


def batchnorm_state(model: nn.Module) -> list[torch.Tensor]:
    """Copies of every BatchNorm buffer (running mean/var, batch count), to see if a pass changed them."""
    return [
        buf.detach().clone()
        for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
        for buf in m.buffers()
    ]


def same_tensors(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))
