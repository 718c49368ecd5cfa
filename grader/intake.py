"""Turn a TA's folder of submissions into one gradable file per student (first step of `grader grade`).

Every per-student problem becomes a status on that student's `Submission`, never an exception: one broken
upload must not stop a class from being graded. Zips are validated member by member before anything is
written, extracted only below `workdir/<student>/`, and symlinks are never followed or created.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from grader.notebook import NotebookError, count_stubs, notebook_to_source

BAD_INPUT = ("empty", "unsupported", "ambiguous", "invalid_notebook", "not_utf8", "unsafe_zip", "bad_zip",
             "too_large", "duplicate_student")
CODE_SUFFIXES = (".py", ".ipynb")
DEFAULT_MAX_BYTES = 5_000_000
DEFAULT_MAX_ZIP_BYTES = 50_000_000
GRADESCOPE_METADATA = "submission_metadata.yml"
MAX_ZIP_MEMBERS = 10_000  # thousands of tiny members exhaust inodes even under the byte limit
# OS and editor litter, never a student's work (hidden names, starting with ".", are litter too).
_LITTER = frozenset({"__pycache__", "__MACOSX", "Thumbs.db", "desktop.ini"})
# Canvas bulk download: <name>_[LATE_]<canvas user id>_<submission id>_<original file name>.
_CANVAS = re.compile(r"^(?P<name>.+?)_(?:LATE_)?(?P<user>\d+)_(?P<sub>\d+)_(?P<original>.+)$")
_RESUBMITTED = re.compile(r"-\d+$")  # Canvas appends -1, -2 to a re-uploaded file's name
_CHUNK = 1 << 16


class IntakeError(ValueError):
    """SUBMISSIONS_DIR itself is unusable: a usage error, not a student's problem."""


@dataclass(frozen=True)
class Submission:
    student: str  # the student id, safe as a folder name
    source: Path  # the entry in SUBMISSIONS_DIR it came from (file, folder or zip)
    file: Path | None  # the .py / .ipynb to grade (inside workdir for zips); None when unusable
    status: str  # "ok" or one of BAD_INPUT
    problem: str  # one line for the TA ("" when ok)
    sha256: str  # of the chosen file when ok, else of the source


class _Bad(Exception):
    """A student's input is unusable: the status and the one line the TA reads."""

    def __init__(self, status: str, problem: str) -> None:
        super().__init__(problem)
        self.status, self.problem = status, " ".join(problem.split())  # always one line


def discover(submissions_dir: Path, *, assignment: str, workdir: Path, max_bytes: int = DEFAULT_MAX_BYTES,
             max_zip_bytes: int = DEFAULT_MAX_ZIP_BYTES) -> list[Submission]:
    """One Submission per student entry of `submissions_dir`, sorted by student id."""
    root, workdir = Path(submissions_dir), Path(workdir)
    if not root.is_dir():
        raise IntakeError(f"{root} {'is not a directory' if root.exists() else 'does not exist'}")
    gradescope = _gradescope_ids(root / GRADESCOPE_METADATA)
    groups: dict[str, list[tuple[str, Path]]] = {}
    work = workdir.resolve()
    for entry in sorted(root.iterdir()):
        # A workdir placed inside SUBMISSIONS_DIR is not a student.
        if entry.name != GRADESCOPE_METADATA and not _litter(entry.name) and not work.is_relative_to(
                entry.resolve()):
            student = student_id(entry, gradescope)
            # Case-folded: "Kim" and "kim" would share one extraction folder on macOS and Windows.
            groups.setdefault(student.casefold(), []).append((student, entry))
    results: list[Submission] = []
    for group in groups.values():
        entries = [entry for _, entry in group]
        if len(group) == 1 or _one_canvas_user(entries):
            results.append(_intake(group[0][0], entries, assignment, workdir, max_bytes, max_zip_bytes))
        else:
            results.extend(_duplicate(student, entry, entries) for student, entry in group)
    return sorted(results, key=lambda s: (s.student, s.source.name))


