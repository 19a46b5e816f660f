"""Tests of the DIM matting metrics (functional API and MMEngine metrics)."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from dpt_mm.evaluation.functional import (check_inputs, compute_all,
                                          compute_conn, compute_grad,
                                          compute_mse, compute_sad,
                                          gauss_gradient_kernels, is_masked,
                                          mask_by_trimap, matlab_colon,
                                          matlab_sum2)
from dpt_mm.registry import METRICS

FIXTURE = osp.join(osp.dirname(__file__), '..', 'data', 'dim_official_metrics')
with open(osp.join(FIXTURE, 'expected.json')) as _f:
    EXPECTED = json.load(_f)
CASES = sorted(EXPECTED)
KEYS = ('SAD', 'MSE', 'Grad', 'Conn')


def load_case(name):
    return tuple(
        cv2.imread(osp.join(FIXTURE, sub, name), cv2.IMREAD_UNCHANGED)
        for sub in ('pred', 'alpha', 'trimap'))


def rel_err(a, b):
    return abs(a - b) / abs(b)


# --------------------------------------------------------------------------
# an independent, literal (slow) port used as a second reference on inputs
# the fixture does not cover: whole-image arrays, the 2-D kernel built with
# MATLAB's double loop, scipy's labelling on the column-major scan
# --------------------------------------------------------------------------
def ref_sum(x):
    cols = np.cumsum(np.float32(x), axis=0, dtype=np.float32)[-1]
    return np.cumsum(cols, dtype=np.float32)[-1]


def ref_metrics(pred, alpha, trimap):
    from scipy import ndimage
    unk = np.float32(trimap == 128)
    p, g = np.float32(pred), np.float32(alpha)
    sad = ref_sum(np.abs(p - g) / np.float32(255) * unk) / np.float32(1000)
    e = (p - g) / np.float32(255)
    mse = ref_sum(e * e * unk) / ref_sum(unk)

    sigma, half = 1.4, 4
    hx = np.zeros((2 * half + 1, 2 * half + 1))
    for i in range(2 * half + 1):
        for j in range(2 * half + 1):
            u, v = i - half, j - half
            gu = np.exp(-u**2 / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))
            gv = np.exp(-v**2 / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))
            hx[i, j] = gu * (-v * gv / sigma**2)
    hx /= np.sqrt((hx * hx).sum())

    def amp(img):
        img = img.astype(np.float64)
        lo, hi = img.min(), img.max()
        img = (img - lo) / (hi - lo) if hi > lo else np.clip(img, 0, 1)
        gx = ndimage.convolve(img, hx, mode='nearest')
        gy = ndimage.convolve(img, hx.T, mode='nearest')
        return np.float32(np.sqrt(gx**2 + gy**2))

    grad = ref_sum((amp(pred) - amp(alpha))**2 * unk) / 1000

    thresh = [k / 10 for k in range(11)]
    pf, gf = p / np.float32(255), g / np.float32(255)
    lmap = -np.ones(pred.shape)
    for i in range(1, 11):
        inter = (pf >= thresh[i]) & (gf >= thresh[i])
        lab, num = ndimage.label(inter.T)  # column-major scan order
        lab = lab.T
        omega = np.zeros(pred.shape, bool)
        if num:
            sizes = np.bincount(lab.ravel())[1:]
            omega = lab == np.argmax(sizes) + 1
        lmap[(lmap == -1) & ~omega] = thresh[i - 1]
    lmap[lmap == -1] = 1
    pd, gd = pf - np.float32(lmap), gf - np.float32(lmap)
    pphi = 1 - pd * np.float32(pd >= 0.15)
    gphi = 1 - gd * np.float32(gd >= 0.15)
    conn = ref_sum(np.abs(pphi - gphi) * unk) / 1000
    return dict(
        SAD=float(sad), MSE=float(mse), Grad=float(grad), Conn=float(conn))


def synthetic_sample(rng, h, w, border_unknown=False):
    field = cv2.resize(
        rng.random((h // 8 + 2, w // 8 + 2)).astype(np.float32), (w, h))
    alpha = np.round(np.clip((field - 0.5) * 4 + 0.5, 0, 1) * 255)
    alpha = alpha.astype(np.uint8)
    pred = np.clip(alpha.astype(int) + rng.integers(-60, 61, (h, w)), 0, 255)
    pred = pred.astype(np.uint8)
    trimap = np.where(alpha > 127, 255, 0).astype(np.uint8)
    trimap[(alpha > 0) & (alpha < 255)] = 128
    if not border_unknown:
        trimap[:3], trimap[:, -2:] = 0, 255
    return pred, alpha, trimap


# --------------------------------------------------------------------------
# official values
# --------------------------------------------------------------------------
def test_fixture_has_all_twelve_cases():
    """The parametrised checks below cover the twelve documented cases: an
    emptied or truncated expected.json must not pass silently."""
    assert len(CASES) == 12
    for sub in ('pred', 'alpha', 'trimap'):
        assert sorted(os.listdir(osp.join(FIXTURE, sub))) == CASES, sub
    for name in CASES:
        assert set(EXPECTED[name]) >= set(KEYS), name


@pytest.mark.parametrize('name', CASES)
def test_matches_official_matlab_values(name):
    pred, alpha, trimap = load_case(name)
    got = compute_all(pred, alpha, trimap)  # evaluated as given, like MATLAB
    for key in KEYS:
        assert rel_err(got[key], EXPECTED[name][key]) < 1e-5, (key, got)


def test_single_functions_equal_compute_all():
    pred, alpha, trimap = load_case(CASES[3])
    got = compute_all(pred, alpha, trimap)
    assert compute_sad(pred, alpha, trimap) == got['SAD']
    assert compute_mse(pred, alpha, trimap) == got['MSE']
    assert compute_grad(pred, alpha, trimap) == got['Grad']
    assert compute_conn(pred, alpha, trimap) == got['Conn']
    assert list(compute_all(pred, alpha, trimap,
                            ['Conn', 'SAD'])) == ['Conn', 'SAD']


def test_conn_of_masked_predictions_matches_official_values():
    """Masking does not change Conn on the fixture cases: the masked
    predictions (what mmagic's metrics require) score the official Conn."""
    for name in CASES:
        pred, alpha, trimap = load_case(name)
        masked = mask_by_trimap(pred, trimap)
        assert rel_err(compute_conn(masked, alpha, trimap),
                       EXPECTED[name]['Conn']) < 1e-5, name


def _mmagic_values(pred, alpha, trimap):
    from mmagic.evaluation.metrics import SAD, GradientError, MattingMSE
    sample = {
        'ori_alpha': torch.from_numpy(alpha)[None],
        'ori_trimap': torch.from_numpy(trimap)[None],
        'output': {
            'pred_alpha': torch.from_numpy(pred)
        }
    }
    out = {}
    for cls, key, name in ((SAD, 'sad', 'SAD'), (MattingMSE, 'mse', 'MSE'),
                           (GradientError, 'grad_err', 'Grad')):
        metric = cls()
        metric.process(None, [sample])
        out[name] = float(metric.results[0][key])
    return out


def test_agreement_with_mmagic_on_masked_predictions():
    """Where the ground truth is 0 / 255 outside the unknown region, SAD,
    MSE and Grad of mmagic (float64) agree with ours to float32 summation
    error."""
    rng = np.random.default_rng(3)
    pred, alpha, trimap = synthetic_sample(rng, 90, 120, border_unknown=True)
    assert (alpha[trimap == 0] == 0).all() and (alpha[trimap == 255]
                                                == 255).all()
    pred = mask_by_trimap(pred, trimap)
    ours = compute_all(pred, alpha, trimap)
    theirs = _mmagic_values(pred, alpha, trimap)
    for key in ('SAD', 'MSE', 'Grad'):
        assert rel_err(ours[key], theirs[key]) < 1e-5, key


# --------------------------------------------------------------------------
# MATLAB arithmetic
# --------------------------------------------------------------------------
def test_matlab_sum2_is_columnwise_single_precision():
    big = np.float32(2**24)
    # float32 running sum down the column: 2^24 + 1 rounds back to 2^24
    assert matlab_sum2(np.array([[big], [1], [1]], np.float32)) == big
    assert np.float64([2**24, 1, 1]).sum() == 2**24 + 2
    # columns first, then across: the two ones meet before the big value
    x = np.array([[big, 1, 1]], np.float32)
    assert matlab_sum2(x) == big
    assert matlab_sum2(x.T) == big
    rng = np.random.default_rng(0)
    y = rng.random((300, 40)).astype(np.float32)
    assert matlab_sum2(y) == ref_sum(y)
    assert matlab_sum2(np.zeros((0, 3))) == 0


def test_matlab_colon():
    th = matlab_colon(0, 0.1, 1)
    assert len(th) == 11 and th[0] == 0 and th[-1] == 1
    assert th[6] == 0.6 and th[7] == 0.7  # np.arange gives 0.6000000000000001
    assert np.arange(0, 1.1, 0.1)[6] != 0.6
    assert np.allclose(th, np.linspace(0, 1, 11), rtol=0, atol=1e-15)
    assert matlab_colon(0, 0.25, 1).tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert matlab_colon(0, 0.3, 1).tolist() == pytest.approx([0, .3, .6, .9])
    assert matlab_colon(1, 1, 0).size == 0
    with pytest.raises(ValueError):
        matlab_colon(0, 0, 1)


def test_gradient_kernel_matches_gaussgradient_construction():
    along_y, along_x = gauss_gradient_kernels(1.4)
    assert along_y.shape == (9, ) and along_x.shape == (9, )
    hx = np.outer(along_y, along_x)
    assert np.sqrt((hx**2).sum()) == pytest.approx(1, abs=1e-12)
    assert np.allclose(along_x, -along_x[::-1]) and along_x[4] == 0
    from mmagic.evaluation.functional.gaussian_funcs import gauss_filter
    filter_x, filter_y = gauss_filter(1.4)
    np.testing.assert_allclose(hx, filter_x, rtol=0, atol=1e-14)


def test_conn_tie_goes_to_first_component_in_column_major_order():
    """Two 2-pixel components of equal size: bwconncomp numbers the one in
    column 0 first (row-major scanning would pick the one in row 0)."""
    pred = np.zeros((6, 6), np.uint8)
    alpha = np.zeros((6, 6), np.uint8)
    alpha[0, 4:6] = 255  # A: first in row-major order
    pred[0, 4:6] = 200  # 0.784: A leaves the intersection at 0.8
    alpha[3, 0:2] = pred[3, 0:2] = 255  # B: first in column-major order
    trimap = np.full((6, 6), 128, np.uint8)
    # MATLAB keeps B as omega: A drops at 0.1, so l = 0 and the phi are
    # 1 - 1 (alpha) and 1 - 200/255 (pred)
    expected = 2 * 55 / 255 / 1000
    assert compute_conn(pred, alpha, trimap) == pytest.approx(
        expected, rel=1e-6)
    # row-major choice would give l = 0.7 on A: 2 * 0.3 / 1000
    assert abs(compute_conn(pred, alpha, trimap) - 0.6e-3) > 1e-4
    assert compute_conn(pred, alpha, trimap) == pytest.approx(
        ref_metrics(pred, alpha, trimap)['Conn'], rel=1e-6)


@pytest.mark.parametrize('seed,shape,border', [(0, (64, 80), False),
                                               (1, (50, 33), True),
                                               (2, (97, 71), False)])
def test_matches_literal_reference_on_random_samples(seed, shape, border):
    """Box cropping, separable filtering and lookup tables change nothing:
    bit-level agreement with the literal whole-image port."""
    rng = np.random.default_rng(seed)
    pred, alpha, trimap = synthetic_sample(rng, *shape, border)
    got = compute_all(pred, alpha, trimap)
    ref = ref_metrics(pred, alpha, trimap)
    for key in KEYS:
        assert got[key] == pytest.approx(ref[key], rel=1e-6, abs=1e-12), key
    assert got['SAD'] > 0 and got['Conn'] > 0 and got['Grad'] > 0


@pytest.mark.parametrize('shape', [(1, 1), (1, 6), (6, 1), (3, 7)])
def test_tiny_images(shape):
    rng = np.random.default_rng(sum(shape))
    pred, alpha = (
        rng.integers(0, 256, shape).astype(np.uint8) for _ in range(2))
    trimap = rng.choice(np.array([0, 128, 255], np.uint8), shape)
    trimap.flat[0] = 128
    got = compute_all(pred, alpha, trimap)
    ref = ref_metrics(pred, alpha, trimap)
    for key in KEYS:
        assert got[key] == pytest.approx(ref[key], rel=1e-6, abs=1e-12), key


def test_small_unknown_region_near_the_border():
    rng = np.random.default_rng(5)
    pred, alpha, _ = synthetic_sample(rng, 40, 40)
    trimap = np.zeros((40, 40), np.uint8)
    trimap[0:3, 37:40] = 128  # box touching two image borders
    trimap[20, 20] = 128
    got = compute_all(pred, alpha, trimap)
    ref = ref_metrics(pred, alpha, trimap)
    for key in KEYS:
        assert got[key] == pytest.approx(ref[key], rel=1e-6, abs=1e-12), key


def test_perfect_prediction_scores_zero_and_errors_grow():
    rng = np.random.default_rng(7)
    pred, alpha, trimap = synthetic_sample(rng, 60, 60)
    zero = compute_all(alpha, alpha, trimap)
    assert all(v == 0 for v in zero.values())
    noisier = np.clip(
        alpha.astype(int) + 2 * (pred.astype(int) - alpha), 0,
        255).astype(np.uint8)
    a, b = compute_all(pred, alpha,
                       trimap), compute_all(noisier, alpha, trimap)
    assert all(b[k] > a[k] > 0 for k in KEYS)


# --------------------------------------------------------------------------
# masking and bad input
# --------------------------------------------------------------------------
def test_masking_changes_only_grad_on_fixture():
    pred, alpha, trimap = load_case('case001_05.png')
    assert not is_masked(pred, trimap)
    masked = mask_by_trimap(pred, trimap)
    assert is_masked(masked, trimap) and not is_masked(pred, trimap)
    assert (pred != masked).any() and (pred[trimap == 128]
                                       == masked[trimap == 128]).all()
    raw = compute_all(pred, alpha, trimap)
    applied = compute_all(pred, alpha, trimap, mask_pred=True)
    assert applied == compute_all(masked, alpha, trimap)
    assert applied['SAD'] == raw['SAD'] and applied['MSE'] == raw['MSE']
    assert applied['Conn'] == pytest.approx(raw['Conn'], rel=1e-6)
    assert rel_err(applied['Grad'], raw['Grad']) > 0.1  # 40 % here


def test_bad_inputs_raise_clear_errors():
    rng = np.random.default_rng(0)
    pred, alpha, trimap = synthetic_sample(rng, 20, 30)
    with pytest.raises(ValueError, match='shapes differ'):
        compute_all(pred[:-1], alpha, trimap, where='x.png')
    with pytest.raises(ValueError, match=r'x\.png: shapes differ'):
        compute_all(pred, alpha[:, :-1], trimap, where='x.png')
    bad = trimap.copy()
    bad[0, 0], bad[1, 1] = 100, 127
    with pytest.raises(ValueError, match=r'found 100, 127 \(2 pixels\)'):
        compute_sad(pred, alpha, bad)
    with pytest.raises(TypeError, match='8-bit'):
        compute_all(pred / 255.0, alpha, trimap)
    with pytest.raises(ValueError, match='0..255'):
        compute_all(pred.astype(np.int32) + 1, alpha, trimap)
    with pytest.raises(ValueError, match='2-D'):
        compute_all(np.dstack([pred] * 3), alpha, trimap)
    with pytest.raises(KeyError, match='SADD'):
        compute_all(pred, alpha, trimap, ['SADD'])
    ok = check_inputs(pred.astype(np.int64), alpha, trimap)
    assert ok[0].dtype == np.uint8


def test_empty_unknown_region_is_zero_not_nan():
    rng = np.random.default_rng(0)
    pred, alpha, _ = synthetic_sample(rng, 20, 30)
    trimap = np.where(alpha > 127, 255, 0).astype(np.uint8)
    got = compute_all(pred, alpha, trimap)
    assert got == dict(SAD=0.0, MSE=0.0, Grad=0.0, Conn=0.0)


# --------------------------------------------------------------------------
# MMEngine metrics
# --------------------------------------------------------------------------
def data_sample(pred, alpha, trimap, name='x.png'):
    """Dict of an mmagic mattor's predict-mode data sample."""
    return {
        'ori_alpha': torch.from_numpy(alpha)[None],
        'ori_trimap': torch.from_numpy(trimap)[None],
        'merged_path': f'/data/merged/{name}',
        'output': {
            'pred_alpha': torch.from_numpy(pred)
        },
    }


def fixture_samples():
    return [data_sample(*load_case(n), name=n) for n in CASES]


def test_registered_without_collisions():
    from mmagic.evaluation.metrics import (SAD, ConnectivityError,
                                           GradientError, MattingMSE)
    for name in ('DIMMattingMetrics', 'DIMSAD', 'DIMMSE', 'DIMGrad',
                 'DIMConn'):
        assert METRICS.get(name).__module__.startswith('dpt_mm.')
    assert METRICS.get('SAD') is SAD and METRICS.get('MattingMSE') is \
        MattingMSE
    assert METRICS.get('GradientError') is GradientError
    assert METRICS.get('ConnectivityError') is ConnectivityError


def test_metric_means_match_official_values_without_masking():
    metric = METRICS.build(
        dict(type='DIMMattingMetrics', trimap_masking='none'))
    samples = fixture_samples()
    metric.process(None, samples[:5])
    metric.process(None, samples[5:])
    got = metric.evaluate(len(samples))
    for key in KEYS:
        mean = np.mean([EXPECTED[n][key] for n in CASES])
        assert rel_err(got[key], mean) < 1e-5, key


def test_single_metric_classes_report_one_value_each():
    samples = fixture_samples()[:3]
    both = METRICS.build(dict(type='DIMMattingMetrics'))
    both.process(None, samples)
    all_values = both.evaluate(3)
    for key in KEYS:
        metric = METRICS.build(dict(type=f'DIM{key}'))
        metric.process(None, samples)
        got = metric.evaluate(3)
        assert list(got) == [key] and got[key] == all_values[key]
    prefixed = METRICS.build(dict(type='DIMSAD', prefix='comp1k'))
    prefixed.process(None, samples)
    assert list(prefixed.evaluate(3)) == ['comp1k/SAD']


def test_metric_masking_modes():
    pred, alpha, trimap = load_case(CASES[0])
    sample = data_sample(pred, alpha, trimap, 'case.png')
    applied = METRICS.build(dict(type='DIMGrad'))  # default: apply
    applied.process(None, [sample])
    assert applied.results[0]['Grad'] == compute_grad(
        mask_by_trimap(pred, trimap), alpha, trimap)
    none = METRICS.build(dict(type='DIMGrad', trimap_masking='none'))
    none.process(None, [sample])
    assert rel_err(none.results[0]['Grad'], EXPECTED[CASES[0]]['Grad']) < 1e-5
    check = METRICS.build(dict(type='DIMGrad', trimap_masking='check'))
    with pytest.raises(ValueError, match='case.png: pred_alpha is not mask'):
        check.process(None, [sample])
    check.process(None,
                  [data_sample(mask_by_trimap(pred, trimap), alpha, trimap)])
    assert len(check.results) == 1
    with pytest.raises(ValueError, match='trimap_masking'):
        METRICS.build(dict(type='DIMSAD', trimap_masking='yes'))
    with pytest.raises(ValueError, match='subset'):
        METRICS.build(dict(type='DIMMattingMetrics', metrics=['SAD', 'X']))


def test_metric_accepts_float_alphas_and_rejects_bad_samples():
    pred, alpha, trimap = load_case(CASES[1])
    ref = METRICS.build(dict(type='DIMMattingMetrics'))
    ref.process(None, [data_sample(pred, alpha, trimap)])
    flt = METRICS.build(dict(type='DIMMattingMetrics'))
    sample = data_sample(pred, alpha, trimap)
    sample['output']['pred_alpha'] = torch.from_numpy(pred / 255.).float()
    sample['ori_alpha'] = torch.from_numpy(alpha)[..., None]  # HxWx1
    flt.process(None, [sample])
    assert flt.results == ref.results
    bad = data_sample(pred, alpha, trimap, 'bad.png')
    bad['output']['pred_alpha'] = torch.from_numpy(pred * 2.0)
    with pytest.raises(ValueError, match=r'bad.png: float pred_alpha'):
        flt.process(None, [bad])
    missing = data_sample(pred, alpha, trimap, 'nogt.png')
    del missing['ori_alpha']
    with pytest.raises(KeyError, match='nogt.png: data sample has no'):
        flt.process(None, [missing])
    wrong = data_sample(pred[:-2], alpha, trimap, 'crop.png')
    with pytest.raises(ValueError, match='crop.png: shapes differ'):
        flt.process(None, [wrong])


def test_metric_checks_each_sample_once(monkeypatch):
    """The MMEngine metric validates a sample once (in evaluate_sample),
    not once when fetching it and again when scoring it."""
    from dpt_mm.evaluation.functional import dim_matting
    calls = []
    real = dim_matting.check_inputs

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(dim_matting, 'check_inputs', counting)
    metric = METRICS.build(dict(type='DIMMattingMetrics'))
    metric.process(None, fixture_samples()[:3])
    assert len(calls) == 3


def test_works_with_mmagic_evaluator_and_data_samples():
    from mmagic.evaluation import Evaluator
    from mmagic.structures import DataSample
    pred, alpha, trimap = load_case(CASES[2])
    ds = DataSample(ori_alpha=alpha, ori_trimap=trimap)
    ds.output = DataSample(pred_alpha=torch.from_numpy(pred))
    from mmengine.registry import DefaultScope

    # as in a config with default_scope = 'mmagic'
    with DefaultScope.overwrite_default_scope('mmagic'):
        evaluator = Evaluator([dict(type='DIMMattingMetrics')])
    evaluator.process([ds], None, evaluator.metrics)
    got = evaluator.evaluate()
    want = compute_all(pred, alpha, trimap, mask_pred=True)
    assert got == pytest.approx(want, rel=1e-12)
