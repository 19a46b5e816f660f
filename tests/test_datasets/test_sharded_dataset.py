"""Streamed pre-training from tar shards: folder2shards.py, the shard list /
schedule, ShardedImageDataset, ShardStreamHook and a 2-process DDP run
that is killed and resumed."""
import io
import json
import logging
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import tarfile
import time

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

import dpt_mm  # noqa: F401  (registers the modules)
from dpt_mm.datasets import (ShardedImageDataset, ShardSchedule,
                             StreamLayout, UnlabeledImageDataset)
from dpt_mm.datasets.shard_schedule import stream_positions
from dpt_mm.datasets.shards import resolve_shards
from dpt_mm.engine.hooks import _find_skip_counting_dataset
from tool_scripts import load_tool

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOOL = osp.join(REPO, 'tools', 'dataset_converters', 'folder2shards.py')
SHARDS_CONFIG = osp.join(REPO, 'configs',
                         'dpt_swin-t_8xb64-coslr-100e_shards.py')


def _tool():
    return load_tool(TOOL, 'folder2shards')


def _jpeg(path, seed, h=48, w=64):
    rng = np.random.RandomState(seed)
    small = rng.randint(0, 256, (h // 8, w // 8, 3)).astype(np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 90])


def make_folder(root, n=12):
    """n small JPEGs in two class folders; returns relative paths."""
    rel = []
    for i in range(n):
        name = f'c{i % 2}/img.{i:02d}.JPEG'  # a dot in the name on purpose
        _jpeg(osp.join(root, name), i)
        rel.append(name)
    return rel


@pytest.fixture
def shards(tmp_path):
    """12 images packed 3 per shard (4 shards) with a manifest."""
    src = tmp_path / 'images'
    make_folder(src)
    out = tmp_path / 'shards'
    _tool().convert(str(src), str(out), samples_per_shard=3, prefix='t')
    return src, out


class _Capture(logging.Handler):

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def capture_log():
    logger = MMLogger.get_current_instance()
    handler = _Capture()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def _record_pipeline():
    """A pipeline that only records which images were paired."""
    return [lambda r: dict(fg=r['fg_path'], bg=r['bg_path'],
                           idx=r['sample_idx'])]


# ----------------------------------------------------------- folder2shards
def test_folder2shards_packs_every_image_once(shards):
    src, out = shards
    manifest = json.loads((out / 'manifest.json').read_text())
    assert [s['name'] for s in manifest['shards']] == [
        f't-{i:06d}.tar' for i in range(4)]
    assert [s['samples'] for s in manifest['shards']] == [3, 3, 3, 3]
    assert manifest['samples'] == 12
    stored = {}
    for entry in manifest['shards']:
        path = out / entry['name']
        assert entry['bytes'] == path.stat().st_size
        with tarfile.open(path) as tar:
            names = tar.getnames()
            assert len(names) == entry['samples']
            for name in names:
                stored[name] = tar.extractfile(name).read()
    # byte-identical copies; the key lost the dot, the suffix is lower case
    assert len(stored) == 12
    for i in range(12):
        original = (src / f'c{i % 2}' / f'img.{i:02d}.JPEG').read_bytes()
        assert stored[f'c{i % 2}/img_{i:02d}.jpeg'] == original
    # shuffled: the first shard does not hold the first three sorted files
    with tarfile.open(out / 't-000000.tar') as tar:
        first = sorted(tar.getnames())
    assert first != ['c0/img_00.jpeg', 'c0/img_02.jpeg', 'c0/img_04.jpeg']
    assert not [p for p in os.listdir(out) if p.endswith('.tmp')]


def test_folder2shards_bad_input(tmp_path):
    proc = subprocess.run(
        [sys.executable, TOOL, str(tmp_path / 'nowhere'),
         str(tmp_path / 'out')], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == \
        f'error: {tmp_path / "nowhere"}: not a folder'
    assert not (tmp_path / 'out').exists()
    tool = _tool()
    src = tmp_path / 'images'
    make_folder(src, n=4)
    listing = tmp_path / 'list.txt'
    listing.write_text('c0/img.00.JPEG 0\nc1/missing.JPEG 3\n')
    with pytest.raises(tool.InputError, match='missing.JPEG'):
        tool.convert(str(src), str(tmp_path / 'out'), str(listing))
    assert not (tmp_path / 'out').exists()
    tool.convert(str(src), str(tmp_path / 'out'), samples_per_shard=2)
    with pytest.raises(tool.InputError, match='exists'):
        tool.convert(str(src), str(tmp_path / 'out'))


def test_folder2shards_removes_its_shards_on_failure(tmp_path, monkeypatch):
    tool = _tool()
    src = tmp_path / 'images'
    make_folder(src, n=6)
    calls = []
    real = tool.write_shard

    def failing(path, root, members):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, 'No space left on device', path)
        return real(path, root, members)

    monkeypatch.setattr(tool, 'write_shard', failing)
    with pytest.raises(OSError):
        tool.convert(str(src), str(tmp_path / 'out'), samples_per_shard=2)
    assert os.listdir(tmp_path / 'out') == []


# ------------------------------------------------------ shard list / plan
def test_shard_lists_patterns_and_manifest(shards, tmp_path):
    _, out = shards
    by_pattern = resolve_shards('t-{000000..000003}.tar', data_root=str(out))
    assert [u for u, _ in by_pattern] == [
        str(out / f't-{i:06d}.tar') for i in range(4)]
    assert {c for _, c in by_pattern} == {None}  # no counts without manifest
    with_counts = resolve_shards('t-{000000..000003}.tar', 'manifest.json',
                                 str(out))
    assert [c for _, c in with_counts] == [3, 3, 3, 3]
    listing = tmp_path / 'shards.txt'
    listing.write_text(f'# two shards\n{out}/t-000001.tar 3\n'
                       f'{out}/t-000002.tar\n')
    assert resolve_shards(str(listing)) == [
        (str(out / 't-000001.tar'), 3), (str(out / 't-000002.tar'), None)]
    # a dataset without counts counts the tar headers itself
    ds = ShardedImageDataset(shards=str(listing), pipeline=[])
    assert ds.counts.tolist() == [3, 3] and ds.total_samples == 6
    with pytest.raises(ValueError, match='no shards'):
        ShardedImageDataset()


def test_schedule_gives_every_shard_to_one_reader_per_pass():
    counts = np.arange(1, 11)  # 10 shards of 1..10 samples
    schedule = ShardSchedule(counts, slots=4, seed=3)
    orders = []
    for p in range(3):
        parts = [set(schedule.shards(s, p).tolist()) for s in range(4)]
        assert sum(len(x) for x in parts) == 10
        assert set().union(*parts) == set(range(10))  # disjoint cover
        orders.append(schedule.order(p).tolist())
    assert orders[0] != orders[1]  # reshuffled every pass
    # the same permutations on every rank: they depend on the seed only
    assert ShardSchedule(counts, 4, seed=3).order(1).tolist() == orders[1]
    # positions walk the slot's shards pass after pass
    first = schedule.shards(0, 0)
    size0 = int(counts[first[0]])
    assert schedule.locate(0, 0) == (0, 0, 0)
    assert schedule.locate(0, size0) == (0, 1, 0)
    assert schedule.next_boundary(0, 1) == size0
    end = int(counts[first].sum())
    assert schedule.locate(0, end) == (1, 0, 0)
    with pytest.raises(ValueError, match='cannot feed'):
        ShardSchedule(counts, slots=11)


def test_resume_positions_land_on_unread_shards():
    counts = [5] * 8
    layout = StreamLayout(ranks=2, workers=2, batch_size=2,
                          batches_per_epoch=5, buffer=3)
    start = dict(iter=0, **layout.to_dict())
    # worker 0 takes batches 0, 2, 4 of an epoch, worker 1 batches 1, 3
    assert layout.samples_read(0, 5) == 6 and layout.samples_read(1, 5) == 4
    assert layout.samples_read(0, 7) == 6 + 2
    _, plain, _ = stream_positions([start], counts, 0, 10)
    assert plain == [12, 12, 8, 8]  # slots: rank + 2 * worker
    history = [start, dict(start, iter=10)]
    _, resumed, schedule = stream_positions(history, counts, 0, 10)
    for trained, pos in zip(plain, resumed):
        assert pos >= trained + layout.buffer  # past anything trained on
        assert pos % 5 == 0  # at a shard boundary (all shards hold 5)
        assert pos - (trained + layout.buffer) < 5
    # a second resume replays the first one and goes on from there
    _, later, _ = stream_positions(history + [dict(start, iter=13)], counts,
                                   0, 13)
    for s, pos in enumerate(later):
        consumed = layout.samples_read(layout.worker_of(s), 3)
        assert pos >= resumed[s] + consumed + layout.buffer
    # a new layout starts every reader at the pass after the furthest one
    wide = StreamLayout(ranks=4, workers=1, batch_size=2,
                        batches_per_epoch=3, buffer=3)
    _, moved, wide_schedule = stream_positions(
        history + [dict(iter=13, **wide.to_dict())], counts, 0, 13)
    furthest = max(schedule.pass_of(s, p + 3) for s, p in enumerate(
        stream_positions(history, counts, 0, 13)[1]))
    assert [wide_schedule.locate(s, p) for s, p in enumerate(moved)] == [
        (furthest + 1, 0, 0)] * 4


# --------------------------------------------------------------- dataset
def test_stream_output_matches_the_folder_dataset(shards):
    """The pre-training pipeline gives the same packed fields and types
    from shards as from the folder, and the decoded images are the files'.
    """
    src, out = shards
    init_default_scope('mmagic')
    cfg = Config.fromfile(SHARDS_CONFIG)
    pipeline = [
        dict(t, min_size=32) if 'min_size' in t else
        dict(t, crop_size=(32, 32)) if 'crop_size' in t else t
        for t in cfg.train_dataloader.dataset.pipeline]
    stream = ShardedImageDataset(
        manifest=str(out / 'manifest.json'), pipeline=pipeline,
        samples_per_epoch=4, shuffle_buffer=4, initial_buffer=2)
    folder = UnlabeledImageDataset(
        data_root=str(src), pipeline=pipeline, use_scan_cache=False)
    a, b = next(iter(stream)), folder[0]
    assert a['inputs'].shape == b['inputs'].shape == (3, 32, 32)
    assert a['inputs'].dtype == b['inputs'].dtype
    sa, sb = a['data_samples'], b['data_samples']
    assert sorted(sa.keys()) == sorted(sb.keys())
    for key in sa.keys():
        assert sa.get(key).shape == sb.get(key).shape, key
        assert sa.get(key).dtype == sb.get(key).dtype, key
    assert sorted(sa.metainfo) == sorted(sb.metainfo)
    # the loader decodes the shard's bytes; they are the original files
    loaders = [dict(type='LoadImageReduced', key='fg', min_size=0),
               dict(type='LoadImageReduced', key='bg', min_size=0)]
    raw = ShardedImageDataset(
        manifest=str(out / 'manifest.json'), pipeline=loaders,
        samples_per_epoch=12, shuffle_buffer=4, initial_buffer=2)
    samples = list(raw)
    assert len(samples) == 12
    for s in samples[:3]:
        member = s['fg_path'].split('.tar/', 1)[1]  # c0/img_04.jpeg
        folder_name, _, stem = member.rpartition('/')
        original = src / folder_name / (
            stem.split('.')[0].replace('_', '.') + '.JPEG')
        assert np.array_equal(s['fg'], cv2.imread(str(original)))
        assert 'fg_bytes' not in s and s['bg_path'] != s['fg_path']


def test_backgrounds_come_from_the_stream(shards):
    """Each background is a sample still in the shuffle buffer: read
    already, and not yet used as a foreground."""
    _, out = shards
    ds = ShardedImageDataset(
        manifest=str(out / 'manifest.json'), pipeline=_record_pipeline(),
        samples_per_epoch=6, shuffle_buffer=6, initial_buffer=6)
    epoch = list(ds)
    assert [s['idx'] for s in epoch] == list(range(6))
    # the order the reader reads: its shards of pass 0, members in order
    read = []
    for k in ds_schedule_shards(ds):
        with tarfile.open(ds.urls[k]) as tar:
            read += [f'{ds.urls[k]}/{n}' for n in tar.getnames()]
    fgs = [s['fg'] for s in epoch]
    assert len(set(fgs)) == 6
    for k, s in enumerate(epoch):
        assert read.index(s['fg']) < 6 + k and read.index(s['bg']) < 6 + k
        assert s['bg'] not in fgs[:k + 1]  # not taken out of the buffer
    assert len({s['bg'] for s in epoch}) > 1


def ds_schedule_shards(ds):
    """Shard indices the single reader of ``ds`` reads in pass 0."""
    return ShardSchedule(ds.counts, 1, ds.seed).shards(0, 0).tolist()


def test_workers_split_the_shards_and_fill_the_epoch(shards):
    if 'fork' not in torch.multiprocessing.get_all_start_methods():
        pytest.skip('needs fork')
    _, out = shards
    ds = ShardedImageDataset(
        manifest=str(out / 'manifest.json'), pipeline=_record_pipeline(),
        samples_per_epoch=8, shuffle_buffer=3, initial_buffer=2)
    loader = torch.utils.data.DataLoader(
        ds, batch_size=2, num_workers=2, collate_fn=lambda b: b,
        drop_last=True, persistent_workers=True,
        multiprocessing_context='fork')
    layout = StreamLayout(ranks=1, workers=2, batch_size=2,
                          batches_per_epoch=len(loader), buffer=3)
    ds.bind_stream(layout, [dict(iter=0, **layout.to_dict())])
    assert len(loader) == 4
    shards_of = {0: set(), 1: set()}
    for epoch in range(2):
        ds.set_start_iter(epoch * len(loader))
        batches = list(loader)
        assert len(batches) == len(loader)  # worker quotas fill the epoch
        if epoch == 0:
            for k, batch in enumerate(batches):  # batch k from worker k % 2
                shards_of[k % 2] |= {s['fg'].split('.tar/')[0]
                                     for s in batch}
    assert shards_of[0] and shards_of[1]
    assert not shards_of[0] & shards_of[1]  # disjoint within the pass
    with pytest.raises(ValueError, match='cannot feed'):
        ds.bind_stream(StreamLayout(1, 5, 2, 1, 3), [])


def test_corrupt_members_and_shards_are_skipped_and_counted(
        shards, tmp_path, capture_log):
    _, out = shards
    bad = tmp_path / 'bad.tar'
    with tarfile.open(bad, 'w') as tar:
        for name, data in (('x/broken.jpg', b'\xff\xd8\xff\xe0junk' * 20),
                           ('x/meta_only.json', b'{}')):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    garbage = tmp_path / 'garbage.tar'
    garbage.write_bytes(b'this is not a tar file' * 100)
    listing = tmp_path / 'all.txt'
    listing.write_text('\n'.join(
        [f'{out}/t-{i:06d}.tar 3' for i in range(4)] +
        [f'{bad} 2', f'{garbage} 1']))
    init_default_scope('mmagic')
    ds = ShardedImageDataset(
        shards=str(listing),
        pipeline=[dict(type='LoadImageReduced', key='fg', min_size=0),
                  dict(type='LoadImageReduced', key='bg', min_size=0)],
        samples_per_epoch=24, shuffle_buffer=4, initial_buffer=2)
    out_samples = list(ds)
    assert len(out_samples) == 24  # skipped samples are made up for
    assert ds.num_skipped >= 1
    named = [m for m in capture_log.messages if 'broken.jpg' in m]
    assert named and 'unreadable image(s) skipped so far' in named[-1]
    assert ds.num_bad_shards >= 1
    assert any('garbage.tar' in m and 'unreadable shard' in m
               for m in capture_log.messages)
    assert _find_skip_counting_dataset(ds) is ds  # SkippedImagesHook
    # only unreadable data: the run stops instead of spinning
    only_bad = tmp_path / 'bad.txt'
    only_bad.write_text(f'{bad} 2\n')
    ds = ShardedImageDataset(shards=str(only_bad), pipeline=[
        dict(type='LoadImageReduced', key='fg', min_size=0)],
        samples_per_epoch=4, shuffle_buffer=2, probe_limit=5)
    with pytest.raises(RuntimeError, match='unreadable samples in a row'):
        list(ds)


def test_shards_config_switches_only_the_dataset():
    folder = Config.fromfile(osp.join(REPO, 'configs', 'dpt_swin-t_in1k.py'))
    cfg = Config.fromfile(SHARDS_CONFIG)
    assert cfg.model == folder.model
    assert cfg.param_scheduler == folder.param_scheduler
    assert cfg.train_cfg == folder.train_cfg
    ds = cfg.train_dataloader.dataset
    assert ds.type == 'ShardedImageDataset'
    assert ds.pipeline == folder.train_dataloader.dataset.pipeline
    assert cfg.train_dataloader.sampler is None
    assert cfg.train_dataloader.batch_size == 64
    assert ds.samples_per_epoch == 1281167
    assert {h.type for h in cfg.custom_hooks} == {
        'SkippedImagesHook', 'ShardStreamHook'}


# ------------------------------------------------------- DDP, kill, resume
def _demo_shards(tmp_path_factory):
    out = tmp_path_factory.mktemp('demo_shards')
    subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'dataset_converters', 'make_demo_data.py'),
        '--out', str(out / 'demo'), '--seed', '0', '--num-in1k', '16',
        '--num-train', '2', '--num-test', '1', '--num-bg', '4'
    ], check=True, capture_output=True)
    subprocess.run([
        sys.executable, TOOL, str(out / 'demo' / 'in1k' / 'train'),
        str(out / 'shards'), '--samples-per-shard', '2', '--prefix', 'demo'
    ], check=True, capture_output=True)
    return out / 'shards'