def choose_file(candidates: list[Path], assignment: str, *,
                max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[Path | None, str]:
    """The one file to grade among a student's .py/.ipynb files, or (None, why not)."""
    try:
        return _choose(candidates, assignment, max_bytes), ""
    except _Bad as bad:
        return None, bad.problem


def student_id(entry: Path, gradescope: dict[str, str] | None = None) -> str:
    """The id a folder or file name stands for, with LMS decorations removed."""
    if gradescope and entry.name in gradescope:
        return _sanitise(gradescope[entry.name])
    canvas = None if entry.is_dir() else _CANVAS.match(entry.name)  # Canvas only ever names files
    return _sanitise(canvas["name"] if canvas else entry.name if entry.is_dir() else entry.stem)


def _sanitise(raw: str) -> str:
    """Letters, digits and ._-@ only, so the id is a safe folder name that cannot be "." or ".."."""
    text = unicodedata.normalize("NFC", raw.strip())  # macOS writes decomposed Hangul and accents
    safe = "".join(c if c.isalnum() or c in "._-@" else "_" for c in text)[:100]
    return re.sub(r"^\.+", lambda m: "_" * len(m[0]), safe) or "_"


def _litter(name: str) -> bool:
    return name.startswith(".") or name in _LITTER or name.endswith(".pyc")


def _one_canvas_user(entries: list[Path]) -> bool:
    """Canvas splits a multi-file submission into one top-level file per upload: that is one student."""
    matches = [_CANVAS.match(entry.name) if _regular(entry) else None for entry in entries]
    return all(matches) and len({(m["name"], m["user"]) for m in matches if m}) == 1


def _duplicate(student: str, entry: Path, group: list[Path]) -> Submission:
    others = ", ".join(other.name for other in group if other != entry)
    problem = f"{entry.name} maps to student {student!r}, as does {others}; keep one entry per student"
    return Submission(student, entry, None, "duplicate_student", problem, _source_hash([entry]))


def _intake(student: str, entries: list[Path], assignment: str, workdir: Path, max_bytes: int,
            max_zip_bytes: int) -> Submission:
    try:
        files = _gather(student, entries, workdir, max_zip_bytes)
        if not files:
            names = " + ".join(f"{e.name}/" if e.is_dir() else e.name for e in entries)
            raise _Bad("empty", f"{names} holds no files")
        code = [file for file in files if file.suffix.lower() in CODE_SUFFIXES]
        if not code:
            found = sorted({file.suffix.lower() or "(no extension)" for file in files})
            nested = " (a zip inside a folder or zip is not opened)" if ".zip" in found else ""
            raise _Bad("unsupported", f"no .py or .ipynb to grade; found {', '.join(found)}{nested}")
        chosen = _choose(code, assignment, max_bytes)
        _source_of(chosen, max_bytes)  # the pair rule has read it already; a single file is read here
        return Submission(student, files[chosen], chosen, "ok", "", _file_hash(chosen))
    except Exception as error:  # noqa: BLE001 - an unreadable file, or a case not foreseen: never the batch
        bad = error if isinstance(error, _Bad) else _Bad(
            "unsupported", f"could not read {entries[0].name} ({type(error).__name__}: {error})")
        if any(entry.suffix.lower() == ".zip" for entry in entries):
            shutil.rmtree(workdir / student, ignore_errors=True)  # keep no extraction nobody will grade
        return Submission(student, entries[0], None, bad.status, bad.problem, _source_hash(entries))


def _gather(student: str, entries: list[Path], workdir: Path, max_zip_bytes: int) -> dict[Path, Path]:
    """Every file the student handed in, mapped to the entry it came from; zips are extracted first."""
    zips = [entry for entry in entries if entry.suffix.lower() == ".zip" and _regular(entry)]
    dest = workdir / student
    if zips:
        _fresh(dest)  # a previous run's extraction must not leak into this one
    files: dict[Path, Path] = {}
    for entry in entries:
        if entry in zips:
            target = dest if len(zips) == 1 else dest / _sanitise(entry.name)
            files.update((file, entry) for file in _extract(entry, target, max_zip_bytes))
        elif entry.is_symlink() or not (entry.is_dir() or _regular(entry)):
            raise _Bad("unsupported", f"{entry.name} is a symbolic link or special file; not followed")
        else:
            files.update((file, entry) for file in _plain_files(entry))
    return files


def _plain_files(entry: Path) -> list[Path]:
    """A folder's files or a regular file itself; a symlink, FIFO or device is never opened."""
    if entry.is_symlink():
        return []
    return _files_in(entry) if entry.is_dir() else [entry] if _regular(entry) else []


def _files_in(folder: Path) -> list[Path]:
    """Regular files at any depth, minus litter; symlinked files and folders are skipped, not followed."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):  # followlinks=False
        dirnames[:] = sorted(name for name in dirnames if not _litter(name))
        found += [Path(dirpath, name) for name in sorted(filenames)
                  if not _litter(name) and _regular(Path(dirpath, name))]
    return found


def _regular(path: Path) -> bool:
    """A plain file, not a symlink to one (lstat): symlinks are never followed."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _fresh(dest: Path) -> None:
    if dest.is_symlink() or dest.is_file():
        dest.unlink()  # never rmtree through a link
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)


