"""The DPT transfer experiment driver (tools/experiments/dpt_transfer.py)
in its smoke mode: every step runs, the table and the plot are written and
parse."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import cv2
import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


# (protocol, report file stem): the Swin profile and the tiny-ViTMatte one
PROFILES = [
    pytest.param('dpt_transfer_cpu.py', 'dpt_transfer', id='swin'),
    pytest.param('dpt_transfer_vit_cpu.py', 'dpt_transfer_vit', id='vit',
                 marks=pytest.mark.slow),
]


@pytest.mark.parametrize('profile,stem', PROFILES)
def test_driver_smoke_writes_table_and_plot(tmp_path, profile, stem):
    work, report = tmp_path / 'work', tmp_path / 'report'
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools', 'experiments', 'dpt_transfer.py'),
        osp.join(ROOT, 'configs', 'experiments', profile),
        '--smoke', '--work-dir', str(work), '--report-dir', str(report),
        '--data-root', str(tmp_path / 'data')
    ]
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # one result per job: classical, zero-shot at B=2, and per label budget
    # random + encoder + encoder+decoder for the single seed
    results = sorted(os.listdir(work / 'results'))
    assert len(results) == 1 + 1 + 2 * 3, results
    for name in results:
        with open(work / 'results' / name) as f:
            r = json.load(f)
        for split in ('in_dist', 'heldout'):
            assert set(r[split]) == {'SAD', 'MSE', 'Grad', 'Conn'}
            assert all(v >= 0 for v in r[split].values())
    assert sorted(os.listdir(report)) == [f'{stem}_sad.png',
                                          f'{stem}_table.md']
    table = (report / f'{stem}_table.md').read_text()
    rows = [ln for ln in table.splitlines() if ln.startswith('| scarce')]
    assert len(rows) == 2 * 3  # 3 inits, two splits
    cells = [c.strip() for c in rows[1].strip('|').split('|')]
    assert cells[:3] == ['scarce', 'encoder', '2']
    assert re.fullmatch(r'-?\d+\.\d{3} ± \d+\.\d{3}', cells[4])
    assert 'zero-shot DPT' in table and 'classical' in table
    img = cv2.imread(str(report / f'{stem}_sad.png'))
    assert img is not None and img.shape[0] > 200 and img.shape[1] > 400
    # a rerun reuses every finished result and only rewrites the report
    mtimes = {n: os.stat(work / 'results' / n).st_mtime_ns for n in results}
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0
    assert mtimes == {
        n: os.stat(work / 'results' / n).st_mtime_ns for n in results
    }
    # a result of another fine-tuning length is not reused silently
    name = next(n for n in results if n.startswith('ft_'))
    r = json.loads((work / 'results' / name).read_text())
    assert r['finetune_iters'] == 2
    r['finetune_iters'] = 650
    (work / 'results' / name).write_text(json.dumps(r))
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert f'{name}: fine-tuned 650 iterations, this protocol 2' in (
        proc.stdout + proc.stderr)


def test_driver_runs_a_random_init_only_control(tmp_path):
    """The longer-fine-tuning control (no pre-training budget): nothing is
    pre-trained, one random-init result per label budget and seed, and
    the report has the random rows only. In the default run, unlike the
    ViT profile's smoke: no pre-training, two 2-iteration fine-tunings
    (about 30 s on an idle machine)."""
    work, report = tmp_path / 'work', tmp_path / 'report'
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools', 'experiments', 'dpt_transfer.py'),
        osp.join(ROOT, 'configs', 'experiments',
                 'dpt_transfer_vit_longft_cpu.py'), '--smoke', '--work-dir',
        str(work), '--report-dir', str(report), '--data-root',
        str(tmp_path / 'data')
    ]
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'nothing to pre-train' in proc.stdout + proc.stderr
    assert not (work / 'pretrain').exists()
    assert sorted(os.listdir(work / 'results')) == [
        'classical_closed_form.json', 'ft_all_random_B0_s0.json',
        'ft_scarce_random_B0_s0.json'
    ]
    table = (report / 'dpt_transfer_vit_longft_table.md').read_text()
    rows = [ln for ln in table.splitlines()
            if ln.startswith(('| scarce', '| all'))]
    assert [r.split('|')[2].strip() for r in rows] == ['random'] * len(rows)
    assert len(rows) == 2 * 2  # two label budgets, two splits


def test_paired_gain_pairs_by_seed_across_work_dirs(tmp_path, capsys):
    """paired_gain.py: SAD gain ref - row over the seeds both sides have,
    mean and sample std; a side without results is a clear exit."""
    from tool_scripts import load_tool
    tool = load_tool('tools/experiments/paired_gain.py')

    def write(work, init, budget, seed, sad):
        (work / 'results').mkdir(parents=True, exist_ok=True)
        r = dict(kind='finetune', label='all', init=init, budget=budget,
                 seed=seed, in_dist=dict(SAD=sad), heldout=dict(SAD=2 * sad))
        if init != 'random':
            r['finetune_iters'] = 650
        (work / 'results' / f'{init}_{budget}_{seed}.json').write_text(
            json.dumps(r))

    a, b = tmp_path / 'a', tmp_path / 'b'
    for seed, (x, y) in enumerate([(5.0, 4.0), (6.0, 4.0), (7.0, 7.0)]):
        write(a, 'random', 0, seed, x)
        write(b, 'encoder+decoder', 500, seed, y)
    write(a, 'random', 0, 9, 1.0)  # no partner: left out
    tool.main(['--ref', f'{a}:random:0', '--row',
               f'{b}:encoder+decoder:500'])
    lines = capsys.readouterr().out.splitlines()
    # gains 1, 2, 0: mean 1, sample std 1; held-out doubles both
    assert lines[1:3] == ['ref fine-tuning iterations: not recorded',
                          'row fine-tuning iterations: 650']
    assert lines[5] == ('| all | in_dist | 3 | 6.000 ± 1.000 | 5.000 ± 1.732 '
                        '| 1.000 ± 1.000 |')
    assert lines[6].endswith('| 2.000 ± 2.000 |'), lines[6]
    with pytest.raises(SystemExit, match='no fine-tuning results'):
        tool.main(['--ref', f'{a}:encoder:500', '--row', f'{b}:random:0'])
