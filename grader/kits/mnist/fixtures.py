"""Fixtures of the MNIST kit: the data folder and the four tensors in memory."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from grader.kits.mnist.data import ensure_mnist, load_mnist_tensors


@pytest.fixture(scope="session")
def mnist_root(pytestconfig: pytest.Config) -> Path:
    root = pytestconfig.getoption("--grader-data-root")
    return ensure_mnist(Path(root) if root else None, log=lambda _: None)


@pytest.fixture(scope="session")
def mnist(mnist_root: Path) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    return {
        "train": load_mnist_tensors(mnist_root, train=True),
        "test": load_mnist_tensors(mnist_root, train=False),
    }
