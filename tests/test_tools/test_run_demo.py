"""``make demo``: the network it runs is the one the README shows.

The README's quick-start printout is pasted from a fresh-clone run; these
checks fail when ``tools/run_demo.py``'s default network changes without the
README (or the reverse), or when a network's configs move.
"""
import os.path as osp
import re

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
    ViT demo must not skip its pre-training and convert that checkpoint."""
    import pytest
    demo = _run_demo()
    vit_pre, _ = demo.NETWORKS['vitmatte']
    mf_pre, _ = demo.NETWORKS['matteformer']
    work = tmp_path / 'demo'
    demo.check_work_dir(str(work), vit_pre)  # empty: fine
    (work / 'pretrain').mkdir(parents=True)
    (work / 'pretrain' / osp.basename(mf_pre)).write_text('# dumped')
    (work / 'pretrain' / 'iter_500.pth').write_bytes(b'weights')
    with pytest.raises(SystemExit) as err:
        demo.check_work_dir(str(work), vit_pre)
    assert str(work) in str(err.value)
    assert osp.basename(mf_pre) in str(err.value)
    assert (work / 'pretrain' / 'iter_500.pth').read_bytes() == b'weights'
    demo.check_work_dir(str(work), mf_pre)  # its own network: fine
