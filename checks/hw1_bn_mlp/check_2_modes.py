"""Checks of the model's train/eval behaviour: dropout and BatchNorm switch with model.train()/eval()."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from grader.checking import require
from grader.kits.torch_models.nn_probes import batchnorm_state, same_tensors

BatchNorm = nn.modules.batchnorm._BatchNorm


def batchnorm_outputs(model: nn.Module, batch: torch.Tensor) -> list[torch.Tensor]:
    """The output of every BatchNorm layer during one forward pass."""
    outputs: list[torch.Tensor] = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: outputs.append(out.detach()))
             for m in model.modules() if isinstance(m, BatchNorm)]
    try:
        model(batch)
    finally:
        for hook in hooks:
            hook.remove()
    return outputs


def fresh_linear_weights(model: nn.Module) -> None:
    """These checks judge the modes, not the initialisation (build_model_xavier does): with all-zero weights every
    output is the same whatever dropout drops, so each Linear layer gets random weights of its own first."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                bound = (6 / (layer.in_features + layer.out_features)) ** 0.5
                layer.weight.copy_(torch.rand(layer.weight.shape, generator=generator) * 2 * bound - bound)


@pytest.mark.points(2)
def check_train_mode_behaviour(model: nn.Module, batch: torch.Tensor) -> None:
    """In train mode dropout is active and BatchNorm normalises with batch statistics and updates its running ones."""
    fresh_linear_weights(model)
    model.train()
    before = batchnorm_state(model)
    with torch.no_grad():
        outputs = batchnorm_outputs(model, batch)
        first, second = model(batch), model(batch)
    require(bool(outputs), "no BatchNorm1d layer runs in the model.")
    require(not torch.equal(first, second), "in train mode two forward passes on the same batch gave identical "
            "outputs: dropout is not active (use torch.nn.Dropout, which follows model.train()).")
    for out in outputs:
        # Fresh BatchNorm has weight 1 and bias 0, so batch statistics give per-feature mean 0.
        require(float(out.mean(dim=0).abs().max()) < 1e-3, "in train mode BatchNorm did not normalise with the "
                "batch's own statistics (per-feature mean should be 0).")
    norms = [m for m in model.modules() if isinstance(m, BatchNorm)]
    require(all(m.track_running_stats for m in norms), "a BatchNorm layer keeps no running statistics "
            "(track_running_stats=False), so eval mode cannot use them: keep the default.")
    require(not same_tensors(before, batchnorm_state(model)),
            "in train mode BatchNorm's running statistics were not updated.")


@pytest.mark.points(2)
def check_eval_mode_behaviour(model: nn.Module, batch: torch.Tensor) -> None:
    """In eval mode the output is deterministic, independent of the rest of the batch, and running statistics stay."""
    fresh_linear_weights(model)
    model.train()
    with torch.no_grad():
        for _ in range(3):  # give the running statistics values of their own
            model(batch * 2 + 0.5)
    model.eval()
    before = batchnorm_state(model)
    with torch.no_grad():
        first, second, alone = model(batch), model(batch), model(batch[:5])
    require(torch.equal(first, second), "in eval mode two forward passes on the same batch differ: dropout is "
            "still active (use torch.nn.Dropout, which follows model.eval()).")
    require(torch.allclose(first[:5], alone, atol=1e-5, rtol=1e-4), "in eval mode an image's output depends on the "
            "other images in its batch: BatchNorm should use its running statistics in eval mode.")
    require(same_tensors(before, batchnorm_state(model)),
            "in eval mode BatchNorm's running statistics changed; they should stay as training left them.")
