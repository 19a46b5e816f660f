# Copyright (c) dpt-mm contributors. All rights reserved.
"""Released checkpoints: layout detection, the DPT authors' MatteFormer
release (``Generator_DPT`` saved by their trainer) and on-the-fly
conversion in ``tools/infer.py``.

The DPT release has webtoon/matteformer's key layout (``encoder.*`` +
``decoder.*``) saved as ``{'iter', 'loss', 'state_dict', 'opt_state_dict',
'lr_state_dict'}`` with DataParallel's ``module.`` prefix; the tests wrap
the official tiny fixture (tests/data/make_matteformer_official_fixture.py)
and a seeded random full-size Swin-T state dict that way.
"""
import json
from functools import partial
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope

import dpt_mm  # noqa: F401
from dpt_mm.models.converters.matteformer import (convert_official,
                                                  slice_to_unfold_order)
from dpt_mm.models.converters.released import (ReleasedCheckpointError,
                                               convert_released,
                                               detect_layout)
from dpt_mm.models.backbones.past_swin import \
    prior_relative_position_index
from dpt_mm.registry import MODELS
from dpt_mm.utils.io import read_checkpoint
from tool_scripts import load_tool

init_default_scope('mmagic')
REPO = Path(__file__).resolve().parents[3]
DATA = REPO / 'tests' / 'data'
TINY = dict(embed=8, shortcut=(8, 8, 8, 16, 16, 32), refine=8)


