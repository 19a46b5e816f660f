"""Tests of the evaluation tools: tools/evaluate_mattes.py (offline, on
PNG predictions) and tools/test.py (a config + checkpoint)."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from tool_scripts import load_tool

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
FIXTURE = osp.join(ROOT, 'tests', 'data', 'dim_official_metrics')
with open(osp.join(FIXTURE, 'expected.json')) as _f:
    EXPECTED = json.load(_f)
KEYS = ('SAD', 'MSE', 'Grad', 'Conn')

# registered in sys.modules: workers unpickle functions by name
tool = load_tool('tools/evaluate_mattes.py', 'evaluate_mattes', register=True)


@pytest.fixture
def dirs(tmp_path):
    """A writable copy of the fixture: (pred, alpha, trimap) folders."""
    out = []
    for sub in ('pred', 'alpha', 'trimap'):
        shutil.copytree(osp.join(FIXTURE, sub), tmp_path / sub)
        for name in os.listdir(tmp_path / sub):
            os.chmod(tmp_path / sub / name, 0o644)
        out.append(str(tmp_path / sub))
    return out


def run(dirs, *extra):
    pred, alpha, trimap = dirs
    return tool.main([
        '--pred', pred, '--alpha', alpha, '--trimap', trimap, '--no-progress',
        *extra
    ])


def test_json_reproduces_official_values(dirs, tmp_path, capsys):
    out = tmp_path / 'res' / 'metrics.json'
    assert run(dirs, '--trimap-masking', 'none', '--json', str(out)) == 0
    res = json.loads(out.read_text())
    assert sorted(res['per_image']) == sorted(EXPECTED)
    for name, values in EXPECTED.items():
        for key in KEYS:
            got = res['per_image'][name][key]
            assert abs(got - values[key]) <= 1e-5 * abs(values[key])
    for key in KEYS:
        mean = np.mean([v[key] for v in EXPECTED.values()])
        assert res['mean'][key] == pytest.approx(mean, rel=1e-5)
    assert res['num_images'] == 12 and res['failed'] == {}
    assert res['missing_pred'] == [] and res['extra_pred'] == []
    assert os.listdir(out.parent) == ['metrics.json']  # no temp file left
    table = capsys.readouterr().out
    assert 'case001_07.png' in table and table.count('\n') > 14
    assert f'{res["mean"]["SAD"]:10.4f}' in table


def test_default_masks_predictions(dirs, tmp_path):
    out = tmp_path / 'm.json'
    assert run(dirs, '--json', str(out), '--metrics', 'SAD', 'Grad') == 0
    res = json.loads(out.read_text())
    assert res['trimap_masking'] == 'apply'
    case = res['per_image']['case001_05.png']
    assert sorted(case) == ['Grad', 'SAD']
    want = EXPECTED['case001_05.png']
    assert case['SAD'] == pytest.approx(want['SAD'], rel=1e-5)
    # the fixture's predictions are unmasked: masking changes Grad (-40 %)
    assert case['Grad'] < 0.7 * want['Grad']


def test_missing_and_extra_files_are_listed(dirs, tmp_path, capsys):
    pred, alpha, trimap = dirs
    os.remove(osp.join(pred, 'case001_03.png'))
    shutil.copy(osp.join(pred, 'case001_04.png'), osp.join(pred, 'other.png'))
    os.remove(osp.join(trimap, 'case001_05.png'))
    with open(osp.join(pred, 'notes.txt'), 'w') as f:
        f.write('not an image')
    out = tmp_path / 'r.json'
    assert run(dirs, '--json', str(out), '--allow-missing') == 0
    err = capsys.readouterr().err
    assert 'missing pred (1): case001_03.png' in err
    assert 'extra pred (1): other.png' in err
    assert 'missing trimap (1): case001_05.png' in err
    assert 'ignored (1): ' in err and 'notes.txt' in err
    res = json.loads(out.read_text())
    assert res['num_images'] == 10
    assert res['missing_pred'] == ['case001_03.png']
    assert res['extra_pred'] == ['other.png']
    assert res['missing_trimap'] == ['case001_05.png']
    assert res['ignored'] == [osp.join(pred, 'notes.txt')]
    assert res['num_expected'] == 12
    assert run(dirs, '--allow-missing', '--strict') == 1  # extra, ignored
    capsys.readouterr()
    # the default is strict: no mean over 10 of 12 images, no JSON
    os.remove(out)
    assert run(dirs, '--json', str(out)) == 1
    captured = capsys.readouterr()
    assert 'error: 2 of 12 ground-truth images have no score' in \
        captured.err
    assert 'mean' not in captured.out and not out.exists()


def test_bad_files_fail_alone(dirs, tmp_path, capsys):
    pred, alpha, trimap = dirs
    tri = cv2.imread(osp.join(trimap, 'case001_01.png'), 0)
    tri[0, 0] = 100
    cv2.imwrite(osp.join(trimap, 'case001_01.png'), tri)
    with open(osp.join(pred, 'case001_02.png'), 'wb') as f:
        f.write(b'not a png')
    colour = cv2.imread(osp.join(pred, 'case001_06.png'), 0)
    cv2.imwrite(
        osp.join(pred, 'case001_06.png'),
        np.dstack([colour, colour, 255 - colour]))
    small = cv2.imread(osp.join(pred, 'case001_08.png'), 0)[:-1]
    cv2.imwrite(osp.join(pred, 'case001_08.png'), small)
    out = tmp_path / 'r.json'
    assert run(dirs, '--json', str(out)) == 1  # strict by default
    assert not out.exists()
    assert run(dirs, '--json', str(out), '--allow-missing') == 0
    res = json.loads(out.read_text())
    assert res['num_images'] == 8 and res['num_expected'] == 12
    failed = res['failed']
    assert sorted(failed) == [
        'case001_01.png', 'case001_02.png', 'case001_06.png', 'case001_08.png'
    ]
    assert 'trimap values must be in' in failed['case001_01.png']
    assert 'found 100' in failed['case001_01.png']
    assert 'cannot be read' in failed['case001_02.png']
    assert 'colour image' in failed['case001_06.png']
    assert 'shapes differ' in failed['case001_08.png']
    assert 'case001_08.png' in failed['case001_08.png']
    assert 'failed: case001_02.png' in capsys.readouterr().err


def test_check_mode_rejects_unmasked(dirs):
    assert run(dirs, '--trimap-masking', 'check') == 1  # all unmasked


def test_nothing_evaluated_exits_nonzero(dirs, tmp_path, capsys):
    pred, alpha, trimap = dirs
    empty = tmp_path / 'empty'
    empty.mkdir()
    assert run([str(empty), alpha, trimap]) == 1
    assert 'no image could be evaluated' in capsys.readouterr().err


def test_workers_give_identical_results(dirs, tmp_path):
    one, two = tmp_path / '1.json', tmp_path / '2.json'
    assert run(dirs, '--json', str(one), '--workers', '1') == 0
    assert run(dirs, '--json', str(two), '--workers', '2') == 0
    assert json.loads(one.read_text()) == json.loads(two.read_text())


def test_empty_unknown_region_warns(dirs, tmp_path, capsys):
    pred, alpha, trimap = dirs
    a = cv2.imread(osp.join(alpha, 'case001_09.png'), 0)
    cv2.imwrite(
        osp.join(trimap, 'case001_09.png'),
        np.where(a > 127, 255, 0).astype(np.uint8))
    out = tmp_path / 'r.json'
    assert run(dirs, '--json', str(out)) == 0
    res = json.loads(out.read_text())
    assert res['per_image']['case001_09.png'] == dict(
        SAD=0.0, MSE=0.0, Grad=0.0, Conn=0.0)
    assert 'case001_09.png' in res['warnings']
    assert 'empty unknown region' in capsys.readouterr().err


@pytest.mark.slow
def test_command_line_exit_status(dirs, tmp_path):
    """The script itself (a fresh interpreter importing dpt_mm)."""
    pred, alpha, trimap = dirs
    empty = tmp_path / 'empty'
    empty.mkdir()
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools', 'evaluate_mattes.py'), '--alpha', alpha,
        '--trimap', trimap, '--no-progress'
    ]
    bad = subprocess.run(
        cmd + ['--pred', str(empty)], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1 and 'no image' in bad.stderr
    good = subprocess.run(
        cmd + ['--pred', pred], capture_output=True, text=True, cwd=ROOT)
    assert good.returncode == 0 and 'mean' in good.stdout


# ----------------------------------------------------------- tools/test.py
DEMO_CFG = osp.join(ROOT, 'configs', 'demo', 'matteformer-tiny_demo.py')
DEMO_DATA = osp.join(ROOT, 'data', 'demo', 'comp1k')


def load_test_tool():
    """Import tools/test.py as a module (it is a script)."""
    return load_tool('tools/test.py', 'dpt_test_tool')


@pytest.fixture(scope='module')
def demo_checkpoint(tmp_path_factory):
    """A checkpoint of the tiny demo MatteFormer (random weights), saved
    the way the runner saves it."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import save_checkpoint

    import dpt_mm  # noqa: F401
    from mmagic.registry import MODELS
    init_default_scope('mmagic')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(DEMO_CFG).model)
    path = str(tmp_path_factory.mktemp('ckpt') / 'tiny.pth')
    save_checkpoint(dict(meta=dict(iter=1), state_dict=model.state_dict()),
                    path)
    return path, model.state_dict()


