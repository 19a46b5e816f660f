# Copyright (c) dpt-mm contributors. All rights reserved.
"""Write ``tests/data/resolved_configs.json``: for every config under
``configs/`` (not ``_base_``), a digest of each top-level key of the
resolved config. ``tests/test_configs/test_resolved_configs.py`` checks
that the configs still resolve to the same dicts; after an intended change
of a config, run this script and commit the file with the change.

Usage: python tests/data/make_resolved_configs.py
"""
import glob
import hashlib
import json
import os.path as osp
from typing import Dict

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
OUT = osp.join(ROOT, 'tests', 'data', 'resolved_configs.json')


def config_paths():
    """Repository-relative paths of every config but the ``_base_`` ones."""
    paths = glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    return sorted(
        osp.relpath(p, ROOT) for p in paths if '/_base_/' not in p)


def digests(rel: str) -> Dict[str, str]:
    """SHA-256 (first 16 hex digits) of each top-level key's canonical
    JSON in the resolved config ``rel``."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, rel)).to_dict()
    return {
        key: hashlib.sha256(
            json.dumps(value, sort_keys=True,
                       default=repr).encode()).hexdigest()[:16]
        for key, value in sorted(cfg.items())
    }


def main() -> None:
    from dpt_mm.utils.io import atomic_write_text
    table = {rel: digests(rel) for rel in config_paths()}
    atomic_write_text(OUT, json.dumps(table, indent=1, sort_keys=True) + '\n')
    print(f'{len(table)} configs -> {OUT}')


if __name__ == '__main__':
    main()
