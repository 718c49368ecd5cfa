"""The MNIST kit: the official files fetched and verified offline-capably, fixtures holding them in memory,
training helpers, spy models and loaders for checks of MNIST homework, and the report figures of a training
run (cost and accuracy per epoch, the confusion matrix)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

FIXTURES = "grader.kits.mnist.fixtures"
PRELOAD = ("grader.kits.mnist.training", "grader.kits.mnist.spies", "torchvision")


def ensure_data(root: Path | None, log: Callable[[str], None], repair: bool = False) -> Path:
    from grader.kits.mnist.data import DataError, ensure_mnist

    try:
        return ensure_mnist(root, log=log, repair=repair)
    except DataError as error:
        from grader.assignment import UsageError

        raise UsageError(str(error)) from None


def stage_data(root: Path, target: Path) -> Path:
    """A copy of MNIST the unprivileged grading processes may read (the user's cache may be private)."""
    from grader.kits.mnist.data import raw_folder

    raw = raw_folder(target)
    raw.mkdir(parents=True, exist_ok=True)
    for source in raw_folder(root).iterdir():
        if source.is_file():
            shutil.copyfile(source, raw / source.name)
            os.chmod(raw / source.name, 0o644)
    for folder in (target, target / "MNIST", raw):
        os.chmod(folder, 0o755)
    return target


def warm(root: Path) -> None:
    """In the forkserver: parse the data once, so every grading process finds it in memory (copy-on-write)."""
    from grader.kits.mnist.training import mnist_dataset

    for train in (True, False):
        mnist_dataset(root, train=train)
