"""The one Mattor: test_cfg read for every model, PRM-guided supervision,
levels and heads."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import dpt_mm  # noqa: F401
from dpt_mm.models import Mattor
from dpt_mm.models.utils import progressive_refinement
from dpt_mm.registry import MODELS

init_default_scope('mmagic')
DEMO_DPT = 'configs/demo/dpt_swin-demo_demo.py'


def _raw(h=96, w=128, seed=0):
    """OS1 / OS4 / OS8 maps with wide uncertain bands."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(1, 1, h // 16, w // 16, generator=g)
    up = torch.nn.functional.interpolate(coarse, size=(h, w), mode='nearest')
    os8 = (up > 0.5).float() * (1 - 1e-3) + (up - 0.5).abs() * (up < 0.2)
    return dict(
        alpha_os8=os8.clamp(0, 1),
        alpha_os4=torch.rand(1, 1, h, w, generator=g),
        alpha_os1=torch.rand(1, 1, h, w, generator=g))


def test_dpt_config_reads_fuse_and_prm_work_size(monkeypatch):
    """A DPT pre-training config's test_cfg steers the fusion as a
    fine-tuning config's does (the pre-training head once ignored it)."""
    cfg = Config.fromfile(DEMO_DPT).model
    raw = _raw()
    results = {}
    for name, test_cfg in (('default', {}),
                           ('own_size', dict(prm_work_size=None)),
                           ('narrow', dict(refine_widths=(4, 4))),
                           ('no_fuse', dict(fuse=False))):
        model = MODELS.build(dict(cfg, test_cfg=test_cfg))
        assert isinstance(model, Mattor)
        monkeypatch.setattr(model, '_forward', lambda x: dict(raw))
        results[name] = model.predict_alpha(torch.zeros(1, 6, 96, 128))
    expect = {
        'default': progressive_refinement(raw, (30, 15))[1],
        'own_size': progressive_refinement(raw, (30, 15),
                                           work_size=None)[1],
        'narrow': progressive_refinement(raw, (4, 4))[1],
        'no_fuse': raw['alpha_os1'],
    }
    for name, value in expect.items():
        assert torch.equal(results[name], value), name
    for name in ('own_size', 'narrow', 'no_fuse'):
        assert not torch.equal(results[name], results['default']), name


def test_prm_guided_step_supervises_the_prm_regions():
    """After the PRM warm-up, OS4 / OS1 are the fused outputs on their PRM
    regions and OS8 is on the whole image (the loss's whole_image_outputs),
    against a direct computation with the same random ellipse sizes."""
    from test_mgmatting import synthetic_batch, tiny_mg_cfg
    model = MODELS.build(tiny_mg_cfg(prm_warmup_iters=0))
    inputs, ds = synthetic_batch()
    out = {k: torch.cat([v, v.flip(-1)]) for k, v in _raw(64, 64).items()}
    model._forward = lambda x: dict(out)
    torch.manual_seed(3)
    losses = model._forward_train(inputs, ds)
    torch.manual_seed(3)
    os4, os1, w4, w1 = progressive_refinement(
        out, (30, 15), random_widths=True, work_size=None)
    assert 0 < w1.mean() < 1 and not torch.equal(w4, inputs[:, 4:5])

    def l1(p, w):
        return ((p - ds.gt_alpha).abs() * w).sum() / w.sum()

    expect = (2 * l1(os1, w1) + l1(os4, w4) +
              l1(out['alpha_os8'], torch.ones_like(w1))) / 5
    torch.testing.assert_close(losses['loss_alpha'], expect)


def test_strided_levels_get_the_input_prepended():
    """Levels starting below the input's size get the network input as
    level 0 (ResNet encoders); levels starting at it are used as given."""

    class Levels(torch.nn.Module):

        def __init__(self, first_stride):
            super().__init__()
            self.first_stride = first_stride

        def forward(self, x):
            s = self.first_stride
            return [x[:, :1, ::s, ::s] * 2, x[:, :1, ::32, ::32]]

    class Echo(torch.nn.Module):

        def forward(self, feats):
            return {'alpha': torch.stack([f.mean() for f in feats])}

    MODELS.register_module('_Levels', module=Levels, force=True)
    MODELS.register_module('_Echo', module=Echo, force=True)
    x = torch.rand(1, 4, 64, 64)
    strided = MODELS.build(
        dict(type='Mattor', backbone=dict(type='_Levels', first_stride=2),
             head=dict(type='_Echo')))
    feats = strided.extract_feat(x)
    assert len(feats) == 3 and feats[0] is x
    same = MODELS.build(
        dict(type='Mattor', backbone=dict(type='_Levels', first_stride=1),
             head=dict(type='_Echo')))
    assert len(same.extract_feat(x)) == 2
    assert same.predict_alpha(x).shape == (2, )
    with pytest.raises(ValueError, match='3 image channels'):
        same.predict_alpha(x[:, :3])


def test_test_cfg_and_widths_validated():
    cfg = Config.fromfile(DEMO_DPT).model
    for bad in (dict(alpha_rounding='ceil'), dict(pad_border=-1),
                dict(refine_widths=(30, 15, 7))):
        with pytest.raises(ValueError):
            MODELS.build(dict(cfg, test_cfg=bad))
    np.testing.assert_equal(
        MODELS.build(cfg).test_cfg.to_dict(),
        dict(resize_method='pad', resize_mode='reflect', size_divisor=32,
             pad_border=0, alpha_rounding='round'))
