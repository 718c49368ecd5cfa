"""Turning a TA's submissions folder into gradable submissions: every case is built in tmp_path."""

from __future__ import annotations

import hashlib
import os
import stat
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from grader import intake
from grader.intake import IntakeError, Submission, choose_file, discover

HW = "hw1_bn_mlp"
STUB = '    raise NotImplementedError("Fill this blank!")\n'


def code(stubs: int = 0) -> str:
    """A submission with `stubs` blanks left unfilled."""
    body = "".join(f"def f{i}():\n{STUB}\n" for i in range(stubs))
    return f"import torch\n\n{body}def build_model():\n    return torch.nn.Linear(784, 10)\n"


def write_py(path: Path, stubs: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(code(stubs), encoding="utf-8")
    return path


def write_nb(path: Path, stubs: int = 0) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# HW1"), nbformat.v4.new_code_cell(code(stubs))]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def write_zip(path: Path, members: dict[str | zipfile.ZipInfo, bytes | str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if not p.is_dir()}


@pytest.fixture
def subs(tmp_path: Path) -> Path:
    (tmp_path / "subs").mkdir()
    return tmp_path / "subs"


@pytest.fixture
def grab(tmp_path: Path, subs: Path) -> Callable[..., dict[str, Submission]]:
    """discover() on `subs` as a dict by student; asserts nothing appeared outside subs/ and work/."""

    def run(**limits: int) -> dict[str, Submission]:
        before = files_under(tmp_path) - files_under(subs)
        found = discover(subs, assignment=HW, workdir=tmp_path / "work", **limits)
        after = files_under(tmp_path) - files_under(subs) - files_under(tmp_path / "work")
        assert after <= before, f"written outside workdir: {after - before}"
        assert [s.student for s in found] == sorted(s.student for s in found)
        by_student = {s.student: s for s in found}
        assert len(by_student) == len(found)
        return by_student

    return run


def assert_ok(sub: Submission, file: Path | None = None) -> None:
    assert (sub.status, sub.problem) == ("ok", ""), sub
    assert sub.file is not None and sub.sha256 == sha(sub.file)
    if file is not None:
        assert sub.file == file


# -- good submissions -------------------------------------------------------------------------------


def test_a_class_of_every_supported_shape(tmp_path: Path, subs: Path, grab) -> None:
    py = write_py(subs / "alice.py")
    nb = write_nb(subs / "bob.ipynb")
    folder = write_py(subs / "carol" / "src" / f"{HW}.py")
    (subs / "carol" / ".DS_Store").write_bytes(b"\0")
    (subs / "carol" / "__pycache__").mkdir()
    (subs / "carol" / "__pycache__" / f"{HW}.cpython-311.pyc").write_bytes(b"\0")
    (subs / "carol" / ".ipynb_checkpoints").mkdir()
    write_nb(subs / "carol" / ".ipynb_checkpoints" / f"{HW}-checkpoint.ipynb")
    (subs / "carol" / "README.md").write_text("my notes\n", encoding="utf-8")
    write_zip(subs / "dave.zip", {f"{HW}.py": code()})
    notebook = write_nb(tmp_path / "nb.ipynb").read_text(encoding="utf-8")
    write_zip(subs / "erin.zip", {"erin_hw1/": "", f"erin_hw1/{HW}.ipynb": notebook,
                                  "erin_hw1/.DS_Store": b"\0", f"__MACOSX/erin_hw1/._{HW}.ipynb": b"\0\5"})
    (subs / ".DS_Store").write_bytes(b"\0")
    (subs / "__MACOSX").mkdir()

    found = grab()

    assert list(found) == ["alice", "bob", "carol", "dave", "erin"]
    assert_ok(found["alice"], py)
    assert_ok(found["bob"], nb)
    assert_ok(found["carol"], folder)
    assert found["carol"].source == subs / "carol"
    assert_ok(found["dave"], tmp_path / "work" / "dave" / f"{HW}.py")
    assert found["dave"].source == subs / "dave.zip"
    assert_ok(found["erin"], tmp_path / "work" / "erin" / "erin_hw1" / f"{HW}.ipynb")
    assert not (tmp_path / "work" / "erin" / "__MACOSX").exists()  # litter is not even extracted


def test_rerun_is_identical_and_replaces_the_old_extraction(tmp_path: Path, subs: Path, grab) -> None:
    write_zip(subs / "dave.zip", {f"{HW}.py": code()})
    first = grab()
    (tmp_path / "work" / "dave" / "stale.py").write_text("x = 1\n", encoding="utf-8")
    assert grab() == first


def test_canvas_names_normal_late_and_resubmitted(subs: Path, grab) -> None:
    write_py(subs / f"kimminji_12345_67890_{HW}.py")
    write_py(subs / f"leejihoon_LATE_23456_78901_{HW}.py")
    write_nb(subs / f"parksoyeon_34567_89012_{HW}-1.ipynb")
    write_zip(subs / "choiyuna_45678_90123_hw1.zip", {f"{HW}.py": code()})

    found = grab()

    assert list(found) == ["choiyuna", "kimminji", "leejihoon", "parksoyeon"]
    for sub in found.values():
        assert_ok(sub)


def test_canvas_multi_file_submission_is_one_student_and_the_pair_rule_applies(subs: Path, grab) -> None:
    # Canvas flattens one student's uploads into several top-level files with the same user id.
    write_py(subs / f"kimminji_12345_67890_{HW}.py", stubs=4)
    nb = write_nb(subs / f"kimminji_12345_67891_{HW}-1.ipynb", stubs=0)
    (subs / "kimminji_12345_67892_notes.pdf").write_bytes(b"%PDF-1.4")

    assert_ok(grab()["kimminji"], nb)


def test_gradescope_export_maps_folders_to_students(subs: Path, grab) -> None:
    (subs / intake.GRADESCOPE_METADATA).write_text(
        "---\n"
        "submission_101:\n"
        "  :submitters:\n"
        "  - :name: Kim Minji\n"
        "    :sid: '20231234'\n"
        "    :email: minji@example.edu\n"
        "  :created_at: 2024-03-01 10:00:00.000000000 +09:00\n"
        "  :score: 10.0\n"
        "\n"
        "submission_102:\n"
        "  :submitters:\n"
        "  - :name: Lee Jihoon\n"
        "    :sid:\n"
        "    :email: \"jihoon@example.edu\"\n"
        "  :created_at: 2024-03-01 11:00:00.000000000 +09:00\n"
        "submission_104:\n"
        "  :submitters:\n"
        "  - :name: Group Lead\n"
        "    :sid: '111'\n"
        "  - :name: Group Member\n"
        "    :sid: '222'\n"
        "  :sid: 'not a submitter'\n",
        encoding="utf-8",
    )
    write_py(subs / "submission_101" / f"{HW}.py")
    write_nb(subs / "submission_102" / f"{HW}.ipynb")
    write_py(subs / "submission_103" / f"{HW}.py")  # not in the metadata: keeps its folder name
    write_py(subs / "submission_104" / f"{HW}.py")

    found = grab()

    assert list(found) == ["111", "20231234", "jihoon@example.edu", "submission_103"]
    assert found["20231234"].source == subs / "submission_101"
    for sub in found.values():
        assert_ok(sub)


def test_unparseable_gradescope_metadata_keeps_folder_names(subs: Path, grab) -> None:
    (subs / intake.GRADESCOPE_METADATA).write_bytes(b"\xff\xfe{{ not yaml at all")
    write_py(subs / "submission_7" / f"{HW}.py")
    assert list(grab()) == ["submission_7"]


def test_student_ids_are_safe_folder_names(subs: Path, grab) -> None:
    write_py(subs / "Kim Min-ji (2).py")
    write_py(subs / "a..b@x.py")
    write_py(subs / "..." / f"{HW}.py")  # hidden: starts with "."
    write_py(subs / "Jose\u0301" / f"{HW}.py")  # decomposed accent, as macOS writes it
    assert list(grab()) == ["Jos\u00e9", "Kim_Min-ji__2_", "a..b@x"]


def test_a_workdir_inside_the_submissions_dir_is_not_a_student(subs: Path) -> None:
    write_zip(subs / "dave.zip", {f"{HW}.py": code()})
    found = discover(subs, assignment=HW, workdir=subs / "work")
    assert [(s.student, s.status) for s in found] == [("dave", "ok")]
    assert discover(subs, assignment=HW, workdir=subs / "work") == found


# -- the .py + .ipynb pair --------------------------------------------------------------------------


@pytest.mark.parametrize(("py_stubs", "nb_stubs", "chosen"), [
    (5, 0, ".ipynb"), (0, 5, ".py"), (2, 2, ".py"), (0, 0, ".py"),
])
def test_the_pair_grades_the_one_with_fewer_blanks(subs: Path, grab, py_stubs: int, nb_stubs: int,
                                                   chosen: str) -> None:
    write_py(subs / "kim" / f"{HW}.py", py_stubs)
    write_nb(subs / "kim" / f"{HW}.ipynb", nb_stubs)
    assert_ok(grab()["kim"], subs / "kim" / f"{HW}{chosen}")


def test_an_emptied_py_does_not_beat_a_filled_notebook(tmp_path: Path) -> None:
    (tmp_path / f"{HW}.py").write_text("\n", encoding="utf-8")
    nb = write_nb(tmp_path / f"{HW}.ipynb", 0)
    assert choose_file([tmp_path / f"{HW}.py", nb], HW) == (nb, "")


def test_choose_file_names_ambiguous_candidates(tmp_path: Path) -> None:
    a, b = write_py(tmp_path / "a.py"), write_nb(tmp_path / "sub" / f"{HW}.ipynb")
    file, problem = choose_file([a, b], HW)
    assert file is None and "a.py" in problem and f"{HW}.ipynb" in problem and "candidate" in problem
    assert choose_file([a], HW) == (a, "")
    assert choose_file([], HW)[0] is None


def test_a_broken_notebook_in_the_pair_is_reported_not_skipped(subs: Path, grab) -> None:
    write_py(subs / "kim" / f"{HW}.py", 4)
    (subs / "kim" / f"{HW}.ipynb").write_text("{ not json", encoding="utf-8")
    sub = grab()["kim"]
    assert (sub.status, sub.file) == ("invalid_notebook", None)


# -- bad input: each beside a good student, who must not notice ------------------------------------


def _corrupt(subs: Path) -> None:
    (subs / "kim.zip").write_bytes(b"PK\x03\x04 this is not really a zip" * 10)


def _truncated(subs: Path) -> None:
    data = write_zip(subs / "kim.zip", {f"{HW}.py": code() * 50}).read_bytes()
    (subs / "kim.zip").write_bytes(data[: len(data) // 2])


def _encrypted(subs: Path) -> None:
    # zipfile cannot encrypt, so set the "encrypted" flag bit in the local and the central header.
    data = bytearray(write_zip(subs / "kim.zip", {f"{HW}.py": code()}).read_bytes())
    data[data.index(b"PK\x03\x04") + 6] |= 0x1
    data[data.index(b"PK\x01\x02") + 8] |= 0x1
    (subs / "kim.zip").write_bytes(bytes(data))


def _symlink_member(subs: Path) -> None:
    info = zipfile.ZipInfo(f"{HW}.py")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    write_zip(subs / "kim.zip", {info: "/etc/passwd"})


def _latin1(subs: Path) -> None:
    (subs / "kim.py").write_bytes("# r\xe9sum\xe9 of my model\nx = 1\n".encode("latin-1"))


def _unknown_types(subs: Path) -> None:
    (subs / "kim").mkdir()
    (subs / "kim" / "notes.txt").write_text("hi", encoding="utf-8")
    (subs / "kim" / "hw.pdf").write_bytes(b"%PDF")


def _text(name: str, text: str) -> Callable[[Path], object]:
    return lambda subs: (subs / name).write_text(text, encoding="utf-8")


def _zip(members: dict[str | zipfile.ZipInfo, bytes | str]) -> Callable[[Path], object]:
    return lambda subs: write_zip(subs / "kim.zip", members)


def _two_candidates(subs: Path) -> None:
    write_py(subs / "kim" / "model.py")
    write_py(subs / "kim" / "old" / "model2.py")


BAD_CASES: dict[str, tuple[Callable[[Path], object], str, tuple[str, ...]]] = {
    "empty folder": (lambda s: (s / "kim").mkdir(), "empty", ("kim/",)),
    "folder of litter": (lambda s: write_py(s / "kim" / "__pycache__" / "x.py"), "empty", ()),
    "zip with no files": (_zip({"kim/": "", "__MACOSX/._x": "x"}), "empty", ("kim.zip",)),
    "unknown types": (_unknown_types, "unsupported", (".pdf", ".txt")),
    "a pdf": (lambda s: (s / "kim.pdf").write_bytes(b"%PDF"), "unsupported", (".pdf",)),
    "zip in a folder": (lambda s: write_zip(s / "kim" / "hw.zip", {"a.py": ""}), "unsupported", ("opened",)),
    "zip in a zip": (_zip({"inner.zip": b"PK"}), "unsupported", (".zip", "not opened")),
    "two candidates": (_two_candidates, "ambiguous", ("model.py", "old/model2.py")),
    "notebook not json": (_text("kim.ipynb", "{ not json"), "invalid_notebook", ("kim.ipynb", "notebook")),
    "json not a notebook": (_text("kim.ipynb", '{"a": 1}'), "invalid_notebook", ("notebook",)),
    "latin-1 source": (_latin1, "not_utf8", ("UTF-8", "kim.py")),
    "zip with ../": (_zip({"../evil.py": "x = 1\n"}), "unsafe_zip", ("../evil.py",)),
    "zip with ..\\": (_zip({"a\\..\\..\\evil.py": "x"}), "unsafe_zip", ("escapes",)),
    "zip with absolute path": (lambda s: write_zip(s / "kim.zip", {str(s.parent / "abs_evil.py"): "x = 1\n"}),
                               "unsafe_zip", ("absolute",)),
    "zip with drive path": (_zip({"C:/evil.py": "x"}), "unsafe_zip", ("absolute",)),
    "symlink member": (_symlink_member, "unsafe_zip", ("symbolic link",)),
    "corrupt zip": (_corrupt, "bad_zip", ("kim.zip",)),
    "truncated zip": (_truncated, "bad_zip", ("kim.zip",)),
    "encrypted zip": (_encrypted, "bad_zip", ("encrypted",)),
    "oversized file": (_text("kim.py", "#" * 2_000_000), "too_large", ("kim.py", "2,000,000")),
    "oversized file in zip": (_zip({"kim.py": "#" * 2_000_000}), "too_large", ("1,000,000",)),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_input_is_a_status_and_spares_the_others(tmp_path: Path, subs: Path, grab, case: str) -> None:
    build, status, words = BAD_CASES[case]
    good = write_py(subs / "alice.py")
    build(subs)

    found = grab(max_bytes=1_000_000)

    assert_ok(found["alice"], good)
    kim = found["kim"]
    assert (kim.status, kim.file) == (status, None), kim
    assert status in intake.BAD_INPUT
    assert kim.problem and "\n" not in kim.problem
    for word in words:
        assert word in kim.problem
    assert kim.sha256 == (sha(kim.source) if kim.source.is_file() else intake._source_hash([kim.source]))
    assert not (tmp_path / "evil.py").exists() and not (tmp_path / "abs_evil.py").exists()
    assert not (tmp_path / "work" / "kim").exists()  # no extraction is kept for a student who is not ok


def test_a_folder_hash_covers_names_and_bytes(subs: Path) -> None:
    (subs / "a").mkdir()
    (subs / "a" / "x.txt").write_text("1")
    first = intake._source_hash([subs / "a"])
    (subs / "a" / "x.txt").rename(subs / "a" / "y.txt")
    assert intake._source_hash([subs / "a"]) != first


def test_symlinks_in_folders_are_not_followed(tmp_path: Path, subs: Path, grab) -> None:
    secret = write_py(tmp_path / "secret" / "answers.py")
    own = write_py(subs / "kim" / f"{HW}.py")
    (subs / "kim" / "answers.py").symlink_to(secret)
    (subs / "kim" / "linked_dir").symlink_to(secret.parent, target_is_directory=True)
    (subs / "lee.py").symlink_to(secret)
    found = grab()
    assert_ok(found["kim"], own)
    assert (found["lee"].status, found["lee"].file) == ("unsupported", None)
    assert "symbolic link" in found["lee"].problem


def test_duplicate_student_ids_flag_both_entries(subs: Path, grab) -> None:
    write_py(subs / "kim" / f"{HW}.py")
    write_zip(subs / "kim.zip", {f"{HW}.py": code()})
    write_py(subs / "lee_111_1_hw1.py")  # two different Canvas users who share a name
    write_py(subs / "lee_222_2_hw1.py")
    write_py(subs / "Park.py")  # the same folder on a case-insensitive file system
    write_py(subs / "park.py")
    write_py(subs / "alice.py")

    found = discover(subs, assignment=HW, workdir=subs.parent / "work")

    assert [(s.student, s.source.name, s.status) for s in found] == [
        ("Park", "Park.py", "duplicate_student"),
        ("alice", "alice.py", "ok"),
        ("kim", "kim", "duplicate_student"),
        ("kim", "kim.zip", "duplicate_student"),
        ("lee", "lee_111_1_hw1.py", "duplicate_student"),
        ("lee", "lee_222_2_hw1.py", "duplicate_student"),
        ("park", "park.py", "duplicate_student"),
    ]
    kim_folder, kim_zip = found[2], found[3]
    assert "kim.zip" in kim_folder.problem and "kim" in kim_zip.problem and kim_zip.file is None
    assert kim_zip.sha256 == sha(subs / "kim.zip")
    assert not (subs.parent / "work" / "kim").exists()  # neither is extracted


# -- zip bombs ----------------------------------------------------------------------------------------


def test_declared_size_over_the_zip_limit(tmp_path: Path, subs: Path, grab) -> None:
    write_zip(subs / "kim.zip", {f"{HW}.py": code(), "data.bin": b"\0" * 20_000})
    kim = grab(max_zip_bytes=10_000)["kim"]
    assert kim.status == "too_large" and "10,000" in kim.problem
    assert not (tmp_path / "work" / "kim").exists()  # refused before writing anything


def test_sixty_megabytes_of_zeros_against_the_default_limit(tmp_path: Path, subs: Path, grab) -> None:
    with zipfile.ZipFile(subs / "kim.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(f"{HW}.py", code())
        with zf.open("zeros.bin", "w") as member:
            for _ in range(60):
                member.write(bytes(1_000_000))
    assert (subs / "kim.zip").stat().st_size < 1_000_000  # highly compressible: a small upload
    kim = grab()["kim"]
    assert kim.status == "too_large" and "60,000" in kim.problem and "50,000,000" in kim.problem
    assert not (tmp_path / "work" / "kim").exists()


def test_a_zip_that_lies_about_its_sizes_is_refused(tmp_path: Path, subs: Path, grab) -> None:
    data = bytearray(write_zip(subs / "kim.zip", {f"{HW}.py": b"#" * 2_000_000}).read_bytes())
    lie = (1000).to_bytes(4, "little")  # declare 1,000 bytes in the local and the central header
    local, central = data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")
    data[local + 22: local + 26] = lie
    data[central + 24: central + 28] = lie
    (subs / "kim.zip").write_bytes(bytes(data))
    kim = grab(max_zip_bytes=100_000)["kim"]
    assert (kim.status, kim.file) in {("bad_zip", None), ("too_large", None)}, kim
    assert not (tmp_path / "work" / "kim").exists()


def test_extraction_stops_once_actual_bytes_pass_the_budget(tmp_path: Path) -> None:
    # zipfile already caps each member at its declared size; the running count is the second line.
    archive = write_zip(tmp_path / "a.zip", {"big.bin": bytes(300_000)})
    with zipfile.ZipFile(archive) as zf, pytest.raises(intake._Bad) as bad:
        intake._extract_member(zf, zf.getinfo("big.bin"), tmp_path / "out", ["big.bin"], 100_000, "too big")
    assert bad.value.status == "too_large"
    assert (tmp_path / "out" / "big.bin").stat().st_size <= 100_000


def test_duplicate_members_in_a_zip(subs: Path, grab) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name we are making
        write_zip(subs / "kim.zip", {f"{HW}.py": code()})
        with zipfile.ZipFile(subs / "kim.zip", "a") as zf:
            zf.writestr(f"{HW}.py", "import os\n")
    kim = grab()["kim"]
    assert kim.status == "bad_zip" and "twice" in kim.problem


# -- the directory itself ------------------------------------------------------------------------------


def test_a_missing_or_non_directory_submissions_dir_raises(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match="does not exist"):
        discover(tmp_path / "nope", assignment=HW, workdir=tmp_path / "work")
    write_py(tmp_path / "file.py")
    with pytest.raises(IntakeError, match="not a directory"):
        discover(tmp_path / "file.py", assignment=HW, workdir=tmp_path / "work")
    assert issubclass(IntakeError, ValueError)


def test_an_empty_submissions_dir_is_an_empty_class(tmp_path: Path, subs: Path) -> None:
    assert discover(subs, assignment=HW, workdir=tmp_path / "work") == []


# -- robustness -------------------------------------------------------------------------------------


@pytest.mark.timeout(20)
def test_a_fifo_is_never_opened(subs: Path, grab) -> None:
    os.mkfifo(subs / "kim.py")  # reading it would block the whole batch forever
    write_py(subs / "alice.py")
    found = grab()
    assert found["kim"].status == "unsupported" and "special file" in found["kim"].problem
    assert_ok(found["alice"])


def test_an_unforeseen_error_is_students_status(subs: Path, grab, monkeypatch: pytest.MonkeyPatch) -> None:
    real = intake._source_of

    def flaky(path: Path, max_bytes: int) -> str:
        if path.stem == "kim":
            raise RuntimeError("disk on fire")
        return real(path, max_bytes)

    monkeypatch.setattr(intake, "_source_of", flaky)
    write_py(subs / "kim.py")
    write_py(subs / "alice.py")
    found = grab()
    assert (found["kim"].status, found["kim"].file) == ("unsupported", None)
    assert "RuntimeError: disk on fire" in found["kim"].problem
    assert_ok(found["alice"])
