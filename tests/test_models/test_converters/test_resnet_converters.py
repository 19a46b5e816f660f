# Copyright (c) dpt-mm contributors. All rights reserved.
"""Round trips of dpt_mm.models.converters.resnet (DPT / supervised ->
GCA, MG Matting, GCA-R50)."""
import copy
import os
import os.path as osp
import re

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope

import dpt_mm  # noqa: F401
from dpt_mm.models.converters import convert_dpt, convert_supervised
from dpt_mm.models.converters.resnet import expand_in_channels
from dpt_mm.registry import MODELS
from pretext_helpers import pretext_batch
from tool_scripts import load_tool

init_default_scope('mmagic')

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
DPT_CFG = osp.join(ROOT, 'configs', 'dpt_r34_in1k.py')
MG_CFG = osp.join(ROOT, 'configs', 'mgmatting',
                  'mgmatting_r34-random_4xb10-200k_comp1k.py')
GCA_CFG = osp.join(ROOT, 'configs', 'gca',
                   'gca_r34-random_4xb10-200k_comp1k.py')
GCA50_CFG = osp.join(ROOT, 'configs', 'gca',
                     'gca_r50-supervised_4xb10-200k_comp1k.py')


def build(path, **overrides):
    cfg = copy.deepcopy(Config.fromfile(path).model.to_dict())
    cfg.update(overrides)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def randomise(model):
    """Random values in every parameter and BN buffer, so that copies are
    detectable (default inits are full of 0s and 1s)."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.dtype.is_floating_point:
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
    return model


@pytest.fixture(scope='module')
def dpt_state():
    model = randomise(build(DPT_CFG))
    return {'state_dict': model.state_dict(), 'meta': {}}, model


def load_report(model, state):
    """``load_state_dict(strict=False)`` then ``strict=True`` on the model's
    own state updated with ``state``; returns the target keys that
    ``state`` does not set."""
    _, unexpected = model.load_state_dict(state, strict=False)
    assert unexpected == []
    full = model.state_dict()
    for k, v in state.items():
        assert full[k].shape == v.shape, k
        full[k] = v
    model.load_state_dict(full, strict=True)
    loaded = model.state_dict()
    for k, v in state.items():
        assert torch.equal(loaded[k], v), k
    return set(loaded) - set(state)


def test_dpt_to_mgmatting_encoder_decoder_is_exact(dpt_state):
    ckpt, dpt = dpt_state
    dropped = []
    state = convert_dpt(ckpt, 'mgmatting', 'encoder+decoder', dropped)
    assert dropped == []
    mg = build(MG_CFG)  # the DPT R34 network is MG Matting's, ASPP included
    missing = load_report(mg, state)
    assert missing == set()
    mg.eval(), dpt.eval()
    x = torch.randn(1, 6, 64, 64)
    with torch.no_grad():
        ref = dpt.head(dpt.extract_feat(x))
        out = mg._forward(x)
    for k in ref:
        torch.testing.assert_close(out[k], ref[k], rtol=0, atol=0)


def test_dpt_to_mgmatting_encoder_only(dpt_state):
    ckpt, _ = dpt_state
    dropped = []
    state = convert_dpt(ckpt['state_dict'], 'mgmatting', 'encoder', dropped)
    assert all(k.startswith('backbone.') for k in state)
    assert dropped and all(
        k.startswith(('head.', 'neck.')) for k, _ in dropped)
    n_rest = sum(1 for k in ckpt['state_dict']
                 if k.startswith(('head.', 'neck.')))
    assert len(dropped) == n_rest
    mg = build(MG_CFG)
    missing = load_report(mg, state)
    # everything but the encoder stays as initialised
    assert missing == {
        k
        for k in mg.state_dict() if k.startswith(('neck.', 'head.'))
    }


def test_dpt_to_gca_needs_gca_layout_for_the_decoder(dpt_state):
    """A MattingResNetEnc + MattingHead DPT (configs/dpt_r34_in1k.py) has
    no GCA decoder: encoder+decoder is refused, not approximated."""
    ckpt, _ = dpt_state
    with pytest.raises(ValueError, match='only part="encoder"'):
        convert_dpt(ckpt, 'gca', 'encoder+decoder')


@pytest.fixture(scope='module')
def gca_layout_dpt():
    """A DPT checkpoint of GCA's own network: the GCA mattor's keys with
    random values, plus the pre-training's own buffers."""
    state = dict(randomise(build(GCA_CFG)).state_dict())
    state['data_preprocessor.mean'] = torch.zeros(3, 1, 1)
    return {'state_dict': state, 'meta': {}}


