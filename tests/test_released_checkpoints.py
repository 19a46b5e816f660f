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
import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import dpt_mm  # noqa: F401
from dpt_mm.models.converters.matteformer import (convert_official,
                                                  slice_to_unfold_order)
from dpt_mm.models.converters.released import (ReleasedCheckpointError,
                                               convert_dpt_release,
                                               convert_released,
                                               detect_layout)
from dpt_mm.models.editors.matteformer.past_encoder import \
    prior_relative_position_index
from dpt_mm.registry import MODELS
from dpt_mm.utils.io import read_checkpoint

init_default_scope('mmagic')
REPO = Path(__file__).resolve().parents[1]
DATA = REPO / 'tests' / 'data'
TINY = dict(embed=8, shortcut=(8, 8, 8, 16, 16, 32), refine=8)


def tiny_model_cfg() -> dict:
    """The MatteFormer of the official tiny fixture (as in
    tests/test_matteformer.py), with the configs' test_cfg."""
    c = TINY['embed']
    return dict(
        type='MatteFormer',
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
            self_refine_width1=30,
            self_refine_width2=15))


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
    state = convert_dpt_release(read_checkpoint(str(path)), dropped=dropped)
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
    state = convert_dpt_release(as_dpt_release(official))
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
    with pytest.raises(ReleasedCheckpointError, match='GCA-Matting'):
        convert_released({
            'encoder.conv1.module.weight_bar': torch.zeros(1),
            'encoder.gca.conv.weight': torch.zeros(1)
        })
    with pytest.raises(ReleasedCheckpointError, match='unrecognised'):
        convert_released({'fc.weight': torch.zeros(1)})
    with pytest.raises(ReleasedCheckpointError, match='not a Generator_DPT'):
        convert_dpt_release({'backbone.x': torch.zeros(1)})
    ours = {'backbone.x': torch.ones(1)}
    state, layout = convert_released(ours)
    assert layout == 'dpt-mm' and state['backbone.x'] is ours['backbone.x']


def _load_infer_cli():
    spec = importlib.util.spec_from_file_location(
        'dpt_infer_tool_released', REPO / 'tools' / 'infer.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    spec = importlib.util.spec_from_file_location(
        'matteformer_official_cli',
        REPO / 'tools' / 'model_converters' / 'matteformer_official.py')
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    src = tmp_path / 'best_model_mse.pth'
    torch.save(as_dpt_release(official_tiny['state_dict']), src)
    dst = tmp_path / 'dpt_matteformer.pth'
    assert cli.main([str(src), str(dst)]) == 0
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    expected = convert_official(official_tiny['state_dict'])
    assert saved['state_dict'].keys() == expected.keys()
    assert all(torch.equal(saved['state_dict'][k], v)
               for k, v in expected.items())
