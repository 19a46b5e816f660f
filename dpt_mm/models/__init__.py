from . import backbones, base_models, editors, heads, losses  # noqa: F401