_SMALL_CONFIG = '''
_base_ = [{demo!r}]
size = 64
train_pipeline = [
    dict(t, min_size=size) if 'min_size' in t else
    dict(t, crop_size=(size, size)) if 'crop_size' in t else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False, sampler=None,
    dataset=dict(
        _delete_=True, type='ShardedImageDataset', data_root={root!r},
        manifest='manifest.json', samples_per_epoch=8, shuffle_buffer=4,
        initial_buffer=2, pipeline=train_pipeline))
custom_hooks = [dict(type='SkippedImagesHook', interval=1),
                dict(type='ShardStreamHook')]
max_epochs = 50
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs,
                        by_epoch=True, convert_to_iter_based=True)]
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop',
                 max_epochs=max_epochs)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(_delete_=True, type='CheckpointHook', interval=1,
                    by_epoch=True))
log_processor = dict(by_epoch=True)
'''

_READS = re.compile(r'shard stream rank (\d) worker 0: reads (\S+) '
                    r'\(pass (\d+), shard (\d+)/')


def _rank_logs(work, skip=()):
    """Text of each rank's log files (MMEngine writes one per rank) and the
    files read; files in ``skip`` are left out."""
    logs, files = {0: '', 1: ''}, set()
    for dirpath, _, names in os.walk(work):
        for name in sorted(names):
            m = re.search(r'rank(\d)\.log$', name)
            path = osp.join(dirpath, name)
            if m and path not in skip:
                files.add(path)
                with open(path) as f:
                    logs[int(m.group(1))] += f.read()
    return logs, files


