# Copyright (c) dpt-mm contributors. All rights reserved.
"""Checkpoint converters: fine-tuning initialisations and official releases.

:data:`CONVERTERS` maps ``(model, kind)`` to a converter of ``matteformer.py``,
``resnet.py`` or ``ssl.py``; :func:`run_conversion_cli` is the body of the
converter CLIs. mmengine has no converter dispatch or key report, so both
are written here.
"""
import sys
from functools import partial
from typing import Callable, Dict, List, Optional, Tuple

import torch

from dpt_mm.utils.io import checkpoint_state_dict
from . import matteformer, resnet, ssl, vitmatte
from .checkpoint import (StrictLoadError, load_state_dict, load_strict,
                         save_state_dict)
from .matteformer import widen_to_trimap_input

StateDict = Dict[str, torch.Tensor]
Dropped = List[Tuple[str, str]]
Converter = Callable[[StateDict, Optional[str], Dropped], StateDict]

PARTS = ('encoder', 'encoder+decoder')
#: Weight sources of ``supervised2finetune.py --source``.
SOURCES = ('supervised', 'simmim', 'moby', 'densecl', 'dino', 'mae')


def _then(normalise: Callable, convert: Callable) -> Converter:
    """A self-supervised checkpoint: normalise it, then convert it as the
    supervised weights it was built from."""

    def run(sd: StateDict, part: Optional[str], dropped: Dropped):
        return convert(normalise(sd, dropped), part, dropped)

    return run


#: ``(model, kind) -> converter(state_dict, part, dropped) -> state_dict``;
#: ``part`` is None for kinds without parts, and each converter appends
#: ``(key, reason)`` to ``dropped`` for every input key it leaves out.
#: Kinds: ``'dpt'``, this project's DPT pre-training (``part`` in
#: :data:`PARTS`); ``'supervised'``, ImageNet weights (Swin-T, ResNet-34-D,
#: ResNet-50); ``'simmim'`` / ``'moby'`` / ``'densecl'``, self-supervised
#: weights, brought to the supervised layout by ``ssl.py`` first;
#: ``'official'``, the authors' released matting models (MatteFormer and the
#: DPT authors' ``Generator_DPT``, GCA-Matting, MG Matting, ViTMatte);
#: ``'hf'``, ViTMatte in transformers' layout; ``'dino'`` / ``'mae'``,
#: ImageNet ViTs for ViTMatte (official or mmpretrain names).
# yapf: disable
CONVERTERS: Dict[Tuple[str, str], Converter] = {
    ('matteformer', 'dpt'): matteformer.convert_dpt,
    ('matteformer', 'supervised'): matteformer.convert_supervised,
    ('matteformer', 'simmim'): _then(ssl.simmim_to_swin,
                                     matteformer.convert_supervised),
    ('matteformer', 'moby'): _then(ssl.moby_to_swin,
                                   matteformer.convert_supervised),
    ('matteformer', 'official'): matteformer.convert_official,
    ('gca', 'dpt'): partial(resnet.convert_dpt, model='gca'),
    ('gca', 'supervised'): partial(resnet.convert_supervised, model='gca'),
    ('gca', 'official'): resnet.convert_official_gca,
    ('gca_r50', 'dpt'): partial(resnet.convert_dpt, model='gca_r50'),
    ('gca_r50', 'supervised'): partial(
        resnet.convert_supervised, model='gca_r50'),
    ('gca_r50', 'densecl'): _then(
        ssl.densecl_to_resnet,
        partial(resnet.convert_supervised, model='gca_r50')),
    ('mgmatting', 'dpt'): partial(resnet.convert_dpt, model='mgmatting'),
    ('mgmatting', 'supervised'): partial(
        resnet.convert_supervised, model='mgmatting'),
    ('mgmatting', 'official'): resnet.convert_official_mgmatting,
    ('vitmatte', 'dpt'): vitmatte.convert_dpt,
    ('vitmatte', 'official'): vitmatte.convert_official,
    ('vitmatte', 'hf'): vitmatte.convert_hf,
    ('vitmatte', 'dino'): vitmatte.convert_imagenet,
    ('vitmatte', 'mae'): vitmatte.convert_imagenet,
}
# yapf: enable
MODEL_NAMES = tuple(sorted({m for m, _ in CONVERTERS}))
KINDS = tuple(sorted({k for _, k in CONVERTERS}))


def get_converter(model: str, kind: str) -> Converter:
    """The converter of ``kind`` for ``model``.

    Raises:
        ValueError: An unknown model or kind, or a kind the model has no
            converter for (the message names the models it fits).
    """
    if model not in MODEL_NAMES:
        raise ValueError(f'unknown model {model!r}; choose from {MODEL_NAMES}')
    if (model, kind) not in CONVERTERS:
        fits = ' / '.join(sorted(m for m, k in CONVERTERS if k == kind))
        if not fits:
            raise ValueError(f'unknown converter kind {kind!r}; choose from '
                             f'{KINDS}')
        raise ValueError(f'{kind} weights fit --model {fits}, not {model}')
    return CONVERTERS[model, kind]


