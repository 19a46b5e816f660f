"""Losses of DPT pre-training: Laplacian pyramid / loss and MattingOutputsLoss,
and the composition / output weights of the DPT, MG Matting and MatteFormer
configs against the official trainers' formula."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import dpt_mm  # noqa: F401
from dpt_mm.models.losses import (LaplacianLoss, MattingOutputsLoss,
                                  laplacian_pyramid)
from dpt_mm.registry import MODELS
from dpt_mm.structures.trimap import unknown_mask

#: the test batches below carry 0 / 128 / 255 trimaps
GRAY = dict(trimap_encoding='gray')

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: loss_weight that turns mmagic's [0, 1] 3-channel mean into the official
#: normalised-image sum over the 1-channel mask (about 13.28)
OFFICIAL_COMP_WEIGHT = sum(1. / s for s in IMAGENET_STD)
OUTPUT_KEYS = ('alpha_os1', 'alpha_os4', 'alpha_os8')


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


def _three_codings(tri):
    """The one-hot, 0 / 1 / 2 and 0 / 128 / 255 codings of a 0 / 128 / 255
    HxW trimap, as PackMattingInputs(onehot_trimap=True / False) and the
    file give them, batched."""
    from dpt_mm.datasets.transforms import PackMattingInputs
    coded = {}
    for name, onehot in (('onehot', True), ('label', False)):
        packed = PackMattingInputs(onehot_trimap=onehot).transform(
            dict(merged=np.zeros(tri.shape + (3, ), np.uint8),
                 trimap=tri.copy()))
        coded[name] = packed['data_samples'].trimap[None]
    coded['gray'] = torch.from_numpy(tri)[None, None]
    return coded


def test_unknown_mask_takes_the_encoding_explicitly():
    """Each coding of the same trimap gives the same unknown region when
    named; a coding fed under another name raises instead of giving an
    empty mask (a 0 / 1 / 2 trimap has no 128)."""
    tri = np.array([[0, 128, 255], [128, 128, 0]], dtype=np.uint8)
    expect = torch.from_numpy(tri == 128).float()[None, None]
    coded = _three_codings(tri)
    assert coded['onehot'].shape[1] == 3
    assert coded['label'].max().item() == 2
    for name, value in coded.items():
        assert torch.equal(unknown_mask(value, name), expect), name
    with pytest.raises(ValueError, match="'label'"):
        unknown_mask(coded['label'], 'gray')
    with pytest.raises(ValueError, match="'gray'"):
        unknown_mask(coded['gray'], 'label')
    with pytest.raises(ValueError, match='3 channel'):
        unknown_mask(coded['gray'], 'onehot')
    with pytest.raises(ValueError, match='1 channel'):
        unknown_mask(coded['onehot'], 'label')
    with pytest.raises(ValueError, match='trimap encoding must be one of'):
        unknown_mask(coded['gray'], 'auto')
    with pytest.raises(ValueError, match='trimap encoding must be one of'):
        MattingOutputsLoss(trimap_encoding='auto')


def test_dpt_matting_loss_same_for_every_trimap_encoding():
    """The 0 / 1 / 2 trimap of PackMattingInputs(onehot_trimap=False) gives
    the loss of the one-hot trimap (it gave an empty mask and a silent 0
    before the encoding was explicit), and the default one-hot loss
    rejects it."""
    rng = np.random.default_rng(0)
    tri = rng.choice(np.array([0, 128, 255], np.uint8), (64, 64))
    coded = _three_codings(tri)
    g = torch.Generator().manual_seed(0)
    alpha = torch.rand(1, 1, 64, 64, generator=g)
    fg, bg = torch.rand(1, 3, 64, 64, generator=g), torch.zeros(1, 3, 64, 64)
    pred = {k: torch.rand(1, 1, 64, 64, generator=g) for k in OUTPUT_KEYS}
    values = {}
    for name, value in coded.items():
        ds = _Samples(gt_alpha=alpha, gt_fg=fg, gt_bg=bg,
                      gt_merged=alpha * fg, trimap=value)
        values[name] = MattingOutputsLoss(trimap_encoding=name)(pred, ds)
    for name in ('label', 'gray'):
        for term, v in values[name].items():
            assert v.item() > 0.01, (name, term)
            assert v.item() == pytest.approx(
                values['onehot'][term].item(), rel=1e-6), (name, term)
    ds.trimap = coded['label']
    with pytest.raises(ValueError, match='3 channel'):
        MattingOutputsLoss()(pred, ds)


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
    loss = MattingOutputsLoss(**GRAY)
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

    # per-output errors 0.1 / 0.2 / 0.3 weighted (2, 1, 1) / 5 -> 0.14;
    # F - B = 1 so the composition error equals the alpha error
    offs = dict(alpha_os1=0.1, alpha_os4=0.2, alpha_os8=0.3)
    shifted = {k: ds.gt_alpha + v for k, v in offs.items()}
    out = loss(shifted, ds)
    assert out['loss_alpha'].item() == pytest.approx(0.14, rel=1e-5)
    assert out['loss_comp'].item() == pytest.approx(0.14, rel=1e-5)

    # configurable weights and terms
    out = MattingOutputsLoss(
        **GRAY,
        loss_alpha=dict(type='L1Loss', loss_weight=2.0),
        loss_comp=None,
        loss_lap=None,
        output_weights=dict(alpha_os1=1.0))(shifted, ds)
    assert set(out) == {'loss_alpha'}
    assert out['loss_alpha'].item() == pytest.approx(0.2, rel=1e-5)


def test_dpt_matting_loss_output_combination_is_over_five():
    """The default output weights are used as given, (2, 1, 1) / 5: equal
    per-output losses L give 0.8 L (not L, as a division by the weight sum
    would), for every term."""
    ds = _batch()
    mask = (ds.trimap == 128).float()
    g = torch.Generator().manual_seed(5)
    pred = (ds.gt_alpha +
            0.2 * torch.rand(ds.gt_alpha.shape, generator=g)).clamp(0, 1)
    out = MattingOutputsLoss(**GRAY)({k: pred for k in OUTPUT_KEYS}, ds)
    single = dict(
        loss_alpha=(pred - ds.gt_alpha).abs().mul(mask).sum() / mask.sum(),
        # F = 1, B = 0: the composite error is the alpha error
        loss_comp=(pred - ds.gt_alpha).abs().mul(mask).sum() / mask.sum(),
        loss_lap=LaplacianLoss()(pred, ds.gt_alpha, mask))
    for name, value in single.items():
        assert value.item() > 0, name
        assert out[name].item() == pytest.approx(
            0.8 * value.item(), rel=1e-5), name


def test_dpt_matting_loss_gradient_only_in_unknown_region():
    """The alpha and composition terms only see the unknown region. The
    Laplacian term is left out here on purpose: its gradient also reaches
    known pixels next to the unknown region (see the next test)."""
    ds = _batch()
    pred = torch.full_like(ds.gt_alpha, 0.5, requires_grad=True)
    out = MattingOutputsLoss(**GRAY)({'alpha_os1': pred, 'alpha_os4': pred,
                            'alpha_os8': pred}, ds)
    (out['loss_alpha'] + out['loss_comp']).backward()
    unknown = ds.trimap == 128
    assert pred.grad[~unknown].abs().max().item() == 0
    assert (pred.grad[unknown] != 0).float().mean().item() > 0.99


def test_dpt_laplacian_term_gradient_reaches_known_pixels_near_unknown():
    """The Laplacian term builds both pyramids on the whole image and masks
    each level afterwards (as MG Matting, MatteFormer and the DPT authors'
    code do), so the blurs carry its gradient into known pixels next to the
    unknown region. A level-``l`` band-pass value at a kept (every
    ``2**l``-th) pixel depends on inputs up to ``6 * 2**l - 2`` pixels away
    (``G_l``'s own blur footprint plus down / up sampling), so with 5 levels
    the gradient reaches at most ``3 * 2**5 - 2 = 94`` pixels past the last
    unknown column; that bound is reached here, where the last unknown column
    (32) is an even column of level 4."""
    levels = 5
    g = torch.Generator().manual_seed(2)
    h, w, last_unknown = 64, 192, 32
    gt = torch.rand(1, 1, h, w, generator=g)
    tri = torch.zeros(1, 1, h, w, dtype=torch.uint8)
    tri[..., :last_unknown + 1] = 128
    ds = _Samples(gt_alpha=gt, trimap=tri)
    pred = torch.full_like(gt, 0.5, requires_grad=True)
    loss = MattingOutputsLoss(
        **GRAY,
        loss_alpha=None,
        loss_comp=None,
        loss_lap=dict(type='LaplacianLoss', levels=levels))
    loss({k: pred for k in OUTPUT_KEYS}, ds)['loss_lap'].backward()
    nonzero_cols = (pred.grad[0, 0] != 0).any(0).nonzero().flatten()
    reach = 3 * 2**levels - 2
    # the known column next to the unknown region gets gradient everywhere
    assert (pred.grad[..., last_unknown + 1] != 0).all()
    assert nonzero_cols.max().item() == last_unknown + reach
    # and nothing farther than the reach does
    assert pred.grad[..., last_unknown + reach + 1:].abs().max().item() == 0


def test_dpt_matting_loss_errors():
    with pytest.raises(ValueError, match='at least one'):
        MattingOutputsLoss(loss_alpha=None, loss_comp=None, loss_lap=None)
    for bad in ({}, dict(alpha_os1=0.4, alpha_os4=0.0),
                dict(alpha_os1=-0.4)):
        with pytest.raises(ValueError, match='positive'):
            MattingOutputsLoss(output_weights=bad)
    with pytest.raises(KeyError, match='alpha_os4'):
        MattingOutputsLoss()({'alpha_os1': torch.zeros(1, 1, 64, 64)},
                             _batch())


def official_composition_loss(preds, masks, fg, bg, merged) -> float:
    """Independent float64 reference of the official trainers' composition
    term (MG Matting, MatteFormer and the DPT authors' code).

    Each output composes ImageNet-normalised ``fg`` / ``bg`` and is compared
    with the normalised image; the L1 error summed over the 3 channels is
    divided by the sum of the 1-channel mask, and the OS1 / OS4 / OS8 terms
    combine as ``(2 L1 + L4 + L8) / 5``.

    Args:
        preds (list[Tensor]): OS1 / OS4 / OS8 alphas, each Nx1xHxW.
        masks (list[Tensor]): Their 1-channel weight maps, Nx1xHxW.
        fg (Tensor): Nx3xHxW foreground in [0, 1].
        bg (Tensor): Nx3xHxW background in [0, 1].
        merged (Tensor): Nx3xHxW image in [0, 1].

    Returns:
        float: The combined composition loss.
    """
    mean = np.array(IMAGENET_MEAN).reshape(1, 3, 1, 1)
    std = np.array(IMAGENET_STD).reshape(1, 3, 1, 1)

    def norm(x):
        return (x.double().numpy() - mean) / std

    fg_n, bg_n, image_n = norm(fg), norm(bg), norm(merged)
    terms = []
    for pred, mask in zip(preds, masks):
        a, m = pred.double().numpy(), mask.double().numpy()
        comp = a * fg_n + (1 - a) * bg_n
        terms.append(np.abs(comp * m - image_n * m).sum() / (m.sum() + 1e-8))
    return (2 * terms[0] + terms[1] + terms[2]) / 5


def _random_comp_batch(n=2, h=64, w=64, seed=0):
    """Random alpha / fg / bg / predictions and a random trimap."""
    g = torch.Generator().manual_seed(seed)
    alpha = torch.rand(n, 1, h, w, generator=g)
    fg = torch.rand(n, 3, h, w, generator=g)
    bg = torch.rand(n, 3, h, w, generator=g)
    merged = alpha * fg + (1 - alpha) * bg
    labels = torch.randint(0, 3, (n, 1, h, w), generator=g)  # bg / unk / fg
    trimap = (labels * 127.5).round().to(torch.uint8)  # 0 / 128 / 255
    preds = {k: torch.rand(n, 1, h, w, generator=g) for k in OUTPUT_KEYS}
    ds = _Samples(
        gt_alpha=alpha, gt_fg=fg, gt_bg=bg, gt_merged=merged, trimap=trimap)
    return preds, ds, labels


def _config_comp_loss(name, preds, ds, labels, monkeypatch):
    """``loss_comp`` of the resolved config ``name`` on ``preds``, with the
    composition ``loss_weight`` as configured and set to 1.

    Returns:
        tuple: (configured loss, loss with weight 1, the 1-channel masks of
        OS1 / OS4 / OS8 the model supervises).
    """
    init_default_scope('mmagic')
    cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
    unknown = (labels == 1).float()
    if 'prm_warmup_iters' not in cfg.model.get('train_cfg', {}):
        module = MODELS.build(cfg.model.head.loss)
        comp = module.loss_comp
        # the one-hot trimap the DPT pipeline packs
        onehot = torch.cat([(labels == i) for i in range(3)], 1).to(
            torch.uint8)
        ds = _Samples(**dict(vars(ds), trimap=onehot))

        def run():
            return module(preds, ds)['loss_comp']

        masks = [unknown] * 3
    else:
        # the mattor's own loss code in its trimap (pre-PRM) stage, on the
        # given predictions instead of the network's
        model = MODELS.build(cfg.model)
        comp = model.head.loss_module.loss_comp
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        onehot = torch.cat([(labels == i).float() for i in range(3)], 1)
        inputs = torch.cat([(ds.gt_merged - mean) / std, onehot], 1)
        ds = _Samples(**dict(vars(ds), trimap=onehot))
        monkeypatch.setattr(model, '_forward', lambda x: dict(preds))
        monkeypatch.setattr(model, '_prm_guided', lambda: False)

        def run():
            return model._forward_train(inputs, ds)['loss_comp']

        # OS8 on the whole image, OS4 / OS1 on the unknown region
        masks = [unknown, unknown, torch.ones_like(unknown)]
    configured = run().item()
    weight = comp.loss_weight
    comp.loss_weight = 1.0
    unit = run().item()
    comp.loss_weight = weight
    return configured, unit, masks


@pytest.mark.parametrize('name', [
    'dpt_swin-t_in1k.py',
    'matteformer/base_matteformer_swin-t_4xb10-200k.py',
    'mgmatting/base_mgmatting_r34_4xb10-200k.py',
])
def test_config_composition_loss_matches_official_formula(name, monkeypatch):
    """With the configured weight (sum of 1 / std) mmagic's [0, 1]
    ``L1CompositionLoss`` and the (2, 1, 1) / 5 output combination give the
    official normalised-image composition term to within 2 % on random data;
    a weight of 1 would be more than 10x too small."""
    preds, ds, labels = _random_comp_batch()
    ours, unit, masks = _config_comp_loss(name, preds, ds, labels,
                                          monkeypatch)
    ref = official_composition_loss([preds[k] for k in OUTPUT_KEYS], masks,
                                    ds.gt_fg, ds.gt_bg, ds.gt_merged)
    assert ours == pytest.approx(ref, rel=0.02)
    assert ref / unit > 10


PRETRAIN_AND_FINETUNE_CONFIGS = sorted(
    p for pattern in ('*.py', 'demo/*.py', 'dpt_ablations/*.py',
                      'matteformer/*.py', 'mgmatting/*.py')
    for p in glob.glob(osp.join(ROOT, 'configs', pattern)))


@pytest.mark.parametrize(
    'path', PRETRAIN_AND_FINETUNE_CONFIGS,
    ids=lambda p: osp.relpath(p, osp.join(ROOT, 'configs')))
def test_configs_resolve_official_loss_weights(path):
    """Every DPT / MatteFormer / MG Matting config (including the ones that
    only inherit a base) resolves to the official composition weight and
    the (2, 1, 1) / 5 output weights (GCA's DPT network and ViTMatte's:
    their one output, weight 1)."""
    model = Config.fromfile(path).model
    assert model.type == 'Mattor'
    loss_comp = model.head.loss.loss_comp
    if model.head.type in ('AlphaLossHead', 'DetailCaptureHead'):
        # one output: GCA's network, ViTMatte's detail-capture decoder
        assert dict(model.head.loss.output_weights) == {'alpha': 1.0}
        weights = (0.4, 0.2, 0.2)  # checked above
    else:
        weights = tuple(model.head.loss.output_weights[k] for k in OUTPUT_KEYS)
    assert loss_comp.type == 'L1CompositionLoss'
    assert loss_comp.loss_weight == pytest.approx(OFFICIAL_COMP_WEIGHT,
                                                  rel=1e-12)
    assert loss_comp.loss_weight == pytest.approx(13.2755, abs=1e-4)
    assert weights == pytest.approx((0.4, 0.2, 0.2))