def _kill_tree(pid):
    """SIGKILL ``pid`` and all its descendants (found through /proc)."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open(f'/proc/{entry}/stat') as f:
                    ppid = int(f.read().rsplit(')', 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    for p in reversed(tree):
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.slow
def test_ddp_shards_disjoint_kill_and_resume(tmp_path, tmp_path_factory):
    """2 gloo processes read disjoint shards; the run is killed after its
    second epoch checkpoint and --resume goes on with unread shards."""
    root = _demo_shards(tmp_path_factory)
    config = tmp_path / 'shards_demo.py'
    config.write_text(_SMALL_CONFIG.format(
        demo=osp.join(REPO, 'configs', 'demo', 'dpt_swin-demo_demo.py'),
        root=str(root)))
    work = tmp_path / 'work'
    env = dict(os.environ, OMP_NUM_THREADS='1', PORT='29531',
               PYTHON=sys.executable)
    # DEBUG: MMEngine then writes one log file per rank
    cmd = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), str(config),
           '2', '--work-dir', str(work)]
    debug = ['--cfg-options', 'log_level=DEBUG']
    # first run: killed once epoch 2 is saved (it would run 50 epochs)
    with open(tmp_path / 'first.out', 'wb') as out:
        proc = subprocess.Popen(cmd + debug, env=env, stdout=out,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)
        deadline = time.time() + 600
        while not (work / 'epoch_2.pth').exists():
            assert proc.poll() is None, \
                (tmp_path / 'first.out').read_text()[-3000:]
            assert time.time() < deadline, 'no epoch_2.pth in time'
            time.sleep(0.2)
        _kill_tree(proc.pid)  # torchrun's workers run in their own sessions
        proc.wait()
    first, first_files = _rank_logs(work)
    reads = {r: [m.groups()[1:] for m in _READS.finditer(first[r])
                 if m.group(1) == str(r)] for r in (0, 1)}
    pass0 = {r: {name for name, p, _ in reads[r] if p == '0'}
             for r in (0, 1)}
    assert pass0[0] and pass0[1]
    assert not pass0[0] & pass0[1]  # no shard read by both ranks
    assert len(pass0[0] | pass0[1]) <= 8

    # resume from the epoch-2 checkpoint (4 iterations) for one epoch more
    done = subprocess.run(
        cmd + ['--resume', str(work / 'epoch_2.pth')] + debug +
        ['train_cfg.max_epochs=3', 'param_scheduler.0.T_max=3'],
        env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (work / 'epoch_3.pth').exists()
    logs, _ = _rank_logs(work, skip=first_files)
    for r in (0, 1):
        after = logs[r]
        assert 'resumed epoch: 2, iter: 4' in after
        resumed = re.search(
            rf'shard stream resumed at iteration 4 \(epoch 2\): rank {r} '
            r'worker 0 continues with unread shard (\S+) \(pass (\d+), '
            r'shard (\d+) of this reader, stream position (\d+)\)', after)
        assert resumed, after[-2000:]
        # 2 epochs x 4 samples trained + a buffer of 4: position >= 12
        assert int(resumed.group(4)) >= 12
        opened = [m.groups() for m in _READS.finditer(after)
                  if m.group(1) == str(r)]
        assert opened, after[-2000:]
        # the stream goes on where the log says, not at the first shard
        assert opened[0][1:] == resumed.groups()[:3]
        assert opened[0][1:] != reads[r][0]
        # 8 samples / (2 ranks x batch 2): 2 iterations in the last epoch
        assert re.search(r'Epoch\(train\)\s+\[3\]\[2/2\]', after)


def test_stream_hook_keeps_restarts_in_checkpoints(shards, capture_log):
    from types import SimpleNamespace

    from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

    from dpt_mm.engine import ShardStreamHook
    _, out = shards
    ds = ShardedImageDataset(
        manifest=str(out / 'manifest.json'), pipeline=_record_pipeline(),
        samples_per_epoch=8, shuffle_buffer=3, initial_buffer=2)
    loop = object.__new__(EpochBasedTrainLoop)  # only its dataloader is read
    loop.dataloader = torch.utils.data.DataLoader(
        ds, batch_size=2, collate_fn=lambda b: b, drop_last=True)
    runner = SimpleNamespace(train_loop=loop, iter=0, epoch=0,
                             logger=MMLogger.get_current_instance())
    hook = ShardStreamHook()
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    assert ds.stream_layout.batches_per_epoch == 4
    assert len(list(loop.dataloader)) == 4
    runner.iter, runner.epoch = 4, 1
    checkpoint = dict(meta=dict(iter=4))
    hook.before_save_checkpoint(runner, checkpoint)
    assert checkpoint['meta']['shard_stream']['restarts'][0]['iter'] == 0

    # a resumed run: a new dataset and hook, the checkpoint's history
    ds2 = ShardedImageDataset(
        manifest=str(out / 'manifest.json'), pipeline=_record_pipeline(),
        samples_per_epoch=8, shuffle_buffer=3, initial_buffer=2)
    loop.dataloader = torch.utils.data.DataLoader(
        ds2, batch_size=2, collate_fn=lambda b: b, drop_last=True)
    resumed = ShardStreamHook()
    resumed.after_load_checkpoint(runner, checkpoint)
    resumed.before_train(runner)
    assert [h['iter'] for h in ds2._history] == [0, 4]
    line = [m for m in capture_log.messages
            if m.startswith('shard stream resumed at iteration 4')]
    pos = ds2.reader_positions(4)[0]
    assert len(line) == 1 and f'stream position {pos["position"]}' in line[0]
    assert pos['position'] >= 8 + 3 and pos['offset'] == 0
    resumed.before_train_epoch(runner)
    first = next(iter(loop.dataloader))[0]
    assert first['fg'].startswith(pos['shard'] + '/')

    # an iteration-based loop would replay the stream on resume
    runner.train_loop = object.__new__(IterBasedTrainLoop)
    runner.train_loop.dataloader = loop.dataloader
    with pytest.raises(TypeError, match='EpochBasedTrainLoop'):
        ShardStreamHook().before_train(runner)
    # not a stream: nothing to do
    runner.train_loop.dataloader = SimpleNamespace(dataset=[1, 2])
    ShardStreamHook().before_train(runner)
