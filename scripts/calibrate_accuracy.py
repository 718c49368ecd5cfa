"""Calibrate the MNIST accuracy check on the reference solution over many seeds.

Usage: python scripts/calibrate_accuracy.py [--seeds 12] [--device auto] [--out checks/hw1_bn_mlp/CALIBRATION.md]
Prints a Markdown table (one row per seed, accuracy after each grading epoch) and writes it to --out.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import torch

from grader.data import ensure_mnist
from grader.determinism import resolve_device
from grader.mnist_training import GRADING_EPOCHS, train_and_evaluate
from grader.runner import PROJECT_ROOT
from grader.submission import import_submission

REFERENCE = PROJECT_ROOT / "solutions" / "hw1_bn_mlp" / "hw1_bn_mlp.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "checks" / "hw1_bn_mlp" / "CALIBRATION.md")
    args = parser.parse_args()
    device, root = resolve_device(args.device), ensure_mnist(None)
    reference = import_submission(REFERENCE, "hw1_reference")
    header = "| seed | " + " | ".join(f"acc. epoch {e}" for e in range(1, GRADING_EPOCHS + 1)) + " | seconds |"
    rows = [header, "|" + "---|" * (GRADING_EPOCHS + 2)]
    finals = []
    for seed in range(args.seeds):
        start = time.perf_counter()
        history, _ = train_and_evaluate(reference, root, device, seed=seed)
        finals.append(history[-1].test_accuracy)
        accs = " | ".join(f"{h.test_accuracy:.4f}" for h in history)
        rows.append(f"| {seed} | {accs} | {time.perf_counter() - start:.1f} |")
        print(rows[-1], flush=True)
    text = "\n".join([
        "# Calibration of `check_mnist_accuracy`", "",
        (f"Reference solution, {GRADING_EPOCHS} grading epochs, {args.seeds} seeds, device {device}, "
         f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
         f"{torch.get_num_threads()} threads. Produced by `python scripts/calibrate_accuracy.py`."), "",
        *rows, "",
        (f"Worst final accuracy: {min(finals):.4f}; best: {max(finals):.4f}; "
         f"mean: {sum(finals) / len(finals):.4f}."), "",
        ("The check's threshold (`MIN_ACCURACY` in check_5_accuracy.py) must sit at least 1 percentage point "
         "below the worst row."), "",
    ])
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
