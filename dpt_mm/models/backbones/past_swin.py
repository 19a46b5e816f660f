# Copyright (c) dpt-mm contributors. All rights reserved.
"""MatteFormer's encoder: Swin with Prior-Attentive Swin Transformer blocks.

mmpretrain's ``SwinTransformer`` has no prior tokens, no prior memory and
relative-position tables without prior entries, so the PAST blocks are
written here. Everything else is reused: mmcv's ``PatchEmbed``,
``PatchMerging`` and ``FFN``, mmpretrain's window partition / reverse and
shifted-window attention mask. Module names follow mmpretrain's Swin
(``patch_embed.projection``, ``stages.i.blocks.j.attn.w_msa.qkv``,
``ffn.layers.0.0``, ``stages.i.downsample.reduction``, ``norm{i}``) so that a
DPT or mmpretrain Swin-T checkpoint maps onto it by extending the tables.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks.drop import build_dropout
from mmcv.cnn.bricks.transformer import FFN, PatchEmbed, PatchMerging
from mmengine.model import BaseModule, ModuleList
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.utils import ShiftWindowMSA
from torch import Tensor

from dpt_mm.registry import MODELS

#: Trimap channels of the one-hot trimap (mmagic's ``FormatTrimap``: 0 = bg,
#: 1 = unknown, 2 = fg) in the order of the three prior tokens of a prior
#: set: (unknown, background, foreground). This is the order of the official
#: checkpoint, whose variables call the channel-0 (background) token ``fg``
#: and the channel-2 (foreground) token ``bg``.
PRIOR_TRIMAP_CHANNELS = (1, 0, 2)
NUM_PRIOR_TOKENS = len(PRIOR_TRIMAP_CHANNELS)


def window_relative_position_index(window_size: Tuple[int, int]) -> Tensor:
    """Swin's pair-wise relative position index inside one window.

    Args:
        window_size (tuple[int, int]): Window height and width.

    Returns:
        Tensor: ``(Wh*Ww, Wh*Ww)`` long indices into a table of
        ``(2*Wh-1) * (2*Ww-1)`` rows.
    """
    wh, ww = window_size
    coords = torch.stack(
        torch.meshgrid(torch.arange(wh), torch.arange(ww), indexing='ij'))
    coords = coords.flatten(1)  # 2, N
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)
    rel[:, :, 0] += wh - 1
    rel[:, :, 1] += ww - 1
    rel[:, :, 0] *= 2 * ww - 1
    return rel.sum(-1)


def prior_relative_position_index(window_size: Tuple[int, int],
                                  num_prior_tokens: int) -> Tensor:
    """Relative position index extended by one column per prior token.

    The spatial block is Swin's index; prior token ``t`` (a column appended
    after the ``N`` window tokens) has its own table row
    ``(2*Wh-1)*(2*Ww-1) + t``, shared by every query position.

    Args:
        window_size (tuple[int, int]): Window height and width.
        num_prior_tokens (int): Number of prior tokens (3 per prior set).

    Returns:
        Tensor: ``(N, N + num_prior_tokens)`` long indices.
    """
    spatial = window_relative_position_index(window_size)
    n = spatial.shape[0]
    base = (2 * window_size[0] - 1) * (2 * window_size[1] - 1)
    prior = base + torch.arange(num_prior_tokens).expand(n, -1)
    return torch.cat([spatial, prior], dim=1)


class PriorWindowMSA(BaseModule):
    """Window attention whose keys / values also hold the prior tokens
    (PAWSA, prior-attentive window self-attention).

    Each window's ``N`` tokens attend to themselves and to the
    ``num_prior_tokens`` prior tokens of their image (the same for every
    window); the relative-position table has one extra row per prior token.
    The prior tokens are not queries: their update is the value projection
    passed through ``proj`` (the "prior memory" path of MatteFormer).

    Args:
        embed_dims (int): Channels.
        window_size (tuple[int, int]): Window size.
        num_heads (int): Attention heads.
        num_prior_tokens (int): Prior tokens attended to (3 per prior set).
        qkv_bias (bool): Bias of the qkv projection. Defaults to True.
        qk_scale (float, optional): Override of ``head_dims ** -0.5``.
        attn_drop (float): Dropout on attention weights. Defaults to 0.
        proj_drop (float): Dropout after the output projection.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int,
                 window_size: Tuple[int, int],
                 num_heads: int,
                 num_prior_tokens: int,
                 qkv_bias: bool = True,
                 qk_scale: Optional[float] = None,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims {embed_dims} is not divisible by '
                             f'num_heads {num_heads}')
        self.embed_dims = embed_dims
        self.window_size = tuple(window_size)
        self.num_heads = num_heads
        self.num_prior_tokens = num_prior_tokens
        self.scale = qk_scale or (embed_dims // num_heads)**-0.5
        num_rel = (2 * self.window_size[0] - 1) * (2 * self.window_size[1] - 1)
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros(num_rel + num_prior_tokens, num_heads))
        # derived from the window size: not saved, rebuilt on construction
        self.register_buffer(
            'relative_position_index',
            prior_relative_position_index(self.window_size, num_prior_tokens),
            persistent=False)
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)

    def init_weights(self) -> None:
        """Truncated-normal relative-position table, as Swin / MatteFormer."""
        super().init_weights()
        trunc_normal_(self.relative_position_bias_table, std=0.02)

    def _split_heads(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads,
                                  c // self.num_heads).permute(2, 0, 3, 1, 4)
        return qkv[0], qkv[1], qkv[2]

    def forward(self,
                x: Tensor,
                priors: Tensor,
                mask: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Attend within windows and to the prior tokens.

        Args:
            x (Tensor): ``(B*nW, N, C)`` window tokens, windows of one image
                contiguous.
            priors (Tensor): ``(B, P, C)`` normalised prior tokens.
            mask (Tensor, optional): ``(nW, N, N)`` shifted-window mask.

        Returns:
            tuple[Tensor, Tensor]: window outputs ``(B*nW, N, C)`` and prior
            updates ``(B, P, C)``.
        """
        bw, n, c = x.shape
        b, p, _ = priors.shape
        if p != self.num_prior_tokens:
            raise ValueError(f'expected {self.num_prior_tokens} prior tokens,'
                             f' got {p}')
        nw = bw // b
        q, k, v = self._split_heads(x)  # B*nW, heads, N, d
        _, pk, pv = self._split_heads(priors)  # B, heads, P, d
        heads, d = pk.shape[1], pk.shape[3]

        def per_window(t: Tensor) -> Tensor:
            return t.unsqueeze(1).expand(b, nw, heads, p, d).reshape(
                bw, heads, p, d)

        k = torch.cat([k, per_window(pk)], dim=2)
        v = torch.cat([v, per_window(pv)], dim=2)
        attn = (q * self.scale) @ k.transpose(-2, -1)  # B*nW, h, N, N+P
        bias = self.relative_position_bias_table[
            self.relative_position_index.view(-1)].view(n, n + p, -1)
        attn = attn + bias.permute(2, 0, 1).unsqueeze(0)
        if mask is not None:
            mask = F.pad(mask, (0, p))  # prior columns are never masked
            attn = attn.view(b, nw, heads, n, n + p) + mask[None, :, None]
            attn = attn.view(bw, heads, n, n + p)
        attn = self.attn_drop(attn.softmax(dim=-1))
        x = (attn @ v).transpose(1, 2).reshape(bw, n, c)
        x = self.proj_drop(self.proj(x))
        prior_out = pv.transpose(1, 2).reshape(b, p, c)
        prior_out = self.proj_drop(self.proj(prior_out))
        return x, prior_out


class PriorShiftWindowMSA(BaseModule):
    """Pads, cyclically shifts and partitions the feature map into windows
    around :class:`PriorWindowMSA` (held as ``w_msa``, as in mmpretrain).

    Unlike mmpretrain's classification Swin, small maps are padded to the
    window size and shifted blocks always shift, as MatteFormer does.

    Args:
        embed_dims (int): Channels.
        num_heads (int): Attention heads.
        window_size (int): Window size.
        shift_size (int): Cyclic shift (0 for regular windows).
        num_prior_tokens (int): Prior tokens attended to.
        qkv_bias (bool): Bias of the qkv projection.
        qk_scale (float, optional): Override of the attention scale.
        attn_drop (float): Dropout on attention weights.
        proj_drop (float): Dropout after the output projection.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 window_size: int,
                 shift_size: int,
                 num_prior_tokens: int,
                 qkv_bias: bool = True,
                 qk_scale: Optional[float] = None,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if not 0 <= shift_size < window_size:
            raise ValueError(f'shift_size {shift_size} must be in '
                             f'[0, window_size={window_size})')
        self.window_size = window_size
        self.shift_size = shift_size
        self.w_msa = PriorWindowMSA(embed_dims, (window_size, window_size),
                                    num_heads, num_prior_tokens, qkv_bias,
                                    qk_scale, attn_drop, proj_drop)

    def forward(self, x: Tensor, hw_shape: Tuple[int, int],
                priors: Tensor) -> Tuple[Tensor, Tensor]:
        """Shifted-window prior attention.

        Args:
            x (Tensor): ``(B, H*W, C)`` normalised tokens.
            hw_shape (tuple[int, int]): ``(H, W)``.
            priors (Tensor): ``(B, P, C)`` normalised prior tokens.

        Returns:
            tuple[Tensor, Tensor]: ``(B, H*W, C)`` tokens and ``(B, P, C)``
            prior updates.
        """
        b, length, c = x.shape
        h, w = hw_shape
        if length != h * w:
            raise ValueError(f'{length} tokens do not match the feature map '
                             f'{h}x{w}')
        ws, shift = self.window_size, self.shift_size
        x = x.view(b, h, w, c)
        pad_r, pad_b = (ws - w % ws) % ws, (ws - h % ws) % ws
        x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
        hp, wp = x.shape[1:3]
        if shift > 0:
            x = torch.roll(x, shifts=(-shift, -shift), dims=(1, 2))
        mask = ShiftWindowMSA.get_attn_mask((hp, wp), ws, shift, x.device)
        windows = ShiftWindowMSA.window_partition(x, ws).view(-1, ws * ws, c)
        windows, prior_out = self.w_msa(windows, priors, mask)
        x = ShiftWindowMSA.window_reverse(
            windows.view(-1, ws, ws, c), hp, wp, ws)
        if shift > 0:
            x = torch.roll(x, shifts=(shift, shift), dims=(1, 2))
        x = x[:, :h, :w].contiguous().view(b, h * w, c)
        return x, prior_out


class PASTBlock(BaseModule):
    """Prior-Attentive Swin Transformer block.

    Block ``j`` of a stage first appends a new prior set to the stage's
    prior memory: the mean of its input tokens over the unknown, background
    and foreground regions of the trimap. The tokens then attend within
    their (shifted) windows and to all ``j + 1`` prior sets; the prior
    tokens are updated by their own value projection and, like the tokens,
    by a residual FFN (shared weights)::

        memory = [memory, masked_means(x)]                  (B, 3(j+1), C)
        y, m   = PAWSA(norm1(x), norm1(memory))
        x      = x + drop_path(y);       x = x + drop_path(ffn(norm2(x)))
        memory = memory + drop_path(m);  memory = memory + ...ffn(norm2(.))

    Args:
        embed_dims (int): Channels.
        num_heads (int): Attention heads.
        num_prior_sets (int): Prior sets in memory after appending (j + 1).
        window_size (int): Window size. Defaults to 7.
        shift (bool): Shifted windows. Defaults to False.
        ffn_ratio (float): FFN expansion. Defaults to 4.
        drop_path (float): Stochastic depth rate. Defaults to 0.
        qkv_bias (bool): qkv bias. Defaults to True.
        qk_scale (float, optional): Attention scale override.
        drop_rate (float): Dropout after projections / in the FFN.
        attn_drop_rate (float): Dropout on attention weights.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='LN')``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 num_prior_sets: int,
                 window_size: int = 7,
                 shift: bool = False,
                 ffn_ratio: float = 4.,
                 drop_path: float = 0.,
                 qkv_bias: bool = True,
                 qk_scale: Optional[float] = None,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 norm_cfg: dict = dict(type='LN'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.num_prior_sets = num_prior_sets
        self.norm1 = build_norm_layer(norm_cfg, embed_dims)[1]
        self.attn = PriorShiftWindowMSA(
            embed_dims,
            num_heads,
            window_size,
            window_size // 2 if shift else 0,
            NUM_PRIOR_TOKENS * num_prior_sets,
            qkv_bias=qkv_bias,
            qk_scale=qk_scale,
            attn_drop=attn_drop_rate,
            proj_drop=drop_rate)
        self.drop_path = build_dropout(
            dict(type='DropPath', drop_prob=drop_path))
        self.norm2 = build_norm_layer(norm_cfg, embed_dims)[1]
        self.ffn = FFN(
            embed_dims=embed_dims,
            feedforward_channels=int(embed_dims * ffn_ratio),
            num_fcs=2,
            ffn_drop=drop_rate,
            dropout_layer=dict(type='DropPath', drop_prob=drop_path),
            act_cfg=dict(type='GELU'))

    @staticmethod
    def region_means(x: Tensor, regions: Tensor) -> Tensor:
        """Mean token of each region (zero for an empty region).

        Args:
            x (Tensor): ``(B, L, C)`` tokens.
            regions (Tensor): ``(B, 3, L)`` binary region masks.

        Returns:
            Tensor: ``(B, 3, C)``.
        """
        area = regions.sum(-1, keepdim=True)
        # == area + 1e-9 in float32 (areas are whole counts); a clamp, as
        # ONNX graph optimisers fold the addition away and divide by 0
        return torch.bmm(regions, x) / area.clamp(min=1e-9)

    def forward(self, x: Tensor, hw_shape: Tuple[int, int], regions: Tensor,
                memory: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        """Run the block.

        Args:
            x (Tensor): ``(B, L, C)`` tokens.
            hw_shape (tuple[int, int]): ``(H, W)`` with ``H * W = L``.
            regions (Tensor): ``(B, 3, L)`` region masks in prior-token order
                (unknown, background, foreground).
            memory (Tensor, optional): ``(B, 3j, C)`` prior memory of the
                previous blocks of the stage (None for the first block).

        Returns:
            tuple[Tensor, Tensor]: tokens ``(B, L, C)`` and the updated
            memory ``(B, 3(j+1), C)``.
        """
        current = self.region_means(x, regions.to(x.dtype))
        memory = current if memory is None else torch.cat([memory, current],
                                                          dim=1)
        y, prior_update = self.attn(self.norm1(x), hw_shape,
                                    self.norm1(memory))
        x = x + self.drop_path(y)
        x = self.ffn(self.norm2(x), identity=x)
        memory = memory + self.drop_path(prior_update)
        memory = self.ffn(self.norm2(memory), identity=memory)
        return x, memory


class PASTStage(BaseModule):
    """A stage of PAST blocks (prior memory reset per stage) followed by
    mmcv's ``PatchMerging`` (``downsample``) when ``downsample`` is True.

    Args:
        embed_dims (int): Channels.
        depth (int): Blocks; block ``j`` shifts when ``j`` is odd and holds
            ``j + 1`` prior sets.
        num_heads (int): Attention heads.
        window_size (int): Window size.
        downsample (bool): Patch merging after the blocks.
        drop_paths (Sequence[float]): Stochastic depth rate of each block.
        block_cfg (dict): Extra :class:`PASTBlock` arguments.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int,
                 depth: int,
                 num_heads: int,
                 window_size: int = 7,
                 downsample: bool = False,
                 drop_paths: Sequence[float] = (),
                 block_cfg: dict = dict(),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        drop_paths = list(drop_paths) or [0.] * depth
        self.blocks = ModuleList([
            PASTBlock(
                embed_dims,
                num_heads,
                num_prior_sets=j + 1,
                window_size=window_size,
                shift=j % 2 == 1,
                drop_path=drop_paths[j],
                **block_cfg) for j in range(depth)
        ])
        self.downsample = PatchMerging(
            in_channels=embed_dims,
            out_channels=2 * embed_dims,
            norm_cfg=dict(type='LN')) if downsample else None

    def forward(
        self, x: Tensor, hw_shape: Tuple[int, int], regions: Tensor
    ) -> Tuple[Tensor, Tuple[int, int], Tensor, Tuple[int, int]]:
        """Run the blocks, then merge patches.

        Args:
            x (Tensor): ``(B, H*W, C)`` tokens.
            hw_shape (tuple[int, int]): ``(H, W)``.
            regions (Tensor): ``(B, 3, H, W)`` region masks.

        Returns:
            tuple: stage output ``(B, H*W, C)``, its ``(H, W)``, the merged
            tokens for the next stage and their shape (the stage output and
            ``(H, W)`` again without ``downsample``).
        """
        regions = regions.flatten(2)
        memory = None
        for block in self.blocks:
            x, memory = block(x, hw_shape, regions, memory)
        if self.downsample is None:
            return x, hw_shape, x, hw_shape
        x_down, down_shape = self.downsample(x, hw_shape)
        return x, hw_shape, x_down, tuple(down_shape)


@MODELS.register_module()
class MatteFormerEncoder(BaseModule):
    """MatteFormer's PAST-Swin encoder returning the 6 decoder levels.

    The input is the 6-channel matting input (normalised RGB + one-hot
    trimap, channels ``in_channels - 3 ..`` being the trimap). Returns
    ``[input (OS1), patch embedding (OS4; the decoder up-samples it x2 to
    OS2), stage 0 .. 3 outputs (OS4 .. OS32, each through norm{i})]`` as
    ``NxCxHxW`` tensors, for :class:`dpt_mm.models.heads.MattingHead`. The
    shortcut convolutions of the official encoder live in that head.

    The trimap regions of stage ``i`` are the one-hot trimap resized by
    nearest neighbour to the patch grid, then to the stage's grid.

    Args:
        arch (dict): ``embed_dims``, ``depths``, ``num_heads``. Defaults to
            Swin-T ``(96, (2, 2, 6, 2), (3, 6, 12, 24))``.
        in_channels (int): Input channels (3 image + 3 trimap). Default 6.
        patch_size (int): Patch size. Defaults to 4.
        window_size (int): Window size. Defaults to 7.
        ffn_ratio (float): FFN expansion. Defaults to 4.
        qkv_bias (bool): qkv bias. Defaults to True.
        qk_scale (float, optional): Attention scale override.
        drop_rate (float): Dropout rate. Defaults to 0.
        attn_drop_rate (float): Attention dropout rate. Defaults to 0.
        drop_path_rate (float): Stochastic depth, linearly increasing over
            blocks. Defaults to 0.3 (MatteFormer's setting).
        init_cfg (dict, optional): Initialisation config, e.g. a
            ``Pretrained`` checkpoint converted by
            :mod:`dpt_mm.models.converters.matteformer`.
    """

    def __init__(self,
                 arch: dict = dict(
                     embed_dims=96, depths=(2, 2, 6, 2),
                     num_heads=(3, 6, 12, 24)),
                 in_channels: int = 6,
                 patch_size: int = 4,
                 window_size: int = 7,
                 ffn_ratio: float = 4.,
                 qkv_bias: bool = True,
                 qk_scale: Optional[float] = None,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.3,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if set(arch) != {'embed_dims', 'depths', 'num_heads'}:
            raise ValueError('arch needs exactly embed_dims, depths and '
                             f'num_heads, got {sorted(arch)}')
        if len(arch['depths']) != 4 or len(arch['num_heads']) != 4:
            raise ValueError('MatteFormerEncoder needs 4 stages')
        if in_channels < 3 + NUM_PRIOR_TOKENS:
            raise ValueError(f'in_channels={in_channels}: the input must hold '
                             'the image and the 3-channel one-hot trimap')
        self.in_channels = in_channels
        self.embed_dims = arch['embed_dims']
        self.depths = tuple(arch['depths'])
        self.num_heads = tuple(arch['num_heads'])
        self.window_size = window_size
        self.patch_embed = PatchEmbed(
            in_channels=in_channels,
            embed_dims=self.embed_dims,
            conv_type='Conv2d',
            kernel_size=patch_size,
            stride=patch_size,
            norm_cfg=dict(type='LN'))
        self.drop_after_pos = nn.Dropout(p=drop_rate)
        dpr = torch.linspace(0, drop_path_rate, sum(self.depths)).tolist()
        self.num_features = [self.embed_dims * 2**i for i in range(4)]
        self.stages = ModuleList()
        for i, (depth, heads) in enumerate(zip(self.depths, self.num_heads)):
            self.stages.append(
                PASTStage(
                    self.num_features[i],
                    depth,
                    heads,
                    window_size=window_size,
                    downsample=i < 3,
                    drop_paths=dpr[sum(self.depths[:i]):sum(self.depths[:i +
                                                                        1])],
                    block_cfg=dict(
                        ffn_ratio=ffn_ratio,
                        qkv_bias=qkv_bias,
                        qk_scale=qk_scale,
                        drop_rate=drop_rate,
                        attn_drop_rate=attn_drop_rate)))
        for i, channels in enumerate(self.num_features):
            self.add_module(f'norm{i}',
                            build_norm_layer(dict(type='LN'), channels)[1])

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of the six returned levels."""
        return (self.in_channels, self.embed_dims, *self.num_features)

    def forward(self, inputs: Tensor) -> List[Tensor]:
        """Encode.

        Args:
            inputs (Tensor): ``(B, in_channels, H, W)``; the last 3 channels
                are the one-hot trimap.

        Returns:
            list[Tensor]: The six decoder levels (see the class docstring).
        """
        if inputs.dim() != 4 or inputs.shape[1] != self.in_channels:
            raise ValueError(f'MatteFormerEncoder expects (B, '
                             f'{self.in_channels}, H, W) inputs, got '
                             f'{tuple(inputs.shape)}')
        b = inputs.shape[0]
        trimap = inputs[:, -NUM_PRIOR_TOKENS:]
        x, hw_shape = self.patch_embed(inputs)
        embed = x.transpose(1, 2).reshape(b, self.embed_dims, *hw_shape)
        x = self.drop_after_pos(x)
        grid_regions = F.interpolate(
            trimap[:, list(PRIOR_TRIMAP_CHANNELS)],
            size=tuple(hw_shape),
            mode='nearest')
        outs = [inputs, embed]
        for i, stage in enumerate(self.stages):
            regions = grid_regions
            if tuple(regions.shape[-2:]) != tuple(hw_shape):
                regions = F.interpolate(
                    grid_regions, size=tuple(hw_shape), mode='nearest')
            out, out_shape, x, hw_shape = stage(x, tuple(hw_shape), regions)
            out = getattr(self, f'norm{i}')(out)
            outs.append(
                out.view(b, *out_shape,
                         self.num_features[i]).permute(0, 3, 1,
                                                       2).contiguous())
        return outs
