# %% [markdown]
# # HW1: an MLP with Batch Normalization and Dropout on MNIST
# # 과제 1: Batch Normalization과 Dropout을 쓰는 MLP로 MNIST 분류하기
#
# Fill every `# Fill this blank!` below, then run `make check` to see your visible score.
# 아래의 모든 `# Fill this blank!` 부분을 채운 뒤 `make check`로 공개 채점 결과를 확인하세요.
#
# Each blank is a function, graded on its own: keep the names and signatures.
# 빈칸마다 함수 하나이고 따로 채점됩니다. 함수 이름과 인자는 바꾸지 마세요.

# %%
from __future__ import annotations

import random

import torch
import torchvision.datasets as dsets
import torchvision.transforms as transforms

# Parameters of the homework (learning rate, training epochs, batch size).
# 파라미터 설정 (learning rate, training epochs, batch_size)
learning_rate = 0.1
training_epochs = 15
batch_size = 100


# %% [markdown]
# ## 1. Data / 데이터
# ### Blank 1: `load_mnist(root)`
# Return the MNIST train and test sets from `torchvision.datasets`, as tensors scaled to 0..1 by
# `transforms.ToTensor()`. Every image the model ever sees (training, test, a single prediction) must be on
# this same scale.
# `torchvision.datasets`로 MNIST train/test set을 불러오고 `ToTensor()`로 0..1 범위의 텐서로 바꾸세요.
# 모델에 들어가는 모든 이미지(학습, 테스트, 단일 예측)는 반드시 같은 범위여야 합니다.


# %%
def load_mnist(root: str = "MNIST_data/"):
    """Return (mnist_train, mnist_test): torchvision MNIST datasets with ToTensor().

    train과 test set으로 나누어 MNIST data 불러오기 (download=False: the grader provides the files).
    """
    ### BEGIN SOLUTION
    mnist_train = dsets.MNIST(root=root, train=True, transform=transforms.ToTensor(), download=False)
    mnist_test = dsets.MNIST(root=root, train=False, transform=transforms.ToTensor(), download=False)
    return mnist_train, mnist_test
    ### END SOLUTION


# %% [markdown]
# ### Blank 2: `make_loaders(mnist_train, mnist_test, batch_size)`
# Train loader: `batch_size`, `shuffle=True`, `drop_last=True`. Test loader: every test image once, in order.
# train loader는 `batch_size`, `shuffle=True`, `drop_last=True`; test loader는 모든 이미지를 순서대로 한 번씩 읽습니다.


# %%
def make_loaders(mnist_train, mnist_test, batch_size: int = batch_size):
    """Return (train_loader, test_loader).

    Training batches are shuffled and the last incomplete batch is dropped; the test set is read
    in order and whole, so every test image counts once.
    dataset loader에 train과 test 할당하기 (batch size, shuffle, drop_last 잘 설정할 것!)
    """
    ### BEGIN SOLUTION
    train_loader = torch.utils.data.DataLoader(
        dataset=mnist_train, batch_size=batch_size, shuffle=True, drop_last=True
    )
    test_loader = torch.utils.data.DataLoader(
        dataset=mnist_test, batch_size=batch_size, shuffle=False, drop_last=False
    )
    return train_loader, test_loader
    ### END SOLUTION


# %% [markdown]
# ## 2. Model / 모델
# ### Blank 3: `init_weights(model)`
# Xavier-initialise (`torch.nn.init.xavier_uniform_`) the weight of every Linear layer of any model, in place.
# 모델의 모든 Linear layer의 weight를 Xavier(`torch.nn.init.xavier_uniform_`)로 초기화하세요 (in place).


# %%
def init_weights(model: torch.nn.Module) -> None:
    """Xavier-initialise the weight of every Linear layer of `model` (in place).

    xavier initialization을 이용하여 각 layer의 weight 초기화
    """
    ### BEGIN SOLUTION
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(module.weight)
    ### END SOLUTION


# %% [markdown]
# ### Blank 4: `build_model(hidden=(100, 100), p=0.3)`
# Three Linear layers (784 -> 100 -> 100 -> 10), each hidden one followed by
# BatchNorm -> ReLU -> Dropout(p=0.3), then `init_weights`. The model returns logits: CrossEntropyLoss applies
# softmax itself. Q1-2: for other `hidden` sizes, each BatchNorm's size must match the Linear layer before it.
# Linear 3개 (784 -> 100 -> 100 -> 10), 은닉층마다 순서는 Linear - BatchNorm - ReLU - Dropout(p=0.3).
# 모델의 출력은 logits입니다. softmax는 CrossEntropyLoss 안에 이미 들어 있습니다.
# Q1-2처럼 은닉 노드 수를 바꿀 때는 BatchNorm 크기를 앞의 Linear layer와 맞추세요.