def tiny_model_cfg() -> dict:
    """The MatteFormer of the official tiny fixture (as in
    tests/test_models/test_editors/test_matteformer.py), with the
    configs' test_cfg."""
    c = TINY['embed']
    return dict(
        type='Mattor',
        data_preprocessor=dict(
            type='MattorPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            proc_trimap='as_is'),
        backbone=dict(
            type='MatteFormerEncoder',
            arch=dict(embed_dims=c, depths=(2, 2, 2, 2),
                      num_heads=(1, 2, 2, 4)),
            drop_path_rate=0.3),
        head=dict(
            type='MattingHead',
            in_channels=(6, c, c, 2 * c, 4 * c, 8 * c),
            shortcut_channels=TINY['shortcut'],
            refine_channels=TINY['refine']),
        test_cfg=dict(
            resize_method='pad',
            resize_mode='reflect',
            size_divisor=32,
            pad_border=32,
            alpha_rounding='floor',
            refine_widths=(30, 15)))


def as_dpt_release(generator_state: dict) -> dict:
    """A generator state dict saved the way crystraldo/dpt's trainer saves
    it: DataParallel-wrapped, with optimizer and scheduler state."""
    weights = {'module.' + k: v for k, v in generator_state.items()}
    return {
        'iter': 200,
        'loss': torch.tensor(0.125),
        'state_dict': weights,
        'opt_state_dict': {
            'state': {},
            'param_groups': [{
                'lr': 1e-4,
                'betas': (0.5, 0.999),
                'weight_decay': 0.05,
                'params': [0, 1]
            }]
        },
        'lr_state_dict': {
            'T_max': 90,
            'eta_min': 0,
            'base_lrs': [1e-3],
            'last_epoch': 10
        },
    }


@pytest.fixture(scope='module')
def official_tiny():
    return torch.load(
        DATA / 'matteformer_official_tiny.pth',
        map_location='cpu',
        weights_only=True)


def full_swin_t_official(seed: int = 0) -> dict:
    """Seeded random weights with the full-size official layout (key ->
    shape from tests/data/matteformer_official_swin-t_shapes.json)."""
    manifest = json.loads(
        (DATA / 'matteformer_official_swin-t_shapes.json').read_text())
    g = torch.Generator().manual_seed(seed)
    out = {}
    for key, (shape, _) in manifest['keys'].items():
        if key.endswith('relative_position_index'):
            out[key] = prior_relative_position_index((7, 7),
                                                     shape[1] - shape[0])
        elif key.endswith('num_batches_tracked'):
            out[key] = torch.tensor(7)
        else:
            out[key] = torch.randn(shape, generator=g)
    return out


def test_detect_layout():
    official = full_swin_t_official()
    assert detect_layout(official) == 'matteformer-official'
    assert detect_layout(as_dpt_release(official)) == 'matteformer-official'
    ours = {'backbone.a': torch.zeros(1), 'head.b': torch.zeros(1)}
    assert detect_layout({'state_dict': ours, 'meta': {}}) == 'dpt-mm'
    resnet = {
        'encoder.conv1.module.weight_bar': torch.zeros(1),
        'decoder.layer1.0.conv1.module.weight_bar': torch.zeros(1)
    }
    assert detect_layout({**resnet, 'aspp.conv1.weight': torch.zeros(1)}) \
        == 'mgmatting-official'
    assert detect_layout({**resnet, 'encoder.gca.conv.weight':
                          torch.zeros(1)}) == 'gca-official'
    assert detect_layout({'fc.weight': torch.zeros(1)}) is None
    assert detect_layout({}) is None


def test_dpt_release_forward_equals_official(official_tiny, tmp_path):
    """Saved as the DPT trainer saves it, read back with dpt-mm's loader,
    converted: the outputs equal the official network's (1e-4)."""
    path = tmp_path / 'best_model_mse.pth'
    torch.save(as_dpt_release(official_tiny['state_dict']), path)
    dropped = []
    state = convert_released(read_checkpoint(str(path)), dropped)[0]
    assert {k for k, _ in dropped} == {
        k
        for k in official_tiny['state_dict']
        if k.endswith('relative_position_index')
    }
    model = MODELS.build(tiny_model_cfg())
    model.load_state_dict(state, strict=True)
    model.eval()
    inputs = torch.cat([official_tiny['image'], official_tiny['trimap']], 1)
    with torch.no_grad():
        out = model(inputs, mode='tensor')
    for key, ref in official_tiny['outputs'].items():
        err = (out[key] - ref).abs().max().item()
        assert err <= 1e-4, f'{key}: max abs error {err}'


def test_dpt_release_full_swin_t_loads_into_the_configs():
    official = full_swin_t_official(seed=1)
    state = convert_released(as_dpt_release(official))[0]
    cfg = Config.fromfile(
        str(REPO / 'configs' / 'matteformer' /
            'matteformer_swin-t-dpt-encdec_4xb10-200k_comp1k.py'))
    model = MODELS.build(cfg.model)
    result = model.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    ours = model.state_dict()
    # spot checks of the mapping on distinct random tensors
    assert torch.equal(ours['backbone.patch_embed.projection.weight'],
                       official['encoder.patch_embed.proj.weight'])
    assert torch.equal(
        ours['backbone.stages.2.blocks.5.ffn.layers.0.0.weight'],
        official['encoder.layers.2.blocks.5.mlp.fc1.weight'])
    assert torch.equal(
        ours['backbone.stages.1.downsample.reduction.weight'],
        slice_to_unfold_order(
            official['encoder.layers.1.downsample.reduction.weight']))
    assert torch.equal(ours['head.refine_OS1.0.weight'],
                       official['decoder.refine_OS1.0.weight'])
    # the same as webtoon/matteformer's converter on the bare dict
    bare = convert_official(official)
    assert bare.keys() == state.keys()
    assert all(torch.equal(bare[k], state[k]) for k in bare)


def test_convert_released_refuses_what_it_cannot_convert():
    with pytest.raises(KeyError, match='official GCA-Matting key'):
        convert_released({
            'encoder.conv1.module.weight_bar': torch.zeros(1),
            'encoder.gca.conv.weight': torch.zeros(1)
        })
    with pytest.raises(ReleasedCheckpointError, match='unrecognised'):
        convert_released({'fc.weight': torch.zeros(1)})
    ours = {'backbone.x': torch.ones(1)}
    state, layout = convert_released(ours)
    assert layout == 'dpt-mm' and state['backbone.x'] is ours['backbone.x']


def _load_infer_cli():
    return load_tool('tools/infer.py', 'dpt_infer_tool_released')


def test_infer_accepts_the_release_directly(official_tiny, tmp_path,
                                            capsys):
    """tools/infer.py with the release file gives the matte of the
    converted dpt-mm checkpoint, and says that it converted."""
    from mmengine.runner import save_checkpoint
    pipeline = Config.fromfile(
        str(REPO / 'configs' / '_base_' / 'datasets' /
            'comp1k_mg.py')).to_dict()['test_pipeline']
    cfg = Config(
        dict(
            default_scope='mmagic',
            custom_imports=dict(imports=['dpt_mm']),
            model=tiny_model_cfg(),
            test_dataloader=dict(dataset=dict(pipeline=pipeline))))
    cfg_path = str(tmp_path / 'tiny_matteformer.py')
    cfg.dump(cfg_path)
    release = tmp_path / 'dpt_release.pth'
    torch.save(as_dpt_release(official_tiny['state_dict']), release)
    converted = tmp_path / 'converted.pth'
    save_checkpoint(
        dict(state_dict=convert_official(official_tiny['state_dict'])),
        str(converted))

    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (40, 56, 3), dtype=np.uint8)
    trimap = np.zeros((40, 56), np.uint8)
    trimap[10:30, 12:44] = 128
    trimap[16:24, 20:36] = 255
    cv2.imwrite(str(tmp_path / 'a.png'), image)
    cv2.imwrite(str(tmp_path / 'a_trimap.png'), trimap)
    cli = _load_infer_cli()
    alphas, notes = [], {}
    for name, ckpt in (('release', release), ('converted', converted)):
        out = tmp_path / name
        assert cli.main([
            cfg_path,
            str(ckpt), '--img',
            str(tmp_path / 'a.png'), '--trimap',
            str(tmp_path / 'a_trimap.png'), '--out',
            str(out), '--device', 'cpu', '--fg-method', 'blur'
        ]) == 0
        err = capsys.readouterr().err
        notes[name] = [x for x in err.splitlines() if x.startswith('note:')]
        alphas.append(cv2.imread(str(out / 'alpha' / 'a.png'), 0))
    assert notes['converted'] == []
    assert len(notes['release']) == 1
    assert str(release) in notes['release'][0]
    assert 'official MatteFormer layout' in notes['release'][0]
    np.testing.assert_array_equal(alphas[0], alphas[1])
    assert len(np.unique(alphas[0][trimap == 128])) > 5  # a real matte



