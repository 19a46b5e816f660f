# Copyright (c) dpt-mm contributors. All rights reserved.
"""The DPT paper's result tables, row by row, with the config of each row.

Li et al., *Disentangled Pre-training for Image Matting* (WACV 2024), Tables
1-8 and Figure 7 (:class:`Table`, :class:`Row`, :class:`Init`). mmengine has
no notion of a paper table, so this small registry is written here.
"""
import functools
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

#: Name of the metrics JSON inside a work dir. A row's measured metrics are
#: the file that ``tools/test.py CONFIG CKPT --out-metrics
#: work_dirs/<config stem>/test_metrics.json`` writes, i.e. this file in the
#: work dir named after the row's ``config`` (the configs' own
#: ``work_dir``); ``tools/paper_table.py`` reads it there.
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
            test metrics are the row's: a training config, or for Table 2 a
            test config that evaluates a Composition-1k model on
            Distinct-646.
        train_config (str, optional): Config that trains the tested model
            (only the Table 2 test configs set it); defaults to
            ``config``.
        init (Init, optional): How its initial weights are made.
        reported_only (str, optional): Why the project does not reproduce
            the row (a row of another method that dpt-mm does not
            implement).
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
        key (str): Short name (``'1'`` .. ``'8'``, ``'fig7'``).
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


# ----------------------------------------------------------------- configs
MF = 'matteformer/matteformer_swin-t-{}_4xb10-200k_comp1k.py'
MF_RANDOM = MF.format('random')
MF_SUP = MF.format('supervised')
MF_SIMMIM = MF.format('simmim')
MF_MOBY = MF.format('moby')
MF_DPT_ENC = MF.format('dpt')
MF_DPT = MF.format('dpt-encdec')
MF_BLOCK = MF.format('dpt-block-encdec')
MF_NO_TRIMAP = MF.format('dpt-no-trimap-encdec')
MF_UNKNOWN = {r: MF.format(f'dpt-unknown-{r}-encdec')
              for r in ('0.25', '0.50', '0.90')}
MF_UNKNOWN['0.75'] = MF_DPT
GCA_SUP = 'gca/gca_r34-supervised_4xb10-200k_comp1k.py'
GCA_DPT = 'gca/gca_r34-dpt-encdec_4xb10-200k_comp1k.py'
GCA_DENSECL = 'gca/gca_r50-densecl_4xb10-200k_comp1k.py'
MG_SUP = 'mgmatting/mgmatting_r34-supervised_4xb10-200k_comp1k.py'
MG_DPT = 'mgmatting/mgmatting_r34-dpt-encdec_4xb10-200k_comp1k.py'


def d646_test(config: str) -> str:
    """The Table 2 test config of a Composition-1k training config."""
    return config[:-len('.py')] + '_d646-test.py'


PRE_SWIN = 'dpt_swin-t_in1k.py'
PRE_R34_GCA = 'dpt_r34-gca_in1k.py'  # GCA's network
PRE_R34_MG = 'dpt_r34_in1k.py'  # MG Matting's network
PRE_BLOCK = 'dpt_ablations/dpt_swin-t_block-level_in1k.py'
PRE_NO_TRIMAP = 'dpt_ablations/dpt_swin-t_no-trimap_in1k.py'
PRE_UNKNOWN = {
    r: f'dpt_ablations/dpt_swin-t_unknown-{r}_in1k.py'
    for r in ('0.25', '0.50', '0.90')
}
PRE_UNKNOWN['0.75'] = PRE_SWIN

VM_S = 'vitmatte/vitmatte_vit-s-{}_2xb16-100e_comp1k.py'
VM_B = 'vitmatte/vitmatte_vit-b-{}_2xb10-100e_comp1k.py'
PRE_VM_S = 'dpt_vitmatte-s_in1k.py'
PRE_VM_S_DINO = 'dpt_vitmatte-s-dino_in1k.py'
PRE_VM_B = 'dpt_vitmatte-b_in1k.py'
PRE_VM_B_MAE = 'dpt_vitmatte-b-mae_in1k.py'

SWIN_RELEASE = ('the official Swin-T release `swin_tiny_patch4_window7_224.'
                'pth` or mmpretrain\'s Swin-T')
R34D_RELEASE = ('GCA-Matting\'s ResNet-34-D `model_best_resnet34_En_nomixup.'
                'pth`')

