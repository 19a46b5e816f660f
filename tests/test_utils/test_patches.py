"""Each library patch of dpt_mm.utils.patches, applied by the opt-in module
dpt_mm.engine.safe_io, with and without DPT_MM_NO_PATCHES=1 (in a fresh
process each); its check; and ``import dpt_mm`` alone changing nothing."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))

_PROBE = r'''
import gc, io, json, os, os.path as osp, sys
import cv2, numpy as np, torch
import dpt_mm.engine.safe_io
from mmengine.fileio.backends import LocalBackend
from mmengine.logging import HistoryBuffer
from dpt_mm.datasets import UnlabeledImageDataset

out, tmp = {}, sys.argv[1]
# LocalBackend.put: a write failing half-way
path = osp.join(tmp, 'epoch_1.pth')
LocalBackend().put(b'complete', path)
try:
    LocalBackend().put('not bytes: fails inside the write', path)
except Exception:
    pass
out['put'] = [open(path, 'rb').read().decode(), sorted(os.listdir(tmp))]
# HistoryBuffer: a weights-only load of a pickled buffer
buf = io.BytesIO()
h = HistoryBuffer()
h.update(1.0)
torch.save({'h': h}, buf)
buf.seek(0)
try:
    torch.load(buf, weights_only=True)
    out['history'] = 'loaded'
except Exception as err:
    out['history'] = type(err).__name__
# BaseDataset._serialize_data: gc.collect() calls while building
root = osp.join(tmp, 'img')
os.makedirs(root)
cv2.imwrite(osp.join(root, 'a.png'), np.zeros((8, 8, 3), np.uint8))
calls = []
real = gc.collect
gc.collect = lambda *a: calls.append(1) or real(*a)
UnlabeledImageDataset(data_prefix=dict(img_path=root), use_scan_cache=False)
gc.collect = real
out['gc_calls'] = len(calls)
print('RESULT=' + json.dumps(out))
'''


def _start_probe(tmp_path, disabled: bool) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    env.pop('DPT_MM_NO_PATCHES', None)
    if disabled:
        env['DPT_MM_NO_PATCHES'] = '1'
    work = tmp_path / ('off' if disabled else 'on')
    work.mkdir()
    return subprocess.Popen([sys.executable, '-c', _PROBE, str(work)],
                            env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen) -> dict:
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr[-2000:]
    line = [x for x in stdout.splitlines() if x.startswith('RESULT=')]
    return json.loads(line[-1][len('RESULT='):])


@pytest.fixture(scope='module')
def probes(tmp_path_factory):
    """(patched, unpatched) observations, from two processes run at once."""
    tmp = tmp_path_factory.mktemp('patches')
    procs = [_start_probe(tmp, False), _start_probe(tmp, True)]
    return tuple(_result(p) for p in procs)


def test_local_backend_put_is_atomic_only_when_patched(probes):
    on, off = probes
    assert on['put'] == ['complete', ['epoch_1.pth']]
    assert off['put'][0] == ''  # mmengine's put truncated the checkpoint


def test_history_buffer_loads_weights_only_only_when_patched(probes):
    on, off = probes
    assert on['history'] == 'loaded'
    assert off['history'] == 'UnpicklingError'


def test_dataset_serialization_skips_gc_only_when_patched(probes):
    on, off = probes
    assert on['gc_calls'] == 0
    assert off['gc_calls'] >= 1


_UNCHANGED = r'''
import inspect, json, sys, types
import numpy, torch, torch.serialization, mmengine, mmengine.runner, mmcv
import mmagic.apis, mmagic.datasets, mmagic.engine, mmagic.evaluation
import mmagic.models, mmpretrain.models
from mmengine.fileio import backends as fb
from mmengine.runner.checkpoint import CheckpointLoader

PREFIXES = ('torch', 'numpy', 'mmengine', 'mmcv', 'mmagic', 'mmpretrain')


def snapshot():
    """id() of every attribute of every loaded library module and of every
    class defined there; plus the contents of the global tables."""
    attrs = {}
    for name, mod in list(sys.modules.items()):
        if (not isinstance(mod, types.ModuleType)
                or name.split('.')[0] not in PREFIXES):
            continue
        for key, value in list(vars(mod).items()):
            attrs[f'{name}:{key}'] = id(value)
            if inspect.isclass(value) and value.__module__ == name:
                for ckey, cvalue in list(vars(value).items()):
                    attrs[f'{name}:{key}.{ckey}'] = id(cvalue)
    tables = dict(
        loaders=sorted((k, f'{v.__module__}.{v.__qualname__}')
                       for k, v in CheckpointLoader._schemes.items()),
        safe_globals=sorted(map(str, torch.serialization.get_safe_globals())),
        backends=sorted((k, repr(v)) for k, v in fb.backends.items()),
        prefixes=sorted((k, repr(v))
                        for k, v in fb.prefix_to_backends.items()))
    return attrs, tables


before, tables_before = snapshot()
import dpt_mm
after, tables_after = snapshot()
changed = sorted(k for k, v in before.items() if after.get(k) != v)
print('RESULT=' + json.dumps(dict(
    changed=changed, tables=tables_before == tables_after,
    count=len(before),
    put=fb.LocalBackend.put.__module__,
    getstate=mmengine.logging.HistoryBuffer.__getstate__.__module__)))
'''


def test_import_dpt_mm_changes_no_library_object(tmp_path):
    """``import dpt_mm`` registers only: every attribute of every torch /
    numpy / mmengine / mmcv / mmagic / mmpretrain module loaded before it
    (and of their classes) is the same object afterwards, and the checkpoint
    loaders, weights-only allow-list and file backends are as they were."""
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    env.pop('DPT_MM_NO_PATCHES', None)
    proc = subprocess.run([sys.executable, '-c', _UNCHANGED],
                          env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith('RESULT=')]
    got = json.loads(line[-1][len('RESULT='):])
    assert got['count'] > 10000  # the libraries were loaded and compared
    assert got['changed'] == []
    assert got['tables'] is True
    assert got['put'] == 'mmengine.fileio.backends.local_backend'
    assert got['getstate'] == 'mmengine.logging.history_buffer'


def test_changed_library_signature_fails_loudly(monkeypatch):
    from mmengine.fileio.backends import LocalBackend

    from dpt_mm.utils import patches

    def put(self, obj, filepath, backend_args=None):
        pass

    monkeypatch.setattr(LocalBackend, 'put', put)
    with pytest.raises(patches.PatchCheckError,
                       match=r"LocalBackend.put\('self', 'obj', 'filepath'\)"
                       r'.*DPT_MM_NO_PATCHES=1'):
        patches.check_and_apply()


def test_missing_private_api_fails_loudly(monkeypatch):
    from mmagic.datasets.transforms import RandomAffine

    from dpt_mm.utils import patches
    monkeypatch.delattr(RandomAffine, '_get_inverse_affine_matrix')
    with pytest.raises(patches.PatchCheckError,
                       match='_get_inverse_affine_matrix.*it is gone') as err:
        patches.check_and_apply()
    # no patch to switch off: the message does not suggest the switch ...
    assert 'DPT_MM_NO_PATCHES' not in str(err.value)
    # ... and the switch does not silence it
    monkeypatch.setenv('DPT_MM_NO_PATCHES', '1')
    with pytest.raises(patches.PatchCheckError, match='it is gone'):
        patches.check_and_apply()


@pytest.mark.parametrize('index', range(7))
def test_every_private_use_is_checked(monkeypatch, index):
    """Each entry of the one list of private uses fails the check, naming
    the attribute, when the library lacks it."""
    import importlib

    from dpt_mm.utils import patches
    assert len(patches.PRIVATE_USES) == 7
    module, cls, name, _, _ = patches.PRIVATE_USES[index]
    owner = importlib.import_module(module)
    if cls is not None:
        owner = getattr(owner, cls)
    # remove it wherever it is defined (a class or one of its bases)
    for holder in getattr(owner, '__mro__', (owner, )):
        if name in vars(holder):
            monkeypatch.delattr(holder, name)
    with pytest.raises(patches.PatchCheckError, match=name):
        patches.check_private_uses()


def test_switched_off_patches_are_not_checked(monkeypatch):
    """With DPT_MM_NO_PATCHES=1 a changed patched signature is no error
    (nothing is patched), and the switch's values parse as documented."""
    from mmengine.fileio.backends import LocalBackend

    from dpt_mm.utils import patches

    def put(self, obj, filepath, backend_args=None):
        pass

    monkeypatch.setattr(LocalBackend, 'put', put)
    monkeypatch.setenv('DPT_MM_NO_PATCHES', '1')
    patches.check_and_apply()
    assert LocalBackend.put is put
    for value, enabled in [('', True), ('0', True), ('false', True),
                           ('1', False), ('yes', False)]:
        monkeypatch.setenv('DPT_MM_NO_PATCHES', value)
        assert patches.patches_enabled() is enabled, value


def test_read_checkpoint_keeps_the_process_wide_allow_list(tmp_path):
    """``read_checkpoint`` allow-lists runner-checkpoint types for its own
    load only, and leaves what the opt-in registered process-wide in place
    (torch's ``safe_globals`` context removes its globals on exit)."""
    import numpy as np
    import torch

    import dpt_mm.engine.safe_io  # noqa: F401
    from dpt_mm.utils.io import read_checkpoint
    before = list(torch.serialization.get_safe_globals())
    path = str(tmp_path / 'ckpt.pth')
    torch.save({'meta': {'seed': np.int64(3), 'a': np.ones(2)}}, path)
    for _ in range(2):
        assert read_checkpoint(path)['meta']['seed'] == 3
        assert torch.serialization.get_safe_globals() == before
