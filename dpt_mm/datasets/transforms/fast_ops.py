"""Hue rotation and packing of the DPT pre-training pipeline.

Replacements of mmpretrain's ``ColorJitter(hue=...)`` (an HSV round trip)
and of mmagic's ``PackInputs`` + ``FormatTrimap(to_onehot=True)`` (strided
copies); ``tools/benchmarks/pretext_pipeline.py`` measures both.
"""
import math
from typing import Dict, Optional, Sequence, Union

import cv2
import numpy as np
import torch
from mmagic.datasets.transforms import PackInputs
from mmagic.structures import DataSample
from mmcv.transforms import BaseTransform

from dpt_mm.registry import TRANSFORMS
from dpt_mm.structures import trimap as trimap_lib

# luminance weights of the hue-rotation matrix (SVG / CSS ``hue-rotate``),
# in R, G, B order
_LUMA = np.array([0.213, 0.715, 0.072])
_COS = np.array([[0.787, -0.715, -0.072], [-0.213, 0.285, -0.072],
                 [-0.213, -0.715, 0.928]])
_SIN = np.array([[-0.213, -0.715, 0.928], [0.143, 0.140, -0.283],
                 [-0.787, 0.715, 0.072]])


# the three terms of the matrix in both channel orders, built once
_HUE_TERMS = {
    'rgb': (np.tile(_LUMA, (3, 1)), _COS, _SIN),
    'bgr': tuple(
        np.ascontiguousarray(t[::-1, ::-1])
        for t in (np.tile(_LUMA, (3, 1)), _COS, _SIN)),
}


def hue_rotation_matrix(degrees: float, channel_order: str = 'bgr'
                        ) -> np.ndarray:
    """3x3 colour matrix rotating hue by ``degrees`` around the grey axis.

    The luminance-preserving linear hue rotation of SVG's ``feColorMatrix``
    (``hueRotate``): grey stays grey and 0 / 360 degrees is the identity.

    Args:
        degrees (float): Rotation angle.
        channel_order (str): 'bgr' or 'rgb' order of the image it is for.

    Returns:
        np.ndarray: float32 3x3 matrix (``out = M @ pixel``).
    """
    luma, cos_term, sin_term = _HUE_TERMS[channel_order.lower()]
    rad = math.radians(degrees)
    m = luma + math.cos(rad) * cos_term + math.sin(rad) * sin_term
    return m.astype(np.float32)


@TRANSFORMS.register_module()
class RandomHue(BaseTransform):
    """Rotate the hue of uint8 BGR images by a random angle per key.

    The angle is drawn uniformly from ``[-hue_range, hue_range]`` degrees
    for each key independently (the DPT foreground and background); the
    rotation is the luminance-preserving linear hue rotation around the
    grey axis (SVG ``hueRotate``) in one ``cv2.transform`` pass. Values are
    rounded and saturated to uint8.

    Required / modified keys: ``keys``.

    Args:
        keys (Sequence[str]): Images to change. Defaults to ('fg', 'bg').
        hue_range (float): Largest rotation in degrees. Defaults to 40.
    """

    def __init__(self,
                 keys: Union[str, Sequence[str]] = ('fg', 'bg'),
                 hue_range: float = 40) -> None:
        if not 0 <= hue_range <= 180:
            raise ValueError(f'hue_range must be in [0, 180], got {hue_range}')
        self.keys = [keys] if isinstance(keys, str) else list(keys)
        self.hue_range = float(hue_range)

    @staticmethod
    def rotate(img: np.ndarray, degrees: float) -> np.ndarray:
        """Rotate the hue of one uint8 BGR image by ``degrees``.

        Args:
            img (np.ndarray): uint8 ``HxWx3`` image.
            degrees (float): Rotation angle.

        Returns:
            np.ndarray: The changed uint8 image.
        """
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            raise ValueError('RandomHue needs uint8 HxWx3 images, got '
                             f'{img.dtype} {img.shape}')
        return cv2.transform(img, hue_rotation_matrix(degrees))

    def transform(self, results: Dict) -> Dict:
        """Rotate the hue of every image in ``keys``.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict.
        """
        for key in self.keys:
            angle = float(np.random.uniform(-self.hue_range, self.hue_range))
            results[key] = self.rotate(results[key], angle)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(keys={self.keys}, '
                f'hue_range={self.hue_range})')


