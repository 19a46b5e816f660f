"""Time and peak memory of matting large images (MatteFormer, ViTMatte-S).

Runs the matting step of ``tools/infer.py`` (``DPTMattingInferencer``:
pipeline, data preprocessor, padded prediction with progressive
refinement, known regions forced; foreground estimation and file writing
are left out) on synthetic photos with a trimap whose unknown band follows
an object outline, with the full-width MatteFormer of
``configs/matteformer/`` and seeded random weights. Each case runs in a
fresh process so that its peak resident memory (``ru_maxrss``) is its own;
the table gives ratios to the first case, measured in the same run.

A case ``WxH:official`` runs the official MatteFormer code
(webtoon/matteformer's ``inference.py``: its padding, network and
refinement) on the same input and the same weights: give a checkout with
``--official-repo`` and put its extra packages (timm, easydict, toml) on
``PYTHONPATH``. That code is not part of this repository and calls
``.cuda()``; on a CPU the child process maps ``.cuda()`` to a no-op and
restores ``np.float`` (removed in numpy 1.24), nothing else. The weights
are then the official network's seeded random initialisation, saved once
in the official layout; this project's cases load that file through
``tools/infer.py``'s on-the-fly conversion, and the table adds the largest
alpha difference to the official result of the same size.

With ``--model vitmatte`` the cases run ViTMatte-S
(``configs/vitmatte/vitmatte_vit-s-dino_2xb16-100e_comp1k.py``) with seeded
weights written once in the Hugging Face layout (``save_pretrained``), which
the inferencer converts on the fly; a case ``WxH:hf`` runs transformers'
``VitMatteForImageMatting`` from the same folder on the same input,
preprocessed as the config does it (ImageNet mean / std, trimap / 255, the
authors' zero padding, known regions forced, alpha truncated): its forward
is the only part that differs. Global attention is quadratic in the number
of patches; a case whose attention maps would not fit in
``--max-attention-gb`` (:func:`attention_guard`) is refused before the
network runs and shows as such in the table.

Examples (the numbers in docs/inference.md and docs/vitmatte.md)::

    nice -n 15 python tools/benchmarks/inference.py \\
        --cases 1024x1024 2048x2048 4000x3000 4000x3000:tile1024 \\
        1024x1024:bf16

    OMP_NUM_THREADS=1 python tools/benchmarks/inference.py --model vitmatte \\
        --cases 1024x1024 1024x1024:hf 2048x2048 2048x2048:hf \\
        4000x3000 4000x3000:hf 4000x3000:tile1024

    PYTHONPATH=/path/to/official_deps python tools/benchmarks/inference.py \\
        --official-repo /path/to/matteformer \\
        --cases 1024x1024 1024x1024:official 2048x2048 2048x2048:official
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'matteformer',
                  'matteformer_swin-t-dpt-encdec_4xb10-200k_comp1k.py')
VITMATTE_CONFIG = osp.join(ROOT, 'configs', 'vitmatte',
                           'vitmatte_vit-s-dino_2xb16-100e_comp1k.py')
#: ViTMatte-S: heads, patch size, global blocks, input padding divisor
VITMATTE_S = dict(heads=6, patch=16, divisor=32)


def vitmatte_padded(h: int, w: int, divisor: int = 32) -> Tuple[int, int]:
    """The input size after ViTMatte's test padding
    (:func:`~dpt_mm.models.base_models.mattor.vitmatte_pad`)."""
    if h % divisor == 0 and w % divisor == 0:
        return h, w
    return h + divisor - h % divisor, w + divisor - w % divisor


def attention_bytes(h: int,
                    w: int,
                    heads: int = 6,
                    patch: int = 16,
                    divisor: int = 32,
                    maps: int = 3) -> int:
    """Bytes of the float32 global-attention maps that one ViTMatte block
    holds at once for an ``h`` x ``w`` input.

    Both implementations build the ``heads x N x N`` scores of the ``N``
    patches, then add the relative positions in two steps: three maps are
    alive at the peak.

    Args:
        h (int): Input height (before padding).
        w (int): Input width (before padding).
        heads (int): Attention heads.
        patch (int): Patch size.
        divisor (int): Padding divisor of the test input.
        maps (int): Maps alive at once.

    Returns:
        int: The bytes.
    """
    ph, pw = vitmatte_padded(h, w, divisor)
    n = (ph // patch) * (pw // patch)
    return maps * heads * n * n * 4


def attention_guard(h: int, w: int, tile: int, limit_gb: float,
                    **net) -> Optional[str]:
    """Why a ViTMatte case must not run, or None when it may.

    Args:
        h (int): Image height.
        w (int): Image width.
        tile (int): Tile side (0: the whole image in one pass).
        limit_gb (float): Largest attention memory allowed, GiB.
        **net: ``heads`` / ``patch`` / ``divisor`` of
            :func:`attention_bytes`.

    Returns:
        str or None: A message naming the estimate and the limit.
    """
    if tile > 0:
        h, w = min(h, tile), min(w, tile)
    need = attention_bytes(h, w, **net) / 2**30
    if need <= limit_gb:
        return None
    return (f'refused: global attention at {w}x{h} needs ~{need:.1f} GiB '
            f'(> --max-attention-gb {limit_gb:g})')


def make_scene(w: int, h: int, band: int = 20):
    """A textured photo with an elliptic object and its trimap (unknown
    band of ``band`` px each side of the outline)."""
    import cv2
    import numpy as np
    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, (h // 16 + 1, w // 16 + 1, 3), np.uint8)
    image = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (w // 2, h // 2), (int(w * 0.3), int(h * 0.35)), 0, 0,
                360, 255, -1)
    fg = cv2.erode(mask, np.ones((2 * band + 1, 2 * band + 1), np.uint8))
    bg = cv2.dilate(mask, np.ones((2 * band + 1, 2 * band + 1), np.uint8))
    trimap = np.full((h, w), 128, np.uint8)
    trimap[bg == 0] = 0
    trimap[fg == 255] = 255
    return image, trimap


def import_official(repo: str):
    """Import the official ``inference`` and ``networks`` modules on a CPU.

    Only two shims: ``.cuda()`` becomes a no-op and ``np.float`` exists.
    """
    import numpy as np
    import torch
    if not hasattr(np, 'float'):
        np.float = float
    torch.Tensor.cuda = lambda self, *args, **kwargs: self
    torch.nn.Module.cuda = lambda self, *args, **kwargs: self
    sys.path.insert(0, repo)
    import inference  # noqa: E402 (the official script)
    import networks  # noqa: E402
    return inference, networks


def make_official_weights(repo: str, path: str) -> None:
    """Save the official network's seeded random weights (official
    layout, wrapped like its trainer's checkpoints)."""
    import torch
    _, networks = import_official(repo)
    torch.manual_seed(0)
    model = networks.get_generator(is_train=False)
    torch.save({'state_dict': model.state_dict()}, path)


