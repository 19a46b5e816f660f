"""The DPT paper's tables (the configs' metafile.yml files laid out by
docs/paper_tables.yml, read by tools/paper_table.py): every row maps to
configs that build and train, the docs show the same tables, and the tool
prints measured metrics (fake metric files here) beside the paper's
numbers."""
import copy
import functools
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import dpt_mm  # noqa: F401
from dpt_mm.models.converters import convert_dpt
from dpt_mm.registry import MODELS
from tool_scripts import load_tool

init_default_scope('mmagic')
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIGS = osp.join(ROOT, 'configs')
DOCS = osp.join(ROOT, 'docs', 'finetune_configs.md')
TINY_SWIN = dict(embed_dims=8, depths=(2, 2, 2, 2), num_heads=(1, 2, 2, 4))
CROP = 64


def _tool():
    return load_tool('tools/paper_table.py', 'paper_table')


pt = _tool()  # the tables, as the tool reads them


def _cfg(rel):
    return Config.fromfile(osp.join(CONFIGS, rel))


_read = functools.lru_cache(maxsize=None)(_cfg)  # read-only uses


# ------------------------------------------------------------- the registry
def test_every_row_has_a_config_or_a_reason():
    keys = [t.key for t in pt.TABLES]
    assert keys == ['1', '2', '3', '4', '5', '6', '7', '8', 'fig7', 'vit']
    for table in pt.TABLES:
        for row in table.rows:
            assert len(row.label) == len(table.columns), row
            assert len(row.paper) == len(table.metrics), row
            assert (row.config is None) == bool(row.reported_only), row
            if row.config is None:
                continue
            for rel in {row.config, row.trained_by}:
                assert osp.isfile(osp.join(CONFIGS, rel)), rel
            assert row.init is not None
            load_from = _read(row.trained_by).get('load_from')
            if row.init.kind == 'random':
                assert load_from is None
            elif row.init.kind == 'dpt':
                assert osp.isfile(osp.join(CONFIGS, row.init.pretrain))
                # encoder+decoder: a converted '-encdec' file, or the
                # pre-training checkpoint itself (same network, R34 rows)
                stem = osp.splitext(osp.basename(row.init.pretrain))[0]
                direct = load_from == f'work_dirs/{stem}/epoch_100.pth'
                assert load_from and ('encdec' in load_from or direct) == (
                    row.init.part == 'encoder+decoder'), (row, load_from)
            # work dirs are named after the configs (the table tool's key)
            assert _read(row.config).work_dir == f'./work_dirs/{row.stem}'
    # the DPT rows of Tables 1 and 3-7 are the encoder + decoder model, the
    # encoder-only one appears once (Table 6)
    for key in ('1', '3', '4', '5', '6', '7'):
        dpt = [r for r in pt.get_table(key).rows if r.paper[:2] == (21.0, 3.1)]
        assert dpt and all(r.init.part == 'encoder+decoder' for r in dpt)
    enc = [r for t in pt.TABLES if t.key != 'vit' for r in t.rows
           if r.init and r.init.kind == 'dpt' and r.init.part == 'encoder']
    assert [r.paper for r in enc] == [(22.1, 3.4)]


