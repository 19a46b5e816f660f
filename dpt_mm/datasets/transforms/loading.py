"""Image loading at reduced scale for the DPT pre-training pipeline.

mmagic's ``LoadImageFromFile`` always decodes JPEGs at full resolution
(``mmcv.imfrombytes`` has no reduced-scale flag). The pretext samples are
only 224x224, so when an image is at least twice (four, eight times) as
large as needed, libjpeg can decode it directly at 1/2 (1/4, 1/8) scale
with its DCT scaling, which is faster. :class:`LoadImageReduced`
adds exactly that and keeps everything else of mmagic's loader.
"""
import os.path as osp
from typing import Optional

import cv2
import mmcv
import numpy as np
from mmagic.datasets.transforms import LoadImageFromFile
from mmengine.fileio import get_file_backend

from dpt_mm.registry import TRANSFORMS
from dpt_mm.utils.io import jpeg_size

_REDUCED_FLAGS = {
    2: cv2.IMREAD_REDUCED_COLOR_2,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    8: cv2.IMREAD_REDUCED_COLOR_8,
}


class UnreadableImageError(OSError):
    """An image file that is missing, empty, corrupt or not an image.

    Datasets that tolerate bad files (e.g. ``UnlabeledImageDataset``) catch
    this error, skip the sample and count it.

    Args:
        filename (str): The file that could not be read.
        reason (str): What went wrong.
    """

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f'cannot read image {filename}: {reason}')
        self.filename = filename
        self.reason = reason

    def __reduce__(self):
        return self.__class__, (self.filename, self.reason)


def reduction_factor(h: int, w: int, min_size: int) -> int:
    """Largest libjpeg scale denominator (1, 2, 4, 8) keeping the short side.

    libjpeg's DCT scaling by ``1/f`` gives ``ceil(side / f)`` pixels; the
    factor is chosen so that the shorter side stays at least ``min_size``.

    Args:
        h (int): Stored image height.
        w (int): Stored image width.
        min_size (int): Smallest acceptable short side after decoding.

    Returns:
        int: 1, 2, 4 or 8.
    """
    short = min(h, w)
    for factor in (8, 4, 2):
        if -(-short // factor) >= min_size:
            return factor
    return 1


@TRANSFORMS.register_module()
class LoadImageReduced(LoadImageFromFile):
    """Load an image, decoding JPEGs at reduced scale when that is lossless.

    Same keys and arguments as mmagic's ``LoadImageFromFile`` (it reads
    ``{key}_path`` and sets ``key``, ``ori_{key}_shape``,
    ``{key}_channel_order`` and ``{key}_color_type``), plus ``min_size``:
    a colour JPEG whose shorter side is at least ``2 * min_size`` (``4 *``,
    ``8 *``) is decoded by libjpeg directly at 1/2 (1/4, 1/8) scale
    (OpenCV's ``IMREAD_REDUCED_COLOR_*``), so the decoded short side is
    still at least ``min_size``; later resizing to ``min_size`` then loses
    nothing. Other images are decoded by mmcv as usual. ``ori_{key}_shape``
    is the decoded shape and ``{key}_decode_factor`` the factor used.

    When ``results`` holds the encoded file as ``{key}_bytes`` (a sample
    read from a tar shard by ``ShardedImageDataset``), those bytes are
    decoded instead of reading ``{key}_path``, which then only names the
    image (in errors); the bytes are dropped from ``results`` once decoded.

    A missing, empty or undecodable file raises
    :class:`UnreadableImageError` naming the file.

    Args:
        key (str): Key in results to find the path (``{key}_path``).
        min_size (int): Smallest short side the decoded image must keep.
            0 disables reduced decoding. Defaults to 224.
        **kwargs: Other arguments of mmagic's ``LoadImageFromFile``
            (``color_type``, ``channel_order``, ``backend_args``, ...).
            Reduced decoding applies only with ``color_type='color'``, the
            'cv2' (or default) decode backend and no ``to_y_channel``.
    """

    def __init__(self, key: str, min_size: int = 224, **kwargs) -> None:
        super().__init__(key, **kwargs)
        if min_size < 0:
            raise ValueError(f'min_size must be >= 0, got {min_size}')
        self.min_size = int(min_size)
        self._can_reduce = (
            self.min_size > 0 and self.color_type == 'color'
            and self.imdecode_backend in (None, 'cv2'))
        self._last_factor = 1
        self._given_bytes: Optional[bytes] = None

    def _read_file(self, filename: str) -> bytes:
        """Read the encoded image through the file backend (or the cache).

        Args:
            filename (str): Path of the image file.

        Returns:
            bytes: The file's content.
        """
        if self.file_backend is None:
            self.file_backend = get_file_backend(
                uri=filename, backend_args=self.backend_args)
        if (self.backend_args or {}).get('backend') == 'lmdb':
            filename = osp.splitext(osp.basename(filename))[0]  # as mmagic
        try:
            if filename in self.cache:
                return self.cache[filename]
            data = self.file_backend.get(filename)
            if self.use_cache:
                self.cache[filename] = data
            return data
        except Exception as err:  # missing file, permission, backend error
            raise UnreadableImageError(
                filename, f'{type(err).__name__}: {err}') from err

    def _load_image(self, filename: str) -> np.ndarray:
        """Read and decode ``filename``, at reduced scale when possible.

        Args:
            filename (str): Path of the image file.

        Returns:
            np.ndarray: The decoded image (``channel_order`` order).
        """
        data = self._given_bytes
        if data is None:
            data = self._read_file(filename)
        if not data:
            raise UnreadableImageError(filename, 'the file is empty')

        factor = 1
        size = jpeg_size(data) if self._can_reduce else None
        if size is not None:
            factor = reduction_factor(size[0], size[1], self.min_size)
        self._last_factor = factor
        if factor > 1:
            img = cv2.imdecode(
                np.frombuffer(data, np.uint8), _REDUCED_FLAGS[factor])
            if img is not None and self.channel_order == 'rgb':
                img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        else:
            try:
                img = mmcv.imfrombytes(
                    data,
                    flag=self.color_type,
                    channel_order=self.channel_order,
                    backend=self.imdecode_backend)
            except Exception as err:  # e.g. PIL / tifffile decode errors
                raise UnreadableImageError(
                    filename, f'{type(err).__name__}: {err}') from err
        if img is None or img.size == 0:
            raise UnreadableImageError(
                filename, 'not a decodable image (corrupt or unsupported '
                'format)')
        return img

    def transform(self, results: dict) -> dict:
        """Load the image of ``{key}_path`` into ``results[key]``.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict with the image and its meta keys.
        """
        self._given_bytes = results.pop(f'{self.key}_bytes', None)
        try:
            results = super().transform(results)
        finally:
            self._given_bytes = None
        results[f'{self.key}_decode_factor'] = self._last_factor
        return results

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f', min_size={self.min_size})'
