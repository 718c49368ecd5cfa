"""The template generator: solution markers, percent-format notebooks, and the assignment build."""

from __future__ import annotations

import ast
import keyword
import os
import textwrap
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.assign import (
    STUB_COMMENT,
    STUB_RAISE,
    MarkerError,
    build_assignment,
    python_to_notebook,
    strip_solutions,
)
from grader.notebook import count_stubs, notebook_to_source

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
FAST = settings(max_examples=150, deadline=None)


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --- markers: unit tests ---------------------------------------------------------------------


def test_region_becomes_stub_at_the_begin_indentation() -> None:
    source = dedent('''
        def f(x):
            """Doc."""
            ### BEGIN SOLUTION
            y = x + 1
            return y
            ### END SOLUTION
    ''')
    assert strip_solutions(source) == dedent(f'''
        def f(x):
            """Doc."""
            {STUB_COMMENT}
            {STUB_RAISE}
    ''')


def test_deeper_region_and_code_around_it_kept() -> None:
    source = dedent("""
        rows = []
        for h in (1, 2):
            if h:
                ### BEGIN SOLUTION
                rows.append(h)
                ### END SOLUTION
            rows.sort()
        x = 1
    """)
    expected = dedent(f"""
        rows = []
        for h in (1, 2):
            if h:
                {STUB_COMMENT}
                {STUB_RAISE}
            rows.sort()
        x = 1
    """)
    assert strip_solutions(source) == expected
    ast.parse(expected)


def test_tab_indentation_and_crlf_kept() -> None:
    source = "def f():\r\n\t### BEGIN SOLUTION\r\n\treturn 1\r\n\t### END SOLUTION\r\ny = 2\r\n"
    assert strip_solutions(source) == f"def f():\r\n\t{STUB_COMMENT}\r\n\t{STUB_RAISE}\r\ny = 2\r\n"


def test_file_without_final_newline_stays_so() -> None:
    source = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
    assert strip_solutions(source) == f"def f():\n    {STUB_COMMENT}\n    {STUB_RAISE}"


def test_hidden_region_dropped_entirely() -> None:
    source = dedent("""
        def f():
            return 1

        ### BEGIN HIDDEN
        assert f() == 1
        ### END HIDDEN
        z = 3
    """)
    assert strip_solutions(source) == "def f():\n    return 1\n\nz = 3\n"


def test_hidden_region_as_whole_block_body_is_an_error() -> None:
    source = dedent("""
        x = 0
        ### BEGIN HIDDEN
        y = 1
        ### END HIDDEN
        def check():
            ### BEGIN HIDDEN
            assert x == 0
            ### END HIDDEN

        z = 2
    """)
    with pytest.raises(MarkerError, match=r"^hw\.py:6: dropping this HIDDEN region leaves invalid Python"):
        strip_solutions(source, filename="hw.py")
    # Beside a statement it is fine, and text that is no Python to begin with is not checked.
    assert strip_solutions(source.replace("def check():", "def check():\n    pass")).count("pass") == 1
    assert strip_solutions("def f(:\n### BEGIN HIDDEN\nx\n### END HIDDEN\n") == "def f(:\n"
    # At the end of the file, and next to another region dropped at the same place.
    with pytest.raises(MarkerError, match=r"^hw\.py:3: "):
        strip_solutions("x = 1\ndef f():\n    ### BEGIN HIDDEN\n    assert x\n    ### END HIDDEN", "hw.py")
    adjacent = (
        "class A:\n    ### BEGIN HIDDEN\n    a = 1\n    ### END HIDDEN\n"
        "### BEGIN HIDDEN\nb = 1\n### END HIDDEN\n"
    )
    with pytest.raises(MarkerError, match=r"^hw\.py:2: "):
        strip_solutions(adjacent, "hw.py")


def test_text_that_only_mentions_markers_is_not_a_marker() -> None:
    source = dedent('''
        """Regions run from ### BEGIN SOLUTION to ### END SOLUTION."""
        x = "### END SOLUTION"
        # ### BEGIN SOLUTION
    ''')
    assert strip_solutions(source) == source