def test_converter_cli_reads_the_release_file(official_tiny, tmp_path,
                                              capsys):
    """The converter command of docs/model_zoo.md on the trainer file."""
    cli = load_tool('tools/model_converters/official2dptmm.py',
                    'matteformer_official_cli')
    src = tmp_path / 'best_model_mse.pth'
    torch.save(as_dpt_release(official_tiny['state_dict']), src)
    dst = tmp_path / 'dpt_matteformer.pth'
    assert cli.main([str(src), str(dst), '--model', 'matteformer']) == 0
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    expected = convert_official(official_tiny['state_dict'])
    assert saved['state_dict'].keys() == expected.keys()
    assert all(torch.equal(saved['state_dict'][k], v)
               for k, v in expected.items())


# ------------------------------------------- official GCA-Matting / MG Matting
# (official name, shape) tables written from the network definitions of
# Yaoyi-Li/GCA-Matting (networks/encoders/resnet_enc.py, res_gca_enc.py,
# networks/decoders/resnet_dec.py, res_gca_dec.py, networks/ops.py) and
# yucornetto/MGMatting (code-base/networks/..., ops.ASPP): ResNet_D with
# blocks 3-4-4-2, decoder blocks 2-3-3-2, SpectralNorm wrappers storing
# ``<conv>.module.weight_bar`` / ``weight_u`` (rows) / ``weight_v`` (cols).
GCA_CFG = REPO / 'configs' / 'gca' / 'gca_r34-random_4xb10-200k_comp1k.py'
MG_CFG = (REPO / 'configs' / 'mgmatting' /
          'mgmatting_r34-random_4xb10-200k_comp1k.py')


def _sn(name, shape):
    rows, cols = shape[0], int(np.prod(shape[1:]))
    return [(f'{name}.module.weight_bar', shape),
            (f'{name}.module.weight_u', (rows, )),
            (f'{name}.module.weight_v', (cols, ))]


def _bn(name, c):
    return [(f'{name}.{s}', (c, ))
            for s in ('weight', 'bias', 'running_mean', 'running_var')
            ] + [(f'{name}.num_batches_tracked', ())]