def _test_tool_args(ckpt, tmp_path, name, *extra, data_root=DEMO_DATA):
    return [
        DEMO_CFG, ckpt, '--work-dir',
        str(tmp_path / 'work'), '--out-metrics',
        str(tmp_path / 'metrics.json'), '--save-alpha',
        str(tmp_path / 'alpha'), '--cfg-options', f'experiment_name={name}',
        f'test_dataloader.dataset.data_root={data_root}', *extra
    ]


def test_test_tool_refuses_a_checkpoint_of_another_model(
        demo_checkpoint, tmp_path, capsys):
    """MMEngine would load it non-strictly and evaluate a partly random
    model with exit status 0; the tool stops before the test loop."""
    import torch
    from mmengine.runner import save_checkpoint
    _, state = demo_checkpoint
    names = sorted(state)
    bad_state = {(f'old.{k}' if i % 4 == 0 else k): v
                 for i, (k, v) in enumerate(state.items())}
    renamed = [k for i, k in enumerate(state) if i % 4 == 0]
    dropped = names[-1] if names[-1] not in renamed else names[-2]
    del bad_state[dropped]
    reshaped = next(k for k in names
                    if k not in renamed and k != dropped and
                    state[k].ndim == 2)
    bad_state[reshaped] = torch.zeros(3, 3)
    bad = tmp_path / 'other_model.pth'
    save_checkpoint(dict(meta=dict(), state_dict=bad_state), str(bad))

    rc = load_test_tool().main(_test_tool_args(str(bad), tmp_path, 'bad1'))
    err = capsys.readouterr().err
    assert rc == 2
    line = next(x for x in err.splitlines() if x.startswith('error: '))
    assert line.startswith(
        f'error: {bad}: checkpoint does not match the model of '), line
    missing = [k for k in renamed + [dropped]
               if not k.endswith('num_batches_tracked')]
    assert f'{len(missing)} missing keys (' in line
    assert f'{len(renamed)} unexpected keys (old.' in line
    assert f'1 shape mismatch ({reshaped}: [3, 3] in the checkpoint' in line
    assert len(line) < 1500  # a summary, not every key
    assert not (tmp_path / 'metrics.json').exists()
    assert not (tmp_path / 'alpha').exists()


