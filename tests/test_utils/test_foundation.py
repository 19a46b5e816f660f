"""Foundation: plugin registration, pinned stack, safe checkpoint loading,
atomic writes, the training / distributed tools."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from tool_scripts import load_tool

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOY = osp.join(ROOT, 'tests', 'data', 'toy')
sys.path.insert(0, TOY)


def _env() -> dict:
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([TOY, ROOT, env.get('PYTHONPATH', '')])
    env.setdefault('OMP_NUM_THREADS', '1')
    return env


def test_mmagic_config_builds_plugin_and_cross_scope_types():
    """An mmagic-style config with custom_imports reaches dpt_mm and
    mmpretrain types."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg = Config(
        dict(
            default_scope='mmagic',
            custom_imports=dict(imports=['dpt_mm'],
                                allow_failed_imports=False)))
    from mmengine.utils import import_modules_from_strings
    import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.default_scope)
    from mmagic.registry import MODELS
    swin = MODELS.build(
        dict(type='mmpretrain.SwinTransformer', arch='tiny', in_channels=6,
             out_indices=(0, 1, 2, 3)))
    assert swin.patch_embed.projection.in_channels == 6
    # mmagic's own types stay reachable next to the plugin's
    assert MODELS.get('MattorPreprocessor') is not None


def test_constraints_agree_with_install_requires():
    """Every pin of requirements/constraints.txt satisfies setup.py's
    install_requires (read from requirements/runtime.txt)."""
    from packaging.requirements import Requirement
    from packaging.version import Version
    pins = {}
    for line in open(osp.join(ROOT, 'requirements', 'constraints.txt')):
        line = line.split('#')[0].strip()
        if line:
            req = Requirement(line)
            pins[req.name.lower().replace('_', '-')] = req
    checked = ranged = 0
    for line in open(osp.join(ROOT, 'requirements', 'runtime.txt')):
        line = line.split('#')[0].strip()
        if not line:
            continue
        req = Requirement(line)
        pin = pins.get(req.name.lower().replace('_', '-'))
        if pin is None:
            continue
        exact = [s.version for s in pin.specifier if s.operator == '==']
        if exact:
            assert req.specifier.contains(Version(exact[0]), prereleases=True), \
                f'{pin} violates install_requires {req}'
            checked += 1
        else:  # ranges: the installed version lies in both
            from importlib.metadata import version
            got = version(req.name)
            assert req.specifier.contains(got, prereleases=True) and \
                pin.specifier.contains(got, prereleases=True), \
                f'{req.name} {got}: outside {req} or {pin}'
            ranged += 1
    assert checked >= 6 and ranged >= 2
    import mmagic
    import mmcv
    import mmengine
    import mmpretrain
    import numpy
    installed = dict(mmcv=mmcv.__version__, mmengine=mmengine.__version__,
                     mmpretrain=mmpretrain.__version__,
                     mmagic=mmagic.__version__)
    for name, version in installed.items():
        assert pins[name].specifier.contains(version), (name, version)
    assert int(numpy.__version__.split('.')[0]) < 2


def test_compiled_mmcv_ops_present():
    """mmagic imports mmcv.ops; mmcv-lite would fail here."""
    from mmcv.ops import nms
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30.]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    _, keep = nms(boxes, scores, iou_threshold=0.5)
    assert keep.tolist() == [0, 2]


@pytest.mark.parametrize('existing', [False, True])
def test_atomic_write_failure_leaves_no_file_and_no_temporary(
        tmp_path, existing):
    """A write failing half-way leaves no file (or the old one) and no
    temporary file: the one test of atomic-write failure."""
    from dpt_mm.utils import atomic_write
    target = tmp_path / 'ckpt.pth'
    if existing:
        target.write_bytes(b'old')

    def bad_write(f):
        f.write(b'partial')
        raise RuntimeError('disk full')

    with pytest.raises(RuntimeError, match='disk full'):
        atomic_write(str(target), bad_write)
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        ['ckpt.pth'] if existing else [])
    if existing:
        assert target.read_bytes() == b'old'


