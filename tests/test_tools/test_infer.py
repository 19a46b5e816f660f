"""Tests of the user-facing matting API (dpt_mm.apis) and tools/infer.py.

A tiny randomly initialised GCA mattor (mmagic) with a checkpoint saved by
mmengine stands in for a trained model; images are generated in tmp_path
with sizes that are not multiples of 32.
"""
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

import dpt_mm  # noqa: F401  (registers dpt_mm and mmagic modules)
from dpt_mm.apis import (DPTMattingInferencer, MattingInputError,
                         blur_fusion_foreground,
                         check_trimap, collect_pairs, composite,
                         estimate_foreground, fit_background, make_cutout,
                         read_gray_map, read_image, trimap_from_mask)
from dpt_mm.apis import matting_ops
from dpt_mm.utils.io import atomic_imwrite
from tool_scripts import load_tool

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))

# the project's Composition-1k test pipeline, as the configs use it
TEST_PIPELINE = Config.fromfile(
    osp.join(ROOT, 'configs', '_base_', 'datasets',
             'comp1k_mg.py')).to_dict()['test_pipeline']


def tiny_gca_cfg() -> dict:
    """A GCA mattor with one block per stage (about 0.1 s per image)."""
    return dict(
        default_scope='mmagic',
        custom_imports=dict(imports=['dpt_mm'], allow_failed_imports=False),
        model=dict(
            type='Mattor',
            data_preprocessor=dict(
                type='MattorPreprocessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                proc_trimap='as_is'),
            backbone=dict(
                type='SimpleEncoderDecoder',
                encoder=dict(
                    type='ResGCAEncoder',
                    block='BasicBlock',
                    layers=[1, 1, 1, 1],
                    in_channels=6,
                    with_spectral_norm=True),
                decoder=dict(
                    type='ResGCADecoder',
                    block='BasicBlockDec',
                    layers=[1, 1, 1, 1],
                    with_spectral_norm=True)),
            head=dict(type='AlphaLossHead'),
            test_cfg=dict(
                resize_method='pad', resize_mode='reflect',
                size_divisor=32)),
        test_pipeline=TEST_PIPELINE,
        test_dataloader=dict(
            batch_size=1, dataset=dict(pipeline=TEST_PIPELINE)))


def make_scene(h: int, w: int, seed: int = 0):
    """A textured photo with a disc-shaped object and its trimap."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    image = np.stack([xx * 200 // w, yy * 200 // h,
                      np.full((h, w), 90)], -1).astype(np.uint8)
    image = cv2.add(image, rng.integers(0, 30, (h, w, 3), dtype=np.uint8))
    r = min(h, w) / 3
    dist = np.hypot(yy - h / 2, xx - w / 2)
    image[dist < r] = (40, 60, 220)
    mask = np.where(dist < r, 255, 0).astype(np.uint8)
    trimap = trimap_from_mask(mask, band=3)
    return image, mask, trimap


@pytest.fixture(scope='module')
def model_files(tmp_path_factory):
    """Config file + strict-loadable checkpoint of the tiny GCA."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import save_checkpoint

    from mmagic.registry import MODELS
    init_default_scope('mmagic')
    root = tmp_path_factory.mktemp('model')
    cfg = Config(tiny_gca_cfg())
    cfg_path = str(root / 'tiny_gca.py')
    cfg.dump(cfg_path)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    ckpt = str(root / 'tiny_gca.pth')
    save_checkpoint(dict(meta=dict(), state_dict=model.state_dict()), ckpt)
    return cfg_path, ckpt


@pytest.fixture(scope='module')
def inferencer(model_files):
    return DPTMattingInferencer(model_files[0], model_files[1], 'cpu')


@pytest.fixture
def scene_files(tmp_path):
    image, mask, trimap = make_scene(45, 70)
    paths = dict(
        img=str(tmp_path / 'photo.jpg'),
        trimap=str(tmp_path / 'photo_trimap.png'),
        mask=str(tmp_path / 'photo_mask.png'))
    cv2.imwrite(paths['img'], image)
    cv2.imwrite(paths['trimap'], trimap)
    cv2.imwrite(paths['mask'], mask)
    return paths


def load_cli():
    """Import tools/infer.py as a module (it is a script, not a package)."""
    return load_tool('tools/infer.py', 'dpt_infer_tool')


# ---------------------------------------------------------------- trimaps
def test_trimap_from_mask_band_width():
    mask = np.zeros((60, 60), np.uint8)
    mask[20:40, 10:50] = 200  # >= threshold 128
    tri = trimap_from_mask(mask, band=4)
    assert set(np.unique(tri)) == {0, 128, 255}
    col = tri[:, 30]  # straight horizontal edges at rows 20 and 40
    # rows 16..23 around the top edge and 36..43 around the bottom one
    # are unknown: 2 * band pixels across each edge
    np.testing.assert_array_equal(np.where(col == 128)[0],
                                  list(range(16, 24)) + list(range(36, 44)))
    assert (col[24:36] == 255).all() and (col[:16] == 0).all()
    # a wider band grows the unknown region, a higher threshold empties fg
    assert (trimap_from_mask(mask, band=6) == 128).sum() > (tri == 128).sum()
    assert (trimap_from_mask(mask, band=4, threshold=201) == 0).all()
    with pytest.raises(ValueError, match='band'):
        trimap_from_mask(mask, band=0)


def test_check_trimap_strict_soft_and_size():
    tri = np.array([[0, 128, 255], [0, 0, 255]], np.uint8)
    assert check_trimap(tri, (2, 3, 3), 'a.png') is tri
    soft = np.array([[3, 100, 250], [10, 11, 200]], np.uint8)
    with pytest.raises(MattingInputError,
                       match=r'soft\.png: 6 pixels .*3, 10, 11, 100'):
        check_trimap(soft, (2, 3, 3), 'soft.png')
    mapped = check_trimap(soft, (2, 3, 3), 'soft.png', threshold=(10, 200))
    np.testing.assert_array_equal(mapped, [[0, 128, 255], [0, 128, 255]])
    with pytest.raises(MattingInputError,
                       match=r'small\.png: trimap size 3x2 \(WxH\) does not '
                       r'match the image size 4x2'):
        check_trimap(tri, (2, 4, 3), 'small.png')


# --------------------------------------------------------------- image io
def test_read_image_matches_mmcv_and_rejects_bad_files(tmp_path):
    import mmcv
    image, _, _ = make_scene(21, 34)
    good = str(tmp_path / 'good.png')
    cv2.imwrite(good, image)
    np.testing.assert_array_equal(read_image(good), mmcv.imread(good))
    gray = str(tmp_path / 'gray.png')
    cv2.imwrite(gray, image[..., 0])
    assert read_image(gray).shape == (21, 34, 3)

    rgba = str(tmp_path / 'rgba.png')
    cv2.imwrite(rgba, np.dstack([image, image[..., 0]]))
    with pytest.raises(MattingInputError, match=r'rgba\.png: .*alpha'):
        read_image(rgba)
    with pytest.raises(MattingInputError, match=r'rgba\.png: the mask has'):
        read_gray_map(rgba, 'mask')
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'\xff\xd8 not really a jpeg')
    with pytest.raises(MattingInputError, match=r'broken\.jpg: cannot decode'):
        read_image(str(broken))
    with pytest.raises(MattingInputError, match=r'nope\.png: .*not exist'):
        read_image(str(tmp_path / 'nope.png'))
    deep = str(tmp_path / 'deep.png')
    cv2.imwrite(deep, image.astype(np.uint16) * 256)
    with pytest.raises(MattingInputError, match=r'deep\.png: uint16'):
        read_image(deep)
    # a colour trimap with equal channels keeps its values
    tri3 = str(tmp_path / 'tri3.png')
    cv2.imwrite(tri3, np.repeat(np.array([[0, 128, 255]], np.uint8)[..., None],
                                3, -1))
    np.testing.assert_array_equal(read_gray_map(tri3), [[0, 128, 255]])


