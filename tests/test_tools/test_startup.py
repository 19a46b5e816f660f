"""Start-up of the tools: light tools import neither torch nor mmagic, and
``import dpt_mm`` alone still registers every dpt-mm type."""
import json
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
FIXTURE = osp.join(ROOT, 'tests', 'data', 'dim_official_metrics')
HEAVY = ('torch', 'mmagic', 'mmengine', 'mmcv', 'mmpretrain')

# Runs a tool as ``__main__`` with the heavy packages made unimportable (a
# meta-path finder refuses them), then prints which heavy modules got into
# sys.modules. A tool that imports any of them fails with ImportError.
_WRAPPER = r'''
import json, runpy, sys
HEAVY = {heavy!r}

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in HEAVY:
            raise ImportError('refused heavy import: ' + name)
        return None

sys.meta_path.insert(0, Refuse())
sys.argv = {argv!r}
code = 0
try:
    runpy.run_path(sys.argv[0], run_name='__main__')
except SystemExit as exc:
    code = exc.code or 0
print('HEAVY=' + json.dumps(sorted(
    m for m in sys.modules if m.split('.')[0] in HEAVY)))
sys.exit(code)
'''


def _env():
    env = dict(os.environ)
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    return env


def _run_light(argv):
    code = _WRAPPER.format(heavy=HEAVY, argv=argv)
    return subprocess.run([sys.executable, '-c', code],
                          cwd=ROOT,
                          env=_env(),
                          capture_output=True,
                          text=True,
                          timeout=120)


def _heavy_loaded(stdout):
    line = [x for x in stdout.splitlines() if x.startswith('HEAVY=')][-1]
    return json.loads(line[len('HEAVY='):])


def test_evaluate_mattes_help_without_torch_or_mmagic():
    tool = osp.join(ROOT, 'tools', 'evaluate_mattes.py')
    proc = _run_light([tool, '--help'])
    assert proc.returncode == 0, proc.stderr
    assert '--pred' in proc.stdout
    assert _heavy_loaded(proc.stdout) == []


def test_evaluate_mattes_runs_without_torch_or_mmagic(tmp_path):
    tool = osp.join(ROOT, 'tools', 'evaluate_mattes.py')
    out = tmp_path / 'metrics.json'
    proc = _run_light([
        tool, '--pred',
        osp.join(FIXTURE, 'pred'), '--alpha',
        osp.join(FIXTURE, 'alpha'), '--trimap',
        osp.join(FIXTURE, 'trimap'), '--no-progress', '--trimap-masking',
        'none', '--json',
        str(out)
    ])
    assert proc.returncode == 0, proc.stderr
    assert _heavy_loaded(proc.stdout) == []
    with open(osp.join(FIXTURE, 'expected.json')) as f:
        expected = json.load(f)
    got = json.loads(out.read_text())['per_image']
    assert sorted(got) == sorted(expected)
    for name, values in expected.items():
        for key, value in values.items():
            assert abs(got[name][key] - value) <= 1e-5 * abs(value)


def test_metric_module_file_needs_no_torch():
    """The tool's light loader imports the metrics file by itself."""
    code = _WRAPPER.format(heavy=HEAVY, argv=['-'])
    code = code.replace(
        "runpy.run_path(sys.argv[0], run_name='__main__')",
        "sys.path.insert(0, 'tools'); import evaluate_mattes as t; "
        "import numpy as np; "
        "m = t.import_light('evaluation.functional.dim_matting'); "
        "a = np.zeros((8, 8), np.uint8); tri = np.full_like(a, 128); "
        "assert m.compute_sad(a, a, tri) == 0; "
        "assert 'dpt_mm' not in sys.modules")
    proc = subprocess.run([sys.executable, '-c', code],
                          cwd=ROOT,
                          env=_env(),
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert _heavy_loaded(proc.stdout) == []


_REGISTERED = r'''
import importlib, inspect, json, pkgutil, sys

def dpt_mm_names():
    from dpt_mm import registry
    out = {}
    for name in registry.__all__:
        reg = getattr(registry, name)
        mods = {k: getattr(v, '__module__', '') for k, v in
                reg.module_dict.items()}
        out[name] = sorted(k for k, m in mods.items()
                           if m.split('.')[0] == 'dpt_mm')
    return out

import dpt_mm
after_import = dpt_mm_names()
# registered on first use (mmengine imports the registry's locations)
from dpt_mm.registry import INFERENCERS
lazy = INFERENCERS.get('DPTMattingInferencer')
after_get = dpt_mm_names()
for info in pkgutil.walk_packages(dpt_mm.__path__, 'dpt_mm.'):
    importlib.import_module(info.name)
after_all = dpt_mm_names()
print('NAMES=' + json.dumps([after_import, after_get, after_all,
                             getattr(lazy, '__name__', None)]))
'''


def test_import_dpt_mm_registers_every_type():
    """``import dpt_mm`` (what ``custom_imports`` does) registers the same
    dpt-mm types as importing every one of its modules; the inferencer,
    kept out of that import for speed, is found by ``INFERENCERS.get``."""
    proc = subprocess.run([sys.executable, '-c', _REGISTERED],
                          cwd=ROOT,
                          env=_env(),
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith('NAMES=')][-1]
    after_import, after_get, after_all, lazy = json.loads(
        line[len('NAMES='):])
    # every registry but the inferencers' is complete after the import
    assert after_all['INFERENCERS'] == ['DPTMattingInferencer']
    assert {k: v for k, v in after_import.items() if k != 'INFERENCERS'} \
        == {k: v for k, v in after_all.items() if k != 'INFERENCERS'}
    # the inferencer is found through the registry's lazy location
    assert lazy == 'DPTMattingInferencer'
    assert after_get == after_all
    assert {'Mattor', 'MattingHead'} <= set(after_import['MODELS'])
    assert 'DIMMattingMetrics' in after_import['METRICS']
    assert sum(len(v) for v in after_import.values()) > 20
