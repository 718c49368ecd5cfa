"""Every report format rendered from a gradebook: content, escaping, validity, determinism, `grader report`."""

from __future__ import annotations

import html.parser
import io
import json
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import ClassVar

import pytest
import torch

from grader.batch import BatchOptions, grade_batch
from grader.cli import main
from grader.gradebook import Gradebook, Run
from grader.gradescope import VISIBILITIES
from grader.progress import Progress
from grader.reports import write_reports
from grader.results import CheckResult
from grader.sandbox import Limits
from grader.stats import weight_histogram
from grader.summary import check_rates

A = "hw1_bn_mlp"
SCRIPT = '<script>alert("pwned")</script>'
SECRET = "expected 784 -> 200 -> 150"  # a hidden check's message: must never reach a student-facing file
STDOUT = "Traceback: def check_build_model_hidden_sizes(submission): assert sizes == (200, 150)"
CHECKS = (  # name, description, visibility, points
    ("layer_shapes", "The Linear layers map 784 -> 100 -> 100 -> 10.", "visible", 2.0),
    ("dropout_p", "Both hidden layers use Dropout with p = 0.3.", "visible", 1.0),
    ("build_model_hidden_sizes", "build_model(hidden=(200, 150)) builds 784 -> 200 -> 150 -> 10.", "hidden", 1.0),
    ("compare_hidden_sizes", "compare_hidden_sizes returns one row per config with numbers in range.", "hidden", 2.0),
    ("mnist_accuracy", "Your model reaches the minimum test accuracy on MNIST.", "visible", 4.0),
)
MAX = sum(c[3] for c in CHECKS)


def checks(**outcomes: tuple[str, str]) -> tuple[CheckResult, ...]:
    """Every check passed except those given as name=(status, message)."""
    out = []
    for name, description, visibility, pts in CHECKS:
        status, message = outcomes.get(name, ("passed", ""))
        out.append(CheckResult(name=name, description=description, max_points=pts,
                               points=pts if status == "passed" else 0.0, status=status,  # type: ignore[arg-type]
                               message=message, visibility=visibility, duration_s=0.25))  # type: ignore[arg-type]
    return tuple(out)


def run(student: str, found: tuple[CheckResult, ...], *, status: str = "graded", problem: str = "",
        extras: dict[str, object] | None = None, duration_s: float = 10.0, stdout: str = "") -> Run:
    return Run(student=student, assignment=A, source=f"class/{student}.py", sha256=f"{len(student):064x}",
               suite_version="0123456789abcdef", status=status, problem=problem,
               points=sum(c.points for c in found), max_points=MAX, graded_at="2026-01-02T03:04:05+00:00",
               duration_s=duration_s, checks=found, device="cpu", notes=("MNIST accuracy recomputed: 0.95.",),
               stdout=stdout, stderr="", extras=extras or {})


def full_extras() -> dict[str, object]:
    torch.manual_seed(0)
    weights = [torch.nn.init.xavier_uniform_(torch.empty(out, inp)) for inp, out in ((784, 100), (100, 100), (100, 10))]
    confusion = [[980 if i == j else (3 if j == (i + 1) % 10 else 0) for j in range(10)] for i in range(10)]
    return {"initial_weights": [weight_histogram(w) for w in weights], "confusion": confusion,
            "history": [{"epoch": 1, "train_cost": 0.51, "test_accuracy": 0.94},
                        {"epoch": 2, "train_cost": 0.37, "test_accuracy": 0.95}]}


RUNS = [
    run("ada", checks(), extras=full_extras(), duration_s=17.5),
    run("ben", checks(dropout_p=("failed", f"your Dropout has p = 0.5; {SCRIPT} must be 0.3."),
                      build_model_hidden_sizes=("failed", SECRET)), extras={"history": []}, stdout=STDOUT),
    run("cyd", checks(mnist_accuracy=("error", "timed out after 15 s of CPU time (line 12 of your code)\x1b[31m\x00."),
                      compare_hidden_sizes=("error", "timed out after 15 s of CPU time (line 12 of your code)\x1b[31m\x00.")),
        duration_s=46.0),
    run("dan", (), status="could_not_grade", problem="the grading process ended before reporting any result"),
    run("eve", checks(**{name: ("error", "eve.py is not UTF-8: save it as UTF-8.") for name, *_ in CHECKS}),
        status="not_utf8", problem="eve.py is not UTF-8: save it as UTF-8.", duration_s=0.0),
]
STUDENTS = [r.student for r in RUNS]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reports")
    with Gradebook(folder / "grades.db") as book:
        for r in RUNS:
            book.record(r)
        written = write_reports(book, A, folder)
    expected = {"grades.csv", "summary.md", "summary.html", "junit.xml"} | {
        f"{s}/{name}" for s in STUDENTS for name in ("report.json", "report.md", "report.html", "results.json")}
    assert {p.relative_to(folder).as_posix() for p in written} == expected
    return folder