def test_atomic_write_image_round_trip_and_unencodable(tmp_path):
    """The image writer keeps the exact pixels; an image it cannot encode
    writes nothing (write failures: test_foundation)."""
    target = str(tmp_path / 'sub' / 'alpha.png')
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    atomic_imwrite(img, target)
    np.testing.assert_array_equal(
        cv2.imread(target, cv2.IMREAD_UNCHANGED), img)
    with pytest.raises(ValueError, match='cannot encode'):
        atomic_imwrite(img, str(tmp_path / 'x.notanimage'))
    assert not osp.exists(tmp_path / 'x.notanimage')
    assert os.listdir(tmp_path) == ['sub']


def test_collect_pairs(tmp_path):
    imgs, tris = tmp_path / 'imgs', tmp_path / 'tris'
    imgs.mkdir()
    tris.mkdir()
    for name in ('b.jpg', 'a.png'):
        (imgs / name).write_bytes(b'x')
    (imgs / 'notes.txt').write_bytes(b'x')
    (tris / 'a.png').write_bytes(b'x')
    (tris / 'b.bmp').write_bytes(b'x')
    assert collect_pairs(str(imgs), str(tris)) == [
        (str(imgs / 'a.png'), str(tris / 'a.png')),
        (str(imgs / 'b.jpg'), str(tris / 'b.bmp'))
    ]
    assert collect_pairs(str(imgs / 'b.jpg'), str(tris)) == [
        (str(imgs / 'b.jpg'), str(tris / 'b.bmp'))
    ]
    (imgs / 'c.png').write_bytes(b'x')
    with pytest.raises(MattingInputError, match=r'c\.png: no mask named c\.'):
        collect_pairs(str(imgs), str(tris), 'mask')
    (tris / 'c.png').write_bytes(b'x')
    (imgs / 'c.jpg').write_bytes(b'x')
    with pytest.raises(MattingInputError, match='share the name'):
        collect_pairs(str(imgs), str(tris))
    with pytest.raises(MattingInputError, match='must be a folder'):
        collect_pairs(str(imgs), str(tris / 'a.png'))


