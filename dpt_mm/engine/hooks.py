"""Hooks of dpt-mm."""
import json
import os
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmengine.hooks import Hook

from dpt_mm.registry import HOOKS
from dpt_mm.utils.io import atomic_imwrite, atomic_write


@HOOKS.register_module()
class SaveAlphaHook(Hook):
    """Write each predicted alpha of the test loop as an 8-bit PNG.

    mmagic's visualisation hooks save concatenated figures, not the raw
    mattes that offline evaluation tools read; this saves exactly the
    ``pred_alpha`` the metrics see, named after the input image
    (``merged_path``, else ``trimap_path``) with a ``.png`` suffix. Files
    are written atomically.

    Args:
        out_dir (str): Output folder, created when missing.
    """

    priority = 'LOW'

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence] = None) -> None:
        """Save the predicted alphas of one test batch."""
        os.makedirs(self.out_dir, exist_ok=True)
        for sample in outputs or []:
            pred = sample.output.pred_alpha
            if hasattr(pred, 'cpu'):
                pred = pred.cpu().numpy()
            pred = np.asarray(pred).squeeze().astype(np.uint8)
            src = sample.metainfo.get('merged_path') or sample.metainfo.get(
                'trimap_path') or f'{batch_idx:06d}'
            name = osp.splitext(osp.basename(src))[0] + '.png'
            atomic_imwrite(pred, osp.join(self.out_dir, name))


@HOOKS.register_module()
class DumpMetricsHook(Hook):
    """Write the metrics of the test loop to a JSON file (atomically).

    mmagic's ``MultiTestLoop`` does not return its metrics from
    ``runner.test()``, so they are taken where every loop hands them to the
    hooks: ``after_test_epoch``.

    Args:
        out_file (str): JSON file to write, ``{metric name: value}``.
    """

    priority = 'LOW'

    def __init__(self, out_file: str) -> None:
        self.out_file = out_file

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        """Dump the metrics on rank 0."""
        if runner.rank != 0 or metrics is None:
            return
        text = json.dumps({k: float(v)
                           for k, v in metrics.items()}, indent=2) + '\n'

        def _write(tmp: str) -> None:
            with open(tmp, 'w') as f:
                f.write(text)

        atomic_write(self.out_file, _write)
