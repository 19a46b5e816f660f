# Copyright (c) dpt-mm contributors. All rights reserved.
"""Released checkpoints of the original repositories: which layout a file has
(:func:`detect_layout`), and conversion of those that have a converter.

mmengine has no notion of "a checkpoint of another code base", so the
detection is written here; the mappings are the ``'official'`` converters
of :data:`~dpt_mm.models.converters.CONVERTERS`. Releases and their layouts:
docs/model_zoo.md.
"""
import sys
from typing import Dict, List, Mapping, Optional, Tuple

from dpt_mm.utils.io import checkpoint_state_dict

LAYOUTS = ('dpt-mm', 'matteformer-official', 'gca-official',
           'mgmatting-official', 'vitmatte-official', 'vitmatte-hf')
#: where each official layout comes from (for messages)
SOURCES = {
    'matteformer-official':
    'official MatteFormer layout (webtoon/matteformer, or the DPT authors\' '
    'Generator_DPT release)',
    'gca-official': 'official GCA-Matting layout (Yaoyi-Li/GCA-Matting)',
    'mgmatting-official': 'official MG Matting layout (yucornetto/MGMatting)',
    'vitmatte-official': 'official ViTMatte layout (hustvl/ViTMatte)',
    'vitmatte-hf': 'Hugging Face ViTMatte layout (transformers)',
}
#: the dpt-mm model (converter table key) of each official layout
LAYOUT_MODELS = {
    'matteformer-official': 'matteformer',
    'gca-official': 'gca',
    'mgmatting-official': 'mgmatting',
    'vitmatte-official': 'vitmatte',
    'vitmatte-hf': 'vitmatte',
}
#: the converter kind of each layout (``'official'`` unless named here)
LAYOUT_KINDS = {'vitmatte-hf': 'hf'}
_DPT_MM_PREFIXES = ('backbone.', 'head.', 'neck.', 'data_preprocessor.')


class ReleasedCheckpointError(ValueError):
    """A released checkpoint has no converter, or is malformed."""


def detect_layout(checkpoint: Mapping) -> Optional[str]:
    """Which code base's key layout a checkpoint has.

    Layouts, on the bare state dict after unwrapping:

    - ``'dpt-mm'``: keys of a dpt-mm / mmagic mattor (``backbone.*``,
      ``head.*``, ``neck.*``, ``data_preprocessor.*``), loads as it is.
    - ``'matteformer-official'``: ``encoder.*`` (PAST encoder:
      ``patch_embed``, ``layers.i.blocks.j``, ``norm0..3``, ``shortcut.k``)
      + ``decoder.*`` (``res_shortcut_decoder``: ``layer1..4``,
      ``refine_OS1/4/8``). Two releases have it: webtoon/matteformer's
      ``Generator_MatteFormer`` and the DPT authors' (crystraldo/dpt)
      ``Generator_DPT``, whose encoder class (``networks/encoders/DPT.py``)
      builds the same modules under the same names. Their trainers save
      ``{'iter', 'loss', 'state_dict', 'opt_state_dict', 'lr_state_dict'}``
      with the generator wrapped by DataParallel / DDP (``module.``
      prefix); their inference scripts load ``checkpoint['state_dict']``
      after removing that prefix.
    - ``'gca-official'`` (Yaoyi-Li/GCA-Matting) and
      ``'mgmatting-official'`` (yucornetto/MGMatting): ``encoder.*`` of a
      spectral-normalised ResNet-34 (``*.module.weight_bar``), with
      ``encoder.gca`` / ``decoder.gca`` for GCA and an ``aspp.*`` module
      for MG Matting.
    - ``'vitmatte-official'`` (hustvl/ViTMatte's GoogleDrive ``.pth``,
      detectron2 names: ``backbone.patch_embed``, ``backbone.blocks.i``,
      ``decoder.fusion_blks``) and ``'vitmatte-hf'`` (transformers'
      ``VitMatteForImageMatting``: ``backbone.embeddings``,
      ``backbone.encoder.layer.i``, ``decoder.fusion_blocks``).

    Args:
        checkpoint (Mapping): A loaded checkpoint or state dict.

    Returns:
        str or None: One of :data:`LAYOUTS`, or None when unrecognised.
    """
    keys = list(checkpoint_state_dict(checkpoint))
    if not keys:
        return None
    if all(k.startswith(_DPT_MM_PREFIXES) for k in keys):
        return 'dpt-mm'
    if all(k.startswith(('backbone.', 'decoder.')) for k in keys):
        if 'backbone.patch_embed.proj.weight' in keys:
            return 'vitmatte-official'
        if 'backbone.embeddings.projection.weight' in keys:
            return 'vitmatte-hf'
        return None
    if not all(k.startswith(('encoder.', 'decoder.', 'aspp.')) for k in keys):
        return None
    if 'encoder.patch_embed.proj.weight' in keys and any(
            k.startswith('encoder.layers.') for k in keys):
        return 'matteformer-official'
    if any(k.startswith(('encoder.gca.', 'decoder.gca.')) for k in keys):
        return 'gca-official'
    if any(k.startswith('aspp.') for k in keys):
        return 'mgmatting-official'
    return None


def convert_released(checkpoint: Mapping,
                     dropped: Optional[List[Tuple[str, str]]] = None
                     ) -> Tuple[Dict[str, object], str]:
    """Convert a checkpoint of any known layout to dpt-mm keys.

    Args:
        checkpoint (Mapping): The loaded checkpoint.
        dropped (list, optional): Receives ``(key, reason)`` per key not
            converted.

    Returns:
        tuple: The weights (unchanged for ``'dpt-mm'``) and the layout.

    Raises:
        ReleasedCheckpointError: An unrecognised layout.
        KeyError: A key the official layout's table does not know.
    """
    layout = detect_layout(checkpoint)
    if layout == 'dpt-mm':
        return checkpoint_state_dict(checkpoint), layout
    if layout not in LAYOUT_MODELS:
        raise ReleasedCheckpointError(
            'unrecognised checkpoint layout (neither dpt-mm keys nor an '
            'official release)')
    from . import convert
    return convert(checkpoint, LAYOUT_MODELS[layout],
                   LAYOUT_KINDS.get(layout, 'official'), None, dropped), layout


def convert_with_notice(ckpt: str, state_dict: Dict) -> Dict:
    """Convert an official release on the fly with a one-line notice on
    stderr (``tools/infer.py``, ``tools/test.py``, the page); dpt-mm keys
    and unknown layouts pass unchanged (the strict load then reports them).

    Args:
        ckpt (str): The checkpoint's path, for the messages.
        state_dict (dict): Its weights.

    Returns:
        dict: dpt-mm weights.

    Raises:
        RuntimeError: An official checkpoint the converter refuses.
    """
    layout = detect_layout(state_dict)
    if layout not in SOURCES:
        return state_dict
    try:
        converted, _ = convert_released(state_dict)
    except (ReleasedCheckpointError, KeyError, ValueError) as err:
        reason = err.args[0] if err.args else err
        raise RuntimeError(f'{ckpt}: {reason}') from err
    print(f'note: {ckpt}: {SOURCES[layout]}, converted to dpt-mm keys on the '
          'fly', file=sys.stderr)
    return converted


__all__ = [
    'LAYOUTS', 'SOURCES', 'LAYOUT_MODELS', 'LAYOUT_KINDS',
    'ReleasedCheckpointError', 'convert_with_notice',
    'detect_layout', 'convert_released'
]
