"""Print the DPT paper's tables with the measured numbers beside them.

    python tools/paper_table.py work_dirs [MORE_WORK_DIRS_OR_JSON ...] \
        [--table 1 --table 3 ...] [--format text|markdown]

Each argument is a work dir that holds ``test_metrics.json`` (the file
``tools/test.py CONFIG CKPT --out-metrics work_dirs/<config
stem>/test_metrics.json`` writes), a folder of such work dirs (e.g.
``work_dirs``), or a metrics JSON file itself (its folder names the
config). A work dir is matched to the table rows by its name, the stem of
the row's config (``dpt_mm.evaluation.paper_tables``: the Table 2 rows are
their ``*_d646-test.py`` configs). Every row of every table is printed with
the paper's SAD / MSE (x1e-3) / Grad / Conn and the measured ones on the
same scale; rows of other methods say ``reported only``, rows without a
metrics file ``not run``.

``--docs`` prints the tables of ``docs/finetune_configs.md`` instead (paper
numbers, configs, initialisation commands).

A metrics file that cannot be read, is not a JSON object of numbers or has
none of SAD / MSE / Grad / Conn, a path that holds no metrics, and two
metrics files for the same config end the tool with one ``error: <file>:
<problem>`` line and status 2, before anything is printed.
"""
import argparse
import json
import math
import os
import os.path as osp
import sys
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from dpt_mm.evaluation.paper_tables import (METRICS, METRICS_FILE,  # noqa
                                            TABLES, Row, Table, docs_markdown,
                                            get_table, measured_value,
                                            paper_value)


class InputError(Exception):
    """A bad command-line input; the message starts with the file."""


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Print the DPT paper\'s tables with the metrics that '
        f'tools/test.py --out-metrics wrote ({METRICS_FILE} in each work '
        'dir, named after the config) beside the paper\'s numbers.')
    parser.add_argument(
        'paths',
        nargs='*',
        help=f'work dirs holding {METRICS_FILE}, folders of such work dirs, '
        'or metrics JSON files')
    parser.add_argument(
        '--table',
        action='append',
        choices=[t.key for t in TABLES],
        help='print only this table (repeatable)')
    parser.add_argument(
        '--format', choices=('text', 'markdown'), default='text')
    parser.add_argument(
        '--docs',
        action='store_true',
        help='print the tables of docs/finetune_configs.md and exit')
    args = parser.parse_args(argv)
    if not args.docs and not args.paths:
        parser.error('give at least one work dir (or --docs)')
    return args


def read_metrics(path: str) -> Dict[str, float]:
    """Read one metrics JSON written by ``tools/test.py --out-metrics``.

    Args:
        path (str): The JSON file.

    Returns:
        dict[str, float]: The metrics it holds, by name.

    Raises:
        InputError: Unreadable, not a JSON object of finite numbers, or
            none of the DIM metrics in it.
    """
    try:
        with open(path) as f:
            data = json.load(f)
    except OSError as err:
        raise InputError(f'{path}: cannot read it ({err.strerror})') from err
    except ValueError as err:
        raise InputError(f'{path}: not valid JSON ({err})') from err
    if not isinstance(data, dict):
        raise InputError(f'{path}: expected a JSON object of metric values, '
                         f'got {type(data).__name__}')
    out: Dict[str, float] = {}
    for name, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise InputError(f'{path}: metric {name!r} is not a finite '
                             f'number ({value!r})')
        # mmengine prefixes a metric with the evaluator's prefix ('x/SAD')
        out[name.rsplit('/', 1)[-1]] = float(value)
    if not any(m in out for m in METRICS):
        raise InputError(f'{path}: none of {", ".join(METRICS)} in it '
                         f'(keys: {", ".join(sorted(data)) or "none"})')
    return out


