# Copyright (c) dpt-mm contributors. All rights reserved.
"""Tiny mattors trained a few iterations on demo-data composites.

Random (or calibrated random) weights give mattes strictly inside (0, 1),
so the progressive refinement keeps the finest output everywhere and the
trimap's known regions change nothing: bugs there stay hidden. The models
here are trained on composites made by the demo data generator
(``tools/dataset_converters/make_demo_data.py``: its photos, procedural
mattes and trimap erosion) until their mattes saturate to 0 / 1 away from
the object's edge, as real models' do.

Used by the ONNX export, tiling, page and converter tests (``from
trained_mattors import ...``, see ``tests/conftest.py``); the trained weights
are cached in the system's temporary folder (:func:`cached_state`).
"""
import functools
import hashlib
import os
import os.path as osp
import sys
import tempfile
from typing import Callable, Dict, Tuple

import numpy as np
import torch
from torch import Tensor, nn

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
DEMO_TOOLS = osp.join(ROOT, 'tools', 'dataset_converters')
#: ImageNet mean / std (0-255 RGB) of the configs' data preprocessors
MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)
#: alpha values the official uint8 saving turns into 0 / 255
SATURATED = 1. / 255
#: where trained weights are kept between test sessions
CACHE_DIR = osp.join(tempfile.gettempdir(), 'dpt_mm_trained_mattors')


@functools.lru_cache(maxsize=1)
def _demo_module():
    if DEMO_TOOLS not in sys.path:
        sys.path.insert(0, DEMO_TOOLS)
    import make_demo_data
    return make_demo_data


@functools.lru_cache(maxsize=1)
def _photos() -> Dict[str, np.ndarray]:
    return _demo_module().load_photos()


