"""The embedded demo data generator
(tools/dataset_converters/make_demo_data.py)."""
import hashlib
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters'))

import make_demo_data as make_demo  # noqa: E402

TEST_DIR = 'Test_set/Adobe-licensed images'


def _tree_hashes(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            path = osp.join(dirpath, f)
            with open(path, 'rb') as fh:
                out[osp.relpath(path, root)] = hashlib.sha256(
                    fh.read()).hexdigest()
    return out


# default sizes except a smaller unlabeled set (the default's 1500 images
# cost time and test nothing more)
KW = dict(num_in1k=150)


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    """Default-size demo data, made once for the module."""
    out = str(tmp_path_factory.mktemp('demo_a'))
    counts = make_demo.make_demo_data(out, seed=0, **KW)
    return out, counts


def test_same_seed_gives_identical_bytes_other_seed_differs(
        demo, tmp_path):
    out, _ = demo
    again = str(tmp_path / 'again')
    make_demo.make_demo_data(again, seed=0, **KW)
    ha, hb = _tree_hashes(out), _tree_hashes(again)
    assert len(ha) > 300
    assert ha == hb
    other = str(tmp_path / 'other')
    make_demo.make_demo_data(
        other, seed=1, num_in1k=12, num_train=3, num_test=1, num_bg=4,
        num_heldout=1, num_scarce=1)
    hc = _tree_hashes(other)
    common = set(ha) & set(hc)
    assert 'in1k/train/n09000000/n09000000_0000.JPEG' in common
    # a different seed changes the pictures, not only their number
    changed = [k for k in common if ha[k] != hc[k]]
    assert len(changed) >= 0.9 * len(common)


def test_in1k_layout_and_list_file(demo):
    out, counts = demo
    root = osp.join(out, 'in1k')
    files = sorted(
        osp.relpath(osp.join(d, f), osp.join(root, 'train'))
        for d, _, fs in os.walk(osp.join(root, 'train')) for f in fs)
    assert counts['in1k'] == len(files) == 150
    with open(osp.join(root, 'meta', 'train.txt')) as f:
        listed = [line.rstrip('\n') for line in f]
    assert sorted(listed) == files
    classes = {p.split('/')[0] for p in files}
    assert len(classes) == len(make_demo.IN1K_SOURCES)
    for rel in files[::15]:
        cls, name = rel.split('/')
        assert name.startswith(cls + '_') and name.endswith('.JPEG')
        img = cv2.imread(osp.join(root, 'train', rel))
        assert img is not None and img.ndim == 3
        assert 256 <= min(img.shape[:2]) and max(img.shape[:2]) <= 500


def test_comp1k_layout_and_annotations(demo):
    out, counts = demo
    root = osp.join(out, 'comp1k')
    assert counts['training_list.json'] == 20 * 2
    assert counts['test_list.json'] == 6 * 2
    train = json.load(open(osp.join(root, 'training_list.json')))
    test = json.load(open(osp.join(root, 'test_list.json')))
    assert set(train) == {'metainfo', 'data_list'}
    for e in train['data_list']:
        assert set(e) == {'alpha_path', 'fg_path', 'bg_path'}
        assert e['bg_path'].startswith('bg/')
    for e in test['data_list']:
        assert set(e) == {
            'alpha_path', 'trimap_path', 'fg_path', 'bg_path', 'merged_path'
        }
    for e in train['data_list'] + test['data_list']:
        for p in e.values():
            assert osp.isfile(osp.join(root, p)), p
    # both Composition-1k training folders are used
    subs = {e['fg_path'].split('/')[1] for e in train['data_list']}
    assert subs == {'Adobe-licensed images', 'Other'}
    assert len(os.listdir(osp.join(root, 'bg'))) == 30
    names = open(osp.join(root, 'Training_set',
                          'training_fg_names.txt')).read().split()
    assert len(names) == 20


def test_alpha_has_fractions_and_fine_structures(demo):
    out, _ = demo
    root = osp.join(out, 'comp1k')
    alpha_dir = osp.join(root, 'Training_set', 'Adobe-licensed images',
                         'alpha')
    for name in sorted(os.listdir(alpha_dir))[:6]:
        alpha = cv2.imread(osp.join(alpha_dir, name), cv2.IMREAD_UNCHANGED)
        assert alpha.dtype == np.uint8 and alpha.ndim == 2
        frac = (alpha > 0) & (alpha < 255)
        # opaque body, clear surround and a soft transition
        assert (alpha == 255).mean() > 0.05
        assert (alpha == 0).mean() > 0.3
        assert frac.mean() > 0.02
        assert len(np.unique(alpha[frac])) > 100
        # thin strands: an opening with a 3x3 square removes many visible
        # pixels, and fractional pixels reach far out of the opaque body
        visible = (alpha > 0).astype(np.uint8)
        opened = cv2.morphologyEx(visible, cv2.MORPH_OPEN,
                                  np.ones((3, 3), np.uint8))
        thin = visible.astype(bool) & ~opened.astype(bool)
        assert thin.sum() > 200
        dist = cv2.distanceTransform((alpha < 255).astype(np.uint8),
                                     cv2.DIST_L2, 5)
        assert (frac & (dist > 15)).sum() > 100


def test_test_trimaps_and_composites_consistent(demo):
    out, _ = demo
    root = osp.join(out, 'comp1k')
    test = json.load(open(osp.join(root, 'test_list.json')))['data_list']
    for e in test:
        alpha = cv2.imread(osp.join(root, e['alpha_path']), 0)
        trimap = cv2.imread(osp.join(root, e['trimap_path']), 0)
        assert trimap.shape == alpha.shape
        assert set(np.unique(trimap)) == {0, 128, 255}
        assert np.all(alpha[trimap == 255] == 255)
        assert np.all(alpha[trimap == 0] == 0)
        frac = (alpha > 0) & (alpha < 255)
        assert np.all(trimap[frac] == 128)
        # the band is grown beyond the soft pixels by the erosion
        assert (trimap == 128).sum() > frac.sum()
        fg = cv2.imread(osp.join(root, e['fg_path'])).astype(np.float64)
        bg = cv2.imread(osp.join(root, e['bg_path'])).astype(np.float64)
        merged = cv2.imread(osp.join(root, e['merged_path']))
        a = alpha[..., None] / 255.
        expect = (fg * a + bg * (1 - a)).astype(np.uint8)
        assert np.array_equal(merged, expect)


def test_skip_existing_and_bad_arguments(demo, tmp_path):
    out = str(tmp_path / 'small')
    kw = dict(num_in1k=5, num_train=2, num_test=1, num_bg=3, num_heldout=1,
              num_scarce=1)
    assert make_demo.make_demo_data(out, seed=3, **kw)
    stamp = osp.join(out, '.demo_stamp')
    mtime = os.stat(osp.join(out, 'comp1k', 'training_list.json')).st_mtime_ns
    assert make_demo.make_demo_data(
        out, seed=3, skip_existing=True, **kw) == {}
    assert os.stat(osp.join(out, 'comp1k',
                            'training_list.json')).st_mtime_ns == mtime
    # other arguments: regenerated, stale files of the old run removed
    counts = make_demo.make_demo_data(
        out, seed=3, skip_existing=True, **dict(kw, num_in1k=4))
    assert counts['in1k'] == 4
    n = sum(len(f) for _, _, f in os.walk(osp.join(out, 'in1k', 'train')))
    assert n == 4
    assert json.load(open(stamp))['num_in1k'] == 4
    with pytest.raises(ValueError, match='num_in1k'):
        make_demo.make_demo_data(str(tmp_path / 'bad'), num_in1k=0)


def test_adobe_comp1k_dataset_reads_demo(demo):
    from mmagic.datasets import AdobeComp1kDataset
    from mmengine.registry import init_default_scope
    init_default_scope('mmagic')
    out, _ = demo
    root = osp.join(out, 'comp1k')
    train = AdobeComp1kDataset(
        ann_file='training_list.json', data_root=root, pipeline=[])
    test = AdobeComp1kDataset(
        ann_file='test_list.json',
        data_root=root,
        test_mode=True,
        pipeline=[
            dict(type='LoadImageFromFile', key='alpha',
                 color_type='grayscale'),
            dict(type='LoadImageFromFile', key='trimap',
                 color_type='grayscale'),
            dict(type='LoadImageFromFile', key='merged'),
        ])
    assert len(train) == 40 and len(test) == 12
    assert train[0]['fg_path'].startswith(root)
    sample = test[0]
    assert sample['merged'].shape[:2] == sample['alpha'].shape[:2]
    assert sample['trimap'].shape[:2] == sample['alpha'].shape[:2]


def test_photo_pools_are_disjoint():
    """The held-out split's photos feed nothing else."""
    held = set(make_demo.HELDOUT_FG_SOURCES + make_demo.HELDOUT_BG_SOURCES)
    used = set(make_demo.FG_SOURCES + make_demo.BG_SOURCES +
               make_demo.IN1K_SOURCES)
    assert held and not held & used
    assert set(make_demo.IN1K_SOURCES) == set(make_demo.FG_SOURCES +
                                              make_demo.BG_SOURCES)


def test_heldout_split_is_another_matte_family(demo):
    """comp1k_heldout: trimaps with fg / unknown / bg, composites of the
    held-out photos, and mattes unlike the training generator's (no thin
    strands far from the opaque body, or large fractional regions)."""
    out, counts = demo
    root = osp.join(out, 'comp1k_heldout')
    assert counts['heldout/test_list.json'] == 10 * 2
    assert not osp.exists(osp.join(root, 'training_list.json'))
    test = json.load(open(osp.join(root, 'test_list.json')))['data_list']
    fracs = []
    for e in test:
        alpha = cv2.imread(osp.join(root, e['alpha_path']), 0)
        trimap = cv2.imread(osp.join(root, e['trimap_path']), 0)
        assert set(np.unique(trimap)) == {0, 128, 255}
        assert np.all(alpha[trimap == 255] == 255)
        assert np.all(alpha[trimap == 0] == 0)
        fracs.append(((alpha > 0) & (alpha < 255)).mean())
    assert max(fracs) > 0.3  # the smoke matte
    for kind in make_demo.HELDOUT_KINDS:
        a = make_demo.make_alpha_heldout(np.random.default_rng(1),
                                         (320, 300), kind)
        assert a.shape == (320, 300) and a.dtype == np.uint8
        assert (a == 255).any() and (a == 0).any()
    with pytest.raises(ValueError, match='kind'):
        make_demo.make_alpha_heldout(np.random.default_rng(0), (64, 64),
                                     'bogus')


def test_scarce_set_holds_only_its_foregrounds(demo):
    out, counts = demo
    root = osp.join(out, 'comp1k_scarce')
    assert counts['scarce/training_list.json'] == 4 * 2
    fgs = [
        f for sub in ('Adobe-licensed images', 'Other')
        for f in os.listdir(osp.join(root, 'Training_set', sub, 'fg'))
    ]
    full = open(osp.join(out, 'comp1k', 'Training_set',
                         'training_fg_names.txt')).read().split()
    assert sorted(fgs) == sorted(full[:4])
    train = json.load(open(osp.join(root, 'training_list.json')))
    for e in train['data_list']:
        for p in e.values():
            assert osp.isfile(osp.join(root, p)), p
