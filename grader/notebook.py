"""Read a student's notebook as the Python source the grader imports."""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path

import nbformat

# Cells the grader never runs: the experiment (trains for minutes, prints), anything the student or the course
# marks as not part of the graded code, and the template's own cells that install the course's package and check
# a blank in the kernel (grader/assign.py writes them; grading needs neither).
INSTALL_TAG, CHECK_TAG = "install-cell", "check-cell"
SKIP_TAGS = frozenset({"experiment", "skip-grading", INSTALL_TAG, CHECK_TAG})

# IPython-only lines: "%magic", "!shell", and "x = !cmd" / "x = %magic" assignments.
_MAGIC_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<code>(?:[%!]|[\w.]+[ \t]*=[ \t]*[%!](?!=)).*)$")
# IPython's automagics and shell commands that Colab and Jupyter users type without % or ! ("cd drive/...",
# "pip install ...", "ls"): skipped like magics where the line is not Python.
# Only in a cell that is not Python as a whole; "cd = 3", "ls(x)" and "pwd.x" are left alone.
_AUTOMAGIC_LINE = re.compile(r"^[ \t]*(cd|pip|ls|pwd|cat|mkdir|rm|cp|mv|wget|curl|unzip|conda|nvidia-smi|env|"
                             r"who|whos|clear|history|load_ext|matplotlib)([ \t]+(?![-+*/%|&^]?=|[=(\[.,:)]).*)?$")
_STUB_LINE = re.compile(r"""^[ \t]*raise[ \t]+NotImplementedError\((["'])Fill this blank!\1\)[ \t]*$""")


class NotebookError(ValueError):
    """The submission is not a notebook the grader can read."""


def _read(path: Path) -> nbformat.NotebookNode:
    try:
        with warnings.catch_warnings():
            # Hand-edited or old notebooks often lack cell ids; nbformat warns, and the grader
            # does not need ids, so that is not the student's problem.
            warnings.simplefilter("ignore")
            return nbformat.read(path, as_version=4)
    except OSError:
        raise  # a missing file is reported as such, not as a bad notebook
    except Exception as exc:  # nbformat raises JSON, schema, version and plain Attribute/TypeErrors
        raise NotebookError(f"{path} is not a valid notebook: {exc}") from exc


def _comment_magics(source: str) -> str:
    """Comment out IPython syntax so the cell parses as plain Python."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for "\\d": the student's, not ours
            ast.parse(source)
        return source  # already Python: a "%" line here continues an expression or sits in a string
    except (SyntaxError, ValueError):  # ValueError: a null byte in the cell
        pass
    lines = source.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        # A cell magic (%%time, %%capture, %%bash) owns the whole cell, which need not be Python.
        return "\n".join(f"# {line}" if line else "#" for line in lines)
    out = []
    for line in lines:
        match = _MAGIC_LINE.match(line) or _AUTOMAGIC_LINE.match(line)
        if match is None:
            out.append(line)
        elif match.re is _AUTOMAGIC_LINE:
            indent = line[:len(line) - len(line.lstrip())]
            out.append(f"{indent}pass  # {line.strip()}" if indent else f"# {line.strip()}")
        elif match["indent"]:
            # Inside a block the magic may be the only statement, so leave a statement behind.
            out.append(f"{match['indent']}pass  # {match['code']}")
        else:
            out.append(f"# {match['code']}")
    return "\n".join(out)


def _comment_colab(source: str) -> str:
    """Comment out Colab's set-up at a cell's top level: `from google.colab import drive` and the statements that
    use what it imported (`drive.mount(...)`). The grader has no Colab and needs no Drive: the checks give the
    functions their data."""
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError):
        return source
    colab: set[str] = set()
    drop: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[:2] == ["google", "colab"]:
            colab |= {alias.asname or alias.name for alias in node.names}
            drop.append(node)
        elif isinstance(node, ast.Import) and any(a.name.split(".")[:2] == ["google", "colab"] for a in node.names):
            colab |= {(a.asname or a.name).split(".")[0] for a in node.names}
            drop.append(node)
        elif colab and isinstance(node, ast.Expr) and _root_name(node.value) in colab:
            drop.append(node)
    lines = source.split("\n")
    for node in drop:
        for index in range(node.lineno - 1, (node.end_lineno or node.lineno)):
            lines[index] = f"# {lines[index]}"
    return "\n".join(lines)


def _root_name(node: ast.expr) -> str:
    """`drive` for `drive.mount(...)`, `files` for `files.download(...)`."""
    while isinstance(node, (ast.Call, ast.Attribute)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _cell_source(cell: nbformat.NotebookNode) -> str:
    source = cell.get("source", "")
    # A notebook built in memory may still hold the on-disk form: a list of lines.
    return "".join(source) if isinstance(source, list) else str(source)


def _without_skipped_cells(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """nbconvert's own tag filter drops the cells the grader never runs (the experiment)."""
    from nbconvert.preprocessors import TagRemovePreprocessor

    remover = TagRemovePreprocessor(remove_cell_tags=set(SKIP_TAGS), enabled=True)
    # A copy (the caller's notebook is left as it was), each cell numbered as the notebook shows it.
    copy = nbformat.from_dict({**nb, "cells": [dict(cell, metadata={**(cell.get("metadata") or {}), "grader_cell": n})
                                                for n, cell in enumerate(nb["cells"], start=1)]})
    return remover.preprocess(copy, {})[0]


