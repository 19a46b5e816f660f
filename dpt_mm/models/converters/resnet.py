# Copyright (c) dpt-mm contributors. All rights reserved.
"""Weight converters for the ResNet matting models (GCA, MG Matting).

Targets (keys of the whole mattor, ready for ``load_from`` /
``load_state_dict``):

- ``'mgmatting'``: :class:`MGMatting` = ``backbone.*`` (``MattingResNetEnc``,
  i.e. mmagic ``ResNetEnc`` keys), ``neck.*`` (ASPP), ``head.*``
  (``MattingHead``).
- ``'gca'``: mmagic's ``GCA`` with ``ResGCAEncoder`` / ``ResGCADecoder`` =
  ``backbone.encoder.*`` / ``backbone.decoder.*``.
- ``'gca_r50'``: ``GCA`` with :class:`ResGCABottleneckEncoder` =
  ``backbone.encoder.resnet.*`` (mmpretrain / torchvision ResNet keys).

Sources:

- :func:`convert_dpt`: a DPT checkpoint (``DPT`` with ``MattingResNetEnc``
  backbone, or ``MattingResNet`` -- mmpretrain / torchvision keys -- for
  ``'gca_r50'``, and ``MattingHead`` head, keys ``backbone.*`` / ``head.*``;
  ``configs/dpt_r34_in1k.py`` / ``configs/dpt_r50_in1k.py``).
  ``part='encoder'`` maps the backbone; ``'encoder+decoder'`` also maps the
  head: one-to-one for MG Matting; for GCA the head's shortcut blocks go to
  GCA's encoder shortcuts and its up-sampling layers / ``conv1`` / ``bn1``
  to GCA's decoder (same widths and block counts); the refine heads have no
  GCA counterpart and are reported as dropped.
- :func:`convert_supervised`: an ImageNet-supervised checkpoint. For
  ``'gca'`` / ``'mgmatting'`` this is the ResNet-34-D of GCA-Matting
  (``model_best_resnet34_En_nomixup.pth``, official ``*.module.weight_bar``
  names, or mmagic's converted ``res34_en_nomixup`` with ``ResNetEnc``
  names): torchvision's ResNet-34 has a 7x7 stem and 3-4-6-3 blocks and does
  not fit the 3-4-4-2 ResNet-D encoder, so it is refused with an error. For
  ``'gca_r50'`` it is a torchvision / mmpretrain / DenseCL ResNet-50.

6-channel stem: the first conv's RGB filters are copied and the three
trimap filters set to zero (as GCA-Matting, MG Matting and mmagic do), so
the converted network initially computes exactly the RGB network's features.
For a spectral-normalised stem the power-iteration vector ``weight_v`` is
zero-padded the same way, which leaves sigma = u^T W v unchanged.

Spectral norm of transposed convs: ``MattingHead`` normalises over dim 0,
mmcv's ``ConvModule`` over torch's default dim 1; for those weights
``weight_orig`` is copied and ``weight_u`` / ``weight_v`` are re-estimated
by power iteration in the target's layout.

No key is dropped silently: every source key that is not converted is
logged (``print_log`` warning) and appended to ``dropped`` if given.
"""
import re
from collections import OrderedDict
from typing import Callable, Dict, List, Mapping, Optional, Tuple

import torch
from mmengine.logging import print_log
from torch import Tensor

MODELS = ('gca', 'mgmatting', 'gca_r50')
PARTS = ('encoder', 'encoder+decoder')
IN_CHANNELS = 6
_STRIP_PREFIXES = ('module.', 'encoder_q.', 'backbone.', 'encoder.')


def _unwrap(checkpoint: Mapping) -> Dict[str, Tensor]:
    """Return the state dict of a checkpoint or the mapping itself."""
    if not isinstance(checkpoint, Mapping):
        raise TypeError('expected a checkpoint dict or a state dict, got '
                        f'{type(checkpoint).__name__}')
    for key in ('state_dict', 'model'):
        if key in checkpoint and isinstance(checkpoint[key], Mapping):
            return dict(checkpoint[key])
    return dict(checkpoint)


def _check_choice(value: str, choices: Tuple[str, ...], name: str) -> None:
    if value not in choices:
        raise ValueError(f'{name} must be one of {choices}, got {value!r}')


def _report(dropped_here: List[str], dropped: Optional[List[str]],
            what: str) -> None:
    if dropped is not None:
        dropped.extend(dropped_here)
    for key in dropped_here:
        print_log(f'{what}: dropped {key}', logger='current', level=30)


