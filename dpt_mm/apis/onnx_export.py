"""Export of trimap-based mattors (MatteFormer, GCA, MG Matting) to ONNX.

Neither mmdeploy nor mmagic exports mmagic 1.x mattors with dpt-mm's
models, so the export is written here on ``torch.onnx.export(dynamo=True)``.
Graph input and output: :func:`export_onnx`; usage: docs/inference.md.
"""
import os.path as osp
from typing import Callable, Dict, Iterable, Optional, Tuple

import numpy as np
import torch
from torch import Tensor, nn

#: the exported graph's input / output names
INPUT_NAME = 'inputs'
OUTPUT_NAME = 'alpha'


class MattingExportWrapper(nn.Module):
    """``inputs -> alpha`` of a mattor's test forward, for export.

    ``alpha`` is the matte the mattor predicts before it forces the trimap's
    known regions (for MatteFormer and MG Matting after the progressive
    refinement).

    Args:
        mattor (nn.Module): A built :class:`~dpt_mm.models.Mattor`, in
            eval mode.
    """

    def __init__(self, mattor: nn.Module) -> None:
        super().__init__()
        self.mattor = mattor

    def forward(self, inputs: Tensor) -> Tensor:
        """The mattor's ``predict_alpha`` (alpha in [0, 1])."""
        return self.mattor.predict_alpha(inputs)


def _clamp(x: Tensor, low: float, high: float) -> Tensor:
    """``x.clamp(low, high)`` as maximum / minimum with tensors (the
    exporter's decomposition of ``aten.clamp`` with float bounds fails on
    GCA's 0-dim-batched scales: 'Cannot cast FakeTensor to number')."""
    return torch.minimum(torch.maximum(x, x.new_tensor(low)),
                         x.new_tensor(high))


def _gca_unknown_mask(module: nn.Module, unknown: Optional[Tensor],
                      img_feat: Tensor, softmax_scale: float = 1.):
    """mmagic ``GCAModule.process_unknown_mask`` for a given unknown map
    (the case the mattors use), with :func:`_clamp`; same values."""
    if unknown is None:
        return type(module).process_unknown_mask(module, unknown, img_feat,
                                                 softmax_scale)
    unknown = nn.functional.interpolate(
        unknown.clone(), scale_factor=1 / module.rate,
        mode=module.interpolation)
    unknown_mean = unknown.mean(dim=[2, 3])
    known_mean = 1 - unknown_mean
    unknown_scale = _clamp(torch.sqrt(unknown_mean / known_mean), 0.1, 10)
    known_scale = _clamp(torch.sqrt(known_mean / unknown_mean), 0.1, 10)
    return unknown, torch.cat([unknown_scale, known_scale],
                              dim=1).to(img_feat)


def _gca_self_mask(module: nn.Module, img_feat: Tensor) -> Tensor:
    """mmagic ``GCAModule.get_self_correlation_mask`` without ``one_hot``,
    whose ``num_classes=int(h * w)`` freezes the traced size into the graph:
    ``one_hot(arange(hw).view(h, w), hw).permute(2, 0, 1)`` is the identity
    matrix viewed as ``(hw, h, w)``."""
    _, _, h, w = img_feat.shape
    eye = torch.eye(h * w, dtype=img_feat.dtype, device=img_feat.device)
    return eye.view(1, h * w, h, w) * module.penalty


def make_exportable(mattor: nn.Module) -> nn.Module:
    """Swap the few mmagic methods the ONNX exporter cannot decompose for
    equivalent ones, on the instances of ``mattor`` (not on the classes).

    Args:
        mattor (nn.Module): The mattor.

    Returns:
        nn.Module: ``mattor`` itself.
    """
    from functools import partial
    for module in mattor.modules():
        if type(module).__name__ == 'GCAModule':
            module.process_unknown_mask = partial(_gca_unknown_mask, module)
            module.get_self_correlation_mask = partial(_gca_self_mask, module)
    return mattor


