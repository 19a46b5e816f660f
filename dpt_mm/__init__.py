"""dpt-mm: Disentangled Pre-training for Image Matting, an mmagic plugin.

Importing ``dpt_mm`` (directly or through ``custom_imports``) registers all
its datasets, transforms, models, metrics and hooks in mmagic's registries,
makes MMEngine checkpoints load under torch's ``weights_only`` default (a
refused or missing checkpoint raises a one-line ``CheckpointError``) and
applies the library patches of :mod:`dpt_mm.utils.patches`.
"""
from .utils.patches import check_and_apply
from .utils.safe_load import register_checkpoint_loader, register_safe_globals
from .version import __version__

check_and_apply()  # library patches (DPT_MM_NO_PATCHES=1: none)
register_safe_globals()
register_checkpoint_loader()

from . import apis, datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__', 'apis', 'datasets', 'engine', 'evaluation', 'models']
