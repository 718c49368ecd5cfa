"""The accuracy check's training run, shared by the check and its calibration script.

A student's own build_model, train_epoch and evaluate run on MNIST held in memory, with the
homework's loss (CrossEntropy) and optimizer (Adam, lr 0.1), so this run grades those blanks only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import torch
import torchvision

from grader.data import load_mnist_tensors
from grader.determinism import seed_everything
from grader.loaders import TensorLoader

GRADING_EPOCHS = 2  # the grading budget: enough to separate working code from broken code
LEARNING_RATE = 0.1  # the homework's
BATCH_SIZE = 100  # the homework's


@dataclass(frozen=True)
class EpochResult:
    epoch: int
    train_cost: float
    test_accuracy: float


def mnist_loaders(root: Path, device: torch.device, seed: int) -> tuple[TensorLoader, TensorLoader]:
    """Loaders over MNIST held on `device`; their `.dataset` is the torchvision dataset, for code that reads it."""
    (train_x, train_y), (test_x, test_y) = (load_mnist_tensors(root, train=t) for t in (True, False))
    to_tensor = torchvision.transforms.ToTensor()
    datasets = [torchvision.datasets.MNIST(str(root), train=t, transform=to_tensor) for t in (True, False)]
    train = TensorLoader(train_x.to(device), train_y.to(device), BATCH_SIZE, shuffle=True, drop_last=True,
                         seed=seed, dataset=datasets[0])
    test = TensorLoader(test_x.to(device), test_y.to(device), 1000, dataset=datasets[1])
    return train, test


def train_and_evaluate(module: ModuleType, root: Path, device: torch.device, *, seed: int = 0,
                       epochs: int = GRADING_EPOCHS) -> list[EpochResult]:
    """Train the module's model for `epochs`, evaluating after each (as the homework's pitfall demands)."""
    seed_everything(seed)
    train, test = mnist_loaders(root, device, seed)
    model = module.build_model().to(device)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    history = []
    for epoch in range(1, epochs + 1):
        cost = float(module.train_epoch(model, train, criterion, optimizer, device))
        history.append(EpochResult(epoch, cost, float(module.evaluate(model, test, device))))
    return history