def rendered(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith("grades.db")}


def student_files(out: Path, student: str) -> str:
    return "".join((out / student / name).read_text(encoding="utf-8")
                   for name in ("report.md", "report.html", "results.json"))


# --- Markdown -------------------------------------------------------------------------------------------

def test_markdown_has_the_table_of_checks_the_total_and_the_mistakes(out: Path) -> None:
    ada = (out / "ada" / "report.md").read_text(encoding="utf-8")
    assert "| # | check | points | result | message |" in ada
    assert "| 1 | `layer_shapes` | 2 / 2 | pass |  |" in ada
    assert f"| | **total** | **{MAX:g} / {MAX:g}** | | |" in ada
    assert "Nothing to fix: every check passed." in ada
    ben = (out / "ben" / "report.md").read_text(encoding="utf-8")
    assert "| 2 | `dropout_p` | 0 / 1 | FAIL | your Dropout has p = 0.5; &lt;script&gt;alert(\"pwned\")&lt;/script&gt;" in ben
    assert "| 3 | `build_model_hidden_sizes` (hidden) | 0 / 1 | FAIL | hidden check: graded after the deadline;" in ben
    assert "**Score: 8 / 10**" in ben and "## Your mistakes in plain words" in ben
    cyd = (out / "cyd" / "report.md").read_text(encoding="utf-8")
    assert "## What could not be run" in cyd and "the 2 checks compare_hidden_sizes, mnist_accuracy could not run" in cyd
    assert "Everything ran." not in cyd and "Everything ran." in ada  # said only where nothing crashed
    dan = (out / "dan" / "report.md").read_text(encoding="utf-8")
    assert "not graded (status could\\_not\\_grade)" not in dan  # underscores inside words stay readable
    assert "The submission was not graded (status could_not_grade): the grading process ended" in dan
    assert "No check produced a result." in dan


def test_student_facing_files_never_reveal_hidden_messages_or_the_captured_output(out: Path) -> None:
    for student in STUDENTS:
        text = student_files(out, student)
        assert STDOUT not in text and "200, 150" not in text
    assert SECRET not in (out / "ben" / "report.md").read_text() + (out / "ben" / "report.html").read_text()
    # the description of a hidden check is shown only when it holds no numbers or code
    ada = (out / "ada" / "report.html").read_text(encoding="utf-8")
    assert "it looks at this: compare_hidden_sizes returns one row per config with numbers in range." in ada
    assert "build_model(hidden=" not in ada
    # a hidden check that failed with the same sentence as a visible one shows that (non-revealing) sentence
    cyd = (out / "cyd" / "report.md").read_text(encoding="utf-8")
    assert "the 2 checks compare_hidden_sizes, mnist_accuracy could not run: timed out" in cyd


# --- HTML -----------------------------------------------------------------------------------------------

class Audit(html.parser.HTMLParser):
    VOID: ClassVar[set[str]] = {"meta", "link", "br", "img", "input", "hr", "col", "source", "area", "base", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.problems: list[str] = []
        self.meta: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "action", "data")]
        self.problems += [k for k, _ in attrs if k.startswith("on")]  # no event handlers (no JavaScript)
        if tag == "meta":
            self.meta.append(values)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unbalanced </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()


def audit(path: Path) -> Audit:
    parser = Audit()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    assert not parser.problems and not parser.stack, (path, parser.problems, parser.stack)
    return parser


@pytest.mark.parametrize("name", [f"{s}/report.html" for s in STUDENTS] + ["summary.html"])
def test_html_is_one_self_contained_phone_readable_page(out: Path, name: str) -> None:
    text = (out / name).read_text(encoding="utf-8")
    page = audit(out / name)
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert not [u for u in page.urls if u.lower().startswith(("http:", "https:", "//", "javascript:", "data:"))]
    assert "http://" not in text and "https://" not in text
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in page.meta
    assert "<style>" in text and "@media" in text


