# Copyright (c) dpt-mm contributors. All rights reserved.
"""ViTMatte weights: the authors' release, the Hugging Face layout, and
ImageNet ViTs (DINO, MAE) as 4-channel initialisations."""
import re
from collections import OrderedDict
from typing import Dict, Iterator, List, Optional, Tuple

import torch

StateDict = Dict[str, torch.Tensor]
Dropped = List[Tuple[str, str]]

#: prefix of the detail-capture decoder in a dpt-mm ViTMatte mattor
HEAD = 'head.'

# the authors' (detectron2) names -> transformers' names, both under
# ``backbone.`` / ``decoder.``; applied in order to each key
_OFFICIAL_RENAMES = (
    (r'^backbone\.pos_embed$', 'backbone.embeddings.position_embeddings'),
    (r'^backbone\.patch_embed\.proj\.', 'backbone.embeddings.projection.'),
    (r'^backbone\.blocks\.', 'backbone.encoder.layer.'),
    (r'\.attn\.', '.attention.'),
    (r'^decoder\.fusion_blks\.', 'decoder.fusion_blocks.'),
    (r'\.bn\.', '.batch_norm.'),
)

# an ImageNet ViT block (official timm-style names and mmpretrain's) ->
# transformers' ViTDet block
_BLOCK_RENAMES = {
    'norm1': 'norm1',
    'ln1': 'norm1',
    'norm2': 'norm2',
    'ln2': 'norm2',
    'attn.qkv': 'attention.qkv',
    'attn.proj': 'attention.proj',
    'mlp.fc1': 'mlp.fc1',
    'ffn.layers.0.0': 'mlp.fc1',
    'mlp.fc2': 'mlp.fc2',
    'ffn.layers.1': 'mlp.fc2',
}


def _decoder_to_head(key: str) -> str:
    """``decoder.*`` (both released layouts) -> ``head.*``."""
    return HEAD + key[len('decoder.'):] if key.startswith('decoder.') else key


def _checked_items(state_dict: StateDict,
                   layout: str) -> Iterator[Tuple[str, torch.Tensor]]:
    """Items of ``state_dict``, each key checked to be a ``backbone.*`` or
    ``decoder.*`` key of the named ``layout`` (a ``KeyError`` otherwise)."""
    for key, value in state_dict.items():
        if not key.startswith(('backbone.', 'decoder.')):
            raise KeyError(f'unexpected key {key} for the {layout} ViTMatte '
                           'layout')
        yield key, value


def convert_hf(state_dict: StateDict,
               part: Optional[str] = None,
               dropped: Optional[Dropped] = None) -> StateDict:
    """transformers' ``VitMatteForImageMatting`` weights -> dpt-mm ViTMatte.

    The backbone keys are the same; ``decoder.*`` becomes ``head.*``.

    Args:
        state_dict (dict): ``model.safetensors`` / ``pytorch_model.bin``.
        part (None): Unused (one signature for all converters).
        dropped (list, optional): Unused (nothing is dropped).

    Returns:
        dict[str, Tensor]: dpt-mm keys.
    """
    return OrderedDict((_decoder_to_head(key), value)
                       for key, value in _checked_items(
                           state_dict, 'Hugging Face'))


def convert_dpt(state_dict: StateDict,
                part: Optional[str],
                dropped: Dropped) -> StateDict:
    """DPT pre-training of ViTMatte's own network -> ViTMatte initialisation.

    The pre-training network is the fine-tuning one, so this is a key
    filter: ``part='encoder+decoder'`` keeps every weight, ``'encoder'``
    only ``backbone.*``; the pre-training loss module's buffers are dropped.

    Args:
        state_dict (dict): DPT checkpoint's state dict.
        part (str): ``'encoder'`` or ``'encoder+decoder'``.
        dropped (list): Receives ``(key, reason)`` per key not converted.

    Returns:
        dict[str, Tensor]: dpt-mm ViTMatte keys.

    Raises:
        ValueError: The checkpoint is not a ViTMatte network's.
    """
    if not any(k.startswith('backbone.embeddings.') for k in state_dict):
        raise ValueError('convert_dpt(vitmatte): not a DPT ViTMatte '
                         'checkpoint: no "backbone.embeddings." keys (found '
                         f'{sorted(state_dict)[:5]}...)')
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith(('data_preprocessor.', HEAD + 'loss_module.')):
            dropped.append((key, 'pre-training buffer'))
        elif part == 'encoder+decoder' or key.startswith('backbone.'):
            out[key] = value
        else:
            dropped.append((key, "decoder (part='encoder')"))
    return out