@pytest.mark.parametrize('part', ['encoder', 'encoder+decoder'])
def test_dpt_gca_layout_is_identity_or_filter(gca_layout_dpt, part):
    src = gca_layout_dpt['state_dict']
    dropped = []
    state = convert_dpt(gca_layout_dpt, 'gca', part, dropped)
    kept = [k for k in src if not k.startswith('data_preprocessor.') and (
        part == 'encoder+decoder' or k.startswith('backbone.encoder.'))]
    assert list(state) == kept
    assert all(state[k] is src[k] for k in kept)  # no copy, no change
    assert {k for k, _ in dropped} == set(src) - set(kept)
    gca = build(GCA_CFG)
    missing = load_report(gca, state)
    if part == 'encoder+decoder':
        assert missing == set()
    else:
        assert missing and all(
            k.startswith('backbone.decoder.') for k in missing)


def test_dpt_to_gca_encoder_only(dpt_state):
    ckpt, _ = dpt_state
    state = convert_dpt(ckpt, 'gca', 'encoder')
    gca = build(GCA_CFG)
    missing = load_report(gca, state)
    assert not any(
        re.match(r'backbone\.encoder\.(conv[123]|layer[1-4])\.', k)
        for k in missing)
    assert any(k.startswith('backbone.encoder.shortcut.') for k in missing)


def official_resnet_d(model_enc):
    """Rename a ``ResNetEnc`` state dict to GCA-Matting's official names
    (written independently of the converter, from resnet_enc.py of
    GCA-Matting / MG Matting)."""
    out = {}
    for k, v in model_enc.state_dict().items():
        k = k.replace('layer4.', 'layer_bottleneck.')
        k = re.sub(r'^conv([123])\.bn\.', r'bn\1.', k)
        k = re.sub(r'\.conv([12])\.bn\.', r'.bn\1.', k)
        k = k.replace('interpolation.1.bn.', 'downsample.2.')
        k = k.replace('interpolation.1.conv.', 'downsample.1.conv.')
        k = k.replace('.conv.weight_orig', '.module.weight_bar')
        k = k.replace('.conv.weight_u', '.module.weight_u')
        k = k.replace('.conv.weight_v', '.module.weight_v')
        out['module.' + k] = v
    out['module.fc.weight'] = torch.randn(1000, 512)
    out['module.fc.bias'] = torch.randn(1000)
    return {'state_dict': out}


@pytest.mark.parametrize('model,fmt', [('mgmatting', 'official'),
                                       ('gca', 'official'),
                                       ('mgmatting', 'mmagic')])
