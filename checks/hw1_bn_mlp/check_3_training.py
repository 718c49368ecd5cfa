"""Checks of data loading, loss, optimizer, train_epoch, evaluate and predict_one."""

from __future__ import annotations

import contextlib
import math
import operator
import random
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, RandomSampler, SequentialSampler, TensorDataset

from grader.checking import fail, require
from grader.kits.mnist.data import official_items
from grader.kits.mnist.loaders import TensorLoader
from grader.kits.mnist.spies import FakeDigits, LabelReader, RecordingLoss, WatchedAdam, small_bn_model
from grader.protocol import Evidence
from grader.tensors import plain

# What the criterion and optimizer checks send the grader, which judges them against the reference objects
# (judge_criterion, judge_optimizer). Seed-free inputs, so both processes build the same ones.
OPTIMIZER_LR, OPTIMIZER_STEPS = 0.01, 3
M = TypeVar("M", bound=nn.Module)


def criterion_outputs(criterion: object) -> list[torch.Tensor]:
    """[loss, d loss / d logits] of `criterion` on fixed logits (8 x 10) and targets 0..7."""
    logits = torch.linspace(-3.0, 3.0, 80).reshape(8, 10).requires_grad_()
    loss = criterion(logits, torch.arange(8))  # type: ignore[operator]
    loss.backward()
    gradient = logits.grad if logits.grad is not None else torch.full_like(logits, math.nan)  # none: no gradient
    return [plain(loss).reshape(1), plain(gradient)]


def optimizer_probe() -> nn.Sequential:
    """small_bn_model with fixed parameters."""
    return fixed(small_bn_model(), spread=0.5)


def fixed(model: M, spread: float = 0.05) -> M:
    """`model` with parameters that depend on nothing random: evenly spaced in -spread..spread."""
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.linspace(-spread, spread, parameter.numel()).reshape(parameter.shape))
    return model


def stepped_parameters(model: nn.Module, optimizer: torch.optim.Optimizer) -> list[torch.Tensor]:
    """The parameters after OPTIMIZER_STEPS steps of `optimizer` with fixed gradients."""
    for _ in range(OPTIMIZER_STEPS):
        for index, parameter in enumerate(model.parameters()):
            parameter.grad = torch.linspace(-1.0, 1.0, parameter.numel()).reshape(parameter.shape) * (index + 1)
        optimizer.step()
    return [plain(parameter) for parameter in model.parameters()]


def fake_loader(n: int = 200, batch_size: int = 20, right_every: int = 4) -> TensorLoader:
    """n fake digits; LabelReader answers right on all but every `right_every`-th image."""
    labels = [i % 10 for i in range(n)]
    digits = FakeDigits(labels, [i % right_every != 0 for i in range(n)])
    return TensorLoader(digits.images(), digits.targets, batch_size, dataset=digits)


# What the grader re-judges in its own process (grader/judging.py): each check below also runs the student's
# function on inputs drawn from the challenge seed and records the result; the check's judge_* function
# compares it with what this module's reference code gives on the same inputs. The reference code, and the
# judges that show how a function should behave, sit in HIDDEN regions: students' copies must not hold answers.

def challenge_digits(seed: int, n: int = 200) -> FakeDigits:
    """n fake digits: about 80% answered right by LabelReader, half of those trapped (see LabelReader)."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=generator).tolist()
    right = (torch.rand(n, generator=generator) < 0.8).tolist()
    trapped = (torch.rand(n, generator=generator) < 0.5).tolist()
    right[0] = trapped[0] = True  # so a model run the wrong way always gets one more image wrong
    return FakeDigits(labels, right, trapped, generator=generator)


def challenge_loader(seed: int) -> TensorLoader:
    digits = challenge_digits(seed)
    return TensorLoader(digits.images(), digits.targets, 20, dataset=digits)


def number_or_none(value: object) -> float | None:
    with contextlib.suppress(TypeError, ValueError, RuntimeError):
        return float(value)  # type: ignore[arg-type]
    return None


### BEGIN HIDDEN
def reference_train_epoch(model: nn.Module, loader: TensorLoader, criterion: nn.Module,
                          optimizer: torch.optim.Optimizer, device: str = "cpu") -> float:
    model.train()
    cost = 0.0
    for images, labels in loader:
        optimizer.zero_grad()
        loss = criterion(model(images.view(-1, 784)), labels)
        loss.backward()
        optimizer.step()
        cost += loss.item() / len(loader)
    return cost


def reference_evaluate(model: nn.Module, loader: TensorLoader, device: str = "cpu") -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += int((model(images.view(-1, 784)).argmax(dim=1) == labels).sum())
    return correct / len(loader.labels)
### END HIDDEN


def linear_probe() -> nn.Sequential:
    """A linear model that takes flat or image-shaped batches, whatever the student's loop feeds it."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))


