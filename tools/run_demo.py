"""The README's main command: DPT end to end on the embedded demo data.

1. write the demo data (``tools/dataset_converters/make_demo_data.py``);
2. DPT-pretrain a tiny Swin + MattingHead on the unlabeled demo images
   (``configs/demo/dpt_swin-demo_demo.py``);
3. convert the DPT checkpoint into a MatteFormer initialisation
   (``tools/model_converters/dpt2finetune.py``, encoder + decoder);
4. fine-tune the tiny MatteFormer (``configs/demo/matteformer-tiny_demo.py``)
   twice with the same budget and seed: from the DPT weights and from random
   initialisation (a miniature of the paper's Table 3);
5. evaluate both on the demo test set (SAD, MSE, Grad, Conn by the official
   DIM definitions) and print the two rows;
6. write a picture of the predictions (merged | trimap | ground truth |
   random init | DPT init).

Every step runs the project's own command-line tools, so this script is also
a worked example of them. Steps whose outputs exist are skipped unless
``--force`` is given.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PRETRAIN_CFG = 'configs/demo/dpt_swin-demo_demo.py'
FINETUNE_CFG = 'configs/demo/matteformer-tiny_demo.py'
DATA = 'data/demo'


def run(cmd: list, log: str) -> None:
    """Run one tool, streaming its output to ``log``; fail loudly."""
    print(f'$ {" ".join(cmd)}', flush=True)
    os.makedirs(osp.dirname(log), exist_ok=True)
    with open(log, 'w') as f:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        with open(log) as f:
            tail = f.read()[-4000:]
        sys.exit(f'step failed (exit {proc.returncode}); log: {log}\n{tail}')


def latest_checkpoint(work_dir: str) -> str:
    """The newest ``iter_*.pth`` of a work dir."""
    ckpts = glob.glob(osp.join(work_dir, 'iter_*.pth'))
    if not ckpts:
        sys.exit(f'no checkpoint in {work_dir}')
    return max(ckpts, key=lambda p: int(osp.basename(p)[5:-4]))


def train_losses(work_dir: str) -> tuple:
    """First and last logged training loss of a work dir's newest run."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                     'scalars.json')))
    if not logs:
        return float('nan'), float('nan')
    with open(logs[-1]) as f:
        losses = [
            rec['loss'] for rec in map(json.loads, f) if 'loss' in rec
        ]
    return (losses[0], losses[-1]) if losses else (float('nan'), ) * 2


