"""configs/dpt_swin-t_in1k_authors.py follows the authors' code where it
departs from the paper config (configs/dpt_swin-t_in1k.py), and only there
(docs/pretraining.md): the transform options it needs, the adaptive
gradient clipping, the decay of every parameter, the per-epoch schedule
and the loss region (OS8 on the whole image, fused OS4 / OS1)."""
import math
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import dpt_mm  # noqa: F401
from dpt_mm.models.losses import MattingOutputsLoss
from dpt_mm.datasets.transforms.geometry import RANDOM_INTERPOLATIONS
from dpt_mm.engine import AdaptiveGradClipOptimWrapper
from dpt_mm.registry import (MODELS, OPTIM_WRAPPERS, PARAM_SCHEDULERS,
                             TRANSFORMS)

init_default_scope('mmagic')
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
PAPER = osp.join(ROOT, 'configs', 'dpt_swin-t_in1k.py')
AUTHORS = osp.join(ROOT, 'configs', 'dpt_swin-t_in1k_authors.py')


def _pipelines():
    return (Config.fromfile(PAPER).train_dataloader.dataset.pipeline,
            Config.fromfile(AUTHORS).train_dataloader.dataset.pipeline)


def test_configs_differ_only_where_documented():
    """Everything but the documented items resolves identically."""
    paper, authors = (Config.fromfile(p).to_dict() for p in (PAPER, AUTHORS))
    documented = {
        'train_pipeline', 'train_dataloader', 'optim_wrapper',
        'param_scheduler', 'train_cfg', 'max_epochs', 'authors_epochs',
        'crop_size', 'warmup_epochs', 'model'
    }
    for cfg in (paper, authors):
        cfg['train_dataloader']['dataset'].pop('pipeline')
    assert paper['train_dataloader'] == authors['train_dataloader']
    rest = (paper.keys() | authors.keys()) - documented
    assert {k: paper.get(k) for k in rest} == {k: authors.get(k) for k in rest}
    # the model differs only in the loss region options
    p_loss = paper['model']['head'].pop('loss')
    a_loss = authors['model']['head'].pop('loss')
    assert paper['model'] == authors['model']
    assert a_loss.pop('whole_image_outputs') == ['alpha_os8']
    assert a_loss.pop('fuse_outside_unknown') == [
        'alpha_os8', 'alpha_os4', 'alpha_os1'
    ]
    assert p_loss == a_loss


def test_pipeline_steps_differ_as_documented():
    paper, authors = _pipelines()
    assert [t['type'] for t in paper] == [
        'LoadImageReduced', 'LoadImageReduced', 'ResizeCropAffine',
        'RandomHue', 'GridTrimap', 'RandomAlpha', 'Composite',
        'PackMattingInputs'
    ]
    assert [t['type'] for t in authors] == [
        'LoadImageReduced', 'LoadImageReduced', 'Resize', 'GridTrimap',
        'RandomAlpha', 'ResizeCropAffine', 'GenerateTrimap',
        'RandomJitterNonEmpty', 'Composite', 'PackMattingInputs'
    ]
    p_aff, a_aff = paper[2], authors[5]
    assert p_aff['keys'] == ['fg', 'bg'] and not p_aff.get('shared')
    assert a_aff['keys'] == ['fg', 'alpha'] and a_aff['shared']
    assert a_aff['interpolation'] == 'random'
    assert p_aff.get('interpolation', 'nearest') == 'nearest'
    # same affine ranges, grid and ratios
    for k in ('degrees', 'scale', 'shear', 'flip_ratio'):
        assert p_aff[k] == a_aff[k]
    assert paper[4] == authors[3] and paper[5] == authors[4]
    assert paper[-2:] == authors[-2:]


def _sample(rng, h, w):
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def _run(pipeline, fg, bg, skip_loading=2):
    from mmcv.transforms import Compose
    steps = Compose([TRANSFORMS.build(t) for t in pipeline[skip_loading:-1]])
    return steps(dict(fg=fg.copy(), bg=bg.copy()))


