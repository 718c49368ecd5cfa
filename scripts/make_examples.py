"""Write examples/submissions/: example students for `make demo`, each the reference with a planted bug.

Usage: python scripts/make_examples.py   (rewrites the folder; the result is committed)
The bugs come from tests/wrong_submissions/catalogue.toml, so the examples stay in step with the
reference solution and with the tests that prove what each bug costs.
"""

from __future__ import annotations

import shutil
import tomllib
import zipfile
from pathlib import Path

import nbformat

from grader.assign import python_to_notebook
from grader.runner import PROJECT_ROOT

SOLUTION = PROJECT_ROOT / "solutions" / "hw1_bn_mlp" / "hw1_bn_mlp.py"
OUT = PROJECT_ROOT / "examples" / "submissions"
CATALOGUE = tomllib.loads((PROJECT_ROOT / "tests" / "wrong_submissions" / "catalogue.toml").read_text("utf-8"))
BUGS = {bug["name"]: bug for bug in CATALOGUE["bug"]}
ENDLESS = {"old": "    model.eval()\n    with torch.no_grad():\n        X = image.view(-1, 28 * 28).to(device)",
           "new": "    while True:  # an endless loop, graded as a timeout of this one check\n        pass\n"
                  "    model.eval()\n    with torch.no_grad():\n        X = image.view(-1, 28 * 28).to(device)"}


def planted(bug: dict[str, str] | None) -> str:
    source = SOLUTION.read_text(encoding="utf-8")
    if bug is None:
        return source
    assert source.count(bug["old"]) == 1, bug
    return source.replace(bug["old"], bug["new"])


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    (OUT / "alice").mkdir(parents=True)
    (OUT / "alice" / "hw1_bn_mlp.py").write_text(planted(None), encoding="utf-8")  # full marks
    (OUT / "bob.py").write_text(planted(BUGS["no_eval_in_evaluate"]), encoding="utf-8")
    nbformat.write(python_to_notebook(planted(BUGS["he_init"])), OUT / "carol.ipynb")
    (OUT / "dave.py").write_text(planted(BUGS["syntax_error"]), encoding="utf-8")
    (OUT / "erin.py").write_text(planted(ENDLESS), encoding="utf-8")
    # A Canvas bulk-download name: <name>_<user id>_<submission id>_<file name>
    (OUT / "frank_20231_88412_hw1_bn_mlp.py").write_text(planted(BUGS["softmax_inside_model"]), encoding="utf-8")
    with zipfile.ZipFile(OUT / "grace.zip", "w") as archive:
        archive.writestr("grace/hw1_bn_mlp.py", planted(BUGS["test_inputs_0_255"]))
    (OUT.parent / "README.md").write_text(README, encoding="utf-8")


README = """# Example submissions for `make demo`

Written by `scripts/make_examples.py` from the reference solution and tests/wrong_submissions/catalogue.toml.

| student | entry | what is in it |
| --- | --- | --- |
| alice | folder `alice/` | the reference solution: full marks |
| bob | `bob.py` | evaluate() without model.eval() |
| carol | `carol.ipynb` | a notebook with He initialisation instead of Xavier |
| dave | `dave.py` | a syntax error: nothing can be imported |
| erin | `erin.py` | an endless loop in predict_one(): that check times out, the rest is graded |
| frank | `frank_20231_88412_hw1_bn_mlp.py` | a Canvas download name; a softmax inside the model |
| grace | `grace.zip` | a zip of a folder; evaluate() feeds 0..255 pixels |
"""

if __name__ == "__main__":
    main()