def _run_toy(work_dir, max_epochs, resume=False):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(osp.join(TOY, 'toy_config.py'))
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_epochs = max_epochs
    cfg.resume = resume
    cfg.experiment_name = f'toy_{max_epochs}_{int(resume)}_{os.getpid()}'
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test_runner_resumes_from_its_own_checkpoint(tmp_path):
    """torch's weights_only loading accepts mmengine's resume files (numpy
    scalars, HistoryBuffer) once a config opts in with dpt_mm.engine.safe_io;
    optimizer, scheduler and iteration continue."""
    import dpt_mm.engine.safe_io  # noqa: F401
    runner = _run_toy(tmp_path, max_epochs=1)
    ckpt = tmp_path / 'epoch_1.pth'
    assert ckpt.is_file()
    # the file needs the allow-list: plain weights_only loading of it works
    ckpt_data = torch.load(str(ckpt), map_location='cpu', weights_only=True)
    assert ckpt_data['meta']['epoch'] == 1
    assert 'message_hub' in ckpt_data
    assert runner.iter == 8
    runner2 = _run_toy(tmp_path, max_epochs=2, resume=True)
    assert runner2.iter == 16 and runner2.epoch == 2
    # the optimizer state was restored: AdamW counted 8 + 8 steps, not 8
    state = runner2.optim_wrapper.optimizer.state_dict()['state']
    assert {int(s['step']) for s in state.values()} == {16}
    # and everything else too: the resumed run ends exactly where an
    # uninterrupted 2-epoch run ends (weights, lr)
    straight = _run_toy(tmp_path / 'straight', max_epochs=2)
    for a, b in zip(runner2.model.parameters(), straight.model.parameters()):
        torch.testing.assert_close(a, b)
    assert runner2.optim_wrapper.get_lr() == straight.optim_wrapper.get_lr()
    assert (tmp_path / 'epoch_2.pth').is_file()


def test_dist_train_two_cpu_processes(tmp_path):
    """tools/dist_train.sh runs DDP with 2 gloo processes; both ranks finish
    and rank 0 writes the checkpoint."""
    work = tmp_path / 'dist'
    cmd = [
        'bash',
        osp.join(ROOT, 'tools', 'dist_train.sh'),
        osp.join(TOY, 'toy_config.py'), '2', '--work-dir',
        str(work), '--cfg-options', 'env_cfg.dist_cfg.backend=gloo',
        'train_cfg.max_epochs=1'
    ]
    env = _env()
    env['PORT'] = str(29500 + os.getpid() % 1000)
    env['PYTHON'] = sys.executable
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert (work / 'epoch_1.pth').is_file()
    # both ranks ran to the end, in a world of 2
    assert sorted(p.name for p in work.glob('*.done')) == [
        'rank0_of_2.done', 'rank1_of_2.done'
    ]
    ckpt = torch.load(str(work / 'epoch_1.pth'), map_location='cpu',
                      weights_only=True)
    # 32 samples / (2 ranks x batch 4) = 4 iterations per epoch
    assert ckpt['meta']['iter'] == 4


@pytest.fixture
def umask():
    """Set the process umask for a test; the old one comes back after it."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


def _load_comp1k():
    return load_tool('tools/dataset_converters/comp1k.py', 'comp1k_converter')


@pytest.mark.parametrize('mask', [0o022, 0o077, 0o002, 0o277])
def test_atomic_writes_follow_the_umask(tmp_path, umask, monkeypatch, mask):
    """Atomically written files get 0o666 & ~umask like a plain open(), not
    mkstemp's 0o600, and the writer never sets the umask itself (that is
    process-wide and races with other threads); the data tools use the same
    writer. 0o277 takes the owner's write bit: the file is still whole."""
    import numpy as np

    from dpt_mm.utils.io import atomic_imwrite, atomic_write
    umask(mask)
    mode = 0o666 & ~mask

    def no_umask(*args):
        raise AssertionError('os.umask called by the writer')

    monkeypatch.setattr(os, 'umask', no_umask)
    text = tmp_path / 'metrics.json'
    atomic_write(str(text), lambda f: f.write(b'{}'))
    png = tmp_path / 'alpha' / 'a.png'
    atomic_imwrite(np.zeros((4, 5), np.uint8), str(png))
    ckpt = tmp_path / 'ckpt.pth'
    atomic_write(str(ckpt), lambda f: torch.save({'w': torch.ones(2)}, f))
    # overwriting goes through a fresh temporary file too
    atomic_write(str(text), lambda f: f.write(b'{"a": 1}'))
    comp1k = _load_comp1k()
    listing = tmp_path / 'test_list.json'
    comp1k.dump_json_atomic([1], str(listing))
    monkeypatch.undo()
    for path in (text, png, ckpt, listing):
        assert path.stat().st_mode & 0o777 == mode, path
    assert text.read_text() == '{"a": 1}'
    assert torch.load(str(ckpt), weights_only=True)['w'].tolist() == [1, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'alpha', 'ckpt.pth', 'metrics.json', 'test_list.json'
    ]


