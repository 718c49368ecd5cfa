"""What the parent knows about a check suite without running it: its checks, points and version.

Read statically (ast) from the check files, so a child process can never add a check, change a
check's points or hide one: the parent's list is the list that is scored.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.results import CheckResult

# verify(artifacts, MNIST root, challenge seed, check names) -> (verdicts by name, notes, extras)
Verify = Callable[[dict[str, object], Path, int, list[str]],
                  tuple[dict[str, tuple[bool, str]], list[str], dict[str, object]]]
GRADER_PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Suite:
    path: Path
    version: str  # changes whenever a check file or the grader's code changes
    checks: tuple[CheckResult, ...]  # status "passed" and full points: templates for results
    verify: Verify | None
    observations: tuple[dict[str, object], ...] = ()  # the hidden checks' (grader/observe.py), from verify.py

    @property
    def max_points(self) -> float:
        return sum(c.max_points for c in self.checks)


def load_suite(path: Path) -> Suite:
    files = sorted(path.glob("check_*.py"))
    checks = tuple(check for file in files for check in checks_in(file))
    verify, observations = _load_verify(path)
    return Suite(path=path, version=suite_version(path), checks=checks, verify=verify, observations=observations)


def checks_in(file: Path) -> list[CheckResult]:
    tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("check_"):
            points, visibility = _points_marker(node)
            doc = (ast.get_docstring(node) or "").strip().splitlines()
            found.append(CheckResult(name=node.name.removeprefix("check_"), description=doc[0] if doc else "",
                                     max_points=points, points=points, status="passed", message="",
                                     visibility=visibility))  # type: ignore[arg-type]
    return found


def _points_marker(node: ast.FunctionDef) -> tuple[float, str]:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "pytest.mark.points":
            points = float(ast.literal_eval(decorator.args[0]))
            keywords = {k.arg: ast.literal_eval(k.value) for k in decorator.keywords}
            return points, str(keywords.get("visibility", "visible"))
    return 0.0, "visible"


def suite_version(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(path.glob("*.py")) + sorted(path.glob("*.ini")) + sorted(GRADER_PACKAGE.glob("*.py"))
    for file in files:
        digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


def _load_verify(path: Path) -> tuple[Verify | None, tuple[dict[str, object], ...]]:
    """The suite's verify function and what its hidden checks need observed (its OBSERVATIONS)."""
    file = path / "verify.py"
    if not file.exists():
        return None, ()
    sys.path.insert(0, str(path))  # verify.py imports the suite's check modules
    try:
        spec = importlib.util.spec_from_file_location(f"grader_verify_{path.name}", file)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path))
    return module.verify, tuple(getattr(module, "OBSERVATIONS", ()))