def run_official(w: int, h: int, repo: str, weights: str, workdir: str):
    """Official preprocessing + network + refinement; returns alpha and
    the time of the last repeat."""
    import cv2
    import torch
    inference, networks = import_official(repo)
    model = networks.get_generator(is_train=False)
    model.load_state_dict(
        torch.load(weights, map_location='cpu')['state_dict'], strict=True)
    model.eval()
    image, trimap = make_scene(w, h)
    img_path = osp.join(workdir, f'official_{w}x{h}.png')
    tri_path = osp.join(workdir, f'official_{w}x{h}_trimap.png')
    cv2.imwrite(img_path, image)  # BGR, as the inferencer gets it
    cv2.imwrite(tri_path, trimap)

    def step():
        sample = inference.generator_tensor_dict(img_path, tri_path)
        return inference.single_inference(model, sample)

    return image, trimap, step


def make_vitmatte_weights(folder: str) -> None:
    """Save transformers' ViTMatte-S with seeded weights (and BatchNorm
    statistics) in the Hugging Face layout."""
    sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis_tools'))
    from compare_vitmatte_preprocessing import _network
    _network(0).save_pretrained(folder)


def run_hf(w: int, h: int, weights: str):
    """transformers' ``VitMatteForImageMatting`` on the config's input:
    returns the scene and a step giving the uint8 alpha."""
    import numpy as np
    import torch
    from transformers import VitMatteForImageMatting
    model = VitMatteForImageMatting.from_pretrained(weights).eval()
    image, trimap = make_scene(w, h)  # BGR, as the inferencer gets it
    mean = np.array([123.675, 116.28, 103.53], np.float32)
    std = np.array([58.395, 57.12, 57.375], np.float32)

    @torch.no_grad()
    def step():
        rgb = (image[..., ::-1].astype(np.float32) - mean) / std
        x = np.concatenate([rgb, trimap[..., None] / np.float32(255)], 2)
        x = torch.from_numpy(x.transpose(2, 0, 1)[None].copy())
        ph, pw = vitmatte_padded(h, w, VITMATTE_S['divisor'])
        x = torch.nn.functional.pad(x, (0, pw - w, 0, ph - h))
        alpha = model(x).alphas[0, 0, :h, :w].clamp(0, 1)
        alpha = torch.floor(alpha * 255)
        alpha[torch.from_numpy(trimap == 0)] = 0
        alpha[torch.from_numpy(trimap == 255)] = 255
        return alpha

    return image, trimap, step


