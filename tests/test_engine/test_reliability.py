"""Nothing lost when a training job dies: save-then-rotate checkpoints,
clean-up of interrupted saves and a bit-exact ``--resume``.

Each kill test trains in a new process (the demo DPT config on a 16-image
demo set, 64x64 crops, batch 2, a checkpoint every 2 iterations,
``max_keep_ckpts=1``), lets ``DPT_MM_FAULT`` SIGKILL it at one moment of the
save of ``iter_4.pth``, resumes in a new process and compares the end of
the run with an uninterrupted one. The processes are spawned, not forked:
a fork inherits autograd's threads when an earlier test started them.
"""
import multiprocessing as mp
import os
import os.path as osp
import signal
import subprocess
import sys

import pytest
import torch

import dpt_mm.engine.safe_io  # noqa: F401 (what the configs opt into)
from dpt_mm.engine.checkpoint_hook import (SafeCheckpointHook,
                                           is_checkpoint_temporary,
                                           remove_stale_temporaries)
from dpt_mm.engine.random_state_hook import (get_random_state,
                                             set_random_state)
from tool_scripts import load_tool

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DEMO_CFG = osp.join(ROOT, 'configs', 'demo', 'dpt_swin-demo_demo.py')
MAX_ITERS = 6


@pytest.fixture(scope='module')
def demo_in1k(tmp_path_factory):
    """A 16-image demo ImageNet folder made by the project's generator."""
    out = tmp_path_factory.mktemp('demo')
    subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools', 'dataset_converters', 'make_demo_data.py'),
        '--out', str(out), '--seed', '0', '--num-in1k', '16', '--num-train',
        '2', '--num-test', '1', '--num-bg', '4'
    ], check=True, capture_output=True)
    return str(out / 'in1k')


def _cfg(data_root, work_dir, resume=False, workers=0):
    from mmengine.config import Config
    cfg = Config.fromfile(DEMO_CFG)
    for t in cfg.train_dataloader.dataset.pipeline:
        if 'min_size' in t:
            t.min_size = 64
        if 'crop_size' in t:
            t.crop_size = (64, 64)
    cfg.train_dataloader.update(
        batch_size=2, num_workers=workers, persistent_workers=False)
    cfg.train_dataloader.dataset.data_root = data_root
    # 8 batches per epoch: 6 iterations stay in the first epoch (MMEngine
    # sleeps 2 s at each epoch end)
    cfg.train_cfg.max_iters = MAX_ITERS
    cfg.default_hooks.checkpoint.update(interval=2, max_keep_ckpts=1)
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = work_dir
    cfg.resume = resume
    return cfg


def _child(cfg, log_file, fault):
    """Train in a child process, output to ``log_file``."""
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    # pytest's capture replaced sys.stdout / sys.stderr with buffers
    sys.stdout = os.fdopen(1, 'w', buffering=1)
    sys.stderr = os.fdopen(2, 'w', buffering=1)
    if fault:
        os.environ['DPT_MM_FAULT'] = fault
    else:
        os.environ.pop('DPT_MM_FAULT', None)
    torch.set_num_threads(1)
    from mmengine.runner import Runner
    try:
        Runner.from_cfg(cfg).train()
    except BaseException:
        import traceback
        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def _train(cfg, fault=None):
    """Run ``cfg`` in a new process; return (exit code, its log)."""
    os.makedirs(cfg.work_dir, exist_ok=True)
    log_file = osp.join(osp.dirname(cfg.work_dir),
                        osp.basename(cfg.work_dir) + '.log')
    # a fresh interpreter: a fork inherits the test process's autograd
    # threads when an earlier test started them, and then cannot train
    proc = mp.get_context('spawn').Process(
        target=_child, args=(cfg, log_file, fault))
    proc.start()
    proc.join(600)
    with open(log_file) as f:
        return proc.exitcode, f.read()


def _load(path):
    return torch.load(path, map_location='cpu', weights_only=True)


def _losses(ckpt):
    """Every logged training loss of the run, from the message hub."""
    history = ckpt['message_hub']['log_scalars']['train/loss']
    return history.data[0].tolist()


def _assert_same_run(ckpt, ref):
    assert ckpt['meta']['iter'] == ref['meta']['iter'] == MAX_ITERS
    assert _losses(ckpt) == _losses(ref)  # bit-identical, every iteration
    assert ckpt['state_dict'].keys() == ref['state_dict'].keys()
    for key, value in ref['state_dict'].items():
        assert torch.equal(ckpt['state_dict'][key], value), key