def test_vit_rows():
    """The ViTMatte rows: -S from random / DINO / DPT / DINO then DPT, -B
    from MAE / DPT / MAE then DPT, both DPT stages; ViTMatte's published
    numbers on the DINO and MAE rows only, every other row new; each DPT
    row's pre-training config is the one its folder's metafile names."""
    import yaml
    table = pt.get_table('vit')
    assert table.decimals == 2
    got = [(r.label, r.paper) for r in table.rows]
    new = (None, ) * 4
    assert got == [
        (('ViTMatte-S', 'Random', '-'), new),
        (('ViTMatte-S', 'DINO', 'Encoder'), (21.46, 3.3, 7.24, 16.21)),
        (('ViTMatte-S', 'DPT', 'Encoder'), new),
        (('ViTMatte-S', 'DPT', 'Encoder+Decoder'), new),
        (('ViTMatte-S', 'DINO then DPT', 'Encoder'), new),
        (('ViTMatte-S', 'DINO then DPT', 'Encoder+Decoder'), new),
        (('ViTMatte-B', 'MAE', 'Encoder'), (20.33, 3.0, 6.74, 14.78)),
        (('ViTMatte-B', 'DPT', 'Encoder'), new),
        (('ViTMatte-B', 'DPT', 'Encoder+Decoder'), new),
        (('ViTMatte-B', 'MAE then DPT', 'Encoder'), new),
        (('ViTMatte-B', 'MAE then DPT', 'Encoder+Decoder'), new),
    ]
    assert all(r.note.startswith('new') for r in table.rows
               if r.paper == new)
    with open(osp.join(CONFIGS, 'vitmatte', 'metafile.yml')) as f:
        meta = {m['Config']: m for m in yaml.safe_load(f)['Models']}
    for row in table.rows:
        entry = meta[f'configs/{row.config}']
        init = entry['Metadata']['Initialization']
        assert init['Kind'] == row.init.kind, row
        if row.paper == new:
            assert entry['Results'] is None
            assert entry['Metadata']['Note'].startswith('new')
        else:
            metrics = entry['Results'][0]['Metrics']
            assert metrics['SAD'] == row.paper[0]
        if row.init.kind == 'dpt':
            assert init['Pretrain'] == f'configs/{row.init.pretrain}'
            assert init['Part'] == row.init.part
    # DINO / MAE then DPT: the pre-training starts from the row's weights
    for rel, first in (('dpt_vitmatte-s-dino_in1k.py',
                        'vitmatte/vitmatte_vit-s-dino_2xb16-100e_comp1k.py'),
                       ('dpt_vitmatte-b-mae_in1k.py',
                        'vitmatte/vitmatte_vit-b-mae_2xb10-100e_comp1k.py')):
        assert _read(rel).load_from == _read(first).load_from is not None


def test_table2_rows_test_comp1k_models_on_distinct646():
    rows = [r for r in pt.get_table('2').rows if r.config]
    assert [r.label[0] for r in rows] == [
        'GCA*', 'MG Matting*', 'MatteFormer*', 'DPT*'
    ]
    for row in rows:
        test, train = _read(row.config), _read(row.trained_by)
        assert row.config.endswith('_d646-test.py')
        assert train.train_dataloader.dataset.data_root.endswith(
            'composition-1k')
        for split in ('val_dataloader', 'test_dataloader'):
            assert test[split].dataset.data_root == 'data/Distinctions-646'
            assert test[split].dataset.ann_file == train[
                split].dataset.ann_file
        # everything but the names and the evaluation data is the training
        # config's
        a, b = test.to_dict(), train.to_dict()
        for d in (a, b):
            for k in ('experiment_name', 'work_dir', 'val_dataloader',
                      'test_dataloader', 'd646_root'):
                d.pop(k, None)
        assert a == b


def test_docs_show_the_generated_tables_and_no_na():
    text = open(DOCS).read()
    begin, end = '<!-- paper-tables:begin -->', '<!-- paper-tables:end -->'
    block = text.split(begin)[1].split(end)[0]
    assert block.strip() == pt.docs_markdown().strip(), (
        'docs/finetune_configs.md is out of date: paste the output of '
        'tools/paper_table.py --docs between the markers')
    assert 'n/a' not in text.lower()
    for rel in pt.EXTRAS:
        assert osp.isfile(osp.join(CONFIGS, rel)), rel
        assert f'`configs/{rel}`' in text
    # every shipped fine-tuning config is a row or a labelled extra
    shipped = {
        f'{d}/{f}'
        for d in ('gca', 'matteformer', 'mgmatting', 'vitmatte')
        for f in os.listdir(osp.join(CONFIGS, d))
        if f.endswith('.py') and not f.startswith('base_')
    }
    assert shipped == set(pt.row_configs()) | set(pt.EXTRAS)


