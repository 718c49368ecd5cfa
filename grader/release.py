"""The student release: the repository students receive, and the fingerprints that keep its checks honest.

`grader release --out DIR [ASSIGNMENT ...]` writes, from the course repository:

- ``assignments/<a>/``: the generated templates, copied as committed;
- ``checks/<a>/``: the checks with every ``### BEGIN HIDDEN`` / ``### END HIDDEN`` region dropped
  (``strip_solutions``); a check file left with no ``check_*`` function (its checks were all hidden,
  e.g. a file wrapped whole in HIDDEN markers) is left out; a hidden check left unmarked is an error;
- ``checks/FINGERPRINTS.json``: the sha256 of every released file under ``checks/``;
- ``grader/`` (the package), ``pyproject.toml``, and a student ``Makefile``, ``README.md``, ``.gitignore``
  and ``.github/workflows/grade.yml`` (grading on pull requests).

Nothing from ``solutions/`` is copied, and before anything is written the release is audited: no
non-trivial line of a ``### BEGIN SOLUTION`` region and no hidden check's name may occur in any file.

`grader verify-checks` compares ``checks/`` with a FINGERPRINTS.json (the pull-request workflow takes it
from the base branch) and lists edited, missing and extra files.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

from grader.assignment import DECLARATION, DEFAULT_CHECKS, PROJECT_ROOT, UsageError

FINGERPRINTS = "FINGERPRINTS.json"
# Never part of a release, wherever they are found.
_JUNK_DIRS = frozenset({"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".hypothesis"})
_JUNK_SUFFIXES = (".pyc", ".pyo")
_SOLUTION_REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION[ \t]*$(.*?)^[ \t]*### END SOLUTION[ \t]*$",
                              re.MULTILINE | re.DOTALL)
# A solution line this long (stripped) is specific enough that finding it in the release is a leak.
MIN_LEAK_LINE = 20
# Lines of a solution that any PyTorch code is written with, the checks' own included: no leak.
COMMON_IDIOMS = frozenset({"with torch.no_grad():"})


class ReleaseError(UsageError):
    """The release cannot be built as asked (exit code 2); nothing was written."""


# ---------------------------------------------------------------------------------------------------------
# Fingerprints


def _digest(data: bytes) -> str:
    # CRLF -> LF first, so a checkout with Windows line endings (git autocrlf) still matches.
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def _is_junk(rel: Path) -> bool:
    return bool(_JUNK_DIRS.intersection(rel.parts)) or rel.suffix in _JUNK_SUFFIXES


def _files(folder: Path) -> list[Path]:
    """Every file under `folder` (relative paths, sorted), without caches and bytecode."""
    return sorted(p.relative_to(folder) for p in folder.rglob("*")
                  if p.is_file() and not _is_junk(p.relative_to(folder)))


def fingerprints(checks_root: Path) -> dict[str, str]:
    """sha256 of every file under `checks_root` (but FINGERPRINTS.json itself), by POSIX relative path."""
    return {rel.as_posix(): _digest((checks_root / rel).read_bytes())
            for rel in _files(checks_root) if rel.as_posix() != FINGERPRINTS}


def _fingerprints_json(files: dict[str, str]) -> bytes:
    doc = {"algorithm": "sha256", "line_endings": "CRLF read as LF", "files": dict(sorted(files.items()))}
    return (json.dumps(doc, indent=1) + "\n").encode("utf-8")


def verify_checks(fingerprints_file: Path, checks_root: Path) -> list[str]:
    """'edited: P', 'missing: P' and 'extra: P' lines for every file of `checks_root` that differs.

    Raises ReleaseError when the fingerprints file is missing or not one that `grader release` wrote.
    """
    try:
        doc = json.loads(Path(fingerprints_file).read_text(encoding="utf-8"))
    except OSError as error:
        raise ReleaseError(f"cannot read the fingerprints {fingerprints_file}: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ReleaseError(f"{fingerprints_file} is not JSON: {error}") from None
    expected = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(expected, dict) or not expected or doc.get("algorithm") != "sha256":
        raise ReleaseError(f"{fingerprints_file} is not a FINGERPRINTS.json written by `grader release`")
    if not Path(checks_root).is_dir():
        raise ReleaseError(f"no checks folder {checks_root}")
    actual = fingerprints(Path(checks_root))
    problems = [f"edited: {path}" for path in sorted(expected) if path in actual and actual[path] != expected[path]]
    problems += [f"missing: {path}" for path in sorted(expected) if path not in actual]
    problems += [f"extra: {path}" for path in sorted(actual) if path not in expected]
    return problems


# ---------------------------------------------------------------------------------------------------------
# Checks as released


def _is_hidden_mark(decorator: ast.expr) -> bool:
    """``@pytest.mark.points(..., visibility="hidden")`` (however `points` is reached)."""
    if not isinstance(decorator, ast.Call):
        return False
    func = decorator.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "points" and any(
        kw.arg == "visibility" and isinstance(kw.value, ast.Constant) and kw.value.value == "hidden"
        for kw in decorator.keywords
    )


def check_functions(source: str, filename: str = "<check>") -> dict[str, bool]:
    """The top-level ``check_*`` functions of a check file and whether each is hidden."""
    tree = ast.parse(source, filename=filename)
    return {
        node.name: any(_is_hidden_mark(d) for d in node.decorator_list)
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("check_")
    }


def hidden_check_names(checks_dir: Path) -> set[str]:
    """Names of the hidden checks of one assignment, as the course repository has them."""
    names = set()
    for path in sorted(checks_dir.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        names |= {name for name, hidden in check_functions(source, str(path)).items() if hidden}
    return names


def released_checks(checks_dir: Path) -> dict[Path, bytes]:
    """The files of one assignment's checks as students get them, by path relative to `checks_dir`."""
    from grader.assign import MarkerError, strip_solutions

    out: dict[Path, bytes] = {}
    for rel in _files(checks_dir):
        data = (checks_dir / rel).read_bytes()
        if rel.name == DECLARATION:  # students are told how many hidden checks run at grading
            hidden = len(hidden_check_names(checks_dir))
            out[rel] = data.rstrip(b"\n") + (f"\nreleased = true  # the students' copy: hidden checks and judges left out"
                                             f"\nhidden_checks = {hidden}\n").encode()
            continue
        if rel.suffix != ".py":
            out[rel] = data
            continue
        where = str(checks_dir / rel)
        try:
            source = strip_solutions(data.decode("utf-8"), filename=where)
        except MarkerError as error:
            raise ReleaseError(str(error)) from None
        checks = check_functions(source, where)
        still_hidden = sorted(name for name, hidden in checks.items() if hidden)
        if still_hidden:
            raise ReleaseError(f"{where}: hidden check(s) {', '.join(still_hidden)} not inside "
                               "### BEGIN HIDDEN / ### END HIDDEN markers: students would get them")
        if rel.name.startswith("check_") and not checks and "def observe_" not in source:
            continue  # every check of the file was hidden, with nothing to observe for them: the file is left out
        # Dropped regions leave blank lines behind; a file ends with one newline.
        out[rel] = (source.rstrip() + "\n").encode("utf-8") if source != data.decode("utf-8") else data
    return out


