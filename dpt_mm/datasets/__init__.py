from . import transforms  # noqa: F401
from .unlabeled_dataset import (SkippedImagesHook,  # noqa: F401
                                UnlabeledImageDataset)
