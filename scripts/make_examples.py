"""Write examples/submissions/: example students for `make demo`, each the reference with a planted bug.

Usage: python scripts/make_examples.py   (rewrites the folder; the result is committed)
The bugs come from tests/wrong_submissions/hw1_bn_mlp.toml, so the examples stay in step with the
reference solution and with the tests that prove what each bug costs.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

import nbformat

from grader.assign import python_to_notebook
from grader.assignment import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "tests"))
from catalogue import BUGS, plant

OUT = PROJECT_ROOT / "examples" / "submissions"
ENDLESS = {"old": "    model.eval()\n    with torch.no_grad():\n        X = image.view(-1, 28 * 28).to(device)",
           "new": "    while True:  # an endless loop, graded as a timeout of this one check\n        pass\n"
                  "    model.eval()\n    with torch.no_grad():\n        X = image.view(-1, 28 * 28).to(device)"}


def write_examples(out: Path) -> None:
    """Write the example students into `out` (emptied first) and the examples' README beside it."""
    shutil.rmtree(out, ignore_errors=True)
    (out / "alice").mkdir(parents=True)
    (out / "alice" / "hw1_bn_mlp.py").write_text(plant(None), encoding="utf-8")  # full marks
    (out / "bob.py").write_text(plant(BUGS["no_eval_in_evaluate"]), encoding="utf-8")
    nbformat.write(python_to_notebook(plant(BUGS["he_init"])), out / "carol.ipynb")
    (out / "dave.py").write_text(plant(BUGS["syntax_error"]), encoding="utf-8")
    (out / "erin.py").write_text(plant(ENDLESS), encoding="utf-8")
    # A Canvas bulk-download name: <name>_<user id>_<submission id>_<file name>
    (out / "frank_20231_88412_hw1_bn_mlp.py").write_text(plant(BUGS["softmax_inside_model"]), encoding="utf-8")
    with zipfile.ZipFile(out / "grace.zip", "w") as archive:
        stamp = zipfile.ZipInfo("grace/hw1_bn_mlp.py", date_time=(2026, 1, 1, 0, 0, 0))  # the same bytes every run
        archive.writestr(stamp, plant(BUGS["test_inputs_0_255"]))
    (out.parent / "README.md").write_text(README, encoding="utf-8")


README = """# Example submissions for `make demo`

Written by `scripts/make_examples.py` from the reference solution and tests/wrong_submissions/hw1_bn_mlp.toml.

| student | entry | what is in it |
| --- | --- | --- |
| alice | folder `alice/` | the reference solution: full marks |
| bob | `bob.py` | evaluate() without model.eval() |
| carol | `carol.ipynb` | a notebook with He initialisation instead of Xavier |
| dave | `dave.py` | a syntax error: nothing can be imported |
| erin | `erin.py` | an endless loop in predict_one(): that check times out, the rest is graded |
| frank | `frank_20231_88412_hw1_bn_mlp.py` | a Canvas download name; a softmax inside the model |
| grace | `grace.zip` | a zip of a folder; evaluate() feeds 0..255 pixels |

The other assignments' example classes are written from their catalogues by hand, one file per student
(alice: the reference; bob: two planted bugs; carol: one; dave: the untouched template). `make demo` grades each
into `reports/demo-<assignment>/`:

| class | alice | bob | carol | dave |
| --- | --- | --- | --- | --- |
| `hw2_from_scratch/` | 27 / 27 | 19: Adam without bias correction, dropout without 1/(1-p) | 25: weight decay without the penalty | 0 |
| `hw3_backprop_init/` | 28 / 28 | 19: the notes' sum/mean gradient mix, histograms of pre-activations | 22: sigmoid_prime of the activation | 0 |
"""

if __name__ == "__main__":
    write_examples(OUT)