# ---------------------------------------------------------------------------------------------------------
# The files written for students

STUDENT_MAKEFILE = """\
# Student Makefile: `make check` grades your work with the visible checks.
# Every target sets itself up: a fresh clone needs only Python 3.11 and the package index.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ASSIGNMENT ?= {default}

.PHONY: help install data check verify-checks clean

help:  ## list the targets
\t@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\\t/'

$(STAMP): pyproject.toml
\ttest -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
\t$(BIN)/python -m pip install --quiet -e .
\t$(BIN)/python -c "import grader, torch, torchvision, pytest_timeout, scipy, nbformat"
\ttouch $(STAMP)

install: $(STAMP)  ## create .venv and install the grader (once; reruns reinstall nothing)

data: $(STAMP)  ## fetch and verify the data $(ASSIGNMENT) uses, if any, into the cache (once)
\t$(BIN)/grader data $(ASSIGNMENT)

check: $(STAMP)  ## grade your assignments/$(ASSIGNMENT)/ with the visible checks (make check ASSIGNMENT=...)
\t$(BIN)/grader check assignments/$(ASSIGNMENT) --assignment $(ASSIGNMENT)

verify-checks: $(STAMP)  ## confirm that checks/ is exactly as the course released it
\t$(BIN)/grader verify-checks

clean:  ## remove the virtual environment and caches (not the data cache)
\trm -rf $(VENV) .pytest_cache *.egg-info
"""

