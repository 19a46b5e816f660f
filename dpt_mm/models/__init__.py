from . import algorithms, backbones, editors, heads, losses  # noqa: F401