def collect(paths: List[str]) -> Dict[str, Dict[str, float]]:
    """Metrics by work-dir name from work dirs, folders of them, or files.

    Args:
        paths (list[str]): Command-line paths.

    Returns:
        dict: Config stem -> metrics.

    Raises:
        InputError: A path without metrics, a bad metrics file, or two
            files for the same config.
    """
    found: Dict[str, str] = {}
    for path in paths:
        if osp.isfile(path):
            files = [path]
        elif osp.isfile(osp.join(path, METRICS_FILE)):
            files = [osp.join(path, METRICS_FILE)]
        elif osp.isdir(path):
            files = sorted(
                osp.join(path, d, METRICS_FILE) for d in os.listdir(path)
                if osp.isfile(osp.join(path, d, METRICS_FILE)))
            if not files:
                raise InputError(f'{path}: no {METRICS_FILE} in it or in '
                                 'its sub-folders')
        else:
            raise InputError(f'{path}: no such file or folder')
        for file in files:
            stem = osp.basename(osp.dirname(osp.abspath(file)))
            if stem in found and osp.abspath(found[stem]) != osp.abspath(
                    file):
                raise InputError(f'{file}: a second metrics file for '
                                 f'{stem} (the first: {found[stem]})')
            found[stem] = file
    return {stem: read_metrics(file) for stem, file in found.items()}


def _status(row: Row, metrics: Dict[str, Dict[str, float]]) -> str:
    if row.reported_only:
        return 'reported only'
    return row.stem if row.stem in metrics else f'{row.stem} (not run)'


def table_rows(table: Table,
               metrics: Dict[str, Dict[str, float]]) -> List[List[str]]:
    """The cells of a table: header, then one list per row.

    Args:
        table (Table): The paper table.
        metrics (dict): Config stem -> measured metrics.

    Returns:
        list[list[str]]: Header and rows.
    """
    header = list(table.columns)
    for m in table.metrics:
        header += [f'{m} paper', f'{m} ours']
    header.append('config')
    rows = [header]
    for row in table.rows:
        got = metrics.get(row.stem) if row.stem else None
        cells = list(row.label)
        for m, v in zip(table.metrics, row.paper):
            cells += [
                paper_value(v, table.decimals),
                measured_value(got, m) if got else '-'
            ]
        cells.append(_status(row, metrics))
        rows.append(cells)
    return rows


def render(table: Table, rows: List[List[str]], fmt: str) -> str:
    """One table as aligned text or markdown."""
    caption = table.title.split(': ', 1)[-1]
    title = f'{table.name} - {caption} ({table.dataset}; MSE x1e-3)'
    if fmt == 'markdown':
        lines = [f'### {title}', '']
        lines.append('| ' + ' | '.join(rows[0]) + ' |')
        lines.append('|' + '---|' * len(rows[0]))
        lines += ['| ' + ' | '.join(r) + ' |' for r in rows[1:]]
        return '\n'.join(lines) + '\n'
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [title]
    for k, r in enumerate(rows):
        lines.append('  '.join(c.ljust(w) for c, w in zip(r, widths)))
        if k == 0:
            lines.append('  '.join('-' * w for w in widths))
    return '\n'.join(line.rstrip() for line in lines) + '\n'


def main(argv: Optional[List[str]] = None) -> int:
    """Print the tables.

    Returns:
        int: 0, or 2 on a bad input (nothing printed then).
    """
    args = parse_args(argv)
    if args.docs:
        print(docs_markdown(), end='')
        return 0
    try:
        metrics = collect(args.paths)
    except InputError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    tables = [get_table(k) for k in args.table] if args.table else TABLES
    stems = {r.stem for t in TABLES for r in t.rows if r.stem}
    print('\n'.join(
        render(t, table_rows(t, metrics), args.format) for t in tables))
    unused = sorted(set(metrics) - stems)
    if unused:
        print('metrics of configs that are no table row: ' +
              ', '.join(unused))
    row_stems = {r.stem for t in tables for r in t.rows if r.stem}
    print(f'{len(row_stems & set(metrics))} of {len(row_stems)} row configs '
          'measured')
    return 0


if __name__ == '__main__':
    sys.exit(main())
