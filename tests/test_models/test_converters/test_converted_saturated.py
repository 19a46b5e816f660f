"""An official MG Matting checkpoint whose mattes saturate, converted and
run by dpt-mm, against the official network and the official progressive
refinement arithmetic.

The forward checks of ``test_released_checkpoints.py`` use seeded random
weights, whose outputs stay inside (0, 1): the refinement then keeps the
finest output everywhere and is not exercised. Here the official weights'
logit convolutions are scaled so that the outputs saturate to 0 / 1 in
places, as a trained model's do, on a demo-data composite."""
import cv2
import numpy as np
import torch

import dpt_mm  # noqa: F401
from dpt_mm.models.converters.checkpoint import load_strict
from dpt_mm.models.converters.released import convert_released
from test_released_checkpoints import (MG_CFG, _build, as_trainer_file,
                                       official_mg, official_mg_forward)
from trained_mattors import demo_scene, preprocess, saturation

#: std of the centred, scaled logits: about half of the pixels beyond
#: |2.76|, where (tanh + 1) / 2 leaves [1/255, 1 - 1/255]
LOGIT_STD = 4.


def official_fusion(outputs, widths=(30, 15)):
    """MG Matting's test-time refinement written from its description: a
    pixel is uncertain where ``1/255 <= alpha <= 1 - 1/255``, the uint8
    mask is dilated by ``cv2.dilate`` with the ``MORPH_ELLIPSE`` element of
    size ``width // 2``; OS4 replaces OS8 there, then OS1 the result."""

    def region(alpha, width):
        a = alpha[0, 0].numpy()
        mask = ((a >= 1. / 255) & (a <= 1. - 1. / 255)).astype(np.uint8)
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                      (width // 2, width // 2))
        return torch.from_numpy(cv2.dilate(mask, k) > 0)[None, None]

    fused = outputs['alpha_os8'].clone()
    w4 = region(fused, widths[0])
    fused[w4] = outputs['alpha_os4'][w4]
    w1 = region(fused, widths[1])
    fused[w1] = outputs['alpha_os1'][w1]
    return fused, w4, w1


def test_saturating_official_mgmatting_matches_official_refinement():
    official = official_mg()
    image, trimap, _ = demo_scene(128, 160, seed=5)
    x = preprocess(image, trimap)
    official_in = torch.cat([x[:, :3], x[:, 5:6]], 1)  # image + fg mask
    with torch.no_grad():
        raw = official_mg_forward(official, official_in)
    for k in (1, 4, 8):  # each logit conv to mean 0, std LOGIT_STD
        logit = torch.atanh((2 * raw[f'alpha_os{k}'] - 1).clamp(-1 + 1e-6,
                                                                1 - 1e-6))
        scale = LOGIT_STD / float(logit.std())
        official[f'decoder.refine_OS{k}.3.weight'] *= scale
        key = f'decoder.refine_OS{k}.3.bias'
        official[key] = (official[key] - logit.mean()) * scale
    state, _ = convert_released(as_trainer_file(official))
    model = _build(MG_CFG)
    load_strict(model, state, 'MGMatting-DIM-100k.pth')
    model.eval()
    with torch.no_grad():
        ref = official_mg_forward(official, official_in)
        ours = model._forward(x)
        fused = model.predict_alpha(x)
    for k in ref:
        torch.testing.assert_close(ours[k], ref[k], rtol=1e-4, atol=1e-5)
    want, w4, w1 = official_fusion(ours)
    torch.testing.assert_close(fused, want, rtol=0, atol=0)
    # not a trivial matte: saturated and fractional values, and masks that
    # take the finer output in some places only
    sat, soft = saturation(fused)
    assert sat > 0.2 and soft > 0.05, (sat, soft)
    for mask in (w4, w1):
        assert 0.05 < mask.float().mean() < 0.95, float(mask.float().mean())
    # against the official network's own outputs: the same matte except at
    # the few pixels whose uncertainty flips at the 1/255 thresholds
    ref_fused, _, _ = official_fusion(ref)
    assert ((fused - ref_fused).abs() > 1e-4).float().mean() < 1e-3
