"""Image + trimap (or coarse mask) -> alpha, foreground, cut-out, composite.

mmagic's ``MattingInferencer`` only returns the alpha of file inputs, edits
the config's pipeline in place and accepts any file without checks; this
inferencer keeps its conventions (``BaseMMagicInferencer``'s
preprocess -> forward -> visualize -> postprocess with keyword dispatch) and
adds validated inputs (files or arrays), trimaps from masks, foreground
estimation, RGBA cut-outs, composites and atomic output files.
"""
import copy
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.dataset import Compose

from mmagic.apis.inferencers.base_mmagic_inferencer import \
    BaseMMagicInferencer
from mmagic.registry import MODELS
from mmagic.structures import DataSample
from mmagic.utils import ConfigType
from dpt_mm.registry import INFERENCERS
from dpt_mm.utils.io import (checkpoint_state_dict, read_checkpoint,
                             resolve_checkpoint)
from .image_io import (MattingInputError, atomic_write_image, output_paths,
                       read_gray_map, read_image, result_name)
from .matting_ops import (check_size, check_trimap, composite,
                          estimate_foreground, make_cutout, trimap_from_mask)
from .tiling import tiled_forward_test

ArrayOrPath = Union[str, np.ndarray]

# Keys the model's test pipeline may load that inference has no file for.
_GT_KEYS = ('alpha', 'ori_alpha', 'fg', 'bg', 'ori_fg', 'ori_bg')


def _is_loader(step: dict) -> bool:
    """Whether a pipeline step loads a file (we load and validate instead)."""
    return str(step.get('type', '')).split('.')[-1] == 'LoadImageFromFile'


def _drop_gt_keys(step: dict) -> Optional[dict]:
    """Remove ground-truth keys from a pipeline step; None if nothing is
    left for it to do."""
    step = copy.deepcopy(step)
    if step.get('key') in _GT_KEYS:
        return None
    for field in ('keys', 'meta_keys', 'data_keys'):
        if isinstance(step.get(field), (list, tuple)):
            kept = [k for k in step[field] if k not in _GT_KEYS]
            if field == 'keys' and not kept and step[field]:
                return None
            step[field] = kept
    return step


