"""Calibrate the MNIST accuracy check, and compare_hidden_sizes' floor, on the reference solution over many seeds.

Usage: python scripts/calibrate_accuracy.py [--seeds 12] [--device auto] [--out checks/hw1_bn_mlp/CALIBRATION.md]
    [--hidden-out docs/calibration-hidden-checks.md]
Prints Markdown tables (one row per seed) and writes them: the accuracy after each grading epoch to --out, which
students get with the checks; the accuracy of the grader's copy of each network the hidden compare_hidden_sizes
check sees trained to --hidden-out, in docs/, which no release copies (solutions/ would: its folder is the
template's source).
"""

from __future__ import annotations

import argparse
import importlib
import platform
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

import torch

from grader.assignment import PROJECT_ROOT
from grader.determinism import resolve_device, seed_everything
from grader.kits.mnist.data import ensure_mnist
from grader.kits.mnist.training import GRADING_EPOCHS, train_and_evaluate
from grader.submission import import_submission

REFERENCE = PROJECT_ROOT / "solutions" / "hw1_bn_mlp" / "hw1_bn_mlp.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "checks" / "hw1_bn_mlp" / "CALIBRATION.md")
    parser.add_argument("--hidden-out", type=Path,
                        default=PROJECT_ROOT / "docs" / "calibration-hidden-checks.md")
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
    hidden = "\n".join(compare_section(reference, root, device, args.seeds))
    args.hidden_out.write_text(hidden, encoding="utf-8")
    print(hidden)


def compare_section(reference: ModuleType, root: Path, device: torch.device, seeds: int) -> list[str]:
    """The floor of compare_hidden_sizes: the accuracy of the grader's copy of each network the call trained."""
    sys.path.insert(0, str(PROJECT_ROOT / "checks" / "hw1_bn_mlp"))
    compare = importlib.import_module("check_4_compare")
    rows = ["| seed | " + " | ".join(f"config {c}" for c in compare.CONFIGS) + " |", "|" + "---|" * 3]
    accuracies = []
    for seed in range(seeds):
        seed_everything(seed)
        observed: dict[str, object] = {}
        compare.observe_compare_hidden_sizes(reference, root, device, observed)
        found = [compare.test_accuracy(compare.network_for(c, observed["compare_rows:built"])[1], root)
                 for c in compare.CONFIGS]
        accuracies += found
        rows.append(f"| {seed} | " + " | ".join(f"{a:.3f}" for a in found) + " |")
        print(rows[-1], flush=True)
    mean, spread = statistics.mean(accuracies), statistics.stdev(accuracies)
    return [
        "# Calibration of the hidden `compare_hidden_sizes` check: the grader's copies of the networks it trained",
        "", f"Produced by `python scripts/calibrate_accuracy.py` (device {device}).", "",
        (f"One epoch on the first {compare.COMPARE_TRAIN_SIZE} training images (lr 0.1), accuracy on the "
         f"first {compare.COMPARE_TEST_SIZE} test images, {seeds} seeds."), "",
        *rows, "",
        (f"Worst: {min(accuracies):.3f}; mean {mean:.3f}, standard deviation {spread:.3f}. The floor "
         f"(`COMPARE_MIN_ACCURACY` = {compare.COMPARE_MIN_ACCURACY}) sits "
         f"{(mean - compare.COMPARE_MIN_ACCURACY) / spread:.0f} standard deviations below the mean: under a normal "
         "approximation a correct solution falls below it with probability far under 1e-6. An untrained network "
         "gets about 0.1."), "",
    ]


if __name__ == "__main__":
    main()
