"""The catalogues of wrong submissions (wrong_submissions/<assignment>.toml) and how a bug is planted.

Each entry names a text of the assignment's reference solution (`old`, occurring exactly once) and what
replaces it (`new`), or lists of both for a bug planted in several places. Used by the wrong-submission and red-team tests and by scripts/make_examples.py.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CATALOGUES: dict[str, dict] = {path.stem: tomllib.loads(path.read_text("utf-8"))
                               for path in sorted((Path(__file__).parent / "wrong_submissions").glob("*.toml"))}
# hw1's, by the names the older tests use.
SOLUTION = PROJECT_ROOT / "solutions" / "hw1_bn_mlp" / "hw1_bn_mlp.py"
CATALOGUE = CATALOGUES["hw1_bn_mlp"]
BUGS: dict[str, dict] = {bug["name"]: bug for bug in CATALOGUE["bug"]}
HARMLESS: dict[str, dict] = {variant["name"]: variant for variant in CATALOGUE["ok"]}


def solution_of(assignment: str) -> Path:
    return PROJECT_ROOT / "solutions" / assignment / f"{assignment}.py"


def plant(bug: dict | None, source: str | None = None, assignment: str = "hw1_bn_mlp") -> str:
    """The reference solution (or `source`) with `bug` planted; the reference itself for None."""
    source = solution_of(assignment).read_text(encoding="utf-8") if source is None else source
    if bug is None:
        return source
    olds, news = bug["old"], bug["new"]  # one text, or a list of texts for a bug planted in several places
    for old, new in zip(*((olds, news) if isinstance(olds, list) else ([olds], [news])), strict=True):
        assert source.count(old) == 1, f"{bug.get('name', bug)}: its `old` text must occur exactly once in the solution"
        source = source.replace(old, new)
    return source