STUDENT_GITIGNORE = """\
.venv/
__pycache__/
*.egg-info/
.pytest_cache/
.ipynb_checkpoints/
reports/
*_data/
"""

STUDENT_README = """\
# Deep-learning homework / 딥러닝 과제

This repository holds your homework and the grader that checks it: {listing}.

## Fill in the blanks
Each assignment lives in `assignments/<assignment>/`: a Python file and the same template as a notebook
(`.ipynb`); fill **either** one. Replace every `# Fill this blank!` stub with your code, keeping the names and
signatures of the functions; the folder's own README explains each blank (English and Korean).

## Check your work: `make check`
Python 3.11 and the package index are all you need. The first run creates `.venv`, installs the grader and
fetches the data the assignment uses, if any (a few minutes); after that:

```bash
make check                        # grades assignments/{default}/
make check ASSIGNMENT=<name>      # another assignment
```

`make check` grades whichever of the two files you filled in with the **visible** checks and prints a table:
check, points, pass/FAIL and a sentence saying what to fix. It exits non-zero below full marks. More checks
(other sizes, other arguments, ...) are run when your work is graded, so solve the task, not only the
visible checks. Warnings printed by your code or by torch never cost points.

## Working in Jupyter or Colab: `check("...")`
The notebook has a check cell under every blank. Run its first cell once (in Colab it installs this repository's
grader from {repository}; where the grader is installed, it only loads it, and it fetches the data the
assignment uses), then press Shift-Enter on a blank's cell and on the `check("{first_blank}")` cell under it: a
table shows that blank's visible checks (points, pass/FAIL, a sentence saying what to fix) for the functions as
your kernel has them now, edits you have not saved included. `check()` runs every visible check and gives your
total. A check runs in a copy of the kernel, under the same time limits as `make check`: an endless loop or a
crash in your code ends the check with a message, never your session, and your variables and random state are
left as they were. Hidden checks never run there; they run when your work is graded. The check cells and the
first cell are not graded.

![A check cell's output](docs/check-cell.png)

## Hand in with a pull request
1. Work on a branch: `git switch -c {default}`.
2. Commit **only** files under `assignments/`, push, and open a pull request against the default branch.
3. GitHub Actions (`.github/workflows/grade.yml`) grades every assignment folder your pull request changes,
   marks failing checks on your lines, writes the score table to the run's summary and keeps the result
   (`report.json`) as an artifact. Push again to be graded again.

Do not edit `checks/`, `grader/` or the workflow. The workflow compares `checks/` with
`checks/FINGERPRINTS.json` of the base branch (`make verify-checks` does the same locally); if anything there
differs, it grades with the base branch's checks and flags the change in the summary.

## 사용법 (한국어)
- `assignments/<과제>/` 폴더의 `.py` 또는 `.ipynb` 중 하나를 골라 모든 `# Fill this blank!` 부분을 채우세요.
  함수 이름과 인자는 바꾸지 마세요.
- Jupyter나 Colab에서는 노트북의 첫 셀을 한 번 실행한 뒤(Colab에서는 채점 도구를 설치하고 데이터를 받습니다),
  각 빈칸 아래의 `check("함수 이름")` 셀을 실행하면 지금 커널에 정의된 함수로 그 빈칸의 공개 채점 결과가 표로
  나옵니다(저장하지 않은 수정도 반영). `check()`는 모든 공개 채점과 총점을 보여 줍니다. 무한 루프나 충돌이
  있어도 세션은 그대로이며, 숨겨진 채점은 제출 후에만 실행됩니다.
- `make check`로 공개(visible) 채점 결과를 확인합니다. 만점이 아니면 실패 상태로 끝납니다. 숨겨진(hidden)
  채점은 제출 후 채점할 때 실행됩니다.
- 제출: 새 branch에서 `assignments/` 안의 파일만 commit하고 push한 뒤 pull request를 여세요. GitHub Actions가
  바뀐 과제를 채점하여 결과 표를 요약(summary)에 남깁니다.
- `checks/`, `grader/`, workflow 파일은 수정하지 마세요. 수정하면 원래 채점 코드로 채점하고 수정 사실을 표시합니다.
"""

