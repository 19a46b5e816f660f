# Copyright (c) dpt-mm contributors. All rights reserved.
"""MG Matting (trimap input) and the GCA / MG fine-tuning configs."""
import copy
import glob
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmagic.datasets.transforms import FormatTrimap, PackInputs
from mmagic.structures import DataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

import dpt_mm  # noqa: F401
from dpt_mm.models.base_models import Mattor
from dpt_mm.registry import MODELS

init_default_scope('mmagic')

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', 'gca', '*.py')) +
    glob.glob(osp.join(ROOT, 'configs', 'mgmatting', '*.py'))
    if not osp.basename(p).startswith('base_'))
# the Distinctions-646 rows are their Composition-1k rows with other data:
# test_d646_config_is_comp1k_config_on_d646 checks that instead of building
# the (same) models again
D646_CONFIGS = [p for p in CONFIGS if p.endswith('_d646.py')]
COMP1K_CONFIGS = [p for p in CONFIGS if p not in D646_CONFIGS]
D646_ROOT = 'data/Distinctions-646'
MG_CFG = osp.join(ROOT, 'configs', 'mgmatting',
                  'mgmatting_r34-random_4xb10-200k_comp1k.py')


def tiny_mg_cfg(**train_cfg) -> dict:
    """The shipped MG Matting model config shrunk to one block per stage."""
    cfg = copy.deepcopy(Config.fromfile(MG_CFG).model.to_dict())
    cfg['backbone']['layers'] = (1, 1, 1, 1)
    cfg['neck'].update(mid_channels=16)
    cfg['head']['num_blocks'] = (1, 1, 1, 1)
    cfg['train_cfg'] = dict(cfg['train_cfg'], **train_cfg)
    return cfg


