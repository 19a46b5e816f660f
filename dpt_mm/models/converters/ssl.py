# Copyright (c) dpt-mm contributors. All rights reserved.
"""Self-supervised checkpoints -> the layout of supervised weights.

The normalisers keep the encoder of a SimMIM / MoBY Swin-T (MatteFormer,
paper Table 3) or DenseCL ResNet-50 (GCA, Table 8) checkpoint under the key
names of the supervised release it was built from, so that the supervised
converters finish the job. mmpretrain reads none of these layouts.
"""
from typing import Dict, List, Optional, Tuple

from torch import Tensor

from dpt_mm.utils.io import checkpoint_state_dict
from .checkpoint import drop

StateDict = Dict[str, Tensor]
Dropped = Optional[List[Tuple[str, str]]]


def simmim_to_swin(checkpoint: dict, dropped: Dropped = None) -> StateDict:
    """SimMIM checkpoint -> Swin encoder weights (official or mmpretrain
    names, as the source used).

    Layouts: official (microsoft/SimMIM ``SimMIM``: ``encoder`` =
    ``SwinTransformerForSimMIM``, ``decoder`` = conv + pixel shuffle, saved
    under ``model``): ``encoder.<official Swin key>``,
    ``encoder.mask_token``, ``decoder.0.{weight,bias}``. mmpretrain
    (``SimMIM`` with ``SimMIMSwinTransformer``, ``SimMIMLinearDecoder``,
    ``SimMIMHead``; saved under ``state_dict``): ``backbone.<mmpretrain Swin
    key>``, ``backbone.mask_token``, ``neck.decoder.0.{weight,bias}``. Only
    the encoder is kept; every other key is dropped with a reason and an
    unrecognised key raises ``KeyError``.

    Args:
        checkpoint (dict): Official SimMIM or mmpretrain SimMIM checkpoint
            (or its state dict).
        dropped (list, optional): Receives ``(key, reason)`` pairs.

    Returns:
        dict[str, Tensor]: Official Swin keys (``patch_embed.proj.*``,
        ``layers.*``, ``norm.*``) or mmpretrain ``SwinTransformer`` keys
        (``backbone.*``).
    """
    sd = checkpoint_state_dict(checkpoint)
    official = any(k.startswith('encoder.') for k in sd)
    mmpre = any(k.startswith('backbone.') for k in sd)
    if official == mmpre:
        raise KeyError('not a SimMIM checkpoint: expected encoder.* '
                       '(official) or backbone.* (mmpretrain) keys')
    out: StateDict = {}
    for key, value in sd.items():
        if key in ('encoder.mask_token', 'backbone.mask_token'):
            drop(dropped, key, 'SimMIM mask token')
        elif key.startswith(('decoder.', 'neck.')):
            drop(dropped, key, 'SimMIM pixel decoder')
        elif key.startswith('data_preprocessor.'):
            drop(dropped, key, 'data preprocessor buffer')
        elif official and key.startswith('encoder.'):
            out[key[len('encoder.'):]] = value
        elif mmpre and key.startswith('backbone.'):
            out[key] = value
        else:
            raise KeyError(f'unrecognised SimMIM key {key}')
    return out


