"""Synthetic DPT pretext batches shared by the model tests."""
from types import SimpleNamespace
from typing import Tuple

import torch
import torch.nn.functional as F


def pretext_batch(n: int = 2, h: int = 64, w: int = 64,
                  seed: int = 0) -> Tuple[torch.Tensor, SimpleNamespace]:
    """Normalised 6-channel inputs and a stacked-sample stand-in.

    Args:
        n (int): Batch size.
        h (int): Height.
        w (int): Width.
        seed (int): Seed of the generator.

    Returns:
        tuple: ``(inputs, samples)``; ``samples`` has ``gt_alpha``,
        ``gt_fg``, ``gt_bg``, ``gt_merged`` and the one-hot ``trimap``.
    """
    g = torch.Generator().manual_seed(seed)
    fg = torch.rand(n, 3, h, w, generator=g)
    bg = torch.rand(n, 3, h, w, generator=g)
    tri = torch.randint(0, 3, (n, 1, h // 8, w // 8), generator=g)
    tri = F.interpolate(tri.float(), size=(h, w)).long()
    alpha = torch.rand(n, 1, h, w, generator=g)
    alpha = torch.where(tri == 0, 0., torch.where(tri == 2, 1., alpha))
    merged = alpha * fg + (1 - alpha) * bg
    onehot = torch.cat([tri == 0, tri == 1, tri == 2], 1).float()
    inputs = torch.cat([(merged - 0.45) / 0.225, onehot], 1)
    return inputs, SimpleNamespace(
        gt_alpha=alpha, gt_fg=fg, gt_bg=bg, gt_merged=merged, trimap=onehot)
