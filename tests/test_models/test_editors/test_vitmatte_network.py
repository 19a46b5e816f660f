# Copyright (c) dpt-mm contributors. All rights reserved.
"""ViTMatte's network (``ViTMatteViT`` + ``DetailCaptureHead``) against
transformers' ``VitMatteForImageMatting`` with the same seeded weights, and
what training needs: drop path, activation checkpointing, layer-wise
learning-rate decay."""
import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from vitmatte_helpers import Network, hf_vitmatte

from dpt_mm.models.converters.vitmatte import convert_hf

init_default_scope('mmagic')


def _pair(size: str, depth: int):
    """transformers' model and ours with its weights (strict load)."""
    ref = hf_vitmatte(size, depth)
    ours = Network(size, depth).eval()
    ours.load_state_dict(convert_hf(ref.state_dict()), strict=True)
    return ref, ours


@pytest.mark.parametrize(
    'size,depth', [
        pytest.param('small', 12, marks=pytest.mark.slow),
        ('small', 3),
        ('base', 3),
    ],
    ids=['vitmatte-s', 'vitmatte-s-3-blocks', 'vitmatte-b-3-blocks'])
def test_same_alpha_as_transformers(size, depth):
    """512x512 and a non-square size whose patch grid (30x22) the 14-patch
    windows do not divide, so the windowed blocks pad."""
    ref, ours = _pair(size, depth)
    g = torch.Generator().manual_seed(1)
    for h, w in ((512, 512), (480, 352)):
        x = torch.randn(1, 4, h, w, generator=g)
        with torch.no_grad():
            want = ref(x).alphas
            got = ours(x)
        assert got.shape == (1, 1, h, w)
        assert (got - want).abs().max().item() <= 1e-5
        # the weights matter: a re-seeded reference differs
    other = hf_vitmatte(size, depth, seed=1)
    with torch.no_grad():
        assert (other(x).alphas - got).abs().max().item() > 1e-3


def test_backbone_levels_and_bad_size():
    """The backbone returns the input first, then the 1/16 features; a size
    that is no multiple of the patch size is refused by name."""
    net = Network('small', 3).eval()
    x = torch.randn(2, 4, 64, 96)
    with torch.no_grad():
        levels = net.backbone(x)
    assert levels[0] is x
    assert levels[1].shape == (2, 384, 4, 6)
    with pytest.raises(ValueError, match='not a multiple of the patch size'):
        net.backbone(torch.randn(1, 4, 40, 48))


def test_activation_checkpointing_same_gradients():
    """``with_cp`` recomputes the blocks in backward: same loss and
    gradients as without."""
    torch.manual_seed(0)
    plain = Network('small', 3).train()
    cp = Network('small', 3, with_cp=True).train()
    cp.load_state_dict(plain.state_dict())
    x = torch.randn(1, 4, 64, 64)
    for net in (plain, cp):
        net.zero_grad()
        net(x).square().mean().backward()
    for (name, p), q in zip(plain.named_parameters(), cp.parameters()):
        assert torch.allclose(p.grad, q.grad, atol=1e-6), name


def test_drop_path_in_training_only():
    """Drop path changes the training forward and leaves eval exact."""
    torch.manual_seed(0)
    net = Network('small', 3, drop_path_rate=0.5)
    ref = Network('small', 3)
    ref.load_state_dict(net.state_dict())
    x = torch.randn(2, 4, 64, 64)
    net.eval()
    ref.eval()
    with torch.no_grad():
        assert torch.equal(net(x), ref(x))
        net.train()
        ref.train()
        torch.manual_seed(1)
        dropped = net.backbone(x)[1]
        assert not torch.allclose(dropped, ref.backbone(x)[1])


def test_init_weights_as_the_authors():
    """Zero relative positions, residual blocks starting as the identity
    (last norm zero), truncated-normal linear layers."""
    net = Network('small', 3)
    net.backbone.init_weights()
    layer = net.backbone.encoder.layer
    assert not layer[0].attention.rel_pos_h.any()
    assert not layer[2].residual.norm3.weight.any()
    assert layer[1].mlp.fc1.weight.std().item() == pytest.approx(0.02,
                                                                 abs=5e-4)
    x = torch.randn(1, 384, 4, 4)
    assert torch.equal(layer[2].residual(x), x)


def test_layer_decay_as_the_authors():
    """The authors' ``get_vit_lr_decay_rate`` (0.65, 12 blocks) and weight
    decay: 0 for ``pos_embed`` and torch norm layers, 0.1 otherwise."""
    net = Network('small', 12)
    wrapper = build_optim_wrapper(
        net,
        dict(
            type='OptimWrapper',
            optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.1),
            constructor='BackboneLayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(
                layer_decay_rate=0.65,
                norm_decay_mult=0.0,
                custom_keys={'position_embeddings': dict(decay_mult=0.0)})))
    groups = {g['param_name']: g for g in wrapper.optimizer.param_groups}
    assert len(groups) == len(list(net.parameters()))

    def lr(name):
        return groups[name]['lr'] / 5e-4

    def wd(name):
        return groups[name]['weight_decay']

    assert lr('backbone.embeddings.projection.weight') == \
        pytest.approx(0.65**13)
    assert lr('backbone.embeddings.position_embeddings') == \
        pytest.approx(0.65**13)
    assert lr('backbone.encoder.layer.0.attention.qkv.weight') == \
        pytest.approx(0.65**12)
    assert lr('backbone.encoder.layer.11.mlp.fc2.bias') == \
        pytest.approx(0.65)
    assert lr('backbone.encoder.layer.2.residual.conv1.weight') == 1.0
    assert lr('head.matting_head.matting_convs.0.weight') == 1.0
    assert wd('backbone.embeddings.position_embeddings') == 0.0
    assert wd('backbone.encoder.layer.3.norm1.weight') == 0.0
    assert wd('head.convstream.convs.0.batch_norm.weight') == 0.0
    # detectron2 does not count its channel-first LayerNorm as a norm
    assert wd('backbone.encoder.layer.2.residual.norm1.weight') == 0.1
    assert wd('backbone.encoder.layer.3.attention.rel_pos_h') == 0.1
    assert wd('backbone.encoder.layer.3.attention.qkv.weight') == 0.1