def test_authors_pipeline_on_images():
    """Squashed, not cropped; bg only resized; fg and alpha warped together
    (one matrix); trimap exactly the classes of the warped alpha; colour
    jitter on the fg only; float composite."""
    rng = np.random.default_rng(0)
    fg, bg = _sample(rng, 300, 150), _sample(rng, 180, 260)
    paper, authors = _pipelines()
    squash_bg = cv2.resize(bg, (224, 224), interpolation=cv2.INTER_LINEAR)
    for seed in range(8):
        np.random.seed(seed)
        out = _run(authors, fg, bg)
        assert out['fg'].shape == (224, 224, 3) and out['bg'].shape == (224,
                                                                         224,
                                                                         3)
        assert np.array_equal(out['bg'], squash_bg)  # no warp, no jitter
        assert np.array_equal(out['fg_affine_matrix'],
                              out['alpha_affine_matrix'])
        alpha, trimap = out['alpha'], out['trimap']
        expected = np.full_like(alpha, 128)
        expected[alpha == 255] = 255
        expected[alpha == 0] = 0
        assert np.array_equal(trimap, expected)
        assert out['merged'].dtype == np.float32  # not rounded
    # the paper pipeline: bg cropped + warped, trimap on the grid whatever
    # the unknown alpha values are
    np.random.seed(0)
    out = _run(paper, fg, bg)
    assert not np.array_equal(out['bg'], squash_bg)
    assert 'alpha_affine_matrix' not in out
    unknown = out['trimap'] == 128
    assert (out['alpha'][unknown] == 0).any() or (
        out['alpha'][unknown] == 255).any()
    assert out['merged'].dtype == np.uint8


def test_shared_draw_and_random_interpolation():
    rng = np.random.default_rng(1)
    img = _sample(rng, 224, 224)
    base = dict(
        type='ResizeCropAffine',
        keys=['fg', 'alpha'],
        degrees=30,
        scale=(0.8, 1.25),
        shear=10,
        flip_ratio=0.5)
    alpha = img[..., 0].copy()
    shared = TRANSFORMS.build(dict(base, shared=True))
    np.random.seed(0)
    out = shared(dict(fg=img.copy(), alpha=alpha.copy()))
    assert np.array_equal(out['fg'][..., 0], out['alpha'])  # same warp
    indep = TRANSFORMS.build(base)
    np.random.seed(0)
    out = indep(dict(fg=img.copy(), alpha=alpha.copy()))
    assert not np.array_equal(out['fg_affine_matrix'],
                              out['alpha_affine_matrix'])
    with pytest.raises(ValueError, match='one size'):
        shared(dict(fg=img, alpha=alpha[:100]))
    rand = TRANSFORMS.build(dict(base, interpolation='random'))
    np.random.seed(0)
    flags = [rand.draw_interpolation() for _ in range(400)]
    names = {cv2.INTER_NEAREST: 'nearest', cv2.INTER_LINEAR: 'bilinear',
             cv2.INTER_CUBIC: 'bicubic', cv2.INTER_LANCZOS4: 'lanczos'}
    counts = {names[f]: flags.count(f) for f in set(flags)}
    assert set(counts) == set(RANDOM_INTERPOLATIONS)
    assert min(counts.values()) > 60
    # a fixed interpolation draws nothing: the default stream is unchanged
    fixed = TRANSFORMS.build(base)
    np.random.seed(5)
    fixed.draw_interpolation()
    assert np.random.random() == np.random.RandomState(5).random_sample()
    with pytest.raises(ValueError, match='interpolation'):
        TRANSFORMS.build(dict(base, interpolation='area'))


def test_every_parameter_decays_in_the_authors_config():
    from mmengine.optim import build_optim_wrapper
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4),
        torch.nn.LayerNorm(4))
    paper = build_optim_wrapper(model, Config.fromfile(PAPER).optim_wrapper)
    authors = build_optim_wrapper(model,
                                  Config.fromfile(AUTHORS).optim_wrapper)
    assert isinstance(authors, AdaptiveGradClipOptimWrapper)
    assert {g['weight_decay'] for g in authors.optimizer.param_groups} == {
        0.05
    }
    assert 0.0 in {g['weight_decay'] for g in paper.optimizer.param_groups}


