# Copyright (c) dpt-mm contributors. All rights reserved.
"""Progressive refinement and the test-time padding of the Mattor
(MatteFormer, MG Matting and DPT settings) against independent numpy /
OpenCV versions of the official arithmetic (MatteFormer's and MG Matting's ``utils/util.py``
``get_unknown_tensor_from_pred`` and ``inference.py`` / ``infer.py``)."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

import dpt_mm  # noqa: F401
from dpt_mm.models.base_models import border_pad
from dpt_mm.models.utils import (dilate_ellipse, progressive_refinement,
                                 refine_kernel_sizes, uncertain_region)
from dpt_mm.registry import MODELS
from test_matteformer import tiny_model_cfg
from test_mgmatting import tiny_mg_cfg

init_default_scope('mmagic')
REPO = Path(__file__).resolve().parents[3]

#: the official ``Kernels``: index = ellipse size
KERNELS = [None] + [
    cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (s, s)) for s in range(1, 30)
]
KEYS = ('alpha_os1', 'alpha_os4', 'alpha_os8')


def np_nearest(x: np.ndarray, size) -> np.ndarray:
    """``F.interpolate(mode='nearest')`` of an NxCxHxW array: source index
    ``min(floor(dst * (in / out)), in - 1)`` in float32."""
    h, w = x.shape[-2:]
    idx = []
    for n_in, n_out in zip((h, w), size):
        scale = np.float32(n_in) / np.float32(n_out)
        src = np.floor(np.arange(n_out, dtype=np.float32) * scale)
        idx.append(np.minimum(src.astype(np.int64), n_in - 1))
    return x[..., idx[0][:, None], idx[1][None, :]]


def official_unknown_from_pred(pred: np.ndarray, rand_width: int,
                               work_size) -> np.ndarray:
    """The official test-mode ``get_unknown_tensor_from_pred`` (MatteFormer:
    ``work_size=(640, 640)``; MG Matting: None), float32 NCHW in."""
    n, _, h, w = pred.shape
    if work_size is not None:
        pred = np_nearest(pred, work_size)
    area = np.ones_like(pred, dtype=np.uint8)
    area[pred < 1.0 / 255.0] = 0
    area[pred > 1 - 1.0 / 255.0] = 0
    for i in range(n):
        area[i, 0] = cv2.dilate(area[i, 0], KERNELS[rand_width // 2])
    weight = (area == 1).astype(np.float64)
    if work_size is not None:
        weight = np_nearest(weight, (h, w))
    return weight


def official_fusion(raw: dict, widths, work_size) -> np.ndarray:
    """The official test-time refinement of ``inference.py``."""
    os1, os4, os8 = (raw[k].numpy() for k in KEYS)
    alpha = os8.copy()
    w4 = official_unknown_from_pred(alpha, widths[0], work_size)
    alpha[w4 > 0] = os4[w4 > 0]
    w1 = official_unknown_from_pred(alpha, widths[1], work_size)
    alpha[w1 > 0] = os1[w1 > 0]
    return alpha


def raw_outputs(h: int, w: int, seed: int = 0) -> dict:
    """OS1 / OS4 / OS8 with saturated regions, soft bands and isolated
    uncertain pixels (which a 640x640 nearest resize may skip)."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(
        torch.arange(h, dtype=torch.float32),
        torch.arange(w, dtype=torch.float32),
        indexing='ij')
    r = ((yy - 0.45 * h)**2 + (xx - 0.55 * w)**2).sqrt()
    out = {}
    for i, key in enumerate(KEYS):
        band = (1 - (r - 0.3 * min(h, w) - 7 * i) / (4 + 6 * i)).clamp(0, 1)
        specks = torch.rand(h, w, generator=g) > 0.9995
        band = torch.where(specks & (band == 0), torch.full_like(band, 0.3),
                           band)
        out[key] = band[None, None].contiguous()
    # OS4: a narrower band than OS8's (saturated at its edges), OS1 differs
    # from both everywhere, so the fused map shows the masks
    out['alpha_os4'] = (out['alpha_os8'] * 1.3 - 0.15).clamp(0, 1)
    out['alpha_os1'] = (1 - out['alpha_os1']).contiguous()
    return out


