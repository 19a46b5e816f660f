"""Shard lists, shard manifests and opening shards for streamed pre-training.

What webdataset lacks is written here: list files and manifests with each
shard's sample count (the resumable stream needs them), and opening shards
through MMEngine's and fsspec's backends instead of webdataset's command-line
helpers (curl, gsutil). Formats: docs/streaming.md.
"""
import io
import json
import os.path as osp
import tarfile
from typing import IO, Dict, List, Optional, Sequence, Tuple, Union

MANIFEST_VERSION = 1
MANIFEST_NAME = 'manifest.json'
# sample members that hold the image, in order of preference
IMAGE_SUFFIXES = ('jpg', 'jpeg', 'png', 'webp', 'bmp', 'tif', 'tiff')
_LIST_SUFFIXES = ('.txt', '.list', '.lst', '.shards')


class ShardListError(ValueError):
    """A shard pattern, list file or manifest that cannot be used."""


def has_scheme(url: str) -> bool:
    """Whether ``url`` names a scheme (``s3://``, ``pipe:``), not a path."""
    if url.startswith('pipe:'):
        return True
    head, sep, _ = url.partition('://')
    return bool(sep) and head.isidentifier()


def join_url(base: str, name: str) -> str:
    """Resolve ``name`` against the folder ``base`` (path or URL)."""
    if not base or osp.isabs(name) or has_scheme(name):
        return name
    return base.rstrip('/') + '/' + name


def url_dirname(url: str) -> str:
    """The folder part of a path or URL."""
    if has_scheme(url) and not url.startswith('pipe:'):
        return url.rsplit('/', 1)[0] if '/' in url.split('://', 1)[1] \
            else url
    return osp.dirname(url)


def shard_name(url: str) -> str:
    """The file name of a shard (for logs)."""
    return url.rstrip('/').rsplit('/', 1)[-1]


def open_shard(url: str, backend_args: Optional[dict] = None) -> IO[bytes]:
    """Open a shard for reading as a binary stream.

    Local paths (and ``file://``) are opened directly; ``pipe:CMD`` runs
    ``CMD`` through webdataset's ``gopen``; with ``backend_args`` the
    MMEngine file backend they select reads the shard; other URLs go to
    fsspec when it has an implementation for the scheme (``s3://``,
    ``gs://``, ``hf://``, ... with their packages installed), else to
    MMEngine's backend for the URL (``http(s)://``, petrel ``s3://``).
    MMEngine's backends read a whole shard into memory.

    Args:
        url (str): Path or URL of the shard.
        backend_args (dict, optional): MMEngine ``backend_args``.

    Returns:
        IO[bytes]: A readable binary stream.
    """
    if url.startswith('file://'):
        url = url[len('file://'):]
    if not has_scheme(url) and not backend_args:
        return open(url, 'rb')
    if url.startswith('pipe:'):
        from webdataset.gopen import gopen
        return gopen(url, 'rb')
    if not backend_args:
        try:
            import fsspec
            protocol = url.split('://', 1)[0]
            fsspec.get_filesystem_class(protocol)  # its package installed?
        except (ImportError, ValueError):
            pass
        else:
            return fsspec.open(url, 'rb').open()
    from mmengine.fileio import get_file_backend
    backend = get_file_backend(uri=url, backend_args=backend_args)
    return io.BytesIO(backend.get(url))


def read_text(path: str, backend_args: Optional[dict] = None) -> str:
    """Read a small text file (list file, manifest) from a path or URL."""
    if not has_scheme(path) and not backend_args:
        with open(path, encoding='utf-8') as f:
            return f.read()
    with open_shard(path, backend_args) as f:
        return f.read().decode('utf-8')


def sample_key(member: str) -> Tuple[Optional[str], str]:
    """Split a member name into webdataset's sample key and suffix.

    In the WebDataset layout (what ``img2dataset`` and
    ``tools/dataset_converters/folder2shards.py`` write) the members of one
    sample share a key (``<key>.jpg``, ``<key>.json``, ...). As webdataset
    groups members: the key is the path up to the first dot
    of the file name, the suffix the rest (``a/b.seg.png`` -> ``a/b``,
    ``seg.png``).
    """
    from webdataset.tariterators import base_plus_ext
    key, suffix = base_plus_ext(member)
    return key, (suffix or '').lower()


def count_samples(url: str, backend_args: Optional[dict] = None) -> int:
    """Count the samples with an image member in one shard.

    Only the tar headers are read from a local file (tarfile seeks past
    the contents); other streams are read through.

    Args:
        url (str): Path or URL of the shard.
        backend_args (dict, optional): MMEngine ``backend_args``.

    Returns:
        int: Number of distinct sample keys with an image suffix.
    """
    keys = set()
    with open_shard(url, backend_args) as f:
        mode = 'r:*' if hasattr(f, 'seekable') and f.seekable() else 'r|*'
        with tarfile.open(fileobj=f, mode=mode) as tar:
            for info in tar:
                if not info.isreg():
                    continue
                key, suffix = sample_key(info.name)
                if key is not None and suffix in IMAGE_SUFFIXES:
                    keys.add(key)
    return len(keys)