# ------------------------------------------------ foreground and cut-outs
def synthetic_composite(h: int = 48, w: int = 64):
    """Known F, B and a ramp alpha; returns uint8 I, alpha and float F."""
    rng = np.random.default_rng(1)
    fg = np.empty((h, w, 3))
    fg[:] = (0.2, 0.5, 0.9)
    fg += np.linspace(0, 0.1, w)[None, :, None]
    bg = rng.uniform(0, 1, (h, w, 3))
    bg = cv2.GaussianBlur(bg, (0, 0), 2)
    alpha = np.clip(np.linspace(-0.5, 1.5, w), 0, 1)[None, :].repeat(h, 0)
    image = alpha[..., None] * fg + (1 - alpha[..., None]) * bg
    return (np.round(image * 255).astype(np.uint8),
            np.round(alpha * 255).astype(np.uint8), fg)


def _fg_errors(method):
    image, alpha, fg_true = synthetic_composite()
    fg = estimate_foreground(image, alpha, method).astype(float) / 255
    band = (alpha >= 50) & (alpha <= 200)  # where I and F differ most
    err = np.abs(fg - fg_true)[band].mean()
    naive = np.abs(image / 255. - fg_true)[band].mean()
    return err, naive


def test_blur_fusion_recovers_foreground(monkeypatch):
    err, naive = _fg_errors('blur')  # measured 0.035 vs 0.127
    assert err < 0.33 * naive, (err, naive)
    # 'auto' falls back to blur fusion, with a warning, without pymatting
    monkeypatch.setattr(matting_ops, '_pymatting_ml', lambda: None)
    image, alpha, _ = synthetic_composite()
    with pytest.warns(UserWarning, match='pymatting is not installed'):
        auto = estimate_foreground(image, alpha, 'auto')
    expected = blur_fusion_foreground(image / 255., alpha / 255.)
    np.testing.assert_array_equal(
        auto, np.clip(np.round(expected * 255), 0, 255).astype(np.uint8))
    with pytest.raises(ImportError, match='pymatting'):
        estimate_foreground(image, alpha, 'ml')


