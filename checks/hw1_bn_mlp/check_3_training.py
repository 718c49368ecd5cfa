"""Checks of data loading, loss, optimizer, train_epoch, evaluate and predict_one."""

from __future__ import annotations

import math
import operator
from pathlib import Path
from types import ModuleType

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, RandomSampler, SequentialSampler, TensorDataset

from grader.checking import fail, require
from grader.loaders import TensorLoader
from grader.spies import FakeDigits, LabelReader, RecordingLoss, WatchedAdam, small_bn_model
from grader.tensors import plain

# What the criterion and optimizer checks send the grader, which recomputes them with the reference objects
# (verify.py). Seed-free inputs, so both processes build the same ones.
OPTIMIZER_LR, OPTIMIZER_STEPS = 0.01, 3


def criterion_outputs(criterion: object) -> list[torch.Tensor]:
    """[loss, d loss / d logits] of `criterion` on fixed logits (8 x 10) and targets 0..7."""
    logits = torch.linspace(-3.0, 3.0, 80).reshape(8, 10).requires_grad_()
    loss = criterion(logits, torch.arange(8))  # type: ignore[operator]
    loss.backward()
    return [plain(loss).reshape(1), plain(logits.grad)]


def optimizer_probe() -> nn.Sequential:
    """small_bn_model with fixed parameters."""
    model = small_bn_model()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.linspace(-0.5, 0.5, parameter.numel()).reshape(parameter.shape))
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


def as_number(value: object, what: str) -> float:
    __tracebackhide__ = True
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        fail(f"{what} should return a number, but it returned {type(value).__name__}.")


@pytest.mark.points(1)
def check_load_mnist(submission: ModuleType, mnist_root: Path) -> None:
    """load_mnist gives the 60,000 training and 10,000 test images as ToTensor() tensors in 0..1."""
    train, test = submission.load_mnist(str(mnist_root))
    require((len(train), len(test)) == (60000, 10000), f"load_mnist should return (train, test) with 60000 and "
            f"10000 images, got {len(train)} and {len(test)}.")
    for name, dataset in (("train", train), ("test", test)):
        image, _ = dataset[0]
        require(isinstance(image, torch.Tensor) and tuple(image.shape) == (1, 28, 28),
                f"each MNIST {name} item should be a 1x28x28 tensor: pass transform=transforms.ToTensor().")
        require(0.5 < float(image.max()) <= 1.0,
                f"MNIST {name} images should be scaled to 0..1 by transforms.ToTensor().")


@pytest.mark.points(2)
def check_loaders(submission: ModuleType) -> None:
    """The train loader shuffles and drops the last incomplete batch; the test loader keeps every image in order."""
    train_set = TensorDataset(torch.zeros(350, 1, 28, 28), torch.zeros(350, dtype=torch.long))
    test_set = TensorDataset(torch.zeros(150, 1, 28, 28), torch.zeros(150, dtype=torch.long))
    train, test = submission.make_loaders(train_set, test_set, 100)
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
    """make_criterion returns CrossEntropyLoss."""
    criterion = submission.make_criterion()
    require(isinstance(criterion, nn.CrossEntropyLoss),
            f"make_criterion should return torch.nn.CrossEntropyLoss(), not {type(criterion).__name__}.")
    artifacts["criterion_outputs"] = criterion_outputs(criterion)


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


def run_train_epoch(submission: ModuleType, model: nn.Module, loader: TensorLoader
                    ) -> tuple[object, RecordingLoss, WatchedAdam]:
    criterion, optimizer = RecordingLoss(), WatchedAdam(model, lr=0.01)
    cost = submission.train_epoch(model, loader, criterion, optimizer, "cpu")
    return cost, criterion, optimizer


@pytest.mark.points(2)
def check_train_epoch_mode(submission: ModuleType) -> None:
    """train_epoch switches a model that evaluate left in eval mode back to train mode."""
    model = small_bn_model().eval()
    modes: list[bool] = []
    model.register_forward_pre_hook(lambda m, _: modes.append(m.training))
    run_train_epoch(submission, model, fake_loader())
    require(bool(modes), "train_epoch never ran the model.")
    require(all(modes), "train_epoch trained a model left in eval mode without switching it back: call "
            "model.train() at the start of train_epoch.")


@pytest.mark.points(2)
def check_train_epoch_steps(submission: ModuleType) -> None:
    """train_epoch takes one optimizer step per batch, with gradients zeroed before each backward pass."""
    loader = fake_loader()
    _, _, optimizer = run_train_epoch(submission, small_bn_model(), loader)
    require(optimizer.steps == len(loader), f"train_epoch should call optimizer.step() once per batch "
            f"({len(loader)}), but called it {optimizer.steps} times.")
    require(optimizer.accumulated_steps == 0, "gradients piled up across batches: call optimizer.zero_grad() "
            "before each loss.backward().")


@pytest.mark.points(1)
def check_train_epoch_cost(submission: ModuleType) -> None:
    """train_epoch returns the average of the epoch's batch losses."""
    cost, criterion, _ = run_train_epoch(submission, small_bn_model(), fake_loader())
    value = as_number(cost, "train_epoch")
    require(bool(criterion.losses), "train_epoch never called the criterion.")
    expected = sum(criterion.losses) / len(criterion.losses)
    require(math.isclose(value, expected, rel_tol=1e-4), f"train_epoch returned {value:.6f}, but the average "
            f"batch loss of the epoch was {expected:.6f}: add loss / len(loader) for every batch.")


@pytest.mark.points(2)
def check_evaluate_mode(submission: ModuleType) -> None:
    """evaluate runs the model in eval mode with autograd off."""
    spy = LabelReader().train()
    submission.evaluate(spy, fake_loader(), "cpu")
    require(bool(spy.calls), "evaluate never ran the model.")
    require(not any(training for training, _, _ in spy.calls), "evaluate ran the model in train mode: call "
            "model.eval() before testing, so dropout is off and BatchNorm uses its running statistics.")
    require(not any(grad for _, grad, _ in spy.calls), "evaluate ran the model with autograd on: wrap the "
            "test code in `with torch.no_grad():`.")


@pytest.mark.points(1)
def check_evaluate_accuracy(submission: ModuleType) -> None:
    """evaluate returns the fraction of test images predicted right, between 0 and 1."""
    accuracy = as_number(submission.evaluate(LabelReader(), fake_loader(right_every=4), "cpu"), "evaluate")
    require(math.isclose(accuracy, 0.75, abs_tol=1e-6), f"evaluate returned {accuracy:g} for a model that gets "
            "exactly 75% of the images right; it should return 0.75 (correct / total).")


@pytest.mark.points(1)
def check_evaluate_scale(submission: ModuleType) -> None:
    """evaluate feeds the model images on the 0..1 scale it was trained on."""
    spy = LabelReader()
    submission.evaluate(spy, fake_loader(), "cpu")
    top = max((pixel for _, _, pixel in spy.calls), default=0.0)
    require(top <= 1.0, f"evaluate fed the model pixel values up to {top:g}, but it was trained on ToTensor() "
            "images in 0..1: use the images the loader yields, not dataset.data / test_data (0..255).")


@pytest.mark.points(1)
def check_predict_one(submission: ModuleType) -> None:
    """predict_one returns the predicted digit as an int, in eval mode, on the 0..1 scale."""
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
