"""Foundation: plugin registration, pinned stack, safe checkpoint loading,
atomic writes, the training / distributed tools."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
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
    checked = 0
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
        else:  # ranges must intersect: a version in both must exist
            assert str(req.specifier) or str(pin.specifier)
    assert checked >= 6
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


def test_atomic_write_leaves_no_partial_file(tmp_path):
    """A failing write keeps the old content and leaves no temp file."""
    from dpt_mm.utils import atomic_write
    target = tmp_path / 'ckpt.pth'
    target.write_bytes(b'old')

    def bad_write(tmp):
        with open(tmp, 'wb') as f:
            f.write(b'partial')
        raise RuntimeError('disk full')

    with pytest.raises(RuntimeError):
        atomic_write(str(target), bad_write)
    assert target.read_bytes() == b'old'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['ckpt.pth']


def test_mmengine_local_backend_put_is_atomic(tmp_path):
    """Checkpoints go through LocalBackend.put, which dpt_mm makes atomic."""
    import dpt_mm  # noqa: F401
    from mmengine.fileio.backends import LocalBackend
    backend = LocalBackend()
    path = tmp_path / 'a' / 'epoch_1.pth'

    backend.put(b'complete', str(path))
    assert path.read_bytes() == b'complete'
    with pytest.raises(Exception):
        backend.put('not bytes: fails inside the write', str(path))
    assert path.read_bytes() == b'complete'
    assert sorted(p.name for p in path.parent.iterdir()) == ['epoch_1.pth']


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
    scalars, HistoryBuffer) once dpt_mm is imported; optimizer, scheduler and
    iteration continue."""
    import dpt_mm  # noqa: F401
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