def test_html_escapes_student_text_and_draws_the_figures(out: Path) -> None:
    ben = (out / "ben" / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in ben and "<script" not in ben
    ada = (out / "ada" / "report.html").read_text(encoding="utf-8")
    assert ada.count("<svg") == 5  # 3 weight histograms, cost and accuracy
    assert ada.count("+bound</text>") == 3 and "Xavier normal" in ada and 'class="cm"' in ada
    assert "Most frequent mistakes: a 0 read as 1 (3 times)" in ada
    cyd = (out / "cyd" / "report.html").read_text(encoding="utf-8")
    assert "\x1b" not in cyd and "\x00" not in cyd
    dan = (out / "dan" / "report.html").read_text(encoding="utf-8")
    assert "<svg" not in dan and "No figures for this submission" in dan
    assert "the grading process ended before reporting any result" in dan


# --- Gradescope -----------------------------------------------------------------------------------------

TEST_KEYS = {"name": str, "number": str, "score": float, "max_score": float, "status": str, "output": str,
             "visibility": str}


@pytest.mark.parametrize("student", STUDENTS)
def test_gradescope_results_follow_the_format_and_add_up(out: Path, student: str) -> None:
    data = json.loads((out / student / "results.json").read_text(encoding="utf-8"))
    source = next(r for r in RUNS if r.student == student)
    assert set(data) == {"score", "execution_time", "output", "visibility", "stdout_visibility", "tests", "extra_data"}
    assert isinstance(data["score"], float) and isinstance(data["execution_time"], int)
    assert isinstance(data["output"], str) and data["visibility"] in VISIBILITIES
    assert data["stdout_visibility"] == "hidden" and isinstance(data["extra_data"], dict)
    assert len(data["tests"]) == len(source.checks)
    for test, check in zip(data["tests"], source.checks, strict=True):
        assert {k: type(v) for k, v in test.items()} == TEST_KEYS
        assert test["name"] == check.name and test["status"] == ("passed" if check.passed else "failed")
        assert test["visibility"] == ("visible" if check.visibility == "visible" else "after_published")
        assert 0 <= test["score"] <= test["max_score"]
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"])) == source.points


# --- JUnit ----------------------------------------------------------------------------------------------

def test_junit_xml_parses_with_one_testcase_per_student_and_check(out: Path) -> None:
    root = ET.parse(out / "junit.xml").getroot()
    assert root.tag == "testsuites" and root.get("name") == A
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 4 * len(CHECKS) + 1 == int(root.get("tests", "-1"))  # dan: one "grading" testcase
    assert [s.get("name") for s in root.findall("testsuite")] == STUDENTS
    failures, errors = root.findall(".//failure"), root.findall(".//error")
    assert len(failures) == 2 == int(root.get("failures", "-1"))  # ben's two failed checks
    assert len(errors) == 2 + 1 + len(CHECKS) == int(root.get("errors", "-1"))  # cyd, dan, eve
    ben = {c.get("name"): c for c in root.findall("./testsuite[@name='ben']/testcase")}
    assert set(ben) == {name for name, *_ in CHECKS} and all(c.get("classname") == "ben" for c in ben.values())
    assert SCRIPT in (ben["dropout_p"].find("failure").get("message") or "")  # type: ignore[union-attr]
    assert root.find("./testsuite[@name='dan']/testcase[@name='grading']/error") is not None
    for suite in root.findall("testsuite"):
        assert int(suite.get("tests", "-1")) == len(suite.findall("testcase"))


# --- Summary --------------------------------------------------------------------------------------------

def test_summary_pass_rates_problems_and_slowest(out: Path) -> None:
    rates = {r.name: (r.passed, r.total) for r in check_rates(RUNS)}
    assert rates == {"layer_shapes": (3, 3), "dropout_p": (2, 3), "build_model_hidden_sizes": (2, 3),
                     "compare_hidden_sizes": (2, 3), "mnist_accuracy": (2, 3)}  # dan and eve were not graded
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert "| `layer_shapes` | 2 | 3 | 0 | 0 | `##########` 100% |" in md
    assert "| `dropout_p` | 1 | 2 | 1 | 0 | `#######...` 67% |" in md
    assert "5 submission(s): mean" in md and "Over the 3 graded submission(s)" in md
    assert "[ 90%, 100%] " in md and "```text" in md
    for student, status in (("cyd", "checks not run"), ("dan", "could_not_grade"), ("eve", "not_utf8")):
        assert f"| {student} | {status} |" in md
    slowest = md.split("## Slowest submissions")[1]
    assert slowest.index("| cyd | 46.0 s |") < slowest.index("| ada | 17.5 s |")
    page = (out / "summary.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 1 and 'href="ada/report.html"' in page
    assert "&lt;script&gt;" not in page  # ben's message is no problem of grading: not listed


# --- Determinism and `grader report` ---------------------------------------------------------------------

def test_rendering_twice_and_grader_report_give_the_same_bytes(out: Path, tmp_path: Path) -> None:
    before = rendered(out)
    with Gradebook(out / "grades.db") as book:
        write_reports(book, A, out)
    assert rendered(out) == before
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(out / "grades.db", copy / "grades.db")
    assert main(["report", "--out", str(copy)]) == 0
    assert rendered(copy) == before
    assert main(["report", "--out", str(copy), "--assignment", A]) == 0
    assert rendered(copy) == before


def test_grader_report_without_a_gradebook_is_a_usage_error(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--out", str(tmp_path / "nothing")]) == 2
    assert "no gradebook at" in capsys.readouterr().err
    assert not (tmp_path / "nothing").exists()
    with Gradebook(tmp_path / "other" / "grades.db") as book:
        book.record(RUNS[0])
    assert main(["report", "--out", str(tmp_path / "other"), "--assignment", "hw9"]) == 2
    assert "no runs for assignment 'hw9'" in capsys.readouterr().err


# --- Chromium -------------------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium here (apt-get install chromium)")
@pytest.mark.parametrize("name", ["ada/report.html", "summary.html"])
def test_html_renders_in_headless_chromium_at_phone_width(out: Path, tmp_path: Path, name: str) -> None:
    png = tmp_path / "shot.png"
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}", "--window-size=412,2000",
               (out / name).resolve().as_uri()]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and png.exists(), done.stderr[-2000:]
    data = png.read_bytes()
    assert png_size(data) == (412, 2000)
    assert len(data) > 30_000  # a blank page compresses to a few KB; a report with tables and charts does not


# --- Progress -------------------------------------------------------------------------------------------

class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_one_line_on_a_terminal() -> None:
    now = [0.0]
    stream = Terminal()
    with Progress(stream, clock=lambda: now[0], tick_s=0) as progress:
        progress.start(3)
        progress.begin("ann")
        progress.begin("ben")
        assert progress.status_line().startswith("[....................] 0/3 | grading ann (0s), ben (0s)")
        now[0] = 10.0
        progress.finish("ann", "[1/3] ann: 37/37")
        # ben should end about now, and cat then takes the typical 10 s in the free slot.
        assert progress.status_line() == "[#######.............] 1/3 | grading ben (10s) | about 10s left"
        progress.finish("ben", "[2/3] ben: 0/37: 24 check(s) could not run", problem=True)
        progress.finish("cat", "[3/3] cat: 37/37")
    text = stream.getvalue()
    assert "\r[#######.............] 1/3" in text and "\x1b[K" in text
    assert "[1/3] ann" not in text and "[2/3] ben: 0/37: 24 check(s) could not run\n" in text
    assert text.endswith("graded 3/3 submission(s) in 10s; 1 with problems (listed above)\n")


def test_time_left_follows_the_typical_submission_not_the_ones_that_hung() -> None:
    now = [0.0]
    with Progress(Terminal(), clock=lambda: now[0], tick_s=0) as progress:
        progress.start(10)
        for student, seconds in [("ann", 4.0), ("ben", 5.0), ("cat", 300.0), ("dan", 6.0)]:  # cat hung
            progress.begin(student)
            now[0] += seconds
            progress.finish(student, f"{student} done")
        progress.begin("eve")
        progress.begin("fay")
        now[0] += 1.0
        # Median 5.5 s: eve and fay need 4.5 s more each, and 4 are waiting for 2 slots: 4.5 + 2 x 5.5 = 15.5 s.
        assert progress.status_line().endswith("| about 16s left"), progress.status_line()


def test_progress_prints_only_problems_and_the_summary_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with Progress(stream, clock=lambda: 0.0) as progress:
        progress("MNIST: all four files present")
        progress.start(2)
        progress.begin("ann")
        progress.finish("ann", "[1/2] ann: 37/37")
        progress.finish("ben", "[2/2] ben: 0/37 could_not_grade", problem=True)
    assert stream.getvalue() == ("MNIST: all four files present\n[2/2] ben: 0/37 could_not_grade\n"
                                 "graded 2/2 submission(s) in 0s; 1 with problems (listed above)\n")


def test_grade_batch_takes_a_progress_object(tmp_path: Path) -> None:
    class_dir = tmp_path / "class"
    (class_dir / "empty").mkdir(parents=True)
    (class_dir / "notes.txt").write_text("not code")
    stream = io.StringIO()
    with Progress(stream) as progress:
        summary = grade_batch(class_dir, BatchOptions(assignment="hw1_bn_mlp", out=tmp_path / "out", jobs=1, device="cpu",
                                                      limits=Limits(wall_s=60)), progress=progress)
    assert sorted(summary.bad_input) == ["empty", "notes"]
    assert "empty: not graded (empty)" in stream.getvalue() and "notes: not graded (unsupported)" in stream.getvalue()