def synthetic_batch(n: int = 2, size: int = 64, seed: int = 0):
    """A composited batch with a disk-shaped soft alpha and its trimap, as
    ``MattorPreprocessor`` gives it in training."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(
        torch.arange(size), torch.arange(size), indexing='ij')
    r = ((yy - size / 2)**2 + (xx - size / 2)**2).sqrt().float()
    alpha = (1 - (r - size / 4) / 6).clamp(0, 1)[None, None].repeat(n, 1, 1,
                                                                      1)
    fg = torch.rand(n, 3, 1, 1, generator=g).expand(n, 3, size, size)
    bg = torch.rand(n, 3, size, size, generator=g) * 0.3
    merged = alpha * fg + (1 - alpha) * bg
    unknown = ((alpha > 0) & (alpha < 1)).float()
    fg_mask = (alpha >= 1).float()
    trimap = torch.cat([1 - unknown - fg_mask, unknown, fg_mask], 1)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    inputs = torch.cat([(merged - mean) / std, trimap], 1)
    ds = DataSample.stack([
        DataSample(
            gt_alpha=alpha[i], gt_fg=fg[i].clone(), gt_bg=bg[i],
            gt_merged=merged[i], trimap=trimap[i]) for i in range(n)
    ])
    return inputs, ds


@pytest.mark.parametrize('path', COMP1K_CONFIGS, ids=osp.basename)
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmagic'
    assert '_delete_' not in cfg.pretty_text
    model = MODELS.build(cfg.model)
    n_params = sum(p.numel() for p in model.parameters())
    if 'mgmatting' in path:
        assert isinstance(model, Mattor) and model.neck is not None
        assert cfg.optim_wrapper.optimizer.betas == (0.5, 0.999)
        assert cfg.train_cfg.max_iters == 200_000
    if 'r50' in path:
        enc = model.backbone.encoder
        assert type(enc).__name__ == 'ResGCABottleneckEncoder'
        # torchvision ResNet-50 body: 23.5M weights (+ 6-channel stem)
        body = sum(p.numel() for n, p in enc.resnet.named_parameters())
        assert body == 23_508_032 + 64 * 3 * 49
    assert n_params > 1e6
    if '-dpt' in path or 'r50' in path or (
            'mgmatting' in path and 'supervised' in path):
        assert cfg.load_from and cfg.load_from.endswith('.pth')
    if 'random' in path:
        assert cfg.get('load_from') is None


def test_d646_rows():
    names = {osp.basename(p) for p in D646_CONFIGS}
    for init in ('random', 'supervised', 'dpt'):
        assert f'gca_r34-{init}_4xb10-200k_d646.py' in names
        assert f'mgmatting_r34-{init}_4xb10-200k_d646.py' in names


def _no_mmagic_scope(cfg):
    """``cfg`` without ``_scope_='mmagic'``: mmengine adds it to dicts read
    from an ``mmagic::`` base; under the default scope mmagic it is a
    no-op."""
    if isinstance(cfg, dict):
        return {
            k: _no_mmagic_scope(v)
            for k, v in cfg.items() if not (k == '_scope_' and v == 'mmagic')
        }
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(_no_mmagic_scope(v) for v in cfg)
    return cfg


def _swap_to_d646(data: dict) -> dict:
    """A Composition-1k data section (resolved, as a dict) with the data
    root and the foreground folders of CompositeFg on Distinctions-646."""
    data = copy.deepcopy(data)
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        data[split]['dataset']['data_root'] = D646_ROOT
    data['data_root'] = D646_ROOT
    for pipeline in (data['train_pipeline'],
                     data['train_dataloader']['dataset']['pipeline']):
        for t in pipeline:
            if t['type'] == 'CompositeFg':
                t['fg_dirs'] = [f'{D646_ROOT}/Train/FG']
                t['alpha_dirs'] = [f'{D646_ROOT}/Train/GT']
    return data


@pytest.mark.parametrize('path', D646_CONFIGS, ids=osp.basename)
def test_d646_config_is_comp1k_config_on_d646(path):
    """A ``*_d646.py`` row resolves to its ``*_comp1k.py`` row except for
    the names and the data: the same pipelines, annotation files and
    evaluators, with the data root and the CompositeFg folders on
    Distinctions-646."""
    comp1k_path = path.replace('_d646.py', '_comp1k.py')
    assert osp.isfile(comp1k_path)
    d646 = Config.fromfile(path).to_dict()
    comp1k = Config.fromfile(comp1k_path).to_dict()
    assert d646.keys() == comp1k.keys()
    data_keys = {
        'data_root', 'train_pipeline', 'train_dataloader', 'val_dataloader',
        'test_dataloader'
    }
    name_keys = {'experiment_name', 'work_dir'}
    rest = d646.keys() - data_keys - name_keys
    assert {k: d646[k] for k in rest} == {k: comp1k[k] for k in rest}

    stem = osp.basename(path)[:-3]
    assert d646['experiment_name'] == stem
    assert d646['work_dir'] == f'./work_dirs/{stem}'
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert d646[split]['dataset']['data_root'] == D646_ROOT
    assert _no_mmagic_scope({k: d646[k] for k in data_keys}) == \
        _no_mmagic_scope(_swap_to_d646({k: comp1k[k] for k in data_keys}))
    if 'mgmatting' in path:
        # MG Matting: exactly the data of the shared Distinctions-646 base
        base = Config.fromfile(
            osp.join(ROOT, 'configs', '_base_', 'datasets',
                     'distinct646.py')).to_dict()
        assert {k: d646[k] for k in base} == base


# Trainable parameters of the official MG Matting generator
# (res_shortcut_encoder_29 + ASPP + res_shortcut_decoder_22, yucornetto/
# MGMatting code-base/networks) built with mask_channel=3, i.e. a 6-channel
# input: counted once with the official code outside this repository.
OFFICIAL_MG_6CH_PARAMS = 29_597_795
OFFICIAL_MG_ASPP_PARAMS = 4_460_032


def test_mgmatting_has_official_parameter_count():
    model = MODELS.build(Config.fromfile(MG_CFG).model)
    # torch's spectral norm keeps u / v as buffers, the official code as
    # frozen parameters: both count only trainable weights here
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert count == OFFICIAL_MG_6CH_PARAMS
    aspp = sum(p.numel() for p in model.neck.parameters())
    assert aspp == OFFICIAL_MG_ASPP_PARAMS
    assert not any(
        isinstance(m, torch.nn.Dropout) for m in model.neck.modules())


def test_test_time_prm_wiring():
    """Test mode fuses OS8 -> OS4 -> OS1: with OS8 saturated at 0 nothing is
    uncertain and the fused alpha is OS8 (= 0) everywhere; with OS8 and OS4
    at 0.5 everything is refined and the fused alpha is OS1."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_mg_cfg()).eval()
    inputs, _ = synthetic_batch(n=1, size=64)
    final_os8 = model.head.refine_OS8[-1]
    with torch.no_grad():
        raw = model._forward(inputs)
        final_os8.weight.zero_()
        final_os8.bias.fill_(-20.)
        assert model._forward(inputs)['alpha_os8'].max() < 1. / 255
        assert model.predict_alpha(inputs).max() < 1. / 255
        # alpha_os8 == alpha_os4 == 0.5: everything is refined down to OS1
        final_os8.bias.fill_(0.)
        model.head.refine_OS4[-1].weight.zero_()
        model.head.refine_OS4[-1].bias.zero_()
        torch.testing.assert_close(
            model.predict_alpha(inputs), raw['alpha_os1'])
        model.test_cfg['fuse'] = False
        torch.testing.assert_close(
            model.predict_alpha(inputs), raw['alpha_os1'])
    assert raw['alpha_os1'].std() > 0