def official_encoder_table(in_ch, gca):
    t = _sn('conv1', (32, in_ch, 3, 3)) + _bn('bn1', 32)
    t += _sn('conv2', (32, 32, 3, 3)) + _bn('bn2', 32)
    t += _sn('conv3', (64, 32, 3, 3)) + _bn('bn3', 64)
    inplanes = 64
    for name, planes, blocks, stride in (('layer1', 64, 3, 1),
                                         ('layer2', 128, 4, 2),
                                         ('layer3', 256, 4, 2),
                                         ('layer_bottleneck', 512, 2, 2)):
        for j in range(blocks):
            p = f'{name}.{j}'
            t += _sn(f'{p}.conv1', (planes, inplanes if j == 0 else planes,
                                    3, 3)) + _bn(f'{p}.bn1', planes)
            t += _sn(f'{p}.conv2', (planes, planes, 3, 3)) + _bn(
                f'{p}.bn2', planes)
            if j == 0 and stride != 1:
                t += _sn(f'{p}.downsample.1', (planes, inplanes, 1, 1))
                t += _bn(f'{p}.downsample.2', planes)
        inplanes = planes
    for i, (cin, c) in enumerate(((in_ch, 32), (32, 32), (64, 64),
                                  (128, 128), (256, 256))):
        t += _sn(f'shortcut.{i}.0', (c, cin, 3, 3)) + _bn(f'shortcut.{i}.2', c)
        t += _sn(f'shortcut.{i}.3', (c, c, 3, 3)) + _bn(f'shortcut.{i}.5', c)
    if gca:
        for conv, bn, cin, c in ((1, 3, 3, 16), (5, 7, 16, 32),
                                 (9, 11, 32, 128)):
            t += _sn(f'guidance_head.{conv}', (c, cin, 3, 3))
            t += _bn(f'guidance_head.{bn}', c)
        t += _gca_table()
    return [('encoder.' + k, s) for k, s in t]


def _gca_table():
    return [('gca.guidance_conv.weight', (64, 128, 1, 1)),
            ('gca.guidance_conv.bias', (64, )),
            ('gca.W.0.weight', (128, 128, 1, 1))] + _bn('gca.W.1', 128)


def official_decoder_table(gca):
    t, inplanes = [], 512
    for i, (planes, blocks) in enumerate(((256, 2), (128, 3), (64, 3),
                                          (32, 2)), 1):
        for j in range(blocks):
            p = f'layer{i}.{j}'
            if j == 0:  # ConvTranspose2d(in, in, 4): weight (in, out, 4, 4)
                t += _sn(f'{p}.conv1', (inplanes, inplanes, 4, 4))
                t += _bn(f'{p}.bn1', inplanes)
                t += _sn(f'{p}.conv2', (planes, inplanes, 3, 3))
                t += _sn(f'{p}.upsample.1', (planes, inplanes, 1, 1))
                t += _bn(f'{p}.upsample.2', planes)
            else:
                t += _sn(f'{p}.conv1', (planes, planes, 3, 3))
                t += _bn(f'{p}.bn1', planes)
                t += _sn(f'{p}.conv2', (planes, planes, 3, 3))
            t += _bn(f'{p}.bn2', planes)
        inplanes = planes
    t += _sn('conv1', (32, 32, 4, 4)) + _bn('bn1', 32)
    if gca:
        t += [('conv2.weight', (1, 32, 3, 3)), ('conv2.bias', (1, ))]
        t += _gca_table()
    else:
        for os_, cin in ((1, 32), (4, 64), (8, 128)):
            t += [(f'refine_OS{os_}.0.weight', (32, cin, 3, 3))]
            t += _bn(f'refine_OS{os_}.1', 32)
            t += [(f'refine_OS{os_}.3.weight', (1, 32, 3, 3)),
                  (f'refine_OS{os_}.3.bias', (1, ))]
    return [('decoder.' + k, s) for k, s in t]


def official_aspp_table():
    t = []
    for i in range(1, 6):
        k = 3 if i in (2, 3, 4) else 1
        t += [(f'aspp{i}.weight', (256, 512, k, k))] + _bn(f'aspp{i}_bn', 256)
    t += [('conv2.weight', (512, 1280, 1, 1))] + _bn('bn2', 512)
    return [('aspp.' + k, s) for k, s in t]


