"""Unlabeled image dataset for DPT pre-training (e.g. ImageNet-1k train).

What is DPT's own: every image paired with a random background, corrupt
files skipped with a shared count, and a folder-scan cache
(tools/benchmarks/dataset_index.py measures it against a scan).
"""
import hashlib
import json
import logging
import multiprocessing as mp
import os
import os.path as osp
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.fileio import get_file_backend, list_from_file
from mmengine.logging import print_log

from dpt_mm.registry import DATASETS
from dpt_mm.utils.io import atomic_write_text
from dpt_mm.utils.io import IMG_EXTENSIONS
from dpt_mm.utils.patches import serialize_without_gc
from .transforms.loading import UnreadableImageError


class DataRootError(ValueError):
    """A dataset's image folder or list file yields no usable image.

    The message starts with the folder / file concerned, so that tools can
    print it as one ``error: PATH: problem`` line.
    """


class DataRootNotFoundError(DataRootError, FileNotFoundError):
    """A dataset's image folder or list file does not exist."""

_CACHE_VERSION = 1
# directories modified this close to the scan are not trusted by the cache:
# a file added within the file system's timestamp granularity could leave
# their mtime unchanged (the "racy" case)
_RACY_NS = 2 * 10**9


class SharedCounter:
    """An integer counter shared by forked data loader workers.

    It lives in shared memory created by the main process, so workers that
    inherit it by ``fork`` add to the same count the main process reads.
    When pickled (``spawn`` workers, deep copies) it becomes a private
    counter starting from the current value.

    Args:
        value (int): Initial value. Defaults to 0.
    """

    def __init__(self, value: int = 0) -> None:
        self._value = mp.Value('q', int(value), lock=True)

    def increment(self, step: int = 1) -> int:
        """Add ``step`` and return the new value."""
        with self._value.get_lock():
            self._value.value += step
            return self._value.value

    def set(self, value: int) -> None:
        """Set the count to ``value``."""
        with self._value.get_lock():
            self._value.value = int(value)

    @property
    def value(self) -> int:
        """The current count."""
        return int(self._value.value)

    def __reduce__(self):
        return self.__class__, (self.value, )


def record_skip(counter: SharedCounter, err: UnreadableImageError) -> None:
    """Count a skipped unreadable image and log a warning naming it.

    Args:
        counter (SharedCounter): The dataset's skip counter.
        err (UnreadableImageError): Why the image was skipped.
    """
    count = counter.increment()
    print_log(
        f'skipped unreadable image {err.filename} ({err.reason}); '
        f'{count} unreadable image(s) skipped so far',
        logger='current',
        level=logging.WARNING)


def _default_cache_dir() -> str:
    """Return ``$XDG_CACHE_HOME/dpt_mm/scan`` (or ``~/.cache/...``)."""
    base = os.environ.get('XDG_CACHE_HOME') or osp.join(
        osp.expanduser('~'), '.cache')
    return osp.join(base, 'dpt_mm', 'scan')