def build_mattor(config: str,
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu') -> nn.Module:
    """Build the mattor of a config and load a checkpoint strictly.

    Official releases with a converter (``dpt_mm.models.converters.
    released``) are converted on the fly, as in ``tools/infer.py``.

    Args:
        config (str): Config file.
        checkpoint (str, optional): Checkpoint file; random weights if None.
        device (str): Device. Defaults to 'cpu'.

    Returns:
        nn.Module: The mattor in eval mode.

    Raises:
        FileNotFoundError: A missing config or checkpoint.
        CheckpointError: The file is not a readable checkpoint.
        RuntimeError: Its weights do not fit the config's model.
    """
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import dpt_mm  # noqa: F401  (registers the models)
    from .matting_inferencer import DPTMattingInferencer

    if not osp.isfile(config):
        raise FileNotFoundError(f'{config}: config not found')
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    model = DPTMattingInferencer.build_strict(cfg, checkpoint)
    return model.to(device).eval()


def input_trimap(mattor: nn.Module) -> str:
    """How the mattor's network takes the trimap: ``'unit'``, one [0, 1]
    channel (ViTMatte's ``UnitTrimapPreprocessor``), else ``'onehot'``."""
    from dpt_mm.models.data_preprocessors import UnitTrimapPreprocessor
    return 'unit' if isinstance(
        getattr(mattor, 'data_preprocessor', None),
        UnitTrimapPreprocessor) else 'onehot'


def example_inputs(h: int,
                   w: int,
                   n: int = 1,
                   seed: int = 0,
                   trimap: str = 'onehot') -> Tensor:
    """A normalised random image + a blocky trimap (every class present),
    for export and checks: one-hot, ``(n, 6, h, w)``, or with
    ``trimap='unit'`` one 0 / 0.5 / 1 channel, ``(n, 4, h, w)``."""
    g = torch.Generator().manual_seed(seed)
    image = torch.randn(n, 3, h, w, generator=g)
    coarse = torch.randint(0, 3, (n, 1, max(h // 8, 1), max(w // 8, 1)),
                           generator=g)
    coarse.view(n, -1)[:, :3] = torch.arange(3)
    labels = nn.functional.interpolate(
        coarse.float(), size=(h, w), mode='nearest').long()[:, 0]
    if trimap == 'unit':
        return torch.cat([image, labels[:, None].float() / 2], 1)
    onehot = nn.functional.one_hot(labels, 3).permute(0, 3, 1, 2).float()
    return torch.cat([image, onehot], 1)


def export_onnx(mattor: nn.Module,
                path: str,
                example_hw: Tuple[int, int] = (320, 320),
                opset: int = 18,
                max_side: int = 8192) -> None:
    """Export ``mattor`` with dynamic batch-1 height and width.

    The graph maps ``inputs``, the ``(1, 6, H, W)`` tensor the mattor's data
    preprocessor makes (the RGB image normalised with the config's ``mean``
    / ``std``, then the one-hot trimap: background, unknown, foreground
    channels; for ViTMatte ``(1, 4, H, W)``, the trimap / 255 channel), to
    ``alpha``, the ``(1, 1, H, W)`` matte in [0, 1] of
    :class:`MattingExportWrapper`. ``H`` and ``W`` are dynamic multiples of
    32: pad the image (e.g. with reflection, as the configs' ``test_cfg``
    does) and crop the matte back. The ``torch.export``-based exporter is
    used because the TorchScript tracer records the shifted-window code of
    MatteFormer's PAST blocks wrongly even at the traced size.

    Args:
        mattor (nn.Module): The mattor (eval mode, on the CPU).
        path (str): Output ``.onnx`` file (large weights may go to a
            ``.data`` file beside it).
        example_hw (tuple[int, int]): Size of the traced example; multiples
            of 32.
        opset (int): ONNX opset. Defaults to 18.
        max_side (int): Largest height / width the graph accepts.
    """
    from torch.export import Dim

    h, w = example_hw
    if h % 32 or w % 32:
        raise ValueError(f'example size {h}x{w} is not a multiple of 32')
    wrapper = MattingExportWrapper(make_exportable(mattor)).eval()
    dims = dict(
        height=32 * Dim('h32', min=1, max=max_side // 32),
        width=32 * Dim('w32', min=1, max=max_side // 32))
    with torch.no_grad():
        program = torch.onnx.export(
            wrapper, (example_inputs(h, w, trimap=input_trimap(mattor)), ),
            dynamo=True,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_shapes={'inputs': {
                2: dims['height'],
                3: dims['width']
            }},
            opset_version=opset,
            verbose=False)
    program.save(path)


def compare_onnx(
    path: str,
    mattor: nn.Module,
    sizes: Iterable[Tuple[int, int]],
    make_inputs: Optional[Callable[[int, int, int], Tensor]] = None
) -> Dict[Tuple[int, int], float]:
    """Max absolute difference of onnxruntime's alpha from PyTorch's.

    Args:
        path (str): Exported model.
        mattor (nn.Module): The same mattor.
        sizes (Iterable[tuple[int, int]]): Input sizes to check.
        make_inputs (Callable, optional): ``(h, w, seed) -> (1, 6, h, w)``
            network input; :func:`example_inputs` (noise image, blocky
            trimap) if None.

    Returns:
        dict: ``(h, w) -> max |alpha_onnx - alpha_torch|``.
    """
    import onnxruntime as ort
    make_inputs = make_inputs or (lambda h, w, seed: example_inputs(
        h, w, seed=seed, trimap=input_trimap(mattor)))
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    wrapper = MattingExportWrapper(mattor).eval()
    out = {}
    for k, (h, w) in enumerate(sizes):
        x = make_inputs(h, w, 100 + k)
        with torch.no_grad():
            ref = wrapper(x).numpy()
        got = sess.run([OUTPUT_NAME], {INPUT_NAME: x.numpy()})[0]
        if got.shape != ref.shape:
            raise RuntimeError(f'{path}: output {got.shape} for input {h}x'
                               f'{w}, PyTorch gives {ref.shape}')
        out[(h, w)] = float(np.abs(got - ref).max())
    return out


__all__ = [
    'INPUT_NAME', 'OUTPUT_NAME', 'MattingExportWrapper', 'build_mattor',
    'example_inputs', 'input_trimap', 'export_onnx', 'compare_onnx',
    'make_exportable'
]
