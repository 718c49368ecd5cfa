"""The student release: no solutions, no hidden checks, its own `make check`, and CI on pull requests."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.assignment import PROJECT_ROOT
from grader.cli import main
from grader.release import (
    FINGERPRINTS,
    ReleaseError,
    audit,
    build_release,
    plan_release,
    released_checks,
    verify_checks,
)

ASSIGNMENT = "hw1_bn_mlp"
SOLUTION = PROJECT_ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.py"
TEMPLATE = PROJECT_ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.py"
COURSE_WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "test.yml"
# The hidden checks of hw1, by their function names in the course repository.
HIDDEN_CHECKS = {"check_build_model_hidden_sizes", "check_build_model_dropout_argument", "check_compare_hidden_sizes"}
SOLUTION_REGION = re.compile(r"^\s*### BEGIN SOLUTION\s*$(.*?)^\s*### END SOLUTION\s*$", re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_release(tmp_path_factory.mktemp("release") / "hw-release", [ASSIGNMENT])


def release_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def lines_of(path: Path) -> set[str]:
    """Stripped lines as a reader sees them; a notebook's are its cells' lines."""
    if path.suffix == ".ipynb":
        text = "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)
    else:
        text = path.read_text(encoding="utf-8", errors="replace")
    return {line.strip() for line in text.splitlines()}


# -- what is in the release ----------------------------------------------------------------------------


def test_release_holds_what_students_need_and_nothing_else(release: Path) -> None:
    names = {p.relative_to(release).as_posix() for p in release_files(release)}
    for expected in ("README.md", "Makefile", "pyproject.toml", ".gitignore", ".github/workflows/grade.yml",
                     "checks/FINGERPRINTS.json", f"checks/{ASSIGNMENT}/assignment.toml", f"checks/{ASSIGNMENT}/report.py",
                     f"checks/{ASSIGNMENT}/check_1_model.py", f"assignments/{ASSIGNMENT}/{ASSIGNMENT}.py",
                     f"assignments/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", "grader/cli.py", "grader/plugin.py"):
        assert expected in names
    assert not (release / "solutions").exists() and not (release / "tests").exists()
    compare = (release / "checks" / ASSIGNMENT / "check_4_compare.py").read_text(encoding="utf-8")
    assert "def observe_compare_hidden_sizes(" in compare, "a hidden check's observation is released"
    assert "def check_" not in compare and "def judge_" not in compare and "COMPARE_MIN_ACCURACY" not in compare
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    for path in (PROJECT_ROOT / "assignments" / ASSIGNMENT).iterdir():
        assert (release / "assignments" / ASSIGNMENT / path.name).read_bytes() == path.read_bytes()


def test_no_line_of_any_solution_region_is_released(release: Path) -> None:
    source = SOLUTION.read_text(encoding="utf-8")
    given = lines_of(TEMPLATE)  # code the template hands out (the experiment, signatures) is no leak
    secret = {line.strip() for region in SOLUTION_REGION.findall(source) for line in region.splitlines()}
    # `with torch.no_grad():` is how the checks' own code is written too; nothing else is exempt. Lines are
    # compared whole: a visible check's message may name the expected call ("should return
    # torch.nn.CrossEntropyLoss()"), which is a hint by design, not the solution's code.
    secret = {line for line in secret if len(line) >= 20 and not line.startswith("#")} - given
    secret -= {"with torch.no_grad():"}
    assert len(secret) >= 25, sorted(secret)
    leaks = {(path.relative_to(release).as_posix(), line)
             for path in release_files(release) for line in secret & lines_of(path)}
    assert not leaks


def test_no_hidden_check_is_named_anywhere_in_the_release(release: Path) -> None:
    course = "\n".join(p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "checks" / ASSIGNMENT).glob("*.py"))
    assert all(f"def {name}(" in course for name in HIDDEN_CHECKS)
    for path in release_files(release):
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not {name for name in HIDDEN_CHECKS if name in text}, path
        if path.is_relative_to(release / "checks"):
            assert 'visibility="hidden"' not in text, path
    released = (release / "checks" / ASSIGNMENT / "check_1_model.py").read_text(encoding="utf-8")
    assert "check_layer_shapes" in released and "### BEGIN HIDDEN" not in released


def test_fingerprints_cover_every_released_check_file(release: Path) -> None:
    doc = json.loads((release / "checks" / FINGERPRINTS).read_text(encoding="utf-8"))
    on_disk = {p.relative_to(release / "checks").as_posix() for p in release_files(release / "checks")}
    assert set(doc["files"]) == on_disk - {FINGERPRINTS}
    assert {f"{ASSIGNMENT}/assignment.toml", f"{ASSIGNMENT}/check_1_model.py"} <= set(doc["files"])
    assert verify_checks(release / "checks" / FINGERPRINTS, release / "checks") == []


def test_audit_refuses_a_solution_line_or_a_hidden_check_name(tmp_path: Path) -> None:
    leaked = {Path("notes.py"): b"    torch.nn.init.xavier_uniform_(module.weight)\n"}
    with pytest.raises(ReleaseError, match="solution line"):
        audit(leaked)
    with pytest.raises(ReleaseError, match="hidden check check_compare_hidden_sizes"):
        audit({Path("README.md"): b"see check_compare_hidden_sizes\n"})
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def f(optimizer):\n    return torch.optim.Adam(model.parameters(), lr=lr)")]
    with pytest.raises(ReleaseError, match="solution line"):
        audit({Path("a.ipynb"): nbformat.writes(nb).encode()})


def test_unmarked_hidden_check_is_an_error_and_marked_files_are_stripped(tmp_path: Path) -> None:
    suite = tmp_path / "hw"
    suite.mkdir()
    (suite / "assignment.toml").write_text('module = "hw"\n')
    check = '@pytest.mark.points(1, visibility="hidden")\ndef check_secret():\n    pass\n'
    (suite / "check_a.py").write_text(f"import pytest\n\n\n{check}")
    with pytest.raises(ReleaseError, match="check_secret not inside ### BEGIN HIDDEN"):
        released_checks(suite)
    (suite / "check_a.py").write_text(
        f"import pytest\n\n\n### BEGIN HIDDEN\n{check}### END HIDDEN\n\n\ndef check_open():\n    pass\n")
    (suite / "check_b.py").write_text(f'"""Only hidden."""\n### BEGIN HIDDEN\nimport pytest\n\n\n{check}### END HIDDEN\n')
    out = released_checks(suite)
    assert sorted(p.name for p in out) == ["assignment.toml", "check_a.py"]
    assert out[Path("assignment.toml")].decode().endswith("hidden_checks = 1\n")
    assert b"check_secret" not in out[Path("check_a.py")] and b"def check_open" in out[Path("check_a.py")]


def test_release_refuses_a_non_empty_folder_unless_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "student-repo"
    (out / ".git").mkdir(parents=True)  # a clone of the students' repository: .git alone is "empty"
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert main(["release", "--out", str(out), ASSIGNMENT]) == 0
    (out / "stale.txt").write_text("from an older release")
    capsys.readouterr()
    assert main(["release", "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err and (out / "stale.txt").exists()
    assert main(["release", "--out", str(out), "--force"]) == 0
    assert not (out / "stale.txt").exists() and (out / ".git" / "HEAD").exists()
    assert (out / "checks" / FINGERPRINTS).exists()
    assert main(["release", "--out", str(PROJECT_ROOT), "--force"]) == 2
    assert main(["release", "--out", str(tmp_path / "x"), "hw9"]) == 2
    assert "hw9" in capsys.readouterr().err


def test_verify_checks_lists_edited_missing_and_extra_files(release: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    checks = tmp_path / "checks"
    shutil.copytree(release / "checks", checks)
    assert main(["verify-checks", "--checks-root", str(checks)]) == 0
    # Windows line endings (git autocrlf) are not an edit.
    ini = checks / ASSIGNMENT / "assignment.toml"
    ini.write_bytes(ini.read_bytes().replace(b"\n", b"\r\n"))
    (checks / ASSIGNMENT / "__pycache__").mkdir()
    (checks / ASSIGNMENT / "__pycache__" / "conftest.cpython-311.pyc").write_bytes(b"\0")
    assert main(["verify-checks", "--checks-root", str(checks)]) == 0
    capsys.readouterr()
    modes = checks / ASSIGNMENT / "check_2_modes.py"
    modes.write_text(modes.read_text(encoding="utf-8").replace("points(2)", "points(0)"), encoding="utf-8")
    (checks / ASSIGNMENT / "check_5_accuracy.py").unlink()
    (checks / ASSIGNMENT / "conftest_extra.py").write_text("x = 1\n")
    fingerprints = tmp_path / "base-fingerprints.json"
    shutil.copy(checks / FINGERPRINTS, fingerprints)
    (checks / FINGERPRINTS).write_text("{}")  # a pull request cannot vouch for itself: the base's copy is used
    assert main(["verify-checks", "--checks-root", str(checks), "--fingerprints", str(fingerprints)]) == 1
    out = capsys.readouterr().out
    assert f"edited: {ASSIGNMENT}/check_2_modes.py" in out
    assert f"missing: {ASSIGNMENT}/check_5_accuracy.py" in out
    assert f"extra: {ASSIGNMENT}/conftest_extra.py" in out
    assert main(["verify-checks", "--checks-root", str(checks)]) == 2
    assert main(["verify-checks", "--checks-root", str(checks), "--fingerprints", str(tmp_path / "no.json")]) == 2


def test_every_blank_is_a_cell_of_its_own_below_its_explanation() -> None:
    nb = nbformat.read(PROJECT_ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    blanks = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and "Fill this blank!" in cell.source]
    assert len(blanks) == 10
    for i in blanks:
        cell = nb.cells[i]
        assert cell.source.count("Fill this blank!\")") == 1 and cell.source.count("\ndef ") == 0, cell.source
        above = nb.cells[i - 1]
        name = cell.source.split("(", 1)[0].removeprefix("def ")
        assert above.cell_type == "markdown" and f"`{name}(" in above.source, (name, above.source)
        assert re.search(r"[\uac00-\ud7a3]", above.source), f"{name}: the explanation has no Korean"
    assert any("experiment" in cell.metadata.get("tags", []) for cell in nb.cells)


def test_help_lists_release_and_verify_checks(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "release" in out and "verify-checks" in out


# -- the student Makefile and README ----------------------------------------------------------------------


def recipe(makefile: str, target: str) -> list[str]:
    """The command lines of a Makefile rule (the tab-indented lines after `target:`)."""
    lines = makefile.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    commands = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        commands.append(line.strip())
    return commands


def test_student_makefile_checks_like_the_course_makefile(release: Path) -> None:
    student = (release / "Makefile").read_text(encoding="utf-8")
    course = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("check", "data"):
        assert recipe(student, target) == recipe(course, target)
    # grader check fetches the data the assignment declares, if any: no `data` step for an assignment without
    assert re.search(r"^check: \$\(STAMP\)", student, re.MULTILINE) and f"ASSIGNMENT ?= {ASSIGNMENT}" in student
    if shutil.which("make"):
        dry = subprocess.run(["make", "-n", "check"], cwd=release, check=False, capture_output=True, text=True, timeout=60)
        assert dry.returncode == 0, dry.stderr
        assert f".venv/bin/grader check assignments/{ASSIGNMENT} --assignment {ASSIGNMENT}" in dry.stdout


def test_student_readme_explains_filling_in_checking_and_pull_requests(release: Path) -> None:
    readme = (release / "README.md").read_text(encoding="utf-8")
    for words in ("Fill this blank!", "make check", "pull request", "FINGERPRINTS.json", f"assignments/{ASSIGNMENT}/"):
        assert words in readme


# -- the workflows ----------------------------------------------------------------------------------------


def load_yaml(path: Path) -> dict:
    yaml = pytest.importorskip("ruamel.yaml", reason="ruamel.yaml (installed with the dev extra) reads workflows")
    return yaml.YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 readers turn the key `on` into True


def test_workflows_are_valid_for_github(release: Path) -> None:
    pytest.importorskip("check_jsonschema", reason="check-jsonschema (the dev extra: pip install -e '.[dev]') "
                        "validates workflows against GitHub's schema")
    files = [COURSE_WORKFLOW, release / ".github" / "workflows" / "grade.yml"]
    run = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                          *map(str, files)], check=False, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    bad = release.parent / "bad.yml"
    bad.write_text("on: pull_request\njobs:\n  a:\n    runs_on: ubuntu-latest\n    steps: []\n")
    run = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                          str(bad)], check=False, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0, "the validator accepts anything"
    for path in files:
        for step in next(iter(load_yaml(path)["jobs"].values()))["steps"]:
            if "run" in step:
                syntax = subprocess.run(["bash", "-n"], input=step["run"], check=False, capture_output=True, text=True)
                assert syntax.returncode == 0, (path.name, step.get("name"), syntax.stderr)


def test_grade_workflow_does_what_the_course_promises(release: Path) -> None:
    workflow = load_yaml(release / ".github" / "workflows" / "grade.yml")
    assert set(triggers(workflow)) == {"pull_request"}
    steps = workflow["jobs"]["grade"]["steps"]
    uses = {step["uses"].split("@")[0]: step for step in steps if "uses" in step}
    assert {"actions/checkout", "actions/setup-python", "actions/upload-artifact"} <= set(uses)
    assert uses["actions/setup-python"]["with"]["python-version"] == "3.11"  # a string, not the float 3.11
    assert uses["actions/setup-python"]["with"]["cache"] == "pip"
    script = "\n".join(step.get("run", "") for step in steps)
    for piece in ("pip install -e .", 'git diff --name-only "origin/$BASE...HEAD"',
                  'git show "origin/$BASE:checks/FINGERPRINTS.json"', "grader verify-checks --fingerprints",
                  'git checkout "origin/$BASE" -- checks/', "--format github", "--json", "GITHUB_STEP_SUMMARY"):
        assert piece in script, piece
    # Paths a student controls never reach a shell as ${{ }} text (script injection).
    assert "${{" not in script


def test_course_workflow_runs_make_test_on_push_and_pull_request() -> None:
    workflow = load_yaml(COURSE_WORKFLOW)
    assert set(triggers(workflow)) == {"push", "pull_request"}
    steps = workflow["jobs"]["test"]["steps"]
    python = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11" and python["with"]["cache"] == "pip"
    assert any(step.get("run", "").startswith("make test") for step in steps)


# -- end to end -------------------------------------------------------------------------------------------


def release_env(root: Path) -> dict[str, str]:
    """Run the release's own grader: its folder first on the path, for the child pytest processes too."""
    return os.environ | {"PYTHONPATH": str(root.resolve()), "PYTHONDONTWRITEBYTECODE": "1"}


