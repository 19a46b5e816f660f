# Copyright (c) dpt-mm contributors. All rights reserved.
"""ViTMatte where users infer: ``tools/infer.py`` with a Hugging Face folder,
``tools/test.py`` with the authors' ``.pth``, ``--tile``, the ONNX export and
the page's model list, each with the tiny ViTMatte config and weights
written by the test (transformers' model, seeded)."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from tool_scripts import load_tool
from vitmatte_helpers import TINY_CONFIG, hf_vitmatte_tiny, official_layout

init_default_scope('mmagic')
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIG = osp.join(ROOT, TINY_CONFIG)


def _tool(name: str):
    return load_tool(f'tools/{name}.py', f'_vitmatte_{osp.basename(name)}')


def _scene(h: int, w: int):
    rng = np.random.default_rng(0)
    img = cv2.resize(
        rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8), (w, h))
    tri = np.zeros((h, w), np.uint8)
    cv2.ellipse(tri, (w // 2, h // 2), (w // 3, h // 3), 0, 0, 360, 128, -1)
    cv2.ellipse(tri, (w // 2, h // 2), (w // 4, h // 4), 0, 0, 360, 255, -1)
    return img, tri


@pytest.fixture(scope='module')
def weights(tmp_path_factory):
    """The tiny ViTMatte in both released layouts."""
    root = tmp_path_factory.mktemp('vitmatte_tools')
    model = hf_vitmatte_tiny()
    hf = root / 'hf'
    model.save_pretrained(hf)
    pth = root / 'official.pth'
    torch.save({'model': official_layout(model.state_dict())}, pth)
    return dict(hf=str(hf), official=str(pth))


def test_infer_cli_takes_the_hugging_face_folder(weights, tmp_path, capsys):
    img, tri = _scene(120, 176)
    cv2.imwrite(str(tmp_path / 'photo.png'), img)
    cv2.imwrite(str(tmp_path / 'photo_trimap.png'), tri)
    out = tmp_path / 'out'
    code = _tool('infer').main([
        CONFIG, weights['hf'], '--img',
        str(tmp_path / 'photo.png'), '--trimap',
        str(tmp_path / 'photo_trimap.png'), '--out',
        str(out), '--device', 'cpu'
    ])
    assert code == 0
    err = capsys.readouterr().err
    assert 'Hugging Face ViTMatte layout' in err and 'on the fly' in err
    alpha = cv2.imread(str(out / 'alpha' / 'photo.png'), 0)
    assert alpha.shape == tri.shape
    assert np.all(alpha[tri == 255] == 255) and np.all(alpha[tri == 0] == 0)
    assert len(np.unique(alpha[tri == 128])) > 10  # a matte, not a constant


def test_test_cli_takes_the_official_pth(weights, tmp_path, capsys,
                                         monkeypatch):
    import sys
    sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters'))
    import make_demo_data
    make_demo_data.make_demo_data(
        str(tmp_path / 'data' / 'demo'), seed=0, num_in1k=1, num_train=1,
        num_test=1, num_bg=2, size=96)
    monkeypatch.chdir(tmp_path)
    code = _tool('test').main(
        [CONFIG, weights['official'], '--work-dir',
         str(tmp_path / 'work')])
    assert code == 0
    captured = capsys.readouterr()
    assert 'official ViTMatte layout' in captured.err
    assert 'test metrics: SAD' in captured.out


def test_tile_equals_whole_where_one_tile_covers(weights):
    """``--tile`` with a ViTMatte config: tiles over the unknown band agree
    with the whole-image alpha there (mean |diff| <= 0.02 and 99th
    percentile <= 0.1, as for MatteFormer), exactly with one tile."""
    from dpt_mm.apis import DPTMattingInferencer
    inferencer = DPTMattingInferencer(CONFIG, weights['hf'], device='cpu')
    img, tri = _scene(192, 256)
    whole = inferencer(img=img, trimap=tri)[0]['pred_alpha'] / 255.
    tiled = inferencer(img=img, trimap=tri, tile=128,
                       tile_overlap=32)[0]['pred_alpha'] / 255.
    diff = np.abs(tiled - whole)[tri == 128]
    assert diff.mean() <= 0.02 and np.quantile(diff, 0.99) <= 0.1
    one = inferencer(img=img, trimap=tri, tile=1024)[0]['pred_alpha']
    assert np.array_equal(one, whole * 255)


@pytest.mark.slow
def test_pytorch2onnx_with_the_hugging_face_folder(weights, tmp_path,
                                                   capsys):
    """The exported graph (1x4xHxW input, dynamic H / W) agrees with PyTorch
    within 1e-5 at the traced size and a second one."""
    out = tmp_path / 'vitmatte.onnx'
    code = _tool('deployment/pytorch2onnx').main([
        CONFIG, weights['hf'],
        str(out), '--shape', '128', '160', '--verify', '--tolerance', '1e-5'
    ])
    assert code == 0
    printed = capsys.readouterr().out
    assert '1x4xHxW' in printed
    assert printed.count('onnxruntime vs PyTorch') >= 2


def test_page_serves_the_official_pth(weights):
    """The page's model list takes the ViTMatte config with the authors'
    file as downloaded, and mattes an upload with it."""
    from dpt_mm.apis.webapp import MattingService, build_choices
    service = MattingService(
        build_choices([(CONFIG, weights['official'])], random_init=False),
        'cpu')
    (choice, ) = service.choices.values()
    assert choice.name.startswith('vitmatte_vit-tiny_demo | ')
    assert choice.name.endswith('/official.pth')
    img, tri = _scene(96, 128)
    photo = ('photo.png', cv2.imencode('.png', img)[1].tobytes())
    trimap = ('trimap.png', cv2.imencode('.png', tri)[1].tobytes())
    out = service.matte('m0', photo, trimap, None, 10, 'blur')
    assert {'alpha', 'fg', 'cutout', 'trimap'} <= set(out)