GRADE_WORKFLOW = """\
# Grades the assignments a pull request changes, with the visible checks of the base branch.
# Written by `grader release`; students: do not edit (see README.md).
name: grade

on:
  pull_request:

permissions:
  contents: read

concurrency:
  group: grade-${{ github.event.pull_request.number }}
  cancel-in-progress: true

defaults:
  run:
    shell: bash

jobs:
  grade:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    env:
      BASE: ${{ github.base_ref }}
      # CPU wheels of torch: the runners have no GPU, and the CUDA wheels are gigabytes.
      PIP_EXTRA_INDEX_URL: https://download.pytorch.org/whl/cpu
    steps:
      - name: Check out the pull request with the base branch's history
        uses: actions/checkout@v4
        with:
          fetch-depth: 0

      - name: Set up Python 3.11
        uses: actions/setup-python@v5
        with:
          python-version: "3.11"
          cache: pip
          cache-dependency-path: pyproject.toml

      - name: Install the grader
        run: python -m pip install -e .

      - name: Cache the data the assignments use
        uses: actions/cache@v4
        with:
          path: ~/.cache/dl-grader
          key: data-${{ hashFiles('grader/kits/*/data.py') }}

      - name: Find the assignments this pull request changes
        id: changed
        run: |
          changed=""
          for name in $(git diff --name-only "origin/$BASE...HEAD" -- assignments/ | cut -d/ -f2 | sort -u); do
            if [[ "$name" =~ ^[A-Za-z0-9_.-]+$ && -d "assignments/$name" ]]; then
              changed="$changed $name"
            fi
          done
          changed="${changed# }"
          echo "Assignments changed: ${changed:-none}"
          echo "assignments=$changed" >> "$GITHUB_OUTPUT"

      - name: Verify the checks against the base branch
        id: verify
        run: |
          if ! git show "origin/$BASE:checks/FINGERPRINTS.json" > "$RUNNER_TEMP/FINGERPRINTS.json"; then
            echo "::error title=no fingerprints::origin/$BASE has no checks/FINGERPRINTS.json"
            exit 1
          fi
          if grader verify-checks --fingerprints "$RUNNER_TEMP/FINGERPRINTS.json" > "$RUNNER_TEMP/verify.txt"; then
            cat "$RUNNER_TEMP/verify.txt"
            echo "edited=false" >> "$GITHUB_OUTPUT"
          else
            cat "$RUNNER_TEMP/verify.txt"
            rm -rf checks
            git checkout "origin/$BASE" -- checks/
            grader verify-checks --fingerprints "$RUNNER_TEMP/FINGERPRINTS.json"
            echo "::warning title=checks edited::This pull request changes checks/; grading uses the checks of $BASE."
            {
              echo "### :warning: This pull request edits the checks"
              echo ""
              echo "Grading used the checks of \\`$BASE\\` instead. What differed:"
              echo ""
              echo '```'
              cat "$RUNNER_TEMP/verify.txt"
              echo '```'
            } >> "$GITHUB_STEP_SUMMARY"
            echo "edited=true" >> "$GITHUB_OUTPUT"
          fi

      - name: Grade
        id: grade
        if: steps.changed.outputs.assignments != ''
        env:
          ASSIGNMENTS: ${{ steps.changed.outputs.assignments }}
        run: |
          status=0
          for name in $ASSIGNMENTS; do
            mkdir -p "reports/$name"
            grader check "assignments/$name" --assignment "$name" --format github \\
              --json "reports/$name/report.json" || status=1
          done
          exit "$status"

      - name: Nothing to grade
        if: steps.changed.outputs.assignments == ''
        run: echo "This pull request changes no folder under assignments/, so nothing was graded." >> "$GITHUB_STEP_SUMMARY"

      - name: Upload the report
        if: always() && steps.changed.outputs.assignments != ''
        uses: actions/upload-artifact@v4
        with:
          name: grade-report
          path: reports/
          if-no-files-found: warn
"""


