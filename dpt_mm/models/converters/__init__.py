# Copyright (c) dpt-mm contributors. All rights reserved.
"""Checkpoint converters for fine-tuning initialisation.

The model-specific functions live in ``matteformer.py`` (MatteFormer) and
``resnet.py`` (GCA and MG Matting); this module dispatches to them by model
name and holds the shared checkpoint I/O of the ``tools/model_converters``
CLIs (mmengine has no converter dispatch or key-diff report, so it is
written here).

Contract of the model modules::

    matteformer.convert_dpt(state_dict, part) -> state_dict
    matteformer.convert_supervised(state_dict) -> state_dict
    resnet.convert_dpt(state_dict, part, model) -> state_dict
    resnet.convert_supervised(state_dict, model) -> state_dict

with ``part`` in ``PARTS`` and ``model`` in ``('gca', 'gca_r50',
'mgmatting')``. A converter that takes a ``dropped`` list fills it with the
keys it leaves out (``key`` or ``(key, reason)``); the CLIs print them.

Self-supervised sources (SimMIM, MoBY, DenseCL: ``ssl.py``) are first
brought to the layout of the supervised weights they were built from and
then converted like them (:func:`convert_pretrained`). A DPT network
pre-trained without the trimap (Table 7) has 3 input channels; for
MatteFormer :func:`convert_dpt` widens it to the 6-channel input
(:func:`widen_to_trimap_input`).
"""
import functools
import importlib
import inspect
import os.path as osp
import sys
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Tuple

import torch

MODELS_TO_MODULES = {
    'matteformer': 'matteformer',
    'gca': 'resnet',
    'gca_r50': 'resnet',
    'mgmatting': 'resnet',
}
PARTS = ('encoder', 'encoder+decoder')
KINDS = ('convert_dpt', 'convert_supervised')
#: Sources of :func:`convert_pretrained`.
SOURCES = ('supervised', 'simmim', 'moby', 'densecl')


def get_converter(model: str, kind: str) -> Callable:
    """Return ``kind`` (``convert_dpt`` / ``convert_supervised``) of
    ``model``, with ``model`` bound when the function takes it.

    Args:
        model (str): One of ``MODELS_TO_MODULES``.
        kind (str): One of ``KINDS``.

    Returns:
        Callable: The converter.
    """
    if model not in MODELS_TO_MODULES:
        raise ValueError(f'unknown model {model!r}; choose from '
                         f'{sorted(MODELS_TO_MODULES)}')
    if kind not in KINDS:
        raise ValueError(f'unknown converter {kind!r}; choose from {KINDS}')
    name = f'{__name__}.{MODELS_TO_MODULES[model]}'
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name != name:
            raise
        raise NotImplementedError(
            f'no converter module {name} for model {model!r}') from e
    func = getattr(module, kind, None)
    if func is None:
        raise NotImplementedError(f'{name} has no {kind}()')
    if 'model' in inspect.signature(func).parameters:

        @functools.wraps(func)
        def bound(*args, **kwargs):
            return func(*args, model=model, **kwargs)

        return bound
    return func


def _takes_dropped(func: Callable) -> bool:
    target = getattr(func, '__wrapped__', func)
    return 'dropped' in inspect.signature(target).parameters


def reports_dropped(model: str, kind: str) -> bool:
    """Whether the converter fills a ``dropped`` list."""
    return _takes_dropped(get_converter(model, kind))


def _call(func: Callable, args: tuple,
          dropped: Optional[list]) -> Dict[str, torch.Tensor]:
    """Call a converter, passing ``dropped`` where it accepts one."""
    if dropped is not None and _takes_dropped(func):
        return func(*args, dropped=dropped)
    return func(*args)


def convert_dpt(state_dict: Dict[str, torch.Tensor],
                model: str,
                part: str,
                dropped: Optional[list] = None) -> Dict[str, torch.Tensor]:
    """DPT pre-training weights -> ``model`` initialisation for ``part``.

    Args:
        state_dict (dict): DPT state dict (``backbone.*``, ``head.*``).
        model (str): Target model, one of ``MODELS_TO_MODULES``.
        part (str): One of ``PARTS``.
        dropped (list, optional): Receives the keys the converter drops,
            when it reports them.

    Returns:
        dict[str, Tensor]: The converted state dict.
    """
    if part not in PARTS:
        raise ValueError(f'unknown part {part!r}; choose from {PARTS}')
    out = _call(
        get_converter(model, 'convert_dpt'), (state_dict, part), dropped)
    if model == 'matteformer':
        out = widen_to_trimap_input(out)
    return out


