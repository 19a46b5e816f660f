from . import (algorithms, backbones, data_preprocessors, editors,  # noqa: F401
               heads, losses)