def _student_readme(assignments: list[str], repository: str = "", first_blank: str = "...") -> str:
    listing = ", ".join(f"`assignments/{name}/`" for name in assignments)
    where = f"`{repository}`" if repository else "this repository"
    return STUDENT_README.format(listing=listing, default=assignments[0], repository=where, first_blank=first_blank)


def _first_blank(notebook: bytes | None) -> str:
    """The blank the first `check("...")` cell of a template notebook checks, for the README's example."""
    try:
        cells = json.loads(notebook or b"{}").get("cells", [])
    except (ValueError, AttributeError):
        return "..."
    for cell in cells:
        found = re.fullmatch(r'\s*check\("(\w+)"\)\s*', "".join(cell.get("source", "")))
        if found:
            return found.group(1)
    return "..."


# ---------------------------------------------------------------------------------------------------------
# The notebooks' install cell

# The line `grader assign` leaves empty in every notebook's first cell (grader/assign.py INSTALL_CELL).
_REPOSITORY_LINE = re.compile(r'^REPOSITORY = "[^"\n]*"', re.MULTILINE)
_URL = re.compile(r"(https://|git@|ssh://)[\w.@:/~+-]+")


def configured_repository(root: Path = PROJECT_ROOT) -> str:
    """The students' repository the notebooks install from: `[tool.grader] student_repository` of the course's
    pyproject.toml ("" when unset)."""
    import tomllib

    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return ""
    return str(data.get("tool", {}).get("grader", {}).get("student_repository", ""))


def with_repository(notebook: bytes, repository: str) -> bytes:
    """A template notebook whose first cell installs from `repository`."""
    import nbformat

    nb = nbformat.reads(notebook.decode("utf-8"), as_version=4)
    for cell in nb.cells:
        if "install-cell" in cell.metadata.get("tags", []):
            cell.source = _REPOSITORY_LINE.sub(lambda _: f'REPOSITORY = "{repository}"', cell.source, count=1)
    return (nbformat.writes(nb) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------------------
# Building


def _available_assignments(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "assignments").iterdir()
                  if p.is_dir() and (root / "checks" / p.name / DECLARATION).is_file())


