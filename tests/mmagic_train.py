"""mmagic's own training entry point, for the tests.

mmagic ships ``tools/train.py`` inside its wheel as ``mmagic/.mim/tools/
train.py`` when it was installed with its MIM extras; that file is run as it
is when present. Otherwise this script does what that tool does for a
single-process run: ``Config.fromfile`` (which imports the config's
``custom_imports``), ``--work-dir`` / ``--resume`` / ``--cfg-options``,
``Runner.from_cfg`` (or the registered ``runner_type``) and ``train()``;
it imports nothing from dpt_mm itself.

Usage::

    python tests/mmagic_train.py CONFIG --work-dir DIR [--resume]
"""
import argparse
import os.path as osp
import runpy
import sys


def mmagic_train_tool() -> str:
    """Path of mmagic's packaged tools/train.py ('' when not shipped)."""
    import mmagic
    path = osp.join(osp.dirname(mmagic.__file__), '.mim', 'tools',
                    'train.py')
    return path if osp.isfile(path) else ''


def main() -> None:
    """Run mmagic's tool, or its single-process steps."""
    tool = mmagic_train_tool()
    if tool:
        sys.argv[0] = tool
        runpy.run_path(tool, run_name='__main__')
        return
    from mmengine.config import Config, DictAction
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config')
    parser.add_argument('--work-dir')
    parser.add_argument('--resume', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = 'none'
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.resume:
        cfg.resume = True
    runner = (Runner.from_cfg(cfg)
              if 'runner_type' not in cfg else RUNNERS.build(cfg))
    runner.train()


if __name__ == '__main__':
    main()
