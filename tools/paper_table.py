"""Print the DPT paper's tables with the measured numbers beside them.

    python tools/paper_table.py work_dirs [MORE_WORK_DIRS_OR_JSON ...] \
        [--table 1 --table 3 ...] [--format text|markdown]

The paper's numbers of each config are the ``Results`` of its entry in the
``metafile.yml`` of its config folder (OpenMMLab's model-index format, MSE
raw); ``docs/paper_tables.yml`` lays the paper's tables out (captions,
columns, rows in the paper's order, and the printed numbers of the other
methods' rows). Each argument is a work dir that holds ``test_metrics.json``
(the file ``tools/test.py CONFIG CKPT --out-metrics work_dirs/<config
stem>/test_metrics.json`` writes), a folder of such work dirs (e.g.
``work_dirs``), or a metrics JSON file itself (its folder names the
config). A work dir is matched to the table rows by its name, the stem of
the row's config (the Table 2 rows are their ``*_d646-test.py`` configs).
Every row of every table is printed with the paper's SAD / MSE (x1e-3) /
Grad / Conn and the measured ones on the same scale; rows of other methods
say ``reported only``, rows without a metrics file ``not run``.

``--docs`` prints the tables of ``docs/finetune_configs.md`` instead (paper
numbers, configs, initialisation commands).

A metrics file that cannot be read, is not a JSON object of numbers or has
none of SAD / MSE / Grad / Conn, a path that holds no metrics, and two
metrics files for the same config end the tool with one ``error: <file>:
<problem>`` line and status 2, before anything is printed.
"""
import argparse
import functools
import glob
import json
import math
import os
import os.path as osp
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import yaml

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: The configs folder (paths in the tables are relative to it).
CONFIG_ROOT = osp.join(ROOT, 'configs')
#: The layout of the paper's tables.
TABLES_FILE = osp.join(ROOT, 'docs', 'paper_tables.yml')
#: Name of the metrics JSON inside a work dir (``tools/test.py
#: --out-metrics work_dirs/<config stem>/test_metrics.json``).
METRICS_FILE = 'test_metrics.json'
#: Metric names as ``DIMMattingMetrics`` writes them.
METRICS = ('SAD', 'MSE', 'Grad', 'Conn')
#: Factor from the written value to the printed one (papers print MSE
#: x1e3; SAD, Grad and Conn are already divided by 1000 by the metric).
PRINT_SCALE = {'SAD': 1.0, 'MSE': 1e3, 'Grad': 1.0, 'Conn': 1.0}


@dataclass(frozen=True)
class Init:
    """How the initial weights of a fine-tuning row are made.

    Args:
        kind (str): ``'random'``, ``'supervised'``, ``'simmim'``,
            ``'moby'``, ``'densecl'`` or ``'dpt'``.
        model (str): Converter target (``tools/model_converters``
            ``--model``): ``'matteformer'``, ``'gca'``, ``'gca_r50'``,
            ``'mgmatting'``.
        pretrain (str, optional): DPT pre-training config (``kind='dpt'``).
        part (str): ``'encoder'`` or ``'encoder+decoder'`` (``kind='dpt'``).
        source (str): The published weights a non-DPT init starts from.
    """
    kind: str
    model: str = ''
    pretrain: Optional[str] = None
    part: str = 'encoder'
    source: str = ''

    def command(self, load_from: Optional[str]) -> str:
        """The command that writes the row's ``load_from`` checkpoint."""
        if self.kind == 'random':
            return '-'
        if self.kind == 'dpt':
            stem = osp.splitext(osp.basename(self.pretrain or ''))[0]
            ckpt = f'work_dirs/{stem}/epoch_100.pth'
            if load_from == ckpt:  # the fine-tuning network pre-trained
                return (f'`tools/train.py configs/{self.pretrain}`; '
                        f'`load_from` is its `{ckpt}` as it is (same '
                        'network, same parameter names)')
            return (f'`tools/train.py configs/{self.pretrain}`, then '
                    f'`tools/model_converters/dpt2finetune.py '
                    f'work_dirs/{stem}/epoch_100.pth {load_from} --model '
                    f'{self.model} --part {self.part}`')
        if load_from is None:  # mmagic's own init_cfg (GCA supervised)
            return f'{self.source} (the config\'s `init_cfg`)'
        opt = '' if self.kind == 'supervised' else f' --source {self.kind}'
        return (f'`tools/model_converters/supervised2finetune.py SRC '
                f'{load_from} --model {self.model}{opt}` (SRC: '
                f'{self.source})')