@INFERENCERS.register_module()
class DPTMattingInferencer(BaseMMagicInferencer):
    """Matting inferencer for trimap-based mattors (dpt-mm and mmagic ones).

    The model's own test pipeline (``test_dataloader.dataset.pipeline``)
    prepares the input with its loading steps replaced by validated loading
    (same decoding as mmagic's ``LoadImageFromFile``) and its ground-truth
    steps dropped; the mattor pads to its ``size_divisor`` and crops back
    (``test_cfg.resize_method='pad'``) and forces the trimap's known regions.

    Call it like mmagic's inferencers::

        inferencer = DPTMattingInferencer('config.py', 'ckpt.pth', 'cpu')
        results, images = inferencer(img='a.jpg', trimap='a.png',
                                     result_out_dir='out', bg='beach.jpg')

    Keyword arguments of a call:

    - ``img``: image path or HxWx3 uint8 BGR array.
    - ``trimap``: trimap path or HxW uint8 array (0 bg, 128 unknown,
      255 fg); or ``mask``: coarse mask (path or array) turned into a
      trimap with ``band`` (half width of the unknown band, px) and
      ``mask_threshold``.
    - ``trimap_threshold``: ``(low, high)`` mapping a soft trimap.
    - ``result_out_dir``: folder for ``alpha/``, ``fg/``, ``cutout/``
      (BGRA PNG), ``composite/`` and, for masks, ``trimap/``; files are
      named after the image (``name`` for arrays, default 'result').
    - ``bg``: background path or array for a composite.
    - ``fg_method``: 'auto' | 'ml' | 'blur', see
      :func:`dpt_mm.apis.estimate_foreground`.

    Returns ``(results, images)``: ``results['pred_alpha']`` (HxW uint8)
    and ``results['trimap']``; ``images`` maps 'alpha', 'fg', 'cutout',
    'trimap' and, with ``bg``, 'composite' to arrays (BGR/BGRA) and
    ``'paths'`` to the written files.

    Args:
        config (str or ConfigType): Model config or its path.
        ckpt (str, optional): Checkpoint; must match the model exactly.
        device (str, optional): 'cpu', 'cuda' or 'cuda:N'; best available
            when None.
        extra_parameters (dict, optional): Unused, kept for the interface.
        seed (int): Random seed (mmagic convention). Defaults to 2022.
    """

    func_kwargs = dict(
        preprocess=[
            'img', 'trimap', 'mask', 'band', 'mask_threshold',
            'trimap_threshold', 'name'
        ],
        forward=['tile', 'tile_overlap', 'bf16'],
        visualize=['result_out_dir', 'bg', 'fg_method'],
        postprocess=['get_datasample'])

    def __init__(self,
                 config: Union[ConfigType, str],
                 ckpt: Optional[str],
                 device: Optional[str] = None,
                 extra_parameters: Optional[Dict] = None,
                 seed: int = 2022,
                 **kwargs) -> None:
        if isinstance(device, str) and device.startswith('cuda') \
                and not torch.cuda.is_available():
            raise RuntimeError('device "cuda" requested but torch sees no '
                               'CUDA GPU; use device="cpu"')
        if ckpt:
            # a file, a Hugging Face folder or hf:// id (downloaded here);
            # CheckpointNotFoundError is a FileNotFoundError
            ckpt = resolve_checkpoint(ckpt)
        super().__init__(config, ckpt, device, extra_parameters, seed,
                         **kwargs)

    @classmethod
    def build_strict(cls, cfg: ConfigType,
                     ckpt: Optional[str]) -> torch.nn.Module:
        """Build ``cfg.model`` and load ``ckpt`` (a released layout is
        converted first) with ``strict=True`` after a key / shape check.

        Raises:
            CheckpointError: ``ckpt`` is not a readable PyTorch checkpoint.
            RuntimeError: Its weights do not fit the model (a
                ``StrictLoadError``, the summary of ``load_strict``).
        """
        from dpt_mm.models.converters.checkpoint import load_strict
        model = MODELS.build(cfg.model)
        if ckpt:
            # CheckpointError (a ValueError) for a file that is no checkpoint
            state_dict = checkpoint_state_dict(read_checkpoint(ckpt))
            state_dict = cls._from_released(ckpt, state_dict)
            load_strict(model, state_dict, ckpt)
        return model

    def _init_model(self, cfg: ConfigType, ckpt: Optional[str],
                    device: str) -> torch.nn.Module:
        """Build the mattor and load ``ckpt`` strictly (a checkpoint of
        another architecture must fail loudly, not give a random matte).

        Raises:
            CheckpointError: ``ckpt`` is not a readable PyTorch checkpoint.
            RuntimeError: Its weights do not fit the model (the message
                counts the missing / unexpected keys and names a few).
        """
        model = self.build_strict(cfg, ckpt)
        model.cfg = cfg
        model.to(device)
        model.eval()
        return model

    @staticmethod
    def _from_released(ckpt: str, state_dict: Dict) -> Dict:
        """An official release converted on the fly, with a one-line
        notice (:func:`~dpt_mm.models.converters.released.
        convert_with_notice`); dpt-mm weights pass unchanged."""
        from dpt_mm.models.converters.released import convert_with_notice
        return convert_with_notice(ckpt, state_dict)

    def _init_pipeline(self, cfg: ConfigType) -> Compose:
        """The config's test pipeline without loading and ground-truth steps.

        The loading steps are remembered in ``self.load_cfgs`` so that
        in-memory inputs are prepared exactly as files would be.
        """
        steps = None
        if 'test_dataloader' in cfg and 'dataset' in cfg.test_dataloader:
            steps = cfg.test_dataloader.dataset.get('pipeline')
        if steps is None:
            steps = cfg.get('test_pipeline')
        if steps is None:
            raise ValueError('the config has no test pipeline '
                             '(test_dataloader.dataset.pipeline)')
        self.load_cfgs: Dict[str, dict] = {}
        kept = []
        for step in steps:
            if _is_loader(step):
                self.load_cfgs[step['key']] = dict(step)
                continue
            step = _drop_gt_keys(step)
            if step is not None:
                kept.append(step)
        return Compose(kept)

    def _init_visualizer(self, cfg: ConfigType) -> None:
        """No mmengine visualizer: results are written by :meth:`visualize`
        (building the config's one would need a work dir)."""
        return None

    def _load_entry(self, key: str, value: np.ndarray,
                    path: Optional[str]) -> dict:
        """What ``LoadImageFromFile(key=key, ...)`` of the config would add
        to the results for an already loaded ``value``."""
        load = self.load_cfgs.get(key, {})
        order = load.get('channel_order', 'bgr')
        color_type = load.get('color_type',
                              'grayscale' if key == 'trimap' else 'color')
        if value.ndim == 3 and order == 'rgb':
            value = value[..., ::-1]
        if value.ndim == 2:
            value = value[..., None]
        value = np.ascontiguousarray(value)
        entry = {
            key: value,
            f'ori_{key}_shape': value.shape,
            f'{key}_channel_order': order,
            f'{key}_color_type': color_type,
            f'{key}_path': path if path is not None else f'<{key} array>',
        }
        # BaseMattor.postprocess needs ori_trimap whatever the config says.
        if load.get('save_original_img', False) or key == 'trimap':
            entry[f'ori_{key}'] = value.copy()
        return entry

    def preprocess(self,
                   img: ArrayOrPath,
                   trimap: Optional[ArrayOrPath] = None,
                   mask: Optional[ArrayOrPath] = None,
                   band: int = 10,
                   mask_threshold: int = 128,
                   trimap_threshold: Optional[Tuple[int, int]] = None,
                   name: Optional[str] = None) -> Dict:
        """Load, validate and pack one image with its trimap.

        Args:
            img (str or np.ndarray): Image path or HxWx3 uint8 BGR array.
            trimap (str or np.ndarray, optional): Trimap path or array.
            mask (str or np.ndarray, optional): Coarse mask instead of a
                trimap.
            band (int): Unknown band half width for masks. Defaults to 10.
            mask_threshold (int): Mask binarisation threshold. Defaults to
                128.
            trimap_threshold (tuple[int, int], optional): Soft trimap
                mapping ``(low, high)``.
            name (str, optional): Output name; the image's stem by default.

        Returns:
            dict: ``inputs``/``data_samples`` for the model and ``images``,
            ``trimaps``, ``names``, ``from_mask`` for the later steps.
        """
        if (trimap is None) == (mask is None):
            raise ValueError('give exactly one of trimap or mask')
        img_path = img if isinstance(img, str) else None
        if img_path is not None:
            image = read_image(img_path)
        else:
            image = np.asarray(img)
            if image.ndim != 3 or image.shape[2] != 3 \
                    or image.dtype != np.uint8:
                raise MattingInputError(
                    f'<image array>: expected HxWx3 uint8 BGR, got '
                    f'{image.dtype} array of shape {image.shape}')
        guide = trimap if trimap is not None else mask
        kind = 'trimap' if trimap is not None else 'mask'
        guide_path = guide if isinstance(guide, str) else None
        guide_name = guide_path or f'<{kind} array>'
        if guide_path is not None:
            guide_map = read_gray_map(guide_path, kind)
        else:
            guide_map = np.asarray(guide)
            if guide_map.ndim == 3 and guide_map.shape[2] == 1:
                guide_map = guide_map[..., 0]
            if guide_map.ndim != 2 or guide_map.dtype != np.uint8:
                raise MattingInputError(
                    f'{guide_name}: expected HxW uint8, got '
                    f'{guide_map.dtype} array of shape {guide_map.shape}')
        if mask is not None:
            check_size(guide_map, image.shape, guide_name, 'mask')
            tri = trimap_from_mask(guide_map, band, mask_threshold)
        else:
            tri = check_trimap(guide_map, image.shape, guide_name,
                               trimap_threshold)

        model_image, model_tri = self._replicate_small(image, tri)
        results = dict()
        results.update(self._load_entry('merged', model_image, img_path))
        results.update(self._load_entry('trimap', model_tri, guide_path))
        packed = self.pipeline(results)
        return dict(
            inputs=[packed['inputs']],
            data_samples=[packed['data_samples']],
            images=[image],
            trimaps=[tri],
            names=[name or result_name(img_path)],
            from_mask=[mask is not None])

    def _replicate_small(self, image: np.ndarray,
                         tri: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Edge-replicate an image too small for the mattor's padding.

        mmagic pads inputs to ``size_divisor`` with ``resize_mode``; torch's
        ``reflect`` padding needs the padding to be smaller than the side
        (a side of 16 px or less cannot be reflected up to 32). Such images
        and their trimaps are first replicate-padded to the next multiple
        (bottom / right, as mmagic pads); :meth:`forward` crops back.

        Returns:
            tuple: The image and trimap the model gets (unchanged when the
            mattor's own padding works).
        """
        test_cfg = getattr(self.model, 'test_cfg', None) or {}
        divisor = int(test_cfg.get('size_divisor', 1) or 1)
        if test_cfg.get('resize_method') != 'pad' or test_cfg.get(
                'resize_mode', 'reflect') != 'reflect' or divisor <= 1:
            return image, tri
        h, w = image.shape[:2]
        pad_h, pad_w = -h % divisor, -w % divisor
        if pad_h < h and pad_w < w:
            return image, tri
        return (np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode='edge'),
                np.pad(tri, ((0, pad_h), (0, pad_w)), mode='edge'))

    def forward(self,
                inputs: Dict,
                tile: int = 0,
                tile_overlap: int = 64,
                bf16: bool = False) -> List[DataSample]:
        """Run the mattor in predict mode (pads, predicts, crops back).

        Args:
            inputs (dict): Output of :meth:`preprocess`.
            tile (int): When > 0 and the image is larger, predict the
                unknown region in overlapping tiles of at most
                ``tile`` x ``tile`` pixels (bounded memory, see
                :mod:`dpt_mm.apis.tiling`). Defaults to 0 (whole image).
            tile_overlap (int): Overlap of the tiles and context around the
                unknown region, in pixels. Defaults to 64.
            bf16 (bool): Run the mattor under bfloat16 autocast (alphas
                differ by about 1e-2; worth it on GPUs and AMX CPUs, slower
                than float32 on the AVX512 CPU of docs/inference.md).
                Defaults to False.

        Returns:
            list[DataSample]: One sample per image with ``output.pred_alpha``
            and the input image, trimap and name in its metainfo.
        """
        batch = self.model.data_preprocessor(
            dict(inputs=inputs['inputs'], data_samples=inputs['data_samples']),
            False)
        # BaseMattor.forward(mode='predict') step by step, so that only the
        # network runs under autocast and tiles can replace the one pass
        device = next(self.model.parameters()).device.type
        with torch.no_grad():
            with torch.autocast(
                    device, dtype=torch.bfloat16, enabled=bf16):
                if tile > 0 and max(batch['inputs'].shape[-2:]) > tile:
                    alpha = tiled_forward_test(self.model, batch['inputs'],
                                               inputs['trimaps'][0], tile,
                                               tile_overlap)
                else:
                    alpha = self.model.predict_alpha(
                        self.model.resize_inputs(batch['inputs']))
            preds = self.model.postprocess(alpha.float(),
                                           batch['data_samples'])
            preds = self.model.convert_to_datasample(preds,
                                                     batch['data_samples'])
        for pred, image, tri, name, from_mask in zip(
                preds, inputs['images'], inputs['trimaps'], inputs['names'],
                inputs['from_mask']):
            h, w = image.shape[:2]
            if tuple(pred.output.pred_alpha.shape[-2:]) != (h, w):
                # crop what _replicate_small added
                pred.output.pred_alpha = pred.output.pred_alpha[..., :h, :w]
            pred.set_metainfo(
                dict(
                    input_image=image,
                    input_trimap=tri,
                    result_name=name,
                    trimap_from_mask=from_mask))
        return preds

    def visualize(self,
                  preds: List[DataSample],
                  result_out_dir: Optional[str] = None,
                  bg: Optional[ArrayOrPath] = None,
                  fg_method: str = 'auto') -> List[Dict]:
        """Estimate the foreground, build the cut-out/composite and save.

        Every array is computed before the first file is written, and each
        file is written atomically.

        Args:
            preds (list[DataSample]): Output of :meth:`forward`.
            result_out_dir (str, optional): Output folder; nothing is
                written when empty.
            bg (str or np.ndarray, optional): New background (BGR).
            fg_method (str): Foreground estimator. Defaults to 'auto'.

        Returns:
            list[dict]: Per image 'alpha', 'fg', 'cutout', 'trimap',
            optionally 'composite' (arrays) and 'paths' (written files).
        """
        if isinstance(bg, str):
            bg = read_image(bg)
        outputs = []
        for pred in preds:
            alpha = pred.output.pred_alpha.data.cpu().numpy().astype(
                np.uint8)
            image = pred.metainfo['input_image']
            if alpha.shape != image.shape[:2]:
                raise RuntimeError(
                    f'model returned alpha {alpha.shape} for an image of '
                    f'size {image.shape[:2]}; the config\'s test_cfg must '
                    'restore the input size')
            fg = estimate_foreground(image, alpha, fg_method)
            out = dict(
                alpha=alpha,
                fg=fg,
                cutout=make_cutout(fg, alpha),
                trimap=pred.metainfo['input_trimap'])
            if bg is not None:
                out['composite'] = composite(fg, alpha, np.asarray(bg))
            kinds = matting_kinds(bg is not None,
                                  pred.metainfo['trimap_from_mask'])
            out['paths'] = {}
            if result_out_dir:
                out['paths'] = output_paths(result_out_dir,
                                            pred.metainfo['result_name'],
                                            kinds)
                for kind, path in out['paths'].items():
                    atomic_write_image(path, out[kind])
            outputs.append(out)
        return outputs

    def postprocess(self,
                    preds: List[DataSample],
                    imgs: Optional[List[Dict]] = None,
                    is_batch: bool = False,
                    get_datasample: bool = False
                    ) -> Tuple[Union[Dict, List], Union[Dict, List]]:
        """Return ``(results, images)`` like mmagic's inferencers.

        Args:
            preds (list[DataSample]): Output of :meth:`forward`.
            imgs (list[dict], optional): Output of :meth:`visualize`.
            is_batch (bool): Keep lists even for one image. Defaults to
                False.
            get_datasample (bool): Return the DataSamples as results.
                Defaults to False.

        Returns:
            tuple: Results and visualisations.
        """
        results = preds if get_datasample else [
            self._pred2dict(p) for p in preds
        ]
        if not is_batch:
            return results[0], (imgs[0] if imgs else None)
        return results, imgs

    def _pred2dict(self, data_sample: DataSample) -> Dict:
        """The predicted alpha (HxW uint8 numpy) and the trimap used."""
        return dict(
            pred_alpha=data_sample.output.pred_alpha.data.cpu().numpy(),
            trimap=data_sample.metainfo['input_trimap'])


def matting_kinds(with_bg: bool, from_mask: bool) -> Sequence[str]:
    """The output kinds the inferencer writes for one image."""
    kinds = ['alpha', 'fg', 'cutout']
    if with_bg:
        kinds.append('composite')
    if from_mask:
        kinds.append('trimap')
    return kinds
