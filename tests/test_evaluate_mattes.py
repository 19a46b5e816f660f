"""Tests of the offline evaluation tool tools/evaluate_mattes.py."""
import importlib.util
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FIXTURE = osp.join(ROOT, 'tests', 'data', 'dim_official_metrics')
with open(osp.join(FIXTURE, 'expected.json')) as _f:
    EXPECTED = json.load(_f)
KEYS = ('SAD', 'MSE', 'Grad', 'Conn')

_spec = importlib.util.spec_from_file_location(
    'evaluate_mattes', osp.join(ROOT, 'tools', 'evaluate_mattes.py'))
tool = importlib.util.module_from_spec(_spec)
sys.modules['evaluate_mattes'] = tool  # workers unpickle functions by name
_spec.loader.exec_module(tool)


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
    assert run(dirs, '--json', str(out)) == 0
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
    assert run(dirs, '--strict') == 1


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
    assert run(dirs, '--json', str(out)) == 0
    res = json.loads(out.read_text())
    assert res['num_images'] == 8
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
