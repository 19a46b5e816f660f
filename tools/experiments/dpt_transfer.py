"""What DPT pre-training buys, measured: a scaled-down Table 3 / Table 6.

Driven by a protocol config (``configs/experiments/dpt_transfer_cpu.py``;
``..._gpu.py`` for one GPU). Steps, each resumable (a finished step's
outputs are kept and reused on a rerun):

1. data: the demo data generator with the config's arguments (unlabeled
   images; the fine-tuning set with an all-labels and a scarce-labels
   budget; an in-distribution test split and a held-out one made by
   another matte family from other photos);
2. DPT pre-training: one run of the pre-training config with a constant
   learning rate after warm-up, a checkpoint at each budget;
3. jobs, shared by ``workers`` processes: for every label budget,
   pre-training budget, initialisation (random / DPT encoder / DPT
   encoder+decoder) and seed, a fine-tuning of the same length, scored on
   both test splits; the pre-trained networks themselves (zero-shot, no
   fine-tuning); a classical matting method (pymatting) on the same inputs;
4. report: a Markdown table (mean and standard deviation over seeds, each
   DPT row's gain over random init paired by seed) and a PNG plot of SAD
   against the pre-training budget.

Usage::

    python tools/experiments/dpt_transfer.py \\
        configs/experiments/dpt_transfer_cpu.py [--work-dir DIR] \\
        [--report-dir docs/experiments] [--smoke]

Optional protocol keys: ``finetune_model``, the converter of the DPT
checkpoint for the fine-tuning network (default ``'matteformer'``;
``'vitmatte'`` for ``dpt_transfer_vit_cpu.py``), and ``report_name``, the
stem of the table and plot files (default ``'dpt_transfer'``).

``--smoke`` shrinks everything (tiny data, 2 iterations, one seed, one
process) so that the driver can be tested in about a minute.
"""
import argparse
import copy
import glob
import json
import math
import os
import os.path as osp
import platform
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters'))

METRICS = ('SAD', 'MSE', 'Grad', 'Conn')
SMOKE = dict(
    data_args=dict(
        num_in1k=16, num_train=3, num_scarce=2, num_test=1, num_heldout=1,
        bg_per_test=1, num_bg=3),
    pretrain_budgets=[0, 2],
    pretrain_warmup_iters=1,
    finetune_iters=2,
    finetune_warmup_iters=1,
    seeds=[0],
    workers=1)


def log(msg: str) -> None:
    """Progress line on the terminal."""
    print(f'[dpt_transfer {time.strftime("%H:%M:%S")}] {msg}', flush=True)


def load_protocol(path: str, smoke: bool):
    """The protocol config, shrunk by ``SMOKE`` when ``smoke``."""
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    if smoke:
        control = not any(b > 0 for b in cfg.pretrain_budgets)
        cfg.merge_from_dict(copy.deepcopy(SMOKE))
        if control:  # a random-init-only protocol stays one
            cfg.pretrain_budgets = [0]
        cfg.data_root = cfg.data_root + '_smoke'
    if 0 not in cfg.pretrain_budgets:
        raise ValueError(f'{path}: pretrain_budgets must contain 0 (the '
                         'random-init reference)')
    return cfg


def job_list(p) -> List[dict]:
    """Every job of the protocol, in a fixed order."""
    jobs = [dict(kind='classical', name=f'classical_{p.classical}')]
    budgets = [b for b in p.pretrain_budgets if b > 0]
    for b in budgets:
        jobs.append(dict(kind='zeroshot', name=f'zeroshot_B{b}', budget=b))
    for label in p.label_budgets:
        for seed in p.seeds:
            for init in p.inits:
                for b in ([0] if init == 'random' else budgets):
                    jobs.append(
                        dict(
                            kind='finetune',
                            name=f'ft_{label}_{init}_B{b}_s{seed}'.replace(
                                '+', '-'),
                            label=label,
                            init=init,
                            budget=b,
                            seed=seed))
    return jobs


