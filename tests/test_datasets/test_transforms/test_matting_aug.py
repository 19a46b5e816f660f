"""Fine-tuning data: the Composition-1k / Distinctions-646 converters, the
NaN-safe jitter and the MG Matting pipeline of the dataset configs."""
import hashlib
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters'))

import comp1k  # noqa: E402
import distinct646  # noqa: E402


def _img(rng, h, w, c=3):
    shape = (h, w, c) if c else (h, w)
    return rng.integers(0, 256, shape, dtype=np.uint8)


def _alpha(h, w):
    """Disc with a linear soft edge: 0, 255 and fractions."""
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot(yy - h / 2, xx - w / 2)
    return np.clip((h / 3 - r) * 40 + 128, 0, 255).astype(np.uint8)


def _write(path, img):
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, img)


def _sha(path):
    return hashlib.sha256(open(path, 'rb').read()).hexdigest()


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def test_erosion_trimap_matches_mmagic_generate_trimap():
    """Same trimap as mmagic's GenerateTrimap with fixed kernels."""
    from mmagic.datasets import transforms as mmagic_tf
    rng = np.random.default_rng(0)
    alpha = _alpha(64, 80)
    alpha[5:9, 5:60] = rng.integers(1, 255, (4, 55))  # a thin strand
    for k_fg, k_bg in [(1, 1), (3, 9), (12, 5)]:
        ref = mmagic_tf.GenerateTrimap(
            kernel_size=(k_fg, k_bg), iterations=(1, 1),
            random=False).transform(
                dict(alpha=alpha.copy()))['trimap']
        ours = comp1k.erosion_trimap(alpha, k_fg, k_bg)
        assert np.array_equal(ours, ref)


def test_random_dilation_trimap_seeded_and_consistent():
    alpha = _alpha(96, 96)
    t1 = comp1k.random_dilation_trimap(alpha, np.random.default_rng(4))
    t2 = comp1k.random_dilation_trimap(alpha, np.random.default_rng(4))
    assert np.array_equal(t1, t2)
    frac = (alpha > 0) & (alpha < 255)
    assert np.all(t1[frac] == 128)
    assert np.all(alpha[t1 == 255] == 255) and np.all(alpha[t1 == 0] == 0)
    widths = {
        int((comp1k.random_dilation_trimap(
            alpha, np.random.default_rng(s)) == 128).sum())
        for s in range(8)
    }
    assert len(widths) > 4  # the band width is random
    with pytest.raises(ValueError, match='kernel_range'):
        comp1k.random_dilation_trimap(alpha, np.random.default_rng(0), (0, 5))


def test_dim_composite_scales_background_to_cover():
    rng = np.random.default_rng(1)
    fg, alpha = _img(rng, 40, 50), _alpha(40, 50)
    bg = _img(rng, 20, 30)
    merged, bg_crop = comp1k.dim_composite(fg, bg, alpha)
    assert bg_crop.shape == (40, 50, 3) and merged.dtype == np.uint8
    ratio = max(50 / 30, 40 / 20)
    big = cv2.resize(bg, (int(np.ceil(30 * ratio)), int(np.ceil(20 * ratio))),
                     interpolation=cv2.INTER_CUBIC)
    assert np.array_equal(bg_crop, big[:40, :50])
    a = alpha[..., None] / 255.
    expect = (fg * a + bg_crop * (1 - a)).astype(np.uint8)
    assert np.array_equal(merged, expect)
    # a larger background is only cropped
    bg2 = _img(rng, 60, 70)
    _, crop2 = comp1k.dim_composite(fg, bg2, alpha)
    assert np.array_equal(crop2, bg2[:40, :50])


