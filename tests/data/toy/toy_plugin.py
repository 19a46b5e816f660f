"""A tiny model and dataset used by the foundation tests (runner, resume,
distributed launch); registered in mmagic's scope like dpt_mm's modules."""
import torch
from mmengine.dataset import BaseDataset
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch import nn

from dpt_mm.registry import DATASETS, HOOKS, MODELS


@MODELS.register_module(force=True)
class ToyRegressor(BaseModel):
    """Linear regression y = w x + b with an MSE loss."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, inputs, targets=None, mode='tensor', **kwargs):
        inputs = torch.stack(list(inputs)) if isinstance(inputs,
                                                         list) else inputs
        out = self.linear(inputs)
        if mode == 'loss':
            targets = torch.stack(list(targets)) if isinstance(
                targets, list) else targets
            return dict(loss=((out - targets)**2).mean())
        return out


@DATASETS.register_module(force=True)
class ToyRegressionDataset(BaseDataset):
    """Deterministic samples of y = x . (1, 2, 3, 4) + 0.5."""

    def __init__(self, length: int = 64, **kwargs) -> None:
        self.length = length
        super().__init__(serialize_data=False, lazy_init=False, **kwargs)

    def load_data_list(self):
        g = torch.Generator().manual_seed(0)
        xs = torch.randn(self.length, 4, generator=g)
        ys = xs @ torch.tensor([1., 2., 3., 4.]) + 0.5
        return [dict(inputs=x, targets=y[None]) for x, y in zip(xs, ys)]


@HOOKS.register_module(force=True)
class RankDoneHook(Hook):
    """Writes ``rank<r>_of_<world>.done`` into the work dir after training."""

    def after_run(self, runner) -> None:
        path = f'{runner.work_dir}/rank{runner.rank}_of_{runner.world_size}'
        with open(path + '.done', 'w') as f:
            f.write(str(runner.iter))