# %%
def build_model(hidden: tuple[int, int] = (100, 100), p: float = 0.3) -> torch.nn.Sequential:
    """Return the Xavier-initialised model as a torch.nn.Sequential.

    Order: Linear - BatchNorm - ReLU - Dropout, twice, then Linear to 10 logits.
    torch.nn.Sequential을 이용하여 model 정의하기 (쌓는 순서: Linear - BatchNorm - ReLU - Dropout)
    Q1-2: `hidden` sets the hidden node counts; BatchNorm sizes must match their Linear layers.
    """
    ### BEGIN SOLUTION
    h1, h2 = hidden
    linear1 = torch.nn.Linear(784, h1, bias=True)
    linear2 = torch.nn.Linear(h1, h2, bias=True)
    linear3 = torch.nn.Linear(h2, 10, bias=True)
    bn1 = torch.nn.BatchNorm1d(h1)
    bn2 = torch.nn.BatchNorm1d(h2)
    model = torch.nn.Sequential(
        linear1, bn1, torch.nn.ReLU(), torch.nn.Dropout(p=p),
        linear2, bn2, torch.nn.ReLU(), torch.nn.Dropout(p=p),
        linear3,
    )
    init_weights(model)
    return model
    ### END SOLUTION


# %% [markdown]
# ## 3. Loss and optimizer / 손실 함수와 optimizer
# ### Blank 5: `make_criterion()`
# The loss of a 10-class classifier on logits: `torch.nn.CrossEntropyLoss`.
# logits를 받는 10-class 분류의 손실 함수로 `torch.nn.CrossEntropyLoss`를 쓰세요.


# %%
def make_criterion() -> torch.nn.Module:
    """Loss Function 정의하기 (CrossEntropy를 사용할 것!)"""
    ### BEGIN SOLUTION
    return torch.nn.CrossEntropyLoss()
    ### END SOLUTION


# %% [markdown]
# ### Blank 6: `make_optimizer(model, lr)`
# `torch.optim.Adam` over all of the model's parameters, with learning rate `lr`.
# 모델의 모든 parameter에 대해 learning rate가 `lr`인 `torch.optim.Adam`을 만드세요.


# %%
def make_optimizer(model: torch.nn.Module, lr: float = learning_rate) -> torch.optim.Optimizer:
    """optimizer 정의하기 (Adam optimizer를 사용할 것!)"""
    ### BEGIN SOLUTION
    return torch.optim.Adam(model.parameters(), lr=lr)
    ### END SOLUTION


# %% [markdown]
# ## 4. Training and evaluation / 학습과 평가
# ### Blank 7: `train_epoch(model, loader, criterion, optimizer, device)`
# Put the model in train mode yourself (`evaluate` leaves it in eval mode), then for each batch: `zero_grad`,
# forward, loss, `backward`, `step`. Return the average cost of the epoch.
# `train_epoch`은 직접 model.train()을 호출해야 합니다 (`evaluate`가 eval 모드로 바꿔 두기 때문).
# batch마다 `zero_grad`, forward, loss, `backward`, `step`을 하고 epoch의 평균 cost를 반환합니다.


# %%
def train_epoch(model, loader, criterion, optimizer, device="cpu") -> float:
    """Train `model` for one epoch over `loader`; return the average cost of the epoch.

    cost 값 초기 설정(0으로)과 model의 train 설정 꼭 할 것
    """
    ### BEGIN SOLUTION
    model.train()
    avg_cost = 0.0
    total_batch = len(loader)
    for X, Y in loader:
        X = X.view(-1, 28 * 28).to(device)
        Y = Y.to(device)
        optimizer.zero_grad()
        prediction = model(X)
        loss = criterion(prediction, Y)
        loss.backward()
        optimizer.step()
        avg_cost += loss.item() / total_batch
    return avg_cost
    ### END SOLUTION


# %% [markdown]
# ### Blank 8: `evaluate(model, loader, device)`
# Eval mode with autograd off, on the images the loader gives (0..1, like training); return the accuracy as
# a fraction between 0 and 1.
# `evaluate`는 eval 모드, torch.no_grad() 안에서, 학습 때와 같은 0..1 범위의 이미지로 정확도를 계산하고
# 0..1 사이의 비율로 반환합니다.


# %%
def evaluate(model, loader, device="cpu") -> float:
    """Return the accuracy of `model` on `loader` (a number between 0 and 1).

    test data로 모델의 정확도를 검증하는 코드 (model의 evaluation mode 설정 꼭 할 것)
    """
    ### BEGIN SOLUTION
    model.eval()
    correct = 0
    total = 0
    with torch.no_grad():
        for X, Y in loader:
            X = X.view(-1, 28 * 28).to(device)
            Y = Y.to(device)
            prediction = model(X)
            correct += (torch.argmax(prediction, 1) == Y).sum().item()
            total += Y.numel()
    return correct / total
    ### END SOLUTION