def test_read_checkpoint_errors_name_the_file(tmp_path):
    """read_checkpoint: missing file, text file (torch itself says only
    'KeyError: 101'), empty file, foreign zip and a pickle that is no dict
    all give one short line naming the file."""
    import zipfile

    from dpt_mm.utils.io import (CheckpointError, checkpoint_state_dict,
                                 read_checkpoint, state_dict_mismatch)
    with pytest.raises(FileNotFoundError, match=r'nope\.pth: checkpoint not'):
        read_checkpoint(str(tmp_path / 'nope.pth'))
    text = tmp_path / 'text.pth'
    text.write_text('hello world\n')
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    archive = tmp_path / 'archive.pth'
    with zipfile.ZipFile(archive, 'w') as z:
        z.writestr('readme.txt', 'not torch')
    tensor = tmp_path / 'tensor.pth'
    torch.save(torch.zeros(2), tensor)
    for path, reason in ((text, 'neither a zip archive nor a pickle'),
                         (empty, 'the file is empty'),
                         (archive, 'RuntimeError: '),
                         (tensor, 'holds a Tensor, not a dict')):
        with pytest.raises(CheckpointError) as info:
            read_checkpoint(str(path))
        message = str(info.value)
        assert message.startswith(
            f'{path}: not a readable PyTorch checkpoint ('), message
        assert reason in message and '\n' not in message, message
        assert len(message) < 400, message

    # DDP prefixes and the state_dict wrapper are undone; num_batches_tracked
    # may be missing (MMEngine ignores it); the summary names a few keys only
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 1),
                                torch.nn.BatchNorm2d(2))
    ours = model.state_dict()
    ckpt = tmp_path / 'ddp.pth'
    torch.save(dict(state_dict={f'module.{k}': v for k, v in ours.items()
                                if 'num_batches' not in k}), ckpt)
    state = checkpoint_state_dict(read_checkpoint(str(ckpt)))
    assert state_dict_mismatch(state, ours) is None
    bad = {f'x{i}': torch.zeros(1) for i in range(9)}
    bad['0.weight'] = torch.zeros(3, 1, 1, 1)
    summary = state_dict_mismatch(bad, ours)
    assert summary.startswith('5 missing keys (0.bias, 1.weight, 1.bias, '
                              '1.running_mean, 1.running_var), '
                              '9 unexpected keys (x0, x1, x2, x3, x4, '
                              '... 4 more), 1 shape mismatch (0.weight: '
                              '[3, 1, 1, 1] in the checkpoint, [2, 1, 1, 1] '
                              'in the model)'), summary


def test_slurm_train_uses_the_project_venv(tmp_path):
    """tools/slurm_train.sh picks its interpreter like dist_train.sh:
    $PYTHON, else <root>/.venv/bin/python outside a virtualenv, else python
    on PATH."""
    import shutil
    import stat
    root = tmp_path / 'repo'
    (root / 'tools').mkdir(parents=True)
    for script in ('slurm_train.sh', 'find_python.sh'):
        shutil.copy(osp.join(ROOT, 'tools', script), root / 'tools')
    venv_python = root / '.venv' / 'bin' / 'python'
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text('#!/bin/sh\nexit 0\n')
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    # a stand-in for Slurm: one argument per line into $SRUN_LOG
    srun.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$SRUN_LOG"\n')
    for exe in (venv_python, srun):
        exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / 'srun.log'

    def interpreter(**extra):
        env = {k: v for k, v in os.environ.items()
               if k not in ('PYTHON', 'VIRTUAL_ENV')}
        env.update(PATH=f'{bin_dir}{os.pathsep}{env["PATH"]}',
                   SRUN_LOG=str(log), **extra)
        proc = subprocess.run([
            'bash', str(root / 'tools' / 'slurm_train.sh'), 'part', 'job',
            'cfg.py', 'work', '--amp'
        ], env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        args = log.read_text().splitlines()
        train = args.index(str(root / 'tools' / 'train.py'))
        assert args[train - 1] == '-u'
        assert args[train + 1:] == [
            'cfg.py', '--work-dir=work', '--launcher=slurm', '--amp'
        ]
        return args[train - 2]

    assert interpreter() == str(venv_python)
    assert interpreter(PYTHON='/opt/py/bin/python3') == '/opt/py/bin/python3'
    assert interpreter(VIRTUAL_ENV='/some/env') == 'python'


def test_cpu_distributed_drops_sync_bn_and_configs_ask_for_it(monkeypatch):
    """The GPU configs ask for SyncBN as the official trainers use it; a
    CPU DDP run (which SyncBatchNorm cannot serve) drops it and starts
    gloo."""
    import torch.distributed as torch_dist
    from mmengine.config import Config

    from dpt_mm.utils.dist import prepare_cpu_distributed
    for name in ('dpt_swin-t_in1k.py', 'dpt_r34_in1k.py',
                 'matteformer/base_matteformer_swin-t_4xb10-200k.py',
                 'mgmatting/base_mgmatting_r34_4xb10-200k.py'):
        assert Config.fromfile(osp.join(ROOT, 'configs',
                                        name)).sync_bn == 'torch', name
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setenv('RANK', '0')
    monkeypatch.setenv('WORLD_SIZE', '1')
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', '29531')
    cfg = Config(
        dict(
            launcher='pytorch',
            sync_bn='torch',
            env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    try:
        assert prepare_cpu_distributed(cfg)
        assert torch_dist.get_backend() == 'gloo'
    finally:
        if torch_dist.is_initialized():
            torch_dist.destroy_process_group()
    assert cfg.sync_bn is None
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg.device_ids is None
    # a non-distributed run is left as it is
    cfg = Config(dict(launcher='none', sync_bn='torch'))
    assert not prepare_cpu_distributed(cfg) and cfg.sync_bn == 'torch'
