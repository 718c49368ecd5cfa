"""The accuracy check's margins: the grader's own evaluation after the check's training, for the reference and
every catalogued hw1 submission, with 1 and 2 torch threads and with oneDNN (mkldnn) off. Prints the markdown
rows of docs/calibration-margins.md.

    .venv/bin/python scripts/accuracy_margins.py [NAME ...]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from catalogue import CATALOGUE, plant

from grader.kits.mnist.data import ensure_mnist
from grader.kits.mnist.training import accuracy_of, confusion_of_model, train_and_evaluate
from grader.submission import import_submission

SETTINGS = ((1, True), (2, True), (1, False))  # (torch threads, oneDNN enabled)


def main(only: set[str]) -> None:
    root = ensure_mnist(None, log=lambda _: None)
    entries = [("reference", None), *((b["name"], b) for b in CATALOGUE["bug"] + CATALOGUE["ok"])]
    print("| submission | 1 thread | 2 threads | 1 thread, oneDNN off |\n| --- | ---: | ---: | ---: |")
    for name, bug in entries:
        if only and name not in only:
            continue
        file = Path(tempfile.mkdtemp()) / "hw1_bn_mlp.py"
        file.write_text(plant(bug), encoding="utf-8")
        row = []
        for threads, onednn in SETTINGS:
            torch.set_num_threads(threads)
            torch.backends.mkldnn.enabled = onednn
            try:
                module = import_submission(file, f"margins_{name}_{threads}_{onednn}")
                _, model = train_and_evaluate(module, root, torch.device("cpu"))
                row.append(f"{accuracy_of(confusion_of_model(model.cpu(), root)):.4f}")
            except Exception as error:  # noqa: BLE001 - a submission that cannot train has no accuracy
                row.append(f"({type(error).__name__})")
        print(f"| {name} | " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main(set(sys.argv[1:]))