@dataclass(frozen=True)
class Row:
    """One row of a paper table.

    Args:
        label (tuple[str]): The row's leading cells, as the paper prints
            them (one per ``Table.columns`` entry).
        paper (tuple): The printed values of ``Table.metrics`` (``None``
            for ``-``; MSE as printed, i.e. x1e-3).
        config (str, optional): Config (relative to ``configs/``) whose
            test metrics are the row's.
        train_config (str, optional): Config that trains the tested model
            (Table 2 test configs); defaults to ``config``.
        init (Init, optional): How its initial weights are made.
        reported_only (str, optional): Why the project does not reproduce
            the row (another method).
        note (str): Remark printed beside the row.
    """
    label: Tuple[str, ...]
    paper: Tuple[Optional[float], ...]
    config: Optional[str] = None
    train_config: Optional[str] = None
    init: Optional[Init] = None
    reported_only: Optional[str] = None
    note: str = ''

    @property
    def trained_by(self) -> Optional[str]:
        """The fine-tuning config of the row."""
        return self.train_config or self.config

    @property
    def stem(self) -> Optional[str]:
        """Work-dir name of the row (its config's stem)."""
        if self.config is None:
            return None
        return osp.splitext(osp.basename(self.config))[0]


@dataclass(frozen=True)
class Table:
    """A paper table.

    Args:
        key (str): Short name (``'1'`` .. ``'8'``, ``'fig7'``, ``'vit'``).
        title (str): The caption, in short.
        columns (tuple[str]): Headers of the label cells.
        metrics (tuple[str]): The metric columns the paper prints.
        rows (list[Row]): The rows, in the paper's order.
        dataset (str): The test set.
        decimals (int): Decimals of the printed numbers (the DPT paper
            prints 1; ViTMatte's README 2).
    """
    key: str
    title: str
    columns: Tuple[str, ...]
    metrics: Tuple[str, ...]
    rows: List[Row] = field(default_factory=list)
    dataset: str = 'Composition-1k'
    decimals: int = 1

    @property
    def name(self) -> str:
        """How the table is headed (``Table 3``, ``Figure 7``, ...)."""
        if self.key == 'fig7':
            return 'Figure 7'
        if self.key == 'vit':
            return 'ViTMatte rows'
        return f'Table {self.key}'


def _config_rel(path: str) -> str:
    """``configs/x/y.py`` -> ``x/y.py``."""
    return osp.relpath(osp.join(ROOT, path), CONFIG_ROOT)


def load_metafiles(root: str = CONFIG_ROOT) -> Dict[str, dict]:
    """Every model of every ``metafile.yml`` under ``root``, by name.

    Args:
        root (str): Folder searched recursively.

    Returns:
        dict: Model name -> its metafile entry.
    """
    models: Dict[str, dict] = {}
    for path in sorted(
            glob.glob(osp.join(root, '**', 'metafile.yml'), recursive=True)):
        with open(path) as f:
            for model in yaml.safe_load(f).get('Models') or []:
                if model['Name'] in models:
                    raise ValueError(f'{path}: model {model["Name"]} is '
                                     'also in another metafile')
                models[model['Name']] = model
    return models


def _init(meta: dict) -> Optional[Init]:
    """The :class:`Init` of a model's ``Metadata.Initialization``."""
    init = meta.get('Initialization')
    if init is None:
        return None
    return Init(
        init['Kind'], init.get('Converter', ''),
        _config_rel(init['Pretrain']) if init.get('Pretrain') else None,
        init.get('Part', 'encoder'), init.get('Source', ''))


def _paper(model: dict, dataset: str,
           metrics: Tuple[str, ...]) -> Tuple[Optional[float], ...]:
    """A model's result on ``dataset`` as the paper prints it."""
    for result in model.get('Results') or []:
        if result['Dataset'] == dataset:
            values = result['Metrics']
            return tuple(
                None if values.get(m) is None else round(
                    values[m] * PRINT_SCALE[m], 6) for m in metrics)
    return (None, ) * len(metrics)


def _row(spec: dict, table: Table, models: Dict[str, dict]) -> Row:
    label = tuple(spec['Label'])
    if 'Model' not in spec:
        return Row(label, tuple(spec['Reported']),
                   reported_only=spec['Reason'], note=spec.get('Note', ''))
    model = models[spec['Model']]
    meta = model.get('Metadata') or {}
    trained = meta.get('Tests Model Of')
    init_meta = models[osp.splitext(osp.basename(trained))[0]][
        'Metadata'] if trained else meta
    return Row(label, _paper(model, table.dataset, table.metrics),
               _config_rel(model['Config']),
               _config_rel(trained) if trained else None, _init(init_meta),
               note=spec.get('Note', ''))


