"""Observations for hidden checks, made in the grading process without their code.

A hidden check's code must not reach the student's process (it could be read and printed into the report),
so `grader grade` gives that process the student's copy of the checks, hidden regions left out, and only
the *inputs* the hidden checks need observed, as plain data declared with `@observed(...)` next to each
hidden check. After the visible checks have run, the grading process makes these observations and saves
them; the grader judges the hidden checks from them alone, in its own process (grader/judging.py).
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType, ModuleType
from typing import TypeVar

import torch

F = TypeVar("F", bound=Callable[..., object])
# Each observation's own time limit: a hang costs the hidden checks that needed it, not the others.
OBSERVATION_TIMEOUT_S = 120
MAX_BUILT = 10  # networks recorded per call: a loop building thousands costs its check, not the report's size


class ObservationTimeout(BaseException):
    """Not an Exception, so that student code catching Exception in a loop cannot swallow it (as pytest-timeout's)."""


def observed(**requests: object) -> Callable[[F], F]:
    """Declare what a hidden check needs observed: models=[build_model kwargs, ...] and/or
    calls=[{"function", "key", "args", "kwargs", "train_size", "test_size"}, ...] (MNIST loaders of those
    sizes stand in for the "$train_loader"/"$test_loader" arguments)."""

    def mark(function: F) -> F:
        function.observations = requests  # type: ignore[attr-defined]
        return function

    return mark


def requests_of(modules: list[ModuleType]) -> list[dict[str, object]]:
    """Every observation the hidden checks of `modules` declared, as plain data for the grading process."""
    found: list[dict[str, object]] = []
    for module in modules:
        for name in sorted(vars(module)):
            declared = getattr(getattr(module, name), "observations", None) if name.startswith("check_") else None
            if isinstance(declared, dict):
                found += [{"kind": "model", "kwargs": dict(kwargs)} for kwargs in declared.get("models", [])]
                found += [{"kind": "call", **call} for call in declared.get("calls", [])]
    return found


def observe_all(requests: list[dict[str, object]], module: ModuleType, mnist_root: Path, device: torch.device,
                ) -> dict[str, object]:
    """Make each observation with the student's `module`; one that fails or hangs is simply missing."""
    from grader.determinism import seed_everything
    from grader.judging import replica_key
    from grader.replica import describe

    observations: dict[str, object] = {}
    for request in requests:
        seed_everything(0)
        with contextlib.suppress(Exception, ObservationTimeout), time_limit(OBSERVATION_TIMEOUT_S):
            if request["kind"] == "model":
                kwargs = dict(request["kwargs"])  # type: ignore[call-overload]
                observations[replica_key(**kwargs)] = describe(module.build_model(**kwargs))
            elif request["kind"] == "call":
                observations.update(observe_call(request, module, mnist_root, device))
    return observations


def observe_call(request: dict[str, object], module: ModuleType, mnist_root: Path, device: torch.device
                 ) -> dict[str, object]:
    """What the call returned, under the request's key, and every network the student's `build_model` built
    during the call, described as built and as the call left it, under key + ":built": the rows a function
    returns are only claims, the networks it trained are evidence."""
    from grader.replica import describe

    with models_built(module) as built:
        result = perform_call(request, module, mnist_root, device)
    key = str(request["key"])
    pairs = []
    for model, initial in built:
        with contextlib.suppress(Exception):  # a network that no longer runs is missing; its check says so
            pairs.append({"initial": initial, "final": describe(model)})
    return {key: plain_data(result), f"{key}:built": pairs}


@contextlib.contextmanager
def models_built(module: ModuleType) -> Iterator[list[tuple[torch.nn.Module, dict[str, object]]]]:
    """The networks `module.build_model` returns while the block runs (at most MAX_BUILT), each with its
    description when built. The student's code calls build_model by its global name, so replacing the module's
    attribute sees every call, whatever the code later does with the network or the data."""
    from grader.replica import describe

    built: list[tuple[torch.nn.Module, dict[str, object]]] = []
    original = getattr(module, "build_model", None)
    if not callable(original):
        yield built
        return

    def recorded(*args: object, **kwargs: object) -> object:
        model = original(*args, **kwargs)
        if isinstance(model, torch.nn.Module) and len(built) < MAX_BUILT:
            with contextlib.suppress(Exception):  # describing runs the network once, in eval mode, on no data
                built.append((model, describe(model)))
        return model

    module.build_model = recorded  # type: ignore[attr-defined]
    try:
        yield built
    finally:
        module.build_model = original  # type: ignore[attr-defined]


def perform_call(request: dict[str, object], module: ModuleType, mnist_root: Path, device: torch.device) -> object:
    """Call the student's function a `calls` request names, with MNIST loaders for its loader arguments."""
    from grader.mnist_training import mnist_loaders

    train, test = mnist_loaders(mnist_root, device, seed=0, train_size=request.get("train_size"),  # type: ignore[arg-type]
                                test_size=request.get("test_size"))  # type: ignore[arg-type]
    loaders = {"$train_loader": train, "$test_loader": test}
    args = [loaders.get(a, a) if isinstance(a, str) else a for a in request.get("args", [])]  # type: ignore[attr-defined]
    function = getattr(module, str(request["function"]))
    return function(*args, **dict(request.get("kwargs", {})), device=device)  # type: ignore[call-overload]


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise ObservationTimeout(f"an observation took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def plain_data(value: object, depth: int = 0) -> object:
    """`value` as lists, dicts, numbers and strings (one-number tensors become floats), safe to send."""
    if depth > 5:
        return None
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, torch.Tensor):
        return float(value) if value.numel() == 1 else None
    if isinstance(value, dict):
        return {str(k): plain_data(v, depth + 1) for k, v in list(value.items())[:20]}
    if isinstance(value, (list, tuple)):
        return [plain_data(v, depth + 1) for v in list(value)[:20]]
    return repr(value)[:100]


def observe_in_child(requests: list[dict[str, object]], module_name: str, mnist_root: Path, device: str,
                     path: Path) -> None:
    """After the visible checks: the hidden checks' observations of the already imported student module."""
    module = sys.modules.get(module_name)
    if not requests or module is None:
        return
    from grader.determinism import resolve_device

    with contextlib.suppress(Exception):
        torch.save(observe_all(requests, module, mnist_root, resolve_device(device)), path)