I_RANDOM = Init('random')
I_MF_SUP = Init('supervised', 'matteformer', source=SWIN_RELEASE)
I_MF_SIMMIM = Init(
    'simmim', 'matteformer',
    source='a SimMIM Swin-T checkpoint, official (microsoft/SimMIM) or '
    'mmpretrain layout')
I_MF_MOBY = Init(
    'moby', 'matteformer',
    source='the MoBY Swin-T checkpoint of SwinTransformer/Transformer-SSL')
I_MF_DPT_ENC = Init('dpt', 'matteformer', PRE_SWIN, 'encoder')
I_MF_DPT = Init('dpt', 'matteformer', PRE_SWIN, 'encoder+decoder')
I_GCA_SUP = Init(
    'supervised', 'gca',
    source='mmagic\'s `open-mmlab://mmedit/res34_en_nomixup`, i.e. ' +
    R34D_RELEASE)
I_GCA_DPT = Init('dpt', 'gca', PRE_R34_GCA, 'encoder+decoder')
I_GCA_DENSECL = Init(
    'densecl', 'gca_r50',
    source='the DenseCL ResNet-50 release `densecl_r50_imagenet_200ep.pth` '
    '(WXinlong/DenseCL) or an mmpretrain DenseCL checkpoint')
I_MG_SUP = Init('supervised', 'mgmatting', source=R34D_RELEASE)
I_MG_DPT = Init('dpt', 'mgmatting', PRE_R34_MG, 'encoder+decoder')
R34_STAGES = ('the paper does not say which stages it transfers for R34 '
              '(Table 6 is MatteFormer only); here encoder + decoder of the '
              'pre-trained fine-tuning network')

I_VM_DINO = Init(
    'dino', 'vitmatte',
    source='DINO ViT-S/16 `dino_deitsmall16_pretrain.pth` (official) or '
    'mmpretrain\'s')
I_VM_MAE = Init(
    'mae', 'vitmatte',
    source='MAE ViT-B/16 `mae_pretrain_vit_base.pth` (official) or '
    'mmpretrain\'s')
VM_NEW = 'new: no published number'
VM_SECOND = 'new: DPT continued from the {} weights (DPT as a second stage)'


def _vm_dpt_rows(size: str, configs: str, start: Optional[str],
                 pretrain: str) -> List[Row]:
    """The encoder and encoder + decoder rows of one DPT pre-training."""
    init = 'DPT' if start is None else f'{start} then DPT'
    stem = 'dpt' if start is None else f'{start.lower()}-dpt'
    note = VM_NEW if start is None else VM_SECOND.format(start)
    return [
        Row((f'ViTMatte-{size}', init, stage), (None, ) * 4,
            configs.format(stem + suffix),
            init=Init('dpt', 'vitmatte', pretrain, part), note=note)
        for stage, suffix, part in (('Encoder', '', 'encoder'),
                                    ('Encoder+Decoder', '-encdec',
                                     'encoder+decoder'))
    ]


OTHER = 'another method, not implemented in dpt-mm'
OTHER_D646 = ('trained on Distinct-646 by HAttMatting\'s authors; another '
              'method, not implemented in dpt-mm')

