"""Tests of the DPT pretext synthesis transforms and the reduced loader."""
import math
import os.path as osp

import cv2
import numpy as np
import pytest

from dpt_mm.datasets.transforms import (Composite, GridTrimap,
                                        LoadImageReduced, RandomAlpha,
                                        UnreadableImageError)
from dpt_mm.datasets.transforms.loading import jpeg_size, reduction_factor


def half_up(value: float) -> int:
    """Round halves up (the documented rule of the transforms)."""
    return int(math.floor(value + 0.5))


def _cells(trimap: np.ndarray, c: int):
    """Yield every cell (border cells cut by the canvas included)."""
    h, w = trimap.shape
    for y in range(0, h, c):
        for x in range(0, w, c):
            yield trimap[y:y + c, x:x + c]


def _label_counts(trimap: np.ndarray, c: int):
    """Check each cell is uniform and count cells per label."""
    counts = {0: 0, 128: 0, 255: 0}
    for cell in _cells(trimap, c):
        value = int(cell.flat[0])
        assert (cell == value).all(), 'a cell is not uniform'
        counts[value] += 1
    return counts[128], counts[255], counts[0]


# (h, w, cell, ratios, expected (unknown, fg, bg)) -- worked out by hand:
# 224x224 / 7 -> 32x32 = 1024 cells; 50x40 / 7 -> 8x6 = 48 cells;
# 13x29 / 7 -> 2x5 = 10 cells (7.5 -> 8 unknown, 1.25 -> 1 fg, rest 1 bg);
# 100x30 / 7 -> 15x5 = 75 cells (37.5 -> 38, 22.5 -> 23, rest 14 (vs 15));
# 6x6 / 7 -> a single border cell.
CASES = [
    (224, 224, 7, (0.75, 0.125, 0.125), (768, 128, 128)),
    (50, 40, 7, (0.75, 0.125, 0.125), (36, 6, 6)),
    (13, 29, 7, (0.75, 0.125, 0.125), (8, 1, 1)),
    (100, 30, 7, (0.5, 0.3, 0.2), (38, 23, 14)),
    (64, 64, 16, (1.0, 0.0, 0.0), (16, 0, 0)),
    (6, 6, 7, (0.0, 1.0, 0.0), (0, 1, 0)),
    (33, 47, 5, (0.0, 0.5, 0.5), (0, 35, 35)),
]


