"""dpt-mm: Disentangled Pre-training for Image Matting, an mmagic plugin.

Importing ``dpt_mm`` (directly or through ``custom_imports``) registers its
datasets, transforms, models, metrics and hooks in mmagic's registries and
checks the private library APIs it uses (:mod:`dpt_mm.utils.patches`); it
changes no library object. The checkpoint guarantees are opted into with
:mod:`dpt_mm.engine.safe_io`.
"""
from .utils.patches import check_private_uses
from .version import __version__

check_private_uses()

from . import apis, datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__', 'apis', 'datasets', 'engine', 'evaluation', 'models']
