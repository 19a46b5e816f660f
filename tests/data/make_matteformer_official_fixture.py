# Copyright (c) dpt-mm contributors. All rights reserved.
"""Make the official-MatteFormer fixtures of ``tests/test_models/test_editors/test_matteformer.py``.

The official code (webtoon/matteformer, Apache-2.0; made with commit
f09f090a7e8069f213ea2671c49c52516f755bb5) is NOT part of this repository. Point ``--official-root`` at a separate
checkout of it (the folder holding ``networks/``)::

    python tests/data/make_matteformer_official_fixture.py \
        --official-root /path/to/matteformer --out-dir tests/data

It writes

- ``matteformer_official_tiny.pth``: a tiny official MatteFormer
  (``Generator_MatteFormer`` structure: ``encoder.*`` + ``decoder.*``) with
  seeded random weights (BN / LN statistics and affine parameters and the
  relative-position tables randomised too, so every path matters), a fixed
  input (2 x 64x96, one sample without a foreground region), the official
  eval-mode outputs ``alpha_os1 / os4 / os8`` (the last conv of each refine
  head is scaled to unit-std logits on this input so that the outputs are
  not saturated) and the OS4..OS32 shortcut features of the official
  encoder. The official encoder and decoder hard-code their widths (shortcut
  in-planes for embed_dim 96 and the decoder's 512/256/128/64/32); the tiny
  model builds the official shortcut blocks with the official
  ``_make_shortcut`` at small widths, and runs the official decoder source
  with its channel literals mapped by ``DECODER_WIDTHS`` (nothing else
  changed).
- ``matteformer_official_swin-t_shapes.json``: key -> (shape, kind) of the
  full-size official model (Swin-T, default decoder), and its parameter
  counts, for the structure / parameter-count test.

``timm`` (imported by the official encoder for ``DropPath``,
``to_2tuple`` and ``trunc_normal_``) is replaced by a minimal stand-in when
it is not installed.
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import re
import sys
import tempfile
import types

import torch
import torch.nn as nn

#: tiny architecture of the fixture
TINY = dict(
    embed_dims=8,
    depths=(2, 2, 2, 2),
    num_heads=(1, 2, 2, 4),
    shortcut_channels=(8, 8, 8, 16, 16, 32),
    refine_channels=8,
    input_hw=(64, 96))
#: official decoder channel literal -> tiny width
DECODER_WIDTHS = {512: 32, 256: 16, 128: 16, 64: 8, 32: 8}


def _timm_stand_in() -> None:
    """Register a minimal ``timm.models.layers`` if timm is missing."""
    try:
        import timm.models.layers  # noqa: F401
        return
    except ImportError:
        pass

    class DropPath(nn.Module):

        def __init__(self, p=0.):
            super().__init__()
            self.p = p

        def forward(self, x):
            if not self.training or self.p == 0.:
                return x
            keep = x.new_empty((x.shape[0], ) + (1, ) *
                               (x.dim() - 1)).bernoulli_(1 - self.p)
            return x * keep / (1 - self.p)

    layers = types.ModuleType('timm.models.layers')
    layers.DropPath = DropPath
    layers.to_2tuple = lambda x: tuple(x) if isinstance(x, (list, tuple)) \
        else (x, x)
    layers.trunc_normal_ = lambda t, std=1.: nn.init.trunc_normal_(t,
                                                                     std=std)
    timm = types.ModuleType('timm')
    models = types.ModuleType('timm.models')
    timm.models, models.layers = models, layers
    sys.modules.update({
        'timm': timm,
        'timm.models': models,
        'timm.models.layers': layers
    })


def _load_module(name: str, path: str, source: str = None):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    if source is None:
        spec.loader.exec_module(module)
    else:
        exec(compile(source, path, 'exec'), module.__dict__)
    return module


def load_official(root: str):
    """Import the official encoder / decoder modules from ``root``."""
    _timm_stand_in()
    pkg = types.ModuleType('networks')
    pkg.__path__ = [osp.join(root, 'networks')]
    sys.modules['networks'] = pkg
    _load_module('networks.ops', osp.join(root, 'networks', 'ops.py'))
    enc = _load_module('networks.encoders.MatteFormer',
                       osp.join(root, 'networks', 'encoders',
                                'MatteFormer.py'))
    dec_path = osp.join(root, 'networks', 'decoders', 'resnet_decoder.py')
    dec = _load_module('networks.decoders.resnet_decoder', dec_path)
    with open(dec_path) as f:
        source = f.read()
    tiny_source = re.sub(r'(?<![\w.])(512|256|128|64|32)(?![\w.])',
                         lambda m: str(DECODER_WIDTHS[int(m.group(1))]),
                         source)
    dec_tiny = _load_module('networks.decoders.resnet_decoder_tiny', dec_path,
                            tiny_source)
    return enc, dec, dec_tiny


class OfficialGenerator(nn.Module):
    """``Generator_MatteFormer``'s forward (image, trimap) -> outputs."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, image, trimap):
        x = self.encoder(torch.cat((image, trimap), dim=1), trimap)
        return self.decoder(x[-1], x[:-1])


def build_tiny(enc, dec_tiny) -> OfficialGenerator:
    """Official structure at the tiny widths of :data:`TINY`."""
    c = TINY['embed_dims']
    encoder = enc.MatteFormer(
        embed_dim=c,
        depths=list(TINY['depths']),
        num_heads=list(TINY['num_heads']),
        window_size=7,
        drop_path_rate=0.3)
    ins = (6, c, c, 2 * c, 4 * c, 8 * c)
    encoder.shortcut = nn.ModuleList([
        encoder._make_shortcut(i, o)
        for i, o in zip(ins, TINY['shortcut_channels'])
    ])
    decoder = dec_tiny.ResShortCut_D_Decoder(dec_tiny.BasicBlock, [2, 3, 3, 2])
    return OfficialGenerator(encoder, decoder)


