"""Converters of the Table 3 / 7 / 8 initialisations: SimMIM and MoBY Swin-T
(official and mmpretrain layouts), DenseCL ResNet-50 (published, official
training and mmpretrain layouts) and the 3-channel (no-trimap) DPT network,
all on seeded random state dicts with the published key layouts."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import dpt_mm  # noqa: F401
from dpt_mm.models.converters import (convert_dpt, convert_pretrained,
                                      widen_to_trimap_input)
from dpt_mm.models.converters.matteformer import unfold_to_slice_order
from dpt_mm.registry import MODELS
from tool_scripts import load_tool

init_default_scope('mmagic')
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
TINY = dict(embed_dims=8, depths=(2, 2, 2, 2), num_heads=(1, 2, 2, 4))
HEAD = dict(shortcut_channels=(8, 8, 8, 16, 16, 32), refine_channels=8)
PREPROCESSOR = dict(
    type='MattorPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    proc_trimap='as_is')


def tiny_matteformer():
    return MODELS.build(
        dict(
            type='Mattor',
            data_preprocessor=PREPROCESSOR,
            backbone=dict(type='MatteFormerEncoder', arch=TINY),
            head=dict(
                type='MattingHead', in_channels=(6, 8, 8, 16, 32, 64),
                **HEAD)))


def mmpretrain_swin(seed):
    """A seeded random mmpretrain Swin state dict (keys without prefix)."""
    from mmpretrain.models import SwinTransformer
    torch.manual_seed(seed)
    model = SwinTransformer(arch=TINY, out_indices=(3, ))
    with torch.no_grad():  # no two tensors alike (LayerNorms start at 1/0)
        for p in model.parameters():
            p.normal_()
    return model.state_dict()


def official_swin_names(mm_sd):
    """mmpretrain Swin keys -> the official Swin release's (the layout of
    SimMIM's and MoBY's encoders): ``patch_embed.proj``, ``layers.i``,
    ``attn.qkv``, ``mlp.fc1``, slicing-order patch merging, ``norm``."""
    out = {}
    for k, v in mm_sd.items():
        k2 = (k.replace('patch_embed.projection', 'patch_embed.proj')
              .replace('stages.', 'layers.').replace('attn.w_msa.', 'attn.')
              .replace('ffn.layers.0.0.', 'mlp.fc1.')
              .replace('ffn.layers.1.', 'mlp.fc2.'))
        if '.downsample.' in k2:
            v = unfold_to_slice_order(v)
        out[k2.replace('norm3.', 'norm.')] = v
    return out


def same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.fixture(scope='module')
def swin():
    mm = mmpretrain_swin(0)
    supervised = convert_pretrained({'state_dict': mm}, 'matteformer')
    return mm, official_swin_names(mm), supervised


def test_simmim_official_and_mmpretrain_layouts(swin):
    mm, official, supervised = swin
    c = mm['patch_embed.projection.weight'].shape[0]
    ckpt = {
        'model': {
            **{'encoder.' + k: v
               for k, v in official.items()}, 'encoder.mask_token':
            torch.randn(1, 1, c),
            'decoder.0.weight': torch.randn(32 * 32 * 3, 64, 1, 1),
            'decoder.0.bias': torch.randn(32 * 32 * 3)
        }
    }
    dropped = []
    conv = convert_pretrained(ckpt, 'matteformer', 'simmim', dropped)
    same(conv, supervised)  # the encoder, converted as supervised weights
    reasons = dict(dropped)
    assert reasons['encoder.mask_token'] == 'SimMIM mask token'
    assert reasons['decoder.0.weight'] == 'SimMIM pixel decoder'
    mm_ckpt = {
        'state_dict': {
            **{'backbone.' + k: v
               for k, v in mm.items()}, 'backbone.mask_token':
            torch.randn(1, 1, c),
            'neck.decoder.0.weight': torch.randn(3072, 64, 1, 1),
            'neck.decoder.0.bias': torch.randn(3072)
        }
    }
    same(convert_pretrained(mm_ckpt, 'matteformer', 'simmim'), supervised)
    result = tiny_matteformer().load_state_dict(conv, strict=False)
    assert not result.unexpected_keys
    assert all(
        k.startswith(('backbone.norm', 'head.')) for k in result.missing_keys)


def test_moby_keeps_the_online_encoder(swin):
    mm, official, supervised = swin
    momentum = official_swin_names(mmpretrain_swin(1))
    sd = {'encoder.' + k: v for k, v in official.items()}
    sd.update({'encoder_k.' + k: v for k, v in momentum.items()})
    for name in ('projector', 'projector_k'):
        sd[f'{name}.linear_hidden.1.weight'] = torch.randn(16, 64)
        sd[f'{name}.linear_out.weight'] = torch.randn(4, 16)
    sd['predictor.linear_out.weight'] = torch.randn(4, 16)
    sd.update(queue1=torch.randn(4, 8), queue2=torch.randn(4, 8),
              queue_ptr=torch.zeros(1, dtype=torch.long))
    dropped = []
    conv = convert_pretrained({'model': sd}, 'matteformer', 'moby', dropped)
    same(conv, supervised)
    reasons = dict(dropped)
    assert reasons['queue1'] == 'MoBY queue'
    assert sum(r == 'MoBY momentum encoder' for r in reasons.values()) == len(
        momentum)
    assert reasons['predictor.linear_out.weight'] == \
        'MoBY projector / predictor'


@pytest.fixture(scope='module')
def resnet50():
    import torchvision
    torch.manual_seed(0)
    tv = torchvision.models.resnet50(weights=None).state_dict()
    return {k: v for k, v in tv.items() if not k.startswith('fc.')}


def test_densecl_layouts(resnet50):
    """The published backbone, the official training checkpoint (backbone
    stored twice, key encoder and neck beside it) and mmpretrain's give the
    same GCA-R50 initialisation: the supervised conversion of the query
    backbone."""
    tv = resnet50
    other = {k: v + 1 for k, v in tv.items()}  # the momentum encoder
    queues = dict(queue=torch.randn(4, 8), queue_ptr=torch.zeros(1),
                  queue2=torch.randn(4, 8), queue2_ptr=torch.zeros(1))
    neck = {'mlp.0.weight': torch.randn(8, 2048),
            'mlp2.0.weight': torch.randn(8, 2048, 1, 1)}
    published = {'state_dict': dict(tv), 'author': 'DenseCL'}
    official = {'state_dict': {
        **{'encoder_q.0.' + k: v for k, v in tv.items()},
        **{'encoder_q.1.' + k: v for k, v in neck.items()},
        **{'encoder_k.0.' + k: v for k, v in other.items()},
        **{'encoder_k.1.' + k: v for k, v in neck.items()},
        **{'backbone.' + k: v for k, v in tv.items()}, **queues}}
    mmpre = {'state_dict': {
        **{'backbone.' + k: v for k, v in tv.items()},
        **{'neck.' + k: v for k, v in neck.items()},
        **{'encoder_k.module.0.' + k: v for k, v in other.items()},
        'encoder_k.steps': torch.zeros(1), **queues}}
    expected = convert_pretrained(dict(tv), 'gca_r50')
    w = expected['backbone.encoder.resnet.conv1.weight']
    assert w.shape[1] == 6 and torch.equal(w[:, :3], tv['conv1.weight'])
    for ckpt in (published, official, mmpre):
        dropped = []
        same(convert_pretrained(ckpt, 'gca_r50', 'densecl', dropped),
             expected)
        keys = {d[0] if isinstance(d, tuple) else d for d in dropped}
        assert 'queue2' in keys or ckpt is published
        assert not any(k.startswith('backbone.') for k in keys)


def test_source_model_mismatch_and_unknown_keys(swin, resnet50):
    mm, official, _ = swin
    with pytest.raises(ValueError, match='fit --model matteformer, not gca'):
        convert_pretrained({'encoder.' + k: v
                            for k, v in official.items()}, 'gca', 'simmim')
    with pytest.raises(ValueError, match='fit --model gca_r50, not matte'):
        convert_pretrained(dict(resnet50), 'matteformer', 'densecl')
    with pytest.raises(KeyError, match='unrecognised MoBY key'):
        convert_pretrained({'encoder.x': torch.zeros(1), 'other.y':
                            torch.zeros(1)}, 'matteformer', 'moby')
    with pytest.raises(KeyError, match='not a SimMIM checkpoint'):
        convert_pretrained(dict(resnet50), 'matteformer', 'simmim')


def _cli(name):
    return load_tool(f'tools/model_converters/{name}', name[:-3])


def test_cli_source_option(swin, tmp_path, capsys):
    mm, official, supervised = swin
    src = tmp_path / 'moby.pth'
    torch.save({'model': {'encoder.' + k: v
                          for k, v in official.items()}}, src)
    dst = tmp_path / 'out.pth'
    cli = _cli('supervised2finetune.py')
    assert cli.main([str(src), str(dst), '--model', 'matteformer',
                     '--source', 'moby']) == 0
    saved = torch.load(dst, weights_only=True)
    same(saved['state_dict'], supervised)
    assert saved['meta']['weights'] == 'moby'
    # a SimMIM source for a ResNet target: one error line, nothing written
    dst2 = tmp_path / 'bad.pth'
    assert cli.main([str(src), str(dst2), '--model', 'gca',
                     '--source', 'simmim']) == 2
    err = [x for x in capsys.readouterr().err.splitlines()
           if x.startswith('error: ')]
    assert err and err[0].startswith(
        f'error: {src}: cannot convert it for --model gca --source simmim')
    assert not dst2.exists()


def test_no_trimap_dpt_loads_into_the_6_channel_matteformer():
    """Table 7: the 3-channel network of the no-trimap pre-training config
    converts (encoder + decoder) into a strict MatteFormer initialisation;
    the patch embedding keeps its RGB filters and gets Xavier-normal trimap
    filters, the decoder's input shortcut computes on the image exactly what
    it computed before, whatever the trimap (zero trimap filters, same
    spectral norm)."""
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'dpt_ablations',
                 'dpt_swin-t_no-trimap_in1k.py'))
    assert cfg.model.backbone.in_channels == 3 and not cfg.model.with_trimap
    cfg.model.backbone.arch = TINY
    cfg.model.head.update(in_channels=(3, 8, 8, 16, 32, 64), **HEAD)
    torch.manual_seed(0)
    dpt = MODELS.build(cfg.model).eval()
    sd = dpt.state_dict()
    conv = convert_dpt({'state_dict': sd}, 'matteformer', 'encoder+decoder')
    model = tiny_matteformer().eval()
    model.load_state_dict(conv, strict=True)
    w = conv['backbone.patch_embed.projection.weight']
    assert w.shape[1] == 6
    assert torch.equal(w[:, :3], sd['backbone.patch_embed.projection.weight'])
    fan_in, fan_out = 6 * 16, 8 * 16
    assert w[:, 3:].std().item() == pytest.approx(
        (2 / (fan_in + fan_out))**0.5, rel=0.35)
    rgb = torch.randn(2, 3, 16, 16)
    trimap = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        before = dpt.head.shortcut[0](rgb)
        after = model.head.shortcut[0](torch.cat([rgb, trimap], 1))
    torch.testing.assert_close(after, before)
    # a 6-channel state dict is left as it is
    assert widen_to_trimap_input(conv) is conv