def seeded(table, seed=0):
    """Random values for a (name, shape) table: positive BN variances,
    unit power-iteration vectors, He-scaled conv weights."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape in table:
        if name.endswith('num_batches_tracked'):
            out[name] = torch.tensor(1000)
        elif name.endswith('running_var'):
            out[name] = torch.rand(shape, generator=g) + 0.5
        elif name.endswith(('weight_u', 'weight_v')):
            v = torch.randn(shape, generator=g)
            out[name] = v / v.norm()
        elif len(shape) == 1:
            out[name] = 0.1 * torch.randn(shape, generator=g) + (
                1.0 if name.endswith('.weight') else 0.0)
        else:
            fan = int(np.prod(shape[1:]))
            out[name] = torch.randn(shape, generator=g) * (2 / fan)**0.5
    # a trained SpectralNorm's vectors are near the singular vectors: three
    # power iterations of the official kind (rows over dim 0)
    for name in [k for k in out if k.endswith('.module.weight_bar')]:
        p = name[:-len('weight_bar')]
        w = out[name].reshape(out[name].shape[0], -1)
        u = out[p + 'weight_u']
        for _ in range(3):
            v = F.normalize(w.t() @ u, dim=0)
            u = F.normalize(w @ v, dim=0)
        out[p + 'weight_u'], out[p + 'weight_v'] = u, v
    return out


def official_gca(seed=0):
    return seeded(
        official_encoder_table(6, True) + official_decoder_table(True), seed)


def official_mg(seed=0):
    return seeded(
        official_encoder_table(4, False) + official_aspp_table() +
        official_decoder_table(False), seed)


def as_trainer_file(state):
    """As both trainers save it: DDP-wrapped, under ``state_dict``."""
    return {'iter': 200000, 'state_dict': {'module.' + k: v
                                           for k, v in state.items()}}


def _build(cfg_path):
    torch.manual_seed(12345)
    return MODELS.build(Config.fromfile(str(cfg_path)).model)


def official_sn_weight(sd, prefix):
    """The official SpectralNorm's eval weight: W / (u . W_rows v) with
    the rows over dim 0 for every conv, transposed ones included."""
    w = sd[prefix + '.module.weight_bar']
    sigma = sd[prefix + '.module.weight_u'] @ (
        w.reshape(w.shape[0], -1) @ sd[prefix + '.module.weight_v'])
    return w / sigma


def _check_loaded(model, fresh, official, in_ch):
    """Strict load went through; no tensor kept its initial value; every
    spectral-normalised conv has the official eval weight."""
    from torch.nn.utils.spectral_norm import SpectralNorm
    loaded = model.state_dict()
    for key, value in fresh.items():
        if value.is_floating_point():
            assert not torch.equal(loaded[key], value), key
    bars = {k[:-len('.module.weight_bar')]: v for k, v in official.items()
            if k.endswith('.module.weight_bar')}
    seen = set()
    for name, module in model.named_modules():
        hooks = [h for h in module._forward_pre_hooks.values()
                 if isinstance(h, SpectralNorm)]
        if not hooks:
            continue
        ours = hooks[0].compute_weight(module, do_power_iteration=False)
        orig = module.weight_orig
        if orig.shape[1] == 6 and in_ch == 4:
            assert orig[:, 3:5].abs().sum() == 0, name  # bg / unknown
            orig, ours = orig[:, [0, 1, 2, 5]], ours[:, [0, 1, 2, 5]]
        match = [p for p, w in bars.items() if torch.equal(w, orig)]
        assert len(match) == 1, name
        seen.add(match[0])
        torch.testing.assert_close(
            ours, official_sn_weight(official, match[0]), rtol=1e-5,
            atol=1e-6)
    assert seen == set(bars)  # each official SN conv became one of ours


def test_detect_and_convert_official_gca():
    from dpt_mm.models.converters.checkpoint import load_strict
    official = official_gca()
    ckpt = as_trainer_file(official)
    assert detect_layout(ckpt) == 'gca-official'
    dropped = []
    state, layout = convert_released(ckpt, dropped)
    assert layout == 'gca-official' and dropped == []
    assert len(state) == len(official)
    model = _build(GCA_CFG)
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    load_strict(model, state, 'gca-dist.pth')
    _check_loaded(model.eval(), fresh, official, 6)
    # the official network's pieces (re-stated below) and ours agree
    e = {
        k[len('encoder.'):]: v
        for k, v in official.items() if k.startswith('encoder.')
    }
    d = {
        k[len('decoder.'):]: v
        for k, v in official.items() if k.startswith('decoder.')
    }
    enc, dec = model.backbone.encoder, model.backbone.decoder
    g = torch.Generator().manual_seed(4)
    x = torch.randn(1, 6, 32, 32, generator=g)
    with torch.no_grad():
        ref1 = F.relu(_bn_f(e, 'bn1', _snc(e, 'conv1', x, 2)))
        ref1 = F.relu(_bn_f(e, 'bn2', _snc(e, 'conv2', ref1)))
        x1 = enc.conv2(enc.conv1(x))
        torch.testing.assert_close(x1, ref1)
        ref2 = F.relu(_bn_f(e, 'bn3', _snc(e, 'conv3', ref1, 2)))
        for j in range(3):
            ref2 = _enc_block(e, f'layer1.{j}', ref2, 1, False)
        x2 = enc.layer1(enc.conv3(x1))
        torch.testing.assert_close(x2, ref2)
        ref3 = ref2
        for j in range(4):
            ref3 = _enc_block(e, f'layer2.{j}', ref3, 2 if j == 0 else 1,
                              j == 0)
        torch.testing.assert_close(enc.layer2(x2), ref3)
        for i, f in enumerate((x, x1, x2)):
            ref = _bn_f(e, f'shortcut.{i}.2',
                        F.relu(_snc(e, f'shortcut.{i}.0', f)))
            ref = _bn_f(e, f'shortcut.{i}.5',
                        F.relu(_snc(e, f'shortcut.{i}.3', ref)))
            torch.testing.assert_close(enc.shortcut[i](f), ref)
        ref = x[:, :3]
        for conv, bn in ((1, 3), (5, 7), (9, 11)):
            ref = F.pad(ref, (1, 1, 1, 1), mode='reflect')
            ref = _bn_f(e, f'guidance_head.{bn}',
                        F.relu(_snc(e, f'guidance_head.{conv}', ref, 2, 0)))
        torch.testing.assert_close(enc.guidance_head(x[:, :3]), ref)
        h = torch.randn(1, 64, 8, 8, generator=g)
        ref = h
        for j in range(2):
            ref = _dec_block(d, f'layer4.{j}', ref, j == 0)
        torch.testing.assert_close(dec.layer4(h), ref)
        ref = F.conv_transpose2d(ref,
                                 official_sn_weight(d, 'conv1'),
                                 stride=2,
                                 padding=1)
        ref = F.leaky_relu(_bn_f(d, 'bn1', ref), 0.2)
        torch.testing.assert_close(dec.conv1(dec.layer4(h)), ref)
    # an unknown official key is refused, not dropped
    with pytest.raises(KeyError, match='encoder.gca.extra'):
        convert_released({**official, 'encoder.gca.extra': torch.zeros(1)})


# ---- MG Matting: an independent re-statement of the official forward
def _bn_f(sd, p, x):
    return F.batch_norm(x, sd[p + '.running_mean'], sd[p + '.running_var'],
                        sd[p + '.weight'], sd[p + '.bias'], False, 0., 1e-5)


def _snc(sd, p, x, stride=1, padding=1, dilation=1):
    return F.conv2d(x, official_sn_weight(sd, p), None, stride, padding,
                    dilation)


def _enc_block(sd, p, x, stride, down):
    out = F.relu(_bn_f(sd, p + '.bn1', _snc(sd, p + '.conv1', x, stride)))
    out = _bn_f(sd, p + '.bn2', _snc(sd, p + '.conv2', out))
    if down:
        x = F.avg_pool2d(x, 2, stride)
        x = _bn_f(sd, p + '.downsample.2',
                  _snc(sd, p + '.downsample.1', x, padding=0))
    return F.relu(out + x)


def _dec_block(sd, p, x, first):
    lrelu = partial(F.leaky_relu, negative_slope=0.2)
    if first:
        out = F.conv_transpose2d(x, official_sn_weight(sd, p + '.conv1'),
                                 stride=2, padding=1)
    else:
        out = _snc(sd, p + '.conv1', x)
    out = lrelu(_bn_f(sd, p + '.bn1', out))
    out = _bn_f(sd, p + '.bn2', _snc(sd, p + '.conv2', out))
    if first:
        x = F.interpolate(x, scale_factor=2, mode='nearest')
        x = _bn_f(sd, p + '.upsample.2',
                  _snc(sd, p + '.upsample.1', x, padding=0))
    return lrelu(out + x)


def official_mg_forward(sd, x):
    """MG Matting's Generator in eval mode, from its code-base's
    definitions (official names, 4-channel image + mask input)."""
    e = {k[len('encoder.'):]: v for k, v in sd.items()
         if k.startswith('encoder.')}
    out = F.relu(_bn_f(e, 'bn1', _snc(e, 'conv1', x, 2)))
    x1 = F.relu(_bn_f(e, 'bn2', _snc(e, 'conv2', out)))
    out = F.relu(_bn_f(e, 'bn3', _snc(e, 'conv3', x1, 2)))
    feats = []
    for name, blocks, stride in (('layer1', 3, 1), ('layer2', 4, 2),
                                 ('layer3', 4, 2),
                                 ('layer_bottleneck', 2, 2)):
        for j in range(blocks):
            out = _enc_block(e, f'{name}.{j}', out, stride if j == 0 else 1,
                             j == 0 and stride != 1)
        feats.append(out)
    x2, x3, x4, out = feats

    def shortcut(i, f):
        f = _bn_f(e, f'shortcut.{i}.2',
                  F.relu(_snc(e, f'shortcut.{i}.0', f)))
        return _bn_f(e, f'shortcut.{i}.5',
                     F.relu(_snc(e, f'shortcut.{i}.3', f)))

    fea = [shortcut(i, f) for i, f in enumerate((x, x1, x2, x3, x4))]
    a = {k[len('aspp.'):]: v for k, v in sd.items() if k.startswith('aspp.')}
    branches = []
    for i, d in ((1, 1), (2, 2), (3, 4), (4, 8)):
        w = a[f'aspp{i}.weight']
        pad = 0 if w.shape[-1] == 1 else d
        branches.append(F.relu(_bn_f(a, f'aspp{i}_bn', F.conv2d(
            out, w, None, 1, pad, d))))
    g = F.conv2d(out.mean((2, 3), keepdim=True), a['aspp5.weight'])
    g = F.relu(_bn_f(a, 'aspp5_bn', g)).expand(-1, -1, *out.shape[2:])
    out = torch.cat(branches + [g], 1)
    out = F.relu(_bn_f(a, 'bn2', F.conv2d(out, a['conv2.weight'])))
    d = {k[len('decoder.'):]: v for k, v in sd.items()
         if k.startswith('decoder.')}

    def layer(i, blocks, h):
        for j in range(blocks):
            h = _dec_block(d, f'layer{i}.{j}', h, j == 0)
        return h

    def refine(os_, h):
        h = F.conv2d(h, d[f'refine_OS{os_}.0.weight'], padding=1)
        h = F.leaky_relu(_bn_f(d, f'refine_OS{os_}.1', h), 0.2)
        return F.conv2d(h, d[f'refine_OS{os_}.3.weight'],
                        d[f'refine_OS{os_}.3.bias'], padding=1)

    h = layer(1, 2, out) + fea[4]
    h = layer(2, 3, h) + fea[3]
    os8 = refine(8, h)
    h = layer(3, 3, h) + fea[2]
    os4 = refine(4, h)
    h = layer(4, 2, h) + fea[1]
    h = F.conv_transpose2d(h, official_sn_weight(d, 'conv1'), stride=2,
                           padding=1)
    h = F.leaky_relu(_bn_f(d, 'bn1', h), 0.2) + fea[0]
    os1 = refine(1, h)
    os4 = F.interpolate(os4, scale_factor=4.0, mode='bilinear',
                        align_corners=False)
    os8 = F.interpolate(os8, scale_factor=8.0, mode='bilinear',
                        align_corners=False)
    return {f'alpha_os{k}': (torch.tanh(v) + 1) / 2
            for k, v in ((1, os1), (4, os4), (8, os8))}


def test_detect_and_convert_official_mgmatting():
    from dpt_mm.models.converters.checkpoint import load_strict
    official = official_mg()
    ckpt = as_trainer_file(official)
    assert detect_layout(ckpt) == 'mgmatting-official'
    state, layout = convert_released(ckpt)
    assert layout == 'mgmatting-official'
    model = _build(MG_CFG)
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    load_strict(model, state, 'MGMatting-DIM-100k.pth')
    model.eval()
    _check_loaded(model, fresh, official, 4)
    # on a trimap, ours = the official network guided by trimap == 255
    g = torch.Generator().manual_seed(3)
    img = torch.randn(1, 3, 64, 64, generator=g)
    labels = torch.randint(0, 3, (1, 64, 64), generator=g)
    onehot = F.one_hot(labels, 3).permute(0, 3, 1, 2).float()
    with torch.no_grad():
        ours = model._forward(torch.cat([img, onehot], 1))
        ref = official_mg_forward(
            official, torch.cat([img, onehot[:, 2:3]], 1))
    for k in ref:
        torch.testing.assert_close(ours[k], ref[k], rtol=1e-4, atol=1e-5)
        assert ref[k].std() > 1e-3  # not a saturated output


def test_official2dptmm_cli(tmp_path, capsys):
    cli = load_tool('tools/model_converters/official2dptmm.py',
                    'official2dptmm_cli')
    src = tmp_path / 'gca-dist.pth'
    torch.save(as_trainer_file(official_gca()), src)
    dst = tmp_path / 'gca_official.pth'
    assert cli.main([str(src), str(dst), '--model', 'gca']) == 0
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    assert saved['state_dict'].keys() == convert_released(
        torch.load(src, weights_only=True))[0].keys()
    capsys.readouterr()
    # an MG Matting file given as GCA: one error line, exit 2, no output
    bad = tmp_path / 'mg.pth'
    torch.save(as_trainer_file(official_mg()), bad)
    assert cli.main([str(bad), str(tmp_path / 'x.pth'), '--model',
                     'gca']) == 2
    err = capsys.readouterr().err
    assert err.startswith(f'error: {bad}: cannot convert it for --model gca'
                          ) and err.count('\n') == 1, err
    assert not (tmp_path / 'x.pth').exists()


@pytest.mark.parametrize('model', ['gca', 'mgmatting'])
def test_infer_accepts_official_gca_and_mgmatting(model, tmp_path, capsys):
    """tools/infer.py takes the official files as they are: one notice,
    and the matte of the converted checkpoint."""
    from mmengine.runner import save_checkpoint
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (40, 56, 3), dtype=np.uint8)
    trimap = np.zeros((40, 56), np.uint8)
    trimap[8:32, 10:46] = 128
    trimap[14:26, 18:38] = 255
    cv2.imwrite(str(tmp_path / 'a.png'), image)
    cv2.imwrite(str(tmp_path / 'a_trimap.png'), trimap)
    cli = _load_infer_cli()
    cfg, official, source = dict(gca=(GCA_CFG, official_gca(), 'GCA-Matting'),
                                 mgmatting=(MG_CFG, official_mg(),
                                            'MG Matting'))[model]
    release = tmp_path / 'release.pth'
    torch.save(as_trainer_file(official), release)
    converted = tmp_path / 'converted.pth'
    save_checkpoint(dict(state_dict=convert_released(official)[0]),
                    str(converted))
    alphas, notes = [], []
    for ckpt in (release, converted):
        out = tmp_path / ckpt.stem
        assert cli.main([
            str(cfg),
            str(ckpt), '--img',
            str(tmp_path / 'a.png'), '--trimap',
            str(tmp_path / 'a_trimap.png'), '--out',
            str(out), '--device', 'cpu', '--fg-method', 'blur'
        ]) == 0
        err = capsys.readouterr().err
        notes.append([x for x in err.splitlines() if x.startswith('note:')])
        alphas.append(cv2.imread(str(out / 'alpha' / 'a.png'), 0))
    assert len(notes[0]) == 1 and notes[1] == []
    assert str(release) in notes[0][0] and source in notes[0][0]
    np.testing.assert_array_equal(alphas[0], alphas[1])