def randomise(model: nn.Module, generator: torch.Generator) -> None:
    """Give norms, their statistics and the tables non-trivial values."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
                m.weight.copy_(0.5 + torch.rand(m.weight.shape,
                                                generator=generator))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape,
                                               generator=generator))
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(0.1 * torch.randn(
                    m.running_mean.shape, generator=generator))
                m.running_var.copy_(0.5 + torch.rand(
                    m.running_var.shape, generator=generator))
        for name, p in model.named_parameters():
            if name.endswith('relative_position_bias_table'):
                p.copy_(0.5 * torch.randn(p.shape, generator=generator))


def calibrate_refine_heads(model: OfficialGenerator, image, trimap) -> None:
    """Scale the last conv of each refine head so that its logits have unit
    standard deviation on the fixture input: the (tanh + 1) / 2 outputs are
    then not saturated and the comparison is sensitive."""
    heads = [model.decoder.refine_OS1, model.decoder.refine_OS4,
             model.decoder.refine_OS8]
    logits = {}
    hooks = [
        h[3].register_forward_hook(
            lambda m, i, o, k=k: logits.__setitem__(k, o))
        for k, h in enumerate(heads)
    ]
    with torch.no_grad():
        model(image, trimap)
        for k, h in enumerate(heads):
            std = logits[k].std()
            h[3].weight.div_(std)
            h[3].bias.div_(std)
    for h in hooks:
        h.remove()


def make_inputs(generator: torch.Generator):
    """Normalised image and one-hot trimap, 2 x (3, 64, 96); sample 1 has
    no foreground."""
    h, w = TINY['input_hw']
    image = torch.randn(2, 3, h, w, generator=generator)
    coarse = torch.randint(0, 3, (2, 1, h // 8, w // 8), generator=generator)
    coarse[1][coarse[1] == 2] = 1
    labels = torch.nn.functional.interpolate(
        coarse.float(), size=(h, w), mode='nearest').long()[:, 0]
    trimap = torch.nn.functional.one_hot(labels, 3).permute(0, 3, 1,
                                                            2).float()
    return image, trimap


def shape_manifest(model: nn.Module) -> dict:
    """key -> [shape, kind] and the official parameter counts."""
    params = dict(model.named_parameters())
    keys = {}
    for key, value in model.state_dict().items():
        if key in params:
            kind = 'param' if params[key].requires_grad else 'param_nograd'
        else:
            kind = 'buffer'
        keys[key] = [list(value.shape), kind]
    return dict(
        keys=keys,
        num_parameters=sum(p.numel() for p in model.parameters()),
        num_trainable=sum(p.numel() for p in model.parameters()
                          if p.requires_grad))


def save_atomic(obj, path: str, as_json: bool = False) -> None:
    """Write ``obj`` to a temporary file beside ``path``, then rename."""
    fd, tmp = tempfile.mkstemp(dir=osp.dirname(osp.abspath(path)))
    os.close(fd)
    try:
        if as_json:
            with open(tmp, 'w') as f:
                json.dump(obj, f, indent=0, sort_keys=True)
        else:
            torch.save(obj, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def main() -> None:
    """Build the official models and write both fixtures."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--official-root', required=True)
    parser.add_argument('--out-dir', default=osp.dirname(__file__))
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()

    enc, dec, dec_tiny = load_official(args.official_root)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)

    tiny = build_tiny(enc, dec_tiny)
    randomise(tiny, generator)
    tiny.eval()
    image, trimap = make_inputs(generator)
    calibrate_refine_heads(tiny, image, trimap)
    with torch.no_grad():
        outputs = tiny(image, trimap)
        shortcut_features = tiny.encoder(torch.cat((image, trimap), 1),
                                         trimap)
    fixture = dict(
        state_dict={k: v.clone()
                    for k, v in tiny.state_dict().items()},
        image=image,
        trimap=trimap,
        outputs={k: v.clone()
                 for k, v in outputs.items()},
        # levels 2..5 (OS4..OS32); levels 0 / 1 are left out for size
        shortcut_features={
            i: shortcut_features[i].clone()
            for i in range(2, 6)
        },
        arch=TINY,
        seed=args.seed)
    out = osp.join(args.out_dir, 'matteformer_official_tiny.pth')
    save_atomic(fixture, out)
    sat = {
        k: float(((v < 1e-3) | (v > 1 - 1e-3)).float().mean())
        for k, v in outputs.items()
    }
    print(f'wrote {out} ({osp.getsize(out) / 1e6:.2f} MB); saturated '
          f'output fractions {sat}')

    full = OfficialGenerator(
        enc.MatteFormer(
            embed_dim=96,
            depths=[2, 2, 6, 2],
            num_heads=[3, 6, 12, 24],
            window_size=7,
            drop_path_rate=0.3),
        dec.ResShortCut_D_Decoder(dec.BasicBlock, [2, 3, 3, 2]))
    manifest = shape_manifest(full)
    out = osp.join(args.out_dir, 'matteformer_official_swin-t_shapes.json')
    save_atomic(manifest, out, as_json=True)
    print(f'wrote {out}: {len(manifest["keys"])} keys, '
          f'{manifest["num_parameters"]} parameters '
          f'({manifest["num_trainable"]} trainable)')


if __name__ == '__main__':
    main()