@pytest.mark.parametrize('size', [1, 2, 7, 8, 15, 29])
def test_dilate_ellipse_is_the_official_kernel(size):
    rng = np.random.default_rng(size)
    mask = (rng.random((40, 50)) > 0.97).astype(np.uint8)
    ref = cv2.dilate(mask, KERNELS[size])
    out = dilate_ellipse(torch.from_numpy(mask).float()[None, None], size)
    assert np.array_equal(out[0, 0].numpy().astype(np.uint8), ref)


def test_kernel_sizes_train_and_test():
    """Test: ``width // 2`` (15 / 7 for 30 / 15); training: every size in
    ``[1, width - 1]`` (``np.random.randint(1, width)``), nothing else."""
    assert refine_kernel_sizes(30, 3, False) == [15, 15, 15]
    assert refine_kernel_sizes(15, 2, False) == [7, 7]
    g = torch.Generator().manual_seed(0)
    drawn = set(refine_kernel_sizes(30, 5000, True, g))
    assert drawn == set(range(1, 30))
    with pytest.raises(ValueError, match='>= 2'):
        refine_kernel_sizes(1, 1, True)


def test_threshold_is_inclusive():
    """1/255 and 1 - 1/255 are uncertain, just outside them is not (the
    official code zeroes only ``< 1/255`` and ``> 1 - 1/255``)."""
    lo, hi = np.float32(1. / 255), np.float32(1. - 1. / 255)
    values = torch.tensor([[
        np.nextafter(lo, np.float32(0)), lo, 0.5, hi,
        np.nextafter(hi, np.float32(1))
    ]]).float()[None, None]
    mask = uncertain_region(values, [1], work_size=None)
    assert mask.flatten().tolist() == [0, 1, 1, 1, 0]


def test_progressive_refinement_test_mode():
    """At the output's size (MG Matting's): the 15x15 ellipse around one
    uncertain pixel, then OS1 on the dilated fused OS4."""
    h = w = 64
    os8 = torch.zeros(1, 1, h, w)
    os8[..., 30, 30] = 0.5  # one uncertain pixel
    os4 = torch.full((1, 1, h, w), 0.25)
    os1 = torch.full((1, 1, h, w), 0.75)
    fused4, fused1, w4, w1 = progressive_refinement(
        dict(alpha_os8=os8, alpha_os4=os4, alpha_os1=os1), (30, 15),
        random_widths=False, work_size=None)
    # OS4 replaces OS8 on the 15x15 ellipse around the pixel, nowhere else
    disk15 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15))
    assert w4.sum() == disk15.sum()
    assert torch.equal(fused4[w4 > 0], os4[w4 > 0])
    assert torch.equal(fused4[w4 == 0], os8[w4 == 0])
    # the fused OS4 is uncertain (0.25) on that disk: OS1 on its dilation
    assert w1.sum() > w4.sum()
    assert torch.equal(fused1[w1 > 0], os1[w1 > 0])
    assert torch.equal(fused1[w1 == 0], fused4[w1 == 0])


@pytest.fixture(scope='module')
def raw_1000x1400():
    return raw_outputs(1000, 1400)


def test_matteformer_fusion_matches_official(raw_1000x1400, monkeypatch):
    """MatteFormer's fused test-time output on a 1000x1400 input equals the
    official 640x640 refinement for the same raw outputs, pixel for pixel;
    the refinement at the output's own size (this project's earlier one)
    differs from it."""
    raw = raw_1000x1400
    model = MODELS.build(tiny_model_cfg()).eval()
    monkeypatch.setattr(model, '_forward', lambda x: dict(raw))
    with torch.no_grad():
        fused = model.predict_alpha(torch.zeros(1, 6, 1000, 1400))
    ref = official_fusion(raw, (30, 15), (640, 640))
    assert fused.shape == (1, 1, 1000, 1400)
    assert np.array_equal(fused.numpy(), ref)
    # every source is used somewhere, so the masks are really compared
    os8 = raw['alpha_os8']
    for key in ('alpha_os4', 'alpha_os1'):
        taken = (fused == raw[key]) & (fused != os8)
        assert taken.float().mean() > 0.001, key
    assert ((fused == os8) & (fused != raw['alpha_os1'])).float().mean() > .5
    at_output_size = official_fusion(raw, (30, 15), None)
    differ = (np.abs(at_output_size - ref) > 2. / 255).mean()
    assert differ > 0.005