def plan_release(assignments: list[str], root: Path = PROJECT_ROOT, repository: str | None = None
                 ) -> dict[Path, bytes]:
    """Every file of the release, by path relative to its root. Nothing is written. `repository`: where the
    notebooks' first cell installs from (default: the configured one)."""
    repository = configured_repository(root) if repository is None else repository
    if repository and not _URL.fullmatch(repository):
        raise ReleaseError(f"{repository!r} is not a repository address (https://..., ssh://... or git@...)")
    names = list(dict.fromkeys(assignments)) or _available_assignments(root)
    if not names:
        raise ReleaseError(f"no assignment in {root / 'assignments'} has checks to release")
    files: dict[Path, bytes] = {}
    checks: dict[str, str] = {}
    for name in names:
        template, suite = root / "assignments" / name, root / "checks" / name
        if not template.is_dir():
            raise ReleaseError(f"no template folder {template} (run `grader assign {name}`)")
        if not (suite / DECLARATION).is_file():
            raise ReleaseError(f"no checks for assignment {name!r} in {suite.parent}")
        for rel in _files(template):
            data = (template / rel).read_bytes()
            files[Path("assignments", name, rel)] = with_repository(data, repository) if rel.suffix == ".ipynb" \
                and repository else data
        for rel, data in released_checks(suite).items():
            files[Path("checks", name, rel)] = data
            checks[Path(name, rel).as_posix()] = _digest(data)
    files[Path("checks", FINGERPRINTS)] = _fingerprints_json(checks)
    for rel in _files(root / "grader"):
        files[Path("grader", rel)] = (root / "grader" / rel).read_bytes()
    files[Path("pyproject.toml")] = (root / "pyproject.toml").read_bytes()
    files[Path("Makefile")] = STUDENT_MAKEFILE.format(default=names[0]).encode("utf-8")
    first_blank = _first_blank(files.get(Path("assignments", names[0], f"{names[0]}.ipynb")))
    files[Path("README.md")] = _student_readme(names, repository, first_blank).encode("utf-8")
    screenshot = root / "docs" / "check-cell.png"
    if screenshot.is_file():
        files[Path("docs", "check-cell.png")] = screenshot.read_bytes()
    files[Path(".gitignore")] = STUDENT_GITIGNORE.encode("utf-8")
    files[Path(".github", "workflows", "grade.yml")] = GRADE_WORKFLOW.encode("utf-8")
    audit(files, root)
    return files


