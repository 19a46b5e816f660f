"""``make demo``: the network it runs is the one the README shows.

The README's quick-start printout is pasted from a fresh-clone run; these
checks fail when ``tools/run_demo.py``'s default network changes without the
README (or the reverse), or when a network's configs move.
"""
import os.path as osp
import re
import shutil
import sys

import pytest
from tool_scripts import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _run_demo():
    return load_tool('tools/run_demo.py', 'run_demo')


def test_readme_printout_is_the_default_network():
    demo = _run_demo()
    with open(osp.join(ROOT, 'README.md')) as f:
        readme = f.read()
    quick_start = readme[readme.index('## Quick start'):]
    shown = re.findall(r'^Demo, tiny (\w+), ', quick_start, re.M)
    # the first printout is what `make demo` printed
    assert shown and shown[0] == demo.DEFAULT_NETWORK, shown
    with open(osp.join(ROOT, 'Makefile')) as f:
        make_demo = re.search(r'^demo:.*\n\t(.*)$', f.read(), re.M).group(1)
    assert 'tools/run_demo.py' in make_demo
    assert '--network' not in make_demo  # it runs the default


def test_every_demo_network_has_its_configs():
    demo = _run_demo()
    assert demo.DEFAULT_NETWORK in demo.NETWORKS
    for pretrain, finetune in demo.NETWORKS.values():
        assert osp.isfile(osp.join(ROOT, pretrain)), pretrain
        assert osp.isfile(osp.join(ROOT, finetune)), finetune


def test_a_work_dir_of_the_other_network_is_refused(tmp_path):
    """``work_dirs/demo`` from before the switch holds MatteFormer runs; the
    ViT demo must not reuse its pre-training or fine-tuning checkpoints."""
    demo = _run_demo()
    vit, mf = demo.NETWORKS['vitmatte'], demo.NETWORKS['matteformer']
    work = tmp_path / 'demo'
    demo.check_work_dir(str(work), vit)  # empty: fine
    for run, cfg in (('pretrain', mf[0]), ('finetune_random', mf[1])):
        (work / run).mkdir(parents=True)
        (work / run / osp.basename(cfg)).write_text('# dumped')
        (work / run / 'iter_500.pth').write_bytes(b'weights')
    demo.check_work_dir(str(work), mf)  # its own network: fine
    with pytest.raises(SystemExit) as err:
        demo.check_work_dir(str(work), vit)
    assert 'pretrain' in str(err.value)
    assert osp.basename(mf[0]) in str(err.value)
    # pre-training deleted by hand: the stale fine-tuning run still counts
    shutil.rmtree(work / 'pretrain')
    with pytest.raises(SystemExit, match='finetune_random.*'
                       + re.escape(osp.basename(mf[1]))):
        demo.check_work_dir(str(work), vit)
    assert (work / 'finetune_random' / 'iter_500.pth').read_bytes() == \
        b'weights'


def test_main_checks_the_work_dir_before_any_step(tmp_path, monkeypatch):
    """The check runs first: no tool is started on a refused work dir."""
    demo = _run_demo()
    run = tmp_path / 'demo' / 'pretrain'
    run.mkdir(parents=True)
    (run / osp.basename(demo.NETWORKS['matteformer'][0])).write_text('#')
    monkeypatch.setattr(demo, 'run', lambda *a: pytest.fail('a step ran'))
    monkeypatch.setattr(sys, 'argv', [
        'run_demo.py', '--work-dir', str(tmp_path / 'demo'), '--network',
        'vitmatte'
    ])
    with pytest.raises(SystemExit, match='another network'):
        demo.main()
