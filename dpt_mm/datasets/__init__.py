from . import transforms  # noqa: F401
from .shard_schedule import ShardSchedule, StreamLayout  # noqa: F401
from .sharded_dataset import (PairingShuffleBuffer,  # noqa: F401
                              ShardedImageDataset)
from .unlabeled_dataset import UnlabeledImageDataset  # noqa: F401
