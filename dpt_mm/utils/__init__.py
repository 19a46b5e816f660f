from .io import (atomic_imwrite, atomic_write, atomic_write_bytes,
                 atomic_write_text)

__all__ = [
    'atomic_imwrite', 'atomic_write', 'atomic_write_bytes',
    'atomic_write_text'
]
