"""Tensors that cross from a student's process to the grader: plain, detached, loaded weights-only."""

from __future__ import annotations

from pathlib import Path

import torch

MAX_ARTIFACT_BYTES = 64 * 2**20


def plain(tensor: torch.Tensor) -> torch.Tensor:
    """A detached CPU copy as a plain torch.Tensor (never a student's subclass), safe to save."""
    return tensor.detach().to("cpu", copy=True).as_subclass(torch.Tensor)


def load_artifacts(path: Path) -> dict[str, object]:
    """Read what the checks recorded; {} when missing, oversized or not loadable weights-only.

    `weights_only=True` refuses any pickled global that is not a tensor or plain container, so a
    crafted file cannot run code here.
    """
    try:
        if path.stat().st_size > MAX_ARTIFACT_BYTES:
            return {}
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - anything wrong with the file means "no artifacts"
        return {}
    return data if isinstance(data, dict) else {}


def plain_data(value: object, depth: int = 0) -> object:
    """`value` as lists, dicts, numbers, strings and plain tensors (of any size), safe to send to the grader:
    bounded in depth and length, anything else as a short repr."""
    if depth > 8:
        return None
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, torch.Tensor):
        return plain(value)
    if type(value).__module__ == "numpy" and hasattr(value, "dtype"):  # arrays and NumPy scalars
        return plain(torch.as_tensor(value))
    if isinstance(value, dict):
        return {str(k): plain_data(v, depth + 1) for k, v in list(value.items())[:10000]}
    if isinstance(value, (list, tuple)):
        return [plain_data(v, depth + 1) for v in list(value)[:10000]]
    return repr(value)[:100]