def batchnorm_after_train_epoch(train_epoch: Callable[..., object], seed: int) -> list[torch.Tensor]:
    """BatchNorm's buffers after one epoch at lr=0 of a model handed over in eval mode: they change only if
    train_epoch runs the model in train mode, whatever it does with gradients and costs."""
    model = fixed(small_bn_model()).eval()
    train_epoch(model, challenge_loader(seed), nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.0),
                "cpu")
    return [plain(buffer) for buffer in model[2].buffers()]  # small_bn_model's BatchNorm1d


def cost_at_rest(train_epoch: Callable[..., object], seed: int) -> float | None:
    """What train_epoch returns for a linear model at lr=0, whose batch losses the grader can compute."""
    model = fixed(linear_probe())
    return number_or_none(train_epoch(model, challenge_loader(seed), nn.CrossEntropyLoss(),
                                      torch.optim.SGD(model.parameters(), lr=0.0), "cpu"))


def parameters_after_train_epoch(train_epoch: Callable[..., object], seed: int) -> list[torch.Tensor]:
    """A linear model's parameters after one epoch of SGD (lr=0.1): one step per batch, each on that batch's
    gradient alone; a linear model has no train/eval difference, so the mode does not matter."""
    model = fixed(linear_probe())
    train_epoch(model, challenge_loader(seed), nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1),
                "cpu")
    return [plain(parameter) for parameter in model.parameters()]


def evaluation_of(evaluate: Callable[..., object], seed: int, traps: tuple[str, ...]) -> float | None:
    """What evaluate returns for a LabelReader with `traps`, handed over in train mode."""
    return number_or_none(evaluate(LabelReader(traps).train(), challenge_loader(seed), "cpu"))


def evaluation_key(traps: tuple[str, ...]) -> str:
    return "evaluate:" + ("+".join(traps) or "plain")


def record_evaluations(artifacts: dict[str, object], evaluate: Callable[..., object], seed: int,
                       *traps_list: tuple[str, ...]) -> None:
    for traps in traps_list:
        key = evaluation_key(traps)
        if key not in artifacts:
            artifacts[key] = evaluation_of(evaluate, seed, traps)


def as_number(value: object, what: str) -> float:
    __tracebackhide__ = True
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        fail(f"{what} should return a number, but it returned {type(value).__name__}.")


@pytest.mark.points(1)
def check_load_mnist(submission: ModuleType, mnist_root: Path, artifacts: dict[str, object],
                     challenge: int) -> None:
    """load_mnist gives the 60,000 training and 10,000 test images as ToTensor() tensors in 0..1."""
    train, test = submission.load_mnist(str(mnist_root))
    artifacts["load_mnist"] = mnist_items(train, test, challenge)
    require((len(train), len(test)) == (60000, 10000), f"load_mnist should return (train, test) with 60000 and "
            f"10000 images, got {len(train)} and {len(test)}.")
    for name, dataset in (("train", train), ("test", test)):
        image, _ = dataset[0]
        require(isinstance(image, torch.Tensor) and tuple(image.shape) == (1, 28, 28),
                f"each MNIST {name} item should be a 1x28x28 tensor: pass transform=transforms.ToTensor().")
        require(0.5 < float(image.max()) <= 1.0,
                f"MNIST {name} images should be scaled to 0..1 by transforms.ToTensor().")


def mnist_indices(seed: int) -> list[int]:
    return [0, random.Random(seed).randrange(10000), 9999]


def mnist_items(train: object, test: object, seed: int) -> dict[str, object]:
    """The sizes of the two datasets and a few of their items, as (image, label) pairs."""
    items: dict[str, object] = {}
    for name, dataset in (("train", train), ("test", test)):
        with contextlib.suppress(Exception):  # the check says what is wrong with a dataset that fails here
            items[f"{name}_size"] = len(dataset)  # type: ignore[arg-type]
            pairs = [dataset[i] for i in mnist_indices(seed)]  # type: ignore[index]
            items[name] = [(plain(image), int(label)) for image, label in pairs]
    return items


