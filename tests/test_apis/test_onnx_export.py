"""ONNX export (dpt_mm.apis.onnx_export, tools/deployment/pytorch2onnx.py):
onnxruntime's alpha against PyTorch's at two input sizes, for tiny
MatteFormer, MG Matting and GCA mattors with seeded random weights whose
logit convolutions are scaled so that the alphas are not saturated.

The exports take about a minute each on two CPU cores (marked slow)."""
import importlib.util
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

import dpt_mm  # noqa: F401
from dpt_mm.apis.onnx_export import (MattingExportWrapper, compare_onnx,
                                     example_inputs, export_onnx,
                                     make_exportable)
from dpt_mm.registry import MODELS

init_default_scope('mmagic')
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
SIZES = [(64, 96), (96, 160)]  # traced size, and another one
TOLERANCE = 1e-3


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
    x = example_inputs(*SIZES[0])
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


def test_gca_replacements_are_equivalent():
    """The GCA methods swapped for export give the same values."""
    model = MODELS.build(model_cfg('gca')).eval()
    x = example_inputs(64, 96)
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
@pytest.mark.parametrize('name', ['mgmatting', 'gca'])
def test_onnxruntime_matches_pytorch(name, tmp_path):
    import onnxruntime  # noqa: F401  (requirements/deploy.txt)
    model = calibrated(name)
    path = str(tmp_path / f'{name}.onnx')
    export_onnx(model, path, SIZES[0])
    diffs = compare_onnx(path, model, SIZES)
    assert max(diffs.values()) <= TOLERANCE, diffs


def _load_cli():
    spec = importlib.util.spec_from_file_location(
        'pytorch2onnx', osp.join(ROOT, 'tools', 'deployment',
                                 'pytorch2onnx.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _matteformer_files(tmp_path):
    model = calibrated('matteformer')
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
def test_cli_exports_matteformer_with_dynamic_size(tmp_path, capsys):
    import onnxruntime  # noqa: F401  (requirements/deploy.txt)
    cli = _load_cli()
    model, cfg_path, ckpt = _matteformer_files(tmp_path)
    out = tmp_path / 'matteformer.onnx'
    assert cli.main([
        cfg_path, ckpt,
        str(out), '--shape',
        str(SIZES[0][0]),
        str(SIZES[0][1]), '--verify'
    ]) == 0
    printed = capsys.readouterr().out
    assert printed.count('max |alpha diff|') == 2
    diffs = compare_onnx(str(out), model, [SIZES[1], (128, 64)])
    assert max(diffs.values()) <= TOLERANCE, diffs
    assert sorted(p.name for p in tmp_path.iterdir()
                  if p.name.startswith('matteformer')) in (
                      ['matteformer.onnx'],
                      ['matteformer.onnx', 'matteformer.onnx.data'])
    assert np.isfinite(list(diffs.values())).all()
