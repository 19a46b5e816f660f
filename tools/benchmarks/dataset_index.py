"""Time the image index of UnlabeledImageDataset at ImageNet scale.

Generates a list file of ``--num`` lines and a folder of as many empty
``.JPEG`` files in ``--classes`` sub-folders, then times, in one run: the
list file read by dpt-mm and by mmpretrain's ``list_from_file``; the folder
scanned by mmpretrain's ``CustomDataset(with_label=False)`` walk, by
dpt-mm's walk (which records folder mtimes), and read from dpt-mm's scan
cache. Prints the times and their ratios.

Usage::

    python tools/benchmarks/dataset_index.py [--num 1281167] [--work DIR]
"""
import argparse
import os
import os.path as osp
import shutil
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

OLD = 1_500_000_000  # folder mtimes outside the scan cache's racy window


def generate(work: str, num: int, classes: int) -> None:
    """Write ``meta/train.txt`` and ``train/<class>/<image>.JPEG`` files."""
    os.makedirs(osp.join(work, 'meta'), exist_ok=True)
    lines = []
    for i in range(num):
        c = i % classes
        lines.append(f'n{c:08d}/n{c:08d}_{i}.JPEG {c}')
    with open(osp.join(work, 'meta', 'train.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    train = osp.join(work, 'train')
    for c in range(classes):
        os.makedirs(osp.join(train, f'n{c:08d}'), exist_ok=True)
    for line in lines:
        fd = os.open(osp.join(train, line.split(' ')[0]),
                     os.O_CREAT | os.O_WRONLY, 0o644)
        os.close(fd)
    for c in range(classes):
        os.utime(osp.join(train, f'n{c:08d}'), (OLD, OLD))
    os.utime(train, (OLD, OLD))


def timed(fn, repeat: int):
    """Best wall time of ``repeat`` calls and the last result."""
    best, out = float('inf'), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num', type=int, default=1_281_167)
    parser.add_argument('--classes', type=int, default=1000)
    parser.add_argument('--repeat', type=int, default=2)
    parser.add_argument('--work', help='folder for the generated data '
                        '(default: a temporary one, removed afterwards)')
    args = parser.parse_args()

    from mmengine.fileio import list_from_file
    from mmpretrain.datasets.custom import get_samples

    from dpt_mm.datasets import UnlabeledImageDataset

    work = args.work or tempfile.mkdtemp(prefix='dpt_index_')
    try:
        if not osp.exists(osp.join(work, 'meta', 'train.txt')):
            start = time.perf_counter()
            generate(work, args.num, args.classes)
            print(f'generated {args.num} files in '
                  f'{time.perf_counter() - start:.1f} s ({work})')
        train = osp.join(work, 'train')
        cache = osp.join(work, 'cache')

        def dataset(**kw):
            return UnlabeledImageDataset(
                data_root=work, data_prefix=dict(img_path='train'),
                cache_dir=cache, lazy_init=True, **kw)

        lst = dataset(ann_file='meta/train.txt')
        t_list, n = timed(lst.load_data_list, args.repeat)
        t_mmp_list, _ = timed(
            lambda: [x.rsplit(' ', 1)[0] for x in list_from_file(
                osp.join(work, 'meta', 'train.txt'))], args.repeat)
        valid = lst.is_valid_file if hasattr(lst, 'is_valid_file') else (
            lambda name: name.lower().endswith(lst.extensions))
        t_mmp_scan, _ = timed(lambda: get_samples(train, None, valid),
                              args.repeat)
        t_scan, _ = timed(dataset(use_scan_cache=False).load_data_list,
                          args.repeat)
        shutil.rmtree(cache, ignore_errors=True)
        t_write, _ = timed(dataset().load_data_list, 1)  # scan + write
        cached = dataset()
        t_cache, m = timed(cached.load_data_list, args.repeat)
        assert cached.scan_source == 'cache' and len(m) == len(n)

        print(f'{len(n)} images, best of {args.repeat} (seconds):')
        rows = [('list file, dpt-mm', t_list),
                ('list file, mmengine list_from_file', t_mmp_list),
                ('folder scan, mmpretrain get_samples', t_mmp_scan),
                ('folder scan, dpt-mm (no cache)', t_scan),
                ('folder scan + cache write', t_write),
                ('folder from the scan cache', t_cache)]
        for name, t in rows:
            print(f'  {name:40s} {t:8.2f}')
        print('ratios:')
        for name, ratio in (
            ('mmpretrain scan / cache read', t_mmp_scan / t_cache),
            ('dpt-mm scan / cache read', t_scan / t_cache),
            ('mmpretrain scan / dpt-mm scan', t_mmp_scan / t_scan),
            ('cache read / list file', t_cache / t_list),
            ('dpt-mm list / mmengine list', t_list / t_mmp_list)):
            print(f'  {name:34s} {ratio:6.2f}')
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