def demo_scene(h: int, w: int, seed: int = 0
               ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One demo-data composite: a foreground photo with a procedural matte
    over a background photo, and its eroded trimap.

    Args:
        h (int): Height.
        w (int): Width.
        seed (int): Random seed.

    Returns:
        tuple: ``image`` (HxWx3 uint8 RGB), ``trimap`` (HxW uint8: 0, 128,
        255) and ``alpha`` (HxW float32 in [0, 1]).
    """
    demo = _demo_module()
    from comp1k import erosion_trimap
    rng = np.random.default_rng(seed)
    photos = _photos()
    fg_name = demo.FG_SOURCES[seed % len(demo.FG_SOURCES)]
    bg_name = demo.BG_SOURCES[seed % len(demo.BG_SOURCES)]
    fg = demo.random_crop(rng, photos[fg_name], (h, w)).astype(np.float32)
    bg = demo.random_crop(rng, photos[bg_name], (h, w)).astype(np.float32)
    alpha8 = demo.make_alpha(rng, (h, w))
    alpha = alpha8.astype(np.float32) / 255
    merged = alpha[..., None] * fg + (1 - alpha[..., None]) * bg
    image = np.clip(np.round(merged), 0, 255).astype(np.uint8)[..., ::-1]
    trimap = erosion_trimap(alpha8, 7, 7)
    return np.ascontiguousarray(image), trimap, alpha


def preprocess(image: np.ndarray, trimap: np.ndarray) -> Tensor:
    """``(1, 6, H, W)`` network input of an RGB image and a 0 / 128 / 255
    trimap, as ``MattorPreprocessor`` makes it (``proc_trimap='as_is'``
    with a one-hot trimap)."""
    norm = (image.astype(np.float32) - MEAN) / STD
    onehot = np.eye(3, dtype=np.float32)[np.asarray(trimap) // 127]
    x = np.concatenate([norm, onehot], -1).transpose(2, 0, 1)[None]
    return torch.from_numpy(np.ascontiguousarray(x))


def demo_inputs(h: int, w: int, seed: int = 0) -> Tensor:
    """:func:`preprocess` of :func:`demo_scene`."""
    image, trimap, _ = demo_scene(h, w, seed)
    return preprocess(image, trimap)


def demo_batch(num: int, size: int, seed: int = 0) -> Tuple[Tensor, Tensor]:
    """``num`` composites of ``size x size``: inputs ``(N, 6, s, s)`` and
    ground-truth alphas ``(N, 1, s, s)``."""
    xs, alphas = [], []
    for k in range(num):
        image, trimap, alpha = demo_scene(size, size, seed + k)
        xs.append(preprocess(image, trimap))
        alphas.append(torch.from_numpy(alpha)[None, None])
    return torch.cat(xs), torch.cat(alphas)


def raw_outputs(model: nn.Module, x: Tensor) -> Dict[str, Tensor]:
    """The mattor's un-fused outputs (``alpha_os1/os4/os8``, or GCA's one
    ``alpha``)."""
    out = model._forward(x)
    return out if isinstance(out, dict) else dict(alpha=out)


def train_tiny(model: nn.Module,
               steps: int = 40,
               size: int = 96,
               num: int = 4,
               lr: float = 2e-3,
               seed: int = 0) -> nn.Module:
    """Train ``model`` with Adam and an L1 loss on every raw output against
    the ground truth, on ``num`` demo composites of ``size x size``.

    Args:
        model (nn.Module): A built mattor (MatteFormer, MG Matting, GCA).
        steps (int): Iterations.
        size (int): Crop size (a multiple of 32).
        num (int): Batch size (the same batch every step).
        lr (float): Learning rate.
        seed (int): Seed of the data and of the weights' updates.

    Returns:
        nn.Module: ``model``, trained, in eval mode.
    """
    torch.manual_seed(seed)
    x, gt = demo_batch(num, size, seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        loss = sum((o - gt).abs().mean()
                   for o in raw_outputs(model, x).values())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def saturation(alpha: Tensor) -> Tuple[float, float]:
    """Fractions of ``alpha`` that are saturated (below 1/255 or above
    1 - 1/255) and that are clearly fractional (in [0.05, 0.95])."""
    sat = ((alpha < SATURATED) | (alpha > 1 - SATURATED)).float().mean()
    soft = ((alpha >= 0.05) & (alpha <= 0.95)).float().mean()
    return float(sat), float(soft)


def cached_state(name: str, build: Callable[[], nn.Module],
                 **train_kwargs) -> nn.Module:
    """``build()`` trained by :func:`train_tiny`, its weights cached in
    :data:`CACHE_DIR` under a key of ``name``, the model's parameter names
    and shapes, ``train_kwargs`` and the sources of this file and of the
    demo data generator (loaded when present).

    Args:
        name (str): Cache file prefix.
        build (Callable): Builds the model with its initial weights.
        **train_kwargs: Options of :func:`train_tiny`.

    Returns:
        nn.Module: The trained model in eval mode.
    """
    model = build()
    key = hashlib.sha1()
    for part in ([(k, tuple(v.shape))
                  for k, v in model.state_dict().items()],
                 sorted(train_kwargs.items()), torch.__version__):
        key.update(repr(part).encode())
    sources = [__file__, osp.join(DEMO_TOOLS, 'make_demo_data.py')]
    models = osp.join(ROOT, 'dpt_mm', 'models')
    sources += sorted(
        osp.join(d, f) for d, _, files in os.walk(models) for f in files
        if f.endswith('.py'))  # a changed network or loss retrains
    for path in sources:
        with open(path, 'rb') as f:
            key.update(f.read())
    path = osp.join(CACHE_DIR, f'{name}_{key.hexdigest()[:16]}.pth')
    if osp.isfile(path):
        model.load_state_dict(torch.load(path, map_location='cpu'))
        return model.eval()
    train_tiny(model, **train_kwargs)
    os.makedirs(CACHE_DIR, exist_ok=True)
    tmp = f'{path}.{os.getpid()}.tmp'
    torch.save(model.state_dict(), tmp)
    os.replace(tmp, path)  # whole or not at all, also with parallel runs
    return model
