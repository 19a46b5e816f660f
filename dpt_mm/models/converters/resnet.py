# Copyright (c) dpt-mm contributors. All rights reserved.
"""Weight converters for the ResNet matting models (GCA, MG Matting).

Converts DPT pre-training, ImageNet ResNets and the released matting models
to the mattors of :data:`RESNET_MODELS`. Every input key left out is
reported in ``dropped`` as ``(key, reason)``; an unknown official key
raises ``KeyError``.
"""
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from dpt_mm.utils.io import checkpoint_state_dict
from ..utils.spectral_norm import power_iteration

StateDict = Dict[str, Tensor]
Dropped = List[Tuple[str, str]]

#: Targets (keys of the whole mattor): ``'mgmatting'``, MG Matting =
#: ``backbone.*`` (``MattingResNetEnc`` = mmagic ``ResNetEnc`` keys),
#: ``neck.*`` (``MGMattingASPP``), ``head.*`` (``MattingHead``, official
#: decoder names, spectral norm over dim 0); ``'gca'``, mmagic's ``GCA`` =
#: ``backbone.encoder.*`` (``ResGCAEncoder``) + ``backbone.decoder.*``
#: (``ResGCADecoder``), mmcv ``ConvModule`` names; ``'gca_r50'``, ``GCA``
#: with ``ResGCABottleneckEncoder`` = ``backbone.encoder.resnet.*``
#: (torchvision ResNet keys).
RESNET_MODELS = ('gca', 'mgmatting', 'gca_r50')
PARTS = ('encoder', 'encoder+decoder')
IN_CHANNELS = 6
_STRIP_PREFIXES = ('encoder_q.', 'backbone.', 'encoder.')
_PREFIX = {
    'gca': 'backbone.encoder.',
    'mgmatting': 'backbone.',
    'gca_r50': 'backbone.encoder.resnet.'
}


def _check_choice(value: str, choices: Tuple[str, ...], name: str) -> None:
    if value not in choices:
        raise ValueError(f'{name} must be one of {choices}, got {value!r}')


