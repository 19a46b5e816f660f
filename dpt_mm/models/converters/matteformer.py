# Copyright (c) dpt-mm contributors. All rights reserved.
"""State-dict converters for the MatteFormer network (PAST-Swin + MattingHead).

Converts the official MatteFormer release, ImageNet Swin weights and DPT
pre-training to ``backbone`` (mmpretrain Swin names) + ``head``
(:class:`MattingHead`). Every key is converted or dropped with a reason; an
unknown key raises ``KeyError``. Key tables: each ``convert_*`` docstring.
"""
import re
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor

from dpt_mm.models.editors.matteformer.past_encoder import (
    NUM_PRIOR_TOKENS, prior_relative_position_index,
    window_relative_position_index)
from dpt_mm.utils.io import checkpoint_state_dict
from .checkpoint import drop
from .resnet import expand_in_channels

StateDict = Dict[str, Tensor]
Dropped = Optional[List[Tuple[str, str]]]

_SN_SUFFIX = {
    'module.weight_bar': 'weight_orig',
    'module.weight_u': 'weight_u',
    'module.weight_v': 'weight_v',
}
# official Swin / MatteFormer block sub-keys -> ours
_BLOCK_RENAMES = (
    ('attn.qkv.', 'attn.w_msa.qkv.'),
    ('attn.proj.', 'attn.w_msa.proj.'),
    ('attn.relative_position_bias_table',
     'attn.w_msa.relative_position_bias_table'),
    ('mlp.fc1.', 'ffn.layers.0.0.'),
    ('mlp.fc2.', 'ffn.layers.1.'),
    ('norm1.', 'norm1.'),
    ('norm2.', 'norm2.'),
)


