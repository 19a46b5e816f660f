"""Matting augmentation that mmagic lacks for MG Matting's recipe.

Everything else of MG Matting's training augmentation is mmagic's own
(``CompositeFg``, ``RandomAffine``, ``GenerateTrimap``, ``RandomLoadResizeBg``,
``CropAroundCenter``, ``MergeFgAndBg``) or mmcv's (``RandomApply``); see
``configs/_base_/datasets/comp1k_mg.py``.
"""
import numpy as np
from mmagic.datasets.transforms import RandomJitter

from dpt_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomJitterNonEmpty(RandomJitter):
    """mmagic's ``RandomJitter`` that leaves fully transparent crops alone.

    mmagic's jitter centres its saturation / value noise on the mean over the
    pixels with ``alpha > 0``; for a crop without such pixels (possible when
    ``CropAroundCenter`` falls back to a random crop) that mean is NaN and
    the whole foreground becomes NaN. MG Matting skips the jitter in that
    case; so does this class. Otherwise it is exactly ``RandomJitter``.

    Required keys are "fg" and "alpha", modified key is "fg".

    Args:
        hue_range (float | tuple[float]): Range of hue jittering, see
            :class:`mmagic.datasets.transforms.RandomJitter`. Default: 40.
    """

    def transform(self, results: dict) -> dict:
        """Jitter the foreground unless its alpha is zero everywhere.

        Args:
            results (dict): With "fg" (HxWx3) and "alpha" (HxWx1).

        Returns:
            dict: The results, "fg" jittered (float32, 0-255) if any alpha
            is positive.
        """
        if not np.any(np.asarray(results['alpha']) > 0):
            return results
        return super().transform(results)
