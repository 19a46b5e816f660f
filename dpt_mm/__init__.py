"""dpt-mm: Disentangled Pre-training for Image Matting, an mmagic plugin.

Importing ``dpt_mm`` (directly or through ``custom_imports``) registers all
its datasets, transforms, models, metrics and hooks in mmagic's registries,
makes MMEngine checkpoints load under torch's ``weights_only`` default (a
refused or missing checkpoint raises a one-line ``CheckpointError``) and
makes MMEngine's local file writes atomic.
"""
from .utils.atomic_backend import enable_atomic_local_writes
from .utils.safe_load import register_checkpoint_loader, register_safe_globals
from .version import __version__

register_safe_globals()
register_checkpoint_loader()
enable_atomic_local_writes()

from . import apis, datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__', 'apis', 'datasets', 'engine', 'evaluation', 'models']
