"""DPT pre-trains ViTMatte's whole network (issue 23): each pre-training
config's checkpoint is the initialisation of the ViTMatte fine-tuning
configs, loads with strict=True and leaves nothing at its initial value; a
pretext step trains it with the trimap as one 0 / 0.5 / 1 channel."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import dpt_mm  # noqa: F401
from dpt_mm.models.converters import convert_dpt
from dpt_mm.registry import MODELS

init_default_scope('mmagic')
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))

# (pre-training config, fine-tuning config of its encoder + decoder row)
# (the ViT-B pairs build two 97 M-parameter models: about 6 s each)
PAIRS = [
    pytest.param('configs/demo/dpt_vitmatte-tiny_demo.py',
                 'configs/vitmatte/vitmatte_vit-tiny_demo.py',
                 id='tiny-demo'),
    pytest.param(
        'configs/dpt_vitmatte-s_in1k.py',
        'configs/vitmatte/vitmatte_vit-s-dpt-encdec_2xb16-100e_comp1k.py',
        id='s'),
    pytest.param(
        'configs/dpt_vitmatte-s-dino_in1k.py',
        'configs/vitmatte/vitmatte_vit-s-dino-dpt-encdec_2xb16-100e_comp1k.py',
        id='s-dino'),
    pytest.param(
        'configs/dpt_vitmatte-b_in1k.py',
        'configs/vitmatte/vitmatte_vit-b-dpt-encdec_2xb10-100e_comp1k.py',
        id='b'),
    pytest.param(
        'configs/dpt_vitmatte-b-mae_in1k.py',
        'configs/vitmatte/vitmatte_vit-b-mae-dpt-encdec_2xb10-100e_comp1k.py',
        id='b-mae'),
]


def _cfg(rel: str) -> Config:
    return Config.fromfile(osp.join(ROOT, rel))


def _build(rel: str, seed: int):
    torch.manual_seed(seed)
    return MODELS.build(_cfg(rel).model)


def _net(state: dict) -> dict:
    return {
        k: v
        for k, v in state.items() if not k.startswith('data_preprocessor')
    }


@pytest.mark.parametrize('pre_cfg,ft_cfg', PAIRS)
def test_pretraining_checkpoint_initialises_vitmatte(pre_cfg, ft_cfg,
                                                     tmp_path):
    """The DPT network is the fine-tuning network (same classes, names,
    shapes); its converted encoder + decoder checkpoint loads into the
    fine-tuning config with strict=True and every value is the pre-trained
    one, none left at the fine-tuning model's random initialisation; the
    encoder part carries exactly the ViT."""
    pre = _build(pre_cfg, seed=0)
    ft = _build(ft_cfg, seed=1)
    pre.init_weights()
    ft.init_weights()
    with torch.no_grad():  # stands in for training: every value moves
        for value in pre.state_dict().values():
            if value.is_floating_point():
                value.add_(torch.rand_like(value) + 0.5)
    assert type(pre.backbone) is type(ft.backbone)
    assert type(pre.backbone).__name__ == 'ViTMatteViT'
    assert type(pre.head) is type(ft.head)
    assert type(pre.data_preprocessor) is type(ft.data_preprocessor)
    pre_sd, ft_sd = pre.state_dict(), ft.state_dict()
    assert {k: v.shape for k, v in _net(pre_sd).items()} == {
        k: v.shape for k, v in _net(ft_sd).items()
    }
    # the checkpoint as the runner saves it, converted as dpt2finetune does
    ckpt = tmp_path / 'iter_1.pth'
    torch.save({'state_dict': pre_sd, 'meta': {}}, ckpt)
    dropped = []
    sd = convert_dpt(torch.load(ckpt, map_location='cpu'), 'vitmatte',
                     'encoder+decoder', dropped)
    assert set(sd) == set(_net(ft_sd))
    assert {k for k, _ in dropped} == set(pre_sd) - set(_net(pre_sd))
    fresh = {k: v.clone() for k, v in ft_sd.items()}
    missing, unexpected = ft.load_state_dict(
        dict(sd, **{
            k: v
            for k, v in ft_sd.items() if k.startswith('data_preprocessor')
        }),
        strict=True)
    assert not missing and not unexpected
    for key, value in _net(ft.state_dict()).items():
        assert torch.equal(value, pre_sd[key]), key
        if value.is_floating_point():  # nothing left at its initial value
            assert not torch.isclose(value, fresh[key]).any(), key
    enc = convert_dpt({'state_dict': pre_sd}, 'vitmatte', 'encoder', [])
    assert set(enc) == {k for k in _net(pre_sd) if k.startswith('backbone.')}


def test_convert_dpt_rejects_another_network():
    """A DPT checkpoint of another network is refused, naming the problem."""
    swin = _build('configs/demo/dpt_swin-demo_demo.py', seed=0)
    with pytest.raises(ValueError, match='not a DPT ViTMatte checkpoint'):
        convert_dpt({'state_dict': swin.state_dict()}, 'vitmatte', 'encoder')


def test_pretext_step_trains_the_whole_vitmatte(tmp_path):
    """A DPT step on real pretext samples of the demo config's pipeline
    (grid trimap, random alpha, composite; 64 px crops of demo photos): the
    network input is RGB + a 0 / 0.5 / 1 trimap channel, the loss has DPT's
    three terms on the single alpha output, and two optimizer steps move
    every backbone and decoder parameter."""
    import sys

    from mmengine.dataset import pseudo_collate

    from dpt_mm.registry import DATASETS
    sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters'))
    import make_demo_data
    make_demo_data.make_demo_data(
        str(tmp_path / 'demo'), seed=0, num_in1k=4, num_train=1, num_test=1,
        num_bg=2, size=96)
    cfg = _cfg('configs/demo/dpt_vitmatte-tiny_demo.py')
    pipeline = [
        dict(t, crop_size=(64, 64)) if 'crop_size' in t else
        dict(t, min_size=64) if 'min_size' in t else t
        for t in cfg.train_pipeline
    ]
    dataset = DATASETS.build(
        dict(cfg.train_dataloader.dataset, data_root=str(tmp_path / 'demo' /
                                                         'in1k'),
             pipeline=pipeline))
    data = pseudo_collate([dataset[0], dataset[1]])
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    seen = {}

    def keep_input(module, args):
        seen['inputs'] = args[0]

    model.backbone.register_forward_pre_hook(keep_input)
    optim = torch.optim.SGD(model.parameters(), lr=0.1)
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    # two steps: the residual conv blocks start as the identity (last norm
    # at zero), so their inner weights get a gradient from the second on
    for _ in range(2):
        processed = model.data_preprocessor(data, training=True)
        losses = model(**processed, mode='loss')
        assert set(losses) == {'loss_alpha', 'loss_comp', 'loss_lap'}
        assert all(torch.isfinite(v) and v > 0 for v in losses.values())
        optim.zero_grad()
        sum(losses.values()).backward()
        optim.step()
    inputs = seen['inputs']
    assert inputs.shape == (2, 4, 64, 64)
    assert set(inputs[:, 3].unique().tolist()) == {0.0, 0.5, 1.0}
    unchanged = [
        k for k, v in model.named_parameters()
        if torch.equal(v.detach(), before[k])
    ]
    assert not unchanged, unchanged