# ---------------------------------------------------------------- steps


def make_data(p) -> None:
    """Step 1: the demo data of the protocol (skipped when present)."""
    import make_demo_data
    t0 = time.time()
    counts = make_demo_data.make_demo_data(
        osp.join(ROOT, p.data_root),
        seed=p.data_seed,
        skip_existing=True,
        **p.data_args)
    if counts:
        log(f'data: wrote {counts} in {time.time() - t0:.0f} s')
    else:
        log(f'data: {p.data_root} up to date')


def pretrain_config(p, work_dir: str):
    """The pre-training config with the protocol's data, length, constant
    learning rate after warm-up and a checkpoint at every budget."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, p.pretrain_config))
    budgets = sorted(b for b in p.pretrain_budgets if b > 0)
    cfg.work_dir = work_dir
    cfg.experiment_name = 'pretrain'
    cfg.launcher = 'none'
    cfg.train_dataloader.dataset.data_root = osp.join(ROOT, p.data_root,
                                                      'in1k')
    cfg.train_cfg.max_iters = budgets[-1]
    cfg.optim_wrapper.optimizer.lr = p.pretrain_lr
    warm = min(p.pretrain_warmup_iters, budgets[-1])
    cfg.param_scheduler = [
        dict(
            type='LinearLR',
            start_factor=1e-2,
            by_epoch=False,
            begin=0,
            end=warm),
        dict(
            type='ConstantLR',
            factor=1.0,
            by_epoch=False,
            begin=warm,
            end=budgets[-1]),
    ]
    interval = budgets[0]
    for b in budgets:
        interval = math.gcd(interval, b)
    cfg.default_hooks.checkpoint = dict(
        type='SafeCheckpointHook',
        by_epoch=False,
        interval=interval,
        max_keep_ckpts=-1)
    cfg.default_hooks.logger = dict(
        type='LoggerHook', interval=max(1, min(50, budgets[-1] // 10)))
    cfg.randomness = dict(seed=p.pretrain_seed)
    cfg.test_dataloader = None
    cfg.test_cfg = None
    cfg.test_evaluator = None
    return cfg


def pretrain(p, work: str, abort_if=None) -> Dict[int, str]:
    """Step 2: one DPT pre-training run; returns budget -> checkpoint.

    ``abort_if`` (a callable) is polled every iteration; when it returns
    True the run stops (a side worker failed)."""
    budgets = sorted(b for b in p.pretrain_budgets if b > 0)
    pre_dir = osp.join(work, 'pretrain')
    ckpts = {b: osp.join(pre_dir, f'iter_{b}.pth') for b in budgets}
    if not budgets:  # a random-init-only protocol (a control)
        log('pretrain: no budget above 0, nothing to pre-train')
        return ckpts
    if all(osp.isfile(c) for c in ckpts.values()):
        log('pretrain: checkpoints present')
        return ckpts
    import torch
    from mmengine.runner import Runner

    import dpt_mm  # noqa: F401
    torch.set_num_threads(p.pretrain_threads)
    os.environ['OMP_NUM_THREADS'] = str(p.pretrain_threads)
    cfg = pretrain_config(p, pre_dir)
    last = osp.join(pre_dir, 'last_checkpoint')
    if osp.isfile(last):
        cfg.resume = True
    log(f'pretrain: {budgets[-1]} iterations, checkpoints at {budgets}, '
        f'{p.pretrain_threads} threads (log: {pre_dir})')
    t0 = time.time()
    runner = Runner.from_cfg(cfg)
    if abort_if is not None:
        runner.register_hook(_abort_hook(abort_if), priority='LOWEST')
    runner.train()
    log(f'pretrain: done in {time.time() - t0:.0f} s')
    missing = [c for c in ckpts.values() if not osp.isfile(c)]
    if missing:
        raise RuntimeError(f'pre-training wrote no {missing}')
    return ckpts


def _abort_hook(abort_if):
    """A hook that stops a run when ``abort_if()`` turns True."""
    from mmengine.hooks import Hook

    class AbortHook(Hook):

        def after_train_iter(self, runner, *args, **kwargs) -> None:
            if abort_if():
                raise SystemExit('a worker failed; pre-training stopped')

    return AbortHook()


def init_checkpoint(work: str, ckpt: str, budget: int, part: str,
                    model: str = 'matteformer') -> str:
    """The fine-tuning initialisation of ``part`` from a DPT checkpoint,
    converted for ``model`` (a converter name: ``'matteformer'``,
    ``'vitmatte'``)."""
    import torch

    from dpt_mm.models.converters import convert_dpt
    from dpt_mm.utils.io import atomic_write, read_checkpoint
    out = osp.join(work, 'init', f'B{budget}_{part.replace("+", "-")}.pth')
    if not osp.isfile(out):
        sd = convert_dpt(read_checkpoint(ckpt), model, part)
        atomic_write(out, lambda f: torch.save(dict(state_dict=sd), f))
    return out


def _retarget(pipeline: Sequence[dict], train_root: str,
              bg_dir: str) -> List[dict]:
    """The fine-tuning pipeline reading foregrounds of ``train_root``."""
    out = []
    for t in pipeline:
        t = copy.deepcopy(t)
        if t['type'] == 'CompositeFg':
            base = osp.join(train_root, 'Training_set')
            t['fg_dirs'] = [
                osp.join(base, sub, 'fg')
                for sub in ('Adobe-licensed images', 'Other')
            ]
            t['alpha_dirs'] = [
                osp.join(base, sub, 'alpha')
                for sub in ('Adobe-licensed images', 'Other')
            ]
        elif t['type'] == 'RandomLoadResizeBg':
            t['bg_dir'] = bg_dir
        out.append(t)
    return out


def finetune_config(p, job: dict, work_dir: str, load_from: Optional[str]):
    """The fine-tuning config of one job."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, p.finetune_config))
    data = osp.join(ROOT, p.data_root)
    root = osp.join(data, p.label_budgets[job['label']])
    cfg.work_dir = work_dir
    cfg.experiment_name = job['name']
    cfg.launcher = 'none'
    ds = cfg.train_dataloader.dataset
    ds.data_root = root
    ds.pipeline = _retarget(ds.pipeline, root, osp.join(data, 'comp1k',
                                                         'bg'))
    n, warm = p.finetune_iters, min(p.finetune_warmup_iters,
                                    p.finetune_iters)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=n)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if 'prm_warmup_iters' in (cfg.model.get('train_cfg') or {}):
        cfg.model.train_cfg.prm_warmup_iters = warm
    cfg.param_scheduler = [
        dict(
            type='LinearLR',
            start_factor=1.0 / max(warm, 1),
            by_epoch=False,
            begin=0,
            end=warm),
        dict(
            type='CosineAnnealingLR',
            T_max=max(n - warm, 1),
            eta_min=0,
            by_epoch=False,
            begin=warm,
            end=max(n, warm + 1)),
    ]
    cfg.default_hooks.checkpoint = dict(
        type='SafeCheckpointHook', by_epoch=False, interval=n, max_keep_ckpts=1)
    cfg.default_hooks.logger = dict(
        type='LoggerHook', interval=max(1, n // 6))
    cfg.randomness = dict(seed=job['seed'], deterministic=False)
    cfg.load_from = load_from
    return cfg


def evaluate(model, test_cfg, split_root: str) -> Dict[str, float]:
    """DIM metrics of ``model`` (a mattor) on one test split."""
    import torch
    from mmengine.evaluator import Evaluator
    from mmengine.runner import Runner
    loader_cfg = copy.deepcopy(test_cfg.test_dataloader)
    loader_cfg.dataset.data_root = split_root
    loader_cfg.num_workers = 0
    loader_cfg.persistent_workers = False
    loader = Runner.build_dataloader(loader_cfg)
    evaluator = Evaluator(copy.deepcopy(test_cfg.test_evaluator))
    model.eval()
    with torch.no_grad():
        for batch in loader:
            evaluator.process(model.test_step(batch), batch)
    metrics = evaluator.evaluate(len(loader.dataset))
    return {k.split('/')[-1]: float(v) for k, v in metrics.items()}


def run_finetune(p, job: dict, work: str, ckpts: Dict[int, str]) -> dict:
    """Fine-tune one row and score it on both test splits."""
    from mmengine.runner import Runner
    load_from = None
    if job['init'] != 'random':
        load_from = init_checkpoint(work, ckpts[job['budget']],
                                    job['budget'], job['init'],
                                    p.get('finetune_model', 'matteformer'))
    ft_dir = osp.join(work, 'finetune', job['name'])
    cfg = finetune_config(p, job, ft_dir, load_from)
    t0 = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    result = dict(
        job, finetune_iters=p.finetune_iters, train_s=time.time() - t0,
        loss_first=float(losses[0]), loss_last=float(losses[-1]))
    for split, sub in p.test_splits.items():
        result[split] = evaluate(runner.model, cfg,
                                 osp.join(ROOT, p.data_root, sub))
    return result


def run_zeroshot(p, job: dict, ckpts: Dict[int, str]) -> dict:
    """The pre-trained DPT network itself on both test splits."""
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint

    from dpt_mm.registry import MODELS
    cfg = Config.fromfile(osp.join(ROOT, p.pretrain_config))
    model = MODELS.build(cfg.model)
    load_checkpoint(model, ckpts[job['budget']], map_location='cpu',
                    strict=True, logger='silent')
    # the demo pre-training config's own test split is the held-out one;
    # the test pipeline is the matting one of its comp1k_test base
    result = dict(job)
    for split, sub in p.test_splits.items():
        result[split] = evaluate(model, cfg, osp.join(ROOT, p.data_root,
                                                      sub))
    return result


def run_classical(p, job: dict) -> dict:
    """pymatting's closed-form matting on the same test inputs."""
    import cv2
    import numpy as np
    from pymatting import estimate_alpha_cf

    from dpt_mm.evaluation.functional import compute_all
    result = dict(job)
    for split, sub in p.test_splits.items():
        root = osp.join(ROOT, p.data_root, sub)
        with open(osp.join(root, 'test_list.json')) as f:
            samples = json.load(f)['data_list']
        rows = []
        for s in samples:
            merged = cv2.imread(osp.join(root, s['merged_path']))
            trimap = cv2.imread(osp.join(root, s['trimap_path']), 0)
            alpha = cv2.imread(osp.join(root, s['alpha_path']), 0)
            if not ((trimap == 255).any() and (trimap == 0).any()):
                raise ValueError(f'{s["trimap_path"]}: closed-form matting '
                                 'needs foreground and background pixels')
            pred = estimate_alpha_cf(
                merged[..., ::-1].astype(np.float64) / 255,
                trimap.astype(np.float64) / 255)
            pred = np.round(np.clip(pred, 0, 1) * 255).astype(np.uint8)
            rows.append(compute_all(pred, alpha, trimap, mask_pred=True))
        result[split] = {
            k: float(np.mean([r[k] for r in rows]))
            for k in METRICS
        }
    return result


def run_jobs(p, work: str, ckpts: Dict[int, str], jobs: List[dict],
             worker: int, workers: int) -> None:
    """Run this worker's share of ``jobs``; each result is one JSON file
    (written atomically, so a killed worker loses only its current job)."""
    import torch

    import dpt_mm  # noqa: F401
    from dpt_mm.utils.io import atomic_write_text
    from mmengine.registry import init_default_scope
    init_default_scope('mmagic')
    torch.set_num_threads(p.worker_threads)
    mine = jobs[worker::workers]
    for i, job in enumerate(mine):
        out = osp.join(work, 'results', job['name'] + '.json')
        if osp.isfile(out):
            with open(out) as f:
                done = json.load(f).get('finetune_iters', p.finetune_iters)
            if job['kind'] == 'finetune' and done != p.finetune_iters:
                raise RuntimeError(
                    f'{out}: fine-tuned {done} iterations, this protocol '
                    f'{p.finetune_iters}; use another --work-dir')
            continue
        t0 = time.time()
        if job['kind'] == 'finetune':
            result = run_finetune(p, job, work, ckpts)
        elif job['kind'] == 'zeroshot':
            result = run_zeroshot(p, job, ckpts)
        else:
            result = run_classical(p, job)
        result['wall_s'] = time.time() - t0
        text = json.dumps(result, indent=1) + '\n'
        atomic_write_text(out, text)
        sad = {k: round(v['SAD'], 3) for k, v in result.items()
               if isinstance(v, dict) and 'SAD' in v}
        log(f'worker {worker}: job {i + 1}/{len(mine)} {job["name"]} '
            f'SAD {sad} ({result["wall_s"]:.0f} s)')


def _worker_cmd(args, work: str, worker: int, workers: int,
                phase: str) -> List[str]:
    cmd = [sys.executable, osp.abspath(__file__), args.config,
           '--work-dir', work, '--worker', f'{worker}/{workers}',
           '--phase', phase]
    if args.data_root:
        cmd += ['--data-root', args.data_root]
    return cmd + (['--smoke'] if args.smoke else [])


def _wait(procs: List[subprocess.Popen]) -> None:
    codes = [proc.wait() for proc in procs]
    if any(codes):
        raise SystemExit(f'a worker failed (exit codes {codes}); rerun the '
                         'same command to resume')


def run_all(args, p, work: str) -> None:
    """Steps 2 and 3. With ``workers > 1``: the jobs that need no
    pre-training (random init, classical) run in one worker process while
    this process pre-trains; then ``workers`` processes share the rest."""
    jobs = job_list(p)
    if p.workers <= 1:
        ckpts = pretrain(p, work)
        run_jobs(p, work, ckpts, jobs, 0, 1)
        return
    env = dict(os.environ, OMP_NUM_THREADS=str(p.worker_threads))
    side = subprocess.Popen(
        _worker_cmd(args, work, 0, 1, 'independent'), env=env)
    try:
        pretrain(p, work, abort_if=lambda: side.poll() not in (None, 0))
    except BaseException:
        side.terminate()
        raise
    _wait([side])
    _wait([
        subprocess.Popen(
            _worker_cmd(args, work, w, p.workers, 'dependent'), env=env)
        for w in range(p.workers)
    ])


# --------------------------------------------------------------- report


def _mean_std(values: Sequence[float]):
    import numpy as np
    arr = np.asarray(values, dtype=np.float64)
    std = float(arr.std(ddof=1)) if len(arr) > 1 else 0.0
    return float(arr.mean()), std


def load_results(work: str) -> List[dict]:
    results = []
    for path in sorted(glob.glob(osp.join(work, 'results', '*.json'))):
        with open(path) as f:
            results.append(json.load(f))
    return results


def summarise(p, results: List[dict]) -> List[dict]:
    """Rows of the report: one per (label, init, budget), plus zero-shot
    and classical; values are (mean, std) over seeds, gains paired by
    seed against random init."""
    rows = []
    ft = [r for r in results if r['kind'] == 'finetune']
    for label in p.label_budgets:
        random_by_seed = {
            r['seed']: r
            for r in ft if r['label'] == label and r['init'] == 'random'
        }
        for init in p.inits:
            for b in ([0] if init == 'random' else
                      [b for b in p.pretrain_budgets if b > 0]):
                runs = [
                    r for r in ft if r['label'] == label
                    and r['init'] == init and r['budget'] == b
                ]
                if not runs:
                    continue
                row = dict(label=label, init=init, budget=b, n=len(runs))
                for split in p.test_splits:
                    for m in METRICS:
                        row[f'{split}/{m}'] = _mean_std(
                            [r[split][m] for r in runs])
                        if init != 'random':
                            gains = [
                                random_by_seed[r['seed']][split][m] -
                                r[split][m] for r in runs
                                if r['seed'] in random_by_seed
                            ]
                            if gains:
                                row[f'{split}/{m}_gain'] = _mean_std(gains)
                row['loss_last'] = _mean_std([r['loss_last'] for r in runs])
                rows.append(row)
    for r in sorted(results, key=lambda r: (r['kind'], r.get('budget', 0))):
        if r['kind'] in ('zeroshot', 'classical'):
            row = dict(
                label='-',
                init='zero-shot DPT' if r['kind'] == 'zeroshot' else
                f'classical ({p.classical})',
                budget=r.get('budget', 0),
                n=1)
            for split in p.test_splits:
                for m in METRICS:
                    row[f'{split}/{m}'] = (r[split][m], 0.0)
            rows.append(row)
    return rows


def _fmt(ms, scale: float = 1.0, digits: int = 3) -> str:
    mean, std = ms
    return f'{mean * scale:.{digits}f} ± {std * scale:.{digits}f}'


def markdown_table(p, rows: List[dict]) -> str:
    """The report table: per split SAD / MSE(1e-3) / Grad / Conn and the
    SAD gain over random init (positive = better than random)."""
    lines = []
    for split in p.test_splits:
        lines += [
            f'**{split}** split (mean ± std over seeds; SAD, Grad and Conn '
            '/ 1000, MSE x 1e3; gain = random − this row, paired by seed, '
            'positive = better)', '',
            '| labels | init | pre-train iters | n | SAD | MSE (1e-3) | '
            'Grad | Conn | SAD gain vs random |',
            '|---|---|---|---|---|---|---|---|---|'
        ]
        for r in rows:
            gain = r.get(f'{split}/SAD_gain')
            lines.append(
                f'| {r["label"]} | {r["init"]} | {r["budget"]} | {r["n"]} | '
                f'{_fmt(r[f"{split}/SAD"])} | '
                f'{_fmt(r[f"{split}/MSE"], 1e3)} | '
                f'{_fmt(r[f"{split}/Grad"])} | {_fmt(r[f"{split}/Conn"])} | '
                f'{_fmt(gain) if gain else "-"} |')
        lines.append('')
    return '\n'.join(lines)


def plot(p, rows: List[dict], out: str) -> None:
    """SAD against the pre-training budget, one line per init and label
    budget (error bars: std over seeds), one panel per test split."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from dpt_mm.utils.io import atomic_write
    budgets = sorted(p.pretrain_budgets)
    fig, axes = plt.subplots(
        1, len(p.test_splits), figsize=(6 * len(p.test_splits), 4.2),
        squeeze=False)
    styles = {'all': '-', 'scarce': '--'}
    colors = {'encoder': 'tab:blue', 'encoder+decoder': 'tab:red'}
    for ax, split in zip(axes[0], p.test_splits):
        for label in p.label_budgets:
            base = [
                r for r in rows if r['label'] == label
                and r['init'] == 'random'
            ]
            if base:
                m, s = base[0][f'{split}/SAD']
                ax.axhspan(m - s, m + s, color='grey', alpha=0.12)
                ax.axhline(
                    m, color='grey', ls=styles.get(label, ':'),
                    label=f'{label} labels, random init')
            for init in p.inits:
                if init == 'random':
                    continue
                pts = [(0, base[0][f'{split}/SAD'])] if base else []
                pts += [(r['budget'], r[f'{split}/SAD']) for r in rows
                        if r['label'] == label and r['init'] == init]
                if len(pts) < 2:
                    continue
                ax.errorbar([x for x, _ in pts], [v[0] for _, v in pts],
                            yerr=[v[1] for _, v in pts],
                            color=colors.get(init), ls=styles.get(label, ':'),
                            marker='o', capsize=3,
                            label=f'{label} labels, DPT {init}')
        zs = [r for r in rows if r['init'] == 'zero-shot DPT']
        if zs:
            ax.plot([r['budget'] for r in zs],
                    [r[f'{split}/SAD'][0] for r in zs], 'k:^',
                    label='zero-shot DPT (no fine-tuning)')
        cl = [r for r in rows if r['init'].startswith('classical')]
        if cl:
            ax.axhline(cl[0][f'{split}/SAD'][0], color='green', ls='-.',
                       label=cl[0]['init'])
        ax.set_xticks(budgets)
        ax.set_xlabel('DPT pre-training iterations (batch 4)')
        ax.set_ylabel('SAD / 1000 (lower is better)')
        ax.set_title(f'{split} test split')
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc='best')
    fig.tight_layout()
    atomic_write(out, lambda f: fig.savefig(f, dpi=110, format='png'))
    plt.close(fig)


def report(p, work: str, report_dir: str, command: str,
           wall_s: float) -> str:
    """Write ``<report_name>_table.md`` and ``<report_name>_sad.png``
    (``report_name``: the protocol's, default ``dpt_transfer``)."""
    import torch

    from dpt_mm.utils.io import atomic_write_text
    results = load_results(work)
    rows = summarise(p, results)
    table = markdown_table(p, rows)
    jobs_s = sum(r.get('wall_s', 0) for r in results)
    head = (f'Command: `{command}`  \n'
            f'Wall time: {wall_s / 60:.1f} min this invocation '
            f'(jobs {jobs_s / 60:.1f} min of worker time in all); '
            f'{len(results)} results.  \n'
            f'Machine: {platform.machine()}, {os.cpu_count()} CPUs, '
            f'{platform.python_version()}, torch {torch.__version__}, '
            f'{p.workers} worker(s) x {p.worker_threads} thread(s).\n\n')
    text = head + table
    os.makedirs(report_dir, exist_ok=True)
    name = p.get('report_name', 'dpt_transfer')
    atomic_write_text(osp.join(report_dir, f'{name}_table.md'), text)
    plot(p, rows, osp.join(report_dir, f'{name}_sad.png'))
    return text


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='protocol config')
    parser.add_argument('--work-dir', default=None,
                        help='default: work_dirs/<config name>[_smoke]')
    parser.add_argument('--report-dir', default=None,
                        help='where the table and plot go (default: the '
                        'work dir)')
    parser.add_argument('--data-root', default=None,
                        help="override the protocol's data_root")
    parser.add_argument('--smoke', action='store_true',
                        help='tiny data, 2 iterations, one seed')
    parser.add_argument('--worker', default=None, help=argparse.SUPPRESS)
    parser.add_argument('--phase', default='all', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    p = load_protocol(args.config, args.smoke)
    if args.data_root:
        p.data_root = osp.abspath(args.data_root)
    name = osp.splitext(osp.basename(args.config))[0]
    work = osp.abspath(args.work_dir or osp.join(
        ROOT, 'work_dirs', name + ('_smoke' if args.smoke else '')))
    jobs = job_list(p)
    if args.worker is not None:  # a worker subprocess
        budgets = sorted(b for b in p.pretrain_budgets if b > 0)
        ckpts = {b: osp.join(work, 'pretrain', f'iter_{b}.pth')
                 for b in budgets}
        independent = [
            j for j in jobs if j['kind'] == 'classical'
            or j.get('init') == 'random'
        ]
        share = independent if args.phase == 'independent' else [
            j for j in jobs if j not in independent
        ]
        worker, workers = (int(v) for v in args.worker.split('/'))
        run_jobs(p, work, ckpts, share, worker, workers)
        return
    t0 = time.time()
    command = ' '.join(['python', osp.relpath(__file__, ROOT)] +
                       (argv if argv is not None else sys.argv[1:]))
    log(f'{len(jobs)} jobs; work dir {work}')
    make_data(p)
    run_all(args, p, work)
    text = report(p, work, args.report_dir or work, command,
                  time.time() - t0)
    print(text)
    log(f'done in {(time.time() - t0) / 60:.1f} min')


if __name__ == '__main__':
    main()
