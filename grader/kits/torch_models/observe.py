"""Recording the networks a student's function builds through `build_model` while it runs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import ModuleType

import torch

MAX_BUILT = 10  # networks recorded per call: a loop building thousands costs its check, not the report's size


@contextlib.contextmanager
def models_built(module: ModuleType) -> Iterator[list[tuple[torch.nn.Module, dict[str, object]]]]:
    """The networks `module.build_model` returns while the block runs (at most MAX_BUILT), each with its
    description when built. The student's code calls build_model by its global name, so replacing the module's
    attribute sees every call, whatever the code later does with the network or the data."""
    from grader.kits.torch_models.replica import describe

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


def built_pairs(built: list[tuple[torch.nn.Module, dict[str, object]]]) -> list[dict[str, object]]:
    """Each recorded network described as built and as it is now: the rows a function returns are only
    claims, the networks it trained are evidence."""
    from grader.kits.torch_models.replica import describe

    pairs = []
    for model, initial in built:
        with contextlib.suppress(Exception):  # a network that no longer runs is missing; its check says so
            pairs.append({"initial": initial, "final": describe(model)})
    return pairs
