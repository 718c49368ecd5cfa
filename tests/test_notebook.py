"""Reading a student's notebook as the source the grader imports."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

from grader.assign import STUB_COMMENT, STUB_RAISE
from grader.notebook import NotebookError, count_stubs, notebook_to_source


def notebook(*cells: tuple[str, str] | tuple[str, str, list[str]]) -> nbformat.NotebookNode:
    """A v4.5 notebook from (cell type, source[, tags]) triples."""
    nb = nbformat.v4.new_notebook()
    for i, (kind, source, *rest) in enumerate(cells):
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        metadata = {"tags": rest[0]} if rest else {}
        nb.cells.append(make(source, id=f"c{i}", metadata=metadata))
    return nb


def test_code_cells_in_order_markdown_and_tagged_cells_skipped() -> None:
    nb = notebook(
        ("markdown", "# Title\nx = 'not code'"),
        ("code", "a = 1"),
        ("code", "run_experiment()", ["experiment"]),
        ("code", "b = a + 1\n"),
        ("code", "slow()", ["skip-grading", "other"]),
        ("code", "c = 3", ["other"]),
        ("raw", "raw text"),
    )
    source = notebook_to_source(nb)
    assert source == "a = 1\n\n\nb = a + 1\n\n\nc = 3\n"
    namespace: dict[str, object] = {}
    exec(compile(source, "<nb>", "exec"), namespace)  # noqa: S102 - the converted notebook runs
    assert namespace["c"] == 3


def test_line_magics_and_shell_lines_commented_out() -> None:
    nb = notebook(("code", "%matplotlib inline\n!pip install torch\nfiles = !ls\nx = 1\n%time y = 2"))
    source = notebook_to_source(nb)
    ast.parse(source)
    assert source.splitlines() == [
        "# %matplotlib inline", "# !pip install torch", "# files = !ls", "x = 1", "# %time y = 2",
    ]


def test_magic_that_is_a_whole_block_leaves_a_statement() -> None:
    source = notebook_to_source(notebook(("code", "for i in range(2):\n    !echo hi\nz = 1")))
    ast.parse(source)
    assert "pass  # !echo hi" in source and "z = 1" in source


def test_cell_magic_comments_out_the_whole_cell() -> None:
    nb = notebook(
        ("code", "%%bash\necho hi\nls -l"), ("code", "%%time\nx = 1\n\nfor i in x:"), ("code", "y = 2")
    )
    source = notebook_to_source(nb)
    ast.parse(source)
    assert source == "# %%bash\n# echo hi\n# ls -l\n\n\n# %%time\n# x = 1\n#\n# for i in x:\n\n\ny = 2\n"


def test_valid_python_with_percent_lines_is_left_alone() -> None:
    # Lines starting with "%" here continue an expression or sit inside a string: not magics.
    code = 'total = (10\n    % 3)\ntext = """\n%d items\n!important\n"""'
    assert notebook_to_source(notebook(("code", code))) == code + "\n"


def test_syntax_warnings_of_student_code_not_raised() -> None:
    # "\\d" in a plain string warns when parsed (DeprecationWarning, SyntaxWarning from 3.12):
    # the magic check must not surface it.
    code = 'import re\npattern = "\\d+"\n!ls'
    assert notebook_to_source(notebook(("code", code))) == 'import re\npattern = "\\d+"\n# !ls\n'
    # Valid code with that warning is left alone, not mistaken for a cell that needs fixing.
    assert notebook_to_source(notebook(("code", 'pattern = "\\d+"\n'))) == 'pattern = "\\d+"\n'


def test_source_as_list_of_lines_accepted() -> None:
    nb = notebook(("code", ""))
    nb.cells[0].source = ["a = 1\n", "b = 2"]
    assert notebook_to_source(nb) == "a = 1\nb = 2\n"


def test_empty_notebook_gives_empty_source() -> None:
    assert notebook_to_source(notebook(("markdown", "hi"), ("code", "  \n"))) == ""


def test_reads_from_path_str_and_path(tmp_path: Path) -> None:
    path = tmp_path / "hw.ipynb"
    nbformat.write(notebook(("code", "a = 1"), ("code", "print(a)", ["experiment"])), path)
    assert notebook_to_source(path) == notebook_to_source(str(path)) == "a = 1\n"


def test_old_notebook_without_cell_ids_read_without_warnings(tmp_path: Path) -> None:
    # Hand-edited 4.5 notebooks often lack ids; nbformat warns, the grader should not care.
    cell = {"cell_type": "code", "source": ["x = 1\n", "%matplotlib inline"], "metadata": {},
            "outputs": [], "execution_count": None}
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}))
    assert notebook_to_source(path) == "x = 1\n# %matplotlib inline\n"


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{not json",
        "[1, 2]",
        '"a string"',
        "{}",
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}}),
        json.dumps({"nbformat": 99, "nbformat_minor": 0}),
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [1]}),
    ],
)
def test_invalid_notebook_raises_with_path(tmp_path: Path, content: str) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text(content)
    with pytest.raises(NotebookError, match="is not a valid notebook") as info:
        notebook_to_source(path)
    assert str(info.value).startswith(f"{path} is not a valid notebook: ")
    assert isinstance(info.value, ValueError)


def test_non_utf8_file_raises_notebook_error(tmp_path: Path) -> None:
    path = tmp_path / "latin.ipynb"
    path.write_bytes(b'{"x": "\xff"}')
    with pytest.raises(NotebookError, match="latin.ipynb"):
        notebook_to_source(path)


def test_missing_file_is_not_a_notebook_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        notebook_to_source(tmp_path / "nope.ipynb")


def test_in_memory_object_without_cells_raises() -> None:
    with pytest.raises(NotebookError, match="<notebook> is not a valid notebook"):
        notebook_to_source(nbformat.from_dict({"metadata": {}}))


def test_count_stubs() -> None:
    stub = f"    {STUB_COMMENT}\n    {STUB_RAISE}\n"
    assert count_stubs("") == 0
    assert count_stubs(f"def f():\n{stub}\ndef g():\n{stub}") == 2
    assert count_stubs("def f():\n    raise NotImplementedError('Fill this blank!')\n") == 1
    # Filled, mentioned, or a different error: not a stub.
    assert count_stubs("def f():\n    return 1  # Fill this blank!\n") == 0
    assert count_stubs('msg = \'raise NotImplementedError("Fill this blank!")\'\n') == 0
    assert count_stubs('raise NotImplementedError("todo")\n') == 0
    assert count_stubs(f"# {STUB_RAISE}\n") == 0


def test_colab_lines_without_percent_are_skipped_where_they_are_not_python() -> None:
    """What the course's Colab notebooks hold: `cd drive/...`, `pip install ...`, `ls` typed as automagics."""
    cell = "cd /content/drive/MyDrive/lab\npip install torchvision\nls\nimport os\ncd = 3\nls(cd)"
    source = notebook_to_source(notebook(("code", cell)))
    assert source.splitlines() == ["# cd /content/drive/MyDrive/lab", "# pip install torchvision", "# ls",
                                   "import os", "cd = 3", "ls(cd)"]