def test_metafiles_follow_the_model_index_format():
    """Every config folder's metafile.yml lists each of its configs once,
    as OpenMMLab's model index does (Collections / Models with Name, In
    Collection, Config, Metadata, Results, Weights)."""
    import glob

    import yaml
    metafiles = sorted(glob.glob(osp.join(CONFIGS, '**', 'metafile.yml'),
                                 recursive=True))
    assert {osp.relpath(osp.dirname(m), CONFIGS) for m in metafiles} == {
        '.', 'dpt_ablations', 'gca', 'matteformer', 'mgmatting', 'vitmatte'}
    for path in metafiles:
        with open(path) as f:
            meta = yaml.safe_load(f)
        folder = osp.dirname(path)
        collections = {c['Name'] for c in meta['Collections']}
        for c in meta['Collections']:
            assert osp.isfile(osp.join(ROOT, c['README'])), c['README']
        listed = []
        for model in meta['Models']:
            assert set(model) == {'Name', 'In Collection', 'Config',
                                  'Metadata', 'Results', 'Weights'}, model
            assert model['In Collection'] in collections
            assert osp.dirname(osp.join(ROOT, model['Config'])) == folder
            assert model['Name'] == osp.splitext(
                osp.basename(model['Config']))[0]
            for result in model['Results'] or []:
                assert set(result['Metrics']) <= set(pt.METRICS), result
            listed.append(osp.basename(model['Config']))
        shipped = sorted(
            f for f in os.listdir(folder) if f.endswith('.py')
            and not f.startswith('base_')
            and f != 'dpt_swin-t_8xb64-coslr-100e_in1k.py')
        assert sorted(listed) == shipped, path


# ------------------------------------------------------------- the tool
def _write(path, data):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(data if isinstance(data, str) else json.dumps(data))


def test_tool_prints_measured_beside_paper(tmp_path, capsys):
    work = tmp_path / 'work_dirs'
    dpt = pt.get_table('1').rows[-1]
    _write(str(work / dpt.stem / pt.METRICS_FILE),
           dict(SAD=21.514, MSE=0.0032, Grad=7.04, Conn=16.2))
    d646 = next(r for r in pt.get_table('2').rows if r.label == ('DPT*', ))
    # a metrics file passed directly; its folder names the config
    direct = tmp_path / 'elsewhere' / d646.stem / 'm.json'
    _write(str(direct), {'SAD': 29.0, 'MSE': 0.004, 'Grad': 19.5,
                         'Conn': 20.25})
    _write(str(work / 'not_a_row' / pt.METRICS_FILE), {'SAD': 1.0})
    tool = _tool()
    assert tool.main([str(work), str(direct)]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith('DPT (Ours)'))
    cells = line.split()
    # paper, measured (MSE x1e3) for SAD / MSE / Grad / Conn
    assert cells[2:10] == ['21.0', '21.51', '3.1', '3.20', '7.0', '7.04',
                           '15.9', '16.20']
    assert cells[-1] == dpt.stem
    line = next(x for x in out.splitlines() if x.startswith('DPT *') or
                x.startswith('DPT*'))
    assert line.split()[1:9] == ['28.5', '29.00', '3.8', '4.00', '18.0',
                                 '19.50', '19.0', '20.25']
    knn = next(x for x in out.splitlines() if x.startswith('KNN-Matting'))
    assert knn.split()[1:3] == ['175.4', '-'] and 'reported only' in knn
    sim = next(x for x in out.splitlines() if x.startswith('SimMIM'))
    assert sim.split()[1:5] == ['24.6', '-', '4.2', '-']
    assert sim.endswith('(not run)')
    assert 'no table row: not_a_row' in out
    # Table 3 alone, as markdown; the DPT row is measured there too
    assert tool.main([str(work), '--table', '3', '--format', 'markdown']) == 0
    out = capsys.readouterr().out
    assert out.count('### ') == 1 and 'Table 3' in out
    assert '| DPT (Ours) | 21.0 | 21.51 | 3.1 | 3.20 |' in out