def convert(state_dict: dict,
            model: str,
            kind: str,
            part: Optional[str] = None,
            dropped: Optional[Dropped] = None) -> StateDict:
    """Convert a checkpoint (or state dict) for ``model``.

    Args:
        state_dict (dict): The checkpoint or its state dict (unwrapped
            here: ``state_dict`` / ``model`` entry, ``module.`` prefix).
        model (str): One of :data:`MODEL_NAMES`.
        kind (str): One of :data:`KINDS`.
        part (str, optional): For ``kind='dpt'``, one of :data:`PARTS`.
        dropped (list, optional): Receives ``(key, reason)`` per input key
            that is not converted.

    Returns:
        dict[str, Tensor]: Keys of the ``model`` mattor.
    """
    func = get_converter(model, kind)
    if kind == 'dpt' and part not in PARTS:
        raise ValueError(f'unknown part {part!r}; choose from {PARTS}')
    return func(checkpoint_state_dict(state_dict), part,
                [] if dropped is None else dropped)


def convert_dpt(state_dict: dict,
                model: str,
                part: str,
                dropped: Optional[Dropped] = None) -> StateDict:
    """DPT pre-training weights -> ``model`` initialisation for ``part``."""
    return convert(state_dict, model, 'dpt', part, dropped)


def convert_supervised(state_dict: dict,
                       model: str,
                       dropped: Optional[Dropped] = None) -> StateDict:
    """Supervised ImageNet weights -> 6-channel ``model`` initialisation."""
    return convert(state_dict, model, 'supervised', None, dropped)


def convert_pretrained(state_dict: dict,
                       model: str,
                       source: str = 'supervised',
                       dropped: Optional[Dropped] = None) -> StateDict:
    """Supervised or self-supervised (``source`` in :data:`SOURCES`)
    weights -> ``model`` initialisation."""
    if source not in SOURCES:
        raise ValueError(f'unknown source {source!r}; choose from {SOURCES}')
    return convert(state_dict, model, source, None, dropped)


def print_key_report(src: StateDict, dst: StateDict, dropped: Dropped) -> None:
    """Print the converter's dropped keys (with reasons) and the output
    keys whose tensor is new (transformed or initialised), once each."""
    src_ids = {id(v) for v in src.values()}
    new = [k for k, v in dst.items() if id(v) not in src_ids]
    print(f'{len(src)} keys in, {len(dst)} keys out')
    print(f'{len(dropped)} input keys dropped by the converter:')
    for key, reason in dropped:
        print(f'  dropped: {key} ({reason})')
    print(f'{len(new)} output keys with new tensors '
          '(transformed or initialised):')
    for key in new:
        print(f'  new: {key}')


def run_conversion_cli(src_path: str,
                       dst_path: str,
                       model: str,
                       kind: str,
                       options: str,
                       meta: dict,
                       part: Optional[str] = None) -> int:
    """Load, convert, report and save: the body of the converter CLIs.

    User errors end in one ``error: ...`` line on stderr naming the file,
    exit status 2, and nothing is written: a missing or unreadable input,
    weights that do not fit ``model`` / ``kind`` (``options`` names the
    command-line choices in that message), an output that cannot be
    written.

    Args:
        src_path (str): Input checkpoint.
        dst_path (str): Output checkpoint.
        model (str): One of :data:`MODEL_NAMES`.
        kind (str): One of :data:`KINDS`.
        options (str): The CLI options, e.g. ``'--model gca --part
            encoder'``, for the error message.
        meta (dict): Saved as the output's ``meta``.
        part (str, optional): As in :func:`convert`.

    Returns:
        int: Exit status, 0 on success and 2 on a user error.
    """

    def fail(message: str) -> int:
        print(f'error: {message}', file=sys.stderr)
        return 2

    try:
        src = load_state_dict(src_path)  # messages name the file
    except (FileNotFoundError, ValueError) as err:
        return fail(str(err))
    dropped: Dropped = []
    try:
        dst = convert(src, model, kind, part, dropped)
    except (KeyError, ValueError) as err:
        # a KeyError's message without its quotes
        reason = err.args[0] if isinstance(err, KeyError) and len(
            err.args) == 1 else err
        return fail(f'{src_path}: cannot convert it for {options}: {reason}')
    print_key_report(src, dst, dropped)
    try:
        save_state_dict(dst, dst_path, meta)
    except OSError as err:
        return fail(f'{dst_path}: cannot write the output ({err})')
    print(f'saved {dst_path}')
    return 0


__all__ = [
    'CONVERTERS', 'MODEL_NAMES', 'KINDS', 'PARTS', 'SOURCES', 'get_converter',
    'convert', 'convert_dpt', 'convert_supervised', 'convert_pretrained',
    'widen_to_trimap_input', 'load_state_dict', 'save_state_dict',
    'load_strict', 'StrictLoadError', 'print_key_report', 'run_conversion_cli'
]
