"""The catalogue of wrong submissions (wrong_submissions/catalogue.toml) and how a bug is planted.

Each entry names a text of the reference solution (`old`, occurring exactly once) and what replaces it
(`new`). Used by the wrong-submission and red-team tests and by scripts/make_examples.py.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOLUTION = PROJECT_ROOT / "solutions" / "hw1_bn_mlp" / "hw1_bn_mlp.py"
CATALOGUE = tomllib.loads((Path(__file__).parent / "wrong_submissions" / "catalogue.toml").read_text("utf-8"))
BUGS: dict[str, dict] = {bug["name"]: bug for bug in CATALOGUE["bug"]}
HARMLESS: dict[str, dict] = {variant["name"]: variant for variant in CATALOGUE["ok"]}


def plant(bug: dict | None, source: str | None = None) -> str:
    """The reference solution (or `source`) with `bug` planted; the reference itself for None."""
    source = SOLUTION.read_text(encoding="utf-8") if source is None else source
    if bug is None:
        return source
    old, new = str(bug["old"]), str(bug["new"])
    assert source.count(old) == 1, f"{bug.get('name', bug)}: its `old` text must occur exactly once in the solution"
    return source.replace(old, new)