# --------------------------------------------------------------------------
# Composition-1k converter
# --------------------------------------------------------------------------
def _make_adobe(root, rng, with_merged=False):
    """A 3-train / 2-test Composition-1k tree with COCO 2017 and VOC dirs."""
    coco = osp.join(root, 'coco', 'train2017')
    voc = osp.join(root, 'voc')
    data = osp.join(root, 'adobe')
    for i in range(4):
        _write(osp.join(coco, f'{i:012d}.jpg'), _img(rng, 30, 30))
        _write(osp.join(voc, f'2008_{i:06d}.jpg'), _img(rng, 20, 24))
    train = ['a.jpg', 'b.png', 'c.jpg']
    for i, name in enumerate(train):
        sub = 'Other' if i == 2 else 'Adobe-licensed images'
        base = osp.join(data, 'Training_set', sub)
        _write(osp.join(base, 'fg', name), _img(rng, 24, 32))
        _write(osp.join(base, 'alpha', name), _alpha(24, 32))
    with open(osp.join(data, 'Training_set', 'training_fg_names.txt'),
              'w') as f:
        f.write('\n'.join(train) + '\n')
    with open(osp.join(data, 'Training_set', 'training_bg_names.txt'),
              'w') as f:
        for i in range(6):  # 2 per fg, 2014 names mapped to 2017 files
            f.write(f'COCO_train2014_{i % 4:012d}.jpg\n')
    test = ['t0.png', 't1.png']
    tdir = osp.join(data, comp1k.TEST_FG_DIR)
    for i, name in enumerate(test):
        fg, alpha = _img(rng, 26, 28), _alpha(26, 28)
        _write(osp.join(tdir, name), fg)
        _write(osp.join(data, comp1k.TEST_ALPHA_DIR, name), alpha)
        for j in range(2):
            _write(
                osp.join(data, comp1k.TEST_TRIMAP_DIR, f't{i}_{j}.png'),
                comp1k.erosion_trimap(alpha, 3, 3))
    with open(osp.join(data, 'Test_set', 'test_fg_names.txt'), 'w') as f:
        f.write('\n'.join(test) + '\n')
    with open(osp.join(data, 'Test_set', 'test_bg_names.txt'), 'w') as f:
        f.write('\n'.join(f'2008_{i:06d}.jpg' for i in range(4)) + '\n')
    return data, coco, voc


def test_comp1k_converter_train_and_test_lists(tmp_path):
    rng = np.random.default_rng(0)
    data, coco, voc = _make_adobe(str(tmp_path), rng)
    with pytest.raises(FileNotFoundError, match='pass --voc-dir'):
        comp1k.convert(data, coco_dir=coco)
    counts = comp1k.convert(data, coco_dir=coco, voc_dir=voc)
    assert counts == {'training_list.json': 6, 'test_list.json': 4}
    train = json.load(open(osp.join(data, 'training_list.json')))
    assert train['metainfo']['task_name'] == 'matting'
    entries = train['data_list']
    assert entries[0] == dict(
        alpha_path='Training_set/Adobe-licensed images/alpha/a.jpg',
        fg_path='Training_set/Adobe-licensed images/fg/a.jpg',
        bg_path='../coco/train2017/000000000000.jpg')
    assert entries[5]['fg_path'] == 'Training_set/Other/fg/c.jpg'
    assert entries[5]['bg_path'].endswith('000000000001.jpg')
    for e in entries:
        assert osp.isfile(osp.normpath(osp.join(data, e['bg_path'])))
    test = json.load(open(osp.join(data, 'test_list.json')))['data_list']
    e = test[3]  # t1 on its 2nd background (VOC 2008_000003)
    assert e['merged_path'] == 'Test_set/merged/t1_1.png'
    assert e['trimap_path'].endswith('trimaps/t1_1.png')
    fg = cv2.imread(osp.join(data, e['fg_path']))
    alpha = cv2.imread(osp.join(data, e['alpha_path']), 0)
    bg = cv2.imread(osp.join(voc, '2008_000003.jpg'))
    expect, _ = comp1k.dim_composite(fg, bg, alpha)
    assert np.array_equal(cv2.imread(osp.join(data, e['merged_path'])), expect)
    # no_bg: each foreground once
    assert comp1k.convert(data, with_bg=False, skip_test=True) == {
        'training_list.json': 3
    }


def test_comp1k_converter_errors_name_the_file(tmp_path):
    rng = np.random.default_rng(0)
    data, coco, voc = _make_adobe(str(tmp_path), rng)
    os.remove(osp.join(coco, '000000000002.jpg'))
    with pytest.raises(FileNotFoundError, match='COCO_train2014_0+2.jpg'):
        comp1k.convert(data, coco_dir=coco, skip_test=True)
    os.remove(osp.join(data, 'Training_set', 'Other', 'alpha', 'c.jpg'))
    with pytest.raises(FileNotFoundError, match='c.jpg'):
        comp1k.convert(data, with_bg=False, skip_test=True)
    with open(osp.join(data, 'Test_set', 'test_bg_names.txt'), 'w') as f:
        f.write('x.jpg\n')
    with pytest.raises(comp1k.DatasetLayoutError,
                       match='test_bg_names.txt.*multiple'):
        comp1k.convert(data, skip_train=True, voc_dir=voc)
    with pytest.raises(FileNotFoundError, match='nowhere'):
        comp1k.convert(osp.join(str(tmp_path), 'nowhere'))