# ------------------------------------------------------------------ tables
TABLES: List[Table] = [
    Table(
        '1', 'Comparison with the state of the art', ('Method', ),
        METRICS, [
            Row(('KNN-Matting', ), (175.4, 103.0, 124.1, 176.4),
                reported_only=OTHER),
            Row(('DIM', ), (50.4, 14.0, 31.0, 50.8), reported_only=OTHER),
            Row(('AlphaGAN', ), (52.4, 30.0, 38.0, None),
                reported_only=OTHER),
            Row(('IndexNet', ), (45.8, 13.0, 25.9, 43.7),
                reported_only=OTHER),
            Row(('SampleNet', ), (40.4, 9.9, None, None),
                reported_only=OTHER),
            Row(('Context-Aware', ), (35.8, 8.2, 17.3, 33.2),
                reported_only=OTHER),
            Row(('GCA', ), (35.3, 9.1, 16.9, 32.5), GCA_SUP, init=I_GCA_SUP,
                note='GCA\'s published result (= Table 4 supervised row)'),
            Row(('HDMatt', ), (33.5, 7.3, 14.5, 29.9), reported_only=OTHER),
            Row(('TIMI-Net', ), (29.1, 6.0, 11.5, 25.4),
                reported_only=OTHER),
            Row(('MG Matting', ), (32.1, 7.0, 14.0, 27.9),
                reported_only='MG Matting\'s published mask-guided model; '
                'dpt-mm implements the trimap-input variant of §4.5 (its '
                'supervised row is Table 4, 29.3 / 6.3)'),
            Row(('SIM*', ), (28.0, 5.8, 10.8, 24.8),
                reported_only=OTHER + ' (uses semantic input)'),
            Row(('RMat', ), (25.0, None, 9.0, None), reported_only=OTHER),
            Row(('MatteFormer', ), (23.8, 4.0, 8.7, 18.9), MF_SUP,
                init=I_MF_SUP,
                note='MatteFormer\'s published result (= Table 3 '
                'supervised row)'),
            Row(('TransMatting', ), (26.8, 5.2, 10.6, 22.1),
                reported_only=OTHER),
            Row(('DPT (Ours)', ), (21.0, 3.1, 7.0, 15.9), MF_DPT,
                init=I_MF_DPT,
                note='MatteFormer with DPT encoder + decoder (Table 6)'),
        ]),
    Table(
        '2', 'Distinct-646 (* = trained on Composition-1k only)',
        ('Method', ), METRICS, [
            Row(('Closed-Form', ), (105.7, 23.0, 91.8, 114.6),
                reported_only=OTHER_D646),
            Row(('Learning Based', ), (105.0, 21.0, 94.2, 110.4),
                reported_only=OTHER_D646),
            Row(('KNN Matting', ), (116.7, 25.0, 103.2, 121.5),
                reported_only=OTHER_D646),
            Row(('DIM', ), (47.6, 9.0, 43.3, 55.9),
                reported_only=OTHER_D646),
            Row(('HAttMatting', ), (49.0, 9.0, 41.6, 50.0),
                reported_only=OTHER_D646),
            Row(('DIM*', ), (48.7, 11.2, 42.6, 50.0), reported_only=OTHER),
            Row(('Index*', ), (47.0, 9.4, 40.6, 46.8), reported_only=OTHER),
            Row(('Context-Aware*', ), (36.3, 7.1, 29.5, 35.4),
                reported_only=OTHER),
            Row(('GCA*', ), (39.6, 8.2, 32.2, 38.8), d646_test(GCA_SUP),
                GCA_SUP, I_GCA_SUP),
            Row(('MG Matting*', ), (36.9, 6.3, 35.0, 22.3), d646_test(MG_SUP),
                MG_SUP, I_MG_SUP,
                note='dpt-mm\'s MG Matting takes a trimap (§4.5); the '
                'paper\'s row may be the mask-guided release'),
            Row(('MatteFormer*', ), (31.0, 4.9, 22.6, 19.6),
                d646_test(MF_SUP), MF_SUP, I_MF_SUP),
            Row(('DPT*', ), (28.5, 3.8, 18.0, 19.0), d646_test(MF_DPT),
                MF_DPT, I_MF_DPT),
        ], 'Distinct-646'),
    Table(
        '3', 'Pre-training methods as MatteFormer initialisation',
        ('Pre-train Method', ), ('SAD', 'MSE'), [
            Row(('Random', ), (49.2, 14.7), MF_RANDOM, init=I_RANDOM),
            Row(('Supervised', ), (23.8, 4.0), MF_SUP, init=I_MF_SUP),
            Row(('SimMIM', ), (24.6, 4.2), MF_SIMMIM, init=I_MF_SIMMIM),
            Row(('Transformer-SSL (MoBY)', ), (24.0, 3.9), MF_MOBY,
                init=I_MF_MOBY),
            Row(('DPT (Ours)', ), (21.0, 3.1), MF_DPT, init=I_MF_DPT),
        ]),
    Table(
        '4', 'Backbones: supervised vs DPT initialisation',
        ('Method', 'Backbone', 'Init.'), ('SAD', 'MSE'), [
            Row(('GCA', 'Resnet-34', 'Supervised'), (35.3, 9.1), GCA_SUP,
                init=I_GCA_SUP),
            Row(('GCA', 'Resnet-34', 'DPT'), (33.0, 8.3), GCA_DPT,
                init=I_GCA_DPT, note=R34_STAGES),
            Row(('MG Matting', 'Resnet-34', 'Supervised'), (29.3, 6.3),
                MG_SUP, init=I_MG_SUP),
            Row(('MG Matting', 'Resnet-34', 'DPT'), (27.1, 5.5), MG_DPT,
                init=I_MG_DPT, note=R34_STAGES),
            Row(('MatteFormer', 'Swin-T', 'Supervised'), (23.8, 4.0), MF_SUP,
                init=I_MF_SUP),
            Row(('MatteFormer', 'Swin-T', 'DPT'), (21.0, 3.1), MF_DPT,
                init=I_MF_DPT),
        ]),
    Table(
        '5', 'Pseudo alpha strategies', ('Strategy', ), ('SAD', 'MSE'), [
            Row(('Pixel-level sampling', ), (21.0, 3.1), MF_DPT,
                init=I_MF_DPT),
            Row(('Block-level sampling', ), (21.0, 3.2), MF_BLOCK,
                init=Init('dpt', 'matteformer', PRE_BLOCK,
                          'encoder+decoder')),
        ]),
    Table(
        '6', 'Stages loaded from DPT', ('Method', 'Stage', 'Init.'),
        ('SAD', 'MSE'), [
            Row(('MatteFormer', 'Encoder', 'Supervised'), (23.8, 4.0),
                MF_SUP, init=I_MF_SUP),
            Row(('MatteFormer', 'Encoder', 'DPT'), (22.1, 3.4), MF_DPT_ENC,
                init=I_MF_DPT_ENC),
            Row(('MatteFormer', 'Encoder+Decoder', 'DPT'), (21.0, 3.1),
                MF_DPT, init=I_MF_DPT),
        ]),
    Table(
        '7', 'Pre-training with / without trimap', ('Method', 'Trimap'),
        ('SAD', 'MSE'), [
            Row(('MatteFormer', 'Without'), (23.4, 3.7), MF_NO_TRIMAP,
                init=Init('dpt', 'matteformer', PRE_NO_TRIMAP,
                          'encoder+decoder'),
                note='3-channel DPT network widened to the 6-channel input '
                'at conversion'),
            Row(('MatteFormer', 'With'), (21.0, 3.1), MF_DPT, init=I_MF_DPT),
        ]),
    Table(
        '8', 'GCA with DenseCL vs DPT', ('Method', 'Init.', 'Backbone'),
        ('SAD', 'MSE'), [
            Row(('GCA', 'DenseCL', 'ResNet50'), (45.9, 13.0), GCA_DENSECL,
                init=I_GCA_DENSECL),
            Row(('GCA', 'Supervised', 'ResNet34'), (35.3, 9.1), GCA_SUP,
                init=I_GCA_SUP),
            Row(('GCA', 'DPT (Ours)', 'ResNet34'), (33.0, 8.3), GCA_DPT,
                init=I_GCA_DPT, note=R34_STAGES),
        ]),
    Table(
        'fig7', 'Figure 7: unknown-region ratio of the pre-training trimap',
        ('Unknown ratio', ), ('SAD', ), [
            Row(('0.25', ), (None, ), MF_UNKNOWN['0.25'],
                init=Init('dpt', 'matteformer', PRE_UNKNOWN['0.25'],
                          'encoder+decoder'),
                note='the figure\'s values are not in the text'),
            Row(('0.50', ), (None, ), MF_UNKNOWN['0.50'],
                init=Init('dpt', 'matteformer', PRE_UNKNOWN['0.50'],
                          'encoder+decoder'),
                note='the figure\'s values are not in the text'),
            Row(('0.75', ), (21.0, ), MF_DPT, init=I_MF_DPT,
                note='the default ratio: SAD of Tables 1 and 3-7'),
            Row(('0.90', ), (None, ), MF_UNKNOWN['0.90'],
                init=Init('dpt', 'matteformer', PRE_UNKNOWN['0.90'],
                          'encoder+decoder'),
                note='the figure\'s values are not in the text'),
        ]),
    Table(
        'vit', 'DPT on plain ViTs: ViTMatte-S / -B initialisations (not in '
        'the DPT paper; the numbers are hustvl/ViTMatte\'s README)',
        ('Model', 'Init.', 'Stage'), METRICS, [
            Row(('ViTMatte-S', 'Random', '-'), (None, ) * 4,
                VM_S.format('random'), init=I_RANDOM, note=VM_NEW),
            Row(('ViTMatte-S', 'DINO', 'Encoder'), (21.46, 3.3, 7.24, 16.21),
                VM_S.format('dino'), init=I_VM_DINO,
                note='ViTMatte\'s published -S model'),
            *_vm_dpt_rows('S', VM_S, None, PRE_VM_S),
            *_vm_dpt_rows('S', VM_S, 'DINO', PRE_VM_S_DINO),
            Row(('ViTMatte-B', 'MAE', 'Encoder'), (20.33, 3.0, 6.74, 14.78),
                VM_B.format('mae'), init=I_VM_MAE,
                note='ViTMatte\'s published -B model'),
            *_vm_dpt_rows('B', VM_B, None, PRE_VM_B),
            *_vm_dpt_rows('B', VM_B, 'MAE', PRE_VM_B_MAE),
        ], decimals=2),
]