@pytest.mark.parametrize('content,problem', [
    ('{"SAD": ', 'not valid JSON'),
    ('[1, 2]', 'expected a JSON object'),
    ('{"SAD": "x"}', "metric 'SAD' is not a finite number"),
    ('{"SAD": NaN}', "metric 'SAD' is not a finite number"),
    ('{"loss": 1.0}', 'none of SAD, MSE, Grad, Conn'),
])
def test_tool_rejects_bad_metric_files(tmp_path, capsys, content, problem):
    path = str(tmp_path / 'w' / pt.METRICS_FILE)
    _write(path, content)
    assert _tool().main([str(tmp_path / 'w')]) == 2
    captured = capsys.readouterr()
    assert captured.out == ''
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f'error: {path}: ')
    assert problem in lines[0]


def test_tool_rejects_missing_and_duplicate_inputs(tmp_path, capsys):
    tool = _tool()
    assert tool.main([str(tmp_path / 'nothing')]) == 2
    assert 'no such file or folder' in capsys.readouterr().err
    empty = tmp_path / 'empty'
    empty.mkdir()
    assert tool.main([str(empty)]) == 2
    assert f'error: {empty}: no {pt.METRICS_FILE}' in capsys.readouterr().err
    stem = pt.get_table('3').rows[0].stem
    a = tmp_path / 'a' / stem / pt.METRICS_FILE
    b = tmp_path / 'b' / stem / pt.METRICS_FILE
    for p in (a, b):
        _write(str(p), {'SAD': 1.0})
    assert tool.main([str(tmp_path / 'a'), str(tmp_path / 'b')]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f'error: {b}: a second metrics file for {stem}')


# ------------------------------------------- every row config builds / trains
def shrink(cfg: Config) -> Config:
    """Tiny widths for the Swin rows (the same for the pre-training and the
    fine-tuning network, so DPT weights still convert), 64 px crops, batch
    2, no workers; the ResNet rows keep their widths."""
    model = cfg.model
    bb = model.get('backbone', {})
    if bb.get('type') in ('MatteFormerEncoder', 'MattingSwinTransformer'):
        bb.arch = dict(TINY_SWIN)
        if bb.type == 'MattingSwinTransformer':
            bb.update(img_size=CROP, pad_small_map=True)
        head = model.head
        head.in_channels = (head.in_channels[0], 8, 8, 16, 32, 64)
        head.update(shortcut_channels=(8, 8, 8, 16, 16, 32), refine_channels=8)
    if bb.get('type') == 'ViTMatteViT':
        bb.update(
            arch=dict(embed_dims=32, num_layers=3, num_heads=2),
            global_indices=(2, ),
            window_size=2)
        model.head.in_channels = 32
        cfg.optim_wrapper.type = 'OptimWrapper'  # no AMP on the CPU
        cfg.optim_wrapper.pop('loss_scale', None)
        cfg.load_from = None  # DINO / MAE files
    if bb.get('type') == 'SimpleEncoderDecoder' and bb.encoder.get(
            'init_cfg'):
        bb.encoder.init_cfg = None  # mmagic's download of the R34-D weights
    for t in cfg.train_dataloader.dataset.pipeline:
        for key in ('crop_size', 'min_size'):
            if key in t:
                t[key] = CROP if isinstance(t[key], int) else (CROP, CROP)
        if t['type'] == 'Resize' and tuple(t.get('scale', ())) == (224, 224):
            t['scale'] = (CROP, CROP)  # the authors' squash resize
        if t['type'] == 'mmcv.RandomApply':
            t['transforms'][0]['scale'] = (96, 96)
    cfg.train_dataloader.update(
        batch_size=2, num_workers=0, persistent_workers=False)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.pop('out_dir', None)  # mmagic's runtime
    cfg.visualizer = dict(type='Visualizer', vis_backends=[])
    cfg.custom_hooks = []
    cfg.sync_bn = None
    cfg.randomness = dict(seed=0)
    return cfg


FINETUNE = sorted({r.trained_by for r in pt.reproduced_rows()})
TESTS = sorted({r.config for r in pt.reproduced_rows()} - set(FINETUNE))
PRETRAIN = sorted(set(pt.pretrain_configs()) | {'dpt_swin-t_in1k_authors.py'})


