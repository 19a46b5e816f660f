# Copyright (c) dpt-mm contributors. All rights reserved.
"""MatteFormer: PAST encoder, Mattor with PRM, converters and configs.

The official-model fixtures in tests/data are made by
tests/data/make_matteformer_official_fixture.py from the official code
(not in this repository).
"""
import json
import os.path as osp
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

import dpt_mm  # noqa: F401  (registers the modules)
from dpt_mm.models.converters.matteformer import (convert_dpt,
                                                  convert_official,
                                                  convert_supervised,
                                                  slice_to_unfold_order,
                                                  unfold_to_slice_order)
from dpt_mm.models.backbones import MatteFormerEncoder, PASTBlock
from dpt_mm.models.backbones.past_swin import (
    prior_relative_position_index, window_relative_position_index)
from dpt_mm.registry import MODELS
from tool_scripts import load_tool

init_default_scope('mmagic')  # data preprocessors resolve in mmagic's scope
REPO = Path(__file__).resolve().parents[3]
DATA = REPO / 'tests' / 'data'
TINY_FIXTURE = DATA / 'matteformer_official_tiny.pth'
SHAPES_FIXTURE = DATA / 'matteformer_official_swin-t_shapes.json'
PREPROCESSOR = dict(
    type='MattorPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    proc_trimap='as_is')


def tiny_model_cfg(embed=8,
                   depths=(2, 2, 2, 2),
                   heads=(1, 2, 2, 4),
                   shortcut=(8, 8, 8, 16, 16, 32),
                   refine=8,
                   **kwargs) -> dict:
    """A MatteFormer with the fixture's tiny widths."""
    c = embed
    kwargs.setdefault('train_cfg', dict(prm_warmup_iters=5000))
    kwargs.setdefault('test_cfg', dict(pad_border=32, alpha_rounding='floor'))
    return dict(
        type='Mattor',
        data_preprocessor=PREPROCESSOR,
        backbone=dict(
            type='MatteFormerEncoder',
            arch=dict(
                embed_dims=c, depths=tuple(depths), num_heads=tuple(heads)),
            drop_path_rate=0.3),
        head=dict(
            type='MattingHead',
            in_channels=(6, c, c, 2 * c, 4 * c, 8 * c),
            shortcut_channels=shortcut,
            refine_channels=refine,
            loss=dict(
                type='MattingOutputsLoss',
                whole_image_outputs=['alpha_os8'])),
        **kwargs)


def random_onehot_trimap(n, h, w, seed=0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    coarse = torch.randint(0, 3, (n, 1, h // 8, w // 8), generator=g)
    labels = F.interpolate(coarse.float(), size=(h, w),
                           mode='nearest').long()[:, 0]
    return F.one_hot(labels, 3).permute(0, 3, 1, 2).float()


# ---------------------------------------------------------------- encoder


def test_registered_without_collision():
    from mmagic.registry import MODELS as MMAGIC_MODELS
    assert MMAGIC_MODELS.get('Mattor') is not None
    assert MMAGIC_MODELS.get('MatteFormerEncoder') is MatteFormerEncoder


def test_relative_position_index_with_priors():
    from mmpretrain.models.utils.attention import WindowMSA
    spatial = window_relative_position_index((7, 7))
    # the spatial block is Swin's own index (mmpretrain's construction)
    ref = WindowMSA(8, (7, 7), 1).relative_position_index
    assert torch.equal(spatial, ref)
    index = prior_relative_position_index((7, 7), 6)
    assert index.shape == (49, 55)
    assert torch.equal(index[:, :49], spatial)
    # prior column t uses table row 169 + t for every query
    for t in range(6):
        assert (index[:, 49 + t] == 169 + t).all()


def test_region_means_exact():
    x = torch.arange(24, dtype=torch.float32).view(1, 6, 4)  # B, L, C
    regions = torch.tensor([[[1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 1, 1],
                             [0, 0, 0, 0, 0, 0]]]).float()
    means = PASTBlock.region_means(x, regions)
    assert torch.allclose(means[0, 0], x[0, :2].mean(0))
    assert torch.allclose(means[0, 1], x[0, 2:].mean(0))
    assert torch.equal(means[0, 2], torch.zeros(4))  # empty region


def test_encoder_shapes_and_gradients():
    torch.manual_seed(0)
    enc = MatteFormerEncoder(
        arch=dict(embed_dims=8, depths=(2, 2, 2, 2), num_heads=(1, 2, 2, 4)))
    x = torch.cat([torch.randn(2, 3, 64, 96),
                   random_onehot_trimap(2, 64, 96)], 1)
    outs = enc(x)
    assert [tuple(o.shape) for o in outs] == [(2, 6, 64, 96), (2, 8, 16, 24),
                                              (2, 8, 16, 24), (2, 16, 8, 12),
                                              (2, 32, 4, 6), (2, 64, 2, 3)]
    assert enc.out_channels == (6, 8, 8, 16, 32, 64)
    sum(o.square().mean() for o in outs[1:]).backward()
    for name, p in enc.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    # the prior rows of the last block's table receive gradient
    table = enc.stages[3].blocks[1].attn.w_msa.relative_position_bias_table
    assert table.shape == (169 + 6, 4)
    assert table.grad[169:].abs().sum() > 0


def test_encoder_uses_trimap_priors():
    torch.manual_seed(0)
    enc = MatteFormerEncoder(
        arch=dict(embed_dims=8, depths=(2, 2, 2, 2),
                  num_heads=(1, 2, 2, 4))).eval()
    image = torch.randn(1, 3, 64, 64)
    t1 = random_onehot_trimap(1, 64, 64, seed=1)
    t2 = random_onehot_trimap(1, 64, 64, seed=2)
    with torch.no_grad():
        a = enc(torch.cat([image, t1], 1))[-1]
        b = enc(torch.cat([image, t2], 1))[-1]
        # the trimap enters through the patch embedding and the priors:
        # zeroing the trimap filters leaves only the priors
        enc.patch_embed.projection.weight[:, 3:] = 0
        c = enc(torch.cat([image, t1], 1))[-1]
        d = enc(torch.cat([image, t2], 1))[-1]
    assert (a - b).abs().max() > 1e-3
    assert (c - d).abs().max() > 1e-3


def test_bad_input_raises():
    enc = MatteFormerEncoder(
        arch=dict(embed_dims=8, depths=(2, 2, 2, 2), num_heads=(1, 2, 2, 4)))
    with pytest.raises(ValueError, match='expects'):
        enc(torch.randn(1, 4, 64, 64))
    with pytest.raises(ValueError, match='arch'):
        MatteFormerEncoder(arch=dict(embed_dims=8, depths=(2, 2, 2, 2)))


# PRM: tests/test_models/test_heads/test_prm.py


# ---------------------------------------------------------------- official


@pytest.fixture(scope='module')
def official_tiny():
    return torch.load(TINY_FIXTURE, map_location='cpu', weights_only=True)


def test_official_conversion_strict_and_every_key_used(official_tiny):
    model = MODELS.build(tiny_model_cfg())
    dropped = []
    converted = convert_official(official_tiny['state_dict'], dropped=dropped)
    result = model.load_state_dict(converted, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    official_keys = set(official_tiny['state_dict'])
    # every official key is converted except the derived index buffers
    assert {k for k, _ in dropped} == {
        k
        for k in official_keys if k.endswith('relative_position_index')
    }
    assert len(converted) + len(dropped) == len(official_keys)
    # with a DataParallel prefix and a checkpoint wrapper too
    wrapped = {
        'state_dict': {
            'module.' + k: v
            for k, v in official_tiny['state_dict'].items()
        }
    }
    assert convert_official(wrapped).keys() == converted.keys()
    with pytest.raises(KeyError, match='unrecognised'):
        convert_official({'encoder.foo.weight': torch.zeros(1)})


def test_official_forward_equivalence(official_tiny):
    model = MODELS.build(tiny_model_cfg())
    model.load_state_dict(convert_official(official_tiny['state_dict']))
    model.eval()
    inputs = torch.cat([official_tiny['image'], official_tiny['trimap']], 1)
    with torch.no_grad():
        out = model(inputs, mode='tensor')
    for key, ref in official_tiny['outputs'].items():
        assert out[key].shape == ref.shape
        err = (out[key] - ref).abs().max().item()
        assert err < 2e-5, f'{key}: max abs error {err}'
        # the outputs are not saturated: the comparison is informative
        assert ((ref > 0.01) & (ref < 0.99)).float().mean() > 0.9
    # the encoder + shortcut blocks match level by level as well
    with torch.no_grad():
        feats = model.backbone(inputs)
        for level, ref in official_tiny['shortcut_features'].items():
            ours = model.head.shortcut[level](feats[level])
            # features reach O(1e3): error relative to the level's scale
            rel = (ours - ref).abs().max() / ref.abs().max()
            assert rel < 1e-5, f'level {level}: relative error {rel}'


def test_official_cli(official_tiny, tmp_path, capsys):
    cli = load_tool('tools/model_converters/official2dptmm.py',
                    'matteformer_official')
    src = tmp_path / 'best_model.pth'
    torch.save({'state_dict': {'module.' + k: v for k, v in
                               official_tiny['state_dict'].items()}}, src)
    dst = tmp_path / 'out' / 'converted.pth'
    assert cli.main([str(src), str(dst), '--model', 'matteformer']) == 0
    out = capsys.readouterr().out
    assert out.count('  dropped: ') == 8  # one index buffer per block
    model = MODELS.build(tiny_model_cfg())
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    model.load_state_dict(ckpt['state_dict'], strict=True)
    bad = tmp_path / 'bad.pth'
    bad.write_bytes(b'not a checkpoint')
    assert cli.main([str(bad), str(tmp_path / 'x.pth'), '--model',
                     'matteformer']) == 2
    assert 'bad.pth' in capsys.readouterr().err
    assert not (tmp_path / 'x.pth').exists()


def test_patch_merging_order_matches_official_slicing():
    from mmcv.cnn.bricks.transformer import PatchMerging
    torch.manual_seed(0)
    c, h, w = 4, 6, 8
    x = torch.randn(2, h * w, c)
    weight = torch.randn(2 * c, 4 * c)
    gamma, beta = torch.randn(4 * c), torch.randn(4 * c)
    # official: concat [(0,0), (1,0), (0,1), (1,1)] neighbours, LN, Linear
    xs = x.view(2, h, w, c)
    cat = torch.cat([
        xs[:, 0::2, 0::2], xs[:, 1::2, 0::2], xs[:, 0::2, 1::2],
        xs[:, 1::2, 1::2]
    ], -1).view(2, -1, 4 * c)
    ref = F.linear(F.layer_norm(cat, (4 * c, ), gamma, beta), weight)
    pm = PatchMerging(c, 2 * c)
    pm.load_state_dict({
        'reduction.weight': slice_to_unfold_order(weight),
        'norm.weight': slice_to_unfold_order(gamma),
        'norm.bias': slice_to_unfold_order(beta)
    })
    out, size = pm(x, (h, w))
    assert size == (h // 2, w // 2)
    assert torch.allclose(out, ref, atol=1e-5)
    assert torch.equal(unfold_to_slice_order(slice_to_unfold_order(weight)),
                       weight)


def test_swin_t_structure_and_parameter_count():
    manifest = json.loads(SHAPES_FIXTURE.read_text())
    model = MODELS.build(
        tiny_model_cfg(
            embed=96,
            depths=(2, 2, 6, 2),
            heads=(3, 6, 12, 24),
            shortcut=(32, 32, 64, 128, 256, 512),
            refine=32))
    official = {}
    for key, (shape, kind) in manifest['keys'].items():
        if key.endswith('relative_position_index'):
            w = 7
            official[key] = prior_relative_position_index(
                (w, w), shape[1] - shape[0])
        else:
            official[key] = torch.zeros(shape)
    converted = convert_official(official)
    ours = model.state_dict()
    assert converted.keys() == ours.keys()
    for key, value in converted.items():
        assert value.shape == ours[key].shape, key
    model.load_state_dict(converted, strict=True)
    # parameter count both ways: trainable parameters are identical; the
    # official total also counts SpectralNorm's u / v (Parameters there,
    # buffers in torch's spectral_norm)
    n_ours = sum(p.numel() for p in model.parameters())
    assert n_ours == manifest['num_trainable'] == 44_747_130
    n_uv = sum(b.numel() for k, b in model.named_buffers()
               if k.endswith(('weight_u', 'weight_v')))
    assert n_ours + n_uv == manifest['num_parameters'] == 44_813_136
    n_manifest = sum(
        int(np.prod(s)) for k, (s, kind) in manifest['keys'].items()
        if kind == 'param')
    assert n_manifest == n_ours


# ---------------------------------------------------------------- converters


def _mmpretrain_swin(in_channels=3):
    from mmpretrain.models import SwinTransformer
    torch.manual_seed(0)
    return SwinTransformer(
        arch=dict(embed_dims=8, depths=(2, 2, 2, 2), num_heads=(1, 2, 2, 4)),
        in_channels=in_channels,
        out_indices=(0, 1, 2, 3))


def _to_official_swin_names(mm_sd):
    """mmpretrain Swin keys -> official Swin release keys (for the test)."""
    out = {}
    for k, v in mm_sd.items():
        k2 = k.replace('patch_embed.projection', 'patch_embed.proj').replace(
            'stages.', 'layers.').replace('attn.w_msa.', 'attn.').replace(
                'ffn.layers.0.0.', 'mlp.fc1.').replace('ffn.layers.1.',
                                                       'mlp.fc2.')
        if '.downsample.' in k2:
            v = unfold_to_slice_order(v)
        if k2 == 'norm3.weight' or k2 == 'norm3.bias':
            k2 = k2.replace('norm3', 'norm')
        elif k2.startswith('norm'):
            continue
        out[k2] = v
    out['head.weight'] = torch.zeros(10, 64)
    out['head.bias'] = torch.zeros(10)
    out['layers.0.blocks.1.attn_mask'] = torch.zeros(4, 49, 49)
    return out


def test_convert_supervised_mmpretrain_and_official_release_agree():
    mm_sd = {'backbone.' + k: v for k, v in _mmpretrain_swin().state_dict()
             .items()}
    mm_sd['head.fc.weight'] = torch.zeros(10, 64)
    dropped = []
    conv = convert_supervised(mm_sd, seed=3, dropped=dropped)
    model = MODELS.build(tiny_model_cfg())
    result = model.load_state_dict(conv, strict=False)
    assert not result.unexpected_keys
    # missing: the output norms and the decoder (trained from scratch)
    assert all(
        k.startswith(('backbone.norm', 'head.')) for k in result.missing_keys)
    assert any(k.startswith('backbone.norm0') for k in result.missing_keys)
    w = conv['backbone.patch_embed.projection.weight']
    assert w.shape == (8, 6, 4, 4)
    assert torch.equal(w[:, :3],
                       mm_sd['backbone.patch_embed.projection.weight'])
    assert w[:, 3:].std() > 0
    for i in range(4):
        for j in range(2):
            key = (f'backbone.stages.{i}.blocks.{j}.attn.w_msa.'
                   'relative_position_bias_table')
            src = mm_sd[key]
            assert conv[key].shape[0] == src.shape[0] + 3 * (j + 1)
            assert torch.equal(conv[key][:169], src)
    reasons = dict(dropped)
    assert 'head.fc.weight' in reasons and 'backbone.norm3.weight' in reasons
    # the official Swin release naming gives the same initialisation
    conv_off = convert_supervised(
        _to_official_swin_names(_mmpretrain_swin().state_dict()), seed=3)
    assert conv_off.keys() == conv.keys()
    for k in conv:
        assert torch.equal(conv_off[k], conv[k]), k
    # seeded
    again = convert_supervised(mm_sd, seed=3)
    assert all(torch.equal(again[k], conv[k]) for k in conv)


@pytest.mark.parametrize('part', ['encoder', 'encoder+decoder'])
def test_convert_dpt(part):
    dpt = MODELS.build(
        dict(
            type='Mattor',
            data_preprocessor=PREPROCESSOR,
            backbone=dict(
                type='MattingSwinTransformer',
                arch=dict(
                    embed_dims=8, depths=(2, 2, 2, 2),
                    num_heads=(1, 2, 2, 4)),
                in_channels=6),
            head=dict(
                type='MattingHead',
                in_channels=(6, 8, 8, 16, 32, 64),
                shortcut_channels=(8, 8, 8, 16, 16, 32),
                refine_channels=8)))
    sd = dpt.state_dict()
    dropped = []
    conv = convert_dpt({'state_dict': sd, 'meta': {}}, part, dropped=dropped)
    model = MODELS.build(tiny_model_cfg())
    strict = part == 'encoder+decoder'
    result = model.load_state_dict(conv, strict=strict)
    if not strict:
        assert not result.unexpected_keys
        assert result.missing_keys and all(
            k.startswith('head.') for k in result.missing_keys)
    assert torch.equal(conv['backbone.patch_embed.projection.weight'],
                       sd['backbone.patch_embed.projection.weight'])
    assert torch.equal(conv['backbone.norm3.weight'],
                       sd['backbone.norm3.weight'])
    key = 'backbone.stages.2.blocks.1.attn.w_msa.relative_position_bias_table'
    assert conv[key].shape[0] == 169 + 6
    assert torch.equal(conv[key][:169], sd[key])
    dropped_keys = {k for k, _ in dropped}
    assert all(k.endswith('relative_position_index') or k.startswith('head.')
               for k in dropped_keys)
    with pytest.raises(ValueError, match='part'):
        convert_dpt(sd, 'decoder')


# ---------------------------------------------------------------- mattor


def _pack_test_sample(tmp_path, h=50, w=70, seed=0):
    """Run mmagic's test pipeline on generated files; returns a batch."""
    from mmagic.registry import TRANSFORMS
    from mmengine.dataset import Compose, pseudo_collate
    rng = np.random.default_rng(seed)
    merged = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    trimap = np.full((h, w), 128, np.uint8)
    trimap[:, :w // 3] = 0
    trimap[:, 2 * w // 3:] = 255
    alpha = np.where(trimap == 128, 100, trimap).astype(np.uint8)
    paths = {}
    for name, img in dict(merged=merged, trimap=trimap, alpha=alpha).items():
        paths[name] = str(tmp_path / f'{name}.png')
        cv2.imwrite(paths[name], img)
    from mmengine.config import Config
    test_pipeline = Config.fromfile(
        str(REPO / 'configs/_base_/datasets/comp1k_mg.py')).test_pipeline
    pipeline = Compose([TRANSFORMS.build(t) for t in test_pipeline])
    sample = pipeline(
        dict(
            merged_path=paths['merged'],
            trimap_path=paths['trimap'],
            alpha_path=paths['alpha']))
    return pseudo_collate([sample]), trimap


def test_predict_returns_input_size_with_known_regions(tmp_path):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg()).eval()
    batch, trimap = _pack_test_sample(tmp_path)
    with torch.no_grad():
        out = model.test_step(batch)
    pred = out[0].output.pred_alpha
    assert pred.dtype == torch.uint8
    assert tuple(pred.shape) == trimap.shape  # 50 x 70, not padded
    pred = pred.numpy()
    assert (pred[trimap == 255] == 255).all()
    assert (pred[trimap == 0] == 0).all()
    unknown = pred[trimap == 128]
    assert unknown.std() > 0  # the network's own prediction there
    # fuse=False returns the raw OS1 output
    model.test_cfg['fuse'] = False
    with torch.no_grad():
        raw = model.test_step(batch)[0].output.pred_alpha.numpy()
    assert raw.shape == pred.shape


def _train_batch(n=2, h=64, w=64, seed=0):
    from mmagic.structures import DataSample
    g = torch.Generator().manual_seed(seed)
    trimap = random_onehot_trimap(n, h, w, seed)
    labels = trimap.argmax(1, keepdim=True).float()
    gt_alpha = torch.where(labels == 1, torch.rand(n, 1, h, w, generator=g),
                           labels / 2)
    fg = torch.rand(n, 3, h, w, generator=g)
    bg = torch.rand(n, 3, h, w, generator=g)
    merged = gt_alpha * fg + (1 - gt_alpha) * bg
    inputs = torch.cat([(merged - 0.45) / 0.225, trimap], 1)
    ds = DataSample.stack([
        DataSample(
            gt_alpha=gt_alpha[i],
            gt_fg=fg[i],
            gt_bg=bg[i],
            gt_merged=merged[i],
            trimap=trimap[i]) for i in range(n)
    ])
    return inputs, ds


def test_train_losses_prm_schedule(monkeypatch):
    from dpt_mm.models.base_models import mattor as mf
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(train_cfg=dict(prm_warmup_iters=10)))
    calls = []
    real = mf.progressive_refinement

    def spy(*args, **kwargs):
        calls.append(kwargs.get('random_widths'))
        return real(*args, **kwargs)

    monkeypatch.setattr(mf, 'progressive_refinement', spy)
    monkeypatch.setattr(model, '_current_iter', lambda: 0)
    inputs, ds = _train_batch()
    losses = model(inputs, ds, mode='loss')
    assert set(losses) == {'loss_alpha', 'loss_comp', 'loss_lap'}
    assert not calls  # warm-up: trimap's unknown region, no PRM
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.patch_embed.projection.weight.grad.abs().sum() > 0
    monkeypatch.setattr(model, '_current_iter', lambda: 30)
    model(inputs, ds, mode='loss')
    assert calls == [True]  # after 3x warm-up: always PRM


def test_prm_middle_band_mixes_trimap_regions_and_prm():
    """MatteFormer's default warm-up 5000: below it always the trimap's
    regions, in [5000, 15000) either with probability 1/2, from 15000 PRM."""
    from mmengine.logging import MessageHub
    model = MODELS.build(tiny_model_cfg())
    info = MessageHub.get_current_instance().runtime_info
    old = dict(info)
    torch.manual_seed(0)
    try:
        for it, low, high in ((4999, 50, 50), (5000, 15, 35),
                              (14999, 15, 35), (15000, 0, 0)):
            info['iter'] = it
            picks = sum(not model._prm_guided() for _ in range(50))
            assert low <= picks <= high, (it, picks)
    finally:
        info.clear()
        info.update(old)


def test_iteration_counter_outside_a_runner(monkeypatch):
    """Without a runner's 'iter' the mattor counts its own training steps,
    so the warm-up still ends."""
    from mmengine.logging import MessageHub
    from dpt_mm.models.base_models import mattor as mf
    model = MODELS.build(tiny_model_cfg(train_cfg=dict(prm_warmup_iters=1)))
    info = MessageHub.get_current_instance().runtime_info
    monkeypatch.delitem(info, 'iter', raising=False)  # no runner
    calls = []
    real = mf.progressive_refinement
    monkeypatch.setattr(
        mf, 'progressive_refinement',
        lambda *a, **k: calls.append(1) or real(*a, **k))
    inputs, ds = _train_batch()
    assert model._current_iter() == 0
    model(inputs, ds, mode='loss')  # iteration 0 < warm-up: no PRM
    assert calls == [] and model._current_iter() == 1
    model._local_iter = 3  # 3 x warm-up: PRM from now on
    model(inputs, ds, mode='loss')
    assert calls == [1] and model._current_iter() == 4


def make_tiny_comp1k(root: Path) -> None:
    """Two foregrounds with soft round alphas and two backgrounds in
    Composition-1k layout with mmagic's ``training_list.json``."""
    rng = np.random.default_rng(0)
    fg_rel = 'Training_set/Adobe-licensed images'
    train = []
    for sub in (f'{fg_rel}/fg', f'{fg_rel}/alpha', 'Training_set/Other/fg',
                'Training_set/Other/alpha', 'bg'):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(2):
        alpha = np.zeros((80, 80), np.uint8)
        cv2.circle(alpha, (40, 40), 20 + 5 * i, 255, -1)
        alpha = cv2.GaussianBlur(alpha, (9, 9), 3)
        cv2.imwrite(str(root / fg_rel / 'fg' / f'f{i}.png'),
                    rng.integers(0, 256, (80, 80, 3), dtype=np.uint8))
        cv2.imwrite(str(root / fg_rel / 'alpha' / f'f{i}.png'), alpha)
        cv2.imwrite(str(root / 'bg' / f'b{i}.jpg'),
                    rng.integers(0, 256, (90, 90, 3), dtype=np.uint8))
        train.append(
            dict(
                alpha_path=f'{fg_rel}/alpha/f{i}.png',
                fg_path=f'{fg_rel}/fg/f{i}.png',
                bg_path=f'bg/b{i}.jpg'))
    meta = dict(dataset_type='matting_dataset', task_name='matting')
    (root / 'training_list.json').write_text(
        json.dumps(dict(metainfo=meta, data_list=train)))


def _point_at(cfg, root: str, work_dir: str, iters: int, crop: int = 64):
    """Train-only overrides: data under ``root``, small crops, no val."""
    cfg.work_dir = work_dir
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = 100
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.train_dataloader.batch_size = 2
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.train_dataloader.dataset.data_root = root
    fg = f'{root}/Training_set/Adobe-licensed images'
    for t in cfg.train_dataloader.dataset.pipeline:
        if t['type'] == 'CropAroundCenter':
            t['crop_size'] = crop
        elif t['type'] == 'CompositeFg':
            t['fg_dirs'], t['alpha_dirs'] = [f'{fg}/fg'], [f'{fg}/alpha']
        elif t['type'] == 'RandomLoadResizeBg':
            t['bg_dir'] = f'{root}/bg'
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = iters
    cfg.load_from = None
    return cfg


def test_demo_config_trains_a_few_iterations(tmp_path, monkeypatch):
    """The demo config builds and trains on a tiny generated matting set in
    Composition-1k layout."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    root = tmp_path / 'comp1k'
    make_tiny_comp1k(root)
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(str(REPO / 'configs/demo/matteformer-tiny_demo.py'))
    cfg = _point_at(cfg, str(root), str(tmp_path / 'work'), iters=3)
    runner = Runner.from_cfg(cfg)
    before = {
        k: v.detach().clone()
        for k, v in runner.model.named_parameters()
    }
    runner.train()
    logs = runner.message_hub.log_scalars
    assert np.isfinite(logs['train/loss'].current())
    assert {'train/loss_alpha', 'train/loss_comp',
            'train/loss_lap'} <= set(logs)
    changed = [
        k for k, v in runner.model.named_parameters()
        if not torch.equal(v, before[k])
    ]
    assert len(changed) > 0.9 * len(before)
    assert osp.isfile(osp.join(cfg.work_dir, 'iter_3.pth'))


CONFIGS = sorted((REPO / 'configs' / 'matteformer').glob('matteformer_*.py'))


def test_row_configs():
    from mmengine.config import Config
    names = {p.name for p in CONFIGS}
    for init in ('random', 'supervised', 'dpt', 'dpt-encdec'):
        assert f'matteformer_swin-t-{init}_4xb10-200k_comp1k.py' in names
    for init in ('random', 'supervised', 'dpt'):
        assert f'matteformer_swin-t-{init}_4xb10-200k_d646.py' in names
    built = False
    for path in CONFIGS:
        cfg = Config.fromfile(str(path))
        assert cfg.model.type == 'Mattor'
        assert cfg.optim_wrapper.optimizer == dict(
            type='Adam', lr=1e-3, betas=(0.5, 0.999))
        assert cfg.train_cfg.max_iters == 200_000
        assert cfg.train_dataloader.batch_size == 10
        assert cfg.param_scheduler[0].end == 5000
        init = path.name.split('swin-t-')[1].split('_')[0]
        assert (cfg.load_from is None) == (init == 'random')
        if init == 'dpt-encdec':
            assert 'encdec' in cfg.load_from
        data_root = cfg.train_dataloader.dataset.data_root
        assert ('Distinctions-646' in data_root) == path.stem.endswith('d646')
        if not built:  # one full-size build (the model is shared)
            model = MODELS.build(cfg.model)
            assert sum(p.numel() for p in model.parameters()) == 44_747_130
            built = True


@pytest.mark.slow
def test_row_config_trains_one_iteration(tmp_path, monkeypatch):
    """The full-size Composition-1k row config (Swin-T MatteFormer) trains
    an iteration on the tiny set (the rows differ only in load_from)."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    root = tmp_path / 'comp1k'
    make_tiny_comp1k(root)
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(
        str(REPO / 'configs/matteformer/'
            'matteformer_swin-t-random_4xb10-200k_comp1k.py'))
    cfg = _point_at(cfg, str(root), str(tmp_path / 'work'), iters=1)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert np.isfinite(runner.message_hub.log_scalars['train/loss'].current())
    assert osp.isfile(osp.join(cfg.work_dir, 'iter_1.pth'))