def run_case(case: str,
             config: str,
             repeats: int,
             official_repo: Optional[str] = None,
             weights: Optional[str] = None,
             workdir: Optional[str] = None,
             max_attention_gb: Optional[float] = None) -> Dict:
    """Measure one case in this process; returns the numbers (or the
    ``error`` of a case refused by :func:`attention_guard` when
    ``max_attention_gb`` is given)."""
    import numpy as np
    import torch

    size, *opts = case.split(':')
    w, h = (int(v) for v in size.split('x'))
    tile = next((int(o[4:]) for o in opts if o.startswith('tile')), 0)
    bf16 = 'bf16' in opts
    if max_attention_gb is not None:
        refused = attention_guard(
            h, w, tile, max_attention_gb, heads=VITMATTE_S['heads'],
            patch=VITMATTE_S['patch'], divisor=VITMATTE_S['divisor'])
        if refused:
            return dict(case=case, error=refused)
    torch.manual_seed(0)
    if 'hf' in opts:
        image, trimap, step = run_hf(w, h, weights)
    elif 'official' in opts:
        image, trimap, step = run_official(w, h, official_repo, weights,
                                           workdir)
    else:
        from dpt_mm.apis import DPTMattingInferencer
        inferencer = DPTMattingInferencer(config, weights, 'cpu')
        image, trimap = make_scene(w, h)  # taken as BGR, like the PNG

        def step():
            with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
                data = inferencer.preprocess(img=image, trimap=trimap)
                preds = inferencer.forward(data, tile=tile)
            return preds[0].output.pred_alpha.data

    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with torch.no_grad():
            alpha = step()
        times.append(time.perf_counter() - start)
    alpha = np.asarray(
        alpha.cpu().numpy() if hasattr(alpha, 'cpu') else alpha, np.uint8)
    assert tuple(alpha.shape) == (h, w)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if workdir:
        np.save(osp.join(workdir, case.replace(':', '_') + '.npy'), alpha)
    return dict(
        case=case,
        seconds=min(times),
        peak_rss_gb=peak / 2**20,
        model_rss_gb=base_rss / 2**20,
        unknown_fraction=float((trimap == 128).mean()),
        threads=torch.get_num_threads())


def compare(rows: List[Dict], workdir: str) -> None:
    """Add, for each case with a reference row (``:official`` / ``:hf``)
    of the same size, the time and memory ratios and the alpha differences
    to the reference result."""
    import numpy as np
    by_size = {
        r['case'].split(':')[0]: r
        for r in rows if 'error' not in r and (
            ':official' in r['case'] or ':hf' in r['case'])
    }
    for r in rows:
        ref = by_size.get(r['case'].split(':')[0])
        if 'error' in r or ref is None or r is ref:
            continue
        ours = np.load(osp.join(workdir, r['case'].replace(':', '_') + '.npy'))
        theirs = np.load(
            osp.join(workdir, ref['case'].replace(':', '_') + '.npy'))
        w, h = (int(v) for v in r['case'].split(':')[0].split('x'))
        unknown = make_scene(w, h)[1] == 128
        diff = np.abs(ours.astype(np.int16) - theirs.astype(np.int16))
        r['x_official'] = r['seconds'] / ref['seconds']
        r['x_official_rss'] = r['peak_rss_gb'] / ref['peak_rss_gb']
        r['max_diff'] = int(diff.max())
        r['frac_unknown_gt2'] = float((diff[unknown] > 2).mean())


