"""Losses of DPT pre-training: Laplacian pyramid / loss and DPTMattingLoss."""
import numpy as np
import pytest
import torch

import dpt_mm  # noqa: F401
from dpt_mm.models.losses import (DPTMattingLoss, LaplacianLoss,
                                  laplacian_pyramid, unknown_mask)


def _np_blur(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Reference 5x5 filtering with reflect padding, by explicit sums."""
    p = np.pad(x, 2, mode='reflect')
    out = np.zeros_like(x)
    for dy in range(5):
        for dx in range(5):
            out += k[dy, dx] * p[dy:dy + x.shape[0], dx:dx + x.shape[1]]
    return out


def _np_pyramid(x: np.ndarray, levels: int = 5):
    """Independent float64 reference of the documented pyramid."""
    g = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.
    pyr, cur = [], x
    for _ in range(levels):
        down = _np_blur(cur, g)[::2, ::2]
        up = np.zeros((2 * down.shape[0], 2 * down.shape[1]))
        up[::2, ::2] = down
        up = _np_blur(up, 4 * g)[:cur.shape[0], :cur.shape[1]]
        pyr.append(cur - up)
        cur = down
    return pyr


def _checkerboard(h: int, w: int) -> torch.Tensor:
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    return ((yy + xx) % 2).float()


def test_laplacian_pyramid_matches_numpy_reference():
    """Every level equals an independent numpy implementation, including an
    odd size whose coarse levels are cropped."""
    rng = np.random.default_rng(0)
    for h, w in [(64, 64), (72, 50)]:
        x = rng.random((h, w))
        ref = _np_pyramid(x)
        got = laplacian_pyramid(torch.from_numpy(x)[None, None], 5)
        assert len(got) == 5
        for lvl, (r, g) in enumerate(zip(ref, got)):
            assert g.shape[-2:] == r.shape, lvl
            np.testing.assert_allclose(g[0, 0].numpy(), r, atol=1e-10)


def test_laplacian_pyramid_of_constant_is_zero():
    """Binomial kernel + reflect padding: a constant has no band-pass
    content at any level (also at the borders)."""
    pyr = laplacian_pyramid(torch.full((1, 1, 64, 96), 0.3), 5)
    assert max(p.abs().max().item() for p in pyr) < 1e-6


def test_laplacian_loss_known_values():
    loss = LaplacianLoss()
    x = torch.rand(2, 1, 64, 64, generator=torch.Generator().manual_seed(1))
    assert loss(x, x).item() == 0.0
    # a DC offset is invisible to the band-pass levels
    assert loss(x + 0.25, x).item() == pytest.approx(0.0, abs=1e-5)
    # a 0/1 checkerboard is killed by the [1,4,6,4,1] blur (alternating sum
    # 0): level 0 is +-0.5 around 0.5, levels >= 1 are 0 -> loss 2^0 * 0.5
    cb = _checkerboard(64, 64)[None, None]
    half = torch.full_like(cb, 0.5)
    assert loss(cb, half).item() == pytest.approx(0.5, abs=1e-6)
    # masking: mean over the weighted region only, still 0.5
    w = torch.zeros_like(cb)
    w[..., :, :20] = 1
    assert loss(cb, half, w).item() == pytest.approx(0.5, abs=1e-6)
    assert LaplacianLoss(loss_weight=3.)(cb, half).item() == pytest.approx(
        1.5, abs=1e-6)


def test_laplacian_level_weights_are_powers_of_two():
    """The loss equals sum_l 2^l * mean|L_l(p) - L_l(t)| from the
    reference pyramid."""
    rng = np.random.default_rng(3)
    p, t = rng.random((64, 64)), rng.random((64, 64))
    ref = sum(2**i * np.abs(a - b).mean()
              for i, (a, b) in enumerate(zip(_np_pyramid(p), _np_pyramid(t))))
    got = LaplacianLoss()(
        torch.from_numpy(p)[None, None], torch.from_numpy(t)[None, None])
    assert got.item() == pytest.approx(ref, rel=1e-9)


def test_laplacian_rejects_too_small_and_mismatched_inputs():
    with pytest.raises(ValueError, match='at least 48x48'):
        laplacian_pyramid(torch.rand(1, 1, 32, 64), 5)
    with pytest.raises(ValueError, match='differ in shape'):
        LaplacianLoss()(torch.rand(1, 1, 64, 64), torch.rand(1, 1, 64, 48))


def test_unknown_mask_from_onehot_and_values():
    tri = torch.tensor([[0, 128, 255], [128, 128, 0]], dtype=torch.uint8)
    expect = (tri == 128).float()[None, None]
    assert torch.equal(unknown_mask(tri[None, None]), expect)
    assert torch.equal(unknown_mask(tri[None, None].float() / 255.), expect)
    onehot = torch.stack([(tri == 0), (tri == 128), (tri == 255)]).float()
    assert torch.equal(unknown_mask(onehot[None]), expect)
    with pytest.raises(ValueError, match='1 or 3 channels'):
        unknown_mask(torch.zeros(1, 2, 4, 4))


class _Samples:
    """Stand-in for a stacked DataSample (attribute access only)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _batch(h=64, w=64):
    g = torch.Generator().manual_seed(0)
    alpha = torch.rand(2, 1, h, w, generator=g)
    tri = torch.zeros(2, 1, h, w, dtype=torch.uint8)
    tri[..., :, : w // 2] = 128  # left half unknown
    tri[..., : h // 2, w // 2:] = 255
    fg = torch.ones(2, 3, h, w)
    bg = torch.zeros(2, 3, h, w)
    merged = alpha * fg + (1 - alpha) * bg
    return _Samples(
        gt_alpha=alpha, gt_fg=fg, gt_bg=bg, gt_merged=merged, trimap=tri)


def test_dpt_matting_loss_values_and_masking():
    ds = _batch()
    mask = (ds.trimap == 128).float()
    loss = DPTMattingLoss()
    perfect = {k: ds.gt_alpha for k in ('alpha_os1', 'alpha_os4',
                                        'alpha_os8')}
    out = loss(perfect, ds)
    assert set(out) == {'loss_alpha', 'loss_comp', 'loss_lap'}
    assert all(v.item() == pytest.approx(0, abs=1e-7) for v in out.values())

    # errors only outside the unknown region are ignored by alpha/comp
    outside = {k: ds.gt_alpha * mask + (1 - mask) * 0.9 for k in perfect}
    out = loss(outside, ds)
    assert out['loss_alpha'].item() == pytest.approx(0, abs=1e-7)
    assert out['loss_comp'].item() == pytest.approx(0, abs=1e-7)

    # per-output errors 0.1 / 0.2 / 0.3 weighted (2, 1, 1) / 4 -> 0.175;
    # F - B = 1 so the composition error equals the alpha error
    offs = dict(alpha_os1=0.1, alpha_os4=0.2, alpha_os8=0.3)
    shifted = {k: ds.gt_alpha + v for k, v in offs.items()}
    out = loss(shifted, ds)
    assert out['loss_alpha'].item() == pytest.approx(0.175, rel=1e-5)
    assert out['loss_comp'].item() == pytest.approx(0.175, rel=1e-5)

    # configurable weights and terms
    out = DPTMattingLoss(
        loss_alpha=dict(type='L1Loss', loss_weight=2.0),
        loss_comp=None,
        loss_lap=None,
        output_weights=dict(alpha_os1=1.0))(shifted, ds)
    assert set(out) == {'loss_alpha'}
    assert out['loss_alpha'].item() == pytest.approx(0.2, rel=1e-5)


def test_dpt_matting_loss_gradient_only_in_unknown_region():
    ds = _batch()
    pred = torch.full_like(ds.gt_alpha, 0.5, requires_grad=True)
    out = DPTMattingLoss()({'alpha_os1': pred, 'alpha_os4': pred,
                            'alpha_os8': pred}, ds)
    (out['loss_alpha'] + out['loss_comp']).backward()
    unknown = ds.trimap == 128
    assert pred.grad[~unknown].abs().max().item() == 0
    assert (pred.grad[unknown] != 0).float().mean().item() > 0.99


def test_dpt_matting_loss_errors():
    with pytest.raises(ValueError, match='at least one'):
        DPTMattingLoss(loss_alpha=None, loss_comp=None, loss_lap=None)
    with pytest.raises(KeyError, match='alpha_os4'):
        DPTMattingLoss()({'alpha_os1': torch.zeros(1, 1, 64, 64)}, _batch())