def moby_to_swin(checkpoint: dict, dropped: Dropped = None) -> StateDict:
    """MoBY (Transformer-SSL) checkpoint -> official Swin encoder weights.

    Layout (SwinTransformer/Transformer-SSL ``MoBY``, saved under
    ``model``): ``encoder.<official Swin key>`` (online encoder, kept),
    ``encoder_k.*`` (momentum encoder), ``projector.*`` / ``projector_k.*``
    / ``predictor.*`` (MLPs), buffers ``queue1``, ``queue2``,
    ``queue_ptr``; all but the online encoder are dropped with a reason, an
    unrecognised key raises ``KeyError``.

    Args:
        checkpoint (dict): The MoBY checkpoint (or its state dict).
        dropped (list, optional): Receives ``(key, reason)`` pairs.

    Returns:
        dict[str, Tensor]: Official Swin keys of the online encoder.
    """
    sd = checkpoint_state_dict(checkpoint)
    if not any(k.startswith('encoder.') for k in sd):
        raise KeyError('not a MoBY checkpoint: no encoder.* keys')
    out: StateDict = {}
    for key, value in sd.items():
        if key.startswith('encoder_k.'):
            drop(dropped, key, 'MoBY momentum encoder')
        elif key.startswith(('projector.', 'projector_k.', 'predictor.')):
            drop(dropped, key, 'MoBY projector / predictor')
        elif key in ('queue1', 'queue2', 'queue_ptr'):
            drop(dropped, key, 'MoBY queue')
        elif key.startswith('encoder.'):
            out[key[len('encoder.'):]] = value
        else:
            raise KeyError(f'unrecognised MoBY key {key}')
    return out


_DENSECL_QUEUES = ('queue', 'queue_ptr', 'queue2', 'queue2_ptr')


def densecl_to_resnet(checkpoint: dict, dropped: Dropped = None) -> StateDict:
    """DenseCL checkpoint -> torchvision-layout ResNet weights.

    Layouts: the published ResNet-50 (WXinlong/DenseCL's
    ``extract_backbone_weights.py`` output: ``{'state_dict': <torchvision
    ResNet keys>}``); the official training checkpoint (``encoder_q.0.*``
    backbone, ``encoder_q.1.*`` neck, ``encoder_k.*``, ``backbone.*`` (the
    same backbone again), ``queue``, ``queue_ptr``, ``queue2``,
    ``queue2_ptr``); or mmpretrain's (``backbone.*``, ``neck.*``,
    ``encoder_k.module.{0,1}.*``, ``encoder_k.steps``, the same queues).
    Only the backbone is kept; every other key is dropped with a reason,
    and an unrecognised key of a training checkpoint raises ``KeyError``.

    Args:
        checkpoint (dict): The published DenseCL backbone, an official
            DenseCL training checkpoint or an mmpretrain one (or its state
            dict).
        dropped (list, optional): Receives ``(key, reason)`` pairs.

    Returns:
        dict[str, Tensor]: torchvision ResNet keys (``conv1.weight``,
        ``layer1.0.conv1.weight``, ...).
    """
    sd = checkpoint_state_dict(checkpoint)
    # the training checkpoints hold the backbone twice (encoder_q.0.* and
    # backbone.* are the same module); backbone.* is kept where present
    if any(k.startswith('backbone.') for k in sd):
        prefix = 'backbone.'
    elif any(k.startswith('encoder_q.0.') for k in sd):
        prefix = 'encoder_q.0.'
    else:
        prefix = ''
    out: StateDict = {}
    for key, value in sd.items():
        if prefix and key.startswith(prefix):
            out[key[len(prefix):]] = value
        elif key.startswith(('encoder_k.', )):
            drop(dropped, key, 'DenseCL momentum encoder')
        elif key.startswith(('neck.', 'encoder_q.1.')):
            drop(dropped, key, 'DenseCL projection neck')
        elif key.startswith('encoder_q.0.'):
            drop(dropped, key, 'DenseCL backbone (second copy)')
        elif key in _DENSECL_QUEUES:
            drop(dropped, key, 'DenseCL queue')
        elif key.startswith(('head.', 'data_preprocessor.')):
            drop(dropped, key, 'DenseCL head / preprocessor')
        elif not prefix:
            out[key] = value  # the published backbone: bare keys
        else:
            raise KeyError(f'unrecognised DenseCL key {key}')
    if 'conv1.weight' not in out:
        raise KeyError('not a DenseCL ResNet checkpoint: no conv1.weight '
                       '(bare, backbone.* or encoder_q.0.*)')
    return out
