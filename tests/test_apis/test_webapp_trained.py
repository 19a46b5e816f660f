"""The page's matte (``MattingService.matte``, what ``POST /api/matte``
returns) against ``DPTMattingInferencer`` on the same files, with the demo
MatteFormer (configs/demo/matteformer-tiny_demo.py) trained a few
iterations on demo data (``trained_mattors``): in the trimap's unknown band
its matte holds 0, 255 and fractional values, where random weights give a
matte near 0.5 everywhere."""
import base64
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

import dpt_mm  # noqa: F401  (registers dpt_mm and mmagic modules)
from dpt_mm.apis import DPTMattingInferencer
from dpt_mm.apis.webapp import MattingService, build_choices
from trained_mattors import cached_state, demo_scene

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIG = osp.join(ROOT, 'configs', 'demo', 'matteformer-tiny_demo.py')


@pytest.fixture(scope='module')
def trained_ckpt(tmp_path_factory):
    """Checkpoint of the demo MatteFormer trained on demo composites."""
    init_default_scope('mmagic')
    root = tmp_path_factory.mktemp('page_trained')

    def build():
        torch.manual_seed(0)
        return DPTMattingInferencer.build_strict(Config.fromfile(CONFIG),
                                                 None)

    model = cached_state('demo_matteformer', build)
    ckpt = str(root / 'trained.pth')
    save_checkpoint(dict(meta=dict(), state_dict=model.state_dict()), ckpt)
    return ckpt


def decode(b64: str) -> np.ndarray:
    img = cv2.imdecode(
        np.frombuffer(base64.b64decode(b64), np.uint8), cv2.IMREAD_UNCHANGED)
    assert img is not None
    return img


@pytest.mark.slow
def test_page_matte_equals_inferencer_with_trained_weights(
        trained_ckpt, tmp_path):
    image, trimap, _ = demo_scene(150, 200, seed=11)  # pads to 256x288
    photo = str(tmp_path / 'photo.png')
    trimap_path = str(tmp_path / 'photo_trimap.png')
    cv2.imwrite(photo, image[..., ::-1])
    cv2.imwrite(trimap_path, trimap)
    service = MattingService(build_choices([(CONFIG, trained_ckpt)]), 'cpu')
    key = next(iter(service.choices))
    with open(photo, 'rb') as f, open(trimap_path, 'rb') as g:
        out = service.matte(
            key, ('photo.png', f.read()),
            trimap=('photo_trimap.png', g.read()),
            fg_method='blur')
    page = decode(out['alpha'])
    results, _ = DPTMattingInferencer(CONFIG, trained_ckpt, 'cpu')(
        img=photo, trimap=trimap_path, fg_method='blur')
    np.testing.assert_array_equal(page, results['pred_alpha'])
    np.testing.assert_array_equal(decode(out['cutout'])[..., 3], page)
    # a matte that is not trivial in the unknown band: saturated (the
    # official truncation to uint8 makes 255 of alpha == 1 only) and
    # fractional values
    band = page[trimap == 128]
    assert band.size > 1000
    shares = [(band == 0).mean(), (band >= 250).mean(),
              ((band > 12) & (band < 243)).mean()]  # measured .40 .033 .41
    assert shares[0] > 0.1 and shares[1] > 0.01 and shares[2] > 0.1, shares
