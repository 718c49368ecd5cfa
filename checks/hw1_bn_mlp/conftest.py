"""Fixtures of the hw1 checks: the student's module, seeds, the device and MNIST in memory."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
import torch
from torch import nn

from grader.checking import fail
from grader.data import ensure_mnist, load_mnist_tensors
from grader.determinism import resolve_device, seed_everything
from grader.judging import replica_key
from grader.messages import SubmissionError, submission_file_key
from grader.replica import describe
from grader.submission import import_submission, source_file

MODULE_NAME = "hw1_bn_mlp"


@pytest.fixture(scope="session")
def submission(pytestconfig: pytest.Config) -> ModuleType:
    given = pytestconfig.getoption("--submission")
    if not given:
        raise SubmissionError("no submission was given (--submission PATH).")
    path = Path(given)
    pytestconfig.stash[submission_file_key] = str(source_file(path))
    return import_submission(path, MODULE_NAME)


@pytest.fixture(scope="session")
def artifacts(pytestconfig: pytest.Config) -> Iterator[dict[str, object]]:
    """What the checks observe (tensors and plain data) so the grader can judge them again in its own process."""
    store: dict[str, object] = {}
    yield store
    path = pytestconfig.getoption("--grader-artifacts")
    if path:
        torch.save(store, path)


@pytest.fixture(scope="session")
def challenge(pytestconfig: pytest.Config) -> int:
    """The seed of the inputs whose results the grader re-judges in its own process (grader/judging.py)."""
    return int(pytestconfig.getoption("--grader-challenge"))


@pytest.fixture(autouse=True)
def _seeded() -> None:
    # Every check starts from the same seed, whatever ran before it.
    seed_everything(0)


@pytest.fixture(scope="session")
def device(pytestconfig: pytest.Config) -> torch.device:
    return resolve_device(pytestconfig.getoption("--grader-device"))


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


@pytest.fixture
def build(submission: ModuleType, artifacts: dict[str, object]) -> Callable[..., nn.Module]:
    """The student's build_model, insisting that it returns an nn.Module, and describing each model it builds
    so that the grader can judge the model checks again on its own copy (grader/replica.py)."""

    def built(**kwargs: object) -> nn.Module:
        model = submission.build_model(**kwargs)
        if not isinstance(model, nn.Module):
            fail(f"build_model() should return a torch.nn.Sequential, not {type(model).__name__}.")
        key = replica_key(**kwargs)
        if key not in artifacts:
            with contextlib.suppress(Exception):  # the check itself reports a model that cannot run
                artifacts[key] = describe(model)
        return model

    return built


@pytest.fixture
def model(build: Callable[..., nn.Module]) -> nn.Module:
    return build()


@pytest.fixture
def batch() -> torch.Tensor:
    """64 flattened images' worth of inputs on the 0..1 scale."""
    return torch.rand(64, 784)