def test_messages_name_the_cell_and_its_line(tmp_path: Path) -> None:
    from grader.messages import SubmissionError
    from grader.submission import import_submission

    path = tmp_path / "hw.ipynb"
    nbformat.write(notebook(("markdown", "# title"), ("code", "import os\n"),
                            ("code", "\n\ndef f():\n    return 1 +\n")), path)
    with pytest.raises(SubmissionError, match=r"syntax error on cell 3, line 4 of your notebook"):
        import_submission(path, "hw_cells")
    nbformat.write(notebook(("code", "x = 1"), ("markdown", "text"), ("code", "y = 2\nraise KeyError('k')")), path)
    with pytest.raises(SubmissionError, match=r"raised KeyError: 'k' on cell 3, line 2 of your notebook"):
        import_submission(path, "hw_cells2")


def test_colab_set_up_at_a_cells_top_level_is_commented_out() -> None:
    """`from google.colab import drive` and `drive.mount(...)`: the grader has no Colab, and needs no Drive."""
    cell = ("from google.colab import drive, files as f\ndrive.mount('/content/drive',\n            force_remount=True)\n"
            "import torch\nf.download('model.pt')\ndef save(model):\n    f.download('x')\n")
    source = notebook_to_source(notebook(("code", cell)))
    assert source.splitlines() == [
        "# from google.colab import drive, files as f", "# drive.mount('/content/drive',",
        "#             force_remount=True)", "import torch", "# f.download('model.pt')",
        "def save(model):", "    f.download('x')"]  # inside a function: the student's code, left alone


@pytest.mark.slow
def test_a_colab_notebook_of_the_reference_gets_every_visible_check(tmp_path: Path) -> None:
    """The course's Colab habits (drive.mount, %cd, !pip, automagic `cd` and `pip install`) cost nothing."""
    from grader.assign import python_to_notebook
    from grader.pipeline import check_path

    reference = Path(__file__).resolve().parent.parent / "solutions" / "hw1_bn_mlp" / "hw1_bn_mlp.py"
    nb = python_to_notebook(reference.read_text(encoding="utf-8"))
    colab = ["from google.colab import drive\ndrive.mount('/content/drive')", "%cd /content/drive/MyDrive/lab",
             "!pip install torchvision", "cd /content/drive/MyDrive/lab\npip install tqdm\nls"]
    nb.cells[:0] = [nbformat.v4.new_code_cell(text) for text in colab]
    path = tmp_path / "hw1_bn_mlp.ipynb"
    nbformat.write(nb, path)
    run = check_path(path, "hw1_bn_mlp", device="cpu")
    assert [c.name for c in run.checks if not c.passed] == [], [c.message for c in run.checks if not c.passed]
    assert run.points == run.max_points > 0
