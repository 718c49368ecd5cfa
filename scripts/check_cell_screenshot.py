"""docs/check-cell.png: a check cell's output from a real run, as JupyterLab renders it.

hw1's template runs in a Jupyter kernel (nbclient) with the reference's code and the catalogue's `dropout_0_5`
bug in its blanks, up to the `check("build_model")` cell; that cell alone is exported to HTML (nbconvert's lab
template; no blank's code is shown, so the picture gives no solution away) and headless Chromium
(`apt-get install chromium`) takes the screenshot.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from grader.assign import python_to_notebook
from grader.assignment import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "tests"))
from catalogue import BUGS, plant

ASSIGNMENT, CELL = "hw1_bn_mlp", "check-build_model"
OUT = PROJECT_ROOT / "docs" / "check-cell.png"


def main() -> int:
    nb = nbformat.read(PROJECT_ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    code = {cell.id: cell.source for cell in python_to_notebook(plant(BUGS["dropout_0_5"])).cells}
    cells = []
    for cell in nb.cells:
        cell.source = code.get(cell.id, cell.source)
        if "check-cell" not in cell.metadata.get("tags", []) or cell.id == CELL:
            cells.append(cell)
        if cell.id == CELL:
            break
    nb.cells = cells
    with tempfile.TemporaryDirectory(prefix="check-cell-") as tmp:
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp}}).execute()
        nb.cells = nb.cells[-1:]
        page = Path(tmp) / "cell.html"
        page.write_text(HTMLExporter(template_name="lab").from_notebook_node(nb)[0], encoding="utf-8")
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=900,390", f"--screenshot={OUT}", page.as_uri()], check=True,
                       capture_output=True)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