def judge_load_mnist(evidence: Evidence) -> None:
    items = evidence.get("load_mnist")
    if not isinstance(items, dict):
        fail("the grader received nothing from load_mnist to verify this check.")
    for name, size in (("train", 60000), ("test", 10000)):
        require(items.get(f"{name}_size") == size, f"the {name} set load_mnist returned does not hold {size} images.")
        expected = official_items(evidence.data_root, train=name == "train", indices=mnist_indices(evidence.challenge))
        got = items.get(name)
        require(isinstance(got, list) and len(got) == len(expected) and all(
            isinstance(image, torch.Tensor) and image.shape == want.shape and torch.allclose(image, want)
            and label == want_label for (image, label), (want, want_label) in zip(got, expected)),
            f"the grader's check of a few MNIST {name} images: they are not the 1x28x28 ToTensor() images "
            "(0..1) of the official files (use torchvision.datasets.MNIST with transform=transforms.ToTensor()).")


def loader_datasets() -> tuple[TensorDataset, TensorDataset]:
    """350 training and 150 test items whose labels say which item they are (test labels from 1000)."""
    return (TensorDataset(torch.zeros(350, 1, 28, 28), torch.arange(350)),
            TensorDataset(torch.zeros(150, 1, 28, 28), torch.arange(1000, 1150)))


def batches_of(train: object, test: object, seed: int) -> dict[str, object]:
    """The labels of every batch each loader yields, the train loader's drawn after seeding torch with `seed`."""
    batches: dict[str, object] = {}
    for name, loader in (("train", train), ("test", test)):
        with contextlib.suppress(Exception):  # the check says what is wrong with a loader that fails here
            torch.manual_seed(seed)
            batches[name] = [plain(labels) for _, labels in loader]  # type: ignore[attr-defined]
    return batches


### BEGIN HIDDEN
def judge_loaders(evidence: Evidence) -> None:
    train_set, test_set = loader_datasets()
    expected = batches_of(DataLoader(train_set, batch_size=100, shuffle=True, drop_last=True),
                          DataLoader(test_set, batch_size=100), evidence.challenge)
    got = evidence.get("loaders")
    if not isinstance(got, dict):
        fail("the grader received no batches from your loaders to verify this check.")
    for name, what in (("train", "shuffled batches of batch_size with the last incomplete one dropped"),
                       ("test", "every test item once, in order")):
        require(same_tensor_lists(got.get(name), expected[name]),  # type: ignore[arg-type]
                f"the grader's own run of your {name} loader does not give {what}.")
### END HIDDEN


def same_tensor_lists(sent: object, expected: list[torch.Tensor], rtol: float = 0.0, atol: float = 0.0) -> bool:
    if not isinstance(sent, list) or len(sent) != len(expected):
        return False
    try:
        for got, want in zip(sent, expected):
            torch.testing.assert_close(got, want, rtol=rtol, atol=atol)
    except (AssertionError, TypeError, ValueError, RuntimeError):
        return False
    return True


@pytest.mark.points(2)
def check_loaders(submission: ModuleType, artifacts: dict[str, object], challenge: int) -> None:
    """The train loader shuffles and drops the last incomplete batch; the test loader keeps every image in order."""
    train_set, test_set = loader_datasets()
    train, test = submission.make_loaders(train_set, test_set, 100)
    artifacts["loaders"] = batches_of(train, test, challenge)
    require(isinstance(train, DataLoader) and isinstance(test, DataLoader),
            "make_loaders should return two torch.utils.data.DataLoader objects.")
    require(train.dataset is train_set and test.dataset is test_set, "the train loader should read mnist_train "
            "and the test loader mnist_test, in that order.")
    require(train.batch_size == 100, f"the train loader should use batch_size (100), not {train.batch_size}.")
    require(isinstance(train.sampler, RandomSampler), "the train loader should shuffle (shuffle=True).")
    require(train.drop_last, "the train loader should drop the last incomplete batch (drop_last=True).")
    require(isinstance(test.sampler, SequentialSampler) and not test.drop_last,
            "the test loader should read every test image once: shuffle=False and drop_last=False.")


