# Copyright (c) dpt-mm contributors. All rights reserved.
"""ViTMatte through its configs: the authors' preprocessing and criterion,
released checkpoints of both layouts through the inferencer, and every
ViTMatte config training on the demo data."""
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from transformers import VitMatteImageProcessor
from vitmatte_helpers import hf_vitmatte, official_layout

from dpt_mm.registry import MODELS

init_default_scope('mmagic')
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
S_CONFIG = 'configs/vitmatte/vitmatte_vit-s-dino_2xb16-100e_comp1k.py'
CONFIGS = [
    S_CONFIG,
    'configs/vitmatte/vitmatte_vit-s-dino_2xb16-100e_comp1k_d646-test.py',
    'configs/vitmatte/vitmatte_vit-b-mae_2xb10-100e_comp1k.py',
    'configs/vitmatte/vitmatte_vit-b-mae_2xb10-100e_comp1k_d646-test.py',
    'configs/vitmatte/vitmatte_vit-tiny_demo.py',
]
DEPTH = 3  # the reduced ViTMatte-S of these tests
IMAGENET = (np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225]))


def _cfg(rel: str, depth: int = DEPTH) -> Config:
    """A config with its ViT reduced to ``depth`` blocks (global block 2)."""
    cfg = Config.fromfile(osp.join(ROOT, rel))
    if isinstance(cfg.model.backbone.arch, str) and depth:
        dims, heads = (384, 6) if cfg.model.backbone.arch == 'small' else (
            768, 12)
        cfg.model.backbone.arch = dict(
            embed_dims=dims, num_layers=depth, num_heads=heads)
        cfg.model.backbone.global_indices = (2, )
    return cfg


def _scene(h: int, w: int, seed: int = 0):
    """A seeded BGR image and a 0 / 128 / 255 trimap."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    tri = np.zeros((h, w), np.uint8)
    tri[h // 4:3 * h // 4, w // 4:3 * w // 4] = 128
    tri[3 * h // 8:5 * h // 8, 3 * w // 8:5 * w // 8] = 255
    return img, tri


def authors_alpha(model, img_bgr: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """The authors' inference (run_one_image.py / inference.py with
    modeling/meta_arch/vitmatte.py), written out: RGB in [0, 1] normalised
    with ImageNet statistics, trimap / 255 as the fourth channel, zeros at
    the bottom / right to (32 - size % 32) + size on both sides once one is
    not a multiple of 32, the alpha cropped back and truncated to uint8;
    dpt-mm then forces the trimap's known regions."""
    rgb = img_bgr[..., ::-1] / 255.
    x = np.concatenate([(rgb - IMAGENET[0]) / IMAGENET[1],
                        tri[..., None] / 255.], axis=2)
    x = torch.from_numpy(x.transpose(2, 0, 1)[None]).float()
    h, w = tri.shape
    if h % 32 or w % 32:
        x = F.pad(x, (0, 32 - w % 32, 0, 32 - h % 32))
    with torch.no_grad():
        alpha = model(x).alphas[0, 0, :h, :w].numpy()
    alpha = (alpha * 255).astype(np.uint8)
    alpha[tri == 0] = 0
    alpha[tri == 255] = 255
    return alpha


@pytest.fixture(scope='module')
def reference():
    """transformers' 3-block ViTMatte-S with seeded weights."""
    return hf_vitmatte('small', DEPTH)


@pytest.fixture(scope='module')
def released(reference, tmp_path_factory):
    """The reference weights in both released layouts, as downloaded."""
    root = tmp_path_factory.mktemp('released')
    pth = root / 'ViTMatte_S_Com.pth'
    torch.save({'model': official_layout(reference.state_dict())}, pth)
    hf = root / 'vitmatte-small-composition-1k'
    reference.save_pretrained(hf)
    return {'official': str(pth), 'hf': str(hf)}


def _inferencer(ckpt: str):
    from dpt_mm.apis import DPTMattingInferencer
    return DPTMattingInferencer(_cfg(S_CONFIG), ckpt, device='cpu')