def test_prm_schedule_follows_runner_iter():
    model = MODELS.build(tiny_mg_cfg(prm_warmup_iters=10))
    hub = MessageHub.get_current_instance()
    old = hub.get_info('iter')
    try:
        hub.update_info('iter', 5)
        assert not any(model._prm_guided() for _ in range(20))
        hub.update_info('iter', 30)
        assert all(model._prm_guided() for _ in range(20))
        hub.update_info('iter', 15)
        torch.manual_seed(0)
        picks = [model._prm_guided() for _ in range(200)]
        assert 60 < sum(picks) < 140
    finally:
        hub.update_info('iter', old)


def test_loss_weights_in_trimap_stage():
    """Before the PRM warm-up ends, os4 / os1 are supervised on the trimap's
    unknown region and os8 everywhere: check against a direct computation."""
    torch.manual_seed(0)
    model = MODELS.build(
        tiny_mg_cfg(prm_warmup_iters=10**9)).eval()  # BN in eval: repeatable
    inputs, ds = synthetic_batch()
    losses = model._forward_train(inputs, ds)
    out = model._forward(inputs)
    unknown = inputs[:, 4:5]

    def l1(p, w):
        return ((p - ds.gt_alpha).abs() * w).sum() / w.sum()

    # the official (2, 1, 1) / 5, with the config's (0.4, 0.2, 0.2) as given
    expect = (2 * l1(out['alpha_os1'], unknown) +
              l1(out['alpha_os4'], unknown) +
              l1(out['alpha_os8'], torch.ones_like(unknown))) / 5
    torch.testing.assert_close(losses['loss_alpha'], expect)
    assert set(losses) == {'loss_alpha', 'loss_comp', 'loss_lap'}


def test_output_weights_default_and_validation():
    """The loss's default output weights are the official (2, 1, 1) / 5
    and every weight must be positive."""
    cfg = tiny_mg_cfg()
    cfg['head']['loss'].pop('output_weights')
    model = MODELS.build(cfg)
    assert model.head.loss_module.output_weights == pytest.approx(
        dict(alpha_os1=0.4, alpha_os4=0.2, alpha_os8=0.2))
    for bad in [dict(alpha_os1=0.4, alpha_os4=0.0, alpha_os8=0.2),
                dict(alpha_os1=1.0, alpha_os4=-0.2, alpha_os8=0.2)]:
        cfg = tiny_mg_cfg()
        cfg['head']['loss']['output_weights'] = bad
        with pytest.raises(ValueError, match='positive'):
            MODELS.build(cfg)


def test_mgmatting_trains_on_cpu():
    """A few Adam steps (PRM active from the start) lower the loss, and every
    part of the network gets gradients."""
    torch.manual_seed(0)
    np.random.seed(0)
    model = MODELS.build(tiny_mg_cfg(prm_warmup_iters=0)).train()
    inputs, ds = synthetic_batch(n=2, size=64)
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    totals = []
    for step in range(6):
        losses = model._forward_train(inputs, ds)
        total = sum(losses.values())
        optim.backward(total)
        if step == 0:
            for name, p in model.named_parameters():
                if name.startswith(('backbone.conv1', 'neck.convs.0',
                                    'head.shortcut.0', 'head.refine')):
                    assert p.grad is not None and p.grad.abs().sum() > 0, name
        optim.step()
        optim.zero_grad()
        totals.append(total.item())
    assert all(np.isfinite(totals))
    # measured with this seed: 5.14, 1.90, 1.57, 1.05, 0.79, 0.56; require
    # the last two steps to average below half of the first
    assert np.mean(totals[-2:]) < 0.5 * totals[0], totals


