"""TerminalProgressHook: the training / test progress line on stderr."""
import os
import os.path as osp
import sys

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOY = osp.join(ROOT, 'tests', 'data', 'toy')


def _toy_runner(tmp_path, enabled):
    from mmengine.config import Config
    from mmengine.runner import Runner

    import dpt_mm  # noqa: F401
    if TOY not in sys.path:
        sys.path.insert(0, TOY)
    cfg = Config.fromfile(osp.join(TOY, 'toy_config.py'))
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 1
    cfg.experiment_name = f'progress_{enabled}_{os.getpid()}'
    cfg.custom_hooks = list(cfg.custom_hooks) + [
        dict(type='TerminalProgressHook', enabled=enabled, min_interval=0)
    ]
    return Runner.from_cfg(cfg)


def test_training_shows_iterations_loss_and_time_left(tmp_path, capsys):
    _toy_runner(tmp_path, True).train()
    err = capsys.readouterr().err
    line = err.replace('\r', '\n').strip().splitlines()
    last = [x for x in line if x.startswith('train')][-1]
    assert '8/8' in last  # 1 epoch of 8 iterations
    assert 'loss ' in last and '<' in last  # tqdm's elapsed<left


def test_off_draws_nothing(tmp_path, capsys):
    _toy_runner(tmp_path, False).train()
    assert 'train:' not in capsys.readouterr().err


def test_test_loop_length_of_mmengine_and_mmagic_loops():
    from dpt_mm.engine import TerminalProgressHook

    class One:
        dataloader = [0] * 5

    class Multi:
        dataloaders = [[0] * 3, [0] * 4]

    assert TerminalProgressHook._loop_len(One()) == 5
    assert TerminalProgressHook._loop_len(Multi()) == 7