def read_manifest(path: str,
                  backend_args: Optional[dict] = None
                  ) -> List[Tuple[str, int]]:
    """Read a shard manifest.

    Args:
        path (str): ``manifest.json`` path or URL.
        backend_args (dict, optional): MMEngine ``backend_args``.

    Returns:
        list[tuple[str, int]]: ``(url, samples)`` per shard, relative names
        resolved against the manifest's folder (absolute paths and URLs
        kept).

    Raises:
        ShardListError: The file is not a manifest of this format.
    """
    try:
        data = json.loads(read_text(path, backend_args))
        if data.get('version') != MANIFEST_VERSION:
            raise ShardListError(
                f'{path}: manifest version {data.get("version")!r}, '
                f'expected {MANIFEST_VERSION}')
        base = url_dirname(path)
        return [(join_url(base, s['name']), int(s['samples']))
                for s in data['shards']]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        if isinstance(err, ShardListError):
            raise
        raise ShardListError(
            f'{path}: not a readable shard manifest ({type(err).__name__}: '
            f'{err})') from err


def manifest_dict(shards: Sequence[Dict[str, Union[str, int]]]) -> dict:
    """The manifest object of a list of ``{name, samples, bytes}`` entries.
    """
    return dict(
        version=MANIFEST_VERSION,
        format='webdataset',
        shards=[dict(s) for s in shards],
        samples=int(sum(int(s['samples']) for s in shards)),
        bytes=int(sum(int(s['bytes']) for s in shards)))


def _read_list_file(
        path: str,
        backend_args: Optional[dict]) -> List[Tuple[str, Optional[int]]]:
    """Parse a shard list file: ``url [samples]`` per line, ``#`` comments.

    Relative entries are relative to the list file's folder.
    """
    base = url_dirname(path)
    entries = []
    for line in read_text(path, backend_args).splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        head, sep, tail = line.rpartition(' ')
        count = None
        if sep and tail.isdigit():
            line, count = head.strip(), int(tail)
        entries.append((join_url(base, line), count))
    return entries


def resolve_shards(shards: Union[str, Sequence[str], None] = None,
                   manifest: Optional[str] = None,
                   data_root: str = '',
                   backend_args: Optional[dict] = None
                   ) -> List[Tuple[str, Optional[int]]]:
    """Turn a shard specification into a list of ``(url, samples)``.

    ``shards`` is a brace pattern (``data/cc12m/{00000..01242}.tar``,
    webdataset's ``::`` alternatives allowed), a list file (``.txt`` /
    ``.list`` / ``.lst`` / ``.shards``: one shard per line, optionally
    followed by its sample count) or a list of patterns. ``manifest`` adds
    the sample counts of the shards it lists (matched by URL, else by file
    name), or gives the shard list itself when ``shards`` is None. Relative
    patterns are joined to ``data_root``. Unknown counts are None.

    Args:
        shards (str | Sequence[str], optional): Pattern(s) or list file.
        manifest (str, optional): A ``manifest.json``.
        data_root (str): Folder for relative patterns and the manifest.
        backend_args (dict, optional): MMEngine ``backend_args``.

    Returns:
        list[tuple[str, int | None]]: Shards in the given order.

    Raises:
        ShardListError: Nothing to read, or an unreadable list / manifest.
    """
    from webdataset.shardlists import expand_urls
    listed: Optional[List[Tuple[str, int]]] = None
    if manifest:
        listed = read_manifest(join_url(data_root, manifest), backend_args)
    if shards is None or shards == '' or shards == []:
        if listed is None:
            raise ShardListError(
                'no shards: give `shards` (pattern or list file) or a '
                '`manifest`')
        entries = [(u, c) for u, c in listed]
    else:
        specs = [shards] if isinstance(shards, str) else list(shards)
        entries = []
        for spec in specs:
            spec = join_url(data_root, str(spec))
            if spec.lower().endswith(_LIST_SUFFIXES) and '{' not in spec:
                try:
                    entries.extend(_read_list_file(spec, backend_args))
                except OSError as err:
                    raise ShardListError(
                        f'{spec}: cannot read the shard list ({err})') from err
            else:
                entries.extend((u, None) for u in expand_urls(spec))
        if listed is not None:
            by_url = {u: c for u, c in listed}
            by_name = {shard_name(u): c for u, c in listed}
            entries = [(u, c if c is not None else by_url.get(
                u, by_name.get(shard_name(u)))) for u, c in entries]
    if not entries:
        raise ShardListError(f'no shard in {shards or manifest!r}')
    return entries