@pytest.mark.parametrize('rel', FINETUNE + TESTS + PRETRAIN)
def test_row_config_builds(rel):
    """Every config behind a table row (fine-tuning, Table 2 test and DPT
    pre-training) resolves and builds, with the Swin rows at tiny widths."""
    cfg = shrink(_cfg(rel))
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 1e4


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
    """The demo data generator's sets where the configs look for data:
    data/imagenet (4 images: 2 iterations of batch 2), data/adobe_
    composition-1k, data/coco/train2017, data/Distinctions-646 (the demo
    matting set again, in the layout the converter writes)."""
    import sys
    sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters'))
    import make_demo_data
    root = tmp_path_factory.mktemp('rows')
    make_demo_data.make_demo_data(
        str(root / 'demo'), seed=0, num_in1k=4, num_train=2, num_test=1,
        num_bg=2, size=96)
    (root / 'data' / 'coco').mkdir(parents=True)
    links = {
        'data/imagenet': 'demo/in1k',
        'data/adobe_composition-1k': 'demo/comp1k',
        'data/Distinctions-646': 'demo/comp1k',
        'data/coco/train2017': 'demo/comp1k/bg',
    }
    for link, target in links.items():
        os.symlink(str(root / target), str(root / link))
    return root


def _pretrained_init(row_init, tmp_path):
    """The row's DPT init made the documented way from the tiny
    pre-training network: build it from the pre-training config, convert
    with dpt2finetune's converter."""
    torch.manual_seed(0)
    dpt = MODELS.build(shrink(_cfg(row_init.pretrain)).model)
    state = convert_dpt({'state_dict': dpt.state_dict()}, row_init.model,
                        row_init.part)
    path = str(tmp_path / 'init.pth')
    torch.save({'state_dict': state, 'meta': {}}, path)
    return path, state


@pytest.mark.slow
@pytest.mark.parametrize('rel', FINETUNE + TESTS + PRETRAIN)
def test_row_config_trains_two_iterations(rel, data_dir, tmp_path,
                                          monkeypatch):
    """Each row config runs on the demo data: pre-training and fine-tuning
    configs train two iterations (a DPT row from the converted tiny DPT
    network of its own pre-training config), the Table 2 test configs run
    their test loop on the Distinct-646 layout."""
    from mmengine.runner import Runner
    monkeypatch.chdir(data_dir)
    cfg = shrink(_cfg(rel))
    cfg.work_dir = str(tmp_path / 'work')
    if rel in TESTS:
        # the metrics file tools/test.py --out-metrics writes, where
        # tools/paper_table.py looks for it
        stem = osp.splitext(osp.basename(rel))[0]
        out = str(tmp_path / 'work_dirs' / stem / pt.METRICS_FILE)
        cfg.custom_hooks = [dict(type='DumpMetricsHook', out_file=out)]
        cfg.load_from = None
        Runner.from_cfg(cfg).test()
        metrics = _tool().collect([str(tmp_path / 'work_dirs')])[stem]
        assert set(metrics) == {'SAD', 'MSE', 'Grad', 'Conn'}
        assert all(np.isfinite(v) for v in metrics.values()), metrics
        return
    expected = None
    if rel in PRETRAIN:
        cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
    else:
        cfg.train_cfg.update(max_iters=2, val_interval=10)
        init = next(r.init for r in pt.reproduced_rows()
                    if r.trained_by == rel)
        cfg.load_from = None
        if init.kind == 'dpt':
            cfg.load_from, expected = _pretrained_init(init, tmp_path)
    cfg.default_hooks.checkpoint.interval = 1000
    runner = Runner.from_cfg(cfg)
    if expected is not None:
        result = runner.model.load_state_dict(
            copy.deepcopy(expected), strict=False)
        assert not result.unexpected_keys
        if init.part == 'encoder+decoder' and init.model in ('matteformer',
                                                            'vitmatte'):
            assert not result.missing_keys
    runner.train()
    assert runner.iter == 2
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert np.isfinite(loss) and loss > 0
