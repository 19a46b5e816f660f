"""The README's main command: DPT end to end on the embedded demo data.

1. write the demo data (``tools/dataset_converters/make_demo_data.py``);
2. DPT-pretrain the tiny ViTMatte network (plain ViT + detail-capture
   decoder) on the unlabeled demo images
   (``configs/demo/dpt_vitmatte-tiny_demo.py``);
3. convert the DPT checkpoint into fine-tuning initialisations
   (``tools/model_converters/dpt2finetune.py``: encoder, encoder+decoder);
4. fine-tune the tiny ViTMatte (``configs/vitmatte/vitmatte_vit-tiny_demo.py``)
   three times with the same budget and seed: from random initialisation,
   the DPT encoder and the DPT encoder+decoder (a miniature of the paper's
   Tables 3 and 6);
5. evaluate them on the held-out split (other mattes, other photos) and the
   in-distribution split (SAD, MSE, Grad, Conn by the official DIM
   definitions), beside the DPT network itself with no fine-tuning
   (zero-shot), and print the rows;
6. write a picture of the held-out predictions (merged | trimap | ground
   truth | one column per fine-tuned row).

Each step's training progress is echoed on the terminal and the full logs
are kept in ``<work-dir>/logs``.

Why the tiny ViTMatte: with this demo's short fine-tuning, DPT encoder +
decoder initialisation helps it beyond the seed spread, while the tiny
MatteFormer shows no gain beyond the spread (docs/experiments/
dpt_transfer_vit.md, dpt_transfer.md); the former's controls show the gain
is a head start that longer fine-tuning also gives. ``--network
matteformer`` runs the same steps on the tiny MatteFormer (PAST Swin +
MattingHead).

Every step runs the project's own command-line tools, so this script is also
a worked example of them. Steps whose outputs exist are skipped unless
``--force`` is given.
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: network -> (pre-training config, fine-tuning config)
NETWORKS = {
    'vitmatte': ('configs/demo/dpt_vitmatte-tiny_demo.py',
                 'configs/vitmatte/vitmatte_vit-tiny_demo.py'),
    'matteformer': ('configs/demo/dpt_swin-demo_demo.py',
                    'configs/demo/matteformer-tiny_demo.py'),
}
#: what ``make demo`` runs (see the module docstring for why)
DEFAULT_NETWORK = 'vitmatte'
DATA = 'data/demo'
HELDOUT = f'{DATA}/comp1k_heldout'
INDIST = f'{DATA}/comp1k'


#: log lines echoed on the terminal (training / test progress, metrics)
PROGRESS = re.compile(r'Iter\(train\)|Iter\(test\)|Iter\(val\)|test metrics|'
                      r'wrote |error:')


def run(cmd: list, log: str, name: str) -> None:
    """Run one tool, writing its output to ``log`` and echoing progress
    lines (iterations, loss, eta) on the terminal; fail loudly."""
    print(f'[{name}] $ {" ".join(cmd)}', flush=True)
    os.makedirs(osp.dirname(log), exist_ok=True)
    with open(log, 'w') as f:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, bufsize=1)
        for line in proc.stdout:
            f.write(line)
            if PROGRESS.search(line):
                text = line.split(' - mmengine - INFO - ')[-1].strip()
                print(f'[{name}] {text[:150]}', flush=True)
        proc.wait()
    if proc.returncode != 0:
        with open(log) as f:
            tail = f.read()[-4000:]
        sys.exit(f'step failed (exit {proc.returncode}); log: {log}\n{tail}')


def check_work_dir(work: str, configs: tuple) -> None:
    """Refuse a work dir that holds another network's demo.

    Steps whose outputs exist are skipped, so runs left by the other
    network (``make demo`` ran the tiny MatteFormer in ``work_dirs/demo``
    before it ran the tiny ViTMatte) would feed that network's checkpoints
    to this one's steps. ``tools/train.py`` dumps the config it ran into
    each training folder (``pretrain``, ``finetune_*``); a folder holding a
    config that is not one of this network's is refused. Nothing is deleted.

    Args:
        work (str): The demo's work dir.
        configs (tuple): This network's pre-training and fine-tuning
            configs.
    """
    ours = {osp.basename(c) for c in configs}
    runs = (glob.glob(osp.join(work, 'pretrain'))
            + sorted(glob.glob(osp.join(work, 'finetune_*'))))
    for run_dir in runs:
        dumped = sorted(f for f in os.listdir(run_dir) if f.endswith('.py'))
        other = [f for f in dumped if f not in ours]
        if other:
            sys.exit(f'{run_dir}: a run of another network ({other[0]}; this '
                     f'one runs {" and ".join(sorted(ours))}); move or delete '
                     f'{work}, or pass another --work-dir')


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
    parser.add_argument(
        '--work-dir',
        default=None,
        help='default work_dirs/demo (work_dirs/demo_matteformer with '
        '--network matteformer)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--network',
        default=DEFAULT_NETWORK,
        choices=sorted(NETWORKS),
        help='the tiny network pre-trained and fine-tuned (default '
        f'{DEFAULT_NETWORK})')
    parser.add_argument(
        '--force', action='store_true', help='redo steps already done')
    args = parser.parse_args()
    pretrain_cfg, finetune_cfg = NETWORKS[args.network]
    if args.work_dir is None:
        args.work_dir = ('work_dirs/demo' if args.network == DEFAULT_NETWORK
                         else f'work_dirs/demo_{args.network}')
    work = osp.join(ROOT, args.work_dir)
    check_work_dir(work, (pretrain_cfg, finetune_cfg))
    py = sys.executable
    t0 = time.time()
    timings = {}

    def step(name: str, cmd: list, done: str) -> None:
        start = time.time()
        if args.force or not osp.exists(done):
            run(cmd, osp.join(work, 'logs', f'{name}.log'), name)
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
        py, 'tools/train.py', pretrain_cfg, '--work-dir', pre_dir,
        '--cfg-options', f'randomness.seed={args.seed}'
    ], osp.join(pre_dir, 'last_checkpoint'))
    dpt_ckpt = latest_checkpoint(pre_dir)

    inits = {'random init': None}
    for part in ('encoder', 'encoder+decoder'):
        init = osp.join(work,
                        f'{args.network}_dpt-{part.replace("+", "-")}.pth')
        step(f'convert_{part}', [
            py, 'tools/model_converters/dpt2finetune.py', dpt_ckpt, init,
            '--model', args.network, '--part', part
        ], init)
        inits[f'DPT {part}'] = init

    splits = {'held-out': HELDOUT, 'in-distribution': INDIST}
    results, alpha_dirs, losses = {}, {}, {}

    def test(row: str, cfg: str, ckpt: str, out_dir: str) -> None:
        for split, root in splits.items():
            tag = split.split('-')[0]
            metrics = osp.join(out_dir, f'test_metrics_{tag}.json')
            cmd = [
                py, 'tools/test.py', cfg, ckpt, '--work-dir',
                osp.join(out_dir, f'test_{tag}'), '--out-metrics', metrics,
                '--cfg-options', f'test_dataloader.dataset.data_root={root}'
            ]
            if split == 'held-out' and row != 'zero-shot DPT':
                alpha_dirs[row] = osp.join(out_dir, 'pred_alpha_heldout')
                cmd[6:6] = ['--save-alpha', alpha_dirs[row]]
            step(f'test_{row}_{tag}'.replace(' ', '_'), cmd, metrics)
            with open(metrics) as f:
                results[(row, split)] = json.load(f)

    for row, load_from in inits.items():
        tag = row.replace('DPT ', 'dpt_').replace(' init', '').replace(
            '+', '-')
        ft_dir = osp.join(work, f'finetune_{tag}')
        opts = [f'randomness.seed={args.seed}']
        if load_from:
            opts.append(f'load_from={load_from}')
        step(f'finetune_{tag}', [
            py, 'tools/train.py', finetune_cfg, '--work-dir', ft_dir,
            '--cfg-options'
        ] + opts, osp.join(ft_dir, 'last_checkpoint'))
        test(row, finetune_cfg, latest_checkpoint(ft_dir), ft_dir)
        losses[row] = train_losses(ft_dir)
    # the pre-trained network as it is (a mattor at test time)
    test('zero-shot DPT', pretrain_cfg, dpt_ckpt, osp.join(work, 'zeroshot'))

    picture = osp.join(work, 'predictions.png')
    make_picture(osp.join(ROOT, HELDOUT), alpha_dirs, picture)

    print(f'\nDemo, tiny {args.network}, same fine-tuning budget and seed '
          '(SAD, Grad, Conn / 1000; MSE x 1e3; official DIM definitions):')
    print(f'{"split":<17}{"init":<21}{"SAD":>8}{"MSE":>9}{"Grad":>8}'
          f'{"Conn":>8}{"train loss first -> last":>27}')
    for split in splits:
        for row in list(inits) + ['zero-shot DPT']:
            vals = {
                k.split('/')[-1]: v
                for k, v in results[(row, split)].items()
            }
            first, last = losses.get(row, (float('nan'), ) * 2)
            loss = (f'{first:>18.3f} -> {last:.3f}'
                    if row in losses else f'{"(no fine-tuning)":>27}')
            print(f'{split:<17}{row:<21}'
                  f'{vals.get("SAD", float("nan")):>8.3f}'
                  f'{vals.get("MSE", float("nan")) * 1e3:>9.3f}'
                  f'{vals.get("Grad", float("nan")):>8.3f}'
                  f'{vals.get("Conn", float("nan")):>8.3f}{loss}')
    print('\nOne seed of a tiny model: differences below the seed spread of '
          'docs/experiments/dpt_transfer*.md (3 seeds) are noise.')
    print(f'picture: {osp.relpath(picture, ROOT)}')
    print('step times (s): ' + ', '.join(f'{k} {v:.0f}'
                                        for k, v in timings.items()))
    print(f'total: {time.time() - t0:.0f} s')


if __name__ == '__main__':
    main()