def test_train_step_through_preprocessor():
    """``train_step`` on packed uint8 samples (the dataloader's format)."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_mg_cfg(prm_warmup_iters=0))
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    log = model.train_step(packed_batch(), optim)
    assert set(log) >= {'loss', 'loss_alpha', 'loss_comp', 'loss_lap'}
    assert np.isfinite(log['loss'].item())


def packed_batch(n: int = 2, size: int = 64, seed: int = 0) -> dict:
    """``n`` samples as the dataloader gives them (FormatTrimap + PackInputs
    on uint8 arrays): a square foreground with a soft border."""
    rng = np.random.default_rng(seed)
    data = dict(inputs=[], data_samples=[])
    for _ in range(n):
        alpha = np.zeros((size, size), np.uint8)
        alpha[size // 4:3 * size // 4, size // 4:3 * size // 4] = 255
        alpha[size // 4 - 2:3 * size // 4 + 2, size // 4 - 2:size // 4] = 128
        trimap = np.where(alpha == 255, 255, 0).astype(np.uint8)
        band = slice(size // 4 - 6, 3 * size // 4 + 6)
        trimap[band, band][alpha[band, band] != 255] = 128
        fg = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
        bg = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
        a = alpha[..., None] / 255.
        merged = (fg * a + bg * (1 - a)).astype(np.uint8)
        res = dict(alpha=alpha, trimap=trimap, fg=fg, bg=bg, merged=merged)
        res = PackInputs()(FormatTrimap(to_onehot=True)(res))
        data['inputs'].append(res['inputs'])
        data['data_samples'].append(res['data_samples'])
    return data


@pytest.mark.parametrize('name', [
    'gca/gca_r34-random_4xb10-200k_comp1k.py',
    'gca/gca_r50-supervised_4xb10-200k_comp1k.py'
])
def test_gca_configs_train_step(name):
    """The GCA rows (R34-D and our R50 encoder) take Adam steps on packed
    64x64 samples: finite loss, every weight moves."""
    torch.manual_seed(0)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
    model = MODELS.build(cfg.model).train()
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    log = model.train_step(packed_batch(), optim)
    assert np.isfinite(log['loss'].item()) and log['loss'].item() > 0
    moved = sum(not torch.equal(v, before[k])
                for k, v in model.named_parameters())
    assert moved > 0.95 * len(before)


@pytest.mark.parametrize('which,size', [('mg', (50, 70)), ('mg', (64, 40)),
                                        ('gca_r50', (50, 70))])
def test_predict_size_and_known_regions(which, size):
    """Predict mode (BaseMattor: pad to 32, restore, trimap masking) returns
    a uint8 alpha of the input size, 255 / 0 on the trimap's fg / bg."""
    torch.manual_seed(0)
    if which == 'mg':
        model = MODELS.build(tiny_mg_cfg()).eval()
    else:
        cfg = Config.fromfile(
            osp.join(ROOT, 'configs', 'gca',
                     'gca_r50-supervised_4xb10-200k_comp1k.py'))
        model = MODELS.build(cfg.model).eval()
    h, w = size
    rng = np.random.default_rng(1)
    merged = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    trimap = np.full((h, w), 128, np.uint8)
    trimap[:, :w // 3] = 0
    trimap[:, 2 * w // 3:] = 255
    res = dict(
        merged=merged,
        trimap=trimap.copy(),
        ori_trimap=trimap.copy(),
        ori_merged_shape=merged.shape,
        alpha=np.zeros((h, w), np.uint8),
        ori_alpha=np.zeros((h, w), np.uint8))
    res = PackInputs()(FormatTrimap(to_onehot=True)(res))
    data = dict(inputs=[res['inputs']], data_samples=[res['data_samples']])
    with torch.no_grad():
        out = model.test_step(data)
    pred = out[0].output.pred_alpha
    if hasattr(pred, 'data'):
        pred = pred.data
    pred = pred.squeeze()
    assert pred.shape == (h, w) and pred.dtype == torch.uint8
    t = torch.from_numpy(trimap)
    assert torch.all(pred[t == 255] == 255)
    assert torch.all(pred[t == 0] == 0)
    if which == 'gca_r50':
        # the unknown region carries the network's (non-trivial) prediction
        assert pred[t == 128].float().std() > 0
        return
    # the unknown region is the network's fused alpha on the official
    # padding (32 px border), cropped and truncated (the untrained network
    # may be saturated there, so compare values rather than their spread)
    with torch.no_grad():
        inputs = model.data_preprocessor(data, False)['inputs']
        fused = model.predict_alpha(model.resize_inputs(inputs))
    expect = (fused[0, 0, 32:32 + h, 32:32 + w] * 255).floor().to(torch.uint8)
    assert torch.equal(pred[t == 128], expect[t == 128])


def test_tensor_mode_outputs():
    model = MODELS.build(tiny_mg_cfg()).eval()
    inputs, _ = synthetic_batch(n=1, size=64)
    out = model(inputs, mode='tensor')
    assert set(out) == {'alpha_os1', 'alpha_os4', 'alpha_os8'}
    for v in out.values():
        assert v.shape == (1, 1, 64, 64)
        assert v.min() >= 0 and v.max() <= 1
    with pytest.raises(ValueError, match='3 image channels'):
        model(inputs[:, :3], mode='tensor')


def _write_tiny_comp1k(root, rng):
    """Two training foregrounds and one test image (70x90, not a multiple of
    32) in Composition-1k layout with mmagic annotation files."""
    import json

    import cv2
    fg_dir = root / 'Training_set' / 'Adobe-licensed images'
    for sub in ('fg', 'alpha'):
        (fg_dir / sub).mkdir(parents=True, exist_ok=True)
        (root / 'Training_set' / 'Other' / sub).mkdir(parents=True,
                                                       exist_ok=True)
    (root / 'bg').mkdir(parents=True, exist_ok=True)
    train = []
    for i in range(2):
        alpha = np.zeros((80, 80), np.uint8)
        cv2.circle(alpha, (40, 40), 18 + 6 * i, 255, -1)
        alpha = cv2.GaussianBlur(alpha, (9, 9), 3)
        cv2.imwrite(str(fg_dir / 'fg' / f'f{i}.png'),
                    rng.integers(0, 256, (80, 80, 3), dtype=np.uint8))
        cv2.imwrite(str(fg_dir / 'alpha' / f'f{i}.png'), alpha)
        cv2.imwrite(str(root / 'bg' / f'b{i}.png'),
                    rng.integers(0, 256, (96, 96, 3), dtype=np.uint8))
        train.append(
            dict(
                alpha_path=f'{fg_dir.relative_to(root)}/alpha/f{i}.png',
                fg_path=f'{fg_dir.relative_to(root)}/fg/f{i}.png',
                bg_path=f'bg/b{i}.png'))
    test_dir = root / 'Test_set'
    for sub in ('merged', 'alpha', 'trimaps'):
        (test_dir / sub).mkdir(parents=True, exist_ok=True)
    alpha = np.zeros((70, 90), np.uint8)
    cv2.ellipse(alpha, (45, 35), (25, 18), 0, 0, 360, 255, -1)
    alpha = cv2.GaussianBlur(alpha, (7, 7), 2)
    trimap = np.full_like(alpha, 128)
    trimap[alpha == 0] = 0
    trimap[alpha == 255] = 255
    cv2.imwrite(str(test_dir / 'merged' / 't0.png'),
                rng.integers(0, 256, (70, 90, 3), dtype=np.uint8))
    cv2.imwrite(str(test_dir / 'alpha' / 't0.png'), alpha)
    cv2.imwrite(str(test_dir / 'trimaps' / 't0.png'), trimap)
    meta = dict(dataset_type='matting_dataset', task_name='matting')
    (root / 'training_list.json').write_text(
        json.dumps(dict(metainfo=meta, data_list=train)))
    (root / 'test_list.json').write_text(
        json.dumps(
            dict(
                metainfo=meta,
                data_list=[
                    dict(
                        alpha_path='Test_set/alpha/t0.png',
                        trimap_path='Test_set/trimaps/t0.png',
                        merged_path='Test_set/merged/t0.png')
                ])))


def _write_tiny_d646(root, tmp, rng):
    """Two training (80x80) and one test (70x90) foreground in the
    Distinctions-646 release layout, converted by
    tools/dataset_converters/distinct646.py (test composite on a generated
    VOC stand-in, trimap made on disk)."""
    import cv2
    converters = osp.join(ROOT, 'tools', 'dataset_converters')
    if converters not in sys.path:
        sys.path.insert(0, converters)
    import distinct646
    for split, n, (h, w) in (('Train', 2, (80, 80)), ('Test', 1, (70, 90))):
        for sub in ('FG', 'GT'):
            (root / split / sub).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            alpha = np.zeros((h, w), np.uint8)
            cv2.ellipse(alpha, (w // 2, h // 2), (w // 4 + 4 * i, h // 4), 0,
                        0, 360, 255, -1)
            alpha = cv2.GaussianBlur(alpha, (9, 9), 3)
            cv2.imwrite(str(root / split / 'FG' / f'{split}{i}.png'),
                        rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
            cv2.imwrite(str(root / split / 'GT' / f'{split}{i}.png'), alpha)
    voc = tmp / 'voc'
    voc.mkdir()
    cv2.imwrite(str(voc / 'v0.jpg'),
                rng.integers(0, 256, (60, 80, 3), dtype=np.uint8))
    counts = distinct646.convert(str(root), str(voc), num_bg=1, seed=0)
    assert counts == {'training_list.json': 2, 'test_list.json': 1}


def _write_coco_stand_in(folder, rng):
    """Backgrounds where the configs' RandomLoadResizeBg looks for COCO."""
    import cv2
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(2):
        cv2.imwrite(str(folder / f'b{i}.jpg'),
                    rng.integers(0, 256, (96, 96, 3), dtype=np.uint8))


@pytest.mark.parametrize('name', [
    'mgmatting/mgmatting_r34-random_4xb10-200k_comp1k.py',
    'mgmatting/mgmatting_r34-random_4xb10-200k_d646.py',
    'gca/gca_r34-random_4xb10-200k_d646.py',
])
def test_config_trains_and_validates_with_runner(tmp_path, monkeypatch, name):
    """A shipped row config trains 3 iterations through mmengine's Runner on
    a generated set in its data set's layout, at the config's own data paths
    (64x64 crops; MG Matting's network shrunk, GCA's at full size), and
    validates on a 70x90 test image with the config's metrics.

    The Distinctions-646 set is made by the project's converter, so the
    annotation files and the CompositeFg folders of the d646 rows are
    checked against what the converter writes."""
    from mmengine.runner import Runner
    rng = np.random.default_rng(0)
    if name.endswith('_d646.py'):
        _write_tiny_d646(tmp_path / D646_ROOT, tmp_path, rng)
    else:
        _write_tiny_comp1k(tmp_path / 'data' / 'adobe_composition-1k', rng)
    _write_coco_stand_in(tmp_path / 'data' / 'coco' / 'train2017', rng)
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
    is_mg = 'mgmatting' in name
    if is_mg:
        cfg.model = tiny_mg_cfg(prm_warmup_iters=1)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_iters = 3
    cfg.train_cfg.val_interval = 3
    cfg.param_scheduler = None
    train = cfg.train_dataloader
    train.batch_size, train.num_workers = 2, 0
    train.persistent_workers = False
    for t in train.dataset.pipeline:
        if t['type'] == 'CropAroundCenter':
            t['crop_size'] = 64
        if t['type'] == 'mmcv.RandomApply':
            t['transforms'][0]['scale'] = (96, 96)
    cfg.val_dataloader.num_workers = 0
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 3
    cfg.default_hooks.checkpoint.pop('out_dir', None)  # mmagic's runtime
    cfg.visualizer = dict(type='Visualizer', vis_backends=[])
    cfg.custom_hooks = []
    runner = Runner.from_cfg(cfg)
    before = {
        k: v.detach().clone()
        for k, v in runner.model.named_parameters()
    }
    runner.train()
    logs = runner.message_hub.log_scalars
    assert np.isfinite(logs['train/loss'].current())
    terms = {'train/loss_alpha', 'train/loss_comp', 'train/loss_lap'}
    assert terms & set(logs) == (terms if is_mg else {'train/loss_alpha'})
    changed = sum(not torch.equal(v, before[k])
                  for k, v in runner.model.named_parameters())
    assert changed > 0.9 * len(before)
    val = {k: v.current() for k, v in logs.items() if k.startswith('val/')}
    assert val and all(np.isfinite(v) for v in val.values()), val
    assert osp.isfile(osp.join(cfg.work_dir, 'iter_3.pth'))