def solution_lines(root: Path = PROJECT_ROOT) -> set[str]:
    """The stripped lines of `solutions/`'s SOLUTION regions specific enough that finding one is a leak.

    A line counts when it is at least MIN_LEAK_LINE characters, not a comment, not also given by the
    template (in its code outside every region, like `criterion = make_criterion()` in the experiment, or
    spelled out in its text, like hw3's "use `generator = torch.Generator().manual_seed(seed)`") and not one of
    the COMMON_IDIOMS any PyTorch code (the checks' own included) is written with.
    """
    from grader.assign import strip_solutions

    lines = set()
    for path in sorted((root / "solutions").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        template = strip_solutions(source, str(path))
        for region in _SOLUTION_REGION.findall(source):
            lines |= {line.strip() for line in region.splitlines() if len(line.strip()) >= MIN_LEAK_LINE
                      and not line.strip().startswith("#") and line.strip() not in template}
    return lines - COMMON_IDIOMS


def text_lines(rel: Path, data: bytes) -> set[str]:
    """The stripped lines of a file as a reader sees them: a notebook's are those of its cells."""
    text = data.decode("utf-8", errors="replace")
    if rel.suffix == ".ipynb":
        try:
            cells = json.loads(text).get("cells", [])
            text = "\n".join("".join(c.get("source", "")) for c in cells if isinstance(c, dict))
        except (json.JSONDecodeError, AttributeError):
            pass  # not a notebook after all: its raw lines are checked
    return {line.strip() for line in text.splitlines()}


def audit(files: dict[Path, bytes], root: Path = PROJECT_ROOT) -> None:
    """Raise ReleaseError if any planned file holds a solution line or names a hidden check."""
    leaks = solution_lines(root)
    hidden = set()
    for suite in sorted((root / "checks").iterdir()):
        if suite.is_dir():
            hidden |= hidden_check_names(suite)
    problems = []
    for rel, data in sorted(files.items()):
        if rel.parts[0] == "solutions":
            problems.append(f"{rel}: a solution file")
            continue
        text = data.decode("utf-8", errors="replace")
        problems += [f"{rel}: holds the solution line {line!r}" for line in sorted(leaks & text_lines(rel, data))]
        problems += [f"{rel}: names the hidden check {name}" for name in sorted(hidden) if name in text]
    if problems:
        raise ReleaseError("the release would leak; nothing was written:\n  " + "\n  ".join(problems))


def _refuse_dangerous(out: Path, root: Path) -> None:
    out, root = out.resolve(), root.resolve()
    if out == root or out in root.parents:
        raise ReleaseError(f"refusing to write a release into {out}: it holds the course repository")
    for source in ("assignments", "checks", "grader", "solutions", "tests"):
        if out == root / source or root / source in out.parents:
            raise ReleaseError(f"refusing to write a release into {out}: it is inside the course's {source}/")


def build_release(out: Path, assignments: list[str], *, force: bool = False,
                  root: Path = PROJECT_ROOT, repository: str | None = None) -> Path:
    """Write the student release of `assignments` (all with checks when empty) into `out`; return `out`.

    `out` must be missing or empty (a `.git` folder aside, so a clone of the students' repository can
    be refreshed in place); with `force`, everything in it but `.git` is deleted first.
    """
    out = Path(out)
    _refuse_dangerous(out, root)
    if out.exists() and not out.is_dir():
        raise ReleaseError(f"{out} is a file, not a folder")
    files = plan_release(list(assignments), root, repository)  # raises before anything is touched
    existing = [p for p in out.iterdir() if p.name != ".git"] if out.is_dir() else []
    if existing and not force:
        raise ReleaseError(f"{out} is not empty ({', '.join(sorted(p.name for p in existing)[:5])}, ...); "
                           "pass --force to replace its contents")
    for path in existing:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    for rel, data in files.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return out


# ---------------------------------------------------------------------------------------------------------
# Command line


def add_release_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `grader release` and `grader verify-checks` to the `grader` command."""
    release = subparsers.add_parser(
        "release", help="write the repository students receive (no solutions, no hidden checks)",
        description="Write the student release into DIR: templates, the grader, the checks without their "
        "### BEGIN/END HIDDEN regions (files with only hidden checks are left out), checks/FINGERPRINTS.json, "
        "a student Makefile and README, and the GitHub Actions workflow grading pull requests.",
    )
    release.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to write the release")
    release.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                         help="default: every folder of assignments/ that has checks")
    release.add_argument("--force", action="store_true",
                         help="replace the contents of a non-empty DIR (its .git folder is kept)")
    release.add_argument("--repository", metavar="URL", default=None,
                         help="the students' repository the notebooks' first cell installs from (default: "
                         "[tool.grader] student_repository in pyproject.toml)")
    release.set_defaults(func=cmd_release)

    verify = subparsers.add_parser(
        "verify-checks", help="compare checks/ with FINGERPRINTS.json (exit 1 on any difference)",
        description="List every file of the checks folder that was edited, is missing or was added since "
        "`grader release` wrote FINGERPRINTS.json. Exit 0 when they all match, 1 otherwise.",
    )
    verify.add_argument("--fingerprints", type=Path, metavar="FILE",
                        help="default: CHECKS_ROOT/FINGERPRINTS.json")
    verify.add_argument("--checks-root", type=Path, metavar="DIR", default=None,
                        help=f"the checks folder (default: {DEFAULT_CHECKS.name}/ of this repository)")
    verify.set_defaults(func=cmd_verify_checks)


def cmd_release(args: argparse.Namespace) -> int:
    out = build_release(args.out, args.assignments, force=args.force, repository=args.repository)
    count = sum(1 for p in out.rglob("*") if p.is_file() and ".git" not in p.relative_to(out).parts)
    print(f"release written to {out}: {count} files")
    return 0


def cmd_verify_checks(args: argparse.Namespace) -> int:
    checks_root = args.checks_root or DEFAULT_CHECKS
    fingerprints_file = args.fingerprints or checks_root / FINGERPRINTS
    problems = verify_checks(fingerprints_file, checks_root)
    if not problems:
        count = len(json.loads(Path(fingerprints_file).read_text(encoding="utf-8"))["files"])
        print(f"checks match {fingerprints_file}: {count} files")
        return 0
    print(f"{len(problems)} file(s) of {checks_root} differ from {fingerprints_file}:")
    print("\n".join(problems))
    sys.stdout.flush()
    return 1