def _lrs(cfg_path, epochs):
    cfg = Config.fromfile(cfg_path)
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=3e-4)
    scheds = [
        PARAM_SCHEDULERS.build(dict(s, optimizer=opt))
        for s in cfg.param_scheduler
        if not s.get('convert_to_iter_based')
    ]
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]['lr'])
        for s in scheds:
            s.step()
    return lrs, cfg


def test_authors_schedule_is_their_per_epoch_formula():
    lrs, cfg = _lrs(AUTHORS, 99)
    assert cfg.train_cfg.max_epochs == 99
    base = 3e-4
    expected = [
        k / 10 * base if k <= 10 else base *
        (1 + math.cos(math.pi * (k - 10) / 90)) / 2 for k in range(1, 100)
    ]
    np.testing.assert_allclose(lrs, expected, rtol=1e-6, atol=1e-12)
    assert all(not s.get('convert_to_iter_based')
               for s in cfg.param_scheduler)
    # the paper config warms up per iteration and ends at 1e-6
    paper = Config.fromfile(PAPER)
    assert all(s.get('convert_to_iter_based') for s in paper.param_scheduler)
    assert paper.param_scheduler[1].eta_min == 1e-6


def test_adaptive_grad_clip():
    """First step: measured, not clipped; then clipped at 2x the moving
    value, which follows m = 0.999 m + 0.001 g; saved and restored."""
    w = torch.nn.Parameter(torch.zeros(4))
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type='AdaptiveGradClipOptimWrapper',
            optimizer=torch.optim.SGD([w], lr=0.0)))

    def step(grad):
        w.grad = torch.tensor(grad, dtype=torch.float32)
        wrapper.step()
        return w.grad.norm().item()

    assert step([3., 4., 0., 0.]) == pytest.approx(5.0)  # not clipped
    assert wrapper.moving_max_norm == pytest.approx(5.0)
    assert step([300., 400., 0., 0.]) == pytest.approx(10.0)  # 2 x 5
    m = 0.999 * 5 + 0.001 * 500
    assert wrapper.moving_max_norm == pytest.approx(m)
    assert step([0., 0., 6., 8.]) == pytest.approx(10.0)  # < 2m: as is
    m = 0.999 * m + 0.001 * 10
    assert wrapper.moving_max_norm == pytest.approx(m)
    state = wrapper.state_dict()
    again = OPTIM_WRAPPERS.build(
        dict(
            type='AdaptiveGradClipOptimWrapper',
            optimizer=torch.optim.SGD([w], lr=0.0)))
    again.load_state_dict(state)
    assert again.moving_max_norm == pytest.approx(m)
    with pytest.raises(ValueError, match='clip_grad'):
        AdaptiveGradClipOptimWrapper(
            torch.optim.SGD([w], lr=0.1), clip_grad=dict(max_norm=1))


# ------------------------------------------------------------ loss region
KEYS = ('alpha_os1', 'alpha_os4', 'alpha_os8')


def _losses():
    return [
        MODELS.build(Config.fromfile(p).model.head.loss)
        for p in (PAPER, AUTHORS)
    ]


def _region_batch(h=64, w=256, seed=0):
    """Unknown columns 0..63, fg 64..159, bg 160..255; ``gt_merged`` is
    composed from the ground truth, so a perfect prediction has zero
    loss."""
    from types import SimpleNamespace
    g = torch.Generator().manual_seed(seed)
    cols = torch.arange(w).expand(1, 1, h, w)
    unknown, fg = cols < 64, (cols >= 64) & (cols < 160)
    alpha = torch.where(unknown, torch.rand(1, 1, h, w, generator=g),
                        fg.float())
    onehot = torch.cat([~unknown & ~fg, unknown, fg], 1).float()
    f, b = torch.rand(2, 1, 3, h, w, generator=g)
    merged = alpha * f + (1 - alpha) * b
    return SimpleNamespace(
        gt_alpha=alpha, gt_fg=f, gt_bg=b, gt_merged=merged,
        trimap=onehot), cols


