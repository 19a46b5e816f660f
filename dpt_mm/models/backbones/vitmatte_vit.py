# Copyright (c) dpt-mm contributors. All rights reserved.
"""ViTMatte's plain ViT: transformers' ViTDet layers as an mmagic backbone."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint
from transformers import VitDetConfig
from transformers.models.vitdet.modeling_vitdet import (
    VitDetAttention, VitDetEmbeddings, VitDetEncoder, VitDetResBottleneckBlock)

from dpt_mm.registry import MODELS


def self_rel_pos(size: int, rel_pos: Tensor) -> Tensor:
    """Relative position embeddings of a ``size``-long axis attending to
    itself: transformers' ``get_rel_pos`` for equal query and key sizes,
    without its ratio ``max(k / q, 1)`` (1 here) and its size test, which
    the ONNX exporter cannot take for symbolic sizes.

    Args:
        size (int): Axis length (query = key).
        rel_pos (Tensor): (L, C) table, linearly resized to ``2 size - 1``.

    Returns:
        Tensor: (size, size, C) embeddings of ``q - k``.
    """
    # always resized (exact when the length is already 2 size - 1): a
    # branch on the size would fix the exported graph to the traced size
    rel_pos = nn.functional.interpolate(
        rel_pos.t()[None], size=2 * size - 1, mode='linear')[0].t()
    coords = torch.arange(size, device=rel_pos.device)
    return rel_pos[coords[:, None] - coords[None, :] + (size - 1)]


class ViTMatteAttention(VitDetAttention):
    """transformers' ``VitDetAttention`` (same parameters, same values) with
    the decomposed relative positions of :func:`self_rel_pos`."""

    def forward(self, hidden_state: Tensor, output_attentions: bool = False):
        """(N, H, W, C) -> ((N, H, W, C), ): attention over the H x W grid
        with relative positions added to the logits."""
        n, h, w, _ = hidden_state.shape
        qkv = self.qkv(hidden_state).reshape(n, h * w, 3, self.num_heads,
                                             -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.reshape(3, n * self.num_heads, h * w, -1).unbind(0)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        if self.use_relative_position_embeddings:
            rq = q.reshape(n * self.num_heads, h, w, -1)
            rel_h = torch.einsum('bhwc,hkc->bhwk', rq,
                                 self_rel_pos(h, self.rel_pos_h))
            rel_w = torch.einsum('bhwc,wkc->bhwk', rq,
                                 self_rel_pos(w, self.rel_pos_w))
            attn = (attn.view(-1, h, w, h, w) + rel_h[..., None] +
                    rel_w[..., None, :]).view(-1, h * w, h * w)
        x = attn.softmax(dim=-1) @ v
        x = x.view(n, self.num_heads, h, w, -1).permute(0, 2, 3, 1, 4)
        return (self.proj(x.reshape(n, h, w, -1)), )


@MODELS.register_module()
class ViTMatteViT(BaseModule):
    """The plain ViT of ViTMatte (windowed attention, global attention with a
    residual convolution block, decomposed relative positions).

    The parameters are transformers' ``VitDetBackbone`` parameters with the
    same names (``embeddings.*``, ``encoder.layer.<i>.*``), so Hugging Face
    ViTMatte checkpoints load as they are.

    Args:
        arch (str | dict): ``'small'``, ``'base'`` or a dict with
            ``embed_dims``, ``num_layers`` and ``num_heads``.
        in_channels (int): Input channels (RGB + trimap: 4).
        img_size (int): Training crop; sets the size of the relative position
            tables of the global blocks (``2 * img_size / patch_size - 1``).
        pretrain_img_size (int): Size the absolute position embedding was
            trained at; it is interpolated (bicubic) to the input's grid.
        patch_size (int): Patch size.
        window_size (int): Window of the windowed blocks, in patches.
        global_indices (sequence[int], optional): Blocks with global attention
            and a residual convolution block after them (the others attend in
            windows). Defaults to every third block: 2, 5, 8, 11 of 12.
        mlp_ratio (float): MLP width / embedding width.
        drop_path_rate (float): Stochastic depth of the last block (linear
            from 0).
        with_cp (bool): Activation checkpointing of every block in training.
        init_cfg (dict, optional): mmengine initialisation config; without
            one, :meth:`init_weights` initialises as the authors' ViT.
    """

    arch_zoo: Dict[str, Dict[str, int]] = {
        'small': dict(embed_dims=384, num_layers=12, num_heads=6),
        'base': dict(embed_dims=768, num_layers=12, num_heads=12),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'small',
                 in_channels: int = 4,
                 img_size: int = 512,
                 pretrain_img_size: int = 224,
                 patch_size: int = 16,
                 window_size: int = 14,
                 global_indices: Optional[Sequence[int]] = None,
                 mlp_ratio: float = 4.0,
                 drop_path_rate: float = 0.0,
                 with_cp: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch not in self.arch_zoo:
                raise ValueError(f'unknown arch {arch!r}; choose from '
                                 f'{sorted(self.arch_zoo)} or give a dict')
            arch = self.arch_zoo[arch]
        missing = {'embed_dims', 'num_layers', 'num_heads'} - set(arch)
        if missing:
            raise ValueError(f'arch dict lacks {sorted(missing)}')
        depth = int(arch['num_layers'])
        if global_indices is None:
            global_indices = list(range(2, depth, 3))
        global_indices = [int(i) for i in global_indices]
        if any(not 0 <= i < depth for i in global_indices):
            raise ValueError(f'global_indices {global_indices} out of the '
                             f'{depth} blocks')
        self.embed_dims = int(arch['embed_dims'])
        self.num_layers = depth
        self.global_indices = global_indices
        self.patch_size = patch_size
        self.with_cp = with_cp
        self.config = VitDetConfig(
            hidden_size=self.embed_dims,
            num_hidden_layers=depth,
            num_attention_heads=int(arch['num_heads']),
            mlp_ratio=mlp_ratio,
            hidden_act='gelu',
            layer_norm_eps=1e-6,
            image_size=img_size,
            pretrain_image_size=pretrain_img_size,
            patch_size=patch_size,
            num_channels=in_channels,
            qkv_bias=True,
            drop_path_rate=drop_path_rate,
            window_block_indices=[
                i for i in range(depth) if i not in global_indices
            ],
            residual_block_indices=global_indices,
            window_size=window_size,
            use_absolute_position_embeddings=True,
            use_relative_position_embeddings=True)
        self.embeddings = VitDetEmbeddings(self.config)
        self.encoder = VitDetEncoder(self.config)
        for layer in self.encoder.layer:
            layer.attention.__class__ = ViTMatteAttention

    def init_weights(self) -> None:
        """The authors' ViT initialisation, or ``init_cfg`` when given.

        Linear layers and the absolute position embedding: truncated normal
        (std 0.02), zero biases; LayerNorm: ones / zeros; relative position
        tables: zeros; residual blocks: MSRA-filled convolutions with the last
        norm at zero (each residual block starts as the identity); the patch
        projection keeps PyTorch's default.
        """
        if self.init_cfg is not None:
            super().init_weights()
            return
        nn.init.trunc_normal_(self.embeddings.position_embeddings, std=0.02)
        for module in self.encoder.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, VitDetResBottleneckBlock):
                for conv in (module.conv1, module.conv2, module.conv3):
                    nn.init.kaiming_normal_(
                        conv.weight, mode='fan_out', nonlinearity='relu')
                for norm in (module.norm1, module.norm2):
                    nn.init.ones_(norm.weight)
                    nn.init.zeros_(norm.bias)
                nn.init.zeros_(module.norm3.weight)
                nn.init.zeros_(module.norm3.bias)
        for name, param in self.encoder.named_parameters():
            if name.endswith(('rel_pos_h', 'rel_pos_w')):
                nn.init.zeros_(param)

    def forward(self, inputs: Tensor) -> List[Tensor]:
        """Encode a normalised image + trimap batch.

        Args:
            inputs (Tensor): Nx(in_channels)xHxW, H and W multiples of the
                patch size.

        Returns:
            list[Tensor]: ``[inputs, features]``, the features
            Nx(embed_dims)x(H / patch)x(W / patch).
        """
        h, w = inputs.shape[-2:]
        if h % self.patch_size or w % self.patch_size:
            raise ValueError(f'input size {h}x{w} is not a multiple of the '
                             f'patch size {self.patch_size}')
        x = self.embeddings(inputs)
        for layer in self.encoder.layer:
            if self.with_cp and self.training and x.requires_grad:
                x = checkpoint(layer, x, use_reentrant=False)[0]
            else:
                x = layer(x)[0]
        return [inputs, x]

    def get_layer_depth(self, param_name: str,
                        prefix: str = '') -> Tuple[int, int]:
        """Layer depth of a parameter for layer-wise learning-rate decay.

        The authors' rule: the patch projection and the absolute position
        embedding are depth 0, the attention / MLP parameters of block ``i``
        depth ``i + 1``, and the residual convolution blocks and everything
        outside the backbone the last depth, ``num_layers + 1``.

        Args:
            param_name (str): Parameter name (in the whole model).
            prefix (str): The backbone's prefix in ``param_name``.

        Returns:
            tuple[int, int]: The depth and the number of depths
            (``num_layers + 2``).
        """
        num_depths = self.num_layers + 2
        if not param_name.startswith(prefix):
            return num_depths - 1, num_depths
        name = param_name[len(prefix):]
        if name.startswith('embeddings.'):
            return 0, num_depths
        parts = name.split('.')
        if name.startswith('encoder.layer.') and parts[3] != 'residual':
            return int(parts[2]) + 1, num_depths
        return num_depths - 1, num_depths


__all__ = ['ViTMatteAttention', 'ViTMatteViT', 'self_rel_pos']