def test_test_tool_rejects_a_file_that_is_no_checkpoint(
        demo_checkpoint, tmp_path, capsys):
    """Reported before the runner is built (no work dir appears)."""
    junk = tmp_path / 'notes.pth'
    junk.write_text('these are my notes\n')
    tool = load_test_tool()
    rc = tool.main(_test_tool_args(str(junk), tmp_path, 'junk'))
    assert rc == 2
    assert capsys.readouterr().err == (
        f'error: {junk}: not a readable PyTorch checkpoint (neither a zip '
        'archive nor a pickle stream, as torch.save writes)\n')
    assert not (tmp_path / 'work').exists()
    assert tool.main(_test_tool_args(str(tmp_path / 'gone.pth'), tmp_path,
                                     'gone')) == 2
    assert 'gone.pth: checkpoint not found' in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ['notes.pth']


def test_test_tool_loads_the_weights_strictly(demo_checkpoint, tmp_path):
    """A matching checkpoint, also one saved from a DDP-wrapped model
    (``module.`` keys), ends up in the runner's model exactly."""
    import torch
    from mmengine.runner import Runner
    path, state = demo_checkpoint
    tool = load_test_tool()
    ddp = tmp_path / 'ddp.pth'
    torch.save(
        dict(state_dict={f'module.{k}': v
                         for k, v in state.items()}), ddp)
    for i, ckpt in enumerate((path, str(ddp))):
        args = tool.parse_args(
            _test_tool_args(ckpt, tmp_path, f'load{i}_{os.getpid()}'))
        cfg = tool.build_config(args)
        assert cfg.load_from is None  # MMEngine must not load it loosely
        runner = Runner.from_cfg(cfg)
        tool.load_weights(runner, tool.read_checkpoint(ckpt), ckpt)
        loaded = runner.model.state_dict()
        assert sorted(loaded) == sorted(state)
        for key, value in state.items():
            assert torch.equal(loaded[key], value), key