@pytest.mark.parametrize('source', ['official', 'hf'])
def test_released_checkpoint_infers_as_the_authors(reference, released,
                                                   source, capsys):
    """Either layout, converted on the fly with a notice, gives through the
    config exactly the authors' uint8 alpha at a size where only the height
    needs padding (their padding adds 32 columns), and not that of
    transformers' processor (mean / std 0.5, exact padding)."""
    inferencer = _inferencer(released[source])
    assert 'converted to dpt-mm keys on the fly' in capsys.readouterr().err
    img, tri = _scene(100, 128)
    result = inferencer(img=img, trimap=tri)[0]
    ours = result['pred_alpha']
    want = authors_alpha(reference, img, tri)
    assert np.array_equal(ours, want)
    proc = VitMatteImageProcessor()
    pixels = proc(
        images=img[..., ::-1].copy(), trimaps=tri, return_tensors='pt')
    with torch.no_grad():
        theirs = reference(pixels.pixel_values).alphas[0, 0, :100].numpy()
    unknown = (tri > 0) & (tri < 255)
    diff = np.abs(ours / 255. - theirs)[unknown]
    assert diff.max() > 1 / 255  # the two preprocessings do differ


def test_training_input_and_loss_as_the_authors(reference):
    """In training the trimap channel is 0 / 0.5 / 1 (85 / 170), and the
    loss module computes the authors' MattingCriterion at their 512 crop:
    unknown L1 + known L1 + Laplacian / 5 + gradient penalty."""
    cfg = _cfg(S_CONFIG)
    model = MODELS.build(cfg.model)
    g = torch.Generator().manual_seed(0)
    n, size = 2, 512
    tri = torch.randint(0, 3, (n, 1, size, size), generator=g) * 127.5
    tri = tri.round().to(torch.uint8)
    tri[0, 0, :4, :4] = 90  # a soft value: 0.5 in training, as theirs
    gt = torch.rand(n, 1, size, size, generator=g)
    from mmagic.structures import DataSample
    samples = [
        DataSample(
            trimap=tri[i],
            gt_alpha=gt[i],
            metainfo=dict(merged_channel_order='BGR'))
        for i in range(n)
    ]
    imgs = [torch.randint(0, 256, (3, size, size), generator=g,
                          dtype=torch.uint8) for _ in range(n)]
    data = model.data_preprocessor(
        dict(inputs=imgs, data_samples=samples), training=True)
    inputs = data['inputs']
    channel = inputs[:, 3:]
    assert set(channel.unique().tolist()) == {0.0, 0.5, 1.0}
    assert channel[0, 0, 0, 0] == 0.5
    # float64, so that the sums over 512 x 512 pixels agree to 1e-10
    pred = torch.rand(n, 1, size, size, generator=g, dtype=torch.float64)
    samples = data['data_samples']
    samples.gt_alpha = samples.gt_alpha.double()
    losses = model.head.loss({'alpha': pred}, samples)
    assert set(losses) == {'loss_alpha', 'loss_known', 'loss_lap',
                           'loss_grad'}
    ours = sum(losses.values())
    want = _authors_criterion(pred, samples.gt_alpha, channel.double())
    assert torch.allclose(ours, want, rtol=1e-10), (ours, want)


def _authors_criterion(pred, gt, trimap):
    """hustvl/ViTMatte modeling/criterion/matting_criterion.py, restated."""
    sample = (trimap == 0.5).to(pred)
    scale = sample.shape[0] * 262144 / sample.sum()
    known = (sample == 0).to(pred)
    kscale = known.shape[0] * 262144 / known.sum()
    unknown_l1 = F.l1_loss(pred * sample, gt * sample) * scale
    known_l1 = F.l1_loss(pred * known, gt * known) * kscale
    kx = pred.new_tensor([[[[-1., 0., 1.], [-2., 0., 2.], [-1., 0., 1.]]]])
    ky = kx.transpose(-1, -2)
    dpx, dgx = F.conv2d(pred, kx, padding=1), F.conv2d(gt, kx, padding=1)
    dpy, dgy = F.conv2d(pred, ky, padding=1), F.conv2d(gt, ky, padding=1)
    grad = (F.l1_loss(dpx * sample, dgx * sample) * scale +
            F.l1_loss(dpy * sample, dgy * sample) * scale +
            0.01 * torch.mean(torch.abs(dpx * sample)) * scale +
            0.01 * torch.mean(torch.abs(dpy * sample)) * scale)
    k = pred.new_tensor([1., 4., 6., 4., 1.])
    k = (torch.outer(k, k) / 256)[None, None]

    def blur(x):
        return F.conv2d(F.pad(x, (2, 2, 2, 2), mode='reflect'), k)

    def pyramid(x):
        levels = []
        for _ in range(5):
            down = blur(x)[..., ::2, ::2]
            up = torch.zeros_like(x)
            up[..., ::2, ::2] = down * 4
            levels.append(x - blur(up))
            x = down
        return levels

    lap = sum(2**i * F.l1_loss(a, b) for i, (a, b) in enumerate(
        zip(pyramid(pred), pyramid(gt)))) / 5
    return unknown_l1 + known_l1 + lap + grad


