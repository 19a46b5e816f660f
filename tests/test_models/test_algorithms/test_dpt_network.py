"""DPT pre-trains the network that is fine-tuned (issue: the authors' DPT
generator for the Swin-T rows is MatteFormer's; the R34 rows pre-train GCA's
and MG Matting's own networks), and the pre-trained network is itself a
mattor at test time (zero-shot matting)."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmagic.structures import DataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from pretext_helpers import pretext_batch
from tool_scripts import load_tool

import dpt_mm  # noqa: F401
from dpt_mm.models.converters import convert_dpt
from dpt_mm.registry import MODELS

init_default_scope('mmagic')
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))

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


# (pre-training config, fine-tuning config of the R34 row, backbone class)
R34_PAIRS = [
    ('configs/dpt_r34-gca_in1k.py',
     'configs/gca/gca_r34-dpt-encdec_4xb10-200k_comp1k.py',
     'SimpleEncoderDecoder'),
    ('configs/dpt_r34_in1k.py',
     'configs/mgmatting/mgmatting_r34-dpt-encdec_4xb10-200k_comp1k.py',
     'MattingResNetEnc'),
]
R34_IDS = ['gca', 'mgmatting']


def _net(state):
    return {
        k: v
        for k, v in state.items() if not k.startswith('data_preprocessor')
    }


@pytest.mark.parametrize('pre_cfg,ft_cfg,backbone', R34_PAIRS, ids=R34_IDS)
def test_r34_pretraining_network_is_the_finetuning_network(
        pre_cfg, ft_cfg, backbone, tmp_path):
    """GCA / MG Matting R34: same modules, every parameter and buffer of
    the same name and shape; the saved pre-training state dict is the
    row's ``load_from`` and loads with strict=True, leaving no value at
    its random initialisation; the two networks then give the same alpha."""
    pre = _build(pre_cfg, seed=0)
    ft = _build(ft_cfg, seed=1)
    for name in ('backbone', 'neck'):
        assert type(getattr(pre, name, None)) is type(getattr(ft, name, None))
    assert type(pre.backbone).__name__ == backbone
    if backbone == 'SimpleEncoderDecoder':  # GCA: the whole network
        for part in ('encoder', 'decoder'):
            assert type(getattr(pre.backbone, part)) is type(
                getattr(ft.backbone, part))
        assert not list(pre.head.parameters())  # activation + loss only
    else:  # MG Matting: encoder, ASPP, decoder with OS1 / OS4 / OS8
        assert type(pre.neck).__name__ == 'MGMattingASPP'
        assert type(pre.head) is type(ft.head)
    with torch.no_grad():  # stands in for training: every value moves
        for key, value in _net(pre.state_dict()).items():
            if value.is_floating_point():
                value.add_(torch.rand_like(value) + 0.5)
    pre_sd, fresh = pre.state_dict(), ft.state_dict()
    assert {k: v.shape for k, v in pre_sd.items()} == {
        k: v.shape for k, v in fresh.items()}
    fresh = {k: v.clone() for k, v in fresh.items()}

    # the row loads the pre-training checkpoint as it is
    stem = osp.splitext(osp.basename(pre_cfg))[0]
    load_from = Config.fromfile(osp.join(ROOT, ft_cfg)).load_from
    assert load_from == f'work_dirs/{stem}/epoch_100.pth'
    ckpt = str(tmp_path / 'epoch_100.pth')
    torch.save(dict(state_dict=pre_sd, meta=dict()), ckpt)
    load_checkpoint(ft, ckpt, map_location='cpu', strict=True)
    for key, value in ft.state_dict().items():
        assert torch.equal(value, pre_sd[key]), key
        if value.is_floating_point() and not key.startswith('data_'):
            assert not torch.isclose(value, fresh[key]).any(), key

    pre.eval(), ft.eval()
    x, _ = pretext_batch(n=1, h=64, w=64)
    with torch.no_grad():
        if backbone == 'SimpleEncoderDecoder':
            # GCA's (tanh + 1) / 2 of its one output
            torch.testing.assert_close(
                pre.predict_alpha(x), ft.predict_alpha(x), rtol=0, atol=0)
        else:
            ref = pre.head(pre.extract_feat(x))
            out = ft._forward(x)
            assert set(ref) == set(out) == {
                'alpha_os1', 'alpha_os4', 'alpha_os8'}
            for k in ref:
                torch.testing.assert_close(out[k], ref[k], rtol=0, atol=0)


@pytest.mark.parametrize('pre_cfg', [p[0] for p in R34_PAIRS], ids=R34_IDS)
def test_r34_dpt_training_step(pre_cfg):
    """One DPT step on a pretext batch: the DPT loss terms, finite, with
    finite gradients reaching the encoder and the decoder (and ASPP)."""
    model = _build(pre_cfg, seed=0).train()
    loss_cfg = model.head.loss_module
    assert type(loss_cfg).__name__ == 'MattingOutputsLoss'
    x, ds = pretext_batch(n=2, h=64, w=64)
    losses = model(x, ds, mode='loss')
    assert set(losses) == {'loss_alpha', 'loss_comp', 'loss_lap'}
    total = sum(losses.values())
    assert torch.isfinite(total) and total > 0
    total.backward()
    if type(model.backbone).__name__ == 'SimpleEncoderDecoder':
        parts = {'encoder': model.backbone.encoder,
                 'decoder': model.backbone.decoder}
    else:
        parts = {'encoder': model.backbone, 'aspp': model.neck,
                 'decoder': model.head}
    for name, module in parts.items():
        grads = [p.grad for p in module.parameters() if p.grad is not None]
        assert grads, name
        assert all(torch.isfinite(g).all() for g in grads), name
        assert sum(g.abs().sum() for g in grads) > 0, name


def test_r34_gca_head_checks_its_loss():
    from dpt_mm.models.heads import AlphaLossHead
    loss = dict(type='MattingOutputsLoss', output_weights=dict(alpha=1.0))
    head = AlphaLossHead(loss)
    raw = torch.tensor([[[[-30., 0., 30.]]]])
    torch.testing.assert_close(head(raw)['alpha'],
                               torch.tensor([[[[0., .5, 1.]]]]))
    with pytest.raises(ValueError, match='one output'):
        AlphaLossHead(dict(type='MattingOutputsLoss'))  # OS1 / OS4 / OS8
    with pytest.raises(ValueError, match='Nx1xHxW'):
        head([torch.zeros(1, 1, 4, 4)])


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
        raw = model.predict_alpha(padded)[0, 0, :45, :70]
    expect = (raw.clamp(0, 1) * 255).round().to(torch.uint8)
    unknown = trimap == 1
    assert torch.equal(pred[unknown], expect[unknown])
    # a pretext batch (no original trimap) keeps the raw float output
    raw_out = model(padded, None, mode='predict')
    assert raw_out[0].pred_alpha.dtype == torch.float32


@pytest.mark.parametrize('test_cfg', [
    dict(pad_border=0, alpha_rounding='round'),  # DPT's default
    dict(pad_border=32, alpha_rounding='floor'),  # MatteFormer's default
])
def test_dpt_predict_equals_the_mattor_predict(test_cfg):
    """The pre-trained DPT network and the MatteFormer mattor holding its
    weights predict the same uint8 alpha on the same test sample under the
    same test_cfg (one padding / refinement / rounding for both)."""
    pre_cfg, ft_cfg = PAIRS[0]
    dpt = _build(pre_cfg, seed=0)
    with torch.no_grad():  # non-trivial outputs in the unknown region
        for value in dpt.state_dict().values():
            if value.is_floating_point():
                value.add_(torch.randn_like(value) * 0.05)
    dpt.test_cfg.update(test_cfg)
    ft_model = Config.fromfile(osp.join(ROOT, ft_cfg)).model
    ft_model.pop('init_cfg', None)
    ft_model.test_cfg = dict(ft_model.get('test_cfg') or {}, **test_cfg)
    ft = MODELS.build(ft_model)
    ft.load_state_dict(dpt.state_dict(), strict=True)
    dpt.eval(), ft.eval()
    inputs, ds, trimap = _test_sample(h=45, w=70)
    with torch.no_grad():
        a = dpt(inputs, ds, mode='predict')[0].output.pred_alpha
        b = ft(inputs, ds, mode='predict')[0].output.pred_alpha
    unknown = trimap == 1
    assert a.shape == b.shape == (45, 70)
    assert a[unknown].float().std() > 0
    assert torch.equal(a, b)


def test_dpt_and_mattor_test_cfg_differ_where_documented():
    """Default test paths: DPT pads at the bottom / right and rounds (the
    DPT authors' inference.py), MatteFormer adds the 32 px border and
    truncates (webtoon/matteformer's)."""
    dpt = _build(PAIRS[0][0], seed=0)
    ft = _build(PAIRS[0][1], seed=0)
    assert (dpt.test_cfg.pad_border, dpt.test_cfg.alpha_rounding) == (0,
                                                                      'round')
    assert (ft.test_cfg.pad_border, ft.test_cfg.alpha_rounding) == (32,
                                                                    'floor')
    x = torch.zeros(1, 6, 45, 70)
    assert dpt.resize_inputs(x).shape[-2:] == (64, 96)
    assert ft.resize_inputs(x).shape[-2:] == (128, 160)
    with pytest.raises(ValueError, match='alpha_rounding'):
        MODELS.build(
            dict(
                Config.fromfile(osp.join(ROOT, PAIRS[0][0])).model,
                test_cfg=dict(alpha_rounding='ceil')))


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
    import cv2
    infer = load_tool('tools/infer.py', 'dpt_infer_tool_zs')
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