def test_comp1k_converter_flat_test_layout(tmp_path):
    rng = np.random.default_rng(0)
    data = str(tmp_path)
    for name in ['x_0.png', 'x_1.png']:
        for sub in ['merged', 'alpha_copy', 'trimaps']:
            _write(osp.join(data, 'Test_set', sub, name), _img(rng, 8, 8, 0))
    assert comp1k.convert(data, skip_train=True) == {'test_list.json': 2}
    test = json.load(open(osp.join(data, 'test_list.json')))['data_list']
    assert test[1] == dict(
        alpha_path='Test_set/alpha_copy/x_1.png',
        trimap_path='Test_set/trimaps/x_1.png',
        merged_path='Test_set/merged/x_1.png')


# --------------------------------------------------------------------------
# Distinctions-646 converter
# --------------------------------------------------------------------------
def _make_d646(root, rng, n_train=3, n_test=2):
    data = osp.join(root, 'd646')
    voc = osp.join(root, 'voc')
    for i in range(5):
        _write(osp.join(voc, f'v{i}.jpg'), _img(rng, 30, 40))
    for split, n in (('Train', n_train), ('Test', n_test)):
        for i in range(n):
            _write(osp.join(data, split, 'FG', f'{split}{i}.png'),
                   _img(rng, 36, 44))
            _write(osp.join(data, split, 'GT', f'{split}{i}.png'),
                   _alpha(36, 44))
    return data, voc


def test_distinct646_converter_seeded_trimaps_on_disk(tmp_path):
    rng = np.random.default_rng(0)
    data, voc = _make_d646(str(tmp_path), rng)
    counts = distinct646.convert(data, voc, num_bg=3, seed=0)
    assert counts == {'training_list.json': 3, 'test_list.json': 6}
    train = json.load(open(osp.join(data, 'training_list.json')))
    assert train['data_list'][1] == dict(
        alpha_path='Train/GT/Train1.png', fg_path='Train/FG/Train1.png')
    test = json.load(open(osp.join(data, 'test_list.json')))['data_list']
    assert [e['merged_path'] for e in test[:3]] == [
        'Test/merged/Test0_0.png', 'Test/merged/Test0_1.png',
        'Test/merged/Test0_2.png'
    ]
    for e in test:
        alpha = cv2.imread(osp.join(data, e['alpha_path']), 0)
        trimap = cv2.imread(osp.join(data, e['trimap_path']), 0)
        assert np.all(alpha[trimap == 255] == 255)
        assert np.all(alpha[trimap == 0] == 0)
        assert np.all(trimap[(alpha > 0) & (alpha < 255)] == 128)
        fg = cv2.imread(osp.join(data, e['fg_path'])).astype(float)
        bg = cv2.imread(osp.join(data, e['bg_path'])).astype(float)
        a = alpha[..., None] / 255.
        assert np.array_equal(
            cv2.imread(osp.join(data, e['merged_path'])),
            (fg * a + bg * (1 - a)).astype(np.uint8))
    files = [
        osp.join(data, e[k]) for e in test
        for k in ('trimap_path', 'merged_path')
    ]
    hashes = [_sha(f) for f in files]
    # the trimaps differ between composites (random kernel per composite)
    assert len({_sha(osp.join(data, e['trimap_path'])) for e in test}) > 2

    # a second run keeps the files as they are
    mtimes = [os.stat(f).st_mtime_ns for f in files]
    distinct646.convert(data, voc, num_bg=3, seed=0)
    assert [os.stat(f).st_mtime_ns for f in files] == mtimes

    # a fresh copy with the same seed reproduces them byte for byte,
    # another seed does not
    data2, voc2 = _make_d646(str(tmp_path / 'copy'), np.random.default_rng(0))
    distinct646.convert(data2, voc2, num_bg=3, seed=0)
    assert [_sha(f.replace(data, data2)) for f in files] == hashes
    distinct646.convert(data2, voc2, num_bg=3, seed=1, overwrite=True)
    assert [_sha(f.replace(data, data2)) for f in files] != hashes


