"""Turn solution files into student templates: blanks for solutions, notebooks for percent-format files.

Solutions live in ``solutions/<assignment>/*.py``. Inside them, ``### BEGIN SOLUTION`` /
``### END SOLUTION`` regions become a two-line stub, and ``### BEGIN HIDDEN`` / ``### END HIDDEN``
regions disappear. Everything else is copied byte for byte, so the template is the solution minus
the answers and nothing more.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

STUB_COMMENT = "# Fill this blank!"
STUB_RAISE = 'raise NotImplementedError("Fill this blank!")'

# A marker is a whole line: only indentation and trailing spaces around it, so a marker quoted
# inside other text (a docstring explaining the format, say) is not taken for one.
_MARKER = re.compile(r"^(?P<indent>[ \t]*)### (?P<edge>BEGIN|END) (?P<kind>SOLUTION|HIDDEN)[ \t]*$")

# "# %%" starts a cell; what follows may name the cell type and carry key=value metadata.
_CELL_MARKER = re.compile(r"^# %%(?![%\w])(?P<rest>.*)$")
_TAGS = re.compile(r"""\btags\s*=\s*(?P<list>\[[^\]]*\])""")


class MarkerError(ValueError):
    """A solution file's BEGIN/END markers do not pair up."""


@dataclass
class _Open:
    """The region being read: where it began, so errors and the stub can point at it."""

    kind: str
    indent: str
    lineno: int
    ending: str
    position: int = 0  # where a dropped HIDDEN region was, as an index into the output lines


def _lines(source: str) -> list[str]:
    """Lines with their endings, split only where Python ends a line (not at form feeds or U+2028)."""
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+", source)


def _split_ending(line: str) -> tuple[str, str]:
    """Split a line kept with its ending into text and ending, so stubs reuse the file's newlines."""
    text = line.rstrip("\r\n")
    return text, line[len(text):]


def strip_solutions(source: str, filename: str = "<source>") -> str:
    """Replace SOLUTION regions by a stub at the BEGIN marker's indentation and drop HIDDEN regions.

    Raises MarkerError (with ``filename:line``) for nested, unclosed or unmatched markers.
    """
    out: list[str] = []
    region: _Open | None = None
    hidden: list[_Open] = []  # dropped HIDDEN regions, for _check_parses
    for lineno, line in enumerate(_lines(source), start=1):
        text, ending = _split_ending(line)
        match = _MARKER.match(text)
        if match is None:
            if region is None:
                out.append(line)
            continue
        edge, kind, indent = match["edge"], match["kind"], match["indent"]
        where = f"{filename}:{lineno}"
        if edge == "BEGIN":
            if region is not None:
                raise MarkerError(
                    f"{where}: BEGIN {kind} inside the BEGIN {region.kind} of line {region.lineno}"
                    " (regions cannot nest)"
                )
            region = _Open(kind, indent, lineno, ending)
            continue
        if region is None:
            raise MarkerError(f"{where}: END {kind} without a BEGIN {kind} before it")
        if kind != region.kind:
            raise MarkerError(f"{where}: END {kind} closes the BEGIN {region.kind} of line {region.lineno}")
        if kind == "SOLUTION":
            # The raise keeps the function valid Python even when the region was its whole body;
            # the END line's ending keeps a file that ended without a newline that way.
            out.append(f"{region.indent}{STUB_COMMENT}{region.ending or ending}")
            out.append(f"{region.indent}{STUB_RAISE}{ending}")
        else:
            region.position = len(out)
            hidden.append(region)
        region = None
    if region is not None:
        raise MarkerError(
            f"{filename}:{region.lineno}: BEGIN {region.kind} is never closed by an END {region.kind}"
        )
    if hidden:
        _check_parses(source, out, hidden, filename)
    return "".join(out)