@functools.lru_cache(maxsize=None)
def _load() -> Tuple[List[Table], Dict[str, str]]:
    models = load_metafiles()
    with open(TABLES_FILE) as f:
        layout = yaml.safe_load(f)
    tables = []
    for spec in layout['Tables']:
        table = Table(
            str(spec['Key']), spec['Title'], tuple(spec['Columns']),
            tuple(spec['Metrics']),
            dataset=spec['Dataset'],
            decimals=spec.get('Decimals', 1))
        table.rows.extend(_row(r, table, models) for r in spec['Rows'])
        tables.append(table)
    extras = {
        _config_rel(m['Config']): m['Metadata']['Not In Paper']
        for m in models.values()
        if 'Not In Paper' in (m.get('Metadata') or {})
    }
    return tables, extras


#: The paper's tables, in order; configs that are no row, with the reason.
TABLES, EXTRAS = _load()


def get_table(key: str) -> Table:
    """The table named ``key`` (``'1'`` .. ``'8'``, ``'fig7'``, ``'vit'``)."""
    for table in TABLES:
        if table.key == key:
            return table
    raise KeyError(f'no table {key!r}; tables: '
                   f'{", ".join(t.key for t in TABLES)}')


def reproduced_rows() -> List[Row]:
    """Every row with a config, in table order (rows repeat across
    tables)."""
    return [r for t in TABLES for r in t.rows if r.config is not None]


def row_configs() -> List[str]:
    """The distinct configs of all reproduced rows: test configs and the
    fine-tuning configs behind them."""
    seen: Dict[str, None] = {}
    for row in reproduced_rows():
        seen.setdefault(row.config)
        seen.setdefault(row.trained_by)
    return list(seen)


def pretrain_configs() -> List[str]:
    """The distinct DPT pre-training configs the rows need."""
    seen: Dict[str, None] = {}
    for row in reproduced_rows():
        if row.init is not None and row.init.pretrain:
            seen.setdefault(row.init.pretrain)
    return list(seen)


# -------------------------------------------------------------- formatting
def paper_value(value: Optional[float], decimals: int = 1) -> str:
    """A printed number as the paper prints it (``-`` where none), with
    ``decimals`` decimals."""
    return '-' if value is None else f'{value:.{decimals}f}'


def measured_value(metrics: Optional[Dict[str, float]], metric: str) -> str:
    """A measured metric on the paper's scale (``MSE`` x1e3), 2 decimals;
    ``?`` where the metrics lack it."""
    if metrics is None or metric not in metrics:
        return '?'
    return f'{metrics[metric] * PRINT_SCALE[metric]:.2f}'


def _md_row(cells) -> str:
    return '| ' + ' | '.join(cells) + ' |'


def _config_cell(row: Row) -> str:
    if row.reported_only:
        return f'reported only: {row.reported_only}'
    cell = f'`configs/{row.config}`'
    if row.train_config:
        cell += f' (tests the model of `configs/{row.train_config}`)'
    return cell


def _init_cell(row: Row) -> str:
    if row.init is None:
        return '-'
    return row.init.command(_load_from(row.trained_by))


@functools.lru_cache(maxsize=None)
def _load_from(config: Optional[str]) -> Optional[str]:
    """``load_from`` of a row config, read from the file without building
    it (the value is a literal in every row config)."""
    if config is None:
        return None
    from mmengine.config import Config
    return Config.fromfile(
        osp.join(CONFIG_ROOT, config),
        import_custom_modules=False).get('load_from')


def docs_markdown() -> str:
    """The tables of ``docs/finetune_configs.md``: every row with the
    paper's numbers, its config and how its initial weights are made."""
    out: List[str] = []
    for table in TABLES:
        name = table.name
        title = table.title.split(': ', 1)[-1]
        out.append(f'### {name} - {title} ({table.dataset})')
        out.append('')
        out.append(
            _md_row(table.columns + table.metrics +
                    ('config', 'initial weights', 'note')))
        out.append(_md_row(['---'] * (len(table.columns) +
                                      len(table.metrics) + 3)))
        for row in table.rows:
            out.append(
                _md_row(row.label + tuple(
                    paper_value(v, table.decimals) for v in row.paper) +
                        (_config_cell(row), _init_cell(row), row.note or
                         '-')))
        out.append('')
    return '\n'.join(out).rstrip('\n') + '\n'


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