def widen_to_trimap_input(state_dict: Dict[str, torch.Tensor],
                          in_channels: int = 6,
                          seed: int = 0) -> Dict[str, torch.Tensor]:
    """Give a 3-channel (image-only) MatteFormer state dict the 6-channel
    input of image + one-hot trimap (Table 7 "without trimap" row).

    The patch embedding gets Xavier-normal filters for the trimap channels,
    RGB filters copied (as for supervised weights,
    ``matteformer.extend_patch_embed``); the decoder's first shortcut conv
    (fed by the network input) gets zero trimap filters, with its spectral-
    norm vector ``weight_v`` zero-padded so that sigma is unchanged
    (``resnet.expand_in_channels``). A state dict that already has
    ``in_channels`` inputs is returned unchanged.

    Args:
        state_dict (dict): MatteFormer state dict (``backbone.*`` and
            optionally ``head.*``).
        in_channels (int): Target input channels. Defaults to 6.
        seed (int): Seed of the Xavier-normal trimap filters.

    Returns:
        dict[str, Tensor]: The state dict with the widened tensors.
    """
    from .matteformer import extend_patch_embed
    from .resnet import expand_in_channels
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


def convert_supervised(state_dict: Dict[str, torch.Tensor],
                       model: str,
                       dropped: Optional[list] = None
                       ) -> Dict[str, torch.Tensor]:
    """Supervised ImageNet weights -> 6-channel ``model`` initialisation.

    Args:
        state_dict (dict): Supervised ImageNet state dict.
        model (str): Target model, one of ``MODELS_TO_MODULES``.
        dropped (list, optional): As in :func:`convert_dpt`.

    Returns:
        dict[str, Tensor]: The converted state dict.
    """
    return _call(
        get_converter(model, 'convert_supervised'), (state_dict, ), dropped)


def convert_pretrained(state_dict: Dict[str, torch.Tensor],
                       model: str,
                       source: str = 'supervised',
                       dropped: Optional[list] = None
                       ) -> Dict[str, torch.Tensor]:
    """Supervised or self-supervised weights -> ``model`` initialisation.

    Args:
        state_dict (dict): The checkpoint or state dict.
        model (str): Target model, one of ``MODELS_TO_MODULES``.
        source (str): One of ``SOURCES``: ``'supervised'``, ``'simmim'`` /
            ``'moby'`` (Swin-T, for ``'matteformer'``) or ``'densecl'``
            (ResNet-50, for ``'gca_r50'``).
        dropped (list, optional): As in :func:`convert_dpt`.

    Returns:
        dict[str, Tensor]: The converted state dict.
    """
    from . import ssl
    if source not in SOURCES:
        raise ValueError(f'unknown source {source!r}; choose from {SOURCES}')
    if source != 'supervised':
        if model not in ssl.TARGETS[source]:
            raise ValueError(f'{source} weights fit --model '
                             f'{" / ".join(ssl.TARGETS[source])}, not {model}')
        state_dict = ssl.NORMALISERS[source](state_dict, dropped)
    return convert_supervised(state_dict, model, dropped)