@pytest.mark.parametrize('value,text', [(5.177620857954025, '5.1776'),
                                        (36.83760412968695, '36.8376'),
                                        (0.03683760412968695, '0.03684'),
                                        (0.004031, '0.004031'),
                                        (0.0003512, '0.0003512'),
                                        (1234.56789, '1234.5679'),
                                        (0.0, '0.0000'), ('n/a', 'n/a')])
def test_test_tool_prints_metrics_with_four_significant_digits(value, text):
    assert load_test_tool().format_metric(value) == text


@pytest.fixture(scope='module')
def small_demo_comp1k(tmp_path_factory):
    """A two-image demo test set made by the demo-data generator."""
    sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters'))
    try:
        import make_demo_data
    finally:
        sys.path.pop(0)
    out = str(tmp_path_factory.mktemp('demo'))
    make_demo_data.make_demo_data(
        out, seed=0, num_in1k=1, num_train=1, num_test=1, num_bg=2,
        num_heldout=1, num_scarce=1)
    return osp.join(out, 'comp1k')


def test_test_tool_end_to_end_on_two_demo_images(demo_checkpoint,
                                                 small_demo_comp1k, tmp_path,
                                                 capsys):
    path, _ = demo_checkpoint
    rc = load_test_tool().main(
        _test_tool_args(path, tmp_path, f'e2e_{os.getpid()}',
                        'test_dataloader.dataset.indices=2',
                        data_root=small_demo_comp1k))
    out = capsys.readouterr().out
    assert rc == 0
    metrics = json.loads((tmp_path / 'metrics.json').read_text())
    assert sorted(metrics) == sorted(KEYS)
    line = next(x for x in out.splitlines() if x.startswith('test metrics:'))
    tool = load_test_tool()
    assert line == 'test metrics: ' + '  '.join(
        f'{k} {tool.format_metric(v)}' for k, v in metrics.items())
    assert len(os.listdir(tmp_path / 'alpha')) == 2


