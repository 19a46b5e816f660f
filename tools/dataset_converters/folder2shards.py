r"""Pack an image folder (or an image list) into WebDataset tar shards.

Images are stored as they are on disk, shuffled across shards, each shard
written atomically and ``manifest.json`` last, so a folder with a manifest
holds complete shards (docs/streaming.md).

Usage::

    python tools/dataset_converters/folder2shards.py data/imagenet/train \
        data/in1k_shards --samples-per-shard 1000 --prefix in1k
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


# the atomic writer and the manifest format without ``import dpt_mm``
sys.path.append(osp.join(REPO, 'tools'))
from light_import import import_light  # noqa: E402

_io = import_light('utils.io')
_shards = import_light('datasets.shards')
IMG_EXTENSIONS = _io.IMG_EXTENSIONS


class InputError(Exception):
    """Bad input: reported as ``error: <file>: <problem>``, exit 2."""


def list_images(root: str, list_file: Optional[str] = None) -> List[str]:
    """Relative image paths, from a list file or a recursive scan, sorted.

    Args:
        root (str): Image folder.
        list_file (str, optional): One path per line, relative to ``root``
            (a trailing integer label, blank lines and ``#`` comments are
            ignored).

    Returns:
        list[str]: Relative paths.
    """
    if not osp.isdir(root):
        raise InputError(f'{root}: not a folder')
    if list_file:
        if not osp.isfile(list_file):
            raise InputError(f'{list_file}: list file not found')
        paths = []
        with open(list_file, encoding='utf-8') as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith('#'):
                    continue
                head, sep, tail = line.rpartition(' ')
                if sep and tail.lstrip('-').isdigit():
                    line = head.strip()
                paths.append(line)
        for p in paths:
            if not osp.isfile(osp.join(root, p)):
                raise InputError(
                    f'{list_file}: lists {p}, which is not a file in {root}')
    else:
        paths = []
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            dirnames[:] = [d for d in dirnames if not d.startswith('.')]
            rel_dir = osp.relpath(dirpath, root)
            for name in filenames:
                if name.lower().endswith(IMG_EXTENSIONS):
                    paths.append(
                        name if rel_dir == '.' else osp.join(rel_dir, name))
    if not paths:
        raise InputError(f'{list_file or root}: no image found')
    return sorted(paths)


def member_name(rel_path: str) -> str:
    """The tar member of an image: key without dots, lower-case suffix."""
    stem, ext = osp.splitext(rel_path.replace(os.sep, '/'))
    folder, _, name = stem.rpartition('/')
    key = (folder + '/' if folder else '') + name.replace('.', '_')
    return f'{key}{ext.lower()}'


def plan_shards(paths: Sequence[str], root: str, samples_per_shard: int,
                max_shard_bytes: Optional[int]) -> List[List[str]]:
    """Cut the image list into shards by count (and size)."""
    shards: List[List[str]] = [[]]
    size = 0
    for p in paths:
        nbytes = os.path.getsize(osp.join(root, p)) + 1024  # + tar header
        full = len(shards[-1]) >= samples_per_shard or (
            max_shard_bytes and shards[-1]
            and size + nbytes > max_shard_bytes)
        if full:
            shards.append([])
            size = 0
        shards[-1].append(p)
        size += nbytes
    return shards


def write_shard(path: str, root: str, members: Sequence[str]) -> int:
    """Write one tar shard atomically; return its size in bytes."""
    from webdataset import TarWriter

    def _write(f) -> None:
        with TarWriter(f, encoder=False, mtime=0) as writer:
            for rel in members:
                with open(osp.join(root, rel), 'rb') as img:
                    data = img.read()
                key, ext = osp.splitext(member_name(rel))
                writer.write({'__key__': key, ext[1:]: data})

    _io.atomic_write(path, _write)
    return os.path.getsize(path)


def convert(root: str,
            out_dir: str,
            list_file: Optional[str] = None,
            samples_per_shard: int = 1000,
            max_shard_bytes: Optional[int] = None,
            prefix: str = 'shard',
            seed: int = 0,
            keep_order: bool = False,
            overwrite: bool = False) -> dict:
    """Pack the images of ``root`` into shards in ``out_dir``.

    Returns:
        dict: The manifest written to ``out_dir/manifest.json``.
    """
    if samples_per_shard < 1:
        raise InputError(f'--samples-per-shard: must be >= 1, got '
                         f'{samples_per_shard}')
    paths = list_images(root, list_file)
    if not keep_order:
        import numpy as np
        order = np.random.default_rng(seed).permutation(len(paths))
        paths = [paths[i] for i in order]
    seen = {}
    for p in paths:
        name = member_name(p)
        if name in seen:
            raise InputError(f'{osp.join(root, p)}: same sample key as '
                             f'{seen[name]} ({name})')
        seen[name] = p
    manifest_path = osp.join(out_dir, _shards.MANIFEST_NAME)
    if osp.exists(manifest_path) and not overwrite:
        raise InputError(f'{manifest_path}: exists (pass --overwrite)')
    groups = plan_shards(paths, root, samples_per_shard, max_shard_bytes)
    width = max(6, len(str(len(groups) - 1)))
    written: List[str] = []
    entries = []
    try:
        for i, members in enumerate(groups):
            name = f'{prefix}-{i:0{width}d}.tar'
            path = osp.join(out_dir, name)
            written.append(path)
            nbytes = write_shard(path, root, members)
            entries.append(dict(name=name, samples=len(members),
                                bytes=nbytes))
        manifest = _shards.manifest_dict(entries)
        _io.atomic_write_text(manifest_path,
                              json.dumps(manifest, indent=1) + '\n')
    except BaseException:
        for path in written:
            if osp.exists(path):
                os.remove(path)
        raise
    return manifest


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Pack an image folder into WebDataset tar shards')
    parser.add_argument('root', help='image folder')
    parser.add_argument('out_dir', help='folder for the shards + manifest')
    parser.add_argument('--list', dest='list_file',
                        help='image list (paths relative to root)')
    parser.add_argument('--samples-per-shard', type=int, default=1000)
    parser.add_argument('--max-shard-bytes', type=int, default=None,
                        help='also close a shard before it exceeds this')
    parser.add_argument('--prefix', default='shard',
                        help='shard name prefix (<prefix>-000000.tar)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the image shuffle')
    parser.add_argument('--keep-order', action='store_true',
                        help='pack in sorted order (no shuffle)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing manifest')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the conversion; print the shard pattern for the config."""
    args = parse_args(argv)
    try:
        manifest = convert(args.root, args.out_dir, args.list_file,
                           args.samples_per_shard, args.max_shard_bytes,
                           args.prefix, args.seed, args.keep_order,
                           args.overwrite)
    except InputError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    except OSError as err:
        where = getattr(err, 'filename', None) or args.out_dir
        print(f'error: {where}: {err.strerror or err}', file=sys.stderr)
        return 2
    n = len(manifest['shards'])
    last = manifest['shards'][-1]['name']
    first = manifest['shards'][0]['name']
    print(f'{args.out_dir}: {n} shard(s) ({first} .. {last}), '
          f'{manifest["samples"]} samples, {manifest["bytes"]} bytes; '
          f'manifest {osp.join(args.out_dir, _shards.MANIFEST_NAME)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
