"""ONNX export (dpt_mm.apis.onnx_export, tools/deployment/pytorch2onnx.py):
onnxruntime's alpha against PyTorch's at three input sizes of the demo's
scale, for tiny MatteFormer, MG Matting and GCA mattors with two kinds of
weights: seeded random ones whose logit convolutions are scaled so that the
alphas are not saturated, and weights trained a few iterations on demo data
(``trained_mattors``), whose alphas saturate to 0 / 1 in places, so that the
progressive refinement's masks are neither empty nor full.

The tests that export a whole mattor are marked slow."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

import dpt_mm  # noqa: F401
from dpt_mm.apis.onnx_export import (MattingExportWrapper, compare_onnx,
                                     example_inputs, export_onnx,
                                     make_exportable)
from dpt_mm.models.utils.prm import (PRM_WIDTHS, progressive_refinement,
                                     resize_nearest,
                                     uncertain_region)
from dpt_mm.registry import MODELS
from tool_scripts import load_tool
from trained_mattors import cached_state, demo_inputs, raw_outputs, saturation

init_default_scope('mmagic')
CALIBRATION_SIZE = (64, 96)
#: the traced size first; 384x352 is non-square and, with 448x384, a size
#: whose nearest resizing to / from PRM's 640x640 work size ONNX's Resize
#: rounds differently from PyTorch
SIZES = [(320, 320), (384, 352), (448, 384)]
TOLERANCE = 1e-4
NAMES = ['matteformer', 'mgmatting', 'gca']


def model_cfg(name: str) -> dict:
    if name == 'matteformer':
        from test_released_checkpoints import tiny_model_cfg
        return tiny_model_cfg()
    if name == 'mgmatting':
        from test_mgmatting import tiny_mg_cfg
        return tiny_mg_cfg()
    from test_infer import tiny_gca_cfg
    return tiny_gca_cfg()['model']


def calibrated(name: str) -> torch.nn.Module:
    """Seeded random mattor whose 1-channel (logit) convs give unit-std
    logits on an example input, so that alphas are mostly in (0, 1)."""
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(name)).eval()
    x = example_inputs(*CALIBRATION_SIZE)
    convs = [
        m for m in model.modules()
        if isinstance(m, torch.nn.Conv2d) and m.out_channels == 1
    ]
    assert convs
    logits = {}
    hooks = [
        c.register_forward_hook(
            lambda m, i, o, k=k: logits.__setitem__(k, o))
        for k, c in enumerate(convs)
    ]
    with torch.no_grad():
        model.predict_alpha(x)
        for k, conv in enumerate(convs):
            std = logits[k].std().clamp(min=1e-6)
            mean = logits[k].mean()
            conv.weight.div_(std)
            if conv.bias is not None:
                conv.bias.sub_(mean).div_(std)
    for h in hooks:
        h.remove()
    with torch.no_grad():
        alpha = MattingExportWrapper(model)(x)
    assert ((alpha > 0.01) & (alpha < 0.99)).float().mean() > 0.3
    return model


def build(name: str) -> torch.nn.Module:
    """The tiny mattor ``name`` with seeded random weights."""
    torch.manual_seed(0)
    return MODELS.build(model_cfg(name))


@pytest.fixture(scope='module')
def trained():
    """``name -> mattor`` trained on demo composites (cached under tmp)."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = cached_state(name, lambda: build(name))
        return cache[name]

    return get


def test_resize_nearest_is_interpolate():
    """PRM's nearest resizing gives F.interpolate's values at every size,
    among them those where ONNX Resize's rounding differs (640 -> 384)."""
    x = torch.rand(1, 2, 640, 17)
    for out in [1, 31, 96, 320, 352, 384, 416, 448, 639, 640, 672, 1000]:
        assert torch.equal(
            resize_nearest(x, (out, 5)),
            F.interpolate(x, size=(out, 5), mode='nearest')), out
        y = F.interpolate(x, size=(out, 17), mode='nearest')
        assert torch.equal(
            resize_nearest(y, (640, 17)),
            F.interpolate(y, size=(640, 17), mode='nearest')), out


class _Region(torch.nn.Module):

    def forward(self, alpha):
        return uncertain_region(alpha, [15])


def test_uncertain_region_exports_exactly(tmp_path):
    """The PRM mask at 640x640 work size, exported once, agrees with
    PyTorch pixel for pixel at sizes whose scale to 640 is not exact in
    float32 (with ONNX Resize, 51 rows differ at 384 px)."""
    import onnxruntime as ort
    from torch.export import Dim
    path = str(tmp_path / 'region.onnx')
    dims = {2: 32 * Dim('h32', min=1, max=64), 3: 32 * Dim('w32', max=64)}
    torch.onnx.export(
        _Region(), (torch.rand(1, 1, 320, 320), ),
        dynamo=True,
        dynamic_shapes={'alpha': dims},
        opset_version=18).save(path)
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    for h, w in [(320, 320), (384, 352), (448, 384), (416, 672)]:
        # a saturated disc with a soft rim: a mask that is neither empty
        # nor full
        yy, xx = torch.meshgrid(
            torch.arange(h), torch.arange(w), indexing='ij')
        r = ((yy - h / 2)**2 + (xx - w / 2)**2).sqrt()
        alpha = (1 - (r - h / 4) / 4).clamp(0, 1)[None, None].float()
        ref = _Region()(alpha)
        assert 0.02 < float(ref.mean()) < 0.5
        got = sess.run(None, {'alpha': alpha.numpy()})[0]
        assert np.array_equal(got, ref.numpy()), (h, w)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_trained_mattes_saturate(name, trained):
    """The trained weights give what random weights do not: mattes at 0 / 1
    in places and fractional elsewhere, and PRM masks that select some of
    the finer output, not all of it."""
    model = trained(name)
    x = demo_inputs(*SIZES[1], seed=7)
    with torch.no_grad():
        alpha = MattingExportWrapper(model)(x)
        outputs = raw_outputs(model, x)
    sat, soft = saturation(alpha)
    assert sat > 0.3 and soft > 0.01, (sat, soft)
    if name != 'gca':
        *_, w4, w1 = progressive_refinement(
            outputs, model.test_cfg.get('refine_widths', PRM_WIDTHS),
            work_size=model._work_size(model.test_cfg))
        for mask in (w4, w1):
            assert 0.02 < float(mask.mean()) < 0.98, float(mask.mean())