@pytest.mark.points(1)
def check_criterion(submission: ModuleType, artifacts: dict[str, object]) -> None:
    """make_criterion returns a loss that computes cross-entropy (its loss and gradients on the grader's logits)."""
    criterion = submission.make_criterion()
    require(callable(criterion), f"make_criterion should return a loss function such as "
            f"torch.nn.CrossEntropyLoss(), not {type(criterion).__name__}.")
    artifacts["criterion_outputs"] = outputs = criterion_outputs(criterion)
    # Judged by what it computes, not its type: F.cross_entropy is as right as nn.CrossEntropyLoss().
    require(same_tensor_lists(outputs, criterion_outputs(nn.CrossEntropyLoss()), rtol=1e-4, atol=1e-6),
            f"make_criterion's {getattr(criterion, '__name__', type(criterion).__name__)} does not give "
            "cross-entropy's loss and gradients on the logits of a batch: return torch.nn.CrossEntropyLoss() "
            "(it applies the softmax itself).")


def judge_criterion(evidence: Evidence) -> None:
    require(same_tensor_lists(evidence.get("criterion_outputs"), criterion_outputs(nn.CrossEntropyLoss()),
                              rtol=1e-4, atol=1e-6),
            "the grader's own run of your criterion does not give CrossEntropyLoss's loss and gradients "
            "(make_criterion should return torch.nn.CrossEntropyLoss()).")


@pytest.mark.points(1)
def check_optimizer(submission: ModuleType, artifacts: dict[str, object]) -> None:
    """make_optimizer returns Adam over all the model's parameters with the given learning rate."""
    model = small_bn_model()
    optimizer = submission.make_optimizer(model, 0.1)
    require(isinstance(optimizer, torch.optim.Adam),
            f"make_optimizer should return torch.optim.Adam, not {type(optimizer).__name__}.")
    params = {id(p) for group in optimizer.param_groups for p in group["params"]}
    require(params == {id(p) for p in model.parameters()}, "the optimizer should update all model.parameters().")
    rates = {group["lr"] for group in submission.make_optimizer(model, 0.01).param_groups}
    require(rates == {0.01}, f"make_optimizer(model, lr=0.01) should use lr=0.01, but uses {sorted(rates)}.")
    probe = optimizer_probe()
    artifacts["optimizer_steps"] = stepped_parameters(probe, submission.make_optimizer(probe, OPTIMIZER_LR))


def judge_optimizer(evidence: Evidence) -> None:
    probe = optimizer_probe()
    expected = stepped_parameters(probe, torch.optim.Adam(probe.parameters(), lr=OPTIMIZER_LR))
    require(same_tensor_lists(evidence.get("optimizer_steps"), expected, rtol=1e-4, atol=1e-6),
            f"the grader's own check of your optimizer's first {OPTIMIZER_STEPS} steps does not match "
            f"torch.optim.Adam(model.parameters(), lr={OPTIMIZER_LR}).")


def run_train_epoch(submission: ModuleType, model: nn.Module, loader: TensorLoader
                    ) -> tuple[object, RecordingLoss, WatchedAdam]:
    criterion, optimizer = RecordingLoss(), WatchedAdam(model, lr=0.01)
    cost = submission.train_epoch(model, loader, criterion, optimizer, "cpu")
    return cost, criterion, optimizer


@pytest.mark.points(2)
def check_train_epoch_mode(submission: ModuleType, artifacts: dict[str, object], challenge: int) -> None:
    """train_epoch switches a model that evaluate left in eval mode back to train mode."""
    artifacts["train_epoch:batchnorm"] = batchnorm_after_train_epoch(submission.train_epoch, challenge)
    model = small_bn_model().eval()
    modes: list[bool] = []
    model.register_forward_pre_hook(lambda m, _: modes.append(m.training))
    run_train_epoch(submission, model, fake_loader())
    require(bool(modes), "train_epoch never ran the model.")
    require(all(modes), "train_epoch trained a model left in eval mode without switching it back: call "
            "model.train() at the start of train_epoch.")


### BEGIN HIDDEN
def judge_train_epoch_mode(evidence: Evidence) -> None:
    require_as_reference(evidence, "train_epoch:batchnorm", batchnorm_after_train_epoch,
                         "the grader's own check: after train_epoch on a model handed over in eval mode, its "
                         "BatchNorm statistics are not those of one pass in train mode over the batches (call "
                         "model.train() first).")


