from .fast_ops import (FastImageToTensor, PackMattingInputs,  # noqa: F401
                       RandomHue, onehot_trimap_tensor)
from .geometry import ResizeCropAffine  # noqa: F401
from .loading import (LoadImageReduced,  # noqa: F401
                      UnreadableImageError)
from .pretext import Composite, GridTrimap, RandomAlpha  # noqa: F401
from . import matting_aug  # noqa: F401,E402
