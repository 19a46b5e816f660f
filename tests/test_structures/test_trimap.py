"""The trimap module: encodings and the unknown region."""
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmagic.datasets.transforms import FormatTrimap

from dpt_mm.structures import trimap

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
GRAY = np.array([[0, 128, 255, 7], [128, 128, 0, 255]], np.uint8)
UNKNOWN = torch.from_numpy(GRAY == 128).float()[None, None]


def test_onehot_is_mmagics_format_trimap():
    ours = trimap.onehot(GRAY)
    ref = FormatTrimap(to_onehot=True)(dict(trimap=GRAY.copy()))['trimap']
    np.testing.assert_array_equal(ours, ref.transpose(2, 0, 1))
    assert ours[:, 0, 3].sum() == 0  # a value outside the three is no class
    with pytest.raises(ValueError, match='HxW'):
        trimap.onehot(np.zeros((2, 2, 3), np.uint8))


def test_every_encoding_gives_the_same_unknown_region():
    coded = {
        'onehot': torch.from_numpy(trimap.onehot(GRAY))[None],
        'label': torch.from_numpy(np.select(
            [GRAY == 0, GRAY == 128, GRAY == 255], [0, 1, 2], 0))[None, None],
        'gray': torch.from_numpy(GRAY)[None, None],
        'unit': torch.from_numpy(trimap.unit(GRAY))[None, None],
    }
    assert coded['unit'][0, 0, 0, 1] == pytest.approx(128 / 255)
    expect = UNKNOWN.clone()
    expect[0, 0, 0, 3] = 0  # 7 is unknown in no encoding
    for name, value in coded.items():
        assert torch.equal(trimap.unknown_mask(value, name), expect), name
    # the 0 / 0.5 / 1 training trimap of plain-ViT models
    half = torch.tensor([[[[0., .5, 1.]]]])
    assert trimap.unknown_mask(half, 'unit').tolist() == [[[[0., 1., 0.]]]]


def test_values_that_do_not_fit_the_encoding_raise():
    gray = torch.from_numpy(GRAY)[None, None]
    with pytest.raises(ValueError, match="'unit'"):
        trimap.unknown_mask(gray, 'unit')
    with pytest.raises(ValueError, match="'label'"):
        trimap.unknown_mask(gray, 'label')
    with pytest.raises(ValueError, match='3 channel'):
        trimap.unknown_mask(gray, 'onehot')
    with pytest.raises(ValueError, match='one of'):
        trimap.unknown_mask(gray, 'auto')


def test_device_tensors_are_not_read_back():
    """No value is read off a non-CPU tensor (no synchronisation): a meta
    tensor has no values and still gives its mask's shape."""
    meta = torch.zeros(2, 3, 8, 8, device='meta')
    assert trimap.unknown_mask(meta).shape == (2, 1, 8, 8)


def test_imports_without_torch():
    code = ('import importlib.util, sys; '
            f'p = {osp.join(ROOT, "dpt_mm", "structures", "trimap.py")!r}; '
            's = importlib.util.spec_from_file_location("t", p); '
            'm = importlib.util.module_from_spec(s); s.loader.exec_module(m); '
            'print(m.VALUES, "torch" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ['(0,', '128,', '255)', 'False']


def test_label_encoding_is_mmagic_format_trimap():
    """``label`` codes 0 / 128 / 255 as 0 / 1 / 2 and keeps other values,
    exactly as mmagic's ``FormatTrimap(to_onehot=False)``."""
    rng = np.random.default_rng(0)
    gray = rng.choice(np.array([0, 128, 255, 7, 200], np.uint8), (9, 11))
    before = gray.copy()
    got = trimap.label(gray)
    want = FormatTrimap(to_onehot=False)(dict(trimap=gray.copy()))['trimap']
    np.testing.assert_array_equal(got, np.asarray(want).reshape(got.shape))
    assert set(np.unique(got)) == {0, 1, 2, 7, 200}
    np.testing.assert_array_equal(gray, before)  # the input is unchanged
    np.testing.assert_array_equal(trimap.label(gray) == 1, gray == 128)
