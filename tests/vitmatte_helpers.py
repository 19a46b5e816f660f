# Copyright (c) dpt-mm contributors. All rights reserved.
"""Shared by the ViTMatte tests: transformers' ``VitMatteForImageMatting``
with seeded weights, and the dpt-mm backbone / head of the same size."""
from typing import Sequence, Tuple

import torch
from transformers import (VitDetConfig, VitMatteConfig,
                          VitMatteForImageMatting)

import dpt_mm  # noqa: F401
from dpt_mm.registry import MODELS

#: (embed_dims, num_heads) of ViTMatte-S / -B
SIZES = {'small': (384, 6), 'base': (768, 12)}


def arch(size: str, depth: int = 12) -> dict:
    """The backbone ``arch`` dict of ViTMatte-``size`` with ``depth``
    blocks."""
    dims, heads = SIZES[size]
    return dict(embed_dims=dims, num_layers=depth, num_heads=heads)


def global_blocks(depth: int) -> Tuple[int, ...]:
    """Global blocks of a ``depth``-block ViTMatte: every third one."""
    return tuple(range(2, depth, 3))


def hf_vitmatte(size: str = 'small',
                depth: int = 12,
                seed: int = 0) -> VitMatteForImageMatting:
    """transformers' ViTMatte (the authors' hyper-parameters, as in the Hub
    configs) in eval mode, with seeded weights and BatchNorm statistics
    (zero-initialised tensors made non-zero, so no part is left out)."""
    dims, heads = SIZES[size]
    glob = global_blocks(depth)
    backbone = VitDetConfig(
        hidden_size=dims,
        num_hidden_layers=depth,
        num_attention_heads=heads,
        num_channels=4,
        image_size=512,
        pretrain_image_size=224,
        patch_size=16,
        window_size=14,
        window_block_indices=[i for i in range(depth) if i not in glob],
        residual_block_indices=list(glob),
        use_absolute_position_embeddings=True,
        use_relative_position_embeddings=True,
        out_features=[f'stage{depth}'])
    torch.manual_seed(seed)
    model = VitMatteForImageMatting(
        VitMatteConfig(backbone_config=backbone, hidden_size=dims))
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * 0.02)
        for name, buf in model.named_buffers():
            if name.endswith('running_mean'):
                buf.normal_(0, 0.1)
            elif name.endswith('running_var'):
                buf.uniform_(0.5, 2.0)
    return model.eval()


def network_cfgs(size: str = 'small',
                 depth: int = 12,
                 **backbone) -> Tuple[dict, dict]:
    """Backbone and head configs of a dpt-mm ViTMatte of that size."""
    dims = SIZES[size][0]
    return (dict(
        type='ViTMatteViT',
        arch=arch(size, depth),
        global_indices=global_blocks(depth),
        **backbone), dict(type='DetailCaptureHead', in_channels=dims))


class Network(torch.nn.Module):
    """Backbone -> head, keyed as a mattor (``backbone.*``, ``head.*``)."""

    def __init__(self, size: str = 'small', depth: int = 12, **backbone):
        super().__init__()
        bb, head = network_cfgs(size, depth, **backbone)
        self.backbone = MODELS.build(bb)
        self.head = MODELS.build(head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))['alpha']


def official_layout(hf_state: dict) -> dict:
    """transformers' ViTMatte keys -> the authors' (detectron2) keys, as in
    hustvl's released ``.pth`` files."""
    out = {}
    for key, value in hf_state.items():
        key = key.replace('backbone.embeddings.position_embeddings',
                          'backbone.pos_embed')
        key = key.replace('backbone.embeddings.projection.',
                          'backbone.patch_embed.proj.')
        key = key.replace('backbone.encoder.layer.', 'backbone.blocks.')
        key = key.replace('.attention.', '.attn.')
        key = key.replace('decoder.fusion_blocks.', 'decoder.fusion_blks.')
        key = key.replace('.batch_norm.', '.bn.')
        out[key] = value
    return out


def image_trimap(h: int, w: int, seed: int = 0) -> Tuple[torch.Tensor,
                                                         torch.Tensor]:
    """A seeded RGB image (Nx3xHxW in [0, 1]) and 0 / 128 / 255 trimap
    (Nx1xHxW, uint8 values as float)."""
    g = torch.Generator().manual_seed(seed)
    img = torch.rand(1, 3, h, w, generator=g)
    tri = torch.randint(0, 3, (1, 1, h, w), generator=g).float() * 127.5
    return img, tri.round()


def in_sizes(sizes: Sequence[Tuple[int, int]]):
    """Pytest ids for (h, w) sizes."""
    return [f'{h}x{w}' for h, w in sizes]


#: configs/vitmatte/vitmatte_vit-tiny_demo.py
TINY_CONFIG = 'configs/vitmatte/vitmatte_vit-tiny_demo.py'


def hf_vitmatte_tiny(seed: int = 0) -> VitMatteForImageMatting:
    """transformers' ViTMatte with the network of the tiny demo config
    (4 blocks of width 64, global blocks 1 and 3, windows of 4 patches,
    128 px crops; decoder 16 / 32 / 64 and 64 / 32 / 16 / 16), seeded."""
    backbone = VitDetConfig(
        hidden_size=64,
        num_hidden_layers=4,
        num_attention_heads=2,
        num_channels=4,
        image_size=128,
        pretrain_image_size=128,
        patch_size=16,
        window_size=4,
        window_block_indices=[0, 2],
        residual_block_indices=[1, 3],
        use_absolute_position_embeddings=True,
        use_relative_position_embeddings=True,
        out_features=['stage4'])
    torch.manual_seed(seed)
    model = VitMatteForImageMatting(
        VitMatteConfig(
            backbone_config=backbone,
            hidden_size=64,
            convstream_hidden_sizes=[16, 32, 64],
            fusion_hidden_sizes=[64, 32, 16, 16]))
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * 0.02)
    # PyTorch's default decoder initialisation (the authors'): transformers'
    # (BatchNorm weights ~ N(0, 0.02)) gives an almost flat matte
    for module in model.decoder.modules():
        if hasattr(module, 'reset_parameters'):
            module.reset_parameters()
    return model.eval()