def _value(losses):
    return {k: float(v) for k, v in losses.items()}


def test_loss_region_differs_only_in_the_known_region_as_documented():
    """Prediction wrong only far inside the known region: the paper's loss
    stays zero; the authors' changes by the OS8 term on the whole image
    alone (their OS4 / OS1 take OS8 there but are weighted by the unknown
    region). Wrong OS1 / OS4 only in the known pixels next to the unknown
    region: the paper's Laplacian term sees it (its pyramids span the
    image), the authors' loss does not (those pixels are OS8's)."""
    paper, authors = _losses()
    ds, cols = _region_batch()
    perfect = {k: ds.gt_alpha.clone() for k in KEYS}
    for loss in (paper, authors):
        assert max(_value(loss(perfect, ds)).values()) == 0.

    far = (cols >= 192).float() * 0.5  # bg, 128 px from the unknown region
    wrong = {k: ds.gt_alpha + far for k in KEYS}
    assert max(_value(paper(wrong, ds)).values()) == 0.
    got = _value(authors(wrong, ds))
    os8_only = MattingOutputsLoss(
        loss_comp=None, loss_lap=None, output_weights=dict(alpha_os8=1.0),
        whole_image_outputs=['alpha_os8'])
    l1_os8 = float(os8_only(wrong, ds)['loss_alpha'])
    assert l1_os8 == pytest.approx(0.5 * 64 / 256)  # mean over the image
    assert got['loss_alpha'] == pytest.approx(0.2 * l1_os8)
    assert got['loss_comp'] > 0 and got['loss_lap'] > 0

    near = ((cols >= 64) & (cols < 72)).float() * -0.5  # fg next to unknown
    wrong = dict(perfect, alpha_os1=ds.gt_alpha + near,
                 alpha_os4=ds.gt_alpha + near)
    got = _value(paper(wrong, ds))
    assert got['loss_alpha'] == 0. and got['loss_comp'] == 0.
    assert got['loss_lap'] > 0
    assert max(_value(authors(wrong, ds)).values()) == 0.


def test_authors_loss_is_their_trainer_formula():
    """trainers/trainer.py: weight_os8 = 1, weight_os4 = weight_os1 =
    unknown; os4[unknown == 0] = os8, then os1[unknown == 0] = (fused)
    os4; each term (2 L(os1) + L(os4) + L(os8)) / 5. Written out here with
    explicit weights for the paper's loss module."""
    paper, authors = _losses()
    ds, _ = _region_batch(seed=1)
    g = torch.Generator().manual_seed(2)
    outs = {k: torch.rand(1, 1, 64, 256, generator=g) for k in KEYS}
    unknown = ds.trimap[:, 1:2]
    os4 = outs['alpha_os4'].clone()
    os4[unknown == 0] = outs['alpha_os8'][unknown == 0]
    os1 = outs['alpha_os1'].clone()
    os1[unknown == 0] = os4[unknown == 0]
    expected = paper(
        dict(alpha_os1=os1, alpha_os4=os4, alpha_os8=outs['alpha_os8']), ds,
        dict(alpha_os1=unknown, alpha_os4=unknown,
             alpha_os8=torch.ones_like(unknown)))
    got = authors(outs, ds)
    for key in expected:
        torch.testing.assert_close(got[key], expected[key])
    assert _value(paper(outs, ds)) != _value(got)
    with pytest.raises(ValueError, match='not in output_weights'):
        MattingOutputsLoss(whole_image_outputs=['alpha_os2'])
    with pytest.raises(ValueError, match='at least two'):
        MattingOutputsLoss(fuse_outside_unknown=['alpha_os8'])
