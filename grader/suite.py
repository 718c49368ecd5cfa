"""A check suite read once, in the grader's own process, into frozen specs that every other part uses.

The check files of `checks/<a>/` are imported here (they are the course's code, never the student's), and
each `check_<name>` function's pytest marks, docstring, judge and observe half are read from the function
itself, so whatever way a check writes its marker (`@pytest.mark.points(2)`, `@mark.points(2)` after
`from pytest import mark`), the grader scores what pytest runs. The grading process never tells the grader
which checks exist or what they are worth: the list read here is the list that is scored.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from grader.assignment import Assignment, UsageError, read_declaration
from grader.kits import kit_files, provided
from grader.protocol import Judge
from grader.results import CheckResult, Visibility

GRADER_PACKAGE = Path(__file__).resolve().parent
SUITE_INI = GRADER_PACKAGE / "suite.ini"  # the pytest configuration every suite runs under


class SuiteError(UsageError):
    """A check suite that cannot be graded with: the message names the file and line."""


@dataclass(frozen=True)
class CheckSpec:
    name: str  # check_<name>
    description: str  # the docstring's first line
    points: float
    visibility: Visibility
    file: Path
    line: int
    judge: Judge | None = field(default=None, compare=False)  # None only in a students' copy (hidden judge)
    observe: str = ""  # the visible observe_<name> of a hidden check

    def template(self) -> CheckResult:
        """A passed result at full points, the shape every verdict of this check is made from."""
        return CheckResult(name=self.name, description=self.description, max_points=self.points,
                           points=self.points, status="passed", message="", visibility=self.visibility)


@dataclass(frozen=True)
class Suite:
    assignment: Assignment
    path: Path  # the folder the checks are read from (a staged copy for grading processes)
    version: str  # the hash of the check files, the core and the kits the suite uses
    specs: tuple[CheckSpec, ...]
    modules: tuple[ModuleType, ...] = field(default=(), compare=False)
    report: ModuleType | None = field(default=None, compare=False)  # checks/<a>/report.py, if any

    @property
    def checks(self) -> tuple[CheckResult, ...]:
        return tuple(spec.template() for spec in self.specs)

    @property
    def max_points(self) -> float:
        return sum(spec.points for spec in self.specs)

    @property
    def judges(self) -> dict[str, Judge]:
        return {spec.name: spec.judge for spec in self.specs if spec.judge is not None}

    @property
    def hidden(self) -> tuple[CheckSpec, ...]:
        return tuple(spec for spec in self.specs if spec.visibility == "hidden")


def load_suite(folder: Path, *, released: bool = False) -> Suite:
    """The suite in `folder` (`checks/<a>/`). `released`: a students' copy, whose hidden judges were left out,
    so a visible check may have no judge there (the grading process's verdict alone counts)."""
    assignment = read_declaration(folder)
    released = released or assignment.released
    modules = import_check_modules(folder)
    specs = [spec for module in modules for spec in specs_in(module, assignment, released)]
    names = [spec.name for spec in specs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SuiteError(f"{folder}: check(s) {', '.join(duplicates)} defined in more than one file")
    report = import_report(folder)
    return Suite(assignment=assignment, path=folder, version=suite_version(assignment), specs=tuple(specs),
                 modules=tuple(modules), report=report)


def specs_in(module: ModuleType, assignment: Assignment, released: bool) -> list[CheckSpec]:
    found = []
    for attribute, function in vars(module).items():
        if not (attribute.startswith("check_") and inspect.isfunction(function)
                and function.__module__ == module.__name__):
            continue
        name = attribute.removeprefix("check_")
        file, line = Path(inspect.getsourcefile(function) or module.__file__ or ""), function.__code__.co_firstlineno
        points, visibility = points_mark(function, f"{file}:{line}")
        judge = getattr(module, f"judge_{name}", None)
        if not callable(judge):
            judge = next((j for j in (f(function) for f in provided(assignment.kits, "judge_for")) if j), None)
        if judge is None and not released:
            raise SuiteError(f"{file}:{line}: check_{name} has no judge: write judge_{name}(evidence) beside it, "
                             "which judges the check again in the grader's process from what the check recorded "
                             "(docs/authoring.md)")
        observe = f"observe_{name}" if callable(getattr(module, f"observe_{name}", None)) else ""
        if visibility == "hidden" and not observe:
            raise SuiteError(f"{file}:{line}: hidden check_{name} has no observe_{name}: students' copies of the "
                             "checks do not hold hidden code, so a visible observe_ function must record what its "
                             "judge needs (docs/authoring.md)")
        found.append(CheckSpec(name=name, description=first_paragraph(inspect.getdoc(function)), points=points,
                               visibility=visibility, file=file, line=line, judge=judge, observe=observe))
    return found


def first_paragraph(doc: str | None) -> str:
    """A check's description: its docstring's first paragraph as one line (a sentence wrapped over two lines is
    not cut in the middle)."""
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def points_mark(function: object, where: str) -> tuple[float, Visibility]:
    """The points and visibility of a check, from the `points` mark pytest itself reads."""
    marks = [m for m in getattr(function, "pytestmark", []) if getattr(m, "name", "") == "points"]
    if len(marks) != 1:
        raise SuiteError(f"{where}: a check needs exactly one @pytest.mark.points(n) marker, found {len(marks)}")
    mark = marks[0]
    try:
        points = float(mark.args[0])
    except (IndexError, TypeError, ValueError):
        raise SuiteError(f"{where}: @pytest.mark.points needs a number of points first") from None
    visibility = mark.kwargs.get("visibility", "visible")
    if visibility not in ("visible", "hidden") or points < 0:
        raise SuiteError(f"{where}: points must be >= 0 and visibility 'visible' or 'hidden'")
    return points, visibility


def import_check_modules(folder: Path) -> list[ModuleType]:
    """The suite's check_*.py modules, imported under their own names (as pytest imports them, so check files
    may import each other by name); a module of that name from another suite is replaced, not reused."""
    files = sorted(folder.glob("check_*.py"))
    for file in files:
        loaded = sys.modules.get(file.stem)
        if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() != file.resolve():
            del sys.modules[file.stem]
    sys.path.insert(0, str(folder))
    try:
        return [importlib.import_module(file.stem) for file in files]
    except SyntaxError as error:
        raise SuiteError(f"{error.filename}:{error.lineno}: {error.msg}") from None
    finally:
        sys.path.remove(str(folder))


def import_report(folder: Path) -> ModuleType | None:
    """The suite's optional report.py (notes and figures), which may import the suite's check modules."""
    file = folder / "report.py"
    if not file.is_file():
        return None
    import_check_modules(folder)  # so that its `from check_1_model import ...` gets this suite's modules
    spec = importlib.util.spec_from_file_location(f"grader_report_{folder.name}", file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(folder))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
    return module


def core_files() -> list[Path]:
    """The grader's own modules that run a suite: the package without its kits."""
    return sorted(GRADER_PACKAGE.glob("*.py")) + [SUITE_INI]


def suite_version(assignment: Assignment) -> str:
    """Changes when a file of this suite, the core or a kit it names changes: editing one assignment regrades
    that assignment only."""
    digest = hashlib.sha256()
    own = sorted(p for p in assignment.folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                 and p.suffix not in (".pyc", ".md"))
    for file in own + core_files() + kit_files(assignment.kits):
        digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]