@pytest.mark.slow  # a fresh venv compiles pymatting's numba kernels: minutes
def test_pymatting_ml_recovers_foreground():
    err, naive = _fg_errors('ml')  # measured 0.026 vs 0.127
    assert err < 0.25 * naive, (err, naive)


def test_cutout_and_composite_are_consistent():
    rng = np.random.default_rng(2)
    fg = rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)
    alpha = np.array([[0, 255, 128, 64, 255, 0]] * 5, np.uint8)
    cut = make_cutout(fg, alpha)
    assert cut.shape == (5, 6, 4)
    np.testing.assert_array_equal(cut[..., :3], fg)
    np.testing.assert_array_equal(cut[..., 3], alpha)
    bg = np.full((5, 6, 3), 10, np.uint8)
    comp = composite(fg, alpha, bg)
    np.testing.assert_array_equal(comp[:, 1], fg[:, 1])
    np.testing.assert_array_equal(comp[:, 0], bg[:, 0])
    expected = np.round(128 / 255 * fg[:, 2] + (1 - 128 / 255) * 10)
    np.testing.assert_array_equal(comp[:, 2], expected)
    # a wide background is scaled to cover and centre-cropped, not squashed
    wide = np.zeros((10, 40, 3), np.uint8)
    wide[:, 20:] = 255
    fitted = fit_background(wide, 20, 20)
    assert fitted.shape == (20, 20, 3)
    assert (fitted[:, :8] == 0).all() and (fitted[:, -8:] == 255).all()


