from .io import (atomic_imwrite, atomic_write, atomic_write_bytes,
                 atomic_write_text)
from .safe_load import register_safe_globals

__all__ = [
    'atomic_imwrite', 'atomic_write', 'atomic_write_bytes',
    'atomic_write_text', 'register_safe_globals'
]