def convert_official(state_dict: StateDict,
                     part: Optional[str] = None,
                     dropped: Optional[Dropped] = None) -> StateDict:
    """The authors' release (hustvl/ViTMatte, detectron2 names) -> dpt-mm.

    Renames, in order: ``backbone.pos_embed`` -> ``backbone.embeddings.
    position_embeddings``; ``backbone.patch_embed.proj`` -> ``backbone.
    embeddings.projection``; ``backbone.blocks`` -> ``backbone.encoder.
    layer``; ``.attn.`` -> ``.attention.``; ``decoder.fusion_blks`` ->
    ``decoder.fusion_blocks``; ``.bn.`` -> ``.batch_norm.``; then
    ``decoder.`` -> ``head.``.

    Args:
        state_dict (dict): The released weights (``model`` entry unwrapped).
        part (None): Unused.
        dropped (list, optional): Unused (nothing is dropped).

    Returns:
        dict[str, Tensor]: dpt-mm keys.
    """
    hf = OrderedDict()
    for key, value in _checked_items(state_dict, 'official'):
        for pattern, repl in _OFFICIAL_RENAMES:
            key = re.sub(pattern, repl, key)
        hf[key] = value
    return convert_hf(hf)


def widen_patch_embed(weight: torch.Tensor,
                      in_channels: int = 4) -> torch.Tensor:
    """RGB patch-embedding filters -> ``in_channels`` filters, the extra
    (trimap) input channels at zero, as the authors' ``pretrained/
    preprocess.py`` initialises them."""
    if weight.shape[1] != 3:
        raise ValueError('patch embedding has '
                         f'{weight.shape[1]} input channels, expected 3')
    out = weight.new_zeros(weight.shape[0], in_channels, *weight.shape[2:])
    out[:, :3] = weight
    return out


def convert_imagenet(state_dict: StateDict,
                     part: Optional[str] = None,
                     dropped: Optional[Dropped] = None) -> StateDict:
    """An ImageNet ViT (DINO ViT-S/16, MAE ViT-B/16) -> the 4-channel
    ViTMatte backbone.

    Takes the official releases' names (``patch_embed.proj``, ``pos_embed``,
    ``blocks.i.{norm1,attn,norm2,mlp}``) and mmpretrain's (``backbone.``
    prefix, ``patch_embed.projection``, ``layers.i.{ln1,attn,ln2,ffn}``).
    The class token, the final norm and any head / neck / decoder have no
    place in ViTMatte and are dropped (listed in ``dropped``); the relative
    position tables and the residual blocks are not in ImageNet ViTs and
    keep their initialisation.

    Args:
        state_dict (dict): The ImageNet checkpoint's weights.
        part (None): Unused.
        dropped (list, optional): Receives ``(key, reason)`` per dropped key.

    Returns:
        dict[str, Tensor]: ``backbone.*`` keys of a dpt-mm ViTMatte.

    Raises:
        KeyError: No patch embedding, or a block key it does not know.
    """
    dropped = [] if dropped is None else dropped
    # mmpretrain: the ViT under ``backbone.``, anything else (neck, head)
    prefix = 'backbone.' if any(
        k.startswith('backbone.') for k in state_dict) else ''
    out = OrderedDict()
    for name, value in state_dict.items():
        if not name.startswith(prefix):
            dropped.append((name, 'not part of the backbone'))
            continue
        key = name[len(prefix):]
        m = re.match(r'^(?:blocks|layers)\.(\d+)\.(.+)\.(weight|bias)$', key)
        if m:
            block = _BLOCK_RENAMES.get(m.group(2))
            if block is None:
                raise KeyError(f'unknown ViT block key {name}')
            out[f'backbone.encoder.layer.{m.group(1)}.{block}.'
                f'{m.group(3)}'] = value
        elif key in ('patch_embed.proj.weight',
                     'patch_embed.projection.weight'):
            out['backbone.embeddings.projection.weight'] = \
                widen_patch_embed(value)
        elif key in ('patch_embed.proj.bias', 'patch_embed.projection.bias'):
            out['backbone.embeddings.projection.bias'] = value
        elif key == 'pos_embed':
            out['backbone.embeddings.position_embeddings'] = value
        elif key == 'cls_token':
            dropped.append((name, 'ViTMatte has no class token'))
        elif key.startswith(('norm.', 'ln1.', 'fc_norm.')):
            dropped.append((name, 'final norm: ViTMatte has none'))
        else:
            dropped.append((name, 'not part of the ViT encoder'))
    if 'backbone.embeddings.projection.weight' not in out:
        raise KeyError('no patch embedding (patch_embed.proj.weight): not '
                       'an ImageNet ViT checkpoint')
    return out


__all__ = [
    'HEAD', 'convert_hf', 'convert_official', 'convert_imagenet',
    'widen_patch_embed'
]