# ------------------------------------------------------------ inferencer
def test_inferencer_writes_consistent_outputs(inferencer, scene_files,
                                              tmp_path):
    out = str(tmp_path / 'out')
    results, images = inferencer(
        img=scene_files['img'],
        trimap=scene_files['trimap'],
        result_out_dir=out,
        fg_method='blur')
    alpha = results['pred_alpha']
    trimap = cv2.imread(scene_files['trimap'], cv2.IMREAD_GRAYSCALE)
    assert alpha.shape == (45, 70) and alpha.dtype == np.uint8
    assert (alpha[trimap == 255] == 255).all()
    assert (alpha[trimap == 0] == 0).all()
    assert sorted(os.listdir(out)) == ['alpha', 'cutout', 'fg']
    saved_alpha = cv2.imread(f'{out}/alpha/photo.png', cv2.IMREAD_UNCHANGED)
    saved_fg = cv2.imread(f'{out}/fg/photo.png', cv2.IMREAD_UNCHANGED)
    cut = cv2.imread(f'{out}/cutout/photo.png', cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(saved_alpha, alpha)
    assert saved_fg.shape == (45, 70, 3) and cut.shape == (45, 70, 4)
    np.testing.assert_array_equal(cut[..., 3], alpha)
    np.testing.assert_array_equal(cut[..., :3], saved_fg)
    np.testing.assert_array_equal(images['cutout'], cut)
    from dpt_mm.registry import INFERENCERS
    assert INFERENCERS.get('DPTMattingInferencer') is DPTMattingInferencer


def test_inferencer_matches_mmagic_matting_inferencer(model_files,
                                                      inferencer,
                                                      scene_files):
    """Validated loading + pipeline give mmagic's own inferencer's alpha."""
    from mmagic.apis.inferencers.matting_inferencer import MattingInferencer
    ref = MattingInferencer(model_files[0], model_files[1], 'cpu')
    ref_alpha = ref(img=scene_files['img'], trimap=scene_files['trimap'])[0]
    ours = inferencer(img=scene_files['img'], trimap=scene_files['trimap'])[0]
    np.testing.assert_array_equal(ours['pred_alpha'],
                                  ref_alpha['pred_alpha'].numpy())


def test_inferencer_arrays_mask_and_background(inferencer, tmp_path):
    image, mask, _ = make_scene(37, 50, seed=3)
    bg = np.zeros((80, 60, 3), np.uint8)
    bg[..., 1] = 255
    out = str(tmp_path / 'out')
    results, images = inferencer(
        img=image,
        mask=mask,
        band=5,
        name='arr',
        bg=bg,
        result_out_dir=out,
        fg_method='blur')
    expected_trimap = trimap_from_mask(mask, band=5)
    np.testing.assert_array_equal(results['trimap'], expected_trimap)
    np.testing.assert_array_equal(
        cv2.imread(f'{out}/trimap/arr.png', cv2.IMREAD_GRAYSCALE),
        expected_trimap)
    alpha, comp = results['pred_alpha'], images['composite']
    assert comp.shape == (37, 50, 3)
    np.testing.assert_array_equal(
        cv2.imread(f'{out}/composite/arr.png'), comp)
    np.testing.assert_array_equal(comp[alpha == 0], [[0, 255, 0]] *
                                  int((alpha == 0).sum()))
    np.testing.assert_array_equal(comp[alpha == 255],
                                  images['fg'][alpha == 255])


def test_inferencer_rejects_bad_inputs(inferencer, scene_files, tmp_path):
    image = cv2.imread(scene_files['img'])
    trimap = cv2.imread(scene_files['trimap'], cv2.IMREAD_GRAYSCALE)
    small = str(tmp_path / 'small_trimap.png')
    cv2.imwrite(small, trimap[:40])
    with pytest.raises(MattingInputError,
                       match=r'small_trimap\.png: trimap size 70x40'):
        inferencer(img=scene_files['img'], trimap=small)
    soft = str(tmp_path / 'soft_trimap.png')
    cv2.imwrite(soft, cv2.GaussianBlur(trimap, (5, 5), 0))
    with pytest.raises(MattingInputError, match=r'soft_trimap\.png: \d+ pix'):
        inferencer(img=scene_files['img'], trimap=soft)
    res = inferencer(img=scene_files['img'], trimap=soft,
                     trimap_threshold=(20, 235))[0]
    assert set(np.unique(res['trimap'])) <= {0, 128, 255}
    rgba = str(tmp_path / 'rgba.png')
    cv2.imwrite(rgba, np.dstack([image, trimap]))
    with pytest.raises(MattingInputError, match=r'rgba\.png: .*alpha'):
        inferencer(img=rgba, trimap=scene_files['trimap'])
    with pytest.raises(ValueError, match='exactly one'):
        inferencer(img=scene_files['img'])


def test_inferencer_rejects_mismatched_checkpoint(model_files, tmp_path):
    from mmengine.runner import save_checkpoint
    state = torch.load(model_files[1], map_location='cpu')['state_dict']
    removed = sorted(state)[0]
    state.pop(removed)
    bad = str(tmp_path / 'bad.pth')
    save_checkpoint(dict(meta=dict(), state_dict=state), bad)
    with pytest.raises(RuntimeError, match=r'bad\.pth: checkpoint does not') \
            as info:
        DPTMattingInferencer(model_files[0], bad, 'cpu')
    # a summary naming the key, not MMEngine's dump of every key
    assert str(info.value).endswith(f': 1 missing key ({removed})')


# ------------------------------------------------------------------ CLI
def _write_folder(tmp_path):
    imgs, masks = tmp_path / 'imgs', tmp_path / 'masks'
    imgs.mkdir()
    masks.mkdir()
    for name, (h, w) in dict(one=(45, 70), two=(33, 40)).items():
        image, mask, _ = make_scene(h, w, seed=len(name) + h)
        cv2.imwrite(str(imgs / f'{name}.jpg'), image)
        cv2.imwrite(str(masks / f'{name}.png'), mask)
    return imgs, masks


def test_cli_folder_with_masks_and_background(model_files, tmp_path, capsys):
    imgs, masks = _write_folder(tmp_path)
    bg = str(tmp_path / 'bg.png')
    cv2.imwrite(bg, np.full((50, 50, 3), 200, np.uint8))
    out = tmp_path / 'out'
    rc = load_cli().main([
        *model_files, '--img',
        str(imgs), '--mask',
        str(masks), '--band', '4', '--bg', bg, '--out',
        str(out), '--device', 'cpu', '--fg-method', 'blur'
    ])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert '2/2' in captured.err  # the progress bar finished
    assert '2 of 2 image(s) matted' in captured.out
    for name, shape in dict(one=(45, 70), two=(33, 40)).items():
        for kind in ('alpha', 'fg', 'cutout', 'composite', 'trimap'):
            img = cv2.imread(str(out / kind / f'{name}.png'),
                             cv2.IMREAD_UNCHANGED)
            assert img.shape[:2] == shape, (kind, name)
        mask = cv2.imread(str(masks / f'{name}.png'), cv2.IMREAD_GRAYSCALE)
        np.testing.assert_array_equal(
            cv2.imread(str(out / 'trimap' / f'{name}.png'), 0),
            trimap_from_mask(mask, band=4))


def test_cli_bad_input_names_the_file(model_files, tmp_path, capsys):
    imgs, masks = _write_folder(tmp_path)
    mask = cv2.imread(str(masks / 'one.png'), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(masks / 'one.png'), mask[:, :60])
    out = tmp_path / 'out'
    args = [
        *model_files, '--img',
        str(imgs), '--mask',
        str(masks), '--out',
        str(out), '--device', 'cpu', '--fg-method', 'blur'
    ]
    cli = load_cli()
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert f'{masks / "one.png"}: mask size 60x45' in err
    assert not (out / 'alpha' / 'one.png').exists()
    assert cli.main(args + ['--keep-going']) == 1
    assert 'skipped:' in capsys.readouterr().err
    assert (out / 'alpha' / 'two.png').exists()
    assert not (out / 'alpha' / 'one.png').exists()
    # a missing partner is reported before the model is even built
    os.remove(masks / 'two.png')
    assert cli.main(args) == 2
    assert 'two.jpg: no mask named two.*' in capsys.readouterr().err


def test_cli_rejects_a_file_that_is_no_checkpoint(model_files, scene_files,
                                                  tmp_path, capsys):
    """A text file as checkpoint: torch alone fails with 'KeyError: 101';
    the tool says what is wrong with which file and exits 2."""
    junk = tmp_path / 'notes.pth'
    junk.write_text('these are my notes\n')
    out = tmp_path / 'out'
    rc = load_cli().main([
        model_files[0],
        str(junk), '--img', scene_files['img'], '--trimap',
        scene_files['trimap'], '--out',
        str(out), '--device', 'cpu'
    ])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith(
        f'error: {junk}: not a readable PyTorch checkpoint ('), err
    assert 'Traceback' not in err and err.count('\n') == 1
    assert not out.exists()


@pytest.mark.parametrize('low,high', [(200, 100), (100, 100), (-1, 50),
                                      (10, 256)])
def test_cli_checks_trimap_threshold_when_parsing(low, high, tmp_path,
                                                 capsys):
    """A bad --trimap-threshold stops at argument parsing (the paths given
    do not even exist), not after the model was built."""
    with pytest.raises(SystemExit) as info:
        load_cli().parse_args([
            'cfg.py', 'ckpt.pth', '--img', 'x.jpg', '--trimap', 'x.png',
            '--out',
            str(tmp_path), '--trimap-threshold',
            str(low),
            str(high)
        ])
    assert info.value.code == 2
    assert '0 <= LOW < HIGH <= 255, got ' \
        f'{low} {high}' in capsys.readouterr().err
    args = load_cli().parse_args([
        'cfg.py', 'ckpt.pth', '--img', 'x.jpg', '--trimap', 'x.png', '--out',
        str(tmp_path), '--trimap-threshold', '0', '255'
    ])
    assert args.trimap_threshold == [0, 255]


def test_cli_out_must_not_be_a_file(model_files, scene_files, tmp_path,
                                    capsys):
    out = tmp_path / 'results'
    out.write_text('keep me')
    rc = load_cli().main([
        *model_files, '--img', scene_files['img'], '--trimap',
        scene_files['trimap'], '--out',
        str(out), '--device', 'cpu'
    ])
    assert rc == 2
    assert f'error: {out}: --out must be a folder' in capsys.readouterr().err
    assert out.read_text() == 'keep me'


@pytest.mark.slow
def test_cli_runs_as_a_script(model_files, scene_files, tmp_path):
    out = tmp_path / 'out'
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools', 'infer.py'), *model_files, '--img',
        scene_files['img'], '--trimap', scene_files['trimap'], '--out',
        str(out), '--device', 'cpu'
    ],
                          capture_output=True,
                          text=True,
                          env=dict(os.environ, OMP_NUM_THREADS='1'),
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert cv2.imread(str(out / 'cutout' / 'photo.png'),
                      cv2.IMREAD_UNCHANGED).shape == (45, 70, 4)