#: Configs that are no row of the paper, with the reason they exist
#: (labelled as such in ``docs/finetune_configs.md``).
EXTRAS: Dict[str, str] = {
    'matteformer/matteformer_swin-t-random_4xb10-200k_d646.py':
    'trained on Distinct-646 (the paper\'s * rows are Composition-1k '
    'models)',
    'matteformer/matteformer_swin-t-supervised_4xb10-200k_d646.py':
    'trained on Distinct-646',
    'matteformer/matteformer_swin-t-dpt_4xb10-200k_d646.py':
    'trained on Distinct-646',
    'gca/gca_r34-random_4xb10-200k_comp1k.py':
    'GCA random init (Table 3 has a random row for MatteFormer only)',
    'gca/gca_r34-dpt_4xb10-200k_comp1k.py':
    'GCA with the DPT encoder only (pre-trained by '
    'configs/dpt_r34-gca_in1k.py)',
    'gca/gca_r34-random_4xb10-200k_d646.py': 'trained on Distinct-646',
    'gca/gca_r34-supervised_4xb10-200k_d646.py': 'trained on Distinct-646',
    'gca/gca_r34-dpt_4xb10-200k_d646.py': 'trained on Distinct-646',
    'gca/gca_r50-supervised_4xb10-200k_comp1k.py':
    'GCA ResNet-50 supervised (not in Table 8)',
    'gca/gca_r50-dpt_4xb10-200k_comp1k.py':
    'GCA ResNet-50 with DPT (not in Table 8; pre-trained by '
    'configs/dpt_r50_in1k.py)',
    'mgmatting/mgmatting_r34-random_4xb10-200k_comp1k.py':
    'MG Matting random init',
    'mgmatting/mgmatting_r34-dpt_4xb10-200k_comp1k.py':
    'MG Matting with the DPT encoder only (pre-trained by '
    'configs/dpt_r34_in1k.py)',
    'mgmatting/mgmatting_r34-random_4xb10-200k_d646.py':
    'trained on Distinct-646',
    'mgmatting/mgmatting_r34-supervised_4xb10-200k_d646.py':
    'trained on Distinct-646',
    'mgmatting/mgmatting_r34-dpt_4xb10-200k_d646.py':
    'trained on Distinct-646',
    'vitmatte/vitmatte_vit-s-dino_2xb16-100e_comp1k_d646-test.py':
    'Distinct-646 test of the ViTMatte-S Composition-1k model (hustvl '
    'reports none)',
    'vitmatte/vitmatte_vit-b-mae_2xb10-100e_comp1k_d646-test.py':
    'Distinct-646 test of the ViTMatte-B Composition-1k model (hustvl '
    'reports none)',
    'vitmatte/vitmatte_vit-tiny_demo.py':
    'the tiny ViTMatte of the demo and of '
    'docs/experiments/dpt_transfer_vit.md',
}


def get_table(key: str) -> Table:
    """The table named ``key`` (``'1'`` .. ``'8'``, ``'fig7'``,
    ``'vit'``)."""
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
    return Config.fromfile(osp.join(CONFIG_ROOT, config)).get('load_from')


#: The configs folder of the repository this module belongs to.
CONFIG_ROOT = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')


def docs_markdown() -> str:
    """The tables of ``docs/finetune_configs.md``: every row with the
    paper's numbers, its config and how its initial weights are made."""
    out: List[str] = []
    for table in TABLES:
        title = table.title.split(': ', 1)[-1]
        out.append(f'### {table.name} - {title} ({table.dataset})')
        out.append('')
        out.append(
            _md_row(table.columns + table.metrics +
                    ('config', 'initial weights', 'note')))
        out.append(_md_row(['---'] * (len(table.columns) +
                                      len(table.metrics) + 3)))
        for row in table.rows:
            out.append(
                _md_row(row.label +
                        tuple(paper_value(v, table.decimals)
                              for v in row.paper) +
                        (_config_cell(row), _init_cell(row), row.note or
                         '-')))
        out.append('')
    return '\n'.join(out).rstrip('\n') + '\n'