def test_distinct646_converter_errors(tmp_path):
    rng = np.random.default_rng(0)
    data, voc = _make_d646(str(tmp_path), rng)
    with pytest.raises(FileNotFoundError, match='pass --voc-dir'):
        distinct646.convert(data, None, num_bg=1)
    os.remove(osp.join(data, 'Train', 'GT', 'Train2.png'))
    with pytest.raises(FileNotFoundError, match='Train2.png'):
        distinct646.convert(data, voc, num_bg=1)
    _write(osp.join(data, 'Train', 'GT', 'Train2.png'), _alpha(10, 10))
    with pytest.raises(comp1k.DatasetLayoutError, match='Test1.png'):
        _write(osp.join(data, 'Test', 'GT', 'Test1.png'), _alpha(10, 10))
        distinct646.convert(data, voc, num_bg=1)


def test_distinct646_generated_test_layout(tmp_path):
    """HAttMatting's composited test set (Test/Image + Test/GT) is listed
    as it is; its trimaps are made here."""
    rng = np.random.default_rng(0)
    data, _ = _make_d646(str(tmp_path), rng, n_test=0)
    for i in range(2):
        _write(osp.join(data, 'Test', 'Image', f'm_{i}.png'),
               _img(rng, 36, 44))
        _write(osp.join(data, 'Test', 'GT', f'm_{i}.png'), _alpha(36, 44))
    counts = distinct646.convert(data, None)
    assert counts['test_list.json'] == 2
    e = json.load(open(osp.join(data, 'test_list.json')))['data_list'][1]
    assert e == dict(
        alpha_path='Test/GT/m_1.png',
        trimap_path='Test/trimaps/m_1.png',
        merged_path='Test/Image/m_1.png')
    assert osp.isfile(osp.join(data, e['trimap_path']))


# --------------------------------------------------------------------------
# transforms and the demo pipeline (need the mmagic stack)
# --------------------------------------------------------------------------
def test_random_jitter_non_empty_skips_transparent_crops():
    import dpt_mm  # noqa: F401
    from dpt_mm.registry import TRANSFORMS
    tf = TRANSFORMS.build(dict(type='RandomJitterNonEmpty'))
    rng = np.random.default_rng(0)
    fg = _img(rng, 16, 16)
    empty = dict(fg=fg.copy(), alpha=np.zeros((16, 16, 1)))
    with np.errstate(all='ignore'), pytest.warns(RuntimeWarning,
                                                 match='empty slice'):
        ref = TRANSFORMS.build(dict(type='RandomJitter')).transform(
            dict(fg=fg.copy(), alpha=np.zeros((16, 16, 1))))
    assert np.isnan(ref['fg']).all()  # mmagic's jitter breaks down
    out = tf.transform(empty)
    assert np.array_equal(out['fg'], fg)
    # with some foreground it jitters exactly like mmagic's RandomJitter
    alpha = np.zeros((16, 16, 1))
    alpha[4:9, 4:9] = 200
    np.random.seed(3)
    a = tf.transform(dict(fg=fg.copy(), alpha=alpha))['fg']
    np.random.seed(3)
    b = TRANSFORMS.build(dict(type='RandomJitter')).transform(
        dict(fg=fg.copy(), alpha=alpha))['fg']
    assert np.allclose(a, b) and not np.allclose(a, fg)


@pytest.fixture(scope='module')
def demo_root(tmp_path_factory):
    import make_demo_data
    out = str(tmp_path_factory.mktemp('demo'))
    make_demo_data.make_demo_data(
        out, seed=0, num_in1k=1, num_train=4, num_test=1, num_bg=4,
        num_heldout=1, num_scarce=1)
    return osp.join(out, 'comp1k')


def _demo_cfg(demo_root):
    import shutil
    import tempfile

    from mmengine.config import Config
    folder = osp.join(ROOT, 'configs', '_base_', 'datasets')
    text = open(osp.join(folder, 'demo_comp1k.py')).read()
    line = "data_root = 'data/demo/comp1k'"
    assert line in text
    # the same config with its data root on the temporary demo copy, next
    # to a copy of the base it inherits
    tmp = tempfile.mkdtemp()
    for base in ('comp1k_mg.py', 'comp1k_test.py'):
        shutil.copy(osp.join(folder, base), tmp)
    path = osp.join(tmp, 'demo_comp1k.py')
    with open(path, 'w') as f:
        f.write(text.replace(line, f'data_root = {demo_root!r}'))
    return Config.fromfile(path)


