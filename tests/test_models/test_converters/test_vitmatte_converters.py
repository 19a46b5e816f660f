# Copyright (c) dpt-mm contributors. All rights reserved.
"""ViTMatte weights: the authors' ``.pth`` (detectron2 names), the Hugging
Face folder (``config.json`` + ``model.safetensors`` / ``pytorch_model.bin``)
and ImageNet ViTs (DINO, MAE; official and mmpretrain names), each written
by the test from seeded weights."""
import pytest
import torch
from mmengine.registry import init_default_scope
from vitmatte_helpers import Network, hf_vitmatte, official_layout

from dpt_mm.models.converters import convert, convert_pretrained
from dpt_mm.models.converters.released import (convert_released,
                                               detect_layout)
from dpt_mm.utils.io import CheckpointNotFoundError, read_checkpoint

init_default_scope('mmagic')
DEPTH = 3


@pytest.fixture(scope='module')
def reference():
    """transformers' 3-block ViTMatte-S, its alpha on a seeded input."""
    model = hf_vitmatte('small', DEPTH)
    x = torch.randn(1, 4, 96, 128, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        alpha = model(x).alphas
    return model, x, alpha


def _check(state: dict, reference) -> None:
    """The converted weights load strictly and give transformers' alpha."""
    _, x, alpha = reference
    net = Network('small', DEPTH).eval()
    net.load_state_dict(state, strict=True)
    with torch.no_grad():
        assert (net(x) - alpha).abs().max().item() <= 1e-6


def test_official_pth(reference, tmp_path):
    """hustvl's release: detectron2 checkpoint (``model`` entry)."""
    path = tmp_path / 'ViTMatte_S_Com.pth'
    torch.save({'model': official_layout(reference[0].state_dict()),
                'iteration': 134687}, path)
    ckpt = read_checkpoint(str(path))
    assert detect_layout(ckpt) == 'vitmatte-official'
    state, layout = convert_released(ckpt)
    assert layout == 'vitmatte-official'
    _check(state, reference)


@pytest.mark.parametrize('safe', [True, False],
                         ids=['safetensors', 'pytorch_model.bin'])
def test_hugging_face_folder(reference, tmp_path, safe):
    """``save_pretrained`` output: the folder, or its weight file."""
    reference[0].save_pretrained(tmp_path, safe_serialization=safe)
    name = 'model.safetensors' if safe else 'pytorch_model.bin'
    assert (tmp_path / 'config.json').is_file()
    for path in (tmp_path, tmp_path / name):
        ckpt = read_checkpoint(str(path))
        assert detect_layout(ckpt) == 'vitmatte-hf'
        _check(convert_released(ckpt)[0], reference)


def test_hf_hub_id_offline_names_the_id(tmp_path, monkeypatch):
    """An ``hf://`` id that cannot be downloaded is a not-found error that
    names it (no traceback from huggingface_hub)."""
    from huggingface_hub import constants
    monkeypatch.setattr(constants, 'HF_HUB_OFFLINE', True)
    monkeypatch.setattr(constants, 'HF_HUB_CACHE', str(tmp_path))
    with pytest.raises(CheckpointNotFoundError,
                       match='hf://hustvl/vitmatte-small-composition-1k: '
                       'cannot download it'):
        read_checkpoint('hf://hustvl/vitmatte-small-composition-1k')
    with pytest.raises(CheckpointNotFoundError, match='folder without'):
        read_checkpoint(str(tmp_path))


def _imagenet_vit(depth: int, dims: int, mmpretrain: bool) -> dict:
    """A seeded ImageNet ViT/16 at 224 (class token, 197 positions, final
    norm) in the official (timm) or mmpretrain names."""
    g = torch.Generator().manual_seed(3)

    def t(*shape):
        return torch.randn(*shape, generator=g)

    if not mmpretrain:
        sd = {'cls_token': t(1, 1, dims), 'pos_embed': t(1, 197, dims),
              'patch_embed.proj.weight': t(dims, 3, 16, 16),
              'patch_embed.proj.bias': t(dims),
              'norm.weight': t(dims), 'norm.bias': t(dims)}
        names = dict(n1='norm1', n2='norm2', fc1='mlp.fc1', fc2='mlp.fc2')
        block = 'blocks'
    else:
        sd = {'backbone.cls_token': t(1, 1, dims),
              'backbone.pos_embed': t(1, 197, dims),
              'backbone.patch_embed.projection.weight': t(dims, 3, 16, 16),
              'backbone.patch_embed.projection.bias': t(dims),
              'backbone.ln1.weight': t(dims), 'backbone.ln1.bias': t(dims),
              'neck.decoder_embed.weight': t(8, dims)}
        names = dict(n1='ln1', n2='ln2', fc1='ffn.layers.0.0',
                     fc2='ffn.layers.1')
        block = 'backbone.layers'
    for i in range(depth):
        p = f'{block}.{i}.'
        for n in ('n1', 'n2'):
            sd[p + names[n] + '.weight'] = t(dims)
            sd[p + names[n] + '.bias'] = t(dims)
        sd[p + 'attn.qkv.weight'] = t(3 * dims, dims)
        sd[p + 'attn.qkv.bias'] = t(3 * dims)
        sd[p + 'attn.proj.weight'] = t(dims, dims)
        sd[p + 'attn.proj.bias'] = t(dims)
        sd[p + names['fc1'] + '.weight'] = t(4 * dims, dims)
        sd[p + names['fc1'] + '.bias'] = t(4 * dims)
        sd[p + names['fc2'] + '.weight'] = t(dims, 4 * dims)
        sd[p + names['fc2'] + '.bias'] = t(dims)
    return sd


@pytest.mark.parametrize('source', ['dino', 'mae'])
@pytest.mark.parametrize('mmpretrain', [False, True],
                         ids=['official', 'mmpretrain'])
def test_imagenet_vit_to_four_channels(source, mmpretrain):
    """Every ViT tensor lands in the backbone, the trimap filters are zero
    (the authors' ``pretrained/preprocess.py``), the class token / final
    norm / neck are dropped with reasons; what ImageNet ViTs lack (relative
    positions, residual blocks, decoder) is exactly what stays missing."""
    sd = _imagenet_vit(DEPTH, 384, mmpretrain)
    dropped = []
    out = convert_pretrained(
        {'model': sd} if source == 'mae' else sd, 'vitmatte', source,
        dropped)
    net = Network('small', DEPTH)
    missing, unexpected = net.load_state_dict(out, strict=False)
    assert not unexpected
    assert {k.split('.')[-1] for k in missing if k.startswith('backbone.')} \
        == {'rel_pos_h', 'rel_pos_w', 'weight', 'bias'}
    assert all('rel_pos' in k or '.residual.' in k for k in missing
               if k.startswith('backbone.'))
    assert all(k.startswith(('backbone.', 'head.')) for k in missing)
    pre = 'backbone.' if mmpretrain else ''
    proj = sd[pre + ('patch_embed.projection.weight'
                     if mmpretrain else 'patch_embed.proj.weight')]
    w = net.backbone.embeddings.projection.weight
    assert torch.equal(w[:, :3], proj) and not w[:, 3].any()
    assert torch.equal(net.backbone.embeddings.position_embeddings,
                       sd[pre + 'pos_embed'])
    layer = net.backbone.encoder.layer[1]
    fc2 = sd[(pre + 'layers.1.ffn.layers.1.weight') if mmpretrain
             else 'blocks.1.mlp.fc2.weight']
    assert torch.equal(layer.mlp.fc2.weight, fc2)
    reasons = dict(dropped)
    assert 'class token' in reasons[pre + 'cls_token']
    assert len(dropped) == (4 if mmpretrain else 3)


def test_wrong_layout_refused():
    """A Swin checkpoint or a ViT without a stem through the DINO converter,
    or a foreign key in a Hugging Face file, name the problem."""
    with pytest.raises(KeyError, match='unknown ViT block key layers.0.blo'):
        convert({'layers.0.blocks.0.attn.qkv.weight': torch.zeros(3, 1)},
                'vitmatte', 'dino')
    with pytest.raises(KeyError, match='no patch embedding'):
        convert({'blocks.0.norm1.weight': torch.zeros(3)}, 'vitmatte', 'mae')
    with pytest.raises(KeyError, match='unexpected key'):
        convert({'backbone.embeddings.projection.weight': torch.zeros(1),
                 'criterion.x': torch.zeros(1)}, 'vitmatte', 'hf')
