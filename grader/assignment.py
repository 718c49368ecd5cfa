"""What an assignment declares about itself (`checks/<a>/assignment.toml`), and finding it from a path.

The core knows no course: an assignment names its student module, the kits it uses (data, fixtures, model
copies, figures) and its time limits here, and the core does the rest.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CHECKS = PROJECT_ROOT / "checks"
DECLARATION = "assignment.toml"
_KEYS = {"module", "functions", "kits", "check_timeout_s", "import_timeout_s", "submission_timeout_s", "released",
         "hidden_checks"}


class UsageError(Exception):
    """Bad input from the user of the grader; the message says what to do. Exit code 2."""

    exit_code = 2


@dataclass(frozen=True)
class Assignment:
    name: str  # the folder's name under checks/
    folder: Path  # checks/<name>/
    module: str  # the student's module: <module>.py or <module>.ipynb
    functions: tuple[str, ...] = ()  # the template's functions: a file defining none of them is told so once
    kits: tuple[str, ...] = ()
    check_timeout_s: float = 15
    import_timeout_s: float = 30  # the student's module-level code, run once before the first check
    submission_timeout_s: float = 600
    released: bool = False  # a students' copy (grader release): hidden checks and the judges they need left out
    hidden_checks: int = 0  # in a students' copy: how many hidden checks were left out

    @property
    def file_stems(self) -> set[str]:
        return {self.module.casefold(), self.name.casefold()}


def known_assignments(checks_root: Path | None = None) -> list[str]:
    root = checks_root or DEFAULT_CHECKS
    return sorted(p.parent.name for p in root.glob(f"*/{DECLARATION}")) if root.is_dir() else []


def load_assignment(name: str, checks_root: Path | None = None) -> Assignment:
    """The declaration of `name`; a UsageError naming the known assignments if there is none."""
    return read_declaration((checks_root or DEFAULT_CHECKS) / name)


def read_declaration(folder: Path) -> Assignment:
    file = folder / DECLARATION
    if not file.is_file():
        known = known_assignments(folder.parent)
        raise UsageError(f"no assignment {folder.name!r}: {file} does not exist (known: {', '.join(known) or 'none'})")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"{file}: not valid TOML ({error})") from None
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise UsageError(f"{file}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})")
    kits = tuple(data.get("kits", ()))
    from grader.kits import KITS

    missing = [kit for kit in kits if kit not in KITS]
    if missing:
        raise UsageError(f"{file}: unknown kit(s) {', '.join(missing)} (known: {', '.join(sorted(KITS))})")
    return Assignment(name=folder.name, folder=folder, module=str(data.get("module", folder.name)), kits=kits,
                      functions=tuple(map(str, data.get("functions", ()))),
                      check_timeout_s=float(data.get("check_timeout_s", 15)),
                      import_timeout_s=float(data.get("import_timeout_s", 30)),
                      submission_timeout_s=float(data.get("submission_timeout_s", 600)),
                      released=bool(data.get("released", False)), hidden_checks=int(data.get("hidden_checks", 0)))


def assignment_of_path(path: Path, checks_root: Path | None = None) -> str | None:
    """The assignment a path belongs to: `assignments/<a>/`, `solutions/<a>/`, a file named `<a>.py`/`.ipynb`,
    or a folder whose student files are named so; None when nothing says."""
    by_stem = _stems(checks_root)
    resolved = path.resolve()
    for part in [resolved.name, *(p.name for p in resolved.parents)][:3]:
        if part.casefold() in by_stem and (path.is_dir() or part != resolved.name):
            return by_stem[part.casefold()]
    if path.is_file() or path.suffix.lower() in (".py", ".ipynb"):
        return _named(path, by_stem)
    if path.is_dir():
        found = assignments_in(path, checks_root)
        if len(found) == 1:
            return next(iter(found))
    return None


def assignments_in(folder: Path, checks_root: Path | None = None) -> dict[str, int]:
    """How many student files in `folder` are named after each known assignment."""
    by_stem = _stems(checks_root)
    counts: dict[str, int] = {}
    for file in folder.rglob("*"):
        if file.suffix.lower() in (".py", ".ipynb", ".zip") and (name := _named(file, by_stem)):
            counts[name] = counts.get(name, 0) + 1
    return counts


def _stems(checks_root: Path | None) -> dict[str, str]:
    known = known_assignments(checks_root)
    by_stem = {read_declaration((checks_root or DEFAULT_CHECKS) / a).module.casefold(): a for a in known}
    return by_stem | {a.casefold(): a for a in known}


def _named(file: Path, by_stem: dict[str, str]) -> str | None:
    """The assignment a student file is named after, LMS decorations allowed (`name_123_456_<a>-1.py`)."""
    stem = re.sub(r"-\d+$", "", file.stem.casefold())
    return next((a for key, a in by_stem.items() if stem == key or stem.endswith("_" + key)), None)


def resolve_assignment(path: Path | None, given: str | None, checks_root: Path | None = None) -> Assignment:
    """`given` if set, else the assignment found from `path`; a one-line UsageError when neither says."""
    if given:
        return load_assignment(given, checks_root)
    name = assignment_of_path(path, checks_root) if path is not None else None
    if name is None:
        known = known_assignments(checks_root)
        raise UsageError(f"cannot tell which assignment {path} is for: name the file <assignment>.py or .ipynb, "
                         f"or pass --assignment (known: {', '.join(known) or 'none'})")
    return load_assignment(name, checks_root)