@pytest.mark.parametrize('h,w,c,ratios,expected', CASES)
def test_grid_trimap_exact_cell_counts(h, w, c, ratios, expected):
    np.random.seed(0)
    t = GridTrimap(cell_size=c, ratios=ratios)
    rows, cols = -(-h // c), -(-w // c)
    assert GridTrimap.cell_counts(rows * cols, ratios) == expected
    for _ in range(3):
        out = t(dict(fg=np.zeros((h, w, 3), np.uint8)))
        trimap = out['trimap']
        assert trimap.dtype == np.uint8 and trimap.shape == (h, w)
        assert trimap.flags.c_contiguous
        assert set(np.unique(trimap)) <= {0, 128, 255}
        assert _label_counts(trimap, c) == expected


def test_grid_trimap_pixel_fraction_224():
    np.random.seed(1)
    trimap = GridTrimap()(dict(fg=np.zeros((224, 224, 3), np.uint8)))['trimap']
    # 224 is a multiple of 7, so the pixel fractions equal the cell ones
    assert (trimap == 128).mean() == 0.75
    assert (trimap == 255).mean() == 0.125
    assert (trimap == 0).mean() == 0.125


def test_grid_trimap_positions_are_random():
    np.random.seed(2)
    t = GridTrimap(cell_size=7, size=(28, 28))  # 16 cells
    unknown_freq = np.zeros((4, 4))
    first = None
    n = 400
    for _ in range(n):
        trimap = t({})['trimap']
        cells = trimap[::7, ::7]
        unknown_freq += cells == 128
        if first is None:
            first = trimap
    assert not all(np.array_equal(first, t({})['trimap']) for _ in range(5))
    # every cell is unknown with probability 0.75 (12 of 16 cells)
    np.testing.assert_allclose(unknown_freq / n, 0.75, atol=0.09)


@pytest.mark.parametrize('ratios', [(0.5, 0.5, 0.5), (0.7, 0.1, 0.1),
                                    (1.2, -0.1, -0.1), (0.5, 0.5)])
def test_grid_trimap_bad_ratios(ratios):
    with pytest.raises(ValueError):
        GridTrimap(ratios=ratios)


def test_grid_trimap_bad_cell_size():
    with pytest.raises(ValueError):
        GridTrimap(cell_size=0)


def _pixel_sample(seed, h=224, w=224):
    np.random.seed(seed)
    results = dict(fg=np.zeros((h, w, 3), np.uint8))
    results = GridTrimap()(results)
    return RandomAlpha(mode='pixel')(results)


def test_random_alpha_pixel_values():
    out = _pixel_sample(3)
    trimap, alpha = out['trimap'], out['alpha']
    assert alpha.dtype == np.uint8 and alpha.shape == trimap.shape
    assert (alpha[trimap == 255] == 255).all()
    assert (alpha[trimap == 0] == 0).all()
    unknown = alpha[trimap == 128].astype(np.int64)
    assert unknown.size == 768 * 49
    # uniform over 0..255: mean, std, and a flat histogram (16 bins)
    assert abs(unknown.mean() - 127.5) < 2.0
    assert abs(unknown.std() - np.sqrt((256**2 - 1) / 12)) < 1.5
    hist = np.bincount(unknown // 16, minlength=16)
    expected = unknown.size / 16
    assert (np.abs(hist - expected) < 0.1 * expected).all()
    assert unknown.min() == 0 and unknown.max() == 255
    # independent per pixel: no correlation between horizontal neighbours
    unk = trimap == 128
    pair = unk[:, 1:] & unk[:, :-1]
    a = alpha[:, 1:][pair].astype(float)
    b = alpha[:, :-1][pair].astype(float)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.03


def test_random_alpha_pixel_needs_trimap():
    with pytest.raises(KeyError, match='GridTrimap'):
        RandomAlpha()(dict(fg=np.zeros((8, 8, 3), np.uint8)))


def test_seeded_determinism():
    a, b = _pixel_sample(7), _pixel_sample(7)
    c = _pixel_sample(8)
    np.testing.assert_array_equal(a['trimap'], b['trimap'])
    np.testing.assert_array_equal(a['alpha'], b['alpha'])
    assert not np.array_equal(a['alpha'], c['alpha'])
    np.random.seed(5)
    block1 = RandomAlpha(mode='block')(dict(fg=np.zeros((64, 80, 3))))
    np.random.seed(5)
    block2 = RandomAlpha(mode='block')(dict(fg=np.zeros((64, 80, 3))))
    np.testing.assert_array_equal(block1['alpha'], block2['alpha'])
    assert block1['fg_box'] == block2['fg_box']


def test_random_alpha_block_regions_nested():
    np.random.seed(11)
    h, w = 96, 120
    t = RandomAlpha(mode='block', fusion_scale=(0.3, 0.9), fg_scale=(0.2, 0.7))
    for _ in range(50):
        out = t(dict(fg=np.zeros((h, w, 3), np.uint8),
                     trimap=np.full((h, w), 77, np.uint8)))
        ft, fl, fb, fr = out['fusion_box']
        gt, gl, gb, gr = out['fg_box']
        # fg box strictly nested in the fusion box, which lies in the canvas
        assert 0 <= ft <= gt < gb <= fb <= h
        assert 0 <= fl <= gl < gr <= fr <= w
        assert half_up(0.3 * h) <= fb - ft <= half_up(0.9 * h)
        assert half_up(0.3 * w) <= fr - fl <= half_up(0.9 * w)
        assert half_up(0.2 * (fb - ft)) <= gb - gt <= half_up(0.7 * (fb - ft))
        assert half_up(0.2 * (fr - fl)) <= gr - gl <= half_up(0.7 * (fr - fl))
        trimap, alpha = out['trimap'], out['alpha']
        expect = np.zeros((h, w), np.uint8)
        expect[ft:fb, fl:fr] = 128
        expect[gt:gb, gl:gr] = 255
        np.testing.assert_array_equal(trimap, expect)  # old trimap replaced
        assert (alpha[gt:gb, gl:gr] == 255).all()
        outside = np.ones((h, w), bool)
        outside[ft:fb, fl:fr] = False
        assert (alpha[outside] == 0).all()
        ring = alpha[trimap == 128].astype(float)
        assert ring.size > 0
        if ring.size > 2000:
            assert 110 < ring.mean() < 145 and ring.std() > 60


def test_random_alpha_bad_mode():
    with pytest.raises(ValueError):
        RandomAlpha(mode='cells')
    with pytest.raises(ValueError):
        RandomAlpha(mode='block', fg_scale=(0.5, 1.5))


def test_composite_matches_formula():
    rng = np.random.RandomState(0)
    h, w = 61, 83
    fg = rng.randint(0, 256, (h, w, 3)).astype(np.uint8)
    bg = rng.randint(0, 256, (h, w, 3)).astype(np.uint8)
    alpha = rng.randint(0, 256, (h, w)).astype(np.uint8)
    alpha[:5] = 0
    alpha[-5:] = 255
    out = Composite()(dict(fg=fg, bg=bg, alpha=alpha))
    merged = out['merged']
    assert merged.dtype == np.uint8 and merged.shape == (h, w, 3)
    a = alpha.astype(np.float64)[..., None] / 255
    exact = a * fg + (1 - a) * bg
    # rounded once and exactly (no ties exist for integer inputs)
    assert np.abs(merged - exact).max() <= 0.5
    np.testing.assert_array_equal(merged, np.rint(exact))
    np.testing.assert_array_equal(merged[:5], bg[:5])
    np.testing.assert_array_equal(merged[-5:], fg[-5:])
    # fg, bg and alpha stay for the composition loss
    assert out['fg'] is fg and out['bg'] is bg and out['alpha'] is alpha


def test_composite_hxwx1_alpha_and_shape_errors():
    fg = np.full((4, 5, 3), 200, np.uint8)
    bg = np.full((4, 5, 3), 100, np.uint8)
    alpha = np.full((4, 5, 1), 51, np.uint8)  # 0.2
    out = Composite()(dict(fg=fg, bg=bg, alpha=alpha))
    assert (out['merged'] == 120).all()
    # a single-channel image works the same way
    out = Composite()(dict(fg=fg[..., :1], bg=bg[..., :1], alpha=alpha))
    assert out['merged'].shape == (4, 5, 1) and (out['merged'] == 120).all()
    with pytest.raises(ValueError, match='same size'):
        Composite()(dict(fg=fg, bg=bg[:3], alpha=alpha))


def _write_jpeg(path, h, w, seed=0, progressive=False):
    rng = np.random.RandomState(seed)
    small = rng.randint(0, 256, (h // 8 + 1, w // 8 + 1, 3)).astype(np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    params = [cv2.IMWRITE_JPEG_QUALITY, 95]
    if progressive:
        params += [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]
    assert cv2.imwrite(str(path), img, params)
    return img


@pytest.mark.parametrize('progressive', [False, True])
def test_jpeg_size(tmp_path, progressive):
    path = tmp_path / 'a.jpg'
    _write_jpeg(path, 37, 53, progressive=progressive)
    assert jpeg_size(path.read_bytes()) == (37, 53)
    assert jpeg_size(b'\x89PNG\r\n\x1a\n' + b'0' * 20) is None
    assert jpeg_size(b'\xff\xd8\xff') is None


def test_reduction_factor():
    assert reduction_factor(375, 500, 224) == 1
    assert reduction_factor(448, 600, 224) == 2
    assert reduction_factor(900, 1200, 224) == 4
    assert reduction_factor(1792, 2000, 224) == 8
    assert reduction_factor(3000, 4000, 224) == 8
    assert reduction_factor(447, 447, 224) == 2  # ceil(447 / 2) = 224


def test_load_image_reduced(tmp_path):
    big = tmp_path / 'big.jpg'
    img = _write_jpeg(big, 600, 1000)
    loader = LoadImageReduced(key='fg', min_size=224)
    out = loader(dict(fg_path=str(big)))
    assert out['fg'].shape == (300, 500, 3)
    assert out['fg_decode_factor'] == 2
    assert out['fg_channel_order'] == 'bgr'
    ref = cv2.resize(img, (500, 300), interpolation=cv2.INTER_AREA)
    assert np.abs(out['fg'].astype(int) - ref).mean() < 4
    # short side below 2 * min_size: full decode
    out = LoadImageReduced(key='fg', min_size=400)(dict(fg_path=str(big)))
    assert out['fg'].shape == (600, 1000, 3) and out['fg_decode_factor'] == 1
    # PNG: full decode through mmcv
    png = tmp_path / 'a.png'
    cv2.imwrite(str(png), img)
    out = loader(dict(fg_path=str(png)))
    assert out['fg'].shape == (600, 1000, 3)
    np.testing.assert_array_equal(out['fg'], img)
    # rgb order is honoured on the reduced path too
    bgr = loader(dict(fg_path=str(big)))['fg']
    rgb = LoadImageReduced(key='fg', channel_order='rgb')(
        dict(fg_path=str(big)))['fg']
    np.testing.assert_array_equal(rgb, bgr[..., ::-1])


def test_load_image_reduced_bad_files(tmp_path):
    loader = LoadImageReduced(key='fg')
    bad = tmp_path / 'bad.JPEG'
    bad.write_bytes(b'\xff\xd8\xff\xe0 this is not a jpeg at all' * 10)
    with pytest.raises(UnreadableImageError, match='bad.JPEG'):
        loader(dict(fg_path=str(bad)))
    empty = tmp_path / 'empty.jpg'
    empty.write_bytes(b'')
    with pytest.raises(UnreadableImageError, match='empty'):
        loader(dict(fg_path=str(empty)))
    with pytest.raises(UnreadableImageError, match='missing.jpg'):
        loader(dict(fg_path=osp.join(str(tmp_path), 'missing.jpg')))


# ------------------------------------------------------------ RandomHue
def _hsv_hue(bgr: np.ndarray) -> np.ndarray:
    """Hue in degrees of BGR pixels (OpenCV full-range HSV)."""
    hsv = cv2.cvtColor(bgr.reshape(1, -1, 3), cv2.COLOR_BGR2HSV_FULL)
    return hsv[0, :, 0].astype(float) * 360 / 256


def _circ_diff(a, b):
    return (a - b + 180) % 360 - 180


def test_random_hue_matrix_properties():
    from dpt_mm.datasets.transforms import RandomHue
    rng = np.random.RandomState(0)
    img = rng.randint(0, 256, (16, 16, 3)).astype(np.uint8)
    t = RandomHue(keys=['fg'])
    np.testing.assert_array_equal(t.rotate(img, 0.0), img)
    assert np.abs(t.rotate(img, 360.0).astype(int) - img).max() <= 1
    grey = np.repeat(rng.randint(0, 256, (16, 16, 1)), 3, 2).astype(np.uint8)
    assert np.abs(t.rotate(grey, 33.0).astype(int) - grey).max() <= 1
    # a saturated colour moves by about the angle on the hue circle
    colours = np.array([[40, 60, 200], [200, 80, 30], [50, 190, 60]],
                       np.uint8)
    for angle in (-40.0, 25.0, 40.0):
        out = t.rotate(colours[None], angle)[0]
        d = _circ_diff(_hsv_hue(out), _hsv_hue(colours))
        # the linear rotation approximates the HSV hue angle
        assert np.all(np.abs(d - angle) < 15), (angle, d)
        assert np.all(np.sign(d) == np.sign(angle))


def test_random_hue_draws():
    from dpt_mm.datasets.transforms import RandomHue
    img = np.random.RandomState(1).randint(0, 256, (8, 8, 3)).astype(
        np.uint8)
    np.random.seed(0)
    a = RandomHue()(dict(fg=img.copy(), bg=img.copy()))
    assert not np.array_equal(a['fg'], a['bg'])  # independent angles
    np.random.seed(0)
    b = RandomHue()(dict(fg=img.copy(), bg=img.copy()))
    np.testing.assert_array_equal(a['fg'], b['fg'])  # seeded
    with pytest.raises(ValueError, match='hue_range'):
        RandomHue(hue_range=200)
    with pytest.raises(ValueError, match='uint8'):
        RandomHue()(dict(fg=img.astype(np.float32), bg=img))


# --------------------------------------------------------------- to_chw
def test_to_chw_matches_mmagic():
    import torch
    from mmagic.datasets.transforms import PackInputs
    from mmagic.utils import all_to_tensor

    from dpt_mm.datasets.transforms.fast_ops import to_chw
    rng = np.random.RandomState(0)
    arrays = dict(
        merged=rng.randint(0, 256, (9, 11, 3)).astype(np.uint8),
        fg=rng.rand(9, 11, 3).astype(np.float32),
        alpha=rng.randint(0, 256, (9, 11)).astype(np.uint8),
        trimap=rng.randint(0, 2, (9, 11, 3)).astype(np.uint8),
        bg=rng.randint(0, 256, (9, 11, 1)).astype(np.uint8),
        img=rng.randint(0, 256, (9, 11, 4)).astype(np.uint8))
    out = {k: to_chw(v.copy()) for k, v in arrays.items()}
    for key, value in arrays.items():
        assert isinstance(out[key], torch.Tensor)
        assert out[key].is_contiguous()
        assert torch.equal(out[key], all_to_tensor(value)), key
    # mmagic's PackInputs takes the tensors as they are
    packed = PackInputs(keys=['merged'])(out)
    assert torch.equal(packed['inputs'], all_to_tensor(arrays['merged']))
    assert torch.equal(packed['data_samples'].gt_fg,
                       all_to_tensor(arrays['fg']))
    assert torch.equal(packed['data_samples'].trimap,
                       all_to_tensor(arrays['trimap']))


# ----------------------------------------------------- ResizeCropAffine
def test_resize_crop_affine_identity_and_flip():
    from dpt_mm.datasets.transforms import ResizeCropAffine
    rng = np.random.RandomState(0)
    img = rng.randint(0, 256, (224, 300, 3)).astype(np.uint8)
    np.random.seed(3)
    out = ResizeCropAffine(keys=['fg'])(dict(fg=img))
    x0 = int(round(out['fg_affine_matrix'][0, 2]))
    assert out['fg'].shape == (224, 224, 3)
    np.testing.assert_array_equal(out['fg'], img[:, x0:x0 + 224])
    square = img[:, :224].copy()
    flipped = ResizeCropAffine(keys=['fg'], flip_ratio=1.0)(
        dict(fg=square))['fg']
    np.testing.assert_array_equal(flipped, square[::-1, ::-1])
    big = rng.randint(0, 256, (448, 448, 3)).astype(np.uint8)
    out = ResizeCropAffine(keys=['fg'])(dict(fg=big))['fg']
    np.testing.assert_array_equal(
        out, cv2.resize(big, (224, 224), interpolation=cv2.INTER_LINEAR))


def test_resize_crop_affine_equals_mmagic_chain():
    from mmagic.datasets.transforms import Crop, RandomAffine, Resize
    from mmcv.transforms import Compose

    from dpt_mm.datasets.transforms import ResizeCropAffine
    args = dict(degrees=30, scale=(0.8, 1.25), shear=10, flip_ratio=0.5)
    chain = Compose([
        Resize(keys=['fg'], scale=(224, -1), keep_ratio=True),
        Crop(keys=['fg'], crop_size=(224, 224), random_crop=True),
        RandomAffine(keys=['fg'], **args),
    ])
    fused = ResizeCropAffine(keys=['fg'], crop_size=(224, 224), **args)
    rng = np.random.RandomState(0)
    outside_seen = 0
    for seed, (h, w) in enumerate([(375, 500), (500, 333), (260, 260),
                                   (300, 300), (224, 400)]):
        img = rng.randint(1, 256, (h, w, 3)).astype(np.uint8)
        np.random.seed(seed)
        ref = chain(dict(fg=img.copy()))['fg']
        np.random.seed(seed)
        fused_out = fused(dict(fg=img.copy()))
        out = fused_out['fg']
        assert out.shape == ref.shape == (224, 224, 3)
        inside = ref.any(axis=2)  # the chain is black outside its crop
        assert inside.mean() > 0.5
        np.testing.assert_array_equal(out[inside], ref[inside])
        # pixels pulled from outside the crop window but inside the image
        # keep image content (the chain makes them black)
        m = fused_out['fg_affine_matrix']
        ys, xs = np.mgrid[0:224, 0:224]
        sx = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
        sy = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
        rh, rw = round(h * 224 / min(h, w)), round(w * 224 / min(h, w))
        in_image = (sx > 1) & (sy > 1) & (sx < rw - 2) & (sy < rh - 2)
        pulled = in_image & ~inside
        if pulled.sum() > 50:
            outside_seen += 1
            assert out[pulled].any(axis=-1).all()
    assert outside_seen >= 1


def test_resize_crop_affine_params_bit_identical_to_mmagic():
    from mmagic.datasets.transforms import RandomAffine

    from dpt_mm.datasets.transforms import ResizeCropAffine
    for kwargs in (dict(degrees=30, scale=(0.8, 1.25), shear=10,
                        flip_ratio=0.5),
                   dict(degrees=(-5, 20), translate=(0.1, 0.2), shear=None,
                        flip_ratio=0.3),
                   dict(degrees=0, scale=None, flip_ratio=0.0)):
        ours = ResizeCropAffine(keys=['fg'], **kwargs)
        ref = RandomAffine(keys=['fg'], **kwargs)
        for seed in range(20):
            np.random.seed(seed)
            got = ours.draw_affine_params(ours.degrees, (224, 200))
            after_ours = np.random.random_sample()
            np.random.seed(seed)
            want = ref._get_params(ref.degrees, ref.translate, ref.scale,
                                   ref.shear, ref.flip_ratio, (224, 200))
            assert np.random.random_sample() == after_ours  # same draws used
            assert got[0] == want[0] and got[3] == want[3]
            assert tuple(got[1]) == tuple(want[1])
            assert tuple(got[2]) == tuple(want[2])
            assert tuple(got[4]) == tuple(int(f) for f in want[4])


# ---------------------------------------------------- PackMattingInputs
@pytest.mark.parametrize('onehot,extra', [(True, False), (False, False),
                                          (True, True)])
def test_pack_matting_inputs_equals_formattrimap_packinputs(onehot, extra):
    import torch
    from mmagic.datasets.transforms import FormatTrimap, PackInputs

    from dpt_mm.datasets.transforms import PackMattingInputs
    rng = np.random.RandomState(1)
    trimap = rng.choice(np.array([0, 128, 255, 50], np.uint8), (13, 17))
    results = dict(
        merged=rng.randint(0, 256, (13, 17, 3)).astype(np.uint8),
        fg=rng.randint(0, 256, (13, 17, 3)).astype(np.uint8),
        bg=rng.rand(13, 17, 3).astype(np.float32),
        alpha=rng.randint(0, 256, (13, 17)).astype(np.uint8),
        trimap=trimap, fg_path='a.jpg', ori_fg_shape=(13, 17, 3))
    kwargs = {}
    if extra:  # PackInputs' meta_keys / data_keys and a mutable meta value
        results.update(
            note=[1, 2], mask=rng.randint(0, 2, (13, 17)).astype(np.uint8),
            ori_merged_shape=[13, 17, 3])
        kwargs = dict(meta_keys=['note'], data_keys=['mask'])
    copy = {k: (v.copy() if isinstance(v, np.ndarray) else v)
            for k, v in results.items()}
    ref = PackInputs(keys=['merged'], **kwargs)(
        FormatTrimap(to_onehot=onehot)(copy))
    out = PackMattingInputs(
        keys='merged', onehot_trimap=onehot, **kwargs)(results)
    assert torch.equal(out['inputs'], ref['inputs'])
    got, want = out['data_samples'], ref['data_samples']
    assert set(got.keys()) == set(want.keys())
    for key in want.keys():
        a, b = got.get(key), want.get(key)
        assert type(a) is type(b), key
        if isinstance(b, torch.Tensor):
            assert a.dtype == b.dtype and a.is_contiguous(), key
            assert torch.equal(a, b), key
    assert got.metainfo == want.metainfo
    if extra:  # a list meta value is copied, as mmagic's deepcopy does
        assert got.metainfo['ori_merged_shape'] is not \
            results['ori_merged_shape']
    if onehot:  # value 50 is in no plane; every other pixel in exactly one
        planes = got.trimap.numpy()
        assert planes.shape == (3, 13, 17)
        np.testing.assert_array_equal(planes.sum(0), (trimap != 50))
        np.testing.assert_array_equal(planes[1], trimap == 128)


def test_pack_matting_inputs_rejects_bad_trimap():
    from dpt_mm.datasets.transforms import onehot_trimap_tensor
    with pytest.raises(ValueError, match='HxW'):
        onehot_trimap_tensor(np.zeros((4, 4, 3), np.uint8))


def test_resize_crop_affine_fold_resize_same_geometry():
    """Folding the resize into the warp keeps the geometry exactly.

    On a linear ramp bilinear resizing and bilinear warping are exact, so
    the two-step and the folded transform must agree to float precision
    away from the borders; a half-pixel error in the folded map would show
    as an offset of about 0.5 * slope * scale.
    """
    from dpt_mm.datasets.transforms import ResizeCropAffine
    args = dict(degrees=30, scale=(0.8, 1.25), shear=10, flip_ratio=0.5,
                rotation_min_size=0, interpolation='bilinear')
    two_step = ResizeCropAffine(keys=['fg'], **args)
    folded = ResizeCropAffine(keys=['fg'], fold_resize=True, **args)
    for seed, (h, w) in enumerate([(375, 500), (500, 333), (260, 700)]):
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        ramp = np.stack([0.37 * xs + 0.23 * ys, 0.11 * xs - 0.29 * ys + 200,
                         0.5 * ys], axis=-1).astype(np.float32)
        np.random.seed(seed)
        ref = two_step(dict(fg=ramp.copy()))
        np.random.seed(seed)
        out = folded(dict(fg=ramp.copy()))
        m = out['fg_affine_matrix']  # output -> source pixels
        gy, gx = np.mgrid[0:224, 0:224]
        sx = m[0, 0] * gx + m[0, 1] * gy + m[0, 2]
        sy = m[1, 0] * gx + m[1, 1] * gy + m[1, 2]
        interior = (sx > 2) & (sy > 2) & (sx < w - 3) & (sy < h - 3)
        assert interior.mean() > 0.5
        # the folded output is the ramp at the mapped source position ...
        np.testing.assert_allclose(
            out['fg'][..., 0][interior],
            (0.37 * sx + 0.23 * sy)[interior], atol=0.05)
        # ... and equals the two-step transform
        np.testing.assert_allclose(
            out['fg'][interior], ref['fg'][interior], atol=0.05)
        assert 'fold_resize=True' in repr(folded)