def test_mgmatting_fusion_matches_official(raw_1000x1400, monkeypatch):
    """MG Matting's official refinement works at the output's own size (no
    640x640 resize in its get_unknown_tensor_from_pred)."""
    raw = raw_1000x1400
    model = MODELS.build(tiny_mg_cfg()).eval()
    assert model.test_cfg.prm_work_size is None
    monkeypatch.setattr(model, '_forward', lambda x: dict(raw))
    with torch.no_grad():
        fused = model.predict_alpha(torch.zeros(1, 6, 1000, 1400))
    assert np.array_equal(fused.numpy(), official_fusion(raw, (30, 15), None))


def test_default_test_cfg_is_the_official_prm(raw_1000x1400, monkeypatch):
    """Without PRM keys in ``test_cfg`` (the DPT configs) the refinement is
    the official 640x640 one; ``fuse=False`` gives ``alpha_os1``."""
    raw = raw_1000x1400
    model = MODELS.build(tiny_model_cfg(train_cfg={}, test_cfg={})).eval()
    monkeypatch.setattr(model, '_forward', lambda x: dict(raw))
    x = torch.zeros(1, 6, 1000, 1400)
    assert np.array_equal(model.predict_alpha(x).numpy(),
                          official_fusion(raw, (30, 15), (640, 640)))
    model.test_cfg['fuse'] = False
    assert torch.equal(model.predict_alpha(x), raw['alpha_os1'])


def test_training_refinement_masks():
    """Training mode: the masks are the official dilation of the uncertain
    region by one random size per sample, and the fused outputs follow
    them (OS4 from OS8, OS1 from the fused OS4)."""
    raw = {k: v.repeat(3, 1, 1, 1) for k, v in raw_outputs(96, 160).items()}
    g = torch.Generator().manual_seed(3)
    os4, os1, w4, w1 = progressive_refinement(
        raw, (30, 15), random_widths=True, generator=g, work_size=(64, 80))
    g = torch.Generator().manual_seed(3)
    sizes4 = refine_kernel_sizes(30, 3, True, g)
    sizes1 = refine_kernel_sizes(15, 3, True, g)
    for i in range(3):
        # the official training branch draws width = size in [1, w - 1]
        area = np_nearest(raw['alpha_os8'][i:i + 1].numpy(), (64, 80))
        area = ((area >= np.float32(1 / 255)) &
                (area <= np.float32(1 - 1 / 255))).astype(np.uint8)
        ref4 = np_nearest(
            cv2.dilate(area[0, 0], KERNELS[sizes4[i]])[None, None],
            (96, 160))
        assert np.array_equal(w4[i:i + 1].numpy(), ref4)
    assert torch.equal(os4, torch.where(w4 > 0, raw['alpha_os4'],
                                        raw['alpha_os8']))
    assert torch.equal(os1, torch.where(w1 > 0, raw['alpha_os1'], os4))
    assert torch.equal(
        w1, uncertain_region(os4, sizes1, work_size=(64, 80)))


# ------------------------------------------------ test-time padding