def test_supervised_resnet34d(model, fmt):
    """GCA-Matting's ImageNet ResNet-34-D, with its official key names
    (verified against GCA-Matting / MG Matting's resnet_enc.py: same 256 keys
    and shapes) or mmagic's ``ResNetEnc`` names."""
    rgb = randomise(
        MODELS.build(
            dict(
                type='MattingResNetEnc', in_channels=3,
                layers=(3, 4, 4, 2)))).eval()
    if fmt == 'official':
        ckpt = official_resnet_d(rgb)
    else:
        ckpt = {'state_dict': dict(rgb.state_dict())}
        ckpt['state_dict']['module.fc.weight'] = torch.randn(1000, 512)
        ckpt['state_dict']['module.fc.bias'] = torch.randn(1000)
    dropped = []
    state = convert_supervised(ckpt, model, dropped)
    assert sorted(k for k, _ in dropped) == ['fc.bias', 'fc.weight']
    target = build(MG_CFG if model == 'mgmatting' else GCA_CFG).eval()
    missing = load_report(target, state)
    enc = target.backbone if model == 'mgmatting' else target.backbone.encoder
    prefix = 'backbone.' if model == 'mgmatting' else 'backbone.encoder.'
    assert not any(
        re.match(prefix.replace('.', r'\.') + r'(conv[123]|layer[1-4])\.', k)
        for k in missing)
    assert len(state) == len(ckpt['state_dict']) - 2
    # the 6-channel stem computes the RGB stem's function: trimap filters
    # are 0 and sigma is unchanged (zero-padded v)
    x = torch.randn(2, 6, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(enc.conv1(x), rgb.conv1(x[:, :3]))
        if model == 'mgmatting':
            torch.testing.assert_close(enc(x)[-1], rgb(x[:, :3])[-1])


def test_expand_in_channels_keeps_sigma():
    conv = torch.nn.utils.spectral_norm(torch.nn.Conv2d(3, 8, 3))
    conv.train()
    conv(torch.randn(1, 3, 8, 8))  # one power iteration
    state = {'c.' + k: v.clone() for k, v in conv.state_dict().items()}
    expand_in_channels(state, 'c.', spectral=True)
    assert state['c.weight_orig'].shape == (8, 6, 3, 3)
    assert state['c.weight_v'].shape == (54, )
    big = torch.nn.utils.spectral_norm(torch.nn.Conv2d(6, 8, 3)).eval()
    big.load_state_dict({k[2:]: v for k, v in state.items()})
    conv.eval()
    x = torch.randn(1, 6, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(big(x), conv(x[:, :3]))


@pytest.fixture(scope='module')
def tv_resnet50_state():
    import torchvision
    torch.manual_seed(0)
    return torchvision.models.resnet50(weights=None).state_dict()


@pytest.fixture(scope='module')
def gca_r50():
    return build(GCA50_CFG).eval()


@pytest.mark.parametrize('fmt', ['torchvision', 'mmpretrain', 'densecl'])
def test_supervised_resnet50(fmt, tv_resnet50_state, gca_r50):
    tv = tv_resnet50_state
    if fmt == 'torchvision':
        ckpt, extra = tv, ['fc.bias', 'fc.weight']
    elif fmt == 'mmpretrain':
        ckpt = {
            'state_dict': {('head.' if k.startswith('fc') else 'backbone.') +
                           k: v
                           for k, v in tv.items()}
        }
        extra = ['head.fc.bias', 'head.fc.weight']
    else:  # MoCo-style DenseCL training checkpoint
        sd = {}
        for k, v in tv.items():
            if not k.startswith('fc'):
                sd['module.encoder_q.' + k] = v
                sd['module.encoder_k.' + k] = v
        sd['module.queue'] = torch.randn(128, 16)
        ckpt, extra = {'state_dict': sd}, None
    dropped = []
    state = convert_supervised(ckpt, 'gca_r50', dropped)
    dropped = [k for k, _ in dropped]
    if extra is not None:
        assert sorted(dropped) == extra
    else:
        assert 'queue' in dropped
        assert all('encoder_k' in k or k == 'queue' for k in dropped)
        assert len(dropped) == len(tv) - 2 + 1
    gca = gca_r50
    missing = load_report(gca, state)
    assert not any(k.startswith('backbone.encoder.resnet.') for k in missing)
    r = gca.backbone.encoder.resnet
    x = torch.randn(1, 6, 32, 32)
    w = tv['conv1.weight']
    with torch.no_grad():
        torch.testing.assert_close(
            r.conv1(x), F.conv2d(x[:, :3], w, stride=2, padding=3))


def test_gca_r50_forward_shape(gca_r50):
    gca = gca_r50
    x = torch.randn(1, 6, 64, 64)
    x[:, 3:] = 0
    x[:, 4, 16:48, 16:48] = 1  # unknown
    x[:, 3][x[:, 4] == 0] = 1
    with torch.no_grad():
        alpha = gca.predict_alpha(x)
    assert alpha.shape == (1, 1, 64, 64)
    assert alpha.min() >= 0 and alpha.max() <= 1


def test_errors():
    import torchvision
    tv34 = torchvision.models.resnet34(weights=None).state_dict()
    with pytest.raises(ValueError, match='torchvision-layout'):
        convert_supervised(tv34, 'gca')
    with pytest.raises(ValueError, match='unknown part'):
        convert_dpt({'backbone.x': torch.zeros(1)}, 'gca', 'decoder')
    with pytest.raises(ValueError, match='unknown model'):
        convert_supervised(tv34, 'dim')
    with pytest.raises(ValueError, match='no "backbone." keys'):
        convert_dpt({'head.x': torch.zeros(1)}, 'mgmatting', 'encoder')
    with pytest.raises(ValueError, match='only part="encoder"'):
        convert_dpt({'backbone.conv1.weight': torch.zeros(64, 3, 7, 7)},
                    'gca_r50', 'encoder+decoder')


# ------------------------------------------------ DPT-R50 -> GCA-R50 (Table 8)
DPT50_CFG = osp.join(ROOT, 'configs', 'dpt_r50_in1k.py')
GCA50_DPT_CFG = osp.join(ROOT, 'configs', 'gca',
                         'gca_r50-dpt_4xb10-200k_comp1k.py')


@pytest.fixture(scope='module')
def dpt_r50():
    return build(DPT50_CFG)


def test_dpt_r50_config_recipe_and_widths(dpt_r50):
    """Same data / optimiser / schedule as Swin-T; a 6-channel ResNet-50
    with mmpretrain's key layout feeding a 6-level MattingHead."""
    from mmpretrain.models.backbones import ResNet
    cfg = Config.fromfile(DPT50_CFG)
    swin = Config.fromfile(osp.join(ROOT, 'configs', 'dpt_swin-t_in1k.py'))
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg',
                'train_dataloader', 'auto_scale_lr', 'data_preprocessor'):
        a = cfg.get(key, cfg.model.get(key))
        b = swin.get(key, swin.model.get(key))
        assert a == b, key
    assert cfg.model.type == 'Mattor'
    assert cfg.model.backbone.type == 'MattingResNet'
    bb = dpt_r50.backbone
    assert bb.conv1.weight.shape == (64, 6, 7, 7)
    assert bb.out_channels == (64, 256, 512, 1024, 2048)
    assert dpt_r50.head.in_channels == (6, ) + bb.out_channels
    ref = ResNet(depth=50, in_channels=6, out_indices=(0, 1, 2, 3))
    assert list(bb.state_dict()) == list(ref.state_dict())
    assert [k for k in bb.state_dict() if 'stem' in k] == []


def test_dpt_r50_forward_backward(dpt_r50):
    model = copy.deepcopy(dpt_r50).train()
    inputs, samples = pretext_batch()
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_alpha', 'loss_comp', 'loss_lap'}
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    for name, p in model.backbone.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
    # the trimap channels of the stem and the deepest stage get gradient
    assert model.backbone.conv1.weight.grad[:, 3:].abs().sum() > 0
    assert model.backbone.layer4[-1].conv3.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        alpha = model.predict_alpha(inputs)
    assert alpha.shape == (2, 1, 64, 64)
    assert alpha.min() >= 0 and alpha.max() <= 1


def _dpt_r50_trained_state(dpt_r50):
    """The DPT-R50 with non-trivial BN statistics / affine parameters (a
    few train-mode forwards, then random affines), kept finite through the
    50 layers (unlike :func:`randomise`)."""
    dpt = copy.deepcopy(dpt_r50).train()
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for _ in range(2):
            dpt.backbone(torch.randn(2, 6, 64, 64, generator=g))
        for m in dpt.backbone.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
    return dpt.eval()


def test_dpt_r50_to_gca_r50_encoder(dpt_r50):
    """convert_dpt(..., 'encoder', 'gca_r50') maps every DPT-R50 backbone
    tensor onto the GCA-R50 ResNet, which then computes the same stages."""
    dpt = _dpt_r50_trained_state(dpt_r50)
    sd = dpt.state_dict()
    dropped = []
    state = convert_dpt({'state_dict': sd, 'meta': {}}, 'gca_r50', 'encoder',
                        dropped)
    assert sorted(k for k, _ in dropped) == sorted(
        k for k in sd if k.startswith('head.'))
    gca = build(GCA50_DPT_CFG).eval()
    resnet_keys = {
        k
        for k in gca.state_dict() if k.startswith('backbone.encoder.resnet.')
    }
    assert set(state) == resnet_keys
    assert len(state) == sum(1 for k in sd if k.startswith('backbone.'))
    missing = load_report(gca, state)
    assert not missing & resnet_keys
    r = gca.backbone.encoder.resnet
    bb = dpt.backbone
    # a few tensors: the 6-channel stem (trimap filters kept, not zeroed),
    # a projection shortcut and deep BN statistics
    assert bb.conv1.weight[:, 3:].abs().sum() > 0
    assert torch.equal(r.conv1.weight, bb.conv1.weight)
    assert torch.equal(r.layer3[0].downsample[0].weight,
                       bb.layer3[0].downsample[0].weight)
    assert torch.equal(r.layer4[2].bn3.running_var,
                       bb.layer4[2].bn3.running_var)
    assert torch.equal(r.bn1.bias, bb.bn1.bias)
    x = torch.randn(1, 6, 64, 64)
    with torch.no_grad():
        ref = bb(x)
        torch.testing.assert_close(r.relu(r.norm1(r.conv1(x))), ref[0])
        for a, b in zip(r(x), ref[1:]):
            torch.testing.assert_close(a, b)
        assert torch.isfinite(gca.predict_alpha(x)).all()


# ------------------------------------------------ converter CLIs: user errors
def _converter_cli(script):
    return load_tool(f'tools/model_converters/{script}', script[:-3] + '_cli')


def _error_line(capsys):
    err = capsys.readouterr().err
    assert err.startswith('error: ') and err.count('\n') == 1, err
    assert 'Traceback' not in err
    return err.strip()


def test_dpt2finetune_cli_user_errors(dpt_state, tmp_path, capsys):
    """Unreadable input, a checkpoint of another model, an unsupported part
    and an unwritable output: one 'error:' line, exit 2, nothing written."""
    cli = _converter_cli('dpt2finetune.py')
    dst = tmp_path / 'out' / 'init.pth'
    missing = tmp_path / 'missing.pth'
    assert cli.main([str(missing), str(dst), '--model', 'gca']) == 2
    assert str(missing) in _error_line(capsys)

    text = tmp_path / 'notes.pth'
    text.write_text('not a checkpoint\n')
    assert cli.main([str(text), str(dst), '--model', 'gca']) == 2
    assert _error_line(capsys) == (
        f'error: {text}: not a readable PyTorch '
        'checkpoint (neither a zip archive nor a pickle stream, as '
        'torch.save writes)')

    # a ResNet DPT checkpoint converted for MatteFormer (Swin)
    resnet_dpt = tmp_path / 'dpt_r34.pth'
    torch.save(
        dict(state_dict={'backbone.conv1.weight': torch.zeros(8, 6, 3, 3)}),
        resnet_dpt)
    assert cli.main([str(resnet_dpt), str(dst), '--model', 'matteformer'
                     ]) == 2
    line = _error_line(capsys)
    prefix = (f'error: {resnet_dpt}: cannot convert it for --model '
              'matteformer --part encoder: ')
    assert line.startswith(prefix), line
    assert not line[len(prefix):].startswith("'")  # a KeyError, unquoted

    # GCA-R50 has no matching decoder
    assert cli.main([
        str(resnet_dpt),
        str(dst), '--model', 'gca_r50', '--part', 'encoder+decoder'
    ]) == 2
    assert 'only part="encoder"' in _error_line(capsys)
    assert not dst.parent.exists()

    # the output path is a folder: reported, the folder is left alone
    good = tmp_path / 'dpt_good.pth'
    torch.save(dpt_state[0], good)
    taken = tmp_path / 'taken'
    (taken / 'inside').mkdir(parents=True)
    assert cli.main([str(good), str(taken), '--model', 'gca']) == 2
    assert _error_line(capsys).startswith(
        f'error: {taken}: cannot write the output (')
    assert os.listdir(taken) == ['inside']


def test_supervised2finetune_cli_user_errors_and_help(tmp_path, capsys):
    import torchvision
    cli = _converter_cli('supervised2finetune.py')
    dst = tmp_path / 'init.pth'
    src = tmp_path / 'tv_r34.pth'
    torch.save(torchvision.models.resnet34(weights=None).state_dict(), src)
    # a torchvision ResNet-34 lacks the ResNet-34-D stem that GCA expects
    assert cli.main([str(src), str(dst), '--model', 'gca']) == 2
    line = _error_line(capsys)
    assert line.startswith(
        f'error: {src}: cannot convert it for --model gca: '), line
    assert not dst.exists()
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    assert cli.main([str(empty), str(dst), '--model', 'matteformer']) == 2
    assert 'the file is empty' in _error_line(capsys)
    # the description is the docstring's whole first sentence
    with pytest.raises(SystemExit):
        cli.parse_args(['--help'])
    help_text = ' '.join(capsys.readouterr().out.split())
    assert ('Convert a supervised ImageNet checkpoint into a 6-channel '
            'fine-tuning initialisation ("Supervised" rows).') in help_text