def require_as_reference(evidence: Evidence, key: str,
                         observe: Callable[[Callable[..., object], int], list[torch.Tensor]], message: str) -> None:
    """What the student's train_epoch left (recorded under `key`) is what the reference train_epoch leaves."""
    expected = observe(reference_train_epoch, evidence.challenge)
    require(same_tensor_lists(evidence.get(key), expected, rtol=1e-4, atol=1e-6), message)
### END HIDDEN


@pytest.mark.points(2)
def check_train_epoch_steps(submission: ModuleType, artifacts: dict[str, object], challenge: int) -> None:
    """train_epoch takes one optimizer step per batch, with gradients zeroed before each backward pass."""
    artifacts["train_epoch:parameters"] = parameters_after_train_epoch(submission.train_epoch, challenge)
    loader = fake_loader()
    _, _, optimizer = run_train_epoch(submission, small_bn_model(), loader)
    require(optimizer.steps == len(loader), f"train_epoch should call optimizer.step() once per batch "
            f"({len(loader)}), but called it {optimizer.steps} times.")
    require(optimizer.accumulated_steps == 0, "gradients piled up across batches: call optimizer.zero_grad() "
            "before each loss.backward().")


### BEGIN HIDDEN
def judge_train_epoch_steps(evidence: Evidence) -> None:
    require_as_reference(evidence, "train_epoch:parameters", parameters_after_train_epoch,
                         "the grader's own check: one epoch of your train_epoch with SGD does not leave a model's "
                         "parameters where one step per batch, each on that batch's gradient alone, does "
                         "(zero_grad, backward, step).")
### END HIDDEN


@pytest.mark.points(1)
def check_train_epoch_cost(submission: ModuleType, artifacts: dict[str, object], challenge: int) -> None:
    """train_epoch returns the average of the epoch's batch losses."""
    artifacts["train_epoch:cost"] = cost_at_rest(submission.train_epoch, challenge)
    cost, criterion, _ = run_train_epoch(submission, small_bn_model(), fake_loader())
    value = as_number(cost, "train_epoch")
    require(bool(criterion.losses), "train_epoch never called the criterion.")
    expected = sum(criterion.losses) / len(criterion.losses)
    require(math.isclose(value, expected, rel_tol=1e-4), f"train_epoch returned {value:.6f}, but the average "
            f"batch loss of the epoch was {expected:.6f}: add loss / len(loader) for every batch.")


### BEGIN HIDDEN
def judge_train_epoch_cost(evidence: Evidence) -> None:
    cost, expected = evidence.get("train_epoch:cost"), cost_at_rest(reference_train_epoch, evidence.challenge)
    require(isinstance(cost, float) and math.isclose(cost, expected or math.nan, rel_tol=1e-4),
            f"the grader's own check: train_epoch returned {cost} where the epoch's average batch loss "
            f"was {expected}.")
### END HIDDEN


@pytest.mark.points(2)
def check_evaluate_mode(submission: ModuleType, artifacts: dict[str, object], challenge: int) -> None:
    """evaluate runs the model in eval mode with autograd off."""
    record_evaluations(artifacts, submission.evaluate, challenge, (), ("train", "grad"))
    spy = LabelReader().train()
    submission.evaluate(spy, fake_loader(), "cpu")
    require(bool(spy.calls), "evaluate never ran the model.")
    require(not any(training for training, _, _ in spy.calls), "evaluate ran the model in train mode: call "
            "model.eval() before testing, so dropout is off and BatchNorm uses its running statistics.")
    require(not any(grad for _, grad, _ in spy.calls), "evaluate ran the model with autograd on: wrap the "
            "test code in `with torch.no_grad():`.")


### BEGIN HIDDEN
def judge_evaluate_mode(evidence: Evidence) -> None:
    require_same_evaluation(evidence, ("train", "grad"), "in eval mode with autograd off (model.eval() and "
                            "torch.no_grad())")