@pytest.fixture(scope='module')
def reference(demo_in1k, tmp_path_factory):
    """The uninterrupted run's final checkpoint."""
    work = str(tmp_path_factory.mktemp('ref') / 'work')
    code, log = _train(_cfg(demo_in1k, work))
    assert code == 0, log[-3000:]
    assert sorted(n for n in os.listdir(work) if n.endswith('.pth')) == [
        f'iter_{MAX_ITERS}.pth'
    ]
    return _load(osp.join(work, f'iter_{MAX_ITERS}.pth'))


def _kill_and_resume(demo_in1k, tmp_path, point):
    """SIGKILL at ``point`` of the save of iter_4; return the work dir, its
    files after the kill, and the resumed run's log."""
    work = str(tmp_path / 'work')
    code, log = _train(_cfg(demo_in1k, work), fault=f'{point}:iter_4.pth')
    assert code == -signal.SIGKILL, log[-3000:]
    assert f'SIGKILL at {point}' in log
    after_kill = sorted(os.listdir(work))
    code, log = _train(_cfg(demo_in1k, work, resume=True))
    assert code == 0, log[-3000:]
    return work, after_kill, log


def _final_files(work):
    return sorted(n for n in os.listdir(work)
                  if n.endswith('.pth') or n.endswith('.tmp'))


def test_kill_during_save_keeps_previous_checkpoint(demo_in1k, reference,
                                                    tmp_path):
    """Killed half-way through writing iter_4 (max_keep_ckpts=1): iter_2 is
    still there and named by last_checkpoint (MMEngine's hook had deleted
    it first), the partial temporary file is removed and logged on resume,
    and the resumed run ends bit-identical to the uninterrupted one."""
    work, after_kill, log = _kill_and_resume(demo_in1k, tmp_path, 'write')
    assert 'iter_2.pth' in after_kill and 'iter_4.pth' not in after_kill
    tmp = [n for n in after_kill if is_checkpoint_temporary(n)]
    assert len(tmp) == 1 and tmp[0].startswith('.iter_4.pth.'), after_kill
    assert 'resumed epoch: 0, iter: 2' in log
    assert f'removed {osp.join(work, tmp[0])}' in log
    assert 'partial file left by an interrupted checkpoint save' in log
    assert 'restored the random generator states' in log
    assert _final_files(work) == [f'iter_{MAX_ITERS}.pth']
    _assert_same_run(_load(osp.join(work, f'iter_{MAX_ITERS}.pth')),
                     reference)


@pytest.mark.slow
def test_kill_between_save_and_rename(demo_in1k, reference, tmp_path):
    """Killed with iter_4's temporary file complete but not renamed."""
    work, after_kill, log = _kill_and_resume(demo_in1k, tmp_path, 'rename')
    assert 'iter_2.pth' in after_kill and 'iter_4.pth' not in after_kill
    assert any(n.startswith('.iter_4.pth.') for n in after_kill)
    assert 'resumed epoch: 0, iter: 2' in log
    assert _final_files(work) == [f'iter_{MAX_ITERS}.pth']
    _assert_same_run(_load(osp.join(work, f'iter_{MAX_ITERS}.pth')),
                     reference)


@pytest.mark.slow
def test_kill_after_rename_before_last_checkpoint(demo_in1k, reference,
                                                  tmp_path):
    """Killed with iter_4 in place but last_checkpoint still naming iter_2:
    the resume starts from iter_2, re-makes iter_4 and removes iter_2."""
    work, after_kill, log = _kill_and_resume(demo_in1k, tmp_path,
                                             'last_checkpoint')
    assert {'iter_2.pth', 'iter_4.pth'} <= set(after_kill)
    assert not any(is_checkpoint_temporary(n) for n in after_kill)
    assert 'resumed epoch: 0, iter: 2' in log
    assert _final_files(work) == [f'iter_{MAX_ITERS}.pth']
    _assert_same_run(_load(osp.join(work, f'iter_{MAX_ITERS}.pth')),
                     reference)


@pytest.mark.slow
def test_kill_after_last_checkpoint_before_rotation(demo_in1k, reference,
                                                    tmp_path):
    """Killed after last_checkpoint names iter_4, before iter_2 was
    removed: the resume starts from iter_4 and removes iter_2 then."""
    work, after_kill, log = _kill_and_resume(demo_in1k, tmp_path, 'rotate')
    assert {'iter_2.pth', 'iter_4.pth'} <= set(after_kill)
    assert 'resumed epoch: 0, iter: 4' in log
    assert f'removed the outdated checkpoint {osp.join(work, "iter_2.pth")}' \
        in log
    assert _final_files(work) == [f'iter_{MAX_ITERS}.pth']
    _assert_same_run(_load(osp.join(work, f'iter_{MAX_ITERS}.pth')),
                     reference)


