"""The accuracy check's training run, shared by the check and its calibration script.

A student's own build_model, train_epoch and evaluate run on MNIST held in memory, with the
homework's loss (CrossEntropy) and optimizer (Adam, lr 0.1), so this run grades those blanks only.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import torch
import torchvision

from grader.determinism import seed_everything
from grader.kits.mnist.data import load_mnist_tensors
from grader.kits.mnist.loaders import TensorLoader

GRADING_EPOCHS = 2  # the grading budget: enough to separate working code from broken code
LEARNING_RATE = 0.1  # the homework's
BATCH_SIZE = 100  # the homework's


@dataclass(frozen=True)
class EpochResult:
    epoch: int
    train_cost: float
    test_accuracy: float


def mnist_loaders(root: Path, device: torch.device, seed: int, *, train_size: int | None = None,
                  test_size: int | None = None) -> tuple[TensorLoader, TensorLoader]:
    """Loaders over MNIST (or its first images) held on `device`.

    Their `.dataset` is the matching torchvision dataset, for code that reaches into `.data`/`.targets`.
    """
    loaders = []
    for train, size in ((True, train_size), (False, test_size)):
        images, labels = (t[:size] for t in load_mnist_tensors(root, train=train))
        dataset = copy.copy(mnist_dataset(root, train=train))  # the cached one keeps its full data
        dataset.data, dataset.targets = dataset.data[:size], dataset.targets[:size]
        loaders.append(TensorLoader(images.to(device), labels.to(device), BATCH_SIZE if train else 1000,
                                    shuffle=train, drop_last=train, seed=seed, dataset=dataset))
    return loaders[0], loaders[1]


def mnist_dataset(root: Path, *, train: bool) -> torchvision.datasets.MNIST:
    """torchvision's MNIST dataset (ToTensor) over `root`, parsed once per process, with the tensors that
    `load_mnist_tensors` caches; callers that change it must change a copy."""
    key = (Path(root).expanduser().resolve(), train)
    if key not in _datasets:
        load_mnist_tensors(root, train=train)
        _datasets[key] = torchvision.datasets.MNIST(str(key[0]), train=train,
                                                    transform=torchvision.transforms.ToTensor())
    return _datasets[key]


_datasets: dict[tuple[Path, bool], torchvision.datasets.MNIST] = {}


@torch.no_grad()
def confusion_of_model(model: torch.nn.Module, root: Path, size: int | None = None) -> list[list[int]]:
    """MNIST test confusion matrix (rows: true digit, columns: predicted) of `model` in eval mode, on the whole
    test set or its first `size` images."""
    images, labels = (t[:size] for t in load_mnist_tensors(root, train=False))
    predictions = model.eval()(images.view(-1, 784)).argmax(dim=1)
    matrix = torch.zeros(10, 10, dtype=torch.int64)
    matrix.index_put_((labels, predictions), torch.ones_like(labels), accumulate=True)
    return matrix.tolist()


def accuracy_of(confusion: list[list[int]]) -> float:
    return sum(confusion[i][i] for i in range(10)) / max(1, sum(map(sum, confusion)))


def train_and_evaluate(module: ModuleType, root: Path, device: torch.device, *, seed: int = 0,
                       epochs: int = GRADING_EPOCHS) -> tuple[list[EpochResult], torch.nn.Module]:
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
    return history, model