def test_trailing_spaces_after_marker_allowed() -> None:
    source = "def f():\n    ### BEGIN SOLUTION   \n    return 1\n    ### END SOLUTION\t\n"
    assert count_stubs(strip_solutions(source)) == 1


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("a = 1\n### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", 3, "cannot nest"),
        ("### BEGIN HIDDEN\n### BEGIN SOLUTION\n### END SOLUTION\n### END HIDDEN\n", 2, "cannot nest"),
        ("a = 1\n\n### BEGIN SOLUTION\nb = 2\n", 3, "never closed"),
        ("a = 1\n### END SOLUTION\n", 2, "without a BEGIN"),
        ("### BEGIN SOLUTION\nb = 2\n### END SOLUTION\n### END SOLUTION\n", 4, "without a BEGIN"),
        ("### BEGIN SOLUTION\nb = 2\n### END HIDDEN\n", 3, "closes the BEGIN SOLUTION of line 1"),
    ],
)
def test_bad_markers_name_file_and_line(source: str, line: int, words: str) -> None:
    with pytest.raises(MarkerError, match=words) as info:
        strip_solutions(source, filename="hw/sol.py")
    assert str(info.value).startswith(f"hw/sol.py:{line}: ")
    assert isinstance(info.value, ValueError)


def test_real_solutions_strip_to_valid_python() -> None:
    files = sorted(SOLUTIONS.rglob("*.py"))
    if not files:
        pytest.skip("no solutions in this checkout")
    for path in files:
        source = path.read_text(encoding="utf-8")
        stripped = strip_solutions(source, filename=str(path))
        ast.parse(stripped, filename=str(path))
        assert "### BEGIN" not in stripped and "### END" not in stripped
        assert count_stubs(stripped) == source.count("### BEGIN SOLUTION")


# --- markers: properties ---------------------------------------------------------------------

names = st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True).filter(lambda n: not keyword.iskeyword(n))
texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00\r\n"), max_size=12)
# Lines a marker scanner could trip on: marker words that are not whole-line markers.
decoys = st.sampled_from([
    "# ## BEGIN SOLUTION",
    "#### END SOLUTION",
    "x = '### BEGIN SOLUTION'",
    "# %% tags=['experiment']",
    "# BEGIN SOLUTION",
])


@st.composite
def simple_statement(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["assign", "string", "pass", "comment", "decoy", "call"]))
    if kind == "assign":
        return f"{draw(names)} = {draw(st.integers(-1000, 1000))}"
    if kind == "string":
        return f"{draw(names)} = {draw(texts)!r}"
    if kind == "comment":
        return f"# {draw(texts)}".rstrip()
    if kind == "decoy":
        return draw(decoys)
    if kind == "call":
        return f"print({draw(names)!r})"
    return "pass"


# A generated source is a list of (line, in_region) pairs: in_region lines are the ones the
# generator put between markers (markers included), everything else must survive unchanged.
Lines = list[tuple[str, bool]]


@st.composite
def body(draw: st.DrawFn, indent: str, depth: int, in_region: bool = False) -> Lines:
    """A block body at `indent`; a region may be all of it, which is the case that needs the stub."""
    if not in_region and draw(st.booleans()):
        return region(draw, indent, depth)
    lines: Lines = []
    for _ in range(draw(st.integers(1, 4))):
        choice = draw(st.sampled_from(["stmt", "block", "region", "hidden", "blank"]))
        if choice == "block" and depth > 0:
            header = draw(st.sampled_from([f"def {draw(names)}(a, b=2):", "if a:", "for i in range(3):",
                                           "while False:", "with open('f') as fh:"]))
            lines.append((indent + header, in_region))
            lines += draw(body(indent + draw(st.sampled_from(["    ", "  ", "\t"])), depth - 1, in_region))
        elif choice == "region" and not in_region:
            lines += region(draw, indent, depth)
        elif choice == "hidden" and not in_region:
            # Hidden regions vanish, so they only go beside a statement that keeps the block valid.
            lines.append((indent + "pass", False))
            lines.append((indent + "### BEGIN HIDDEN", True))
            lines += [(indent + draw(simple_statement()), True)]
            lines.append((indent + "### END HIDDEN", True))
        elif choice == "blank":
            lines.append(("", in_region))
        else:
            lines.append((indent + draw(simple_statement()), in_region))
    if all(not line.strip() or line.lstrip().startswith("#") for line, _ in lines):
        lines.append((indent + "pass", in_region))
    return lines


def region(draw: st.DrawFn, indent: str, depth: int) -> Lines:
    return [
        (indent + "### BEGIN SOLUTION", True),
        *draw(body(indent, depth, in_region=True)),
        (indent + "### END SOLUTION", True),
    ]


@st.composite
def solution_sources(draw: st.DrawFn) -> tuple[str, list[str], int]:
    """(source, the lines outside regions in order, number of SOLUTION regions)."""
    lines: Lines = []
    for _ in range(draw(st.integers(1, 4))):
        lines.append((f"def {draw(names)}(a, b=2):", False))
        lines += draw(body("    ", depth=2))
        lines.append(("", False))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    source = "".join(line + newline for line, _ in lines)
    outside = [line for line, in_region in lines if not in_region]
    return source, outside, sum(line.strip() == "### BEGIN SOLUTION" for line, _ in lines)


