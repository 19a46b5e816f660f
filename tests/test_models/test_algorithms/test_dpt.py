"""MattingHead, the DPT backbones and the Mattor as DPT (tiny sizes)."""
import copy

import pytest
import torch
import torch.nn.functional as F

import dpt_mm  # noqa: F401
from mmengine.registry import init_default_scope
from dpt_mm.models.heads import MattingHead
from dpt_mm.registry import MODELS
from pretext_helpers import pretext_batch
from tool_scripts import load_tool

init_default_scope('mmagic')

TINY_IN = (6, 16, 16, 32, 64, 128)
TINY_SC = (8, 8, 16, 32, 64, 128)
TINY_SWIN = dict(embed_dims=16, depths=(1, 1, 1, 1), num_heads=(1, 1, 2, 4))


def _feats(h=64, w=64, chans=TINY_IN, os1_source_stride=2, n=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    strides = (1, os1_source_stride, 4, 8, 16, 32)
    return [
        torch.randn(n, c, h // s, w // s, generator=g)
        for c, s in zip(chans, strides)
    ]


def _tiny_head(**kw):
    return MattingHead(in_channels=TINY_IN, shortcut_channels=TINY_SC, **kw)


def test_head_is_registered_and_has_mappable_key_names():
    """Default (MatteFormer) widths and the submodule/key names that the
    converters rename from the official checkpoints."""
    head = MODELS.build(dict(type='MattingHead'))
    sd = head.state_dict()
    expect = {
        'shortcut.0.0.weight_orig': (32, 6, 3, 3),
        'shortcut.0.3.weight_orig': (32, 32, 3, 3),
        'shortcut.0.5.running_mean': (32, ),
        'shortcut.5.0.weight_orig': (512, 768, 3, 3),
        'layer1.0.conv1.weight_orig': (512, 512, 4, 4),  # transposed conv
        'layer1.0.conv1.weight_u': (512, ),
        'layer1.0.conv1.weight_v': (512 * 16, ),
        'layer1.0.conv2.weight_orig': (256, 512, 3, 3),
        'layer1.0.upsample.1.weight_orig': (256, 512, 1, 1),
        'layer1.0.upsample.2.weight': (256, ),
        'layer1.1.conv1.weight_orig': (256, 256, 3, 3),
        'layer2.2.bn2.weight': (128, ),
        'layer4.1.conv2.weight_orig': (32, 32, 3, 3),
        'conv1.weight_orig': (32, 32, 4, 4),
        'bn1.weight': (32, ),
        'refine_OS1.0.weight': (32, 32, 3, 3),
        'refine_OS4.0.weight': (32, 64, 3, 3),
        'refine_OS8.0.weight': (32, 128, 3, 3),
        'refine_OS8.3.bias': (1, ),
    }
    for key, shape in expect.items():
        assert tuple(sd[key].shape) == shape, key
    # block counts (2, 3, 3, 2) and no stray parameter containers
    assert [len(getattr(head, f'layer{i}')) for i in range(1, 5)] == [2, 3, 3,
                                                                        2]
    assert 'layer3.3.conv1.weight_orig' not in sd
    assert not any(k.startswith('loss') for k in sd)


def test_head_shapes_range_and_gradients():
    head = _tiny_head()
    feats = [f.requires_grad_() for f in _feats(64, 96)]
    out = head(feats)
    assert set(out) == {'alpha_os1', 'alpha_os4', 'alpha_os8'}
    for v in out.values():
        assert v.shape == (2, 1, 64, 96)
        assert v.min() >= 0 and v.max() <= 1
    sum(v.mean() for v in out.values()).backward()
    for i, f in enumerate(feats):
        assert f.grad is not None and f.grad.abs().sum() > 0, i
    for name, p in head.named_parameters():
        assert p.grad is not None, name
    # zero-initialised last BN of each block still learns
    assert head.layer1[0].bn2.weight.grad.abs().sum() > 0
    assert head.layer1[0].bn2.weight.abs().sum() == 0


def test_head_resizes_off_stride_levels_like_matteformer():
    """A level-1 feature given at OS4 (the Swin patch embedding) equals
    feeding its x2 bilinear (align_corners=True) up-sampling."""
    head = _tiny_head().eval()
    feats = _feats(64, 64, os1_source_stride=4)
    manual = list(feats)
    manual[1] = F.interpolate(
        feats[1], scale_factor=2., mode='bilinear', align_corners=True)
    a, b = head(feats), head(manual)
    for k in a:
        assert torch.equal(a[k], b[k])


def test_head_pass_through_level_for_mg_matting():
    head = MattingHead(
        in_channels=(6, 8, 16, 32, 64, 128),
        shortcut_channels=(8, 8, 16, 32, 64, None))
    assert isinstance(head.shortcut[5], torch.nn.Identity)
    out = head(_feats(64, 64, chans=(6, 8, 16, 32, 64, 128)))
    assert out['alpha_os1'].shape == (2, 1, 64, 64)


def test_head_rejects_bad_input():
    head = _tiny_head()
    with pytest.raises(ValueError, match='6 feature levels'):
        head(_feats()[:5])
    bad = _feats()
    bad[3] = torch.zeros(2, 5, 8, 8)
    with pytest.raises(ValueError, match='level 3 has 5 channels'):
        head(bad)
    with pytest.raises(ValueError, match='divisible by 32'):
        head(_feats(48, 64))
    with pytest.raises(RuntimeError, match='loss'):
        head.loss(_feats(), None)


def test_transposed_conv_spectral_norm_uses_output_dim():
    """sigma of the SN transposed conv is taken over weight.view(C_in, -1)
    (dim 0) as in the official SpectralNorm, not torch's default dim 1."""
    head = _tiny_head().eval()
    conv = head.layer1[0].conv1
    w = conv.weight_orig.detach()
    u, v = conv.weight_u, conv.weight_v
    head(_feats())  # eval forward sets conv.weight from u, v
    sigma = u @ w.reshape(w.shape[0], -1) @ v
    torch.testing.assert_close(conv.weight, w / sigma)


def _swin(in_channels=6, **kw):
    return dict(
        type='MattingSwinTransformer',
        arch=TINY_SWIN,
        img_size=64,
        window_size=2,  # 64 px input: stages 16, 8, 4, 2
        in_channels=in_channels,
        **kw)


def test_swin_wrapper_matches_mmpretrain_keys_and_outputs():
    torch.manual_seed(0)
    ours = MODELS.build(_swin())
    ours.eval()  # mmpretrain's Swin.train() returns None
    from mmpretrain.models import SwinTransformer
    ref = SwinTransformer(
        arch=TINY_SWIN, img_size=64, window_size=2, in_channels=6,
        out_indices=(0, 1, 2, 3))
    ref.eval()
    assert list(ours.state_dict()) == list(ref.state_dict())
    ref.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randn(2, 6, 64, 64)
    outs = ours(x)
    assert [tuple(o.shape) for o in outs] == [(2, 16, 16, 16),
                                              (2, 16, 16, 16), (2, 32, 8, 8),
                                              (2, 64, 4, 4), (2, 128, 2, 2)]
    for a, b in zip(outs[1:], ref(x)):
        torch.testing.assert_close(a, b)
    emb, _ = ours.patch_embed(x)
    torch.testing.assert_close(outs[0].flatten(2).transpose(1, 2), emb)


def test_resnet_encoder_levels_and_mmagic_keys():
    from mmagic.models.editors.gca.resgca_enc import ResNetEnc
    enc = MODELS.build(dict(type='MattingResNetEnc'))
    ref = ResNetEnc('BasicBlock', [3, 4, 4, 2], 6, with_spectral_norm=True)
    assert list(enc.state_dict()) == list(ref.state_dict())
    assert enc.conv1.conv.weight_orig.shape == (32, 6, 3, 3)
    outs = enc(torch.randn(1, 6, 64, 64))
    assert [tuple(o.shape[1:]) for o in outs] == [(32, 32, 32), (64, 16, 16),
                                                  (128, 8, 8), (256, 4, 4),
                                                  (512, 2, 2)]
    assert enc.out_channels == (32, 64, 128, 256, 512)


def test_matting_resnet_levels_and_mmpretrain_keys():
    """Stem + four stages of mmpretrain's ResNet, with its (torchvision)
    keys; the key-layout arguments are fixed."""
    from mmpretrain.models import ResNet
    torch.manual_seed(0)
    ours = MODELS.build(dict(type='MattingResNet', depth=18))
    ref = ResNet(depth=18, in_channels=6, out_indices=(0, 1, 2, 3))
    ours.eval(), ref.eval()  # mmpretrain's ResNet.train() returns None
    assert list(ours.state_dict()) == list(ref.state_dict())
    ref.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randn(2, 6, 64, 64)
    with torch.no_grad():
        outs = ours(x)
        assert [tuple(o.shape[1:]) for o in outs] == [(64, 32, 32),
                                                      (64, 16, 16),
                                                      (128, 8, 8),
                                                      (256, 4, 4),
                                                      (512, 2, 2)]
        for a, b in zip(outs[1:], ref(x)):
            torch.testing.assert_close(a, b)
        stem = F.relu(F.batch_norm(
            F.conv2d(x, ours.conv1.weight, stride=2, padding=3),
            ours.bn1.running_mean, ours.bn1.running_var, ours.bn1.weight,
            ours.bn1.bias, eps=ours.bn1.eps))
        torch.testing.assert_close(outs[0], stem)
    assert ours.out_channels == (64, 64, 128, 256, 512)
    r50 = MODELS.build(dict(type='MattingResNet'))
    assert r50.out_channels == (64, 256, 512, 1024, 2048)
    assert r50.conv1.in_channels == 6
    with pytest.raises(ValueError, match='deep_stem'):
        MODELS.build(dict(type='MattingResNet', depth=18, deep_stem=True))
    with pytest.raises(ValueError, match='out_indices'):
        MODELS.build(dict(type='MattingResNet', depth=18, out_indices=(3, )))


def _dpt_cfg(backbone, head_in, head_sc, with_trimap=True):
    return dict(
        type='Mattor',
        with_trimap=with_trimap,
        backbone=backbone,
        head=dict(
            type='MattingHead',
            in_channels=head_in,
            shortcut_channels=head_sc,
            loss=dict(type='MattingOutputsLoss')))


@pytest.mark.parametrize('variant', ['swin', 'r34'])
def test_dpt_modes_shapes_and_gradients(variant):
    torch.manual_seed(0)
    if variant == 'swin':
        cfg = _dpt_cfg(_swin(), TINY_IN, TINY_SC)
    else:
        cfg = _dpt_cfg(
            dict(type='MattingResNetEnc'), (6, 32, 64, 128, 256, 512),
            (8, 8, 16, 32, 64, None))
    model = MODELS.build(cfg)
    inputs, ds = pretext_batch()
    losses = model(inputs, ds, mode='loss')
    assert set(losses) == {'loss_alpha', 'loss_comp', 'loss_lap'}
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    first = next(model.backbone.parameters())
    assert first.grad is not None and first.grad.abs().sum() > 0
    assert model.head.refine_OS1[3].weight.grad.abs().sum() > 0

    model.eval()
    assert set(model(inputs, mode='tensor')) == {
        'alpha_os1', 'alpha_os4', 'alpha_os8'}
    alpha = model.predict_alpha(inputs)
    assert alpha.shape == (2, 1, 64, 64)
    assert alpha.min() >= 0 and alpha.max() <= 1
    preds = model(inputs, None, mode='predict')
    assert len(preds) == 2 and preds[1].pred_alpha.shape == (1, 64, 64)
    torch.testing.assert_close(preds[1].pred_alpha, alpha[1])
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(inputs, mode='bogus')


def test_dpt_without_trimap_ignores_trimap_channels():
    torch.manual_seed(0)
    model = MODELS.build(
        _dpt_cfg(
            _swin(in_channels=3), (3, ) + TINY_IN[1:], TINY_SC,
            with_trimap=False))
    model.eval()
    assert model.backbone.patch_embed.projection.in_channels == 3
    inputs, ds = pretext_batch()
    other = inputs.clone()
    other[:, 3:] = 1 - other[:, 3:]
    torch.testing.assert_close(
        model.predict_alpha(inputs), model.predict_alpha(other))
    model.train()
    assert torch.isfinite(sum(model(inputs, ds, mode='loss').values()))


def test_dpt_trains_state_dict_round_trip():
    """A DPT state dict reloads strictly into a fresh model and gives the
    same eval output (spectral-norm buffers included)."""
    torch.manual_seed(0)
    cfg = _dpt_cfg(_swin(), TINY_IN, TINY_SC)
    a = MODELS.build(copy.deepcopy(cfg))
    inputs, ds = pretext_batch()
    sum(a(inputs, ds, mode='loss').values()).backward()  # updates SN u, v
    a.eval()
    b = MODELS.build(copy.deepcopy(cfg))
    b.load_state_dict(a.state_dict(), strict=True)
    b.eval()
    torch.testing.assert_close(
        a.predict_alpha(inputs), b.predict_alpha(inputs))


def _run_cli(script, argv, capsys):
    mod = load_tool(f'tools/model_converters/{script}', script[:-3])
    assert mod.main(argv) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize('model,part', [('matteformer', 'encoder'),
                                        ('matteformer', 'encoder+decoder'),
                                        ('mgmatting', 'encoder+decoder'),
                                        ('gca', 'encoder'),
                                        ('gca_r50', 'encoder')])
def test_dpt2finetune_cli_dispatch(model, part, tmp_path, capsys):
    """The CLI reads an mmengine-style DPT checkpoint, dispatches to the
    model's converter, prints every dropped key and saves atomically."""
    from dpt_mm.models.converters import convert_dpt
    torch.manual_seed(0)
    if model == 'matteformer':
        cfg = _dpt_cfg(_swin(), TINY_IN, TINY_SC)
    elif model == 'gca_r50':  # configs/dpt_r50_in1k.py at depth 18
        cfg = _dpt_cfg(
            dict(type='MattingResNet', depth=18), (6, 64, 64, 128, 256, 512),
            (32, 32, 64, 128, 256, 512))
    else:
        cfg = _dpt_cfg(
            dict(type='MattingResNetEnc'), (6, 32, 64, 128, 256, 512),
            (32, 32, 64, 128, 256, None))
    sd = MODELS.build(cfg).state_dict()
    src = tmp_path / 'dpt.pth'
    torch.save(dict(state_dict=sd, meta=dict(iter=1)), src)
    dst = tmp_path / 'out' / 'init.pth'
    out = _run_cli('dpt2finetune.py', [
        str(src), str(dst), '--model', model, '--part', part
    ], capsys)
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    expect = convert_dpt(dict(sd), model, part)
    assert list(saved['state_dict']) == list(expect)
    for k, v in expect.items():
        assert torch.equal(saved['state_dict'][k], v), k
    assert saved['meta']['part'] == part
    assert [p.name for p in dst.parent.iterdir()] == ['init.pth']
    head_dropped = [ln for ln in out.splitlines()
                    if ln.strip().startswith('dropped: head.')]
    if part == 'encoder':
        n_head = sum(k.startswith('head.') for k in sd)
        assert len(head_dropped) == n_head > 0
        assert not any(k.startswith('head.') for k in expect)
    else:
        assert not head_dropped
    if model == 'gca_r50':
        assert all(k.startswith('backbone.encoder.resnet.') for k in expect)
        assert len(expect) == sum(k.startswith('backbone.') for k in sd)


def test_converter_dispatch_errors(tmp_path):
    from dpt_mm.models.converters import (convert_dpt, get_converter,
                                          load_state_dict)
    with pytest.raises(ValueError, match='unknown model'):
        get_converter('dim', 'convert_dpt')
    with pytest.raises(ValueError, match='unknown part'):
        convert_dpt({}, 'matteformer', 'decoder')
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        load_state_dict(str(tmp_path / 'missing.pth'))
    bad = tmp_path / 'bad.pth'
    torch.save(dict(state_dict=dict(step=3)), bad)
    with pytest.raises(ValueError, match='bad.pth holds no state dict'):
        load_state_dict(str(bad))
    junk = tmp_path / 'junk.pth'
    junk.write_bytes(b'not a checkpoint')
    with pytest.raises(ValueError, match='junk.pth: not a readable PyTorch'):
        load_state_dict(str(junk))


def test_dpt_neck_applies_to_deepest_level_only():
    """An optional neck (MG Matting's ASPP) sits between the R34 encoder's
    OS32 output and the head."""
    assert MODELS.get('MGMattingASPP') is not None, 'not registered'
    torch.manual_seed(0)
    cfg = _dpt_cfg(
        dict(type='MattingResNetEnc'), (6, 32, 64, 128, 256, 512),
        (8, 8, 16, 32, 64, None))
    cfg['neck'] = dict(type='MGMattingASPP')
    model = MODELS.build(cfg)
    inputs, ds = pretext_batch()
    model.eval()  # fixed spectral-norm vectors and BN statistics
    with torch.no_grad():
        feats = model.extract_feat(inputs)
        raw = model.backbone(inputs)
    assert [tuple(f.shape) for f in feats[1:]] == [tuple(r.shape) for r in raw]
    for f, r in zip(feats[1:5], raw[:4]):
        assert torch.equal(f, r)
    assert not torch.equal(feats[5], raw[4])
    model.train()
    sum(model(inputs, ds, mode='loss').values()).backward()
    assert all(p.grad is not None for p in model.neck.parameters())
    assert any(k.startswith('neck.') for k in model.state_dict())


class _TinyAlphaNet(torch.nn.Module):
    """An encoder-decoder stand-in: one conv to the raw alpha."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(6, 1, 3, padding=1)

    def forward(self, x):
        return self.conv(x)


def test_dpt_takes_an_encoder_decoder_backbone():
    """A backbone returning the raw alpha (GCA's SimpleEncoderDecoder) with
    the layer-free AlphaLossHead: (tanh + 1) / 2 of it, the DPT loss on it,
    the backbone's parameters only; a neck is refused."""
    MODELS.register_module('_TinyAlphaNet', module=_TinyAlphaNet, force=True)
    head = dict(
        type='AlphaLossHead',
        loss=dict(type='MattingOutputsLoss', output_weights=dict(alpha=1.0)))
    torch.manual_seed(0)
    model = MODELS.build(
        dict(type='Mattor', backbone=dict(type='_TinyAlphaNet'), head=head))
    assert {k for k in model.state_dict()
            if not k.startswith('data_')} == {'backbone.conv.weight',
                                              'backbone.conv.bias'}
    inputs, ds = pretext_batch()
    alpha = model.predict_alpha(inputs)
    assert set(model(inputs, mode='tensor')) == {'alpha'}
    expect = (torch.tanh(model.backbone(inputs)) + 1) / 2
    torch.testing.assert_close(alpha, expect, rtol=0, atol=0)
    losses = model(inputs, ds, mode='loss')
    assert set(losses) == {'loss_alpha', 'loss_comp', 'loss_lap'}
    sum(losses.values()).backward()
    assert model.backbone.conv.weight.grad.abs().sum() > 0
    with_neck = MODELS.build(
        dict(type='Mattor', backbone=dict(type='_TinyAlphaNet'), head=head,
             neck=dict(type='_TinyAlphaNet')))
    with pytest.raises(ValueError, match='neck needs feature levels'):
        with_neck(inputs, mode='tensor')


def test_fresh_model_has_converged_spectral_norm_vectors():
    """u / v are power-iterated at construction: sigma = u^T W v is close
    to the largest singular value, so eval mode before any training step is
    finite (random u, v gave sigma ~1e-3 and activations ~1e13 in the R34
    encoder)."""
    torch.manual_seed(0)
    model = MODELS.build(
        _dpt_cfg(
            dict(type='MattingResNetEnc'), (6, 32, 64, 128, 256, 512),
            (8, 8, 16, 32, 64, None)))
    sn_layers = [m for m in model.modules() if hasattr(m, 'weight_u')]
    assert len(sn_layers) > 50
    for m in sn_layers[::4]:  # a spread sample keeps the SVDs cheap
        w = m.weight_orig.detach()
        mat = w.reshape(w.shape[0], -1)
        sigma = m.weight_u @ mat @ m.weight_v
        true = torch.linalg.matrix_norm(mat, 2)
        assert 0.5 * true < sigma <= true * 1.0001
    model.eval()
    inputs, _ = pretext_batch()
    alpha = model.predict_alpha(inputs)
    assert torch.isfinite(alpha).all()


def test_supervised2finetune_cli_dispatch(tmp_path, capsys):
    """An mmpretrain Swin classifier checkpoint (3 channels) becomes a
    6-channel MatteFormer initialisation through the CLI; the classifier
    keys are reported as dropped."""
    from mmpretrain.models import SwinTransformer

    from dpt_mm.models.converters import convert_supervised
    torch.manual_seed(0)
    swin = SwinTransformer(arch=TINY_SWIN, img_size=64, window_size=2)
    sd = {'backbone.' + k: v for k, v in swin.state_dict().items()}
    sd['head.fc.weight'] = torch.zeros(10, 128)
    sd['head.fc.bias'] = torch.zeros(10)
    src = tmp_path / 'in1k.pth'
    torch.save(dict(state_dict=sd, meta=dict(epoch=1)), src)
    dst = tmp_path / 'init.pth'
    out = _run_cli('supervised2finetune.py',
                   [str(src), str(dst), '--model', 'matteformer'], capsys)
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    expect = convert_supervised(dict(sd), 'matteformer')
    assert list(saved['state_dict']) == list(expect)
    key = 'backbone.patch_embed.projection.weight'
    assert saved['state_dict'][key].shape[1] == 6
    assert torch.equal(saved['state_dict'][key][:, :3],
                       sd['backbone.patch_embed.projection.weight'])
    assert 'dropped: head.fc.weight' in out
