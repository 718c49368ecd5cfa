"""Stand-ins handed to a student's training and evaluation functions to watch what they do.

A spy behaves like the real thing (a model, a criterion, an optimizer, an MNIST dataset) and
records how it was used: in which mode, with autograd on or off, on which pixel scale, whether
gradients were zeroed between steps.
"""

from __future__ import annotations

import torch
from torch import nn

LABEL_STEP = 20  # pixel (0, 0) holds label * 20, so a label survives both 0..255 and 0..1 scales


class FakeDigits(torch.utils.data.Dataset[tuple[torch.Tensor, int]]):
    """A tiny MNIST look-alike with torchvision's attributes (`data` uint8, `targets`, `test_data`, ...).

    Pixel (0, 0) encodes the label and pixel (0, 1) says whether `LabelReader` should answer right,
    so a spy model knows the accuracy a correct evaluation must report. Pixel (0, 2) marks the images a
    `LabelReader` with traps answers wrong when it is run the wrong way (train mode, autograd, 0..255).
    """

    def __init__(self, labels: list[int], right: list[bool], trapped: list[bool] | None = None,
                 generator: torch.Generator | None = None) -> None:
        self.targets = torch.tensor(labels, dtype=torch.int64)
        data = torch.randint(0, 200, (len(labels), 28, 28), dtype=torch.uint8, generator=generator)
        data[:, 0, 0] = self.targets.to(torch.uint8) * LABEL_STEP
        data[:, 0, 1] = torch.tensor(right, dtype=torch.uint8) * 255
        data[:, 0, 2] = torch.tensor(trapped or [False] * len(labels), dtype=torch.uint8) * 255
        self.data = data
        self.train = False

    # The deprecated torchvision names the original homework template used.
    test_data = train_data = property(lambda self: self.data)
    test_labels = train_labels = property(lambda self: self.targets)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.data[index].unsqueeze(0).float() / 255, int(self.targets[index])

    def images(self) -> torch.Tensor:
        return self.data.unsqueeze(1).float() / 255


class LabelReader(nn.Module):
    """A 'model' that reads the label FakeDigits hid in each image and answers right or wrong on purpose.

    It records the mode, the autograd state and the largest pixel value of every call. With `traps`
    ("train", "grad", "0..255"), it also answers wrong on the trapped images of any call made that way,
    so the accuracy an evaluation reports shows, outside this process, how the model was run.
    """

    def __init__(self, traps: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.dropout = nn.Dropout(0.5)  # a real submodule, so train()/eval() reach something
        self.scale = nn.Parameter(torch.ones(()))
        self.calls: list[tuple[bool, bool, float]] = []
        self.traps = traps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(x.shape[0], -1).float()
        top = float(flat.max()) if flat.numel() else 0.0
        self.calls.append((self.training, torch.is_grad_enabled(), top))
        pixels = flat / 255 if top > 1.5 else flat
        labels = torch.round(pixels[:, 0] * 255 / LABEL_STEP).long().clamp(0, 9)
        sprung = (("train" in self.traps and self.training) or ("grad" in self.traps and torch.is_grad_enabled())
                  or ("0..255" in self.traps and top > 1.5))
        right = (pixels[:, 1] > 0.5) & ~((pixels[:, 2] > 0.5) & sprung)
        answer = torch.where(right, labels, (labels + 1) % 10)
        return nn.functional.one_hot(answer, 10).float() * self.scale


class RecordingLoss(nn.CrossEntropyLoss):
    """CrossEntropyLoss that remembers every loss it returned."""

    def __init__(self) -> None:
        super().__init__()
        self.losses: list[float] = []

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        loss = super().forward(input, target)
        self.losses.append(float(loss.detach()))
        return loss


class WatchedAdam(torch.optim.Adam):
    """Adam that checks, at every step, that each gradient holds only the latest backward pass.

    A hook on each parameter sees the gradient of the latest backward pass before it is added
    to `.grad`; if `.grad` at step time differs from it, gradients were not zeroed in between.
    """

    def __init__(self, model: nn.Module, lr: float = 0.1) -> None:
        super().__init__(model.parameters(), lr=lr)
        self.steps = 0
        self.accumulated_steps = 0
        self._latest: dict[int, torch.Tensor] = {}
        for param in model.parameters():
            param.register_hook(self._remember(id(param)))

    def _remember(self, key: int):  # type: ignore[no-untyped-def]
        def hook(grad: torch.Tensor) -> None:
            self._latest[key] = grad.detach().clone()

        return hook

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[no-untyped-def, override]
        self.steps += 1
        params = [p for group in self.param_groups for p in group["params"] if p.grad is not None]
        if any(not torch.allclose(p.grad, self._latest.get(id(p), p.grad), atol=1e-7) for p in params):
            self.accumulated_steps += 1
        return super().step(closure)


def small_bn_model() -> nn.Sequential:
    """A small model of the homework's kind, for checks that need a real trainable network. It flattens its input
    itself, so it takes what a student's loop feeds it: flat (B, 784) batches or the loader's (B, 1, 28, 28)
    images (a student whose own model flattens in forward() does not reshape)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 10))
