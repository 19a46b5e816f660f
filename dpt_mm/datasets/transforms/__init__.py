from .fast_ops import PackMattingInputs, RandomHue, onehot_trimap_tensor
from .geometry import ResizeCropAffine
from .loading import LoadImageReduced, UnreadableImageError
from .matting_aug import GenerateTrimapResized, RandomJitterNonEmpty
from .pretext import Composite, GridTrimap, RandomAlpha

__all__ = [
    'Composite', 'GenerateTrimapResized', 'GridTrimap',
    'LoadImageReduced', 'PackMattingInputs', 'RandomAlpha', 'RandomHue',
    'RandomJitterNonEmpty', 'ResizeCropAffine', 'UnreadableImageError',
    'onehot_trimap_tensor'
]