def _check_parses(source: str, out: list[str], hidden: list[_Open], filename: str) -> None:
    """Name the HIDDEN region that was a block's whole body: dropping it leaves the block empty."""
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return  # not Python to begin with: nothing to keep valid
    try:
        ast.parse("".join(out))
        return
    except SyntaxError:
        pass
    # Drop the regions one more at a time, the rest standing in as "pass": the first failure is it.
    for count, culprit in enumerate(hidden, start=1):
        lines = list(out)
        for region in reversed(hidden[count:]):
            lines.insert(region.position, f"{region.indent}pass\n")
        try:
            ast.parse("".join(lines))
        except SyntaxError as exc:
            raise MarkerError(
                f"{filename}:{culprit.lineno}: dropping this HIDDEN region leaves invalid Python"
                f" ({exc.msg}); keep a statement beside it in its block"
            ) from None


def _cell_header(rest: str) -> tuple[str, list[str]]:
    """Cell type and tags from what follows ``# %%`` (e.g. ``[markdown]``, ``tags=["experiment"]``)."""
    cell_type = "markdown" if re.match(r"\s*\[(markdown|md)\]", rest) else "code"
    match = _TAGS.search(rest)
    if match is None:
        return cell_type, []
    try:
        tags = json.loads(match["list"])
    except json.JSONDecodeError:
        # jupytext writes JSON, but a hand-written ['experiment'] means the same thing.
        tags = ast.literal_eval(match["list"])
    return cell_type, [str(tag) for tag in tags]


def _uncomment(line: str) -> str:
    """A markdown line from its commented form: ``# text`` -> ``text``, ``#`` -> empty."""
    if line.startswith("# "):
        return line[2:]
    return line.removeprefix("#")