# %% [markdown]
# ### Blank 9: `predict_one(model, image, device)`
# The predicted digit of one 1x28x28 image from the dataset (0..1), as an `int`, in eval mode.
# 데이터셋의 이미지 한 장(1x28x28, 0..1)에 대한 예측 숫자를 eval 모드에서 `int`로 반환하세요.


# %%
def predict_one(model, image, device="cpu") -> int:
    """Return the predicted digit for one image (a 1x28x28 tensor from the dataset, 0..1)."""
    ### BEGIN SOLUTION
    model.eval()
    with torch.no_grad():
        X = image.view(-1, 28 * 28).to(device)
        return int(torch.argmax(model(X), 1).item())
    ### END SOLUTION


# %% [markdown]
# ## 5. Q1-2: hidden node counts / 은닉 노드 수 비교
# `describe_model` is given (no blank): it records the layer sizes of each model that Q1-2 trains.
# `describe_model`은 주어진 함수입니다 (빈칸 없음). Q1-2에서 학습한 각 모델의 layer 크기를 기록합니다.


# %%
def describe_model(model: torch.nn.Module) -> dict:
    """The layer sizes of `model`, so each row of Q1-2 shows what was actually trained."""
    return {
        "linear_shapes": [
            (m.in_features, m.out_features) for m in model.modules() if isinstance(m, torch.nn.Linear)
        ],
        "batchnorm_features": [
            m.num_features for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)
        ],
    }


# %% [markdown]
# ### Blank 10: `compare_hidden_sizes(configs, train_loader, test_loader, epochs, lr, device)`
# Train one model per hidden-size config with the functions above and add one row each, with its train cost
# (the average cost of the last epoch) and test accuracy.
# 은닉 노드 수 설정마다 위의 함수들로 모델을 학습하고, train cost(마지막 epoch의 평균 cost)와 test
# accuracy를 한 행씩 추가하세요.


# %%
def compare_hidden_sizes(configs, train_loader, test_loader, epochs: int = training_epochs,
                         lr: float = learning_rate, device="cpu") -> list[dict]:
    """One row per hidden-size config: hidden, linear_shapes, batchnorm_features, train_cost, test_accuracy.

    train_cost is the average cost of the last epoch; test_accuracy is between 0 and 1.
    """
    rows = []
    for hidden in configs:
        ### BEGIN SOLUTION
        model = build_model(hidden=tuple(hidden)).to(device)
        criterion = make_criterion()
        optimizer = make_optimizer(model, lr)
        cost = float("nan")
        for _ in range(epochs):
            cost = train_epoch(model, train_loader, criterion, optimizer, device)
        accuracy = evaluate(model, test_loader, device)
        rows.append({"hidden": tuple(hidden), **describe_model(model),
                     "train_cost": cost, "test_accuracy": accuracy})
        ### END SOLUTION
    return rows


# %% [markdown]
# ## 6. The experiment / 실험
# Runs the whole homework with its printouts: `python hw1_bn_mlp.py [MNIST root]`.
# 전체 과제를 실행합니다. (The grader never runs this part.)


# %% tags=["experiment"]
def run_experiment(root: str = "MNIST_data/") -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    random.seed(777)
    torch.manual_seed(777)
    mnist_train, mnist_test = load_mnist(root)
    train_loader, test_loader = make_loaders(mnist_train, mnist_test, batch_size)

    bn_model = build_model().to(device)
    criterion = make_criterion()
    bn_optimizer = make_optimizer(bn_model, learning_rate)
    for epoch in range(training_epochs):
        avg_cost = train_epoch(bn_model, train_loader, criterion, bn_optimizer, device)
        print("Epoch:", "%04d" % (epoch + 1), "cost =", "{:.9f}".format(avg_cost))
    print("Learning finished")

    bn_acc = evaluate(bn_model, test_loader, device)
    print("Accuracy: ", bn_acc)
    r = random.randint(0, len(mnist_test) - 1)
    image, label = mnist_test[r]  # the same ToTensor() scale as training, not .data (0..255)
    print("Label: ", label)
    print("Prediction: ", predict_one(bn_model, image, device))

    print("Q1-2: hidden node counts")
    for row in compare_hidden_sizes([(100, 100), (200, 150), (50, 50)], train_loader, test_loader,
                                    training_epochs, learning_rate, device):
        print(row["hidden"], "train cost = %.6f" % row["train_cost"],
              "test accuracy = %.4f" % row["test_accuracy"])


if __name__ == "__main__":
    import sys

    run_experiment(*sys.argv[1:2])
