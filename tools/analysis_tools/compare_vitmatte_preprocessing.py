# Copyright (c) dpt-mm contributors. All rights reserved.
"""How far transformers' ViTMatte preprocessing is from the authors'.

    python tools/analysis_tools/compare_vitmatte_preprocessing.py \
        retriever_rgb.png retriever_trimap.png [--seed 0]

Runs one ViTMatte-S with seeded weights (transformers' model, weights
perturbed and BatchNorm statistics drawn from the seed) on an image and its
trimap (read as the authors' ``run_one_image.py`` reads them: RGB, and the
trimap as 8-bit gray, any value kept) through (a) the authors' inference,
which dpt-mm's ViTMatte configs reproduce (ImageNet mean / std, trimap /
255, zero padding by their ``preprocess_inputs`` arithmetic), (b)
transformers' ``VitMatteImageProcessor`` (mean / std 0.5, padding to the
next multiple of 32), and the two mixtures that separate the normalisation
from the padding; prints the max / mean |alpha difference| to (a).
"""
import argparse
import sys

import numpy as np
import torch
from PIL import Image


def _network(seed: int):
    """transformers' ViTMatte-S (the Hub configs' hyper-parameters)."""
    from transformers import (VitDetConfig, VitMatteConfig,
                              VitMatteForImageMatting)
    backbone = VitDetConfig(
        num_channels=4, image_size=512, pretrain_image_size=224,
        patch_size=16, hidden_size=384, num_attention_heads=6,
        window_size=14, window_block_indices=[0, 1, 3, 4, 6, 7, 9, 10],
        residual_block_indices=[2, 5, 8, 11],
        use_absolute_position_embeddings=True,
        use_relative_position_embeddings=True, out_features=['stage12'])
    torch.manual_seed(seed)
    model = VitMatteForImageMatting(
        VitMatteConfig(backbone_config=backbone, hidden_size=384))
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * 0.02)
        for name, buf in model.named_buffers():
            if name.endswith('running_mean'):
                buf.normal_(0, 0.1)
            elif name.endswith('running_var'):
                buf.uniform_(0.5, 2.0)
    return model.eval()


def _alpha(model, rgb, tri, mean, std, authors_pad):
    """Alpha of normalised RGB + trimap / 255, zero-padded, cropped back."""
    x = np.concatenate([(rgb / 255. - mean) / std, tri[..., None] / 255.], 2)
    x = torch.from_numpy(x.transpose(2, 0, 1)[None]).float()
    h, w = tri.shape
    if authors_pad:
        pad = (32 - w % 32, 32 - h % 32) if h % 32 or w % 32 else (0, 0)
    else:
        pad = (-w % 32, -h % 32)
    x = torch.nn.functional.pad(x, (0, pad[0], 0, pad[1]))
    with torch.no_grad():
        return model(x).alphas[0, 0, :h, :w].numpy(), tuple(x.shape[-2:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('image')
    parser.add_argument('trimap')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    from transformers import VitMatteImageProcessor
    rgb_img = Image.open(args.image).convert('RGB')
    tri_img = Image.open(args.trimap).convert('L')
    rgb = np.asarray(rgb_img, dtype=np.float64)
    tri = np.asarray(tri_img, dtype=np.float64)
    model = _network(args.seed)
    imagenet = (np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224,
                                                           0.225]))
    half = (np.full(3, 0.5), np.full(3, 0.5))
    ref, size = _alpha(model, rgb, tri, *imagenet, authors_pad=True)
    pixels = VitMatteImageProcessor()(
        images=rgb_img, trimaps=tri_img, return_tensors='pt').pixel_values
    with torch.no_grad():
        hf = model(pixels).alphas[0, 0, :tri.shape[0], :tri.shape[1]].numpy()
    rows = [
        ('transformers processor (mean / std 0.5, next multiple)', hf,
         tuple(pixels.shape[-2:])),
        ('ImageNet mean / std, next multiple (padding alone)',
         *_alpha(model, rgb, tri, *imagenet, authors_pad=False)),
        ('mean / std 0.5, the authors\' padding (normalisation alone)',
         *_alpha(model, rgb, tri, *half, authors_pad=True)),
    ]
    print(f'{args.image}: {tri.shape[0]}x{tri.shape[1]}, the authors pad '
          f'to {size[0]}x{size[1]}')
    print('| compared with the authors\' path | padded to | max |diff| | '
          'mean |diff| | pixels > 1/255 |')
    print('| --- | --- | --- | --- | --- |')
    for name, alpha, padded in rows:
        diff = np.abs(alpha - ref)
        print(f'| {name} | {padded[0]}x{padded[1]} | {diff.max():.4f} | '
              f'{diff.mean():.5f} | {100 * (diff > 1 / 255).mean():.1f} % |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