def notebook_to_source(nb_or_path: nbformat.NotebookNode | str | Path) -> str:
    """The graded code cells of a notebook, in order, as one Python source."""
    return notebook_source_and_lines(nb_or_path)[0]


def notebook_source_and_lines(nb_or_path: nbformat.NotebookNode | str | Path) -> tuple[str, list[tuple[int, int]]]:
    """The graded source, and for each of its lines the (cell, line in that cell) it came from, both counted
    from 1 as the notebook shows them (every cell counts, markdown too), so messages can name the cell."""
    if isinstance(nb_or_path, (str, Path)):
        nb, where = _read(Path(nb_or_path)), str(nb_or_path)
    else:
        nb, where = nb_or_path, "<notebook>"
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        raise NotebookError(f"{where} is not a valid notebook: no list of cells")
    chunks: list[str] = []
    lines: list[tuple[int, int]] = []
    for cell in _without_skipped_cells(nb).cells:
        if cell.get("cell_type") != "code" or _only_checks(_cell_source(cell)):
            continue
        raw = _comment_colab(_comment_magics(_cell_source(cell)))
        chunk = raw.lstrip("\n").rstrip()
        if chunk:
            first = len(raw) - len(raw.lstrip("\n"))  # leading blank lines dropped
            if lines:
                lines += [lines[-1]] * 2  # the blank lines between cells
            number = int(cell["metadata"]["grader_cell"])
            lines += [(number, first + i + 1) for i in range(chunk.count("\n") + 1)]
            chunks.append(chunk)
    # Blank lines between cells keep top-level definitions apart, as in the percent-format file.
    return ("\n\n\n".join(chunks) + "\n" if chunks else ""), lines


def _only_checks(source: str) -> bool:
    """A cell of `check(...)` calls alone, typed or copied by the student without the template's tag: the grader
    has no `check` (the first cell defines it), so running the cell would fail the whole import."""
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError):
        return False
    return bool(body) and all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                              and isinstance(node.value.func, ast.Name) and node.value.func.id == "check"
                              for node in body)


def count_stubs(source: str) -> int:
    """How many ``raise NotImplementedError("Fill this blank!")`` lines are still unfilled."""
    return sum(1 for line in source.splitlines() if _STUB_LINE.match(line))


# The generated .py of each notebook imported in this process -> where each of its lines came from.
_ORIGINS: dict[str, list[tuple[int, int]]] = {}


def remember_origins(generated: Path, lines: list[tuple[int, int]]) -> None:
    _ORIGINS[str(generated)] = lines


# A live kernel's cells (grader/live.py): the file IPython compiled each from -> its execution count.
_LIVE_CELLS: dict[str, int] = {}


def remember_live_cells(cells: dict[str, int]) -> None:
    _LIVE_CELLS.update(cells)


def is_live_cell(file: str) -> bool:
    return file in _LIVE_CELLS


def where(file: str | Path, line: int) -> str:
    """"line N of your code", or for a notebook "cell C, line L of your notebook" (as the notebook numbers them);
    in a live kernel "cell In [N], line L" (as Jupyter numbers the runs)."""
    if str(file) in _LIVE_CELLS:
        return f"cell In [{_LIVE_CELLS[str(file)]}], line {line}"
    origins = _ORIGINS.get(str(file))
    if origins and 1 <= line <= len(origins):
        cell, in_cell = origins[line - 1]
        return f"cell {cell}, line {in_cell} of your notebook"
    return f"line {line} of your code"
