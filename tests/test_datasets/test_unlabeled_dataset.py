"""Tests of UnlabeledImageDataset, SkippedImagesHook and the pre-training
data config (end to end through mmagic's MattorPreprocessor)."""
import logging
import os
import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub, MMLogger
from mmengine.registry import init_default_scope

import dpt_mm  # noqa: F401  (registers the modules)
from dpt_mm.datasets import UnlabeledImageDataset
from dpt_mm.engine import SkippedImagesHook
from tool_scripts import load_tool

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIG = osp.join(REPO, 'configs', '_base_', 'datasets',
                  'dpt_pretrain_in1k.py')
OLD = 1_500_000_000  # a 2017 timestamp: folders older than the racy window


def _jpeg(path, h, w, seed):
    rng = np.random.RandomState(seed)
    small = rng.randint(0, 256, (h // 8 + 1, w // 8 + 1, 3)).astype(np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 90])


def make_tree(root, n_per_class=3, classes=('n001', 'n002'), size=(60, 80)):
    """Write train/<class>/<class>_<i>.JPEG; return the relative paths."""
    rel = []
    for c, cls in enumerate(classes):
        for i in range(n_per_class):
            name = f'{cls}/{cls}_{i}.JPEG'
            _jpeg(osp.join(root, 'train', name), size[0], size[1], 10 * c + i)
            rel.append(name)
    return sorted(rel)


def age_dirs(root):
    """Give every folder an old mtime so the scan cache trusts it."""
    for dirpath, _, _ in os.walk(root):
        os.utime(dirpath, (OLD, OLD))


class _Capture(logging.Handler):

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def capture_log():
    logger = MMLogger.get_instance(f'test_unlabeled_{id(object())}')
    handler = _Capture()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def _loaders():
    init_default_scope('mmagic')  # configs set default_scope = 'mmagic'
    return [dict(type='LoadImageReduced', key='fg'),
            dict(type='LoadImageReduced', key='bg')]


def test_folder_scan_and_cache(tmp_path):
    rel = make_tree(tmp_path)
    (tmp_path / 'train' / 'n001' / 'notes.txt').write_text('not an image')
    age_dirs(tmp_path / 'train')
    kw = dict(data_root=str(tmp_path), data_prefix=dict(img_path='train'),
              cache_dir=str(tmp_path / 'cache'))
    ds = UnlabeledImageDataset(**kw)
    assert ds.scan_source == 'scan'
    expect = [osp.join(str(tmp_path), 'train', p) for p in rel]
    assert [ds.get_data_info(i)['fg_path'] for i in range(len(ds))] == expect
    ds2 = UnlabeledImageDataset(**kw)
    assert ds2.scan_source == 'cache'
    assert [ds2.get_data_info(i)['fg_path'] for i in range(len(ds2))] == \
        expect
    # a new image changes its folder's mtime: the cache is not trusted
    _jpeg(tmp_path / 'train' / 'n002' / 'n002_new.JPEG', 40, 40, 99)
    os.utime(tmp_path / 'train' / 'n002', (OLD + 10, OLD + 10))
    ds3 = UnlabeledImageDataset(**kw)
    assert ds3.scan_source == 'scan' and len(ds3) == len(rel) + 1
    # without the cache
    ds4 = UnlabeledImageDataset(use_scan_cache=False, **kw)
    assert ds4.scan_source == 'scan' and len(ds4) == len(rel) + 1


def test_racy_scan_is_not_cached(tmp_path):
    make_tree(tmp_path, n_per_class=1)  # folders modified just now
    kw = dict(data_root=str(tmp_path), data_prefix=dict(img_path='train'),
              cache_dir=str(tmp_path / 'cache'))
    assert UnlabeledImageDataset(**kw).scan_source == 'scan'
    assert UnlabeledImageDataset(**kw).scan_source == 'scan'


def test_list_file(tmp_path):
    rel = make_tree(tmp_path)
    meta = tmp_path / 'meta'
    meta.mkdir()
    # mmpretrain style: relative to train/, with a label; comments ignored
    lines = ['# comment', ''] + [f'{p} {i % 2}' for i, p in enumerate(rel)]
    (meta / 'train.txt').write_text('\n'.join(lines) + '\n')
    ds = UnlabeledImageDataset(
        data_root=str(tmp_path), ann_file='meta/train.txt',
        data_prefix=dict(img_path='train'))
    assert ds.scan_source == 'list' and len(ds) == len(rel)
    assert ds.get_data_info(0)['fg_path'] == osp.join(
        str(tmp_path), 'train', rel[0])
    # paths relative to data_root instead of the prefix are detected
    (meta / 'root.txt').write_text('\n'.join('train/' + p for p in rel))
    ds = UnlabeledImageDataset(
        data_root=str(tmp_path), ann_file='meta/root.txt',
        data_prefix=dict(img_path='train'))
    assert osp.isfile(ds.get_data_info(len(ds) - 1)['fg_path'])
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        UnlabeledImageDataset(
            data_root=str(tmp_path), ann_file='meta/missing.txt')


def test_background_is_another_random_image(tmp_path):
    make_tree(tmp_path, n_per_class=5)  # 10 images
    ds = UnlabeledImageDataset(
        data_root=str(tmp_path), data_prefix=dict(img_path='train'),
        use_scan_cache=False)
    np.random.seed(0)
    counts = np.zeros(len(ds), int)
    for _ in range(900):
        info = ds.prepare_data(3)
        assert info['fg_path'] != info['bg_path']
        assert info['bg_path'] == ds.get_data_info(info['bg_idx'])['fg_path']
        counts[info['bg_idx']] += 1
    assert counts[3] == 0
    others = np.delete(counts, 3)
    assert (np.abs(others - 100) < 40).all()  # uniform over the other 9

    def draw(seed):
        np.random.seed(seed)
        return [ds.prepare_data(i)['bg_idx'] for i in range(len(ds))]

    assert draw(1) == draw(1)
    assert draw(1) != draw(2)


def test_corrupt_file_skipped_and_counted(tmp_path, capture_log):
    make_tree(tmp_path, n_per_class=2)
    bad = tmp_path / 'train' / 'n002' / 'zz_corrupt.JPEG'
    bad.write_bytes(b'\xff\xd8\xff\xe0' + b'garbage' * 50)
    ds = UnlabeledImageDataset(
        data_root=str(tmp_path), data_prefix=dict(img_path='train'),
        pipeline=_loaders(), use_scan_cache=False)
    bad_idx = [ds.get_data_info(i)['fg_path']
               for i in range(len(ds))].index(str(bad))
    np.random.seed(0)
    assert ds.num_skipped == 0
    out = ds[bad_idx]  # refetched from another index
    assert out['fg_path'] != str(bad) and out['bg_path'] != str(bad)
    assert out['fg'].shape == (60, 80, 3) and out['bg'].shape == (60, 80, 3)
    warnings = [m for m in capture_log.messages if 'zz_corrupt.JPEG' in m]
    assert ds.num_skipped >= 1
    assert len(warnings) == ds.num_skipped
    assert f'{ds.num_skipped} unreadable image(s) skipped' in warnings[-1]
    # every sample of an epoch still comes out
    for i in range(len(ds)):
        assert ds[i]['fg'].ndim == 3
    assert ds.num_skipped >= 2  # the bad file's own index at least twice
    # test mode does not hide the error
    ds.test_mode = True
    with pytest.raises(OSError, match='zz_corrupt.JPEG'):
        ds.prepare_data(bad_idx)


def test_skip_count_shared_with_forked_workers(tmp_path):
    if 'fork' not in torch.multiprocessing.get_all_start_methods():
        pytest.skip('needs fork')
    make_tree(tmp_path, n_per_class=2)
    bad = tmp_path / 'train' / 'n001' / 'zz_bad.JPEG'
    bad.write_bytes(b'not an image')
    ds = UnlabeledImageDataset(
        data_root=str(tmp_path), data_prefix=dict(img_path='train'),
        pipeline=_loaders(), use_scan_cache=False)
    loader = torch.utils.data.DataLoader(
        ds, batch_size=1, num_workers=1, collate_fn=lambda b: b,
        multiprocessing_context='fork')
    n = sum(1 for _ in loader)
    assert n == len(ds)
    assert ds.num_skipped >= 1  # counted in the worker, read in the main


def test_no_image_fails_at_build(tmp_path):
    (tmp_path / 'train' / 'empty').mkdir(parents=True)
    with pytest.raises(ValueError, match='no image found'):
        UnlabeledImageDataset(
            data_root=str(tmp_path), data_prefix=dict(img_path='train'),
            use_scan_cache=False)
    for i in range(3):
        (tmp_path / 'train' / 'empty' / f'{i}.jpg').write_bytes(b'junk')
    with pytest.raises(ValueError, match='no readable image'):
        UnlabeledImageDataset(
            data_root=str(tmp_path), data_prefix=dict(img_path='train'),
            use_scan_cache=False)
    with pytest.raises(FileNotFoundError, match='nowhere'):
        UnlabeledImageDataset(
            data_root=str(tmp_path), data_prefix=dict(img_path='nowhere'))


def test_skipped_images_hook(tmp_path, capture_log):
    make_tree(tmp_path, n_per_class=1)
    ds = UnlabeledImageDataset(
        data_root=str(tmp_path), data_prefix=dict(img_path='train'),
        use_scan_cache=False)
    hub = MessageHub.get_instance(f'test_skip_hook_{id(ds)}')
    logger = MMLogger.get_current_instance()
    runner = SimpleNamespace(
        train_dataloader=SimpleNamespace(dataset=SimpleNamespace(dataset=ds)),
        message_hub=hub, logger=logger, iter=0)
    hook = SkippedImagesHook(interval=2)
    ds._skip_counter.increment(3)
    hook.after_train_iter(runner, 0)
    assert hub.get_scalar('train/skipped_images').current() == 3
    assert not any('skipped so far' in m for m in capture_log.messages)
    runner.iter = 1  # every 2nd iteration: report the growth
    hook.after_train_iter(runner, 1)
    assert any('3 unreadable training image(s)' in m
               for m in capture_log.messages)


def test_config_values():
    cfg = Config.fromfile(CONFIG)
    loader = cfg.train_dataloader
    assert loader.batch_size == 64 and cfg.data_root == 'data/imagenet'
    assert loader.dataset.data_root == 'data/imagenet'
    assert loader.dataset.ann_file == 'meta/train.txt'
    grid = [t for t in cfg.train_pipeline if t['type'] == 'GridTrimap'][0]
    assert grid['cell_size'] == 7
    assert tuple(grid['ratios']) == (0.75, 0.125, 0.125)
    types = [t['type'] for t in cfg.train_pipeline]
    # augmentation comes before the synthesis, packing last
    assert types.index('ResizeCropAffine') < types.index('RandomHue') < \
        types.index('GridTrimap') < \
        types.index('RandomAlpha') < types.index('Composite') < \
        types.index('PackMattingInputs') == len(types) - 1
    assert cfg.train_pipeline[-1]['onehot_trimap'] is True
    assert loader.dataset.pipeline == cfg.train_pipeline


def _build_config_loader(tmp_path, **pipeline_kw):
    init_default_scope('mmagic')
    from mmengine.runner import Runner
    cfg = Config.fromfile(CONFIG)
    loader_cfg = cfg.train_dataloader
    loader_cfg.update(batch_size=3, num_workers=0, persistent_workers=False)
    loader_cfg.dataset.update(
        data_root=str(tmp_path), ann_file='', cache_dir=str(tmp_path / 'c'))
    if 'pipeline' in pipeline_kw:
        loader_cfg.dataset.pipeline = pipeline_kw['pipeline']
    return cfg, Runner.build_dataloader(loader_cfg, seed=0)


def test_config_pipeline_end_to_end(tmp_path):
    make_tree(tmp_path, n_per_class=2, size=(180, 250))
    _jpeg(tmp_path / 'train' / 'n003' / 'big.JPEG', 500, 700, 5)
    _, loader = _build_config_loader(tmp_path)
    from mmagic.registry import MODELS
    pre = MODELS.build(dict(type='MattorPreprocessor', proc_trimap='as_is'))
    batch = next(iter(loader))
    data = pre(batch, training=True)
    x, s = data['inputs'], data['data_samples']
    assert x.shape == (3, 6, 224, 224) and x.dtype == torch.float32
    onehot = x[:, 3:]
    assert set(torch.unique(onehot).tolist()) == {0.0, 1.0}
    assert (onehot.sum(1) == 1).all()
    # exactly 768 / 128 / 128 of the 1024 7x7 cells: pixel fractions exact
    frac = onehot.mean(dim=(2, 3))
    assert torch.equal(frac, torch.tensor([[0.125, 0.75, 0.125]] * 3))
    # normalised RGB image
    assert -2.2 < x[:, :3].min() < 0 < x[:, :3].max() < 2.7
    for key in ('gt_alpha', 'gt_fg', 'gt_bg', 'gt_merged'):
        v = getattr(s, key)
        assert v.shape == ((3, 1, 224, 224) if key == 'gt_alpha' else
                           (3, 3, 224, 224))
        assert v.min() >= 0 and v.max() <= 1
    alpha, fg, bg, merged = s.gt_alpha, s.gt_fg, s.gt_bg, s.gt_merged
    assert (alpha[onehot[:, 2:3] == 1] == 1).all()
    assert (alpha[onehot[:, 0:1] == 1] == 0).all()
    unk = alpha[onehot[:, 1:2] == 1]
    assert 0.45 < unk.mean() < 0.55 and unk.std() > 0.25
    # the composite of the very fg / bg / alpha handed to the loss
    comp = alpha * fg + (1 - alpha) * bg
    assert (comp - merged).abs().max() <= 0.5 / 255 + 1e-4
    # fg and bg are different images, independently augmented
    assert (fg - bg).abs().mean() > 0.02
    # the normalised input is the merged image
    mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
    torch.testing.assert_close(
        x[:, :3] * std + mean, merged * 255, atol=1e-3, rtol=0)


def test_config_block_pipeline(tmp_path):
    make_tree(tmp_path, n_per_class=2, size=(120, 150))
    cfg = Config.fromfile(CONFIG)
    _, loader = _build_config_loader(
        tmp_path, pipeline=cfg.train_pipeline_block)
    batch = next(iter(loader))
    trimaps = [d.trimap for d in batch['data_samples']]
    for t in trimaps:
        assert t.shape == (3, 224, 224)
        assert (t.sum(0) == 1).all()
        fg = t[2].nonzero()
        unk = t[1].nonzero()
        assert len(fg) and len(unk)
        # the fg region is a box inside the unknown ring's bounding box
        assert fg.min(0).values.ge(unk.min(0).values).all()
        assert fg.max(0).values.le(unk.max(0).values).all()


def test_visualize_pretext_tool(tmp_path):
    tool = load_tool('tools/visualize_pretext.py', 'visualize_pretext')
    make_tree(tmp_path, n_per_class=2, size=(120, 160))
    out = tmp_path / 'vis' / 'grid.png'
    tool.main([
        CONFIG, '--out', str(out), '--num', '2', '--cfg-options',
        f'train_dataloader.dataset.data_root={tmp_path}',
        'train_dataloader.dataset.ann_file=',
        f'train_dataloader.dataset.cache_dir={tmp_path / "cache"}'
    ])
    grid = cv2.imread(str(out))
    pad, label = 4, tool.LABEL_H
    assert grid.shape == (label + 2 * (224 + pad) + pad, 4 * (224 + pad) + pad,
                          3)
    # second column of the first row is the grid trimap: 3 grey levels,
    # three quarters unknown
    x0, y0 = pad + 224 + pad, label + pad
    trimap = grid[y0:y0 + 224, x0:x0 + 224, 0]
    assert set(np.unique(trimap)) == {0, 128, 255}
    assert (trimap == 128).mean() == 0.75
    assert not list(tmp_path.joinpath('vis').glob('.tmp*'))  # atomic write
