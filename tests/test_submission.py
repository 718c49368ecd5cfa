"""Importing a student's file: failures a student can act on, one sentence each."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from grader.messages import SubmissionError
from grader.submission import import_submission, require_functions

HW1_FUNCTIONS = ("load_mnist", "build_model", "train_epoch")


def test_a_file_defining_none_of_the_templates_functions_is_told_so_once(tmp_path: Path) -> None:
    script = tmp_path / "lab.py"
    script.write_text("import torch\nlearning_rate = 0.1\n\ndef helper():\n    return 1\n", encoding="utf-8")
    module = import_submission(script, "lab_flat")
    with pytest.raises(SubmissionError, match=r"defines none of the template's functions \(load_mnist, build_model"):
        require_functions(module, HW1_FUNCTIONS)
    partial = ModuleType("partial")
    partial.build_model = lambda: None  # type: ignore[attr-defined]
    require_functions(partial, HW1_FUNCTIONS)  # one of them is enough: the others fail their own checks


def test_a_download_at_import_is_explained(tmp_path: Path) -> None:
    """What torchvision's MNIST(download=True) at the top of a lab script raises where there is no network."""
    script = tmp_path / "lab.py"
    script.write_text("import urllib.error\n\nraise urllib.error.URLError('[Errno -3] Temporary failure in name "
                      "resolution')\n", encoding="utf-8")
    with pytest.raises(SubmissionError, match=r"tries to reach the network when it is imported \(URLError on line 3"):
        import_submission(script, "lab_download")


def test_a_missing_package_is_named(tmp_path: Path) -> None:
    script = tmp_path / "lab.py"
    script.write_text("import numpy\nimport seaborn_that_is_not_there\n", encoding="utf-8")
    with pytest.raises(SubmissionError, match=r"imports `seaborn_that_is_not_there` on line 2"):
        import_submission(script, "lab_missing")


def test_plotting_at_import_costs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")  # as the grading process sets it
    script = tmp_path / "lab.py"
    script.write_text("import matplotlib.pyplot as plt\nplt.plot([1, 2], [3, 4])\nplt.show()\n", encoding="utf-8")
    import_submission(script, "lab_plot")
