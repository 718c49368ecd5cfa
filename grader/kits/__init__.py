"""Opt-in kits: what several assignments of one kind share, named in an assignment's `assignment.toml`.

The core knows no course. A kit is a package here that may provide, each optional:

- ``FIXTURES``: a module of pytest fixtures the checks of an assignment that names the kit can use;
- ``ensure_data(root, log, repair) -> Path`` and ``stage_data(root, target) -> Path``: the data the kit's
  checks read, fetched and verified (``grader data``, ``grader check``, ``grader grade``), and a copy the
  confined grading processes may read;
- ``warm(root)``: run once in the warm forkserver before it forks grading processes (parse the data once);
- ``judge_for(check) -> judge | None``: a way to judge a check again in the grader's process that the check
  need not write itself (the model kit re-runs model checks on its own copies of the student's networks).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

KITS = {"mnist": "grader.kits.mnist", "torch_models": "grader.kits.torch_models"}
KITS_FOLDER = Path(__file__).resolve().parent


def kit(name: str) -> ModuleType:
    return importlib.import_module(KITS[name])


def kit_files(names: Iterable[str]) -> list[Path]:
    """The source files of the named kits (what a suite's version hashes besides the core)."""
    return [file for name in sorted(names) for file in sorted((KITS_FOLDER / name).rglob("*.py"))]


def provided(names: Iterable[str], attribute: str) -> list[Callable[..., object]]:
    """The named kits' `attribute`s, for the kits that provide one."""
    return [getattr(module, attribute) for module in map(kit, names) if hasattr(module, attribute)]


def ensure_data(names: Iterable[str], root: Path | None, log: Callable[[str], None],
                repair: bool = False) -> Path | None:
    """Fetch and verify the data of the named kits into `root` (their default cache if None); None when no kit
    needs data. The kits share the one data folder."""
    roots = [ensure(root, log, repair) for ensure in provided(names, "ensure_data")]
    return Path(roots[0]) if roots else None  # type: ignore[arg-type]


def stage_data(names: Iterable[str], root: Path, target: Path) -> Path:
    """A copy of the kits' data that unprivileged grading processes may read."""
    for stage in provided(names, "stage_data"):
        stage(root, target)
    return target