def _trim_blank_lines(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _new_cell(cell_type: str, lines: list[str], tags: list[str], index: int) -> nbformat.NotebookNode:
    if cell_type == "markdown":
        lines = [_uncomment(line) for line in lines]
    source = "\n".join(_trim_blank_lines(lines))
    # Fixed ids (nbformat would draw random ones) make the same source give the same notebook bytes.
    cell_id = f"cell-{index:02d}"
    metadata = nbformat.from_dict({"tags": tags} if tags else {})
    if cell_type == "markdown":
        return nbformat.v4.new_markdown_cell(source, id=cell_id, metadata=metadata)
    return nbformat.v4.new_code_cell(source, id=cell_id, metadata=metadata)


def python_to_notebook(source: str) -> nbformat.NotebookNode:
    """A v4.5 notebook from percent-format source: one cell per ``# %%`` marker, ids ``cell-00``, ..."""
    # (cell type, tags, lines); text before the first marker is a code cell, kept only if non-blank.
    cells: list[tuple[str, list[str], list[str]]] = [("code", [], [])]
    for line in re.split(r"\r\n|\r|\n", source):
        match = _CELL_MARKER.match(line)
        if match is None:
            cells[-1][2].append(line)
        else:
            cell_type, tags = _cell_header(match["rest"])
            cells.append((cell_type, tags, []))
    if not any(line.strip() for line in cells[0][2]):
        cells.pop(0)
    nb = nbformat.v4.new_notebook()
    nb.metadata = nbformat.from_dict({
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    nb.cells = [_new_cell(kind, lines, tags, i) for i, (kind, tags, lines) in enumerate(cells)]
    nbformat.validate(nb)
    return nb


def _is_stub(node: ast.AST) -> bool:
    """``raise NotImplementedError("Fill this blank!")``: what a SOLUTION region became."""
    exc = node.exc if isinstance(node, ast.Raise) else None
    return (isinstance(exc, ast.Call) and isinstance(exc.func, ast.Name) and exc.func.id == "NotImplementedError"
            and [getattr(arg, "value", None) for arg in exc.args] == ["Fill this blank!"])


def blank_names(source: str) -> list[str]:
    """The top-level functions and classes of a template that hold a blank, in the template's order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and any(_is_stub(inner) for inner in ast.walk(node))]


# The notebook's first cell: where the course's package is missing (Colab, a new Jupyter) it clones the student
# repository (`grader release` writes its address) and installs it; then it makes `check` and fetches the data.
INSTALL_CELL = """\
# Run this cell first. Where the course's checker is not installed (Colab, a new Jupyter) it installs it from the
# course's repository; where it is installed it only loads it. It also fetches the data the assignment uses.
# Then each `check("...")` cell checks the blank above it, and `check()` checks everything.
REPOSITORY = ""  # the course's student repository (written by `grader release`)
import importlib.util, subprocess, sys
from pathlib import Path
if importlib.util.find_spec("grader") is None:
    # A clone this notebook sits in, else a new one beside it.
    clone = next((p for p in [Path.cwd(), *Path.cwd().parents] if (p / "grader" / "live.py").is_file()), None)
    if clone is None and not REPOSITORY:
        raise RuntimeError("Open this notebook from a clone of the course's repository.")
    clone = clone or Path(REPOSITORY.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1]).resolve()
    if not clone.exists():
        subprocess.run(["git", "clone", "--depth", "1", REPOSITORY, str(clone)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", str(clone)], check=True)
    sys.path.insert(0, str(clone))
from grader.live import Checker
check = Checker("{assignment}")
print('Ready: run check("name") under a blank, or check() for every visible check.')"""


def with_check_cells(nb: nbformat.NotebookNode, assignment: str) -> nbformat.NotebookNode:
    """The notebook with the install cell first and a `check("name")` cell under every code cell holding a
    blank; both tagged so that grading never runs them (grader/notebook.py SKIP_TAGS)."""
    from grader.notebook import CHECK_TAG, INSTALL_TAG

    cells = [nbformat.v4.new_code_cell(INSTALL_CELL.replace("{assignment}", assignment), id="install",
                                       metadata=nbformat.from_dict({"tags": [INSTALL_TAG]}))]
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type == "code":
            cells += [nbformat.v4.new_code_cell(f'check("{name}")', id=f"check-{name}",
                                                metadata=nbformat.from_dict({"tags": [CHECK_TAG]}))
                      for name in blank_names(cell.source)]
    nb.cells = cells
    nbformat.validate(nb)
    return nb


def _write_if_changed(path: Path, data: bytes) -> None:
    """Write only when the bytes differ, so rebuilding an unchanged assignment leaves mtimes alone."""
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _template_files(src: Path, rel: Path, assignment: str) -> dict[Path, bytes]:
    """The template files one solution file turns into, by path relative to the output folder."""
    data = src.read_bytes()
    if src.suffix != ".py":
        return {rel: data}
    # Decoding bytes (not read_text) keeps CRLF files CRLF: the template differs only in the blanks.
    stripped = strip_solutions(data.decode("utf-8"), filename=str(src))
    files = {rel: stripped.encode("utf-8")}
    if any(_CELL_MARKER.match(line.rstrip("\r\n")) for line in _lines(stripped)):
        notebook = nbformat.writes(with_check_cells(python_to_notebook(stripped), assignment)) + "\n"
        files[rel.with_suffix(".ipynb")] = notebook.encode("utf-8")
    return files


def build_assignment(solution_dir: Path, out_dir: Path) -> list[Path]:
    """Write the student template of ``solution_dir`` into ``out_dir``; return every template path.

    Paths are listed whether or not their content changed; only changed files are rewritten.
    """
    solution_dir, out_dir = Path(solution_dir), Path(out_dir)
    planned: dict[Path, bytes] = {}
    for src in sorted(solution_dir.rglob("*")):
        rel = src.relative_to(solution_dir)
        if not src.is_file() or "__pycache__" in rel.parts:
            continue
        for target, data in _template_files(src, rel, solution_dir.name).items():
            if target in planned:
                # e.g. hw.py (which makes hw.ipynb) beside a hand-written hw.ipynb: one would be lost.
                raise ValueError(f"{solution_dir / target}: two solution files produce this template file")
            planned[target] = data
    # Everything is generated before anything is written, so a MarkerError leaves out_dir untouched.
    written = []
    for target, data in planned.items():
        _write_if_changed(out_dir / target, data)
        written.append(out_dir / target)
    return written