def expand_in_channels(state: Dict[str, Tensor],
                       prefix: str,
                       spectral: bool,
                       in_channels: int = IN_CHANNELS) -> None:
    """Zero-pad the input channels of the conv at ``prefix`` in place.

    Args:
        state (dict): State dict holding the conv.
        prefix (str): Key prefix of the conv (``'conv1.conv.'``).
        spectral (bool): Whether the conv is spectral-normalised
            (``weight_orig`` / ``weight_v``) or plain (``weight``).
        in_channels (int): Target input channels. Default 6.
    """
    wkey = prefix + ('weight_orig' if spectral else 'weight')
    if wkey not in state:
        raise KeyError(f'stem weight {wkey} not in the state dict')
    w = state[wkey]
    c_in = w.shape[1]
    if c_in == in_channels:
        return
    if c_in > in_channels:
        raise ValueError(f'{wkey} has {c_in} input channels, more than '
                         f'{in_channels}')
    new = w.new_zeros((w.shape[0], in_channels) + tuple(w.shape[2:]))
    new[:, :c_in] = w
    state[wkey] = new
    if spectral:
        v = state[prefix + 'weight_v']
        new_v = v.new_zeros(new[0].numel())
        new_v[:v.numel()] = v
        state[prefix + 'weight_v'] = new_v


# ---------------------------------------------------------------- ResNet-34-D
def _official_resnet_d_key(key: str) -> Optional[str]:
    """GCA-Matting ``ResNet_D`` key -> mmagic ``ResNetEnc`` key."""
    key = key.replace('.module.weight_bar', '.module.weight_orig')
    key = key.replace('.module.', '.conv.')
    m = re.match(r'^bn([123])\.(.+)$', key)
    if m:
        return f'conv{m.group(1)}.bn.{m.group(2)}'
    if re.match(r'^conv[123]\.conv\.', key):
        return key
    key = re.sub(r'^layer_bottleneck\.', 'layer4.', key)
    m = re.match(r'^(layer[1-4]\.\d+\.)(.+)$', key)
    if not m:
        return None
    block, rest = m.groups()
    m2 = re.match(r'^bn([12])\.(.+)$', rest)
    if m2:
        return f'{block}conv{m2.group(1)}.bn.{m2.group(2)}'
    if re.match(r'^conv[12]\.conv\.', rest):
        return block + rest
    rest = re.sub(r'^downsample\.1\.conv\.', 'interpolation.1.conv.', rest)
    rest = re.sub(r'^downsample\.2\.', 'interpolation.1.bn.', rest)
    if rest.startswith('interpolation.1.'):
        return block + rest
    return None


_RESNET_ENC_KEY = re.compile(
    r'^(conv[123]\.(conv|bn)\.|layer[1-4]\.\d+\.'
    r'(conv[12]\.(conv|bn)\.|interpolation\.1\.(conv|bn)\.))')


def _resnet_d_encoder(state: Dict[str, Tensor],
                      what: str) -> Tuple[Dict[str, Tensor], List[str]]:
    """Map a ResNet-34-D state dict (official or mmagic names, any of the
    usual prefixes) to ``ResNetEnc`` keys; return (mapped, dropped)."""
    out: Dict[str, Tensor] = OrderedDict()
    dropped = []
    for key, value in state.items():
        bare = key
        for p in _STRIP_PREFIXES:
            if bare.startswith(p):
                bare = bare[len(p):]
        if _RESNET_ENC_KEY.match(bare):
            new = bare
        else:
            new = _official_resnet_d_key(bare)
        if new is None:
            dropped.append(key)
        else:
            out[new] = value
    if 'conv1.conv.weight_orig' not in out:
        if any(k.endswith('conv1.weight') for k in state):
            raise ValueError(
                f'{what}: this looks like a torchvision-layout ResNet (7x7 '
                'stem, no spectral norm). GCA / MG Matting use the ResNet-34-D'
                ' encoder of GCA-Matting (3x3 deep stem, blocks 3-4-4-2); '
                'convert its ImageNet release (model_best_resnet34_En_nomixup'
                '.pth) instead, or use model="gca_r50" for a ResNet-50.')
        raise ValueError(f'{what}: no ResNet-34-D stem found (expected '
                         'conv1.module.weight_bar or conv1.conv.weight_orig)')
    expand_in_channels(out, 'conv1.conv.', spectral=True)
    return out, dropped


# ------------------------------------------------------------------ ResNet-50
_TV_RESNET_KEY = re.compile(
    r'^(conv1\.weight|bn1\.|layer[1-4]\.\d+\.(conv[123]\.weight|bn[123]\.|'
    r'downsample\.[01]\.))')