@pytest.mark.parametrize('h,w', [(9, 12), (16, 40), (40, 1)])
def test_inferencer_mattes_images_of_16_px_or_less(inferencer, tmp_path, h,
                                                   w):
    """A side of 16 px or less cannot be reflect-padded to 32 (torch:
    'Padding size should be less than the corresponding input dimension');
    such images are edge-replicated first and the alpha cropped back."""
    image, _, _ = make_scene(h, w)
    trimap = np.full((h, w), 128, np.uint8)
    trimap[:, :w // 3] = 0
    trimap[:, w - w // 3:] = 255
    results, images = inferencer(
        img=image, trimap=trimap, result_out_dir=str(tmp_path),
        name='tiny', fg_method='blur')
    alpha = results['pred_alpha']
    assert alpha.shape == (h, w) and alpha.dtype == np.uint8
    assert (alpha[trimap == 0] == 0).all() and (alpha[trimap == 255]
                                                 == 255).all()
    assert images['cutout'].shape == (h, w, 4)
    saved = cv2.imread(str(tmp_path / 'alpha' / 'tiny.png'),
                       cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(saved, alpha)


def test_inferencer_small_image_padding_keeps_other_sizes(inferencer):
    """Images the mattor can pad itself reach the model unchanged."""
    image, _, trimap = make_scene(17, 33)
    same = inferencer._replicate_small(image, trimap)
    assert same[0] is image and same[1] is trimap
    padded = inferencer._replicate_small(image[:16], trimap[:16])
    assert padded[0].shape == (32, 64, 3) and padded[1].shape == (32, 64)
    np.testing.assert_array_equal(padded[0][16:], np.repeat(
        padded[0][15:16], 16, axis=0))


def test_cli_checks_out_is_writable_before_the_model(model_files,
                                                     scene_files, tmp_path,
                                                     capsys, monkeypatch):
    """An --out that cannot be written (under a file; in a read-only folder
    when not root) stops with one error line, exit 2, before the model is
    built (it used to fail after), and creates nothing."""
    blocker = tmp_path / 'a_file'
    blocker.write_text('x')
    outs = [blocker / 'results']
    locked = tmp_path / 'locked'
    locked.mkdir()
    if os.geteuid() != 0:  # root writes into 0o500 folders
        locked.chmod(0o500)
        outs += [locked / 'results', locked]
    cli = load_cli()
    monkeypatch.setattr(
        'dpt_mm.apis.DPTMattingInferencer',
        lambda *a, **k: pytest.fail('the model was built'))
    try:
        for out in outs:
            rc = cli.main([
                *model_files, '--img', scene_files['img'], '--trimap',
                scene_files['trimap'], '--out',
                str(out), '--device', 'cpu'
            ])
            err = capsys.readouterr().err
            assert rc == 2, err
            assert err.startswith(f'error: {out}: --out cannot be written')
            assert err.count('\n') == 1, err
        assert os.listdir(locked) == [] and blocker.read_text() == 'x'
    finally:
        locked.chmod(0o700)
