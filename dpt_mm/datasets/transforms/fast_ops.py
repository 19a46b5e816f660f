"""Fast colour and packing helpers of the DPT pre-training pipeline.

Both replace slower equivalents for speed (measured by
``tools/benchmarks/pretext_pipeline.py``): a hue rotation without the HSV
round trip of mmpretrain's ``ColorJitter(hue=...)``, and mmagic's
``PackInputs`` without its strided torch copy, with mmagic's
``FormatTrimap(to_onehot=True)`` folded into the packing
(:class:`PackMattingInputs`).
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
    """Rotate the hue of uint8 colour images by a random angle.

    The angle is drawn uniformly from ``[-hue_range, hue_range]`` degrees
    for each key independently (two unrelated images such as the DPT
    foreground and background) or once for all keys (``same_for_all``).

    ``mode='matrix'`` (default) applies the luminance-preserving linear hue
    rotation around the grey axis (SVG ``hueRotate``) in one
    ``cv2.transform`` pass, without an HSV round trip;
    ``mode='hsv'`` shifts the H channel of OpenCV's full-range HSV exactly
    like mmcv's ``adjust_hue`` (the hue jitter of GCA / MatteFormer).
    Values are rounded and saturated to uint8.

    Required / modified keys: ``keys``.

    Args:
        keys (Sequence[str]): Images to change. Defaults to ('fg', 'bg').
        hue_range (float): Largest rotation in degrees. Defaults to 40.
        mode (str): 'matrix' or 'hsv'. Defaults to 'matrix'.
        same_for_all (bool): One angle for all keys. Defaults to False.
        channel_order (str): 'bgr' or 'rgb'. Defaults to 'bgr'.
    """

    def __init__(self,
                 keys: Union[str, Sequence[str]] = ('fg', 'bg'),
                 hue_range: float = 40,
                 mode: str = 'matrix',
                 same_for_all: bool = False,
                 channel_order: str = 'bgr') -> None:
        if mode not in ('matrix', 'hsv'):
            raise ValueError(f"mode must be 'matrix' or 'hsv', got {mode!r}")
        if not 0 <= hue_range <= 180:
            raise ValueError(f'hue_range must be in [0, 180], got {hue_range}')
        if channel_order.lower() not in ('bgr', 'rgb'):
            raise ValueError(f"channel_order must be 'bgr' or 'rgb', got "
                             f'{channel_order!r}')
        self.keys = [keys] if isinstance(keys, str) else list(keys)
        self.hue_range = float(hue_range)
        self.mode = mode
        self.same_for_all = same_for_all
        self.channel_order = channel_order.lower()

    def rotate(self, img: np.ndarray, degrees: float) -> np.ndarray:
        """Rotate the hue of one uint8 image by ``degrees``.

        Args:
            img (np.ndarray): uint8 ``HxWx3`` image.
            degrees (float): Rotation angle.

        Returns:
            np.ndarray: The changed uint8 image.
        """
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            raise ValueError('RandomHue needs uint8 HxWx3 images, got '
                             f'{img.dtype} {img.shape}')
        if self.mode == 'matrix':
            return cv2.transform(
                img, hue_rotation_matrix(degrees, self.channel_order))
        to_hsv, to_img = (cv2.COLOR_BGR2HSV_FULL, cv2.COLOR_HSV2BGR_FULL) \
            if self.channel_order == 'bgr' else (cv2.COLOR_RGB2HSV_FULL,
                                                 cv2.COLOR_HSV2RGB_FULL)
        hsv = cv2.cvtColor(img, to_hsv)
        shift = int(round(degrees * 256 / 360)) % 256
        np.add(hsv[..., 0], np.uint8(shift), out=hsv[..., 0])  # wraps
        return cv2.cvtColor(hsv, to_img)

    def transform(self, results: Dict) -> Dict:
        """Rotate the hue of every image in ``keys``.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict.
        """
        angle = None
        for key in self.keys:
            if angle is None or not self.same_for_all:
                angle = float(
                    np.random.uniform(-self.hue_range, self.hue_range))
            results[key] = self.rotate(results[key], angle)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(keys={self.keys}, '
                f'hue_range={self.hue_range}, mode={self.mode!r}, '
                f'same_for_all={self.same_for_all}, '
                f'channel_order={self.channel_order!r})')


@TRANSFORMS.register_module()
class FastImageToTensor(BaseTransform):
    """Turn ``HxWxC`` numpy images into contiguous ``CxHxW`` torch tensors.

    Put it just before mmagic's ``PackInputs``, which passes tensors through
    unchanged: it gives the same tensors as PackInputs' own conversion but
    de-interleaves the channels with OpenCV's vectorised ``split`` straight
    into the output. ``HxW`` arrays become ``1xHxW``. Missing keys are skipped.

    Args:
        keys (Sequence[str]): Keys of the images to convert.
    """

    def __init__(self, keys: Union[str, Sequence[str]]) -> None:
        self.keys = [keys] if isinstance(keys, str) else list(keys)

    @staticmethod
    def to_chw(img: np.ndarray) -> torch.Tensor:
        """Convert one ``HxW`` / ``HxWxC`` array to a ``CxHxW`` tensor."""
        if img.ndim == 2:
            return torch.from_numpy(np.ascontiguousarray(img)[None])
        h, w, c = img.shape
        out = np.empty((c, h, w), dtype=img.dtype)
        if 1 < c <= 4 and img.dtype in (np.uint8, np.float32):
            planes = [out[i] for i in range(c)]
            written = cv2.split(img, planes)
            # OpenCV returns the very arrays it wrote into (identity check,
            # much cheaper than comparing buffer addresses)
            if any(a is not b for a, b in zip(written, planes)):
                out = np.stack(written)  # OpenCV allocated new planes
        else:
            out[...] = img.transpose(2, 0, 1)
        return torch.from_numpy(out)

    def transform(self, results: Dict) -> Dict:
        """Convert the images of ``keys``.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict with tensors.
        """
        for key in self.keys:
            value = results.get(key)
            if isinstance(value, np.ndarray):
                results[key] = self.to_chw(value)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(keys={self.keys})'


#: trimap values of the one-hot planes, in mmagic's ``FormatTrimap`` order
_TRIMAP_VALUES = (0, 128, 255)


def onehot_trimap_tensor(trimap: np.ndarray) -> torch.Tensor:
    """One-hot ``3xHxW`` uint8 tensor of a 0 / 128 / 255 trimap.

    The same tensor as mmagic's ``FormatTrimap(to_onehot=True)`` followed by
    ``PackInputs``: plane 0 marks background (0), plane 1 unknown (128),
    plane 2 foreground (255); other values are 0 in every plane. Each plane
    is one vectorised comparison written straight into the output.

    Args:
        trimap (np.ndarray): uint8 ``HxW`` (or ``HxWx1``) trimap.

    Returns:
        torch.Tensor: uint8 tensor of shape ``(3, H, W)`` with 0 / 1 values.
    """
    if trimap.ndim == 3 and trimap.shape[2] == 1:
        trimap = trimap[..., 0]
    if trimap.ndim != 2:
        raise ValueError('the trimap must be HxW or HxWx1 to be one-hot '
                         f'encoded, got shape {trimap.shape}')
    out = np.empty((3, ) + trimap.shape, dtype=np.uint8)
    planes = out.view(np.bool_)  # True / False are stored as bytes 1 / 0
    for plane, value in zip(planes, _TRIMAP_VALUES):
        np.equal(trimap, value, out=plane)
    return torch.from_numpy(out)


@TRANSFORMS.register_module()
class PackMattingInputs(PackInputs):
    """mmagic's ``PackInputs`` with fast tensor conversion and trimap coding.

    Gives exactly what ``FormatTrimap(to_onehot=...)`` followed by mmagic's
    ``PackInputs`` gives (``inputs`` and a ``DataSample`` with ``trimap``,
    ``gt_alpha``, ``gt_fg``, ``gt_bg``, ``gt_merged``, ...), in one step:
    images become ``CxHxW`` tensors through
    :meth:`FastImageToTensor.to_chw`, and a 0 / 128 / 255 trimap becomes
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
                coded = trimap.reshape(trimap.shape[:2]).copy()
                coded[coded == 128] = 1  # as FormatTrimap: other values kept
                coded[coded == 255] = 2
                results['trimap'] = torch.from_numpy(coded[None])
            results['format_trimap_to_onehot'] = bool(self.onehot_trimap)
        for key in self._image_keys:
            value = results.get(key)
            if isinstance(value, np.ndarray) and value.ndim in (2, 3):
                results[key] = FastImageToTensor.to_chw(value)
        return super().transform(results)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(keys={self.keys}, '
                f'meta_keys={self.meta_keys}, data_keys={self.data_keys}, '
                f'onehot_trimap={self.onehot_trimap})')