def _torchvision_resnet(state: Dict[str, Tensor],
                        what: str) -> Tuple[Dict[str, Tensor], List[str]]:
    """Map torchvision / mmpretrain / DenseCL ResNet keys (prefixes
    ``module.``, ``encoder_q.``, ``backbone.`` stripped); drop the rest."""
    out: Dict[str, Tensor] = OrderedDict()
    dropped = []
    for key, value in state.items():
        bare = key
        for p in _STRIP_PREFIXES:
            if bare.startswith(p):
                bare = bare[len(p):]
        if _TV_RESNET_KEY.match(bare) and 'encoder_k' not in key:
            out[bare] = value
        else:
            dropped.append(key)
    if 'conv1.weight' not in out:
        raise ValueError(f'{what}: no torchvision-layout ResNet found '
                         '(expected conv1.weight, layer1.0.conv1.weight, ...)')
    expand_in_channels(out, 'conv1.', spectral=False)
    return out, dropped


# ------------------------------------------------------------ MattingHead->GCA
def _power_iteration(weight: Tensor, dim: int,
                     iters: int = 50) -> Tuple[Tensor, Tensor]:
    """Singular vectors ``(u, v)`` of ``weight`` reshaped as torch's
    spectral norm does for ``dim``."""
    mat = weight.detach().double()
    if dim != 0:
        mat = mat.transpose(0, dim)
    mat = mat.reshape(mat.shape[0], -1)
    gen = torch.Generator().manual_seed(0)
    u = torch.randn(mat.shape[0], generator=gen, dtype=mat.dtype)
    v = torch.randn(mat.shape[1], generator=gen, dtype=mat.dtype)
    for _ in range(iters):
        v = torch.nn.functional.normalize(mat.t() @ u, dim=0, eps=1e-12)
        u = torch.nn.functional.normalize(mat @ v, dim=0, eps=1e-12)
    return u.to(weight.dtype), v.to(weight.dtype)


def _sn_conv(src: Dict[str, Tensor], sp: str, dst: Dict[str, Tensor],
             dp: str, deconv: bool) -> List[str]:
    """Copy a spectral-normalised conv; re-estimate u / v for deconvs."""
    w = src[sp + 'weight_orig']
    dst[dp + 'weight_orig'] = w
    if deconv:  # MattingHead: dim 0; mmcv ConvModule (torch default): dim 1
        dst[dp + 'weight_u'], dst[dp + 'weight_v'] = _power_iteration(w, 1)
    else:
        dst[dp + 'weight_u'] = src[sp + 'weight_u']
        dst[dp + 'weight_v'] = src[sp + 'weight_v']
    return [sp + s for s in ('weight_orig', 'weight_u', 'weight_v')]


def _bn(src: Dict[str, Tensor], sp: str, dst: Dict[str, Tensor],
        dp: str) -> List[str]:
    keys = [k for k in src if k.startswith(sp) and '.' not in k[len(sp):]]
    for k in keys:
        dst[dp + k[len(sp):]] = src[k]
    return keys


def _head_to_gca(head: Dict[str, Tensor]) -> Tuple[Dict[str, Tensor],
                                                   List[str]]:
    """Map ``MattingHead`` keys (without ``head.``) to GCA keys (with
    ``backbone.``); return (mapped, unmapped source keys)."""
    out: Dict[str, Tensor] = OrderedDict()
    used: List[str] = []
    enc, dec = 'backbone.encoder.', 'backbone.decoder.'
    for i in range(5):
        sp = f'shortcut.{i}.'
        if sp + '0.weight_orig' not in head:
            continue
        for j, (c, n) in enumerate(((0, 2), (3, 5))):
            dp = f'{enc}shortcut.{i}.{j}.'
            used += _sn_conv(head, f'{sp}{c}.', out, dp + 'conv.', False)
            used += _bn(head, f'{sp}{n}.', out, dp + 'bn.')
    block_keys = sorted({
        m.group(1)
        for k in head for m in [re.match(r'^(layer[1-4]\.\d+)\.', k)] if m
    })
    for block in block_keys:
        sp, dp = block + '.', dec + block + '.'
        first = sp + 'upsample.1.weight_orig' in head
        used += _sn_conv(head, sp + 'conv1.', out, dp + 'conv1.conv.', first)
        used += _bn(head, sp + 'bn1.', out, dp + 'conv1.bn.')
        used += _sn_conv(head, sp + 'conv2.', out, dp + 'conv2.conv.', False)
        used += _bn(head, sp + 'bn2.', out, dp + 'conv2.bn.')
        if first:
            used += _sn_conv(head, sp + 'upsample.1.', out,
                             dp + 'interpolation.1.conv.', False)
            used += _bn(head, sp + 'upsample.2.', out,
                        dp + 'interpolation.1.bn.')
    if 'conv1.weight_orig' in head:
        used += _sn_conv(head, 'conv1.', out, dec + 'conv1.conv.', True)
        used += _bn(head, 'bn1.', out, dec + 'conv1.bn.')
    used_set = set(used)
    return out, [k for k in head if k not in used_set]