def _choose(candidates: list[Path], assignment: str, max_bytes: int) -> Path:
    if not candidates:
        raise _Bad("unsupported", "no .py or .ipynb file to grade")
    if len(candidates) == 1:
        return candidates[0]
    pair = _assignment_pair(candidates, assignment)
    if pair is None:
        base = os.path.commonpath([c.parent for c in candidates])
        names = ", ".join(os.path.relpath(c, base) for c in sorted(candidates))
        raise _Bad("ambiguous", f"{len(candidates)} candidate files ({names}); keep only the one to grade")
    # Students fill either template: grade the one with fewer blanks left; a blank file never wins
    # (it has no stubs either), and on a tie the .py is graded.
    def rank(path: Path) -> tuple[bool, int, bool]:
        source = _source_of(path, max_bytes)
        return not source.strip(), count_stubs(source), path.suffix.lower() == ".ipynb"

    return min(pair, key=rank)


def _assignment_pair(candidates: list[Path], assignment: str) -> tuple[Path, Path] | None:
    """The .py and .ipynb named after the assignment (Canvas prefix, -1 suffix allowed), if that is all."""
    if len(candidates) != 2:
        return None
    py, nb = sorted(candidates, key=lambda c: c.suffix.lower() != ".py")
    if (py.suffix.lower(), nb.suffix.lower()) != (".py", ".ipynb"):
        return None
    named = all(_original_stem(c).casefold() == assignment.casefold() for c in (py, nb))
    return (py, nb) if named else None


def _original_stem(path: Path) -> str:
    canvas = _CANVAS.match(path.name)
    return _RESUBMITTED.sub("", Path(canvas["original"] if canvas else path.name).stem)


def _source_of(path: Path, max_bytes: int) -> str:
    """The Python source the grader would import, or _Bad saying why it cannot."""
    size = path.stat().st_size
    if size > max_bytes:
        raise _Bad("too_large", f"{path.name} is {size:,} bytes; the limit is {max_bytes:,}")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        where = f"{path.name} is not UTF-8 text (byte {error.start})"
        raise _Bad("not_utf8", f"{where}; save it as UTF-8") from None
    if path.suffix.lower() != ".ipynb":
        return text
    try:
        return notebook_to_source(path)
    except NotebookError as error:
        reason = (str(error.__cause__ or error).strip().splitlines() or ["unreadable"])[0][:150]
        raise _Bad("invalid_notebook", f"{path.name} is not a valid Jupyter notebook ({reason})") from None


def _extract(archive: Path, dest: Path, max_zip_bytes: int) -> list[Path]:
    """Extract a validated zip member by member; on any failure nothing is left behind."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = _checked_members(zf, archive.name, max_zip_bytes)
            dest.mkdir(parents=True, exist_ok=True)
            budget = max_zip_bytes
            for info, parts in members:
                budget -= _extract_member(zf, info, dest, parts, budget, f"{archive.name} expands past "
                                          f"{max_zip_bytes:,} bytes (more than its members declare)")
    except _Bad:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError,
            ValueError) as error:  # corrupt, truncated, odd compression methods
        shutil.rmtree(dest, ignore_errors=True)
        raise _Bad("bad_zip", f"{archive.name} is not a readable zip file ({error})") from None
    return _files_in(dest)


def _checked_members(zf: zipfile.ZipFile, name: str, max_zip_bytes: int) -> list[tuple[zipfile.ZipInfo,
                                                                                      list[str]]]:
    """Every member is checked before anything is written, so a bad zip writes nothing."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise _Bad("too_large", f"{name} holds {len(infos):,} members; the limit is {MAX_ZIP_MEMBERS:,}")
    members, seen = [], set()
    for info in infos:
        parts = _member_parts(info, name)
        if info.flag_bits & 0x1:
            raise _Bad("bad_zip", f"{name} is encrypted ({info.filename}); upload it without a password")
        if info.is_dir() or not parts or any(_litter(part) for part in parts):
            continue
        key = "/".join(parts).casefold()  # case-insensitive file systems would merge these
        if key in seen:
            raise _Bad("bad_zip", f"{name} holds {info.filename} twice")
        seen.add(key)
        members.append((info, parts))
    declared = sum(info.file_size for info, _ in members)
    if declared > max_zip_bytes:
        raise _Bad("too_large", f"{name} expands to {declared:,} bytes; the limit is {max_zip_bytes:,}")
    return members