def to_chw(img: np.ndarray) -> torch.Tensor:
    """Convert one ``HxW`` / ``HxWxC`` array to a contiguous ``CxHxW``
    tensor (the tensor of mmagic's ``all_to_tensor``), de-interleaving the
    channels with OpenCV's ``split`` straight into the output.

    Args:
        img (np.ndarray): The image.

    Returns:
        torch.Tensor: ``CxHxW`` (``1xHxW`` for an ``HxW`` array).
    """
    if img.ndim == 2:
        return torch.from_numpy(np.ascontiguousarray(img)[None])
    h, w, c = img.shape
    out = np.empty((c, h, w), dtype=img.dtype)
    if 1 < c <= 4 and img.dtype in (np.uint8, np.float32):
        planes = [out[i] for i in range(c)]
        written = cv2.split(img, planes)
        # OpenCV returns the very arrays it wrote into, or new ones
        if any(a is not b for a, b in zip(written, planes)):
            out = np.stack(written)
    else:
        out[...] = img.transpose(2, 0, 1)
    return torch.from_numpy(out)


def onehot_trimap_tensor(trimap: np.ndarray) -> torch.Tensor:
    """One-hot ``3xHxW`` uint8 tensor of a 0 / 128 / 255 trimap (mmagic's
    ``FormatTrimap(to_onehot=True)`` + ``PackInputs``), see
    :func:`dpt_mm.structures.trimap.onehot`."""
    return torch.from_numpy(trimap_lib.onehot(trimap))


@TRANSFORMS.register_module()
class PackMattingInputs(PackInputs):
    """mmagic's ``PackInputs`` with fast tensor conversion and trimap coding.

    Gives exactly what ``FormatTrimap(to_onehot=...)`` followed by mmagic's
    ``PackInputs`` gives (``inputs`` and a ``DataSample`` with ``trimap``,
    ``gt_alpha``, ``gt_fg``, ``gt_bg``, ``gt_merged``, ...), in one step:
    images become ``CxHxW`` tensors through
    :func:`to_chw`, and a 0 / 128 / 255 trimap becomes
    the one-hot ``3xHxW`` tensor directly (:func:`onehot_trimap_tensor`).
    With ``onehot_trimap=False`` the trimap is coded 0 / 1 / 2 like
    ``FormatTrimap(to_onehot=False)``.

    Args:
        keys (Sequence[str]): Keys packed as ``inputs``. Defaults to
            ('merged', ).
        meta_keys (Sequence[str]): As in ``PackInputs``. Defaults to ().
        data_keys (Sequence[str]): As in ``PackInputs``. Defaults to ().
        onehot_trimap (bool, optional): One-hot (True) or 0 / 1 / 2 (False)
            coding of ``trimap``; None leaves the trimap as it is (already
            formatted). Defaults to True.
    """

    def __init__(self,
                 keys: Union[str, Sequence[str]] = ('merged', ),
                 meta_keys: Union[str, Sequence[str]] = (),
                 data_keys: Union[str, Sequence[str]] = (),
                 onehot_trimap: Optional[bool] = True) -> None:

        def as_list(value):
            return [value] if isinstance(value, str) else list(value)

        super().__init__(
            keys=as_list(keys),
            meta_keys=as_list(meta_keys),
            data_keys=as_list(data_keys))
        self.onehot_trimap = onehot_trimap
        self._image_keys = set(self.keys) | set(self.data_keys) | set(
            DataSample.DATA_KEYS)

    def transform(self, results: Dict) -> Dict:
        """Format the trimap, convert the images and pack them.

        Args:
            results (dict): The result dict.

        Returns:
            dict: ``{'inputs': ..., 'data_samples': DataSample}``.
        """
        trimap = results.get('trimap')
        if self.onehot_trimap is not None and isinstance(trimap, np.ndarray):
            if self.onehot_trimap:
                results['trimap'] = onehot_trimap_tensor(trimap)
            else:
                coded = trimap_lib.label(trimap.reshape(trimap.shape[:2]))
                results['trimap'] = torch.from_numpy(coded[None])
            results['format_trimap_to_onehot'] = bool(self.onehot_trimap)
        for key in self._image_keys:
            value = results.get(key)
            if isinstance(value, np.ndarray) and value.ndim in (2, 3):
                results[key] = to_chw(value)
        return super().transform(results)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(keys={self.keys}, '
                f'meta_keys={self.meta_keys}, data_keys={self.data_keys}, '
                f'onehot_trimap={self.onehot_trimap})')
