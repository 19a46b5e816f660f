# Copyright (c) dpt-mm contributors. All rights reserved.
"""The memory guard of ``tools/benchmarks/inference.py``: which ViTMatte
inputs it lets run, from the size of their global-attention maps."""
import pytest
import torch
from tool_scripts import load_tool


@pytest.fixture(scope='module')
def bench():
    return load_tool('tools/benchmarks/inference.py', '_bench_inference')


def test_padded_size_follows_the_mattor(bench):
    from dpt_mm.models.base_models.mattor import vitmatte_pad
    for h, w in [(1024, 1024), (3000, 4000), (643, 960), (100, 64)]:
        padded = vitmatte_pad(torch.zeros(1, 1, h, w), 32).shape[-2:]
        assert bench.vitmatte_padded(h, w) == tuple(padded)


def test_attention_bytes(bench):
    # 1024x1024: 64 x 64 patches, 6 heads, 3 float32 maps
    assert bench.attention_bytes(1024, 1024) == 3 * 6 * 4096**2 * 4
    # 4000x3000 pads to 4032x3008: 252 x 188 patches, ~8.4 GiB per head
    n = 252 * 188
    assert bench.attention_bytes(3000, 4000, maps=1, heads=1) == n * n * 4


def test_guard_refuses_above_the_limit_only(bench):
    assert bench.attention_guard(1024, 1024, 0, 12.0) is None
    msg = bench.attention_guard(2048, 2048, 0, 12.0)
    assert msg.startswith('refused') and '2048x2048' in msg
    assert '18.0 GiB' in msg and '12' in msg
    big = bench.attention_guard(3000, 4000, 0, 12.0)
    assert '4000x3000' in big
    # the same limit admits a tiled run: the tile, not the image, counts
    assert bench.attention_guard(3000, 4000, 1024, 12.0) is None
    assert bench.attention_guard(3000, 4000, 2048, 12.0) is not None
    # at the limit exactly, it runs
    exact = bench.attention_bytes(1024, 1024) / 2**30
    assert bench.attention_guard(1024, 1024, 0, exact) is None
    assert bench.attention_guard(1024, 1024, 0, exact * 0.999) is not None
