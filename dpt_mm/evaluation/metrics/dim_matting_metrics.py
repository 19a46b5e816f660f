"""MMEngine metrics of the official DIM matting evaluation.

mmagic's matting metrics drift from the MATLAB code; these read the metric
table of :mod:`dpt_mm.evaluation.functional` (as ``tools/evaluate_mattes.py``
does) and compute all metrics of a sample in one pass.
"""
import logging
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from dpt_mm.registry import METRICS
from ..functional import (MASK_MODES, METRIC_FUNCS, METRIC_KEYS,
                          count_unknown, evaluate_sample)


def _to_numpy_2d(value, name: str, where: str) -> np.ndarray:
    """Return a (H, W) numpy view of a tensor / array of shape HxW, 1xHxW or
    HxWx1 (the layouts mmagic data samples use)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    value = np.asarray(value)
    if value.ndim == 3 and value.shape[0] == 1:
        value = value[0]
    elif value.ndim == 3 and value.shape[-1] == 1:
        value = value[..., 0]
    if value.ndim != 2:
        raise ValueError(f'{where}: {name} must be HxW, 1xHxW or HxWx1, '
                         f'got shape {value.shape}')
    return value


def _to_uint8(value: np.ndarray, name: str, where: str) -> np.ndarray:
    """8-bit matte from an integer matte (0..255) or a float one ([0, 1])."""
    if value.dtype.kind == 'f':
        if value.size and (np.nanmin(value) < 0 or np.nanmax(value) > 1
                           or np.isnan(value).any()):
            raise ValueError(
                f'{where}: float {name} must lie in [0, 1], got range '
                f'[{np.nanmin(value)}, {np.nanmax(value)}]'
                f'{" with NaN" if np.isnan(value).any() else ""}')
        # mmagic's mattors round pred_alpha * 255 the same way
        return np.round(value * 255).astype(np.uint8)
    return value


def _first_present(sample: dict, keys: Sequence[str]):
    for key in keys:
        if key in sample and sample[key] is not None:
            return sample[key]
    return None


@METRICS.register_module()
class DIMMattingMetrics(BaseMetric):
    """SAD, MSE, Grad and Conn of the official DIM evaluation in one pass.

    Values match the MATLAB code of Deep Image Matting (see
    :mod:`dpt_mm.evaluation.functional`) and are reported as papers do:
    ``SAD`` / 1000, ``MSE`` raw (papers print it x1e3), ``Grad`` / 1000,
    ``Conn`` / 1000, each averaged over the samples.

    The samples are those of mmagic's mattors in predict mode:
    ``output.pred_alpha`` (uint8 HxW), ``ori_alpha`` (falls back to
    ``gt_alpha``) and ``ori_trimap`` (falls back to ``trimap``). Integer
    mattes are 0..255; float ones are taken as [0, 1] and rounded to 8 bits.

    Trimap masking (the DIM protocol evaluates predictions that are 0 on the
    trimap's background and 255 on its foreground): with the default
    ``trimap_masking='apply'`` this metric sets the prediction to 0 / 255
    there itself before computing (a no-op for mmagic mattors, which already
    mask); ``'check'`` raises ``ValueError`` on an unmasked prediction (like
    mmagic's metrics); ``'none'`` evaluates the prediction as given (what the
    MATLAB functions do when called on raw predictions). Masking leaves SAD
    and MSE unchanged but changes Grad and possibly Conn.

    A sample with an empty unknown region gets SAD = Grad = Conn = 0 (empty
    sums) and MSE = 0 (MATLAB would give 0 / 0 = NaN); a warning names it.

    Args:
        metrics (Sequence[str]): Which of ``'SAD', 'MSE', 'Grad', 'Conn'`` to
            compute. Defaults to all four.
        trimap_masking (str): ``'apply'``, ``'check'`` or ``'none'``.
            Defaults to ``'apply'``.
        sigma (float): Gaussian sigma of Grad. Defaults to 1.4.
        step (float): Threshold step of Conn. Defaults to 0.1.
        collect_device (str): Device to gather results on in distributed
            runs, ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the reported names. Defaults to
            None (names ``SAD``, ``MSE``, ``Grad``, ``Conn``).
    """

    metric = 'DIMMattingMetrics'
    default_prefix = ''  # names SAD, MSE, ... unless a prefix is given
    # metric names this class may report; subclasses fix a single one
    fixed_metrics: Optional[Tuple[str, ...]] = None

    def __init__(self,
                 metrics: Sequence[str] = METRIC_KEYS,
                 trimap_masking: str = 'apply',
                 sigma: float = 1.4,
                 step: float = 0.1,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if self.fixed_metrics is not None:
            metrics = self.fixed_metrics
        if isinstance(metrics, str):
            metrics = (metrics, )
        unknown = [m for m in metrics if m not in METRIC_FUNCS]
        if unknown or not metrics:
            raise ValueError(f'metrics must be a non-empty subset of '
                             f'{list(METRIC_FUNCS)}, got {list(metrics)}')
        if trimap_masking not in MASK_MODES:
            raise ValueError(f'trimap_masking must be one of {MASK_MODES}, '
                             f'got {trimap_masking!r}')
        if sigma != 1.4 or step != 0.1:
            print_log(
                f'{type(self).__name__}: sigma={sigma}, step={step} differ '
                'from the DIM protocol (1.4, 0.1)',
                level=logging.WARNING)
        self.metrics = tuple(metrics)
        self.trimap_masking = trimap_masking
        self.sigma = sigma
        self.step = step

    @staticmethod
    def _sample_name(sample: dict, index: int) -> str:
        for key in ('merged_path', 'alpha_path', 'trimap_path', 'img_path'):
            if sample.get(key):
                return osp.basename(str(sample[key]))
        return f'sample #{index}'

    def fetch(self,
              sample: dict,
              index: int = 0) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Get uint8 ``(pred, alpha, trimap)`` from a data sample.

        The values are checked once, by
        :func:`~dpt_mm.evaluation.functional.evaluate_sample`.

        Args:
            sample (dict): A data sample as a dict (``DataSample.to_dict()``).
            index (int): Position of the sample, for messages.

        Returns:
            tuple[np.ndarray]: Prediction, ground truth and trimap, HxW uint8.
        """
        where = self._sample_name(sample, index)
        output = sample.get('output', {})
        if not isinstance(output, dict) and hasattr(output, 'to_dict'):
            output = output.to_dict()
        pred = output.get('pred_alpha') if isinstance(output, dict) else None
        if pred is None:
            pred = sample.get('pred_alpha')
        alpha = _first_present(sample, ('ori_alpha', 'gt_alpha'))
        trimap = _first_present(sample, ('ori_trimap', 'trimap'))
        for name, value in (('output.pred_alpha', pred), ('ori_alpha/gt_alpha',
                                                          alpha),
                            ('ori_trimap/trimap', trimap)):
            if value is None:
                raise KeyError(f'{where}: data sample has no {name}; '
                               f'keys: {sorted(sample)}')
        pred = _to_uint8(
            _to_numpy_2d(pred, 'pred_alpha', where), 'pred_alpha', where)
        alpha = _to_uint8(_to_numpy_2d(alpha, 'alpha', where), 'alpha', where)
        trimap = _to_numpy_2d(trimap, 'trimap', where)
        if trimap.dtype.kind == 'f':
            trimap = trimap.round().astype(np.int64)
        return pred, alpha, trimap

    def process(self, data_batch: Sequence[dict],
                data_samples: Sequence[dict]) -> None:
        """Compute the metrics of each sample of a batch.

        Args:
            data_batch (Sequence[dict]): The batch from the dataloader
                (unused).
            data_samples (Sequence[dict]): The model's outputs as dicts.
        """
        for sample in data_samples:
            if not isinstance(sample, dict):
                sample = sample.to_dict()
            index = len(self.results)
            where = self._sample_name(sample, index)
            pred, alpha, trimap = self.fetch(sample, index)
            values = evaluate_sample(
                pred,
                alpha,
                trimap,
                self.metrics,
                masking=self.trimap_masking,
                where=where,
                sigma=self.sigma,
                step=self.step)
            if count_unknown(trimap) == 0:
                print_log(
                    f'{where}: empty unknown region; its metrics count as 0',
                    level=logging.WARNING)
            self.results.append(values)

    def compute_metrics(self, results: List[Dict[str, float]]) -> dict:
        """Average the per-sample values.

        Args:
            results (list[dict]): Per-sample metric values.

        Returns:
            dict: Metric name to mean value.
        """
        if not results:
            raise ValueError(f'{type(self).__name__}: no sample was '
                             'processed')
        return {
            name: float(np.mean([r[name] for r in results]))
            for name in self.metrics
        }

    # mmagic's Evaluator (MultiValLoop / MultiTestLoop) groups metrics by
    # these two and asks the first of a group for its sampler
    SAMPLER_MODE = 'normal'
    sample_model = 'orig'

    def get_metric_sampler(self, model, dataloader, metrics):
        """The batches to evaluate on: the evaluation data loader itself.

        Args:
            model (nn.Module): The model under evaluation (unused).
            dataloader (DataLoader): The evaluation data loader.
            metrics (list): The metrics sharing the sampler (unused).

        Returns:
            DataLoader: ``dataloader``.
        """
        return dataloader

    def prepare(self, module, dataloader) -> None:
        """Remember the dataset length (called by mmagic's ``Evaluator``).

        Args:
            module (nn.Module): The model under evaluation (unused).
            dataloader (DataLoader): The evaluation data loader.
        """
        self.size = len(dataloader.dataset)

    def evaluate(self, size: Optional[int] = None) -> dict:
        """Evaluate the processed samples.

        MMEngine's ``Evaluator`` passes ``size``; mmagic's calls
        ``evaluate()`` after :meth:`prepare`.

        Args:
            size (int, optional): Dataset length; defaults to the one set by
                :meth:`prepare`, else the number of processed samples.

        Returns:
            dict: Metric name to value.
        """
        if size is None:
            size = getattr(self, 'size', None) or len(self.results)
        return super().evaluate(size)


@METRICS.register_module()
class DIMSAD(DIMMattingMetrics):
    """SAD / 1000 over the unknown region, as the DIM MATLAB code.

    See :class:`DIMMattingMetrics` for inputs, masking and arguments
    (``metrics`` is fixed to ``('SAD',)``).
    """
    metric = 'SAD'
    fixed_metrics = ('SAD', )


@METRICS.register_module()
class DIMMSE(DIMMattingMetrics):
    """Raw MSE over the unknown region, as the DIM MATLAB code.

    See :class:`DIMMattingMetrics` (``metrics`` is fixed to ``('MSE',)``).
    """
    metric = 'MSE'
    fixed_metrics = ('MSE', )


@METRICS.register_module()
class DIMGrad(DIMMattingMetrics):
    """Gradient error / 1000 over the unknown region, as the DIM MATLAB code.

    See :class:`DIMMattingMetrics` (``metrics`` is fixed to ``('Grad',)``).
    """
    metric = 'Grad'
    fixed_metrics = ('Grad', )


@METRICS.register_module()
class DIMConn(DIMMattingMetrics):
    """Connectivity error / 1000 over the unknown region, as the DIM MATLAB
    code.

    See :class:`DIMMattingMetrics` (``metrics`` is fixed to ``('Conn',)``).
    """
    metric = 'Conn'
    fixed_metrics = ('Conn', )