@FAST
@given(solution_sources())
def test_stripped_source_parses(generated: tuple[str, list[str], int]) -> None:
    source, _, regions = generated
    ast.parse(source)  # the generator's own promise: the solution is valid Python
    stripped = strip_solutions(source)
    ast.parse(stripped)
    assert count_stubs(stripped) == regions


@FAST
@given(solution_sources())
def test_stripping_is_idempotent(generated: tuple[str, list[str], int]) -> None:
    once = strip_solutions(generated[0])
    assert strip_solutions(once) == once


@FAST
@given(solution_sources())
def test_lines_outside_regions_unchanged_and_in_order(generated: tuple[str, list[str], int]) -> None:
    source, outside, _ = generated
    kept = [
        line.rstrip("\r") for line in strip_solutions(source).split("\n")[:-1]
        if line.strip() not in (STUB_COMMENT, STUB_RAISE)
    ]
    assert kept == outside


marker_lines = st.sampled_from(
    ["### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN", "### END HIDDEN"]
)


@FAST
@given(st.lists(st.one_of(marker_lines, texts, decoys), max_size=12), st.sampled_from(["", "  "]))
def test_any_marker_soup_is_stripped_or_rejected(lines: list[str], indent: str) -> None:
    source = "\n".join(indent + line for line in lines)
    try:
        once = strip_solutions(source, filename="soup.py")
    except MarkerError as exc:
        assert str(exc).startswith("soup.py:")
        return
    assert strip_solutions(once) == once
    assert not any(line.strip() in {"### BEGIN SOLUTION", "### END HIDDEN"} for line in once.splitlines())


# --- percent format -> notebook --------------------------------------------------------------


def test_percent_cells_types_tags_and_trimming() -> None:
    source = dedent("""
        import os

        # %% [markdown]
        # # Title
        #
        # Text with `code`.

        # %%

        x = 1


        # %% tags=["experiment"]
        run()
        # %% [markdown] tags=["note", "x"]
        #no space
    """)
    nb = python_to_notebook(source)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert nb.metadata.kernelspec.name == "python3"
    assert [(cell.id, cell.cell_type, cell.source) for cell in nb.cells] == [
        ("cell-00", "code", "import os"),
        ("cell-01", "markdown", "# Title\n\nText with `code`."),
        ("cell-02", "code", "x = 1"),
        ("cell-03", "code", "run()"),
        ("cell-04", "markdown", "no space"),
    ]
    tags = [cell.metadata.get("tags") for cell in nb.cells]
    assert tags == [None, None, None, ["experiment"], ["note", "x"]]


def test_blank_text_before_first_marker_makes_no_cell() -> None:
    nb = python_to_notebook("\n\n# %%\na = 1\n")
    assert [cell.source for cell in nb.cells] == ["a = 1"]
    assert nb.cells[0].id == "cell-00"


CODE_CELL = st.lists(simple_statement().filter(lambda s: not s.startswith("#")), min_size=1, max_size=4)
# A markdown line "%%" would read back as a "# %%" cell marker: the format cannot hold it.
MARKDOWN_LINE = texts.map(str.strip).filter(lambda t: not t.startswith("%%"))
MARKDOWN_CELL = st.lists(MARKDOWN_LINE, min_size=1, max_size=4)


@st.composite
def percent_sources(draw: st.DrawFn) -> tuple[str, list[tuple[str, str, list[str]]]]:
    """(source, [(cell type, body, tags)]) of a percent-format file."""
    cells = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["code", "markdown"]))
        tags = draw(st.sampled_from([[], ["experiment"], ["skip-grading"], ["other"]]))
        lines = draw(CODE_CELL if kind == "code" else MARKDOWN_CELL)
        cells.append((kind, "\n".join(lines).strip("\n"), tags))
    parts = []
    for kind, text, tags in cells:
        header = "# %%" + (" [markdown]" if kind == "markdown" else "")
        header += f' tags=["{tags[0]}"]' if tags else ""
        lines = text.split("\n") if kind == "code" else [f"# {line}".rstrip() for line in text.split("\n")]
        parts.append("\n".join([header, *lines]) + "\n")
    return "\n".join(parts), cells