def make_picture(data_root: str, rows: dict, out: str, num: int = 4) -> None:
    """Grid of merged | trimap | GT alpha | one column per row of ``rows``.

    Args:
        data_root (str): Demo Composition-1k root (reads test_list.json).
        rows (dict): Column title -> folder of predicted alpha PNGs.
        out (str): Output PNG path (written atomically).
        num (int): Number of test images shown.
    """
    import cv2
    import numpy as np

    from dpt_mm.utils.io import atomic_imwrite
    with open(osp.join(data_root, 'test_list.json')) as f:
        samples = json.load(f)['data_list'][:num]
    size = 192
    titles = ['merged', 'trimap', 'ground truth'] + list(rows)
    lines = []
    for s in samples:
        merged = cv2.imread(osp.join(data_root, s['merged_path']))
        tiles = [merged]
        for key in ('trimap_path', 'alpha_path'):
            tiles.append(
                cv2.imread(osp.join(data_root, s[key]), cv2.IMREAD_GRAYSCALE))
        name = osp.splitext(osp.basename(s['merged_path']))[0] + '.png'
        for folder in rows.values():
            tiles.append(
                cv2.imread(osp.join(folder, name), cv2.IMREAD_GRAYSCALE))
        tiles = [
            cv2.resize(t if t.ndim == 3 else cv2.cvtColor(
                t, cv2.COLOR_GRAY2BGR), (size, size),
                       interpolation=cv2.INTER_AREA) for t in tiles
        ]
        lines.append(np.concatenate(tiles, axis=1))
    header = np.full((28, size * len(titles), 3), 255, np.uint8)
    for i, title in enumerate(titles):
        cv2.putText(header, title, (i * size + 6, 20),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    atomic_imwrite(np.concatenate([header] + lines, axis=0), out)


def main() -> None:
    """Run the demo."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--force', action='store_true', help='redo steps already done')
    args = parser.parse_args()
    work = osp.join(ROOT, args.work_dir)
    py = sys.executable
    t0 = time.time()
    timings = {}

    def step(name: str, cmd: list, done: str) -> None:
        start = time.time()
        if args.force or not osp.exists(done):
            run(cmd, osp.join(work, 'logs', f'{name}.log'))
        else:
            print(f'[{name}] done already: {done}')
        timings[name] = time.time() - start

    step('data', [
        py, 'tools/dataset_converters/make_demo_data.py', '--out', DATA,
        '--seed',
        str(args.seed), '--skip-existing'
    ], osp.join(ROOT, DATA, '.demo_stamp'))

    pre_dir = osp.join(work, 'pretrain')
    step('pretrain', [
        py, 'tools/train.py', PRETRAIN_CFG, '--work-dir', pre_dir,
        '--cfg-options', f'randomness.seed={args.seed}'
    ], osp.join(pre_dir, 'last_checkpoint'))

    init = osp.join(work, 'matteformer_dpt-init.pth')
    step('convert', [
        py, 'tools/model_converters/dpt2finetune.py',
        latest_checkpoint(pre_dir), init, '--model', 'matteformer', '--part',
        'encoder+decoder'
    ], init)

    results, alpha_dirs, losses = {}, {}, {}
    for row, load_from in (('random init', None), ('DPT init', init)):
        tag = 'random' if load_from is None else 'dpt'
        ft_dir = osp.join(work, f'finetune_{tag}')
        opts = [f'randomness.seed={args.seed}']
        if load_from:
            opts.append(f'load_from={load_from}')
        step(f'finetune_{tag}', [
            py, 'tools/train.py', FINETUNE_CFG, '--work-dir', ft_dir,
            '--cfg-options'
        ] + opts, osp.join(ft_dir, 'last_checkpoint'))
        metrics = osp.join(ft_dir, 'test_metrics.json')
        alpha_dirs[row] = osp.join(ft_dir, 'pred_alpha')
        step(f'test_{tag}', [
            py, 'tools/test.py', FINETUNE_CFG,
            latest_checkpoint(ft_dir), '--work-dir',
            osp.join(ft_dir, 'test'), '--save-alpha', alpha_dirs[row],
            '--out-metrics', metrics
        ], metrics)
        with open(metrics) as f:
            results[row] = json.load(f)
        losses[row] = train_losses(ft_dir)

    picture = osp.join(work, 'predictions.png')
    make_picture(osp.join(ROOT, DATA, 'comp1k'), alpha_dirs, picture)

    print('\nDemo Composition-1k-style test set (8 images), tiny MatteFormer,'
          ' same budget and seed:')
    print(f'{"init":<12}{"SAD":>10}{"MSE(1e-3)":>12}{"Grad":>10}{"Conn":>10}'
          f'{"train loss first -> last":>28}')
    for row, m in results.items():
        vals = {k.split('/')[-1]: v for k, v in m.items()}
        first, last = losses[row]
        print(f'{row:<12}{vals.get("SAD", float("nan")):>10.3f}'
              f'{vals.get("MSE", float("nan")) * 1e3:>12.3f}'
              f'{vals.get("Grad", float("nan")):>10.3f}'
              f'{vals.get("Conn", float("nan")):>10.3f}'
              f'{first:>19.3f} -> {last:.3f}')
    print('(SAD, Grad and Conn divided by 1000 as in the papers; '
          'official DIM definitions)')
    print(f'\npicture: {osp.relpath(picture, ROOT)}')
    print('step times (s): ' + ', '.join(f'{k} {v:.0f}'
                                        for k, v in timings.items()))
    print(f'total: {time.time() - t0:.0f} s')


if __name__ == '__main__':
    main()
