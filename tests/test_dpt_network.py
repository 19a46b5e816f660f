"""DPT pre-trains the network that is fine-tuned (issue: the authors' DPT
generator for the Swin-T rows is MatteFormer's), and the pre-trained network
is itself a mattor at test time (zero-shot matting)."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmagic.structures import DataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope

import dpt_mm  # noqa: F401
from dpt_mm.models.converters import convert_dpt
from dpt_mm.registry import MODELS

init_default_scope('mmagic')
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

PAIRS = [
    ('configs/demo/dpt_swin-demo_demo.py',
     'configs/demo/matteformer-tiny_demo.py'),
    ('configs/dpt_swin-t_in1k.py',
     'configs/matteformer/matteformer_swin-t-dpt-encdec_4xb10-200k_comp1k.py'),
]


def _build(rel: str, seed: int):
    cfg = Config.fromfile(osp.join(ROOT, rel))
    cfg.model.pop('init_cfg', None)
    torch.manual_seed(seed)
    return MODELS.build(cfg.model)


@pytest.mark.parametrize('pre_cfg,ft_cfg', PAIRS)
def test_pretraining_network_is_the_finetuning_network(pre_cfg, ft_cfg):
    """Same backbone class, every parameter of the same name and shape; the
    converted encoder+decoder checkpoint loads with strict=True and leaves
    no parameter at its random initialisation."""
    pre = _build(pre_cfg, seed=0)
    ft = _build(ft_cfg, seed=1)
    with torch.no_grad():  # stands in for training: every value moves
        for value in pre.state_dict().values():
            if value.is_floating_point():
                value.add_(torch.rand_like(value) + 0.5)
    assert type(pre.backbone) is type(ft.backbone)
    assert type(pre.backbone).__name__ == 'MatteFormerEncoder'
    assert type(pre.head) is type(ft.head)
    pre_sd, ft_sd = pre.state_dict(), ft.state_dict()
    pre_net = {
        k: v.shape
        for k, v in pre_sd.items() if not k.startswith('data_preprocessor')
    }
    ft_net = {
        k: v.shape
        for k, v in ft_sd.items() if not k.startswith('data_preprocessor')
    }
    assert pre_net == ft_net
    # the prior-token rows of the relative-position tables are part of it
    tables = [k for k in pre_net if k.endswith('relative_position_bias_table')]
    assert tables and all(
        int(round(pre_net[k][0]**0.5))**2 != pre_net[k][0] for k in tables)

    dropped = []
    sd = convert_dpt(pre_sd, 'matteformer', 'encoder+decoder', dropped)
    assert set(sd) == {k for k in ft_sd if not k.startswith('data_')}
    assert {k for k, _ in dropped} <= {
        k for k in pre_sd if k.startswith('data_preprocessor')
    }
    fresh = {k: v.clone() for k, v in ft.state_dict().items()}
    ft.load_state_dict(sd, strict=False)
    missing, unexpected = ft.load_state_dict(
        dict(sd, **{
            k: v
            for k, v in ft.state_dict().items()
            if k.startswith('data_preprocessor')
        }),
        strict=True)
    assert not missing and not unexpected
    for key, value in ft.state_dict().items():
        if key.startswith('data_preprocessor'):
            continue
        assert torch.equal(value, pre_sd[key]), key
        if value.is_floating_point():  # nothing left at its initial value
            assert not torch.isclose(value, fresh[key]).any(), key


def test_encoder_part_keeps_backbone_only():
    pre = _build(PAIRS[0][0], seed=0)
    dropped = []
    sd = convert_dpt(pre.state_dict(), 'matteformer', 'encoder', dropped)
    assert sd and all(k.startswith('backbone.') for k in sd)
    assert any(k.startswith('head.') for k, _ in dropped)


def _test_sample(h=45, w=70, seed=0):
    """A test-pipeline-like stacked sample (ori_trimap, ori_merged_shape)."""
    g = torch.Generator().manual_seed(seed)
    trimap = torch.randint(0, 3, (h // 5 + 1, w // 5 + 1), generator=g)
    trimap = trimap.repeat_interleave(5, 0).repeat_interleave(5, 1)[:h, :w]
    ori = (trimap * 127.5).round().to(torch.uint8)  # 0 / 128 / 255
    onehot = torch.stack([trimap == 0, trimap == 1, trimap == 2]).float()
    img = torch.randn(3, h, w, generator=g)
    ds = DataSample(ori_trimap=ori[None].numpy(), ori_merged_shape=(h, w))
    return torch.cat([img, onehot])[None], DataSample.stack([ds]), trimap


def test_dpt_predict_is_a_mattor_on_test_samples():
    """On test-pipeline samples DPT pads to 32, restores the size and sets
    the known regions (BaseMattor); the unknown region equals the raw
    refined alpha of the padded input."""
    model = _build(PAIRS[0][0], seed=0).eval()
    inputs, ds, trimap = _test_sample()
    with torch.no_grad():
        out = model(inputs, ds, mode='predict')
    assert len(out) == 1
    pred = out[0].output.pred_alpha
    assert pred.dtype == torch.uint8 and pred.shape == (45, 70)
    assert torch.all(pred[trimap == 2] == 255)
    assert torch.all(pred[trimap == 0] == 0)
    padded = model.resize_inputs(inputs)
    assert padded.shape[-2:] == (64, 96)
    with torch.no_grad():
        raw = model(padded, mode='tensor')[0, 0, :45, :70]
    expect = (raw.clamp(0, 1) * 255).round().to(torch.uint8)
    unknown = trimap == 1
    assert torch.equal(pred[unknown], expect[unknown])
    # a pretext batch (no original trimap) keeps the raw float output
    raw_out = model(padded, None, mode='predict')
    assert raw_out[0].pred_alpha.dtype == torch.float32


def test_pretraining_config_has_a_zero_shot_test_split():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/dpt_swin-t_in1k.py'))
    assert cfg.test_dataloader.dataset.type == 'AdobeComp1kDataset'
    assert cfg.test_dataloader.dataset.ann_file == 'test_list.json'
    assert cfg.test_evaluator[0]['type'] == 'DIMMattingMetrics'
    assert cfg.train_dataloader.dataset.type == 'UnlabeledImageDataset'
    demo = Config.fromfile(osp.join(ROOT, PAIRS[0][0]))
    assert demo.test_dataloader.dataset.data_root.endswith('comp1k_heldout')
    np.testing.assert_equal(demo.model.backbone.drop_path_rate, 0.1)


def test_infer_and_test_tools_take_a_dpt_config(tmp_path):
    """tools/infer.py mattes a photo with a DPT pre-training config and
    checkpoint (zero-shot); the known regions are those of the trimap."""
    import importlib.util

    import cv2
    spec = importlib.util.spec_from_file_location(
        'dpt_infer_tool_zs', osp.join(ROOT, 'tools', 'infer.py'))
    infer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(infer)
    model = _build(PAIRS[0][0], seed=0)
    ckpt = str(tmp_path / 'dpt.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)
    trimap = np.full((50, 70), 128, np.uint8)
    trimap[:, :20] = 0
    trimap[:, 50:] = 255
    cv2.imwrite(str(tmp_path / 'img.png'), img)
    cv2.imwrite(str(tmp_path / 'tri.png'), trimap)
    code = infer.main([
        osp.join(ROOT, PAIRS[0][0]), ckpt, '--img',
        str(tmp_path / 'img.png'), '--trimap',
        str(tmp_path / 'tri.png'), '--out',
        str(tmp_path / 'out')
    ])
    assert code in (0, None)
    alpha = cv2.imread(str(tmp_path / 'out' / 'alpha' / 'img.png'), 0)
    assert alpha.shape == (50, 70)
    assert (alpha[:, :20] == 0).all() and (alpha[:, 50:] == 255).all()