def main(argv: Optional[List[str]] = None) -> int:
    """Run every case in its own process and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--cases',
        nargs='+',
        default=['1024x1024', '2048x2048', '4000x3000'],
        help='WxH[:tileN][:bf16][:official|:hf] (default: the three '
        'sizes, whole image)')
    parser.add_argument(
        '--model',
        choices=['matteformer', 'vitmatte'],
        default='matteformer',
        help='vitmatte: ViTMatte-S, seeded weights in the Hugging Face '
        'layout; :hf cases run transformers\' model')
    parser.add_argument('--config', help='default: the --model config')
    parser.add_argument(
        '--max-attention-gb',
        type=float,
        default=12.0,
        help='ViTMatte: refuse a case whose global attention maps need '
        'more (GiB; see attention_guard)')
    parser.add_argument(
        '--timeout', type=float, default=3600, help='seconds per case')
    parser.add_argument('--repeats', type=int, default=1)
    parser.add_argument(
        '--official-repo',
        help='checkout of webtoon/matteformer, for the :official cases')
    parser.add_argument('--json', help='also write the rows to this file')
    parser.add_argument('--one', help=argparse.SUPPRESS)  # child process
    parser.add_argument('--weights', help=argparse.SUPPRESS)
    parser.add_argument('--workdir', help=argparse.SUPPRESS)
    parser.add_argument('--make-weights', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    vitmatte = args.model == 'vitmatte'
    if args.config is None:
        args.config = VITMATTE_CONFIG if vitmatte else CONFIG
    if args.make_weights:
        if vitmatte:
            make_vitmatte_weights(args.make_weights)
        else:
            make_official_weights(args.official_repo, args.make_weights)
        return 0
    if args.one:
        print('RESULT=' + json.dumps(
            run_case(args.one, args.config, args.repeats, args.official_repo,
                     args.weights, args.workdir,
                     args.max_attention_gb if vitmatte else None)))
        return 0
    if not vitmatte and any(':hf' in c for c in args.cases):
        parser.error(':hf cases need --model vitmatte')
    official = any(':official' in c or ':hf' in c for c in args.cases)
    if official and not vitmatte and not args.official_repo:
        parser.error(':official cases need --official-repo')
    workdir = tempfile.mkdtemp(prefix='dpt_mm_bench_')
    weights = None
    if vitmatte:
        weights = osp.join(workdir, 'vitmatte_s_random_hf')
        subprocess.run([
            sys.executable, __file__, '--model', 'vitmatte',
            '--make-weights', weights
        ],
                       check=True)
    elif official:
        weights = osp.join(workdir, 'official_random.pth')
        subprocess.run([
            sys.executable, __file__, '--make-weights', weights,
            '--official-repo', args.official_repo
        ],
                       check=True)
    rows = []
    for case in args.cases:
        cmd = [
            sys.executable, __file__, '--one', case, '--config', args.config,
            '--repeats',
            str(args.repeats), '--workdir', workdir, '--model', args.model,
            '--max-attention-gb',
            str(args.max_attention_gb)
        ]
        if weights:
            cmd += ['--weights', weights]
        if args.official_repo:
            cmd += ['--official-repo', args.official_repo]
        try:
            proc = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                env=dict(os.environ),
                timeout=args.timeout)
        except subprocess.TimeoutExpired:
            rows.append(
                dict(case=case, error=f'timeout after {args.timeout:g} s'))
            print(f'{case}: timeout', file=sys.stderr, flush=True)
            continue
        lines = [x for x in proc.stdout.splitlines()
                 if x.startswith('RESULT=')]
        if proc.returncode != 0 or not lines:
            tail = (proc.stderr or '').strip().splitlines()[-1:]
            if proc.returncode < 0:  # e.g. SIGKILL of the OOM killer
                tail = [f'killed by signal {-proc.returncode}']
            rows.append(dict(case=case, error=' '.join(tail) or 'failed'))
        else:
            rows.append(json.loads(lines[-1][len('RESULT='):]))
        row = rows[-1]
        print(f'{case}: ' + (row['error'] if 'error' in row else
                             f"{row['seconds']:.1f} s, peak "
                             f"{row['peak_rss_gb']:.2f} GB"),
              file=sys.stderr, flush=True)
    compare(rows, workdir)
    base = next((r for r in rows if 'error' not in r), None)
    head = '| case | time (s) | x first | peak RSS (GB) | x first |'
    if official:
        head += (' x reference time | x reference RSS | max diff (/255) | '
                 'unknown px > 2/255 |')
    print(head)
    print('|---' * (head.count('|') - 1) + '|')
    for r in rows:
        if 'error' in r:
            print(f"| {r['case']} | failed: {r['error']} |" + ' |' *
                  (head.count('|') - 3))
            continue
        line = (f"| {r['case']} | {r['seconds']:.1f} | "
                f"{r['seconds'] / base['seconds']:.2f} | "
                f"{r['peak_rss_gb']:.2f} | "
                f"{r['peak_rss_gb'] / base['peak_rss_gb']:.2f} |")
        if official:
            line += (f" {r['x_official']:.2f} | "
                     f"{r['x_official_rss']:.2f} | {r['max_diff']} | "
                     f"{100 * r['frac_unknown_gt2']:.3f} % |"
                     if 'x_official' in r else ' | | | |')
        print(line)
    if args.json:
        from dpt_mm.utils.io import atomic_write_text
        atomic_write_text(args.json, json.dumps(rows, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
