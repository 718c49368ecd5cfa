"""grader/observe.py: what the hidden checks need observed reaches the grading process as data, and each
observation that fails or hangs is missing, never fatal."""

from __future__ import annotations

import time
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
import torch
from torch import nn

from grader import observe
from grader.judging import replica_key
from grader.release import released_checks
from grader.replica import rebuild
from grader.runner import suite_dir
from grader.suite import load_suite

SUITE = load_suite(suite_dir("hw1_bn_mlp"))


def student(**functions: object) -> ModuleType:
    module = ModuleType("hw1_bn_mlp")
    vars(module).update(functions)
    return module


def build_model(hidden: tuple[int, int] = (100, 100), p: float = 0.3) -> nn.Sequential:
    return nn.Sequential(nn.Linear(784, hidden[0]), nn.ReLU(), nn.Dropout(p), nn.Linear(hidden[0], 10))


def test_the_suite_declares_what_its_hidden_checks_need() -> None:
    kinds = {(r["kind"], str(r.get("kwargs") if r["kind"] == "model" else r.get("key"))) for r in SUITE.observations}
    assert kinds == {("model", "{'hidden': (200, 150)}"), ("model", "{'p': 0.5}"), ("call", "compare_rows")}
    hidden = {c.name for c in SUITE.checks if c.visibility == "hidden"}
    assert hidden == {"build_model_hidden_sizes", "build_model_dropout_argument", "compare_hidden_sizes"}


def test_the_grading_processes_copy_of_the_checks_holds_no_hidden_code() -> None:
    """What stage_checks writes: the release's copy, which has no HIDDEN region, hidden check or reference code."""
    files = released_checks(SUITE.path)
    text = "\n".join(data.decode("utf-8") for data in files.values())
    assert "BEGIN HIDDEN" not in text and "reference_train_epoch" not in text
    for name in ("build_model_hidden_sizes", "build_model_dropout_argument", "compare_hidden_sizes"):
        assert name not in text


def test_models_are_described_under_the_key_the_grader_reads() -> None:
    request = {"kind": "model", "kwargs": {"hidden": (20, 30)}}
    seen = observe.observe_all([request], student(build_model=build_model), Path("/nonexistent"), torch.device("cpu"))
    replica = rebuild(seen[replica_key(hidden=(20, 30))])
    assert [m.out_features for m in replica.layers if isinstance(m, nn.Linear)] == [20, 10]


def test_calls_get_loaders_for_their_loader_arguments_and_send_plain_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("grader.mnist_training.mnist_loaders", lambda *_a, **_k: ("TRAIN", "TEST"))

    def compare(configs, train, test, epochs, lr, device):
        return [{"hidden": tuple(c), "loaders": [train, test], "cost": torch.tensor(0.5), "lr": lr} for c in configs]

    request = {"kind": "call", "function": "compare", "key": "rows", "args": [[(1, 2)], "$train_loader", "$test_loader"],
               "kwargs": {"epochs": 1, "lr": 0.1}}
    seen = observe.observe_all([request], student(compare=compare), Path("/x"), torch.device("cpu"))
    assert seen == {"rows": [{"hidden": [1, 2], "loaders": ["TRAIN", "TEST"], "cost": 0.5, "lr": 0.1}],
                    "rows:built": []}


def test_the_networks_build_model_builds_during_a_call_are_described_as_built_and_as_left(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the call then does with them or with the data: the rows are claims, the networks evidence."""
    monkeypatch.setattr("grader.mnist_training.mnist_loaders", lambda *_a, **_k: ("TRAIN", "TEST"))
    module = ModuleType("hw1_bn_mlp")
    exec(STUDENT_WHO_TRAINS, vars(module))  # noqa: S102 - a student's module, as import_submission makes one
    original = module.build_model
    request = {"kind": "call", "function": "compare", "key": "rows", "args": [[(5, 6), (7, 8)], "$train_loader",
                                                                             "$test_loader"], "kwargs": {}}
    pairs = observe.observe_call(request, module, Path("/x"), torch.device("cpu"))["rows:built"]
    assert [[m.out_features for m in rebuild(p["final"]).layers if isinstance(m, nn.Linear)] for p in pairs] == [
        [5, 10], [7, 10]]
    for pair in pairs:
        initial, final = rebuild(pair["initial"]), rebuild(pair["final"])
        torch.testing.assert_close(final.layers[0].weight, initial.layers[0].weight + 1.0)
    assert module.build_model is original  # put back after the call


STUDENT_WHO_TRAINS = """
import torch
from torch import nn

def build_model(hidden=(100, 100), p=0.3):
    return nn.Sequential(nn.Linear(784, hidden[0]), nn.ReLU(), nn.Dropout(p), nn.Linear(hidden[0], 10))

def compare(configs, train_loader, test_loader, device="cpu"):
    for hidden in configs:
        model = build_model(hidden)
        with torch.no_grad():
            model[0].weight.add_(1.0)  # what training does, as far as the capture can tell
    return []
"""


def test_an_observation_that_fails_or_hangs_is_missing_and_the_others_are_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(observe, "OBSERVATION_TIMEOUT_S", 1)

    def hangs(**_kwargs: object) -> nn.Module:
        while True:
            try:
                time.sleep(0.01)
            except Exception:  # noqa: BLE001, S110 - what a student's loop may do; the time limit gets through
                pass

    requests = [{"kind": "call", "function": "missing", "key": "a", "args": []},
                {"kind": "model", "kwargs": {"p": 0.5}}]
    started = time.monotonic()
    seen = observe.observe_all(requests, student(build_model=hangs), Path("/x"), torch.device("cpu"))
    assert seen == {} and time.monotonic() - started < 10
    seen = observe.observe_all(requests, student(build_model=build_model), Path("/x"), torch.device("cpu"))
    assert set(seen) == {replica_key(p=0.5)}


def test_plain_data_sends_nothing_but_plain_values() -> None:
    deep: list = []
    for _ in range(10):
        deep = [deep]
    assert observe.plain_data(deep) == [[[[[[None]]]]]]
    assert observe.plain_data({1: (torch.ones(()), torch.ones(3), SimpleNamespace())})["1"][:2] == [1.0, None]
    assert len(observe.plain_data(list(range(100)))) == 20  # type: ignore[arg-type]