@DATASETS.register_module()
class UnlabeledImageDataset(BaseDataset):
    """Images without labels; each sample also draws a random background.

    The images come from a list file (``ann_file``: one path per line,
    relative to ``data_prefix['img_path']``; a trailing integer label as in
    mmpretrain's ImageNet lists, blank lines and ``#`` comments are
    ignored) or, without a list file, from a recursive scan of
    ``data_prefix['img_path']`` for image extensions. The scan is cached in
    ``cache_dir`` (keyed by the absolute folder) together with the
    modification time of every folder it visited; a later build re-uses it
    when no folder changed, so an ImageNet-scale start does not walk 1.28M
    files again.

    Each sample is ``{'fg_path', 'bg_path', 'sample_idx', 'bg_idx'}``: the
    background is another image of the dataset drawn uniformly at random
    (numpy's global random state, which MMEngine seeds per worker and rank,
    so workers differ and a seeded run repeats).

    A missing, empty or corrupt file (an ``UnreadableImageError`` from
    ``LoadImageReduced``, or ``cv2``/``mmcv`` decode errors reported that
    way) is skipped with a warning naming the file: the sample is replaced
    by another random one (``BaseDataset`` refetch). Skips are counted in
    :attr:`num_skipped`, shared by forked workers; ``SkippedImagesHook``
    puts the count in the training log. A dataset with no image, or whose
    first ``probe_limit`` images are all unreadable, fails at build.

    Args:
        ann_file (str): List file, relative to ``data_root``; '' scans the
            image folder instead. Defaults to ''.
        data_root (str): Root folder. Defaults to ''.
        data_prefix (dict): ``img_path``: image folder relative to
            ``data_root``. Defaults to ``dict(img_path='')``.
        pipeline (list): Transforms. Defaults to [].
        extensions (Sequence[str]): Image extensions for the scan
            (case-insensitive). Defaults to ``IMG_EXTENSIONS``.
        cache_dir (str, optional): Folder of scan caches; None uses
            ``~/.cache/dpt_mm/scan``. Defaults to None.
        use_scan_cache (bool): Read and write the scan cache. Defaults to
            True.
        probe_limit (int): At build, images are test-decoded in order until
            one succeeds; fail if the first ``probe_limit`` all fail.
            Defaults to 32.
        skip_unreadable (bool): Skip unreadable images (True) or raise.
            Defaults to True.
        **kwargs: Other ``mmengine.dataset.BaseDataset`` arguments.
    """

    def __init__(self,
                 ann_file: str = '',
                 data_root: str = '',
                 data_prefix: dict = dict(img_path=''),
                 pipeline: List[Any] = [],
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 cache_dir: Optional[str] = None,
                 use_scan_cache: bool = True,
                 probe_limit: int = 32,
                 skip_unreadable: bool = True,
                 **kwargs) -> None:
        self.extensions = tuple(e.lower() for e in extensions)
        self.cache_dir = cache_dir or _default_cache_dir()
        self.use_scan_cache = use_scan_cache
        self.probe_limit = int(probe_limit)
        self.skip_unreadable = skip_unreadable
        self.scan_source = None  # 'list', 'scan' or 'cache' after loading
        self._skip_counter = SharedCounter()
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            pipeline=pipeline,
            **kwargs)

    # ------------------------------------------------------------ loading
    @property
    def img_root(self) -> str:
        """The folder that image paths are relative to."""
        return self.data_prefix.get('img_path', '') or self.data_root or ''

    def load_data_list(self) -> List[dict]:
        """Read the image list (list file or cached scan).

        Returns:
            list[dict]: ``{'fg_path': path}`` per image.
        """
        if self.ann_file:
            rel_paths, base = self._read_list_file()
            self.scan_source = 'list'
        else:
            base = self.img_root
            rel_paths = self._scan_with_cache(base)
        if not rel_paths:
            where = self.ann_file or base
            raise DataRootError(
                f'{where}: no image found (extensions '
                f'{", ".join(self.extensions)}; {type(self).__name__})')
        return [dict(fg_path=osp.join(base, p)) for p in rel_paths]

    def _read_list_file(self) -> Tuple[List[str], str]:
        """Parse ``ann_file``; return relative paths and their base folder."""
        if not osp.isfile(self.ann_file):
            raise DataRootNotFoundError(
                f'{self.ann_file}: list file does not exist '
                f'({type(self).__name__})')
        paths = []
        for line in list_from_file(self.ann_file, encoding='utf-8'):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            head, sep, tail = line.rpartition(' ')
            if sep and tail.lstrip('-').isdigit():  # "path label"
                line = head.strip()
            paths.append(line)
        base = self.img_root
        if paths and not osp.isabs(paths[0]) and not osp.exists(
                osp.join(base, paths[0])) and self.data_root and osp.exists(
                    osp.join(self.data_root, paths[0])):
            # the list holds paths relative to data_root, not the prefix
            base = self.data_root
        return paths, base

    def _cache_file(self, root: str) -> str:
        """Return the cache file of a scan of ``root``."""
        key = json.dumps([osp.abspath(root), sorted(self.extensions)])
        digest = hashlib.sha1(key.encode('utf-8')).hexdigest()[:16]
        return osp.join(self.cache_dir, f'scan_{digest}.txt')

    def _scan_with_cache(self, root: str) -> List[str]:
        """Scan ``root`` for images, re-using a still valid cache."""
        if not osp.isdir(root):
            raise DataRootNotFoundError(
                f'{root}: image folder does not exist '
                f'({type(self).__name__})')
        cache_file = self._cache_file(root)
        if self.use_scan_cache:
            cached = self._read_cache(cache_file, root)
            if cached is not None:
                self.scan_source = 'cache'
                return cached
        start_ns = time.time_ns()
        paths, dir_mtimes = self._scan(root)
        self.scan_source = 'scan'
        racy = any(m > start_ns - _RACY_NS for m in dir_mtimes.values())
        if self.use_scan_cache and paths and not racy:
            header = dict(
                version=_CACHE_VERSION,
                root=osp.abspath(root),
                extensions=sorted(self.extensions),
                dirs=dir_mtimes)
            try:
                atomic_write_text(
                    cache_file,
                    json.dumps(header) + '\n' + '\n'.join(paths) + '\n')
            except OSError as err:  # read-only cache folder: scan next time
                print_log(
                    f'could not write scan cache {cache_file}: {err}',
                    logger='current',
                    level=logging.WARNING)
        return paths

    def _scan(self, root: str) -> Tuple[List[str], Dict[str, int]]:
        """Walk ``root``; return sorted relative image paths and dir mtimes."""
        paths: List[str] = []
        dir_mtimes: Dict[str, int] = {}
        stack = ['']
        while stack:
            rel_dir = stack.pop()
            abs_dir = osp.join(root, rel_dir) if rel_dir else root
            dir_mtimes[rel_dir] = os.stat(abs_dir).st_mtime_ns
            with os.scandir(abs_dir) as entries:
                for entry in entries:
                    rel = osp.join(rel_dir, entry.name) if rel_dir \
                        else entry.name
                    if entry.is_dir(follow_symlinks=True):
                        if not entry.name.startswith('.'):
                            stack.append(rel)
                    elif entry.name.lower().endswith(self.extensions):
                        paths.append(rel)
        paths.sort()
        return paths, dir_mtimes

    def _read_cache(self, cache_file: str, root: str) -> Optional[List[str]]:
        """Return the cached paths if every scanned folder is unchanged."""
        if not osp.isfile(cache_file):
            return None
        try:
            with open(cache_file, encoding='utf-8') as f:
                header = json.loads(f.readline())
                if header.get('version') != _CACHE_VERSION or header.get(
                        'root') != osp.abspath(root) or header.get(
                            'extensions') != sorted(self.extensions):
                    return None
                for rel_dir, mtime in header['dirs'].items():
                    abs_dir = osp.join(root, rel_dir) if rel_dir else root
                    if os.stat(abs_dir).st_mtime_ns != mtime:
                        return None
                return [line.rstrip('\n') for line in f if line.strip()]
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing folder or damaged cache: scan again

    def _serialize_data(self) -> Tuple[np.ndarray, np.ndarray]:
        """MMEngine's serialization without its ``gc.collect`` (see
        :func:`dpt_mm.utils.patches.serialize_without_gc`)."""
        return serialize_without_gc(self)

    def full_init(self) -> None:
        """Load the list, then check that at least one image is readable."""
        if self._fully_initialized:
            return
        super().full_init()
        self._probe_readable()

    def _probe_readable(self) -> None:
        """Fail at build when the first ``probe_limit`` images are unreadable.
        """
        if self.probe_limit <= 0:
            return
        n = len(self)
        errors = []
        for idx in range(min(n, self.probe_limit)):
            path = self.get_data_info(idx)['fg_path']
            try:
                backend = get_file_backend(uri=path)
                data = backend.get(path)
                img = cv2.imdecode(
                    np.frombuffer(data, np.uint8), cv2.IMREAD_REDUCED_COLOR_8)
                if img is not None:
                    return
                errors.append(f'{path}: not a decodable image')
            except Exception as err:
                errors.append(f'{path}: {type(err).__name__}: {err}')
        raise DataRootError(
            f'{self.img_root}: no readable image among the first '
            f'{len(errors)} of {n} files ({type(self).__name__}); e.g. ' +
            '; '.join(errors[:3]))

    # ----------------------------------------------------------- sampling
    def _draw_bg_index(self, idx: int) -> int:
        """Draw a background index uniformly among the other images."""
        n = len(self)
        if n < 2:
            return idx
        j = int(np.random.randint(0, n - 1))
        return j + 1 if j >= idx else j

    def prepare_data(self, idx: int) -> Any:
        """Pair image ``idx`` with a random background and run the pipeline.

        Args:
            idx (int): Index of the foreground image.

        Returns:
            Any: The pipeline output, or None when an image was unreadable
            (then ``BaseDataset`` draws another sample).
        """
        data_info = self.get_data_info(idx)
        bg_idx = self._draw_bg_index(data_info['sample_idx'])
        data_info['bg_idx'] = bg_idx
        data_info['bg_path'] = self.get_data_info(bg_idx)['fg_path']
        try:
            return self.pipeline(data_info)
        except UnreadableImageError as err:
            if not self.skip_unreadable or self.test_mode:
                raise
            record_skip(self._skip_counter, err)
            return None

    @property
    def num_skipped(self) -> int:
        """Number of unreadable images skipped so far (all forked workers)."""
        return self._skip_counter.value
