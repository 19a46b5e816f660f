"""Resize + random crop + random affine of an image as one transform.

mmagic's ``Resize`` -> ``Crop`` -> ``RandomAffine`` chain costs more than
half a JPEG decode per pre-training image; :class:`ResizeCropAffine` does
one resize and one warp with mmagic's parameter draws (same distribution).
"""
from typing import Dict, Sequence, Tuple, Union

import cv2
import numpy as np
from mmagic.datasets.transforms import RandomAffine

from dpt_mm.registry import TRANSFORMS
from dpt_mm.utils.patches import inverse_affine_matrix

_INTERPOLATION = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'lanczos': cv2.INTER_LANCZOS4,
}
# interpolation='random': one of these per warp, as the authors' DPT /
# MG Matting / MatteFormer data generators (``maybe_random_interp``)
RANDOM_INTERPOLATIONS = ('nearest', 'bilinear', 'bicubic', 'lanczos')


@TRANSFORMS.register_module()
class ResizeCropAffine(RandomAffine):
    """Resize, randomly crop and randomly affine-warp images in one warp.

    For every key independently (different images, e.g. DPT's fg and bg):
    the image is scaled so that it covers ``crop_size`` (the short side to
    224 for a square crop, keeping the aspect ratio, as mmagic's
    ``Resize(scale=(224, -1), keep_ratio=True)``), a ``crop_size`` window is
    placed uniformly at random (as mmagic's ``Crop(random_crop=True)``), and
    mmagic's ``RandomAffine`` (flip -> scale -> rotation -> shear about the
    window centre, parameters drawn by its own code) is applied to the
    window. The resize is a bilinear ``cv2.resize`` (as mmagic's
    ``Resize``); the crop and the affine are one ``cv2.warpAffine`` of the
    resized image (nearest neighbour by default, as mmagic's
    ``RandomAffine``). Pixels from outside the image are 0, as in mmagic;
    unlike the chained version, pixels the affine pulls in from outside the
    window but inside the image keep their content instead of turning black.

    With ``fold_resize=True`` the resize is folded into the warp as well:
    one ``cv2.warpAffine`` maps output pixels straight to pixels of the
    input image (pixel-centre exact, the same geometry as the resize), so
    no intermediate resized image is made. With nearest-neighbour
    interpolation this is about twice as fast for a typical ImageNet
    image and differs from the two-step version only by the mild 2x2
    smoothing of the bilinear resize (both sample without an anti-alias
    filter when shrinking).

    Like mmagic's ``RandomAffine`` (and GCA / MatteFormer), rotation is
    turned off when the output is smaller than ``rotation_min_size``
    (1024 by default) on its longer side.

    With ``shared=True`` one resize / crop / affine draw is made for all
    ``keys`` (which must have the same size), e.g. an image and its alpha
    warped together as in the authors' DPT data generator, where only the
    foreground and its pseudo alpha are warped.

    Required / modified keys: ``keys``; added: ``{key}_affine_matrix`` (the
    2x3 map from output pixels to pixels of the image that is warped: the
    resized image, or the input image with ``fold_resize``).

    Args:
        keys (Sequence[str]): Images to transform, each with its own draw
            (one draw for all with ``shared``).
        crop_size (Tuple[int, int]): Output ``(h, w)``. Defaults to
            (224, 224).
        degrees (float | Tuple[float, float]): Rotation range, as in
            ``RandomAffine``. Defaults to 0.
        interpolation (str): Interpolation of the warp: 'nearest' (as
            mmagic's ``RandomAffine``), 'bilinear', 'bicubic', 'lanczos', or
            'random' (one of these four drawn uniformly for every warp, as
            the authors' code). Defaults to 'nearest'.
        rotation_min_size (int): Rotate only outputs whose longer side is
            at least this. Defaults to 1024 (mmagic's rule).
        fold_resize (bool): Warp straight from the input image instead of
            resizing it first. Defaults to False.
        shared (bool): One draw for all ``keys``. Defaults to False.
        **kwargs: ``translate``, ``scale``, ``shear``, ``flip_ratio`` of
            mmagic's ``RandomAffine``.
    """

    def __init__(self,
                 keys: Union[str, Sequence[str]],
                 crop_size: Tuple[int, int] = (224, 224),
                 degrees: Union[float, Tuple[float, float]] = 0,
                 interpolation: str = 'nearest',
                 rotation_min_size: int = 1024,
                 fold_resize: bool = False,
                 shared: bool = False,
                 **kwargs) -> None:
        keys = [keys] if isinstance(keys, str) else list(keys)
        super().__init__(keys, degrees, **kwargs)
        if len(crop_size) != 2 or min(crop_size) < 1:
            raise ValueError(f'crop_size must be (h, w) > 0, got {crop_size}')
        if interpolation not in _INTERPOLATION and interpolation != 'random':
            raise ValueError(
                'interpolation must be one of '
                f'{sorted(_INTERPOLATION) + ["random"]}, got '
                f'{interpolation!r}')
        self.crop_size = (int(crop_size[0]), int(crop_size[1]))
        self.interpolation = interpolation
        self.rotation_min_size = rotation_min_size
        self.fold_resize = bool(fold_resize)
        self.shared = bool(shared)

    def draw_interpolation(self) -> int:
        """The cv2 flag of one warp (drawn for ``'random'``)."""
        name = self.interpolation
        if name == 'random':
            name = RANDOM_INTERPOLATIONS[np.random.randint(
                len(RANDOM_INTERPOLATIONS))]
        return _INTERPOLATION[name]

    def draw_affine_params(self, degrees: Tuple[float, float],
                           img_size: Tuple[int, int]) -> tuple:
        """Draw the affine parameters exactly as mmagic's ``_get_params``.

        mmagic makes one ``np.random`` call per parameter; numpy's legacy
        ``uniform(lo, hi)`` is ``lo + (hi - lo) * random_sample()``, so one
        ``random_sample(n)`` consumed in the same order gives bit-identical
        values from the same random state (tested) at a tenth of the cost.

        Args:
            degrees (Tuple[float, float]): Rotation range.
            img_size (Tuple[int, int]): Size the translation range refers
                to, as in ``_get_params``.

        Returns:
            tuple: ``(angle, translations, scale, shear, flip)``.
        """
        translate, scale, shear = self.translate, self.scale, self.shear
        n = 3 + 2 * (translate is not None) + 2 * (scale is not None) + (
            shear is not None)
        u = iter(np.random.random_sample(n).tolist())

        def uniform(lo: float, hi: float) -> float:
            return lo + (hi - lo) * next(u)

        angle = uniform(degrees[0], degrees[1])
        translations = (0, 0)
        if translate is not None:
            max_dx = translate[0] * img_size[0]
            max_dy = translate[1] * img_size[1]
            translations = (np.round(uniform(-max_dx, max_dx)),
                            np.round(uniform(-max_dy, max_dy)))
        scales = (1.0, 1.0)
        if scale is not None:
            scales = (uniform(scale[0], scale[1]), uniform(scale[0], scale[1]))
        shear_angle = uniform(shear[0], shear[1]) if shear is not None else 0.
        flip = tuple(1 if next(u) > self.flip_ratio else -1 for _ in '01')
        return angle, translations, scales, shear_angle, flip

    def draw(self, h: int, w: int) -> Tuple[Tuple[int, int], np.ndarray]:
        """Draw the resize and the crop + affine map of an ``h x w`` image.

        Args:
            h (int): Source height.
            w (int): Source width.

        Returns:
            tuple: ``(rh, rw)``, the resized size, and the float64 2x3 map
            from output pixels to resized-image pixels (for
            ``cv2.WARP_INVERSE_MAP``).
        """
        ch, cw = self.crop_size
        s = max(ch / h, cw / w)
        # as mmcv.imrescale: the short side becomes exactly the crop side
        rh, rw = max(int(h * s + 0.5), ch), max(int(w * s + 0.5), cw)
        x0 = np.random.randint(0, rw - cw + 1)
        y0 = np.random.randint(0, rh - ch + 1)
        degrees = self.degrees if max(ch, cw) >= self.rotation_min_size \
            else (0, 0)
        params = self.draw_affine_params(degrees, (ch, cw))
        center = (cw * 0.5 - 0.5, ch * 0.5 - 0.5)
        m = np.array(inverse_affine_matrix(center, *params)).reshape(2, 3)
        m[0, 2] += x0  # window -> resized image
        m[1, 2] += y0
        return (rh, rw), m

    @staticmethod
    def fold_into_source(m: np.ndarray, resized: Tuple[int, int],
                         source: Tuple[int, int]) -> np.ndarray:
        """Turn a map into the resized image into a map into the source.

        ``cv2.resize`` puts resized pixel ``x`` at source coordinate
        ``(x + 0.5) * w / rw - 0.5`` (pixel centres aligned); composing
        that with ``m`` gives one affine map.

        Args:
            m (np.ndarray): 2x3 map from output pixels to resized pixels.
            resized (Tuple[int, int]): Resized ``(rh, rw)``.
            source (Tuple[int, int]): Source ``(h, w)``.

        Returns:
            np.ndarray: 2x3 map from output pixels to source pixels.
        """
        fy, fx = source[0] / resized[0], source[1] / resized[1]
        out = m * np.array([[fx], [fy]])
        out[0, 2] += 0.5 * fx - 0.5
        out[1, 2] += 0.5 * fy - 0.5
        return out

    def transform(self, results: Dict) -> Dict:
        """Resize, crop and warp every image in ``keys`` to ``crop_size``.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict.
        """
        ch, cw = self.crop_size
        draw = None
        if self.shared:
            sizes = {results[key].shape[:2] for key in self.keys}
            if len(sizes) != 1:
                raise ValueError(f'shared=True needs {self.keys} of one '
                                 f'size, got {sorted(sizes)}')
            draw = self.draw(*sizes.pop())
        for key in self.keys:
            img = results[key]
            h, w = img.shape[:2]
            (rh, rw), m = draw if draw is not None else self.draw(h, w)
            if (rh, rw) != (h, w):
                if self.fold_resize:
                    m = self.fold_into_source(m, (rh, rw), (h, w))
                else:
                    img = cv2.resize(
                        img, (rw, rh), interpolation=cv2.INTER_LINEAR)
            flags = self.draw_interpolation() + cv2.WARP_INVERSE_MAP
            out = cv2.warpAffine(img, m, (cw, ch), flags=flags)
            if results[key].ndim == 3 and out.ndim == 2:
                out = out[..., None]
            results[key] = out
            results[f'{key}_affine_matrix'] = m
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(keys={self.keys}, '
                f'crop_size={self.crop_size}, degrees={self.degrees}, '
                f'scale={self.scale}, shear={self.shear}, '
                f'flip_ratio={self.flip_ratio}, '
                f'interpolation={self.interpolation!r}, '
                f'fold_resize={self.fold_resize}, shared={self.shared})')