@pytest.fixture(scope='module')
def demo_root(tmp_path_factory):
    """The demo data where the configs look for it (data/adobe_
    composition-1k, data/coco/train2017, data/Distinctions-646, data/demo)."""
    sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters'))
    import make_demo_data
    root = tmp_path_factory.mktemp('vitmatte_rows')
    make_demo_data.make_demo_data(
        str(root / 'data' / 'demo'), seed=0, num_in1k=1, num_train=2,
        num_test=1, num_bg=2, size=96)
    (root / 'data' / 'coco').mkdir(parents=True)
    for link, target in {
            'data/adobe_composition-1k': 'data/demo/comp1k',
            'data/Distinctions-646': 'data/demo/comp1k',
            'data/coco/train2017': 'data/demo/comp1k/bg'
    }.items():
        os.symlink(str(root / target), str(root / link))
    return root


def _shrink(cfg: Config) -> Config:
    """The ViT at the demo width, 64 px crops, batch 2, plain precision
    (CPU), no workers, no hooks that write outside the work dir."""
    bb = cfg.model.backbone
    if isinstance(bb.arch, str) or bb.arch.get('embed_dims', 0) > 64:
        bb.arch = dict(embed_dims=32, num_layers=3, num_heads=2)
        bb.global_indices = (2, )
        cfg.model.head.in_channels = 32
    for t in cfg.train_dataloader.dataset.pipeline:
        if 'crop_size' in t:
            t['crop_size'] = 64
        if t['type'] == 'mmcv.RandomApply':
            t['transforms'][0]['scale'] = (96, 96)
    cfg.train_dataloader.update(
        batch_size=2, num_workers=0, persistent_workers=False)
    cfg.val_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.optim_wrapper.type = 'OptimWrapper'
    cfg.optim_wrapper.pop('loss_scale', None)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 1000
    cfg.visualizer = dict(type='Visualizer', vis_backends=[])
    cfg.randomness = dict(seed=0)
    cfg.load_from = None
    return cfg


@pytest.mark.parametrize('rel', CONFIGS)
def test_config_trains_two_iterations(rel, demo_root, tmp_path, monkeypatch):
    """Each ViTMatte config trains two iterations on the demo data (the
    Distinct-646 test configs run their test loop), the loss finite and
    every loss term present."""
    from mmengine.runner import Runner
    monkeypatch.chdir(demo_root)
    cfg = _shrink(_cfg(rel, depth=0))
    cfg.work_dir = str(tmp_path / 'work')
    if rel.endswith('_d646-test.py'):
        out = tmp_path / 'metrics.json'
        cfg.custom_hooks = [dict(type='DumpMetricsHook', out_file=str(out))]
        Runner.from_cfg(cfg).test()
        metrics = json.loads(out.read_text())
        assert {'SAD', 'MSE', 'Grad', 'Conn'} <= set(metrics)
        assert all(np.isfinite(v) for v in metrics.values()), metrics
        return
    cfg.train_cfg.update(max_iters=2, val_interval=1000)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    hub = runner.message_hub
    for term in ('loss_alpha', 'loss_known', 'loss_lap', 'loss_grad'):
        assert np.isfinite(hub.get_scalar(f'train/{term}').current())
    assert hub.get_scalar('train/loss').current() > 0