def require_same_evaluation(evidence: Evidence, traps: tuple[str, ...], run_right: str) -> None:
    """evaluate reports the same for a model that answers wrong when run the wrong way as for one that does not,
    and what it reports for the latter is the known accuracy in some form (0..1, percent or a count)."""
    plain_result, trapped = evidence.get(evaluation_key(())), evidence.get(evaluation_key(traps))
    loader = challenge_loader(evidence.challenge)
    accuracy = reference_evaluate(LabelReader(), loader)
    forms = (accuracy, 100 * accuracy, accuracy * len(loader.labels))
    require(isinstance(plain_result, float) and any(math.isclose(plain_result, f, rel_tol=1e-6) for f in forms),
            f"the grader cannot confirm how evaluate runs the model: for a model with accuracy {accuracy:g} it "
            f"returned {plain_result} (see the evaluate_accuracy check).")
    require(isinstance(trapped, float) and math.isclose(trapped, plain_result, rel_tol=1e-6),  # type: ignore[arg-type]
            f"the grader's own check: evaluate reported {trapped} for a model that scores {plain_result} only "
            f"when run {run_right}.")
### END HIDDEN


@pytest.mark.points(1)
def check_evaluate_accuracy(submission: ModuleType, artifacts: dict[str, object], challenge: int) -> None:
    """evaluate returns the fraction of test images predicted right, between 0 and 1."""
    record_evaluations(artifacts, submission.evaluate, challenge, ())
    accuracy = as_number(submission.evaluate(LabelReader(), fake_loader(right_every=4), "cpu"), "evaluate")
    require(math.isclose(accuracy, 0.75, abs_tol=1e-6), f"evaluate returned {accuracy:g} for a model that gets "
            "exactly 75% of the images right; it should return 0.75 (correct / total).")


### BEGIN HIDDEN
def judge_evaluate_accuracy(evidence: Evidence) -> None:
    got = evidence.get(evaluation_key(()))
    accuracy = reference_evaluate(LabelReader(), challenge_loader(evidence.challenge))
    require(isinstance(got, float) and math.isclose(got, accuracy, abs_tol=1e-6), f"the grader's own check: "
            f"evaluate returned {got} for a model that gets {accuracy:g} of the images right.")
### END HIDDEN


@pytest.mark.points(1)
def check_evaluate_scale(submission: ModuleType, artifacts: dict[str, object], challenge: int) -> None:
    """evaluate feeds the model images on the 0..1 scale it was trained on."""
    record_evaluations(artifacts, submission.evaluate, challenge, (), ("0..255",))
    spy = LabelReader()
    submission.evaluate(spy, fake_loader(), "cpu")
    top = max((pixel for _, _, pixel in spy.calls), default=0.0)
    require(top <= 1.0, f"evaluate fed the model pixel values up to {top:g}, but it was trained on ToTensor() "
            "images in 0..1: use the images the loader yields, not dataset.data / test_data (0..255).")


### BEGIN HIDDEN
def judge_evaluate_scale(evidence: Evidence) -> None:
    require_same_evaluation(evidence, ("0..255",), "on the loader's 0..1 images")
### END HIDDEN


@pytest.mark.points(1)
def check_predict_one(submission: ModuleType, artifacts: dict[str, object], challenge: int) -> None:
    """predict_one returns the predicted digit as an int, in eval mode, on the 0..1 scale."""
    artifacts["predict_one"] = prediction_of(submission.predict_one, challenge)
    digits = FakeDigits([7, 3], [True, True])
    spy = LabelReader().train()
    answer = submission.predict_one(spy, digits[0][0], "cpu")
    try:
        digit = operator.index(answer)
    except TypeError:
        fail(f"predict_one should return the digit as an int, not {type(answer).__name__}.")
    require(bool(spy.calls) and not spy.calls[-1][0], "predict_one should put the model in eval mode.")
    require(spy.calls[-1][2] <= 1.0, "predict_one fed the model 0..255 pixels: use the 0..1 image it was given.")
    require(digit == 7, f"predict_one returned {digit} for an image the model classifies as 7.")


def prediction_of(predict_one: Callable[..., object], seed: int) -> int | None:
    """predict_one's answer for an image a LabelReader gets right only in eval mode on the 0..1 scale."""
    image = challenge_digits(seed)[0][0]
    answer = predict_one(LabelReader(("train", "0..255")).train(), image, "cpu")
    with contextlib.suppress(TypeError):
        return operator.index(answer)  # type: ignore[arg-type]  # not an index: TypeError
    return None


def judge_predict_one(evidence: Evidence) -> None:
    got, label = evidence.get("predict_one"), int(challenge_digits(evidence.challenge).targets[0])
    require(got == label, f"the grader's own check: predict_one returned {got} for an image a model in eval mode "
            f"classifies as {label} (on the 0..1 scale, as an int).")