@FAST
@given(percent_sources())
def test_notebook_round_trip(generated: tuple[str, list[tuple[str, str, list[str]]]]) -> None:
    source, cells = generated
    nb = python_to_notebook(source)
    nbformat.validate(nb)
    assert [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells] == [
        (kind, text.strip("\n"), tags) for kind, text, tags in cells
    ]
    graded = notebook_to_source(nb)
    ast.parse(graded)
    for kind, text, tags in cells:
        if kind == "code" and (not tags or tags == ["other"]):
            assert text in graded
    # Same source, same bytes: templates do not churn in git.
    assert nbformat.writes(nb) == nbformat.writes(python_to_notebook(source))


def test_notebook_ids_do_not_depend_on_randomness() -> None:
    source = "# %%\na = 1\n# %% [markdown]\n# hi\n"
    assert nbformat.writes(python_to_notebook(source)) == nbformat.writes(python_to_notebook(source))
    assert [cell.id for cell in python_to_notebook(source).cells] == ["cell-00", "cell-01"]


# --- build -----------------------------------------------------------------------------------


def make_solution(root: Path) -> Path:
    sol = root / "solutions" / "hw9"
    (sol / "data").mkdir(parents=True)
    (sol / "__pycache__").mkdir()
    (sol / "__pycache__" / "hw9.cpython-311.pyc").write_bytes(b"\0junk")
    (sol / "README.md").write_text("# HW9\n### BEGIN SOLUTION\nnot code, copied as is\n")
    (sol / "data" / "blob.bin").write_bytes(bytes(range(256)))
    (sol / "helpers.py").write_text(
        "def helper():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
    )
    (sol / "hw9.py").write_text(dedent("""
        # %% [markdown]
        # # HW9

        # %%
        def answer():
            ### BEGIN SOLUTION
            return 42
            ### END SOLUTION

        # %% tags=["experiment"]
        if __name__ == "__main__":
            print(answer())
    """))
    return sol


def test_build_assignment_writes_templates(tmp_path: Path) -> None:
    sol = make_solution(tmp_path)
    out = tmp_path / "out"
    written = build_assignment(sol, out)
    assert [p.relative_to(out).as_posix() for p in written] == [
        "README.md", "data/blob.bin", "helpers.py", "hw9.py", "hw9.ipynb",
    ]
    assert (out / "README.md").read_bytes() == (sol / "README.md").read_bytes()
    assert (out / "data" / "blob.bin").read_bytes() == bytes(range(256))
    assert not (out / "__pycache__").exists()
    assert count_stubs((out / "helpers.py").read_text()) == 1
    assert not (out / "helpers.ipynb").exists()  # no "# %%" markers, no notebook
    template = (out / "hw9.py").read_text()
    assert "42" not in template and count_stubs(template) == 1
    nb = nbformat.read(out / "hw9.ipynb", as_version=4)
    nbformat.validate(nb)
    assert "42" not in (out / "hw9.ipynb").read_text()
    graded = notebook_to_source(out / "hw9.ipynb")
    assert count_stubs(graded) == 1 and "print(answer())" not in graded


def test_build_assignment_is_idempotent(tmp_path: Path) -> None:
    sol = make_solution(tmp_path)
    out = tmp_path / "out"
    first = build_assignment(sol, out)
    contents = {p: p.read_bytes() for p in first}
    stamps = {p: p.stat().st_mtime_ns for p in first}
    for p in first:  # an old timestamp shows any rewrite, even within the clock's resolution
        os.utime(p, ns=(1, 1))
    assert build_assignment(sol, out) == first
    assert {p: p.read_bytes() for p in first} == contents
    assert all(p.stat().st_mtime_ns == 1 for p in first), stamps

    (sol / "helpers.py").write_text("def helper():\n    return 2\n")
    build_assignment(sol, out)
    assert (out / "helpers.py").stat().st_mtime_ns != 1
    assert (out / "hw9.py").stat().st_mtime_ns == 1


def test_build_assignment_bad_marker_names_file_and_writes_nothing(tmp_path: Path) -> None:
    sol = make_solution(tmp_path)
    (sol / "zz_broken.py").write_text("x = 1\n### BEGIN SOLUTION\n")
    out = tmp_path / "out"
    with pytest.raises(MarkerError, match=r"zz_broken\.py:2: "):
        build_assignment(sol, out)
    assert not out.exists()


def test_real_solutions_build(tmp_path: Path) -> None:
    dirs = sorted(p for p in SOLUTIONS.iterdir() if p.is_dir()) if SOLUTIONS.is_dir() else []
    if not dirs:
        pytest.skip("no solutions in this checkout")
    for sol in dirs:
        written = build_assignment(sol, tmp_path / sol.name)
        for path in written:
            if path.suffix == ".ipynb":
                nbformat.validate(nbformat.read(path, as_version=4))
                ast.parse(notebook_to_source(path))
