from .fast_ops import FastImageToTensor, RandomHue  # noqa: F401
from .geometry import ResizeCropAffine  # noqa: F401
from .loading import (LoadImageReduced,  # noqa: F401
                      UnreadableImageError)
from .pretext import Composite, GridTrimap, RandomAlpha  # noqa: F401
from . import matting_aug  # noqa: F401,E402
