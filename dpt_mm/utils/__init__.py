from .io import atomic_imwrite, atomic_write
from .safe_load import register_safe_globals

__all__ = ['atomic_imwrite', 'atomic_write', 'register_safe_globals']