def test_demo_config_train_pipeline_end_to_end(demo_root):
    import torch
    from mmengine.registry import init_default_scope

    import dpt_mm  # noqa: F401
    from dpt_mm.registry import DATASETS, MODELS
    init_default_scope('mmagic')
    cfg = _demo_cfg(demo_root)
    crop = cfg.crop_size
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(ds) == 4 * 2
    pre = MODELS.build(
        dict(
            type='MattorPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            proc_trimap='as_is'))
    np.random.seed(0)
    samples = [ds[i % len(ds)] for i in range(6)]
    for s in samples:
        assert tuple(s['inputs'].shape) == (3, crop, crop)
        tri = s['data_samples'].trimap
        assert tuple(tri.shape) == (3, crop, crop)
    batch = pre(
        dict(
            inputs=[s['inputs'] for s in samples],
            data_samples=[s['data_samples'] for s in samples]),
        training=True)
    x, stacked = batch['inputs'], batch['data_samples']
    assert tuple(x.shape) == (6, 6, crop, crop)
    assert torch.isfinite(x).all()
    onehot = x[:, 3:]
    assert set(torch.unique(onehot).tolist()) <= {0.0, 1.0}
    assert torch.all(onehot.sum(1) == 1)
    gt = stacked.gt_alpha
    assert tuple(gt.shape) == (6, 1, crop, crop)
    assert gt.min() >= 0 and gt.max() <= 1
    fg_mask, bg_mask = onehot[:, 2:3] > 0, onehot[:, 0:1] > 0
    # the trimap is MG's GenMask (made at 320x320, resized back with
    # nearest): a known pixel can sit next to the pixel it was sampled from
    # or on a thin strand lost when shrinking, so the known labels agree
    # with the alpha only nearly (exactly at native size, checked below)
    wrong = (gt[fg_mask] != 1).sum() + (gt[bg_mask] != 0).sum()
    assert wrong <= 0.05 * (fg_mask.sum() + bg_mask.sum())
    # each crop holds unknown pixels, as cropped around the unknown region
    assert torch.all(onehot[:, 1].flatten(1).sum(1) > 0)
    # merged is the composite of the packed fg / bg with the packed alpha
    a = gt.double()
    comp = stacked.gt_fg.double() * a + stacked.gt_bg.double() * (1 - a)
    assert torch.allclose(comp, stacked.gt_merged.double(), atol=1e-4)
    # with the trimap made at the alpha's own size the known labels agree
    # with the alpha exactly
    for t in cfg.train_dataloader.dataset.pipeline:
        if t['type'] == 'GenerateTrimapResized':
            t['work_size'] = None
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    for i in range(4):
        s = ds[i]['data_samples']
        tri, gt = s.trimap.numpy(), s.gt_alpha.numpy()[0]
        assert np.all(gt[tri[2] == 1] == 255) and np.all(gt[tri[0] == 1] == 0)


def test_demo_config_test_pipeline(demo_root):
    from mmengine.registry import init_default_scope

    import dpt_mm  # noqa: F401
    from dpt_mm.registry import DATASETS
    init_default_scope('mmagic')
    cfg = _demo_cfg(demo_root)
    ds = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(ds) == 2
    s = ds[0]
    alpha = cv2.imread(
        osp.join(demo_root, 'Test_set', 'Adobe-licensed images', 'alpha',
                 'demo_test_000.png'), 0)
    h, w = alpha.shape
    assert tuple(s['inputs'].shape) == (3, h, w)
    tri = s['data_samples'].trimap.numpy()
    assert tri.shape == (3, h, w)
    assert np.array_equal(tri.sum(0), np.ones((h, w)))
    assert np.all(alpha[tri[2] == 1] == 255)
    assert np.all(alpha[tri[0] == 1] == 0)


def test_fg_resize_resolves_to_mmagic_resize():
    """The p=0.25 640x640 resize of comp1k_mg.py: mmcv's RandomApply wraps
    mmagic's Resize under the mmagic default scope."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import dpt_mm  # noqa: F401
    from dpt_mm.registry import TRANSFORMS
    init_default_scope('mmagic')
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', '_base_', 'datasets', 'comp1k_mg.py'))
    step = [t for t in cfg.train_pipeline if 'RandomApply' in t['type']][0]
    assert step.prob == 0.25
    step = dict(step, prob=1.0)
    tf = TRANSFORMS.build(step)
    rng = np.random.default_rng(0)
    res = tf(dict(fg=_img(rng, 50, 70), alpha=_img(rng, 50, 70, 1)))
    assert res['fg'].shape == (640, 640, 3)
    assert res['alpha'].shape[:2] == (640, 640)
    step0 = dict(step, prob=0.0)
    res = TRANSFORMS.build(step0)(dict(fg=_img(rng, 50, 70)))
    assert res['fg'].shape == (50, 70, 3)


# --------------------------------------------------------------------------
# GenerateTrimapResized: MG Matting's GenMask (trimap eroded at 640x640)
# --------------------------------------------------------------------------
def _nearest_source(n: int, m: int) -> np.ndarray:
    """Index of the pixel that ``n -> m -> n`` nearest resizing copies to
    each of ``n`` positions along one axis (nearest resizing is separable).
    """
    idx = np.arange(n, dtype=np.float32)[None]
    there = cv2.resize(idx, (m, 1), interpolation=cv2.INTER_NEAREST)
    back = cv2.resize(there, (n, 1), interpolation=cv2.INTER_NEAREST)
    return back[0].astype(np.int64)


def test_generate_trimap_resized_is_mmagic_at_work_size():
    """On an alpha of the working size (or with work_size=None) the trimap
    is mmagic's GenerateTrimap's, bit for bit, with the same np.random."""
    from mmagic.datasets.transforms import GenerateTrimap

    from dpt_mm.datasets.transforms import GenerateTrimapResized
    rng = np.random.default_rng(0)
    alpha = _alpha(640, 640)
    alpha[100:104, 50:600] = rng.integers(1, 255, (4, 550))  # a strand
    odd = _alpha(200, 300)
    cases = [(alpha, GenerateTrimapResized((1, 30))),
             (alpha[..., None], GenerateTrimapResized((1, 30), work_size=640)),
             (odd, GenerateTrimapResized((1, 30), work_size=None)),
             (odd, GenerateTrimapResized((1, 30), work_size=(300, 200)))]
    # float64 HxWx1 on 0-255: the alpha as mmagic's CompositeFg leaves it
    cases.append((alpha[..., None] / 255.0 * 255, cases[0][1]))
    for a, tf in cases:
        for seed in range(4):
            np.random.seed(seed)
            ours = tf.transform(dict(alpha=a.copy()))['trimap']
            np.random.seed(seed)
            ref = GenerateTrimap((1, 30)).transform(dict(alpha=a.copy()))
            assert ours.dtype == ref['trimap'].dtype == a.dtype
            assert ours.shape == ref['trimap'].shape == a.shape
            assert np.array_equal(ours, ref['trimap'])


def test_generate_trimap_resized_band_scales_with_image():
    """On a 1600x1600 alpha the band beyond the soft edge is 1600 / 640 =
    2.5 times the native one with the same kernels; values, shape and
    dtype are those of a trimap, and each known pixel agrees with the alpha
    pixel that the nearest round trip sampled it from."""
    from mmagic.datasets.transforms import GenerateTrimap

    from dpt_mm.datasets.transforms import GenerateTrimapResized
    n = 1600
    alpha = _alpha(n, n)  # disc, soft edge ~6 px wide
    soft = np.count_nonzero((alpha > 0) & (alpha < 255))
    src = _nearest_source(n, 640)
    assert np.all((np.arange(n) - src >= 0) & (np.arange(n) - src <= 2))
    sampled = alpha[src][:, src]
    tf = GenerateTrimapResized(kernel_size=(1, 30))
    for seed in range(3):
        np.random.seed(seed)
        sizes = [np.random.randint(29) + 1 for _ in range(2)]
        assert min(sizes) >= 4  # seeds whose kernels are not tiny (below)
        np.random.seed(seed)
        tri = tf.transform(dict(alpha=alpha[..., None]))['trimap']
        np.random.seed(seed)
        ref = GenerateTrimap((1, 30)).transform(dict(alpha=alpha))['trimap']
        assert tri.shape == (n, n, 1) and tri.dtype == np.uint8
        # the float64 alpha of CompositeFg gives the same trimap as float64
        np.random.seed(seed)
        tri_f = tf.transform(dict(alpha=alpha / 255.0 * 255))['trimap']
        assert tri_f.dtype == np.float64 and tri_f.shape == (n, n)
        assert np.array_equal(tri_f, tri[..., 0])
        tri = tri[..., 0]
        assert set(np.unique(tri).tolist()) <= {0, 128, 255}
        grown = np.count_nonzero(tri == 128) - soft
        grown_ref = np.count_nonzero(ref == 128) - soft
        assert 2.3 < grown / grown_ref < 2.7, (sizes, grown, grown_ref)
        # always true: the sampled alpha pixel is opaque / clear
        assert np.all(sampled[tri == 255] == 255)
        assert np.all(sampled[tri == 0] == 0)
        # on this convex disc with kernels >= 4 also the pixel itself
        assert np.all(alpha[tri == 255] == 255)
        assert np.all(alpha[tri == 0] == 0)
    # with a size-1 kernel (no erosion) a known pixel can sit up to 2 px
    # (= ceil(1600 / 640) - 1) into the soft edge, as in GenMask
    tri = GenerateTrimapResized(kernel_size=1).transform(
        dict(alpha=alpha))['trimap']
    assert np.all(sampled[tri == 255] == 255)
    assert np.any(alpha[tri == 255] < 255)


def test_generate_trimap_resized_rejects_bad_alpha_and_size():
    from dpt_mm.datasets.transforms import GenerateTrimapResized
    tf = GenerateTrimapResized((1, 30))
    alpha = _alpha(50, 60)
    # a float alpha on a 0-1 scale would make no foreground in
    # GenerateTrimap; on a 0-255 scale it is what CompositeFg gives
    for work_size in [(640, 640), None]:
        t = GenerateTrimapResized((1, 30), work_size=work_size)
        with pytest.raises(ValueError, match='0-255 scale'):
            t.transform(dict(alpha=alpha / 255.0))
        out = t.transform(dict(alpha=alpha * 1.0))['trimap']
        assert out.dtype == np.float64 and np.any(out == 255)
        empty = t.transform(dict(alpha=np.zeros((50, 60))))['trimap']
        assert np.all(empty == 0)
    with pytest.raises(TypeError, match='uint8'):
        tf.transform(dict(alpha=alpha.astype(np.int64)))
    with pytest.raises(ValueError, match='HxW'):
        tf.transform(dict(alpha=np.dstack([alpha] * 3)))
    for bad in [0, (640, ), (640, 0), (640.0, 640), 'x']:
        with pytest.raises(ValueError, match='work_size'):
            GenerateTrimapResized((1, 30), work_size=bad)
    out = tf.transform(dict(alpha=alpha))
    assert out['trimap'].shape == (50, 60)
    assert 'work_size=(640, 640)' in repr(tf)


@pytest.mark.parametrize('name,work_size', [('comp1k_mg.py', (640, 640)),
                                            ('distinct646.py', (640, 640)),
                                            ('demo_comp1k.py', (320, 320))])
def test_train_pipelines_erode_trimaps_at_work_size(name, work_size):
    """The training trimap step of the dataset configs is MG's GenMask
    (GenerateTrimapResized), not mmagic's native GenerateTrimap."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import dpt_mm  # noqa: F401
    from dpt_mm.datasets.transforms import GenerateTrimapResized
    from dpt_mm.registry import TRANSFORMS
    init_default_scope('mmagic')
    cfg = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'datasets',
                                   name))
    for pipeline in (cfg.train_pipeline,
                     cfg.train_dataloader.dataset.pipeline):
        types = [t['type'] for t in pipeline]
        assert 'GenerateTrimap' not in types
        step = [t for t in pipeline if t['type'] == 'GenerateTrimapResized']
        assert len(step) == 1
        assert tuple(step[0]['kernel_size']) == (1, 30)
        assert tuple(step[0]['work_size']) == work_size
        # right after the affine warp, before the crop around the band
        i = types.index('GenerateTrimapResized')
        assert types[i - 1] == 'RandomAffine'
        assert types.index('CropAroundCenter') > i
        tf = TRANSFORMS.build(step[0])
        assert isinstance(tf, GenerateTrimapResized)
        assert tf.work_size == work_size
    # the test trimaps are read from disk, not generated
    assert all('Trimap' not in t['type']
               for t in cfg.test_dataloader.dataset.pipeline)