@pytest.mark.slow
def test_make_check_in_the_release_grades_with_the_releases_own_grader(tmp_path: Path) -> None:
    root = build_release(tmp_path / "release", [ASSIGNMENT])
    env = release_env(root)
    where = subprocess.run([sys.executable, "-c", "import grader.assignment as r; print(r.__file__, r.DEFAULT_CHECKS)"],
                           cwd=root, env=env, check=False, capture_output=True, text=True, timeout=60)
    module, checks = where.stdout.split()
    assert Path(module).is_relative_to(root.resolve()) and Path(checks) == (root / "checks").resolve()
    # What `make check` runs (test_student_makefile_checks_like_the_course_makefile), with this interpreter.
    command = [sys.executable, "-m", "grader.cli", "check", f"assignments/{ASSIGNMENT}", "--assignment", ASSIGNMENT]
    untouched = subprocess.run(command, cwd=root, env=env, check=False, capture_output=True, text=True, timeout=600)
    assert untouched.returncode == 1, untouched.stdout + untouched.stderr
    assert "Total: 0 of 33 points." in untouched.stdout and "not implemented yet" in untouched.stdout
    shutil.copy(SOLUTION, root / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.py")
    solved = subprocess.run(command, cwd=root, env=env, check=False, capture_output=True, text=True, timeout=600)
    assert solved.returncode == 0, solved.stdout + solved.stderr
    assert "Total: 33 of 33 points." in solved.stdout
    assert "hidden_sizes" not in solved.stdout and "dropout_argument" not in solved.stdout


def git(repo: Path, *args: str) -> str:
    env = os.environ | {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull,
                        "GIT_CONFIG_NOSYSTEM": "1"}
    run = subprocess.run(["git", *args], cwd=repo, env=env, check=False, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None or shutil.which("bash") is None, reason="needs git and bash")
def test_grade_workflow_steps_on_a_pull_request_that_edits_the_checks(tmp_path: Path) -> None:
    """Run the workflow's own shell steps on a local pull request: it grades with the base branch's checks."""
    repo = build_release(tmp_path / "repo", [ASSIGNMENT])
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "release")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    base_checks = {p.relative_to(repo): p.read_bytes() for p in release_files(repo / "checks")}
    git(repo, "switch", "-q", "-c", "student")
    with open(repo / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.py", "a", encoding="utf-8") as template:
        template.write("# my work\n")
    modes = repo / "checks" / ASSIGNMENT / "check_2_modes.py"
    modes.write_text(modes.read_text(encoding="utf-8").replace("points(2)", "points(0)"), encoding="utf-8")
    (repo / "checks" / ASSIGNMENT / "check_0_free.py").write_text("def check_free():\n    pass\n")
    (repo / "checks" / FINGERPRINTS).write_text("{}")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "homework")

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "grader").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m grader.cli "$@"\n')
    (bin_dir / "grader").chmod(0o755)
    runner_temp, summary = tmp_path / "runner-temp", tmp_path / "summary.md"
    runner_temp.mkdir()
    workflow = load_yaml(repo / ".github" / "workflows" / "grade.yml")
    job = workflow["jobs"]["grade"]
    steps = {step["id"]: step for step in job["steps"] if "id" in step}
    outputs: dict[str, dict[str, str]] = {}
    context = {"${{ github.base_ref }}": "main"}

    def run_step(step_id: str) -> subprocess.CompletedProcess[str]:
        output_file = tmp_path / f"output-{step_id}"
        output_file.write_text("")
        env = {**job.get("env", {}), **steps[step_id].get("env", {})}
        for key, value in env.items():
            for expression, replacement in context.items():
                value = str(value).replace(expression, replacement)
            assert "${{" not in value, f"{key}: an expression this test does not know: {value}"
            env[key] = value
        env |= release_env(repo) | {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GITHUB_OUTPUT":
                                    str(output_file), "GITHUB_STEP_SUMMARY": str(summary),
                                    "RUNNER_TEMP": str(runner_temp)}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", steps[step_id]["run"]],
                              cwd=repo, env=env, check=False, capture_output=True, text=True, timeout=600)
        outputs[step_id] = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
        for key, value in outputs[step_id].items():
            context[f"${{{{ steps.{step_id}.outputs.{key} }}}}"] = value
        return done

    changed = run_step("changed")
    assert changed.returncode == 0, changed.stderr
    assert outputs["changed"]["assignments"] == ASSIGNMENT

    verify = run_step("verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert outputs["verify"]["edited"] == "true"
    assert f"edited: {ASSIGNMENT}/check_2_modes.py" in verify.stdout
    assert f"extra: {ASSIGNMENT}/check_0_free.py" in verify.stdout
    assert "::warning title=checks edited::" in verify.stdout
    assert {p.relative_to(repo): p.read_bytes() for p in release_files(repo / "checks")} == base_checks
    assert "This pull request edits the checks" in summary.read_text(encoding="utf-8")

    grade = run_step("grade")
    assert grade.returncode == 1, grade.stdout + grade.stderr  # an untouched template is below full marks
    assert f"::error file=assignments/{ASSIGNMENT}/{ASSIGNMENT}.py" in grade.stdout
    report = json.loads((repo / "reports" / ASSIGNMENT / "report.json").read_text(encoding="utf-8"))
    assert report["points"] == 0 and report["max_points"] == 33
    table = summary.read_text(encoding="utf-8").split(f"### {ASSIGNMENT}: ", 1)[1]
    assert table.startswith("0 of 33 points")
    assert "| train_mode_behaviour | 0/2 |" in table  # the base's points, not the edited 0/0
    assert "| free |" not in table  # the check the pull request added was removed before grading


def test_notebooks_install_from_the_given_repository_and_the_readme_shows_both_ways(tmp_path: Path) -> None:
    url = "https://github.com/example-course/dl-homework.git"
    out = build_release(tmp_path / "release", [ASSIGNMENT], repository=url)
    nb = nbformat.read(out / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    install = nb.cells[0]
    assert "install-cell" in install.metadata["tags"] and f'REPOSITORY = "{url}"' in install.source
    assert f'check = Checker("{ASSIGNMENT}")' in install.source
    # Only that line differs from the committed template's notebook.
    template = nbformat.read(PROJECT_ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert [c.source for c in nb.cells[1:]] == [c.source for c in template.cells[1:]]
    readme = (out / "README.md").read_text(encoding="utf-8")
    for words in ("make check", 'check("load_mnist")', "check()", url, "Colab", "셀", f"git switch -c {ASSIGNMENT}"):
        assert words in readme  # hw1's first blank (its notebook's first check cell) and its own branch name
    other = plan_release(["hw2_from_scratch"], repository=url)[Path("README.md")].decode("utf-8")
    assert 'check("SGD")' in other and "git switch -c hw2_from_scratch" in other and "hw1" not in other
    with pytest.raises(ReleaseError, match="not a repository address"):
        build_release(tmp_path / "bad", [ASSIGNMENT], repository='x"; import os')