def _member_parts(info: zipfile.ZipInfo, name: str) -> list[str]:
    raw = info.filename.replace("\\", "/")  # Windows tools write backslashes; treat them as separators
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw):
        raise _Bad("unsafe_zip", f"{name} has a member with an absolute path: {info.filename}")
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _Bad("unsafe_zip", f"{name} has a member that escapes its folder: {info.filename}")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise _Bad("unsafe_zip", f"{name} has a symbolic link member: {info.filename}")
    return parts


def _extract_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, parts: list[str], budget: int,
                    too_big: str) -> int:
    target = dest.joinpath(*parts)
    if not target.parent.resolve().is_relative_to(dest.resolve()):  # defence in depth: checked above
        raise _Bad("unsafe_zip", f"member {info.filename} escapes its folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    # "xb": O_EXCL never follows or overwrites an existing path; zip bombs lie about sizes, so count.
    with zf.open(info) as src, open(target, "xb") as out:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            if written > budget:
                raise _Bad("too_large", too_big)
            out.write(chunk)
    return written


def _file_hash(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _source_hash(entries: list[Path]) -> str:
    """A single file's bytes, else sorted (relative path, bytes) pairs of a folder or of several files."""
    try:
        if len(entries) == 1 and _regular(entries[0]):
            return _file_hash(entries[0])
        named = sorted((str(file.relative_to(entry)) if entry.is_dir() else entry.name, file)
                       for entry in entries for file in _plain_files(entry))
        digest = hashlib.sha256()
        for name, file in named:  # length-prefixed names: different trees cannot collide by concatenation
            encoded = name.encode("utf-8", "surrogateescape")
            digest.update(len(encoded).to_bytes(8, "big") + encoded + bytes.fromhex(_file_hash(file)))
        return digest.hexdigest()
    except OSError:
        return ""  # unreadable: the status already says so


def _gradescope_ids(metadata: Path) -> dict[str, str]:
    """submission_<id> -> first submitter's :sid: (else :email:), read line by line from Gradescope's YAML.

    Shape: "submission_1:" at column 0, then ":submitters:" and a list of "- :name: ..", ":sid: ..",
    ":email: .." items. A YAML parser would be a new dependency for two keys.
    """
    try:
        lines = metadata.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    found: dict[str, dict[str, str]] = {}
    current, list_indent, item = "", -1, 0
    for line in lines:
        text, indent = line.strip(), len(line) - len(line.lstrip(" "))
        if top := re.match(r"""^['"]?(submission_\d+)['"]?\s*:\s*$""", line):
            current, list_indent = top[1], -1
        elif not current or not text or text.startswith("#"):
            continue
        elif text.startswith(":submitters:"):
            list_indent, item = indent, 0
        elif list_indent >= 0 and indent <= list_indent and not text.startswith("-"):
            list_indent = -1  # the next key of the submission ends the list of submitters
        elif list_indent >= 0:
            item += text.startswith("-")  # "- " opens the next submitter: keep the first one's keys
            key = re.match(r"^(?:-\s+)?:(sid|email):(.*)$", text)
            value = key[2].strip().strip("'\"") if key else ""
            if item == 1 and key and value not in ("", "~", "null"):
                found.setdefault(current, {})[key[1]] = value
    return {sub: keys.get("sid") or keys["email"] for sub, keys in found.items()}