def official_pad(array: np.ndarray) -> np.ndarray:
    """``generator_tensor_dict`` of the official inference.py: HxW(xC)."""
    h, w = array.shape[:2]
    pad_h = 32 * ((h - 1) // 32 + 1) - h
    pad_w = 32 * ((w - 1) // 32 + 1) - w
    width = ((32, pad_h + 32), (32, pad_w + 32)) + ((0, 0), ) * (
        array.ndim - 2)
    return np.pad(array, width, mode='reflect')


@pytest.mark.parametrize('h,w', [(64, 96), (50, 70), (96, 45), (33, 130)])
def test_border_padding_matches_official(h, w):
    """Sizes that are and are not multiples of 32: the padded input is the
    official one, the crop after the network gives back the input."""
    rng = np.random.default_rng(h * w)
    image = rng.random((h, w, 6)).astype(np.float32)
    padded = border_pad(
        torch.from_numpy(image).permute(2, 0, 1)[None], 32, 32)
    ref = official_pad(image)
    assert ref.shape[0] % 32 == 0 and ref.shape[1] % 32 == 0
    assert np.array_equal(padded[0].permute(1, 2, 0).numpy(), ref)
    assert border_pad(torch.zeros(1, 1, h, w), 0, 32).shape[-2:] == (
        32 * ((h - 1) // 32 + 1), 32 * ((w - 1) // 32 + 1))


def _pack(tmp_path, h, w, seed=0):
    """Files run through the Composition-1k test pipeline; returns the
    batch, the BGR image and the trimap as written."""
    from mmagic.registry import TRANSFORMS
    from mmengine.config import Config
    from mmengine.dataset import Compose, pseudo_collate
    rng = np.random.default_rng(seed)
    merged = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    trimap = np.full((h, w), 128, np.uint8)
    trimap[:, :w // 3] = 0
    trimap[:, 2 * w // 3:] = 255
    paths = {}
    for name, img in dict(merged=merged, trimap=trimap, alpha=trimap).items():
        paths[f'{name}_path'] = str(tmp_path / f'{name}.png')
        cv2.imwrite(paths[f'{name}_path'], img)
    pipeline = Compose([
        TRANSFORMS.build(t) for t in Config.fromfile(
            'configs/_base_/datasets/comp1k_mg.py').test_pipeline
    ])
    return pseudo_collate([pipeline(paths)]), merged, trimap


@pytest.mark.parametrize('h,w', [(64, 96), (50, 70)])
def test_matteformer_test_step_is_the_official_path(tmp_path, h, w,
                                                    monkeypatch):
    """``test_step`` = official inference.py: pad (32 px border + to 32),
    network, refinement, ``(alpha * 255).astype(uint8)``, known regions
    from the trimap, crop. The network is replaced by a fixed function of
    the red value of its (padded, normalised RGB) input, ``(R + 0.5) / 256``,
    so that the padding, the channel order and the quantisation show in
    the output."""
    monkeypatch.chdir(REPO)
    model = MODELS.build(tiny_model_cfg()).eval()
    seen = {}

    def network(x):
        seen['shape'] = tuple(x.shape[-2:])
        red = x[:, :1] * 58.395 + 123.675  # ImageNet-normalised R
        a = (red + 0.5) / 256
        return dict(alpha_os1=a, alpha_os4=a, alpha_os8=a)

    monkeypatch.setattr(model, '_forward', network)
    batch, merged, trimap = _pack(tmp_path, h, w)
    with torch.no_grad():
        pred = model.test_step(batch)[0].output.pred_alpha.numpy()
    red = official_pad(merged[..., 2]).astype(np.float64)  # BGR -> R
    assert seen['shape'] == red.shape
    alpha = np.floor((red + 0.5) / 256 * 255).astype(np.uint8)
    labels = official_pad(trimap)
    alpha[labels == 0] = 0
    alpha[labels == 255] = 255
    ref = alpha[32:h + 32, 32:w + 32]
    assert pred.shape == (h, w)
    assert np.array_equal(pred, ref)
    # mmagic's way (bottom / right padding, rounding) stays an option and
    # is a different output
    model.test_cfg.update(pad_border=0, alpha_rounding='round')
    with torch.no_grad():
        other = model.test_step(batch)[0].output.pred_alpha.numpy()
    assert other.shape == (h, w)
    assert (other != ref).mean() > 0.1


def test_test_cfg_options_validated():
    for bad in (dict(alpha_rounding='ceil'), dict(pad_border=-1)):
        with pytest.raises(ValueError):
            MODELS.build(tiny_model_cfg(test_cfg=bad))
