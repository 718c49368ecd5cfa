"""Fixtures of the model kit: the student's build_model, recording what it builds for the grader's copies."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from types import ModuleType

import pytest
import torch
from torch import nn

from grader.checking import fail
from grader.kits.torch_models import replica_key
from grader.kits.torch_models.replica import describe


@pytest.fixture
def build(submission: ModuleType, evidence: dict[str, object]) -> Callable[..., nn.Module]:
    """The student's build_model, insisting that it returns an nn.Module, and describing each model it builds
    so that the grader can judge the model checks again on its own copy (replica.py)."""

    def built(**kwargs: object) -> nn.Module:
        model = submission.build_model(**kwargs)
        if not isinstance(model, nn.Module):
            fail(f"build_model() should return a torch.nn.Sequential, not {type(model).__name__}.")
        key = replica_key(**kwargs)
        if key not in evidence:
            with contextlib.suppress(Exception):  # the check itself reports a model that cannot run
                evidence[key] = describe(model)
        return model

    return built


@pytest.fixture
def model(build: Callable[..., nn.Module]) -> nn.Module:
    return build()


@pytest.fixture
def batch() -> torch.Tensor:
    """64 flattened images' worth of inputs on the 0..1 scale."""
    return torch.rand(64, 784)