def test_test_tool_scores_a_dpt_pretraining_checkpoint(
        small_demo_comp1k, tmp_path, capsys):
    """Zero-shot: the DPT pre-training config and checkpoint go through
    tools/test.py as a mattor (its config carries a matting test split)."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import save_checkpoint

    import dpt_mm  # noqa: F401
    from mmagic.registry import MODELS
    init_default_scope('mmagic')
    cfg = osp.join(ROOT, 'configs', 'demo', 'dpt_swin-demo_demo.py')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(cfg).model)
    ckpt = str(tmp_path / 'dpt.pth')
    save_checkpoint(dict(meta=dict(iter=1), state_dict=model.state_dict()),
                    ckpt)
    args = _test_tool_args(ckpt, tmp_path, f'zs_{os.getpid()}',
                           'test_dataloader.dataset.indices=2',
                           data_root=small_demo_comp1k)
    args[0] = cfg
    rc = load_test_tool().main(args)
    assert rc == 0, capsys.readouterr()
    metrics = json.loads((tmp_path / 'metrics.json').read_text())
    assert sorted(metrics) == sorted(KEYS)
    assert all(v >= 0 for v in metrics.values())
    assert len(os.listdir(tmp_path / 'alpha')) == 2


def test_strict_default_gives_no_mean_over_a_subset(dirs, capsys):
    """Two predictions of 12 missing / failing: the old default printed a
    mean over the other 10 with exit 0; now exit 1 and no mean, and
    --allow-missing prints the mean with its count."""
    pred, alpha, trimap = dirs
    assert run(dirs, '--no-table') == 0
    full = capsys.readouterr().out
    assert 'mean (12 of 12 images)' in full
    os.remove(osp.join(pred, 'case001_03.png'))
    with open(osp.join(pred, 'case001_04.png'), 'wb') as f:
        f.write(b'truncated')
    assert run(dirs) == 1
    captured = capsys.readouterr()
    assert 'mean' not in captured.out
    err = [line for line in captured.err.splitlines()
           if line.startswith('error:')]
    assert err == [
        'error: 2 of 12 ground-truth images have no score (1 predictions '
        'missing, 0 without alpha or trimap, 1 failed); no mean over a '
        'partial set (--allow-missing gives the mean of the 10 scored)'
    ]
    assert run(dirs, '--allow-missing') == 0
    out = capsys.readouterr().out
    assert 'mean (10 of 12 images)' in out
    assert '10 of 12 evaluated, 1 failed, 1 predictions missing' in out


def test_unwritable_json_is_refused_before_scoring(dirs, tmp_path, capsys,
                                                  monkeypatch):
    """--json under a file (or into a folder) stops at once with one error
    line and exit 2; it used to fail after all the scoring."""
    blocker = tmp_path / 'a_file'
    blocker.write_text('x')
    monkeypatch.setattr(tool, 'run_all',
                        lambda *a, **k: pytest.fail('scored first'))
    for target, reason in ((blocker / 'm.json', 'cannot be written'),
                           (tmp_path, 'is a folder, not a file')):
        assert run(dirs, '--json', str(target)) == 2
        err = capsys.readouterr().err
        assert err == f'error: {target}: --json {reason}' + (
            f' ({blocker} is a file, not a folder)\n'
            if target != tmp_path else '\n')
    assert blocker.read_text() == 'x'


def test_a_fifth_metric_is_one_table_entry(dirs, tmp_path, monkeypatch):
    """One function added to the metric table reaches both the MMEngine
    metric and this tool (no other list of metric names to extend)."""
    from dpt_mm.evaluation.functional import dim_matting
    from dpt_mm.registry import METRICS

    def unknown_count(sample, **options):
        return float(sample.num_unknown)

    for table in {id(t): t for t in (dim_matting.METRIC_FUNCS,
                                     tool._metrics.METRIC_FUNCS)}.values():
        monkeypatch.setitem(table, 'Unknown', unknown_count)
    pred, alpha, trimap = (cv2.imread(osp.join(d, 'case001_00.png'),
                                      cv2.IMREAD_UNCHANGED) for d in dirs)
    want = float(np.count_nonzero(trimap == 128))
    metric = METRICS.build(dict(type='DIMMattingMetrics',
                                metrics=['SAD', 'Unknown']))
    metric.process(None, [{
        'ori_alpha': alpha, 'ori_trimap': trimap, 'merged_path': 'a.png',
        'output': {'pred_alpha': pred}}])
    assert metric.evaluate(1)['Unknown'] == want
    out = tmp_path / 'five.json'
    assert run(dirs, '--metrics', 'Unknown', '--json', str(out)) == 0
    res = json.loads(out.read_text())
    assert res['per_image']['case001_00.png'] == {'Unknown': want}