@pytest.mark.slow
def test_exact_resume_with_data_loader_workers(demo_in1k, tmp_path):
    """With 2 data loader workers a run stopped at iteration 2 and resumed
    also ends as the uninterrupted one (the workers' generators are
    re-created from the seed and replayed by MMEngine's skip of the trained
    batches)."""
    ref_work = str(tmp_path / 'ref')
    code, log = _train(_cfg(demo_in1k, ref_work, workers=2))
    assert code == 0, log[-3000:]
    work = str(tmp_path / 'work')
    code, log = _train(
        _cfg(demo_in1k, work, workers=2), fault='write:iter_4.pth')
    assert code == -signal.SIGKILL, log[-3000:]
    code, log = _train(_cfg(demo_in1k, work, resume=True, workers=2))
    assert code == 0, log[-3000:]
    _assert_same_run(
        _load(osp.join(work, f'iter_{MAX_ITERS}.pth')),
        _load(osp.join(ref_work, f'iter_{MAX_ITERS}.pth')))


def _mmagic_train(cfg_file, work, fault=None, resume=False):
    """Run mmagic's own training entry point on a config file in a new
    process (tests/mmagic_train.py: mmagic's tools/train.py, which its wheel
    does not ship); return (exit code, output)."""
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    env.pop('DPT_MM_FAULT', None)
    if fault:
        env['DPT_MM_FAULT'] = fault
    cmd = [sys.executable, osp.join(ROOT, 'tests', 'mmagic_train.py'),
           cfg_file, '--work-dir', work] + (['--resume'] if resume else [])
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                          timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.slow
def test_mmagic_train_tool_kill_and_resume(demo_in1k, reference, tmp_path):
    """A project config trained by mmagic's own train script keeps the
    guarantees (the config opts in through ``custom_imports``): killed
    half-way through writing iter_4, iter_2 survives, and ``--resume`` ends
    bit-identical to the uninterrupted run."""
    work = str(tmp_path / 'work')
    cfg_file = str(tmp_path / 'demo_cfg.py')
    _cfg(demo_in1k, work).dump(cfg_file)
    code, log = _mmagic_train(cfg_file, work, fault='write:iter_4.pth')
    assert code == -signal.SIGKILL, log[-3000:]
    after_kill = sorted(os.listdir(work))
    assert 'iter_2.pth' in after_kill and 'iter_4.pth' not in after_kill
    code, log = _mmagic_train(cfg_file, work, resume=True)
    assert code == 0, log[-3000:]
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'partial file left by an interrupted checkpoint save' in log
    assert _final_files(work) == [f'iter_{MAX_ITERS}.pth']
    _assert_same_run(_load(osp.join(work, f'iter_{MAX_ITERS}.pth')),
                     reference)


def test_random_state_round_trip_loads_weights_only(tmp_path):
    """The saved states restore every generator, through a weights-only
    ``torch.load``."""
    import random

    import numpy as np
    torch.manual_seed(1)
    np.random.seed(2)
    random.seed(3)
    np.random.standard_normal()  # leaves a cached Gaussian
    path = str(tmp_path / 'state.pth')
    torch.save(get_random_state(), path)
    expected = (torch.rand(3), np.random.standard_normal(3),
                np.random.rand(2), random.random())
    set_random_state(_load(path))
    got = (torch.rand(3), np.random.standard_normal(3), np.random.rand(2),
           random.random())
    assert torch.equal(got[0], expected[0])
    assert np.array_equal(got[1], expected[1])
    assert np.array_equal(got[2], expected[2]) and got[3] == expected[3]


def test_stale_temporaries_are_removed_and_others_kept(tmp_path):
    names = [
        '.iter_4.pth.ab_c12x9.tmp', '.last_checkpoint.k2j3h4g5.tmp',
        '.epoch_3.pth.zzzzzzzz.tmp', 'iter_2.pth',
        '.scalars.json.abcdefgh.tmp', '.iter_4.pth.tmp', 'notes.tmp'
    ]
    for name in names:
        (tmp_path / name).write_bytes(b'x' * 1024)
    removed = remove_stale_temporaries([str(tmp_path)])
    assert len(removed) == 3 and all('(0.0 MB)' in r for r in removed)
    assert sorted(os.listdir(tmp_path)) == sorted([
        'iter_2.pth', '.scalars.json.abcdefgh.tmp', '.iter_4.pth.tmp',
        'notes.tmp'
    ])


def test_configs_use_the_safe_hooks():
    """Every training config of the project builds SafeCheckpointHook and
    RandomStateHook (MMEngine's CheckpointHook deletes before it saves)."""
    import glob

    from mmengine.config import Config
    files = [
        f for f in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                             recursive=True)
        if '_base_' not in f and 'experiments' not in f  # protocol configs
    ]
    assert len(files) > 20
    for f in files:
        hooks = Config.fromfile(f).default_hooks
        assert hooks.checkpoint.type == 'SafeCheckpointHook', f
        assert hooks.random_state.type == 'RandomStateHook', f
    assert issubclass(SafeCheckpointHook,
                      __import__('mmengine').hooks.CheckpointHook)