def load_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """Read the weights of a checkpoint file.

    Accepts an mmengine checkpoint (``state_dict``), the official
    Swin / MatteFormer releases (``model``) or a bare state dict; a DDP
    ``module.`` prefix is removed.

    Args:
        path (str): Checkpoint path.

    Returns:
        dict[str, Tensor]: The tensors.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {path} does not exist')
    from dpt_mm.utils import register_safe_globals
    register_safe_globals()
    try:
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:  # noqa: BLE001 - re-raised with the file name
        from dpt_mm.utils.io import checkpoint_load_error
        raise ValueError(f'cannot read checkpoint {path}: not a readable '
                         f'PyTorch checkpoint '
                         f'({checkpoint_load_error(path, e)})') from e
    if isinstance(ckpt, dict):
        for key in ('state_dict', 'model'):
            if isinstance(ckpt.get(key), dict):
                ckpt = ckpt[key]
                break
    if not isinstance(ckpt, dict) or not ckpt or not all(
            isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise ValueError(f'{path} holds no state dict of tensors')
    return OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in ckpt.items())


def _tensor_ids(sd: Dict[str, torch.Tensor]) -> Dict[Tuple, str]:
    return {(v.data_ptr(), v.numel(), v.dtype) if v.numel() else
            ('empty', id(v)): k
            for k, v in sd.items()}


def diff_keys(src: Dict[str, torch.Tensor],
              dst: Dict[str, torch.Tensor]) -> Tuple[List[str], List[str]]:
    """Keys not carried over, by tensor identity.

    Returns:
        tuple[list[str], list[str]]: Input keys whose tensor is absent from
        the output (dropped, or replaced by a transformed tensor), and output
        keys whose tensor is new (transformed or initialised).
    """
    src_ids, dst_ids = _tensor_ids(src), _tensor_ids(dst)
    dropped = [k for t, k in src_ids.items() if t not in dst_ids]
    new = [k for t, k in dst_ids.items() if t not in src_ids]
    return dropped, new


def print_key_report(src: Dict[str, torch.Tensor],
                     dst: Dict[str, torch.Tensor],
                     reported: Optional[list] = None) -> List[str]:
    """Print every dropped input key and every new output key.

    Args:
        src (dict): Input state dict.
        dst (dict): Converted state dict.
        reported (list, optional): The converter's own ``dropped`` list
            (``key`` or ``(key, reason)``); without it, input keys whose
            tensor is absent from the output are listed.

    Returns:
        list[str]: The dropped input keys.
    """
    ident_dropped, new = diff_keys(src, dst)
    print(f'{len(src)} keys in, {len(dst)} keys out')
    if reported is not None:
        lines = [(r[0], r[1]) if isinstance(r, (tuple, list)) else (r, '')
                 for r in reported]
        print(f'{len(lines)} input keys dropped by the converter:')
        for key, reason in lines:
            print(f'  dropped: {key}' + (f' ({reason})' if reason else ''))
        dropped = [k for k, _ in lines]
    else:
        dropped = ident_dropped
        print(f'{len(dropped)} input keys not carried over '
              '(dropped, or replaced by a transformed tensor):')
        for k in dropped:
            print(f'  dropped: {k}')
    print(f'{len(new)} output keys with new tensors '
          '(transformed or initialised):')
    for k in new:
        print(f'  new: {k}')
    return dropped


def save_state_dict(state_dict: Dict[str, torch.Tensor], path: str,
                    meta: dict) -> None:
    """Save ``dict(state_dict=..., meta=...)`` atomically (temp + rename)."""
    from dpt_mm.utils import atomic_write

    payload = dict(
        state_dict=OrderedDict(
            (k, v.detach().cpu().contiguous()) for k, v in state_dict.items()),
        meta=meta)
    atomic_write(path, lambda tmp: torch.save(payload, tmp))


def run_conversion_cli(src_path: str, dst_path: str, model: str, kind: str,
                       options: str, meta: dict, **kwargs) -> int:
    """Load, convert, report and save: the body of the converter CLIs.

    User errors end in one ``error: ...`` line on stderr naming the file,
    and nothing is written: a missing or unreadable input, weights that do
    not fit ``model`` (``options`` describes the command-line choices in
    that message), an output that cannot be written.

    Args:
        src_path (str): Input checkpoint.
        dst_path (str): Output checkpoint.
        model (str): Target model (a key of ``MODELS_TO_MODULES``).
        kind (str): ``'convert_dpt'``, ``'convert_supervised'`` or
            ``'convert_pretrained'``.
        options (str): The CLI options, e.g. ``'--model gca --part
            encoder'``, for the error message.
        meta (dict): Saved as the output's ``meta``.
        **kwargs: Further arguments of the converter (``part``,
            ``source``).

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
    convert = dict(
        convert_dpt=convert_dpt,
        convert_supervised=convert_supervised,
        convert_pretrained=convert_pretrained)[kind]
    dropped = [] if reports_dropped(
        model, 'convert_dpt'
        if kind == 'convert_dpt' else 'convert_supervised') else None
    try:
        dst = convert(src, model, dropped=dropped, **kwargs)
    except (KeyError, ValueError, NotImplementedError) as err:
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
    'MODELS_TO_MODULES', 'PARTS', 'KINDS', 'SOURCES', 'get_converter',
    'convert_dpt', 'convert_supervised', 'convert_pretrained',
    'widen_to_trimap_input', 'reports_dropped', 'load_state_dict',
    'diff_keys', 'print_key_report', 'save_state_dict', 'run_conversion_cli'
]