def slice_to_unfold_order(x: Tensor) -> Tensor:
    """Permute the 4C input dimension of a patch-merging weight (last dim)
    or norm parameter from slicing order to ``nn.Unfold`` order.

    The official Swin / MatteFormer patch merging concatenates the 2x2
    neighbours as ``[(0,0), (1,0), (0,1), (1,1)]`` blocks of C channels;
    mmcv's ``PatchMerging`` (``nn.Unfold``) orders them channel-major with
    the kernel position ``row*2 + col`` inside.
    """
    c4 = x.shape[-1]
    if c4 % 4:
        raise ValueError(f'patch-merging dimension {c4} is not 4C')
    lead = x.shape[:-1]
    y = x.reshape(*lead, 4, c4 // 4)[..., [0, 2, 1, 3], :]
    return y.transpose(-1, -2).reshape(*lead, c4)


def unfold_to_slice_order(x: Tensor) -> Tensor:
    """Inverse of :func:`slice_to_unfold_order`."""
    c4 = x.shape[-1]
    lead = x.shape[:-1]
    y = x.reshape(*lead, c4 // 4, 4).transpose(-1, -2)
    return y[..., [0, 2, 1, 3], :].reshape(*lead, c4)


def _window_size(index: Tensor) -> int:
    n = index.shape[0]
    w = int(round(n**0.5))
    if w * w != n:
        raise ValueError(f'relative_position_index with {n} rows is not a '
                         'square window')
    return w


def _check_index(key: str, index: Tensor, table: Tensor) -> None:
    """Raise if a saved relative-position index differs from the one the
    model derives (e.g. another window size)."""
    w = _window_size(index)
    extra = index.shape[1] - index.shape[0]
    expected = (
        prior_relative_position_index((w, w), extra)
        if extra else window_relative_position_index((w, w)))
    if tuple(index.shape) != tuple(expected.shape) or not torch.equal(
            index.long().cpu(), expected):
        raise ValueError(f'{key}: saved relative_position_index differs from '
                         f'the one derived for window {w}x{w}')
    if table.shape[0] != (2 * w - 1)**2 + extra:
        raise ValueError(f'{key}: the table has {table.shape[0]} rows, the '
                         f'index needs {(2 * w - 1)**2 + extra}')


def _xavier_normal(shape: Tuple[int, ...], generator: torch.Generator,
                   dtype: torch.dtype) -> Tensor:
    """Xavier-normal values (torch's fan definition) from ``generator``."""
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    std = (2.0 / (fan_in + fan_out))**0.5
    return (torch.randn(shape, generator=generator) * std).to(dtype)


def extend_relative_position_table(table: Tensor, num_prior_tokens: int,
                                   generator: torch.Generator) -> Tensor:
    """Append ``num_prior_tokens`` rows to a Swin relative-position table.

    As MatteFormer: a Xavier-normal tensor of the extended shape whose first
    rows are replaced by the pre-trained table.
    """
    rows, heads = table.shape
    new = _xavier_normal((rows + num_prior_tokens, heads), generator,
                         table.dtype)
    new[:rows] = table
    return new


def extend_patch_embed(weight: Tensor, in_channels: int,
                       generator: torch.Generator) -> Tensor:
    """Widen a patch-embedding conv weight to ``in_channels`` inputs:
    Xavier-normal everywhere, then the pre-trained channels copied."""
    out_c, in_c = weight.shape[:2]
    if in_c == in_channels:
        return weight
    if in_c > in_channels:
        raise ValueError(f'patch embedding has {in_c} > {in_channels} '
                         'input channels')
    new = _xavier_normal((out_c, in_channels, *weight.shape[2:]), generator,
                         weight.dtype)
    new[:, :in_c] = weight
    return new


_BLOCK_RE = re.compile(r'^(stages|layers)\.(\d+)\.blocks\.(\d+)\.(.+)$')
_DOWN_RE = re.compile(r'^(stages|layers)\.(\d+)\.downsample\.(.+)$')


def _convert_official_encoder_key(key: str) -> Optional[str]:
    """Official (Swin / MatteFormer) encoder key -> ours, or None if it is
    not a convertible encoder parameter."""
    if key.startswith('patch_embed.proj.'):
        return key.replace('patch_embed.proj.', 'patch_embed.projection.')
    if key.startswith('patch_embed.norm.') or re.match(r'^norm\d\.', key):
        return key
    m = _BLOCK_RE.match(key)
    if m and m.group(1) == 'layers':
        rest = m.group(4)
        for old, new in _BLOCK_RENAMES:
            if rest.startswith(old):
                rest = new + rest[len(old):]
                return f'stages.{m.group(2)}.blocks.{m.group(3)}.{rest}'
        return None
    m = _DOWN_RE.match(key)
    if m and m.group(1) == 'layers':
        return f'stages.{m.group(2)}.downsample.{m.group(3)}'
    return None


def _convert_sn_key(key: str) -> str:
    for old, new in _SN_SUFFIX.items():
        if key.endswith('.' + old):
            return key[:-len(old)] + new
    return key


def convert_official(state_dict: dict,
                     part: Optional[str] = None,
                     dropped: Dropped = None) -> StateDict:
    """Official MatteFormer checkpoint -> our MatteFormer state dict.

    Key mapping, official -> ours (``E = encoder.``, ``L =
    layers.i.blocks.j.``, ``S = backbone.stages.i.blocks.j.``)::

        E patch_embed.proj.*            -> backbone.patch_embed.projection.*
        E patch_embed.norm.*            -> backbone.patch_embed.norm.*
        E L norm1.* / norm2.*           -> S norm1.* / norm2.*
        E L attn.qkv.* / attn.proj.*    -> S attn.w_msa.qkv.* / .proj.*
        E L attn.relative_position_bias_table
                                        -> S attn.w_msa.relative_position_
                                           bias_table (same rows)
        E L attn.relative_position_index
                                        -> dropped: derived buffer, checked
                                           equal to the one we derive
        E L mlp.fc1.* / mlp.fc2.*       -> S ffn.layers.0.0.* / ffn.layers.1.*
        E layers.i.downsample.{reduction,norm}.*
                                        -> backbone.stages.i.downsample.
                                           {reduction,norm}.*  (*)
        E norm{i}.*                     -> backbone.norm{i}.*
        E shortcut.k.*                  -> head.shortcut.k.*  (**)
        decoder.*                       -> head.*  (**)

    (*) The 4C input dimension of ``reduction`` and of ``norm`` is permuted
    from the official slicing order to mmcv's unfold order
    (:func:`slice_to_unfold_order`).

    (**) The official ``SpectralNorm`` wrapper stores ``X.module.weight_bar``
    / ``weight_u`` / ``weight_v``; torch's ``spectral_norm(dim=0)`` (used by
    the head) stores ``X.weight_orig`` / ``weight_u`` / ``weight_v`` and
    computes the same sigma, so these are renamed; all other decoder keys
    keep their names.

    Args:
        state_dict (dict): ``Generator_MatteFormer.state_dict()`` (or a
            checkpoint holding it under ``state_dict``; ``module.`` prefixes
            are stripped).
        part (None): Unused (one signature for all converters).
        dropped (list, optional): Receives ``(key, reason)`` for each key
            deliberately not converted.

    Returns:
        dict[str, Tensor]: Keys of our model (``backbone.*``, ``head.*``);
        loads with ``strict=True``.
    """
    sd = checkpoint_state_dict(state_dict)
    out: StateDict = {}
    for key, value in sd.items():
        if key.startswith('encoder.shortcut.'):
            out['head.' + _convert_sn_key(key[len('encoder.'):])] = value
        elif key.startswith('decoder.'):
            out['head.' + _convert_sn_key(key[len('decoder.'):])] = value
        elif key.startswith('encoder.'):
            sub = key[len('encoder.'):]
            if sub.endswith('attn.relative_position_index'):
                table = sd[key.replace('relative_position_index',
                                       'relative_position_bias_table')]
                _check_index(key, value, table)
                drop(dropped, key, 'derived buffer (checked)')
                continue
            new = _convert_official_encoder_key(sub)
            if new is None:
                raise KeyError(f'unrecognised official MatteFormer key {key}')
            if new.startswith('stages.') and '.downsample.' in new:
                value = slice_to_unfold_order(value)
            out['backbone.' + new] = value
        else:
            raise KeyError(f'unrecognised official MatteFormer key {key}')
    return out


def _extend_backbone(sd: StateDict, in_channels: int,
                     generator: torch.Generator,
                     dropped: Dropped) -> StateDict:
    """Extend ``stages.*`` tables and the patch embedding of an mmpretrain-
    named Swin state dict (keys without prefix)."""
    out: StateDict = {}
    for key, value in sd.items():
        m = _BLOCK_RE.match(key)
        if key.endswith('relative_position_index'):
            table = sd[key.replace('relative_position_index',
                                   'relative_position_bias_table')]
            _check_index(key, value, table)
            drop(dropped, key, 'derived buffer (checked)')
            continue
        if key.endswith('attn_mask'):
            drop(dropped, key, 'derived buffer (shift mask)')
            continue
        if m and key.endswith('relative_position_bias_table'):
            side = int(round(value.shape[0]**0.5))  # (2w-1)^2 plain rows
            if side * side != value.shape[0]:
                raise ValueError(f'{key} has {value.shape[0]} rows: not a '
                                 'plain Swin table (already extended?)')
            value = extend_relative_position_table(
                value, NUM_PRIOR_TOKENS * (int(m.group(3)) + 1), generator)
        elif key == 'patch_embed.projection.weight':
            value = extend_patch_embed(value, in_channels, generator)
        out[key] = value
    return out


def _swin_to_mmpretrain_names(sd: StateDict, dropped: Dropped) -> StateDict:
    """Rename an official Swin release state dict to mmpretrain names
    (encoder part only: classifier and final norm dropped)."""
    out: StateDict = {}
    for key, value in sd.items():
        if key.startswith('head.'):
            drop(dropped, key, 'classifier')
            continue
        if key.startswith('norm.'):
            drop(dropped, key, 'final norm (MatteFormer trains norm0..3)')
            continue
        if key.endswith('attn_mask'):
            drop(dropped, key, 'derived buffer (shift mask)')
            continue
        if key.endswith('relative_position_index'):
            m = _BLOCK_RE.match(key)
            if m is None:
                raise KeyError(f'unrecognised Swin key {key}')
            out[f'stages.{m.group(2)}.blocks.{m.group(3)}.attn.w_msa.'
                'relative_position_index'] = value
            continue
        new = _convert_official_encoder_key(key)
        if new is None:
            raise KeyError(f'unrecognised Swin key {key}')
        if '.downsample.' in new:
            value = slice_to_unfold_order(value)
        out[new] = value
    return out


def convert_supervised(state_dict: dict,
                       part: Optional[str] = None,
                       dropped: Dropped = None,
                       in_channels: int = 6,
                       seed: int = 0) -> StateDict:
    """ImageNet Swin (official release or mmpretrain) -> MatteFormer
    initialisation (``backbone.*`` keys; load non-strictly, e.g. through
    ``init_cfg=dict(type='Pretrained', checkpoint=...)``).

    Sources: the official Swin release (``model`` dict:
    ``patch_embed.proj``, ``layers.i...``, ``mlp.fc1``, slicing-order patch
    merging) or mmpretrain's ``SwinTransformer``
    (``backbone.patch_embed.projection``, ``backbone.stages.i...``, unfold
    order). As MatteFormer's ``init_pretrained_weight`` does, the patch
    embedding gets 3 more input channels (Xavier-normal initialised, RGB
    filters copied) and each relative-position table of block ``j`` gets
    ``3 * (j + 1)`` rows for the prior tokens (Xavier-normal over the
    extended table shape, pre-trained rows copied). Only the patch embedding
    and the stages are kept: the classifier, the final ``norm`` / ``norm3``,
    ``attn_mask`` and relative-position indices are dropped; ``norm0..3``
    and the decoder start from scratch.

    Args:
        state_dict (dict): The Swin checkpoint or state dict.
        part (None): Unused (one signature for all converters).
        dropped (list, optional): Receives ``(key, reason)`` pairs.
        in_channels (int): Input channels of the patch embedding. Default 6.
        seed (int): Seed of the Xavier-normal initialisation of the new
            trimap filters and prior table rows.

    Returns:
        dict[str, Tensor]: ``backbone.patch_embed.*`` and
        ``backbone.stages.*``.
    """
    sd = checkpoint_state_dict(state_dict)
    generator = torch.Generator().manual_seed(seed)
    if any(k.startswith('layers.') or k.startswith('patch_embed.proj.')
           for k in sd):
        enc = _swin_to_mmpretrain_names(sd, dropped)
    else:
        enc = {}
        for key, value in sd.items():
            sub = key[len('backbone.'):] if key.startswith('backbone.') \
                else key
            if sub.startswith(('patch_embed.', 'stages.')):
                enc[sub] = value
            elif re.match(r'^norm\d\.', sub):
                drop(dropped, key,
                      'output norm (MatteFormer trains norm0..3)')
            elif key.startswith(('head.', 'neck.', 'data_preprocessor.')):
                drop(dropped, key, 'classifier')
            else:
                raise KeyError(f'unrecognised mmpretrain Swin key {key}')
    enc = _extend_backbone(enc, in_channels, generator, dropped)
    return {'backbone.' + k: v for k, v in enc.items()}


def convert_dpt(state_dict: dict,
                part: str = 'encoder',
                dropped: Dropped = None,
                seed: int = 0) -> StateDict:
    """DPT checkpoint -> MatteFormer initialisation.

    A DPT model pre-trained with the fine-tuning network itself
    (``MatteFormerEncoder`` + ``MattingHead``, ``configs/dpt_swin-t_in1k.py``)
    maps by identity (:func:`is_past_layout`): every ``backbone.*`` key
    (prior-token rows of the relative-position tables included) and, for
    ``encoder+decoder``, every ``head.*`` key keep their names and values.
    A checkpoint of a plain 3-channel Swin (``MattingSwinTransformer``, the
    Table 7 "without trimap" row,
    ``configs/dpt_ablations/dpt_swin-t_no-trimap_in1k.py``) gets its tables
    extended by seeded prior rows, as for supervised weights, and its input
    widened to 6 channels (:func:`widen_to_trimap_input`).

    Args:
        state_dict (dict): The DPT checkpoint or state dict.
        part (str): ``'encoder'`` or ``'encoder+decoder'`` (Table 6).
        dropped (list, optional): Receives ``(key, reason)`` pairs.
        seed (int): Seed of the new rows / filters of a plain-Swin source.

    Returns:
        dict[str, Tensor]: ``backbone.*`` (and ``head.*``).
    """
    if part not in ('encoder', 'encoder+decoder'):
        raise ValueError(f"part must be 'encoder' or 'encoder+decoder', got "
                         f'{part!r}')
    sd = checkpoint_state_dict(state_dict)
    generator = torch.Generator().manual_seed(seed)
    enc: StateDict = {}
    out: StateDict = {}
    for key, value in sd.items():
        if key.startswith('backbone.'):
            enc[key[len('backbone.'):]] = value
        elif key.startswith('head.loss_module.'):
            drop(dropped, key, 'pre-training loss buffer')
        elif key.startswith('head.'):
            if part == 'encoder+decoder':
                out[key] = value
            else:
                drop(dropped, key, "decoder (part='encoder')")
        elif key.startswith('data_preprocessor.'):
            drop(dropped, key, 'data preprocessor buffer')
        else:
            raise KeyError(f'unrecognised DPT key {key} (a neck is not part '
                           'of MatteFormer)')
    if 'patch_embed.projection.weight' not in enc:
        raise KeyError('no backbone.patch_embed.projection.weight: not a DPT '
                       'Swin checkpoint')
    if is_past_layout(enc):  # the fine-tuning network itself: identity
        for key, value in enc.items():
            if key.endswith(('relative_position_index', 'attn_mask')):
                drop(dropped, 'backbone.' + key, 'derived buffer')
                continue
            out['backbone.' + key] = value
        return out
    # plain Swin (Table 7 without trimap): prior rows, then 3 -> 6 channels
    for key, value in _extend_backbone(enc, enc[
            'patch_embed.projection.weight'].shape[1], generator,
                                       dropped).items():
        out['backbone.' + key] = value
    return widen_to_trimap_input(out, seed=seed)


def widen_to_trimap_input(state_dict: StateDict,
                          in_channels: int = 6,
                          seed: int = 0) -> StateDict:
    """Give a 3-channel (image-only) MatteFormer state dict the 6-channel
    input of image + one-hot trimap (Table 7 "without trimap" row).

    The patch embedding gets Xavier-normal trimap filters, RGB filters
    copied (:func:`extend_patch_embed`); the decoder's first shortcut conv
    gets zero trimap filters, its spectral-norm ``weight_v`` zero-padded so
    that sigma is unchanged (``resnet.expand_in_channels``). A state dict
    that already has ``in_channels`` inputs is returned unchanged.

    Args:
        state_dict (dict): ``backbone.*`` and optionally ``head.*``.
        in_channels (int): Target input channels. Defaults to 6.
        seed (int): Seed of the Xavier-normal trimap filters.

    Returns:
        dict[str, Tensor]: The state dict with the widened tensors.
    """
    key = 'backbone.patch_embed.projection.weight'
    if key not in state_dict or state_dict[key].shape[1] == in_channels:
        return state_dict
    out = dict(state_dict)
    generator = torch.Generator().manual_seed(seed)
    out[key] = extend_patch_embed(out[key], in_channels, generator)
    if 'head.shortcut.0.0.weight_orig' in out:
        expand_in_channels(
            out, 'head.shortcut.0.0.', spectral=True, in_channels=in_channels)
    return out


def is_past_layout(encoder_sd: StateDict) -> bool:
    """Whether an encoder state dict (keys without ``backbone.``) is
    ``MatteFormerEncoder``'s: its relative-position tables already hold the
    prior-token rows (a plain Swin table has a square number of rows)."""
    for key, value in encoder_sd.items():
        if key.endswith('relative_position_bias_table'):
            side = int(round(value.shape[0]**0.5))
            return side * side != value.shape[0]
    return False