def expand_in_channels(state: StateDict,
                       prefix: str,
                       spectral: bool,
                       in_channels: int = IN_CHANNELS,
                       positions: Optional[Sequence[int]] = None) -> None:
    """Zero-pad the input channels of the conv at ``prefix`` in place.

    This makes the 6-channel stems: the RGB filters are copied, the trimap
    filters are zero (as GCA-Matting, MG Matting and mmagic do), and a
    spectral-norm vector ``weight_v`` is zero-padded the same way, which
    leaves sigma unchanged.

    Args:
        state (dict): State dict holding the conv.
        prefix (str): Key prefix of the conv (``'conv1.conv.'``).
        spectral (bool): Whether the conv is spectral-normalised
            (``weight_orig`` / ``weight_v``) or plain (``weight``).
        in_channels (int): Target input channels. Default 6.
        positions (Sequence[int], optional): Target channel of each source
            channel; default the first ones.
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
    positions = list(range(c_in) if positions is None else positions)
    new = w.new_zeros((w.shape[0], in_channels) + tuple(w.shape[2:]))
    new[:, positions] = w
    state[wkey] = new
    if spectral:  # v is the flattened (in, kh, kw) input vector
        v = state[prefix + 'weight_v'].reshape(c_in, -1)
        new_v = v.new_zeros((in_channels, v.shape[1]))
        new_v[positions] = v
        state[prefix + 'weight_v'] = new_v.reshape(-1)


# ---------------------------------------------------------------- ResNet-34-D
def _official_resnet_d_key(key: str) -> Optional[str]:
    """GCA-Matting ``ResNet_D`` key (``SpectralNorm`` wrapper names) ->
    mmagic ``ResNetEnc`` key, or None."""
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


def _strip(key: str) -> str:
    for p in _STRIP_PREFIXES:
        if key.startswith(p):
            key = key[len(p):]
    return key


def _resnet_d_encoder(state: StateDict, dropped: Dropped,
                      what: str) -> StateDict:
    """ResNet-34-D (official or mmagic names, usual prefixes) ->
    ``ResNetEnc`` keys, 6-channel stem."""
    out: StateDict = OrderedDict()
    for key, value in state.items():
        bare = _strip(key)
        new = bare if _RESNET_ENC_KEY.match(bare) else \
            _official_resnet_d_key(bare)
        if new is None:
            dropped.append((key, 'not part of the ResNet-34-D encoder'))
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
    return out


# ------------------------------------------------------------------ ResNet-50
_TV_RESNET_KEY = re.compile(
    r'^(conv1\.weight|bn1\.|layer[1-4]\.\d+\.(conv[123]\.weight|bn[123]\.|'
    r'downsample\.[01]\.))')


def _torchvision_resnet(state: StateDict, dropped: Dropped,
                        what: str) -> StateDict:
    """torchvision / mmpretrain ResNet keys (usual prefixes stripped),
    6-channel stem; the rest is dropped."""
    out: StateDict = OrderedDict()
    for key, value in state.items():
        bare = _strip(key)
        if _TV_RESNET_KEY.match(bare) and 'encoder_k' not in key:
            out[bare] = value
        else:
            dropped.append((key, 'not part of the ResNet encoder'))
    if 'conv1.weight' not in out:
        raise ValueError(f'{what}: no torchvision-layout ResNet found '
                         '(expected conv1.weight, layer1.0.conv1.weight, ...)')
    expand_in_channels(out, 'conv1.', spectral=False)
    return out


# ------------------------------------------------------------------ DPT
def convert_dpt(state_dict: dict,
                part: str,
                dropped: Dropped,
                model: str = 'mgmatting') -> StateDict:
    """DPT ResNet checkpoint -> GCA / MG Matting initialisation.

    A checkpoint of the fine-tuning network itself is used as it is:
    ``part='encoder+decoder'`` keeps every weight, ``part='encoder'`` only
    the encoder (``backbone.*`` for MG Matting, ``backbone.encoder.*`` for
    GCA). MG Matting's network is ``configs/dpt_r34_in1k.py``'s
    (``MattingResNetEnc`` + ``MattingHead``), so that checkpoint is always
    in its layout; for GCA that backbone maps onto ``ResGCAEncoder``'s
    ResNet (``part='encoder'``) only. ``configs/dpt_r50_in1k.py``
    (``MattingResNet``) maps onto ``'gca_r50'``'s ResNet.

    Args:
        state_dict (dict): DPT checkpoint or state dict.
        part (str): ``'encoder'`` or ``'encoder+decoder'``.
        dropped (list): Receives ``(key, reason)`` per key not converted.
        model (str): ``'gca'``, ``'mgmatting'`` or ``'gca_r50'``.

    Returns:
        dict[str, Tensor]: Keys of the target mattor.
    """
    _check_choice(part, PARTS, 'part')
    _check_choice(model, RESNET_MODELS, 'model')
    state = checkpoint_state_dict(state_dict)
    what = f'convert_dpt({model}, {part})'
    if not any(k.startswith('backbone.') for k in state):
        raise ValueError(f'{what}: not a DPT checkpoint: no "backbone." keys'
                         f' (found {sorted(state)[:5]}...)')
    own = model == 'mgmatting' or any(
        k.startswith('backbone.encoder.') for k in state)
    encoder = _PREFIX[model] if model == 'mgmatting' else 'backbone.encoder.'
    out: StateDict = OrderedDict()
    if own:  # the fine-tuning network's own layout: identity / key filter
        for key, value in state.items():
            if key.startswith(('data_preprocessor.', 'head.loss_module.')):
                dropped.append((key, 'pre-training buffer'))
            elif part == 'encoder+decoder' or key.startswith(encoder):
                out[key] = value
            else:  # MG Matting's ASPP neck belongs to the decoder side
                what_part = 'ASPP neck' if key.startswith('neck.') else \
                    'decoder'
                dropped.append((key, f"{what_part} (part='encoder')"))
        if not any(k.startswith(encoder) for k in out):
            raise ValueError(f'{what}: no "{encoder}" keys')
        if model == 'mgmatting':  # a 3-channel stem gets the trimap
            expand_in_channels(out, 'backbone.conv1.conv.', spectral=True)
        return out
    # a MattingResNetEnc / MattingResNet backbone under another model's
    # decoder: the ResNet encoder only
    if part != 'encoder':
        raise ValueError(
            f'{what}: the checkpoint holds a MattingResNetEnc / MattingResNet'
            ' + MattingHead network, not GCA\'s; only part="encoder" maps '
            'onto GCA (pre-train GCA\'s own network for encoder+decoder)')
    backbone = OrderedDict((k[len('backbone.'):], v)
                           for k, v in state.items()
                           if k.startswith('backbone.'))
    for key in state:
        if not key.startswith('backbone.'):
            dropped.append((key, "not the encoder (part='encoder')"))
    sub: Dropped = []
    enc = (_torchvision_resnet if model == 'gca_r50' else _resnet_d_encoder)(
        backbone, sub, what)
    dropped.extend(('backbone.' + k, r) for k, r in sub)
    return OrderedDict((_PREFIX[model] + k, v) for k, v in enc.items())


def convert_supervised(state_dict: dict,
                       part: Optional[str],
                       dropped: Dropped,
                       model: str = 'mgmatting') -> StateDict:
    """ImageNet-supervised ResNet -> 6-channel encoder initialisation.

    Args:
        state_dict (dict): Checkpoint or state dict: GCA-Matting's
            ImageNet ResNet-34-D (``model_best_resnet34_En_nomixup.pth``,
            official names, or mmagic's ``ResNetEnc`` names) for ``'gca'``
            / ``'mgmatting'``; a torchvision / mmpretrain / DenseCL
            ResNet-50 for ``'gca_r50'``.
        part (None): Unused (one signature for all converters).
        dropped (list): Receives ``(key, reason)`` per key not converted.
        model (str): ``'gca'``, ``'mgmatting'`` or ``'gca_r50'``.

    Returns:
        dict[str, Tensor]: Encoder state dict with the mattor's key names.
    """
    _check_choice(model, RESNET_MODELS, 'model')
    state = checkpoint_state_dict(state_dict)
    what = f'convert_supervised({model})'
    enc = (_torchvision_resnet if model == 'gca_r50' else _resnet_d_encoder)(
        state, dropped, what)
    return OrderedDict((_PREFIX[model] + k, v) for k, v in enc.items())


# -------------------------------------------------------- official releases
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
    return power_iteration(mat, u, v, iters)


def sn_vectors_for_dim1(weight: Tensor, u: Tensor,
                        v: Tensor) -> Tuple[Tensor, Tensor]:
    """``(u, v)`` for torch's spectral norm over dim 1 (mmcv deconvs) that
    give the sigma of the official ``SpectralNorm`` (over dim 0, ``u . W
    v`` with the stored vectors), so that the eval-mode weight is the
    official one; training re-estimates them as usual.

    Args:
        weight (Tensor): The ``ConvTranspose2d`` weight ``(in, out, k, k)``.
        u (Tensor): Official ``weight_u`` (length ``in``).
        v (Tensor): Official ``weight_v`` (length ``out * k * k``).

    Returns:
        tuple[Tensor, Tensor]: ``weight_u`` (length ``out``) and
        ``weight_v`` (length ``in * k * k``).
    """
    w = weight.detach().double()
    sigma = u.double() @ (w.reshape(w.shape[0], -1) @ v.double())
    u1, v1 = _power_iteration(weight, 1)
    mat = w.transpose(0, 1).reshape(w.shape[1], -1)
    u1 = u1 * (sigma / (u1 @ (mat @ v1)))
    return u1.to(weight.dtype), v1.to(weight.dtype)


def _sn(key: str) -> str:
    """Official ``SpectralNorm`` names -> torch's: ``X.module.weight_bar``
    -> ``X.weight_orig``, ``X.module.weight_u`` -> ``X.weight_u``, ..."""
    return re.sub(r'\.module\.weight_(bar|u|v)$',
                  lambda m: '.weight_' + ('orig' if m.group(1) == 'bar'
                                          else m.group(1)), key)


def _conv_module(key: str, conv: Dict[str, str],
                 bn: Dict[str, str]) -> Optional[str]:
    """Official ``Sequential`` index names -> mmcv ``ConvModule`` names:
    ``conv`` / ``bn`` map a module prefix to the ConvModule prefix."""
    for table, sub in ((conv, 'conv.'), (bn, 'bn.')):
        for old, new in table.items():
            if key.startswith(old):
                rest = key[len(old):]
                if sub == 'conv.':
                    rest = _sn('.' + rest)[1:] if rest.startswith(
                        'module.') else rest
                return new + sub + rest
    return None


def _gca_encoder_key(key: str) -> Optional[str]:
    """Official ``ResGuidedCxtAtten`` key (without ``encoder.``) ->
    mmagic ``ResGCAEncoder`` key."""
    m = re.match(r'^shortcut\.(\d)\.(.+)$', key)
    if m:
        i = m.group(1)
        return _conv_module(m.group(2), {'0.': f'shortcut.{i}.0.',
                                         '3.': f'shortcut.{i}.1.'},
                            {'2.': f'shortcut.{i}.0.',
                             '5.': f'shortcut.{i}.1.'})
    if key.startswith('guidance_head.'):
        return _conv_module(key[len('guidance_head.'):], {
            f'{c}.': f'guidance_head.{j}.'
            for j, c in enumerate((1, 5, 9))
        }, {f'{c}.': f'guidance_head.{j}.'
            for j, c in enumerate((3, 7, 11))})
    if key.startswith('gca.'):
        return _gca_module_key(key)
    return _official_resnet_d_key(key)


def _gca_module_key(key: str) -> Optional[str]:
    """``GuidedCxtAtten`` (``gca.guidance_conv``, ``gca.W.{0,1}``) ->
    mmagic ``GCAModule`` (``gca.guidance_conv``, ``gca.out_conv``)."""
    if key.startswith('gca.guidance_conv.'):
        return key
    if key.startswith('gca.W.0.'):
        return 'gca.out_conv.conv.' + key[len('gca.W.0.'):]
    if key.startswith('gca.W.1.'):
        return 'gca.out_conv.bn.' + key[len('gca.W.1.'):]
    return None


def _res_dec_key(key: str, bn_of_conv: bool) -> Optional[str]:
    """Official ``ResNet_D_Dec`` block key -> mmagic ``ResNetDec`` key
    (``bn_of_conv``) or ``MattingHead``'s (official names, torch SN)."""
    if not bn_of_conv:
        return _sn(key)
    m = re.match(r'^(layer[1-4]\.\d+\.)(.+)$', key)
    if m:
        block, rest = m.groups()
        new = _conv_module(
            rest, {'conv1.': 'conv1.', 'conv2.': 'conv2.',
                   'upsample.1.': 'interpolation.1.'},
            {'bn1.': 'conv1.', 'bn2.': 'conv2.',
             'upsample.2.': 'interpolation.1.'})
        return None if new is None else block + new
    if key.startswith('conv2.'):  # the plain output conv
        return 'conv2.conv.' + key[len('conv2.'):]
    return _conv_module(key, {'conv1.': 'conv1.'}, {'bn1.': 'conv1.'})


_GCA_DECONV = re.compile(r'^backbone\.decoder\.(layer[1-4]\.0\.)?conv1\.conv'
                         r'\.weight_orig$')


def convert_official_gca(state_dict: dict,
                         part: Optional[str] = None,
                         dropped: Optional[Dropped] = None) -> StateDict:
    """Official GCA-Matting checkpoint -> mmagic ``GCA`` (``configs/gca/
    gca_r34-*``), loading with ``strict=True``.

    ``Generator(resnet_gca_encoder_29, res_gca_decoder_22)`` of
    Yaoyi-Li/GCA-Matting, saved as ``{'state_dict': ...}`` with DDP's
    ``module.`` prefix. Its ``SpectralNorm`` wrapper stores
    ``X.module.weight_bar`` / ``weight_u`` / ``weight_v`` (sigma over dim
    0); mmcv's ``ConvModule`` uses torch's spectral norm (``conv.weight_orig``
    ...), over dim 1 for transposed convs, whose vectors are then
    recomputed to give the official sigma (:func:`sn_vectors_for_dim1`).

    official -> ours (``E = encoder.``, ``D = decoder.``, ``B =
    backbone.``)::

        E conv{1,2,3}.module.* / bn{1,2,3}.*   -> B encoder.conv{i}.conv / .bn
        E layer{1,2,3}.j.* / layer_bottleneck.j.*
                                               -> B encoder.layer{1..4}.j.*
          (conv{1,2}.module, bn{1,2}, downsample.{1,2}
           -> conv{1,2}.conv, conv{1,2}.bn, interpolation.1.{conv,bn})
        E shortcut.i.{0,3}.module.* / .{2,5}.* -> B encoder.shortcut.i.{0,1}
                                                  .conv / .bn
        E guidance_head.{1,5,9}.module.* / .{3,7,11}.*
                                               -> B encoder.guidance_head
                                                  .{0,1,2}.conv / .bn
        E|D gca.guidance_conv.*, gca.W.{0,1}.* -> B {encoder,decoder}.gca
                                                  .guidance_conv / .out_conv
                                                  .{conv,bn}
        D layer{1..4}.j.{conv1,conv2,bn1,bn2,upsample.1,upsample.2}.*
                                               -> B decoder.layer{i}.j.
                                                  {conv1,conv2}.{conv,bn},
                                                  interpolation.1.{conv,bn}
        D conv1.module.* / bn1.* / conv2.*     -> B decoder.conv1.conv / .bn,
                                                  conv2.conv

    Args:
        state_dict (dict): The checkpoint or its state dict.
        part (None): Unused (one signature for all converters).
        dropped (list, optional): Unused: every key is converted.

    Returns:
        dict[str, Tensor]: ``backbone.encoder.*`` / ``backbone.decoder.*``.

    Raises:
        KeyError: A key the table does not know.
    """
    sd = checkpoint_state_dict(state_dict)
    out: StateDict = OrderedDict()
    for key, value in sd.items():
        new = None
        if key.startswith('encoder.'):
            new = _gca_encoder_key(key[len('encoder.'):])
            new = new and 'backbone.encoder.' + new
        elif key.startswith('decoder.'):
            sub = key[len('decoder.'):]
            new = _gca_module_key(sub) if sub.startswith('gca.') else \
                _res_dec_key(sub, bn_of_conv=True)
            new = new and 'backbone.decoder.' + new
        if new is None:
            raise KeyError(f'unrecognised official GCA-Matting key {key}')
        out[new] = value
    for key in [k for k in out if _GCA_DECONV.match(k)]:
        p = key[:-len('weight_orig')]
        out[p + 'weight_u'], out[p + 'weight_v'] = sn_vectors_for_dim1(
            out[key], out[p + 'weight_u'], out[p + 'weight_v'])
    return out


#: MG Matting's ``ops.ASPP`` -> ``MGMattingASPP`` (``neck.``).
_ASPP = dict([(f'aspp{i}.', f'convs.{i - 1}.conv.') for i in range(1, 5)] +
             [(f'aspp{i}_bn.', f'convs.{i - 1}.bn.') for i in range(1, 5)] +
             [('aspp5.', 'convs.4.1.conv.'), ('aspp5_bn.', 'convs.4.1.bn.'),
              ('conv2.', 'project.0.conv.'), ('bn2.', 'project.0.bn.')])
#: where the official guidance mask goes in the one-hot trimap input
#: (image 0-2, then bg / unknown / fg): the foreground channel
MASK_CHANNEL = 5


def convert_official_mgmatting(state_dict: dict,
                               part: Optional[str] = None,
                               dropped: Optional[Dropped] = None
                               ) -> StateDict:
    """Official MG Matting checkpoint -> dpt-mm MG Matting
    (``configs/mgmatting/*``), loading with ``strict=True``.

    ``Generator(res_shortcut_encoder_29, res_shortcut_decoder_22)`` + ASPP
    of yucornetto/MGMatting (``code-base``), ``{'state_dict': ...}``. The
    released DIM model is mask-guided (``mask_channel = 1``: 4-channel
    input; its DIM evaluation thresholds the trimap at 170, i.e. the mask
    is the trimap's foreground). Its mask filters go to the foreground
    channel of our one-hot trimap input (:data:`MASK_CHANNEL`), the
    background / unknown filters are zero: on a trimap the converted model
    computes the official model's output for the mask ``trimap == 255``.

    official -> ours::

        encoder.<ResNet_D key>                 -> backbone.<ResNetEnc key>
                                                  (as convert_supervised)
        encoder.shortcut.i.*                   -> head.shortcut.i.*
        decoder.*                              -> head.*
          (SpectralNorm X.module.weight_{bar,u,v} -> X.weight_{orig,u,v}:
           MattingHead keeps the official names, sigma over dim 0)
        aspp.aspp{1..4}[_bn].*, aspp5[_bn].*, conv2.*, bn2.*
                                               -> neck.convs.{0..3}.{conv,bn},
                                                  convs.4.1.*, project.0.*

    Args:
        state_dict (dict): The checkpoint or its state dict.
        part (None): Unused (one signature for all converters).
        dropped (list, optional): Unused: every key is converted.

    Returns:
        dict[str, Tensor]: ``backbone.*``, ``neck.*``, ``head.*``.

    Raises:
        KeyError: A key the table does not know.
    """
    sd = checkpoint_state_dict(state_dict)
    out: StateDict = OrderedDict()
    for key, value in sd.items():
        new = None
        if key.startswith('encoder.shortcut.'):
            new = 'head.' + _sn(key[len('encoder.'):])
        elif key.startswith('encoder.'):
            new = _official_resnet_d_key(key[len('encoder.'):])
            new = new and 'backbone.' + new
        elif key.startswith('decoder.'):
            new = 'head.' + _res_dec_key(key[len('decoder.'):], False)
        elif key.startswith('aspp.'):
            sub = key[len('aspp.'):]
            new = next(('neck.' + n + sub[len(o):]
                        for o, n in _ASPP.items() if sub.startswith(o)), None)
        if new is None:
            raise KeyError(f'unrecognised official MG Matting key {key}')
        out[new] = value
    positions = [0, 1, 2, MASK_CHANNEL]
    for prefix in ('backbone.conv1.conv.', 'head.shortcut.0.0.'):
        if out[prefix + 'weight_orig'].shape[1] == 4:
            expand_in_channels(out, prefix, True, positions=positions)
    return out