def _check_three_sizes(model, path):
    export_onnx(model, path, SIZES[0])
    diffs = compare_onnx(path, model, SIZES, demo_inputs)
    diffs.update({(h, w, 'noise'): d for (h, w), d in compare_onnx(
        path, model, SIZES[1:]).items()})
    assert max(diffs.values()) <= TOLERANCE, diffs


@pytest.mark.slow
@pytest.mark.parametrize('name', ['mgmatting', 'gca'])
def test_onnxruntime_matches_pytorch_trained(name, trained, tmp_path):
    """(The trained MatteFormer: the command-line test below.)"""
    import onnxruntime  # noqa: F401  (requirements/deploy.txt)
    _check_three_sizes(trained(name), str(tmp_path / f'{name}.onnx'))


def test_gca_replacements_are_equivalent():
    """The GCA methods swapped for export give the same values."""
    model = MODELS.build(model_cfg('gca')).eval()
    x = example_inputs(*CALIBRATION_SIZE)
    with torch.no_grad():
        ref = model.predict_alpha(x)
        gca = [m for m in model.modules()
               if type(m).__name__ == 'GCAModule'][0]
        feat = torch.randn(1, 8, 6, 10)
        unknown = (torch.rand(1, 1, 12, 20) > 0.7).float()
        want_mask = type(gca).get_self_correlation_mask(gca, feat)
        want_unk = type(gca).process_unknown_mask(gca, unknown, feat, 1.)
        make_exportable(model)
        assert torch.equal(gca.get_self_correlation_mask(feat), want_mask)
        got_unk = gca.process_unknown_mask(unknown, feat, 1.)
        assert torch.equal(got_unk[0], want_unk[0])
        assert torch.allclose(got_unk[1], want_unk[1])
        assert torch.equal(model.predict_alpha(x), ref)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_onnxruntime_matches_pytorch_calibrated(name, tmp_path):
    import onnxruntime  # noqa: F401  (requirements/deploy.txt)
    _check_three_sizes(calibrated(name), str(tmp_path / f'{name}.onnx'))


def _load_cli():
    return load_tool('tools/deployment/pytorch2onnx.py', 'pytorch2onnx')


def _matteformer_files(tmp_path, model=None):
    model = model if model is not None else calibrated('matteformer')
    cfg = Config(dict(default_scope='mmagic', model=model_cfg('matteformer')))
    cfg_path = str(tmp_path / 'tiny_matteformer.py')
    cfg.dump(cfg_path)
    ckpt = str(tmp_path / 'tiny.pth')
    save_checkpoint(dict(state_dict=model.state_dict()), ckpt)
    return model, cfg_path, ckpt


def test_cli_bad_input(tmp_path, capsys):
    cli = _load_cli()
    _, cfg_path, ckpt = _matteformer_files(tmp_path)
    bad = tmp_path / 'bad.pth'
    bad.write_text('no checkpoint')
    out = tmp_path / 'm.onnx'
    assert cli.main([cfg_path, str(bad), str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith('error: ') and 'bad.pth' in err
    assert cli.main([cfg_path, ckpt, str(tmp_path / 'no' / 'm.onnx')]) == 2
    assert 'cannot write' in capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(SystemExit):
        cli.main([cfg_path, ckpt, str(out), '--shape', '60', '96'])


@pytest.mark.slow
def test_cli_exports_trained_matteformer_with_dynamic_size(
        tmp_path, capsys, trained):
    """The trained MatteFormer exported at 384x352 (non-square; its PRM
    resizing to / from 640x640 is one that ONNX Resize rounds differently)
    with ``--verify`` (three sizes, noise inputs), then checked on demo
    scenes at 320x320, 384x384 and 448x384."""
    import onnxruntime  # noqa: F401  (requirements/deploy.txt)
    cli = _load_cli()
    model, cfg_path, ckpt = _matteformer_files(tmp_path,
                                               trained('matteformer'))
    out = tmp_path / 'matteformer.onnx'
    assert cli.main(
        [cfg_path, ckpt, str(out), '--shape', '384', '352', '--verify']) == 0
    printed = capsys.readouterr().out
    assert printed.count('max |alpha diff|') == 3
    assert '448x384' in printed
    diffs = compare_onnx(str(out), model, [(320, 320), (384, 384),
                                           (448, 384)], demo_inputs)
    assert max(diffs.values()) <= TOLERANCE, diffs
    assert sorted(p.name for p in tmp_path.iterdir()
                  if p.name.startswith('matteformer')) in (
                      ['matteformer.onnx'],
                      ['matteformer.onnx', 'matteformer.onnx.data'])
