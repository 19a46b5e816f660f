# Copyright (c) dpt-mm contributors. All rights reserved.
"""Every config resolves to the dict it resolved to when
``tests/data/resolved_configs.json`` was written (refactors of ``_base_``
files and of the package must not change what a config means)."""
import json
import os.path as osp
import sys

import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, osp.join(ROOT, 'tests', 'data'))
from make_resolved_configs import OUT, config_paths, digests  # noqa: E402

with open(OUT) as f:
    RECORDED = json.load(f)


def test_every_config_is_recorded():
    assert sorted(RECORDED) == config_paths(), (
        'configs were added or removed: run '
        'python tests/data/make_resolved_configs.py and commit the file')


@pytest.mark.parametrize('rel', sorted(RECORDED))
def test_config_resolves_to_the_recorded_dict(rel):
    now = digests(rel)
    changed = sorted(k for k in set(now) | set(RECORDED[rel])
                     if now.get(k) != RECORDED[rel].get(k))
    assert not changed, (
        f'{rel}: top-level keys {changed} resolve differently; if intended, '
        'run python tests/data/make_resolved_configs.py')
