# Copyright (c) dpt-mm contributors. All rights reserved.
"""Power iteration for torch's spectral norm (``weight_u`` / ``weight_v``)."""
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.nn.utils.spectral_norm import SpectralNorm


def power_iteration(mat: Tensor,
                    u: Tensor,
                    v: Tensor,
                    iters: int,
                    eps: float = 1e-12) -> Tuple[Tensor, Tensor]:
    """Refine the singular vectors of ``mat`` as torch's spectral norm does.

    Args:
        mat (Tensor): The weight as a 2-D matrix.
        u (Tensor): Left vector (``mat.shape[0]``).
        v (Tensor): Right vector (``mat.shape[1]``).
        iters (int): Power iterations.
        eps (float): ``F.normalize``'s epsilon. Defaults to 1e-12.

    Returns:
        tuple[Tensor, Tensor]: The refined ``(u, v)``.
    """
    for _ in range(iters):
        v = F.normalize(mat.t() @ u, dim=0, eps=eps)
        u = F.normalize(mat @ v, dim=0, eps=eps)
    return u, v


@torch.no_grad()
def init_spectral_norm_vectors(module: nn.Module, iters: int = 10) -> int:
    """Converge ``weight_u`` / ``weight_v`` of every torch spectral norm in
    ``module``.

    Eval mode uses the stored vectors as they are; random ones can give a
    near-zero sigma and overflow in an untrained model, so the mattors
    converge them once at construction (training is unaffected).

    Args:
        module (nn.Module): Module to scan.
        iters (int): Power iterations. Defaults to 10.

    Returns:
        int: Number of spectral-normalised weights updated.
    """
    count = 0
    for m in module.modules():
        for hook in m._forward_pre_hooks.values():
            if not isinstance(hook, SpectralNorm):
                continue
            mat = hook.reshape_weight_to_matrix(
                getattr(m, hook.name + '_orig'))
            u, v = getattr(m, hook.name + '_u'), getattr(m, hook.name + '_v')
            new_u, new_v = power_iteration(mat, u, v, iters, hook.eps)
            u.copy_(new_u)
            v.copy_(new_v)
            count += 1
    return count
