"""Import a student's .py or notebook as a module, turning every failure into a readable sentence."""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import traceback
from pathlib import Path
from types import ModuleType

from grader.messages import SubmissionError
from grader.notebook import where
from grader.time_limits import TimedOut, time_limit

# A notebook kernel's live functions, by module name: set only in the process grader/live.py forks from the
# kernel, where the checks use them as the submission instead of importing a file.
LIVE: dict[str, ModuleType] = {}


def source_file(path: Path) -> Path:
    """The .py to import: the file itself, or the code cells of a notebook written beside a temp dir."""
    if not path.exists():
        raise SubmissionError(f"{path} does not exist.")
    if path.suffix == ".py":
        _check_utf8(path)
        return path
    if path.suffix == ".ipynb":
        from grader.notebook import NotebookError, notebook_source_and_lines, remember_origins

        try:
            source, lines = notebook_source_and_lines(path)
        except NotebookError as error:
            raise SubmissionError(str(error)) from None
        out = Path(tempfile.mkdtemp(prefix="grader-nb-")) / f"{path.stem}.py"
        out.write_text(source, encoding="utf-8")
        remember_origins(out, lines)
        return out
    raise SubmissionError(f"{path.name} is neither a .py file nor a notebook (.ipynb).")


class ImportTimedOut(TimedOut):
    """The student's file was still running its module-level code at the import's time limit."""


def import_submission(path: Path, module_name: str, timeout_s: float | None = None) -> ModuleType:
    """Execute the student's file as module `module_name`, within `timeout_s` of CPU time (grader/time_limits.py:
    where signals work); any failure becomes a SubmissionError."""
    file = source_file(path)
    spec = importlib.util.spec_from_file_location(module_name, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        with time_limit(timeout_s, ImportTimedOut):
            spec.loader.exec_module(module)
    except ImportTimedOut as error:
        line = _last_line_in(error, file)
        raise SubmissionError(
            f"importing your code did not finish within {error}{f' (it was at {where(file, line)})' if line else ''}: "
            "code outside functions runs at import, so an endless loop or a training run there stops everything. "
            "Keep experiments under `if __name__ == \"__main__\":`."
        ) from None
    except SyntaxError as error:
        raise SubmissionError(
            f"your code could not be imported: syntax error on {where(file, error.lineno or 0)}: {error.msg}."
        ) from None
    except ModuleNotFoundError as error:
        line = _last_line_in(error, file)
        raise SubmissionError(
            f"your code could not be imported: it imports `{error.name}`{f' on {where(file, line)}' if line else ''}, which "
            "the grading environment does not have; use what the template imports (torch, torchvision, numpy, "
            "matplotlib, tqdm) or ask the course staff."
        ) from None
    except BaseException as error:  # noqa: BLE001 - SystemExit and KeyboardInterrupt from student code too
        line = _last_line_in(error, file)
        if _is_network_error(error):
            raise SubmissionError(
                f"your code tries to reach the network when it is imported ({type(error).__name__}"
                f"{f' on {where(file, line)}' if line else ''}), to download data perhaps; the grader has no network. "
                "Keep downloads and experiments under `if __name__ == \"__main__\":`: the checks give your "
                "functions the data."
            ) from None
        raise SubmissionError(
            f"your code could not be imported: it raised {type(error).__name__}: {error}"
            f"{f' on {where(file, line)}' if line else ''}. Code outside functions runs at import; "
            "keep the experiment under `if __name__ == \"__main__\":`."
        ) from None
    return module


def require_functions(module: ModuleType, expected: tuple[str, ...]) -> None:
    """One clear sentence for a file that defines none of the template's functions (a script of another year, a
    file of another assignment), instead of the same import error under every check."""
    if expected and not any(callable(getattr(module, name, None)) for name in expected):
        raise SubmissionError(f"this file defines none of the template's functions ({', '.join(expected)}): "
                              "fill in the blanks of the assignment's template, keeping its function names.")


def _is_network_error(error: BaseException) -> bool:
    import socket
    import urllib.error

    return isinstance(error, (urllib.error.URLError, socket.gaierror, ConnectionError, TimeoutError)) or (
        isinstance(error, OSError) and error.errno in (101, 110, 111, 113))  # unreachable, timed out, refused


def _check_utf8(path: Path) -> None:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise SubmissionError(
            f"{path.name} is not UTF-8 text (byte {error.start}); save it with UTF-8 encoding."
        ) from None


def _last_line_in(error: BaseException, file: Path) -> int | None:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == file]
    return frames[-1].lineno if frames else None