# ------------------------------------------------- tools/train.py bad input
class _Evil:
    """Unpickling it would run a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def _drop_stale_log_handlers() -> None:
    """Loggers of runners made by earlier tests in this process write to
    streams that pytest has closed since; drop those handlers so that only
    this call's output reaches stderr."""
    import logging

    from mmengine.logging import MMLogger
    for logger in MMLogger._instance_dict.values():
        for handler in list(logger.handlers):
            if isinstance(handler, logging.StreamHandler) and getattr(
                    handler.stream, 'closed', False):
                logger.removeHandler(handler)


def _train_cli(monkeypatch, capsys, *argv):
    module = load_tool('tools/train.py', 'dpt_train_tool')
    monkeypatch.setattr(sys, 'argv', ['train.py', DEMO_CFG, *argv])
    _drop_stale_log_handlers()
    import warnings
    with warnings.catch_warnings():
        # MMEngine warns about several runners made in one process
        warnings.simplefilter('ignore')
        rc = module.main()
    return rc, capsys.readouterr().err


def _small_options(data_root):
    return [
        '--cfg-options', f'train_dataloader.dataset.data_root={data_root}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'train_cfg.max_iters=1'
    ]


@pytest.mark.parametrize('kind', ['no_list', 'empty', 'corrupt'])
def test_train_data_root_without_images_is_one_error_line(
        kind, tmp_path, monkeypatch, capsys):
    """A data root whose list file is missing, lists nothing, or lists only
    undecodable files: one ``error: PATH: ...`` line and exit 2 (it used to
    end in a traceback, exit 1, with the message inside)."""
    root = tmp_path / 'in1k'
    (root / 'train' / 'n01').mkdir(parents=True)
    listing = root / 'meta' / 'train.txt'
    if kind != 'no_list':
        listing.parent.mkdir()
        listing.write_text('')
    if kind == 'corrupt':
        for i in range(3):
            (root / 'train' / 'n01' / f'{i}.JPEG').write_bytes(b'\xff\xd8 x')
        listing.write_text(''.join(f'n01/{i}.JPEG\n' for i in range(3)))
    rc, err = _train_cli(monkeypatch, capsys, '--work-dir',
                         str(tmp_path / 'work'), *_small_options(root))
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and 'Traceback' not in err, err
    want = dict(
        no_list=f'{listing}: list file does not exist',
        empty=f'{listing}: no image found',
        corrupt=f'{root / "train"}: no readable image among the first 3')
    assert lines[0].startswith(f'error: {want[kind]}'), lines[0]


def test_train_refused_checkpoint_is_one_error_line_with_the_reason(
        demo_in1k, tmp_path, monkeypatch, capsys):
    """A pickle that would run ``os.system`` as --resume / load_from: one
    line naming the file and the refused global, no advice to turn safe
    loading off, no cut at 200 characters, nothing executed."""
    marker = tmp_path / 'PWNED'
    evil = tmp_path / ('a_long_folder_name_' * 6) / 'iter_7.pth'
    evil.parent.mkdir()
    torch.save({'state_dict': {}, 'meta': _Evil(marker)}, str(evil))
    for option in (['--resume', str(evil)],
                   ['--cfg-options', f'load_from={evil}']):
        rc, err = _train_cli(monkeypatch, capsys, '--work-dir',
                             str(tmp_path / 'work'), *option,
                             *_small_options(demo_in1k))
        assert rc == 2
        lines = err.strip().splitlines()
        assert len(lines) == 1 and 'Traceback' not in err, err
        assert lines[0].startswith(
            f'error: {evil}: not a readable PyTorch checkpoint '
            '(weights-only loading refused it: '), lines[0]
        assert 'GLOBAL posix.system' in lines[0] and len(lines[0]) > 200
        assert 'weights_only' not in lines[0] and '...' not in lines[0]
        assert not marker.exists()


def test_train_auto_resume_names_the_missing_checkpoint(
        demo_in1k, tmp_path, monkeypatch, capsys):
    work = tmp_path / 'work'
    work.mkdir()
    gone = work / 'iter_5.pth'
    (work / 'last_checkpoint').write_text(str(gone))
    rc, err = _train_cli(monkeypatch, capsys, '--work-dir', str(work),
                         '--resume', *_small_options(demo_in1k))
    assert rc == 2
    assert err.strip() == f'error: {gone}: checkpoint not found'
