# Copyright (c) dpt-mm contributors. All rights reserved.
"""Checkpoint files of the converters and the one strict load of dpt-mm.

Weights come out of a checkpoint through one function,
:func:`dpt_mm.utils.io.checkpoint_state_dict` (``state_dict`` / ``model``
unwrapped, ``module.`` stripped); :func:`load_strict` is the key / shape
check + ``strict=True`` load shared by the inferencer, the ONNX exporter
and ``tools/test.py``. MMEngine's loader warns and goes on, or dumps every
key; these refuse a mismatch with a short summary naming the file.
"""
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.runner import load_state_dict as mmengine_load_state_dict

from dpt_mm.utils.io import (CheckpointError, checkpoint_state_dict,
                             read_checkpoint, state_dict_mismatch)

StateDict = Dict[str, torch.Tensor]


class StrictLoadError(CheckpointError, RuntimeError):
    """Weights that do not fit the model (a ``CheckpointError`` for
    ``tools/test.py``, a ``RuntimeError`` for the inferencer's callers)."""


def load_strict(model: torch.nn.Module,
                state_dict: dict,
                path: str,
                config: str = 'the config') -> None:
    """Load ``state_dict`` into ``model`` with ``strict=True`` after checking
    keys and shapes, so that a mismatch leaves the model untouched.

    Args:
        model (nn.Module): The built model.
        state_dict (dict): Its weights (already unwrapped).
        path (str): The checkpoint file, for the message.
        config (str): What built the model, for the message.

    Raises:
        StrictLoadError: ``'<path>: checkpoint does not match the model of
            <config>: 2 missing keys (a, b), ...'``.
    """
    mismatch = state_dict_mismatch(state_dict, model.state_dict())
    if mismatch:
        raise StrictLoadError(f'{path}: checkpoint does not match the model '
                              f'of {config}: {mismatch}')
    mmengine_load_state_dict(model, state_dict, strict=True)


def load_state_dict(path: str) -> StateDict:
    """Read the weights of a checkpoint file (any layout the converters
    take: mmengine, official releases, a bare state dict).

    Args:
        path (str): Checkpoint path.

    Returns:
        dict[str, Tensor]: The tensors.

    Raises:
        FileNotFoundError: No such file (``CheckpointNotFoundError``).
        ValueError: Not a PyTorch checkpoint (``CheckpointError``), or no
            state dict of tensors.
    """
    ckpt = read_checkpoint(path)  # the one reader: errors name the file
    state = checkpoint_state_dict(ckpt) if isinstance(ckpt, dict) else None
    if not state or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f'{path} holds no state dict of tensors')
    return state


def drop(dropped: Optional[List[Tuple[str, str]]], key: str,
         reason: str) -> None:
    """Record ``(key, reason)`` for an input key a converter leaves out."""
    if dropped is not None:
        dropped.append((key, reason))


def save_state_dict(state_dict: StateDict, path: str, meta: dict) -> None:
    """Save ``dict(state_dict=..., meta=...)`` atomically (temp + rename)."""
    from dpt_mm.utils import atomic_write

    payload = dict(
        state_dict=OrderedDict(
            (k, v.detach().cpu().contiguous()) for k, v in state_dict.items()),
        meta=meta)
    atomic_write(path, lambda tmp: torch.save(payload, tmp))
