"""Paired SAD difference between two rows of dpt_transfer.py runs, also
across work dirs (e.g. a control with a longer fine-tuning against the
protocol's DPT rows).

    python tools/experiments/paired_gain.py \\
        --ref /work/exp23c:random:0 --row /work/exp23:encoder+decoder:500

A side is ``WORK_DIR:INIT:BUDGET``: the driver's results in ``WORK_DIR``
for that initialisation and pre-training budget. For every label budget and
test split it prints both sides' SAD (mean ± std over seeds) and the gain
``ref - row`` paired by seed (positive: ``row`` is better), over the seeds
both sides have.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, Tuple

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from dpt_transfer import _mean_std, load_results  # noqa: E402


def side(spec: str) -> Dict[Tuple[str, int], dict]:
    """``(label, seed) -> result`` of one side ``WORK_DIR:INIT:BUDGET``."""
    try:
        work, init, budget = spec.rsplit(':', 2)
        budget = int(budget)
    except ValueError:
        sys.exit(f'{spec}: expected WORK_DIR:INIT:BUDGET')
    found = {(r['label'], r['seed']): r for r in load_results(work)
             if r['kind'] == 'finetune' and r['init'] == init
             and r['budget'] == budget}
    if not found:
        sys.exit(f'{spec}: no fine-tuning results for init {init!r}, '
                 f'budget {budget} in {osp.join(work, "results")}')
    return found


def fmt(ms) -> str:
    return f'{ms[0]:.3f} ± {ms[1]:.3f}'


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--ref', required=True, help='WORK_DIR:INIT:BUDGET')
    parser.add_argument('--row', required=True, help='WORK_DIR:INIT:BUDGET')
    parser.add_argument('--metric', default='SAD')
    args = parser.parse_args(argv)
    ref, row = side(args.ref), side(args.row)
    m = args.metric
    print(f'ref = {args.ref}; row = {args.row}; {m} / 1000, mean ± std '
          'over seeds; gain = ref - row paired by seed')
    for name, results in (('ref', ref), ('row', row)):
        iters = sorted({str(r.get('finetune_iters', 'not recorded'))
                        for r in results.values()})
        print(f'{name} fine-tuning iterations: {", ".join(iters)}')
    print(f'| labels | split | seeds | ref {m} | row {m} | gain |')
    print('|---|---|---|---|---|---|')
    for label in sorted({k[0] for k in ref} & {k[0] for k in row}):
        seeds = sorted(s for (lb, s) in ref if lb == label
                       and (lb, s) in row)
        if not seeds:
            print(f'| {label} | - | 0 | no seed on both sides | | |')
            continue
        for split in ('in_dist', 'heldout'):
            a = [ref[(label, s)][split][m] for s in seeds]
            b = [row[(label, s)][split][m] for s in seeds]
            gain = [x - y for x, y in zip(a, b)]
            print(f'| {label} | {split} | {len(seeds)} | '
                  f'{fmt(_mean_std(a))} | {fmt(_mean_std(b))} | '
                  f'{fmt(_mean_std(gain))} |')


if __name__ == '__main__':
    main()