# ------------------------------------------------------------------ public
def convert_dpt(checkpoint: Mapping,
                part: str = 'encoder',
                model: str = 'mgmatting',
                dropped: Optional[List[str]] = None) -> Dict[str, Tensor]:
    """Convert a DPT ResNet checkpoint into a GCA / MG Matting initialisation.

    Args:
        checkpoint (Mapping): DPT checkpoint (``{'state_dict': ...}``) or its
            state dict, keys ``backbone.*`` (``MattingResNetEnc``; for
            ``'gca_r50'`` a torchvision-layout ResNet such as
            ``MattingResNet``) and ``head.*``.
        part (str): ``'encoder'`` or ``'encoder+decoder'``.
        model (str): ``'gca'``, ``'mgmatting'`` or ``'gca_r50'``
            (``'gca_r50'`` supports ``part='encoder'`` only).
        dropped (list, optional): Receives every source key not converted.

    Returns:
        dict[str, Tensor]: State dict with the target mattor's key names.
    """
    _check_choice(part, PARTS, 'part')
    _check_choice(model, MODELS, 'model')
    state = _unwrap(checkpoint)
    state = {(k[7:] if k.startswith('module.') else k): v
             for k, v in state.items()}
    backbone = {
        k[9:]: v
        for k, v in state.items() if k.startswith('backbone.')
    }
    head = {k[5:]: v for k, v in state.items() if k.startswith('head.')}
    if not backbone:
        raise ValueError('not a DPT checkpoint: no "backbone." keys (found '
                         f'{sorted(state)[:5]}...)')
    other = [k for k in state
             if not k.startswith(('backbone.', 'head.'))]
    what = f'convert_dpt({model}, {part})'
    out: Dict[str, Tensor] = OrderedDict()
    lost: List[str] = list(other)
    if model == 'gca_r50':
        if part != 'encoder':
            raise ValueError('gca_r50: only part="encoder" is supported (the '
                             'R50 shortcut widths differ from the DPT head)')
        enc, enc_lost = _torchvision_resnet(backbone, what)
        out.update(('backbone.encoder.resnet.' + k, v) for k, v in enc.items())
    else:
        enc, enc_lost = _resnet_d_encoder(backbone, what)
        prefix = 'backbone.' if model == 'mgmatting' else 'backbone.encoder.'
        out.update((prefix + k, v) for k, v in enc.items())
    lost += ['backbone.' + k for k in enc_lost]
    if part == 'encoder+decoder':
        if not head:
            raise ValueError(f'{what}: the checkpoint has no "head." keys')
        if model == 'mgmatting':
            out.update(('head.' + k, v) for k, v in head.items())
        else:
            mapped, head_lost = _head_to_gca(head)
            out.update(mapped)
            lost += ['head.' + k for k in head_lost]
    else:
        lost += ['head.' + k for k in head]
    _report(lost, dropped, what)
    return out


def convert_supervised(checkpoint: Mapping,
                       model: str = 'mgmatting',
                       dropped: Optional[List[str]] = None
                       ) -> Dict[str, Tensor]:
    """Convert an ImageNet-supervised ResNet into a 6-channel encoder init.

    Args:
        checkpoint (Mapping): Checkpoint or state dict: GCA-Matting's
            ResNet-34-D for ``'gca'`` / ``'mgmatting'``; a torchvision /
            mmpretrain / DenseCL ResNet-50 for ``'gca_r50'``.
        model (str): ``'gca'``, ``'mgmatting'`` or ``'gca_r50'``.
        dropped (list, optional): Receives every source key not converted
            (classifier ``fc`` / ``head``, DenseCL ``neck`` / ``encoder_k``,
            ...).

    Returns:
        dict[str, Tensor]: Encoder state dict with the mattor's key names.
    """
    _check_choice(model, MODELS, 'model')
    state = _unwrap(checkpoint)
    what = f'convert_supervised({model})'
    convert: Callable = (
        _torchvision_resnet if model == 'gca_r50' else _resnet_d_encoder)
    enc, lost = convert(state, what)
    prefix = {
        'gca': 'backbone.encoder.',
        'mgmatting': 'backbone.',
        'gca_r50': 'backbone.encoder.resnet.'
    }[model]
    _report(lost, dropped, what)
    return OrderedDict((prefix + k, v) for k, v in enc.items())
