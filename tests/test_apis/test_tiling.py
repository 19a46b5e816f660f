"""Tiled inference of large images (dpt_mm.apis.tiling) against the
whole-image prediction, and its use by the inferencer."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

import dpt_mm  # noqa: F401
from dpt_mm.apis.tiling import (ramp, spans, tile_windows,
                                tiled_forward_test, unknown_bbox)
from dpt_mm.registry import MODELS
from trained_mattors import cached_state, demo_scene, preprocess, saturation

init_default_scope('mmagic')
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def tiny_matteformer():
    from test_released_checkpoints import tiny_model_cfg
    torch.manual_seed(0)
    return MODELS.build(tiny_model_cfg()).eval()


def scene(h, w, seed=1):
    """Preprocessed (1, 6, h, w) input and its uint8 trimap: a disc with a
    wide unknown band."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    dist = np.hypot(yy - h / 2, xx - w / 2)
    r = min(h, w) / 3
    trimap = np.where(dist < r - 8, 255, 0).astype(np.uint8)
    trimap[np.abs(dist - r) <= 8] = 128
    image = rng.normal(size=(1, 3, h, w)).astype(np.float32)
    image[:, :, dist < r] += 1.5
    onehot = np.eye(3, dtype=np.float32)[trimap // 127].transpose(2, 0, 1)
    x = torch.from_numpy(np.concatenate([image, onehot[None]], 1))
    return x, trimap


def test_spans_cover_with_overlap():
    for start, end, tile, overlap in [(0, 1000, 256, 64), (13, 700, 128, 32),
                                      (5, 100, 128, 32), (0, 129, 128, 0)]:
        got = spans(start, end, tile, overlap)
        assert got[0][0] == start and got[-1][1] == end
        assert all(b - a <= tile for a, b in got)
        for (a0, b0), (a1, b1) in zip(got, got[1:]):
            assert b0 - a1 >= overlap and a1 > a0
    with pytest.raises(ValueError):
        spans(0, 10, 8, 8)


def test_ramp_and_windows():
    w = ramp(100, 228, 0, 400, 32)
    assert w[0] < w[16] < w[31] < 1 and (w[32:-32] == 1).all()
    assert (ramp(0, 128, 0, 400, 32)[:32] == 1).all()  # no left neighbour
    tri = np.zeros((300, 400), np.uint8)
    assert unknown_bbox(tri) is None
    tri[50:60, 70:300] = 128
    assert unknown_bbox(tri) == (50, 60, 70, 300)
    box, windows = tile_windows(tri.shape, tri, 128, 32)
    assert box == (18, 92, 38, 332)
    assert len(windows) == 3 and all(b - a <= 128 and d - c <= 128
                                     for a, b, c, d in windows)


def test_tiled_equals_whole_image_in_the_unknown_region():
    """Tolerance (MatteFormer, seeded random weights, 224x320 input, tiles
    of 128 / 160 with overlap 32 / 64): mean |diff| <= 0.02 and 99th
    percentile <= 0.1 of alpha in the unknown region (measured 0.010 /
    0.062); exact when one tile covers the image."""
    model = tiny_matteformer()
    x, trimap = scene(224, 320)
    b = model._border()  # the official 32-px test border

    def crop(a):
        return a[..., b:b + 224, b:b + 320]

    with torch.no_grad():
        padded = model.predict_alpha(model.resize_inputs(x))
        whole = crop(padded)
    unknown = torch.from_numpy(trimap == 128)
    for tile, overlap in [(128, 32), (160, 64)]:
        _, windows = tile_windows(trimap.shape, trimap, tile, overlap)
        assert len(windows) > 2
        tiled = tiled_forward_test(model, x, trimap, tile, overlap)
        assert tiled.shape == padded.shape  # the layout restore_size crops
        tiled = crop(tiled)
        diff = (tiled - whole)[0, 0][unknown].abs()
        assert diff.mean() <= 0.02, (tile, float(diff.mean()))
        assert diff.quantile(0.99) <= 0.1, (tile, float(diff.quantile(0.99)))
    # outside the unknown box (+ overlap) the alpha is the trimap's
    tiled = crop(tiled_forward_test(model, x, trimap, 128, 32))[0, 0]
    box, _ = tile_windows(trimap.shape, trimap, 128, 32)
    outside = torch.ones_like(tiled, dtype=torch.bool)
    outside[box[0]:box[1], box[2]:box[3]] = False
    assert outside.any()
    assert torch.equal(tiled[outside],
                       torch.from_numpy(trimap / 255.).float()[outside])
    # one window over the whole image: the same computation
    full = trimap.copy()
    full[:4, :4] = 128
    full[-4:, -4:] = 128
    one = crop(tiled_forward_test(model, x, full, 512, 32))
    assert torch.allclose(one, whole, atol=1e-6)


@pytest.fixture(scope='module')
def trained_matteformer():
    """The tiny MatteFormer trained on demo composites (cached under
    tmp)."""
    return cached_state('matteformer', tiny_matteformer)


@pytest.mark.slow
def test_tiled_close_to_whole_image_with_trained_weights(trained_matteformer):
    """Trained weights on a demo composite (saturated and fractional
    alphas in the unknown region): tiles of 128 / 160 px with overlap
    32 / 64 differ from the whole image by a mean <= 0.04 and a 99th
    percentile <= 0.3 there (measured 0.024 / 0.19 and 0.020 / 0.19, with
    the progressive refinement off about the same: the tiles' narrower
    context, not PRM's 640x640 work size); one window over the image is
    the whole-image computation."""
    model = trained_matteformer
    image, trimap, _ = demo_scene(224, 320, seed=3)
    x = preprocess(image, trimap)
    b = model._border()

    def crop(a):
        return a[..., b:b + 224, b:b + 320]

    with torch.no_grad():
        whole = crop(model.predict_alpha(model.resize_inputs(x)))
    unknown = torch.from_numpy(trimap == 128)
    sat, soft = saturation(whole[0, 0][unknown])
    assert sat > 0.1 and soft > 0.2, (sat, soft)
    for tile, overlap in [(128, 32), (160, 64)]:
        tiled = crop(tiled_forward_test(model, x, trimap, tile, overlap))
        diff = (tiled - whole)[0, 0][unknown].abs()
        assert 0 < diff.mean() <= 0.04, (tile, float(diff.mean()))
        assert diff.quantile(0.99) <= 0.3, (tile, float(diff.quantile(0.99)))
    full = trimap.copy()  # windows over the whole image
    full[:4, :4] = full[-4:, -4:] = 128
    one = crop(tiled_forward_test(model, x, full, 512, 32))
    assert torch.allclose(one, whole, atol=1e-6)


def tiny_inferencer():
    """DPTMattingInferencer of the tiny MatteFormer (seed 0) with the
    Composition-1k test pipeline."""
    from mmengine.config import Config

    from dpt_mm.apis import DPTMattingInferencer
    from test_released_checkpoints import tiny_model_cfg
    pipeline = Config.fromfile(
        osp.join(ROOT, 'configs', '_base_', 'datasets',
                 'comp1k_mg.py')).to_dict()['test_pipeline']
    cfg = Config(
        dict(
            default_scope='mmagic',
            model=tiny_model_cfg(),
            test_dataloader=dict(dataset=dict(pipeline=pipeline))))
    torch.manual_seed(0)
    return DPTMattingInferencer(cfg, None, 'cpu')


def test_inferencer_tiles_large_images(tmp_path):
    inferencer = tiny_inferencer()
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (150, 230, 3), dtype=np.uint8)
    _, trimap = scene(150, 230)
    whole, _ = inferencer(img=image, trimap=trimap, fg_method='blur')
    same, _ = inferencer(
        img=image, trimap=trimap, fg_method='blur', tile=256)
    tiled, _ = inferencer(
        img=image, trimap=trimap, fg_method='blur', tile=96, tile_overlap=32)
    np.testing.assert_array_equal(same['pred_alpha'], whole['pred_alpha'])
    a, b = tiled['pred_alpha'], whole['pred_alpha']
    assert a.shape == b.shape == (150, 230) and a.dtype == np.uint8
    assert (a[trimap == 255] == 255).all() and (a[trimap == 0] == 0).all()
    diff = np.abs(a.astype(int) - b.astype(int))[trimap == 128] / 255
    assert 0 < diff.mean() <= 0.03
    assert cv2.countNonZero((a != b).astype(np.uint8)) > 0


def test_inferencer_bf16_close_to_float32():
    inferencer = tiny_inferencer()
    image = np.random.default_rng(1).integers(0, 255, (96, 128, 3),
                                              dtype=np.uint8)
    _, trimap = scene(96, 128)
    ref, _ = inferencer(img=image, trimap=trimap, fg_method='blur')
    low, _ = inferencer(img=image, trimap=trimap, fg_method='blur', bf16=True)
    assert low['pred_alpha'].dtype == np.uint8
    diff = np.abs(low['pred_alpha'].astype(int) -
                  ref['pred_alpha'].astype(int))[trimap == 128] / 255
    assert 0 < diff.mean() <= 0.03, diff.mean()
