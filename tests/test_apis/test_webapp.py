"""Tests of the interactive page (dpt_mm/apis/webapp.py, tools/serve.py).

A uvicorn server runs the app in a thread on a free port with the tiny demo
MatteFormer (configs/demo/matteformer-tiny_demo.py, random weights saved as
a checkpoint). The HTTP tests post multipart forms with requests; the
browser test drives the system chromium through selenium: it uploads a
photo and a trimap through the page's file inputs, runs, paints a stroke on
the canvas, runs again, and checks the downloaded RGBA cut-outs against
DPTMattingInferencer on the same inputs. Without chromium the browser test
fails when CI=true (.ci/run installs it) and is skipped otherwise.
"""
import base64
import os
import os.path as osp
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

import cv2
import numpy as np
import pytest
import requests
import torch
from mmengine.config import Config
from mmengine.runner import save_checkpoint

import dpt_mm  # noqa: F401  (registers dpt_mm and mmagic modules)
from dpt_mm.apis import DPTMattingInferencer, trimap_from_mask
from dpt_mm.apis.admission import ProcessMemory
from dpt_mm.apis.webapp import (MattingService, build_choices, create_app,
                                discover_work_dir)
from tool_scripts import load_tool

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIG = osp.join(ROOT, 'configs', 'demo', 'matteformer-tiny_demo.py')
H, W = 110, 150  # not multiples of 32: the mattor pads and crops back
SIDES = (128, 256)  # memory measured at these photo sides (fast)


def make_scene(h: int = H, w: int = W):
    """A textured photo with a disc-shaped object, its mask and trimap."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:h, :w]
    image = np.stack([xx * 200 // w, yy * 200 // h,
                      np.full((h, w), 90)], -1).astype(np.uint8)
    image = cv2.add(image, rng.integers(0, 30, (h, w, 3), dtype=np.uint8))
    dist = np.hypot(yy - h / 2, xx - w / 2)
    image[dist < h / 3] = (40, 60, 220)
    mask = np.where(dist < h / 3, 255, 0).astype(np.uint8)
    return image, mask, trimap_from_mask(mask, band=6)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """Checkpoint of the tiny demo MatteFormer and the scene's files."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmagic')
    root = tmp_path_factory.mktemp('webapp')
    torch.manual_seed(0)
    model = DPTMattingInferencer.build_strict(Config.fromfile(CONFIG), None)
    ckpt = str(root / 'tiny.pth')
    save_checkpoint(dict(meta=dict(), state_dict=model.state_dict()), ckpt)
    image, mask, trimap = make_scene()
    paths = dict(
        ckpt=ckpt,
        photo=str(root / 'photo.png'),
        trimap=str(root / 'photo_trimap.png'),
        mask=str(root / 'photo_mask.png'),
        small_trimap=str(root / 'small_trimap.png'),
        empty=str(root / 'empty.png'),
        text=str(root / 'notes.txt'))
    open(paths['empty'], 'wb').close()
    cv2.imwrite(paths['photo'], image)
    cv2.imwrite(paths['trimap'], trimap)
    cv2.imwrite(paths['mask'], mask)
    cv2.imwrite(paths['small_trimap'], trimap[:-10])
    with open(paths['text'], 'w') as f:
        f.write('not an image\n')
    paths['bad_ckpt'] = str(root / 'bad.pth')
    with open(paths['bad_ckpt'], 'w') as f:
        f.write('not a checkpoint\n')
    return paths


@pytest.fixture(scope='module')
def reference(files):
    """DPTMattingInferencer on the same checkpoint, outside the server."""
    return DPTMattingInferencer(CONFIG, files['ckpt'], 'cpu')


@pytest.fixture(scope='module')
def server(files):
    """Base URL of the app served by uvicorn in a thread."""
    choices = build_choices([(CONFIG, files['ckpt']),
                             (CONFIG, files['bad_ckpt'])])
    # a fixed memory per pixel (the `limited` server measures its own)
    url, stop = start_server(
        create_app(MattingService(choices, 'cpu', bytes_per_pixel=1000)))
    yield url
    stop()


def decode(b64: str) -> np.ndarray:
    img = cv2.imdecode(
        np.frombuffer(base64.b64decode(b64), np.uint8), cv2.IMREAD_UNCHANGED)
    assert img is not None
    return img


def post(server, files, model='m0', **fields):
    """POST /api/matte with the named files of ``files`` (form field ->
    key of ``files``) and other form fields."""
    uploads = {}
    for field in ('photo', 'trimap', 'mask'):
        if field in fields:
            path = files[fields.pop(field)]
            uploads[field] = (osp.basename(path), open(path, 'rb').read())
    data = dict(model=model, fg_method='blur')
    data.update(fields)
    return requests.post(
        f'{server}/api/matte',
        data=data,
        files=uploads,
        timeout=120)


def expected_alpha(reference, files, trimap=None, **guide):
    image = cv2.imread(files['photo'])
    if trimap is not None:
        guide = dict(trimap=trimap)
    results, _ = reference(img=image, fg_method='blur', **guide)
    return results['pred_alpha'].astype(int)


def check_cutout(cutout, trimap, alpha):
    """RGBA of the photo's size, alpha as expected, known regions kept."""
    assert cutout.shape == (H, W, 4) and cutout.dtype == np.uint8
    diff = np.abs(cutout[..., 3].astype(int) - alpha)
    assert diff.max() <= 1, f'alpha differs by up to {diff.max()}'
    assert (cutout[..., 3][trimap == 255] == 255).all()
    assert (cutout[..., 3][trimap == 0] == 0).all()
    # the unknown band holds the model's guess, not a copy of the trimap
    assert (trimap == 128).sum() > 100


# ---------------------------------------------------------------- HTTP
def test_http_trimap_matches_inferencer(server, files, reference):
    r = post(server, files, photo='photo', trimap='trimap')
    assert r.status_code == 200, r.text
    res = r.json()
    trimap = cv2.imread(files['trimap'], cv2.IMREAD_GRAYSCALE)
    assert (res['width'], res['height']) == (W, H)
    np.testing.assert_array_equal(decode(res['trimap']), trimap)
    cutout = decode(res['cutout'])
    check_cutout(cutout, trimap, expected_alpha(reference, files, trimap))
    np.testing.assert_array_equal(decode(res['alpha']), cutout[..., 3])
    np.testing.assert_array_equal(decode(res['fg']), cutout[..., :3])


def test_http_mask_makes_trimap(server, files, reference):
    r = post(server, files, photo='photo', mask='mask', band=4)
    assert r.status_code == 200, r.text
    res = r.json()
    mask = cv2.imread(files['mask'], cv2.IMREAD_GRAYSCALE)
    trimap = trimap_from_mask(mask, band=4)
    np.testing.assert_array_equal(decode(res['trimap']), trimap)
    check_cutout(
        decode(res['cutout']), trimap,
        expected_alpha(reference, files, mask=mask, band=4))


@pytest.mark.parametrize('fields, pattern', [
    (dict(photo='text', trimap='trimap'),
     r'^notes\.txt: cannot decode the photo: its header gives no image'),
    (dict(photo='photo', trimap='small_trimap'),
     r'^small_trimap\.png: trimap size 150x100 \(WxH\) does not match the '
     r'image size 150x110'),
    (dict(photo='photo', trimap='photo'),
     r'^photo\.png: \d+ pixels have values outside \{0, 128, 255\}'),
    (dict(photo='photo'), 'exactly one of a trimap'),
    (dict(trimap='trimap'), '^photo: Field required'),
    (dict(photo='photo', trimap='trimap', model='m9'),
     "^model: unknown model 'm9'"),
    (dict(photo='photo', mask='mask', band=0),
     r'^band: must be in \[1, 27\] px \(0.25 of the photo.s shorter side, '
     r'110 px\), got 0$'),
    (dict(photo='photo', mask='mask', band=-3), r'^band: .* got -3$'),
    (dict(photo='photo', mask='mask', band=100000),
     r'^band: must be in \[1, 27\] px .* got 100000$'),
    (dict(photo='photo', mask='mask', band=28), r'^band: .* got 28$'),
    (dict(photo='photo', trimap='trimap', fg_method='magic'),
     r"^fg_method: .* one of auto, ml, blur, got 'magic'"),
    (dict(photo='empty', trimap='trimap'), r'^empty\.png: the photo file '
     r'is empty'),
])
def test_http_bad_input_is_400(server, files, fields, pattern):
    r = post(server, files, **fields)
    assert r.status_code == 400, r.text
    assert re.search(pattern, r.json()['detail']), r.json()['detail']


def test_unloadable_checkpoint_is_500_naming_it(server, files):
    r = post(server, files, model='m1', photo='photo', trimap='trimap')
    assert r.status_code == 500, r.text
    detail = r.json()['detail']
    assert re.search(r'bad\.pth: .*checkpoint', detail), detail
    assert osp.dirname(files['bad_ckpt']) not in detail
    assert not re.search(r'(^|[\s(\'"])/\w', detail), detail


def test_without_paths():
    from dpt_mm.apis.webapp import without_paths
    assert without_paths('/tmp/a b/x/bad.pth: not a checkpoint (/opt/c.py)'
                         ) == 'a b/x/bad.pth: not a checkpoint (c.py)'
    assert without_paths("'/srv/w/run/iter_10.pth' and /etc/x"
                         ) == "'iter_10.pth' and x"
    assert without_paths('a/b.png: 3/4 of 1/2') == 'a/b.png: 3/4 of 1/2'
    # a folder with spaces is cut whole when the path is known
    assert without_paths(
        'x: /srv/my models/run 1/bad.pth: not a checkpoint',
        ('/srv/my models/run 1/bad.pth', None, 'hf://org/m')
    ) == 'x: bad.pth: not a checkpoint'
    # a sibling under a known folder (a config's ../_base_), a path spelt
    # with '//'
    assert without_paths(
        "/srv/my models/_base_/m.py: no key 'x' (/srv/my models/run 1/c.py)",
        ('/srv/my models//run 1/c.py', )
    ) == "_base_/m.py: no key 'x' (c.py)"


def test_model_load_error_in_a_folder_with_spaces(tmp_path, monkeypatch):
    """A library error that quotes the checkpoint's full path reaches the
    page as the run folder and file name (the model's display name), no
    folder above, also when the folders' names contain spaces."""
    import dpt_mm.apis.matting_inferencer as inferencer_module
    from dpt_mm.apis.webapp import (MattingService, ModelLoadError,
                                    build_choices)
    folder = tmp_path / 'my models' / 'run 1'
    folder.mkdir(parents=True)
    ckpt = folder / 'iter_10.pth'
    ckpt.write_bytes(b'')

    def failing(config, checkpoint, device):
        raise RuntimeError(f'cannot read {checkpoint} with {config}')

    monkeypatch.setattr(inferencer_module, 'DPTMattingInferencer', failing)
    service = MattingService(build_choices([(CONFIG, str(ckpt))], False),
                             'cpu')
    with pytest.raises(ModelLoadError) as err:
        service.inferencer('m0')
    message = str(err.value)
    assert message == (f'{osp.basename(CONFIG)[:-3]} | run 1/iter_10.pth: '
                       f'cannot read iter_10.pth with {osp.basename(CONFIG)}'
                       ), message
    assert 'my models' not in message and str(tmp_path) not in message


def test_matting_fault_is_reported_without_server_paths(files, monkeypatch):
    """A fault inside the mattor (not bad input) is MattingFailed (HTTP
    500) naming the exception, with the temporary upload folder removed;
    bad input found by the inferencer stays a ValueError (HTTP 400)."""
    from dpt_mm.apis.image_io import MattingInputError
    from dpt_mm.apis.webapp import (MattingFailed, MattingService,
                                    build_choices)
    service = MattingService(
        build_choices([(CONFIG, files['ckpt'])]), 'cpu', bytes_per_pixel=1)
    seen = {}

    def failing(exc):
        def inferencer(img, **kwargs):
            seen['tmp'] = osp.dirname(osp.dirname(img))
            raise exc(f'cannot use {img}')
        return inferencer

    photo = ('photo.png', open(files['photo'], 'rb').read())
    trimap = ('trimap.png', open(files['trimap'], 'rb').read())
    monkeypatch.setattr(service, 'inferencer', lambda key: failing(KeyError))
    with pytest.raises(MattingFailed, match=r'^KeyError: .*photo\.png') as e:
        service.matte('m0', photo, trimap, None, 10, 'blur')
    assert seen['tmp'] not in str(e.value)
    monkeypatch.setattr(service, 'inferencer',
                        lambda key: failing(MattingInputError))
    with pytest.raises(ValueError, match=r'^cannot use photo\.png$'):
        service.matte('m0', photo, trimap, None, 10, 'blur')


def test_photo_over_the_pixel_limit_is_refused_before_decoding(files):
    """The limit is read from the header: a tiny PNG of a 2000x2000 blank
    image is refused with its size, and nothing is matted."""
    from dpt_mm.apis.webapp import MattingService, build_choices
    service = MattingService(
        build_choices([(CONFIG, files['ckpt'])]), 'cpu', max_megapixels=1)
    big = cv2.imencode('.png', np.zeros((2000, 2000), np.uint8))[1].tobytes()
    assert len(big) < 100_000  # the file is small, the image is not
    service.inferencer = lambda key: pytest.fail('must not be matted')
    trimap = ('trimap.png', open(files['trimap'], 'rb').read())
    with pytest.raises(ValueError,
                       match=r'^big\.png: the photo is 2000x2000 px, more '
                       r'than the page accepts \(1 MP\)'):
        service.matte('m0', ('big.png', big), trimap, None, 10, 'blur')


def test_decompression_bomb_png_is_refused_by_its_header(files):
    """A PNG over Pillow's decompression-bomb limit still has its size read
    (from IHDR) and is refused before decoding, as a file object too."""
    import io

    from dpt_mm.apis.webapp import MattingService, TooLarge, build_choices
    service = MattingService(
        build_choices([(CONFIG, files['ckpt'])]), 'cpu', max_megapixels=40)
    bomb = cv2.imencode('.png', np.zeros((13600, 13600), np.uint8))[1]
    bomb = bomb.tobytes()
    assert len(bomb) < 1_000_000
    service.inferencer = lambda key: pytest.fail('must not be matted')
    trimap = ('trimap.png', open(files['trimap'], 'rb').read())
    for upload in (bomb, io.BytesIO(bomb)):
        with pytest.raises(TooLarge, match=r'^bomb\.png: the photo is '
                           r'13600x13600 px, more than the page accepts'):
            service.matte('m0', ('bomb.png', upload), trimap, None, 10,
                          'blur')


def test_checkpoint_entries_may_be_hugging_face_folders_or_ids(tmp_path):
    """A Hugging Face model folder or an hf:// id is a model entry (the
    inferencer converts it); a missing path is refused."""
    folder = tmp_path / 'vitmatte-small'
    folder.mkdir()
    choices = build_choices([(CONFIG, str(folder)),
                             (CONFIG, 'hf://hustvl/vitmatte-small')],
                            random_init=False)
    assert [c.checkpoint for c in choices] == [
        str(folder), 'hf://hustvl/vitmatte-small'
    ]
    with pytest.raises(FileNotFoundError, match='checkpoint does not exist'):
        build_choices([(CONFIG, str(tmp_path / 'missing'))])


# ------------------------------------------------------- load and limits
def png(img: np.ndarray) -> bytes:
    return cv2.imencode('.png', img)[1].tobytes()


def start_server(app):
    """Serve ``app`` with uvicorn in a thread on loopback; return the URL
    and a function that stops it."""
    import uvicorn
    port = free_port()
    srv = uvicorn.Server(
        uvicorn.Config(app, host='127.0.0.1', port=port, log_level='error'))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started:
        assert thread.is_alive() and time.time() < deadline, \
            'uvicorn did not start'
        time.sleep(0.05)

    def stop():
        srv.should_exit = True
        thread.join(10)

    return f'http://127.0.0.1:{port}', stop


@pytest.fixture(scope='module')
def limited(files):
    """A server with small limits: 3 slots, 1 queue place, 2 MB uploads,
    3 MP photos, a memory budget of 2.5 requests on a 256x256 photo (so
    memory, not the slots, allows two at once). The model's memory is
    measured before it starts."""
    service = MattingService(
        build_choices([(CONFIG, files['ckpt'])], random_init=False),
        'cpu',
        max_upload_mb=2,
        max_megapixels=3,
        max_in_flight=3,
        max_queue=1,
        queue_timeout=60,
        calibration_sides=SIDES)
    _, memory = service._model('m0', 'blur')
    cost = memory.estimate(SIDES[1]**2)
    service.admission.memory_budget = int(2.5 * cost)
    # count the requests that run at once; a test may hold them at a gate
    running = dict(now=0, most=0)
    lock = threading.Lock()
    gate = threading.Event()
    gate.set()
    run = service._run

    def counted(*args, **kwargs):
        with lock:
            running['now'] += 1
            running['most'] = max(running['most'], running['now'])
        try:
            gate.wait(60)
            return run(*args, **kwargs)
        finally:
            with lock:
                running['now'] -= 1

    service._run = counted
    url, stop = start_server(create_app(service))
    yield dict(
        url=url, service=service, cost=cost, running=running, gate=gate)
    stop()


def post_bytes(url, photo, guide, kind='trimap', timeout=120, **fields):
    data = dict(model='m0', fg_method='blur')
    data.update(fields)
    return requests.post(
        f'{url}/api/matte',
        data=data,
        files=dict(photo=photo, **{kind: guide}),
        timeout=timeout)


def test_load_beyond_the_limits_is_503_and_memory_stays_in_budget(limited):
    """Eight concurrent 256x256 requests: two run (the memory
    budget), one waits, five are refused at once with 503 + Retry-After;
    the resident memory added meanwhile stays under the budget; the next
    request is answered. The running requests are held until the refusals
    are in (or 60 s), so that none ends before the last one arrives."""
    from dpt_mm.apis.webapp import calibration_scene
    photo, trimap = calibration_scene(SIDES[1])
    url, service = limited['url'], limited['service']
    results = [None] * 8

    def client(i):
        start = time.time()
        r = post_bytes(url, ('photo.png', photo), ('trimap.png', trimap))
        results[i] = (r.status_code, time.time() - start,
                      r.headers.get('retry-after'), r.json())

    memory = ProcessMemory()
    before = memory.rss()
    limited['gate'].clear()

    def burst():
        threads = [
            threading.Thread(target=client, args=(i, )) for i in range(8)
        ]
        for t in threads:
            t.start()
        deadline = time.time() + 60
        while sum(r is not None for r in results) < 5 \
                and time.time() < deadline:
            time.sleep(0.05)
        limited['gate'].set()
        for t in threads:
            t.join(300)
            assert not t.is_alive(), 'a request did not end'

    peak = memory.peak_during(burst)
    codes = sorted(r[0] for r in results)
    assert codes == [200] * 3 + [503] * 5, [r[0::3] for r in results]
    done = [r for r in results if r[0] == 200]
    refused = [r for r in results if r[0] == 503]
    slowest_refusal = max(r[1] for r in refused)
    assert slowest_refusal < min(r[1] for r in done)
    for _, _, retry_after, body in refused:
        assert int(retry_after) >= 1
        assert re.match(r'^busy: \d requests running and \d waiting '
                        r'\(the limits are 3 and 1\)', body['detail'])
    for _, _, _, body in done:
        assert (body['width'], body['height']) == (SIDES[1], ) * 2
    assert limited['running']['most'] == 2  # the budget, not the 3 slots
    assert peak - before <= service.admission.memory_budget, (
        f'{(peak - before) / 2**20:.0f} MB added, budget '
        f'{service.admission.memory_budget / 2**20:.0f} MB')
    assert service.admission.in_flight == 0
    assert service.admission.waiting == 0
    # the server stays up and answers the next request
    r = post_bytes(url, ('photo.png', photo), ('trimap.png', trimap))
    assert r.status_code == 200, r.text


def test_limits_are_413_naming_the_limit(limited):
    url = limited['url']
    budget_gb = limited['service'].admission.memory_budget / 2**30
    # 1200x1200 = 1.44 MP: under 3 MP, over 2.5 256x256 requests of memory
    blank = png(np.zeros((1200, 1200, 3), np.uint8))
    tri = png(np.full((1200, 1200), 128, np.uint8))
    r = post_bytes(url, ('wide.png', blank), ('t.png', tri))
    assert r.status_code == 413, r.text
    assert re.match(
        rf'^wide\.png \(1\.44 MP\) needs about \d+\.\d\d GB, more than '
        rf'the memory budget \({budget_gb:.2f} GB\)$', r.json()['detail'])
    huge = png(np.zeros((2000, 2000), np.uint8))  # 4 MP > 3 MP
    r = post_bytes(url, ('huge.png', huge), ('t.png', huge))
    assert r.status_code == 413, r.text
    assert r.json()['detail'] == ('huge.png: the photo is 2000x2000 px, more '
                                  'than the page accepts (3 MP)')
    noise = np.random.default_rng(0).integers(0, 255, (1000, 1000, 3),
                                              np.uint8)
    big_file = png(noise)  # 3 MB of incompressible pixels > 2 MB
    r = post_bytes(url, ('noise.png', big_file), ('t.png', tri))
    assert r.status_code == 413, r.text
    assert r.json()['detail'] == ('noise.png: the photo file is larger than '
                                  'the page accepts (2 MB)')
    r = post_bytes(url, ('noise.png', big_file * 3), ('t.png', tri))
    assert r.status_code == 413, r.text
    assert r.json()['detail'] == ('request: the body is larger than the '
                                  'page accepts (5 MB)')


def test_uploads_without_a_length_are_411(limited):
    """A chunked upload (no Content-Length) is refused before its body is
    spooled, so no client can fill the server's disk."""
    def body():
        yield b'--x\r\nContent-Disposition: form-data; name="model"\r\n\r\n'
        yield b'm0\r\n--x--\r\n'

    r = requests.post(
        f'{limited["url"]}/api/matte',
        data=body(),
        headers={'Content-Type': 'multipart/form-data; boundary=x'},
        timeout=30)
    assert r.status_code == 411, r.text
    assert 'Content-Length' in r.json()['detail']


def test_files_without_an_image_header_are_400(limited):
    """No size in the header (nothing to bound the decoding by): a 400
    naming the file, before any decoding."""
    r = post_bytes(limited['url'], ('a.txt', b'text\n'), ('b.txt', b'x\n'))
    assert r.status_code == 400, r.text
    assert r.json()['detail'].startswith('a.txt: cannot decode')


@pytest.mark.parametrize('size, fg_method', [((1, 1), 'auto'),
                                             ((1, 1), 'blur'),
                                             ((2, 3), 'ml'),
                                             ((17, 5), 'blur')])
def test_tiny_photos(server, size, fg_method):
    """Photos smaller than the mattor's padding are matted as
    tools/infer.py mattes them, with every foreground estimator."""
    h, w = size
    photo = np.full((h, w, 3), 200, np.uint8)
    trimap = np.full((h, w), 128, np.uint8)
    trimap[0, 0] = 255
    r = post_bytes(server, ('tiny.png', png(photo)),
                   ('tiny_trimap.png', png(trimap)),
                   fg_method=fg_method)
    assert r.status_code == 200, r.text
    alpha = decode(r.json()['alpha'])
    assert alpha.shape == (h, w) and alpha[0, 0] == 255
    fg = decode(r.json()['fg'])
    assert fg.shape == (h, w, 3)
    if fg_method == 'blur' or h * w == 1:
        # blur fusion of a flat photo: its colour where alpha > 0
        assert (np.abs(fg[alpha > 0].astype(int) - 200) <= 1).all()
    r = post_bytes(server, ('tiny.png', png(photo)),
                   ('tiny_mask.png', png(np.full((h, w), 255, np.uint8))),
                   kind='mask', band=1)
    assert r.status_code == 200, r.text


@pytest.mark.slow  # 200 requests against tools/serve.py: minutes
def test_soak(tmp_path):
    """tools/benchmarks/serve_soak.py: every good request answered 200
    (503s retried), every bad one 4xx, no other 5xx, the server's peak RSS
    within its idle RSS plus the memory budget, the server still up."""
    import json
    soak = load_tool('tools/benchmarks/serve_soak.py', 'dpt_serve_soak')
    out = tmp_path / 'soak.json'
    rc = soak.main([
        '--requests', '200', '--clients', '8', '--sizes', '320x240',
        '640x480', '--json',
        str(out)
    ])
    res = json.loads(out.read_text())
    assert rc == 0, res
    assert res['failures'] == [] and res['server_alive']
    assert res['answered'] == 180  # every 10th request is bad input
    assert set(res['codes']) <= {'200', '400', '503'}
    assert res['peak_rss_gb'] <= res['idle_rss_gb'] + res['memory_budget_gb']


def test_model_list_and_page(server, files):
    """Model entries are a key and a name, no server folder."""
    r = requests.get(f'{server}/api/models', timeout=10)
    assert r.json() == [
        dict(key='m0', name='matteformer-tiny_demo | webapp0/tiny.pth'),
        dict(key='m1', name='matteformer-tiny_demo | webapp0/bad.pth'),
        dict(key='m2', name='matteformer-tiny_demo | random init (untrained)')
    ]
    assert osp.dirname(files['ckpt']) not in r.text and ROOT not in r.text
    page = requests.get(server, timeout=10).text
    assert '<canvas id="trimap-canvas"' in page


def test_discover_work_dir(tmp_path):
    run = tmp_path / 'finetune_random'
    run.mkdir()
    (run / 'tiny.py').write_text('')
    for name in ('iter_10.pth', 'iter_20.pth'):
        (run / name).write_bytes(b'')
    (tmp_path / 'loose.pth').write_bytes(b'')  # no config beside it
    # last_checkpoint names the run's folder as given at training time
    (run / 'last_checkpoint').write_text('elsewhere/iter_10.pth')
    pairs = discover_work_dir(str(tmp_path))
    assert pairs == [(str(run / 'tiny.py'), str(run / 'iter_10.pth'))]
    choices = build_choices(pairs)
    assert [c.checkpoint for c in choices] == [str(run / 'iter_10.pth'), None]
    # a second run of the same config: still one random-init entry
    other = tmp_path / 'finetune_dpt'
    shutil.copytree(run, other)
    pairs = discover_work_dir(str(tmp_path))
    assert [p[0]
            for p in pairs] == [str(other / 'tiny.py'),
                                str(run / 'tiny.py')]
    assert [(c.config, c.checkpoint) for c in build_choices(pairs)
            ] == [(str(other / 'tiny.py'), str(other / 'iter_10.pth')),
                  (str(run / 'tiny.py'), str(run / 'iter_10.pth')),
                  (str(other / 'tiny.py'), None)]
    assert build_choices(pairs + [(CONFIG, None)], True)[2].config == CONFIG
    assert len(build_choices(pairs, random_init=False)) == 2
    with pytest.raises(FileNotFoundError, match='work dir does not exist'):
        discover_work_dir(str(tmp_path / 'missing'))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        build_choices([(str(run / 'tiny.py'), str(tmp_path / 'nope.pth'))])


@pytest.mark.slow  # a fresh interpreter importing dpt_mm: 10-40 s
def test_import_dpt_mm_does_not_import_fastapi():
    code = ('import sys, dpt_mm, dpt_mm.apis; '
            'print(sorted(m for m in ("fastapi", "uvicorn", "starlette") '
            'if m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code],
                         cwd=ROOT,
                         capture_output=True,
                         text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == '[]'


def test_serve_cli_bad_arguments(tmp_path):
    serve = load_tool('tools/serve.py', 'dpt_serve_tool')
    assert serve.main(['--model', CONFIG, str(tmp_path / 'x.pth')]) == 2
    assert serve.main(['--work-dir', str(tmp_path / 'none')]) == 2
    for flag, value in (('--max-in-flight', '0'), ('--max-queue', '-1'),
                        ('--memory-budget-gb', '0'),
                        ('--bytes-per-pixel', '-5'), ('--max-upload-mb', '0'),
                        ('--max-megapixels', '-1')):
        with pytest.raises(SystemExit) as exit_info:
            serve.parse_args([flag, value])
        assert exit_info.value.code == 2
    args = serve.parse_args(['--max-in-flight', '3', '--max-queue', '0'])
    assert (args.max_in_flight, args.max_queue) == (3, 0)


# ------------------------------------------------------------- browser
def browser():
    """Headless chromium through selenium, or skip / fail without it."""
    chromium = shutil.which('chromium')
    driver = shutil.which('chromedriver')
    if not chromium or not driver:
        msg = ('chromium / chromedriver not found: install the Debian '
               'packages (apt-get install chromium chromium-driver), as '
               '.ci/run does')
        if os.environ.get('CI') == 'true':
            pytest.fail(msg)
        pytest.skip(msg)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage',
                '--disable-gpu', '--window-size=1200,1000'):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(driver), options=opts)


def test_browser_upload_paint_download(server, files, reference):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
    trimap = cv2.imread(files['trimap'], cv2.IMREAD_GRAYSCALE)
    drv = browser()
    try:
        wait = WebDriverWait(drv, 60)
        find = lambda i: drv.find_element(By.ID, i)  # noqa: E731

        def run() -> str:
            drv.execute_script('document.body.dataset.state = "idle"')
            find('run').click()
            wait.until(lambda d: d.find_element(By.TAG_NAME, 'body').
                       get_attribute('data-state') in ('done', 'error'))
            return drv.find_element(By.TAG_NAME,
                                    'body').get_attribute('data-state')

        def download(kind: str) -> np.ndarray:
            href = find(f'download-{kind}').get_attribute('href')
            assert href.startswith('data:image/png;base64,')
            return decode(href.split(',', 1)[1])

        drv.get(server)
        wait.until(lambda d: len(Select(find('model')).options) == 3)
        Select(find('model')).select_by_index(0)
        Select(find('fg-method')).select_by_value('blur')

        # bad input first: a text file as the photo
        find('photo').send_keys(files['text'])
        find('trimap-file').send_keys(files['trimap'])
        assert run() == 'error'
        assert 'notes.txt: cannot decode' in find('error').text

        # photo + trimap through the file inputs
        # (the trimap chosen above is drawn on the canvas once the photo is)
        find('photo').send_keys(files['photo'])
        wait.until(lambda d: d.execute_script(
            'return document.getElementById("trimap-canvas").width') == W)
        assert run() == 'done', find('error').text
        check_cutout(
            download('cutout'), trimap, expected_alpha(reference, files,
                                                       trimap))
        assert find('download-cutout').get_attribute(
            'download') == 'photo_cutout.png'

        # paint a background stroke across the object's known foreground
        canvas = find('trimap-canvas')
        assert canvas.size['width'] == W  # one CSS px per image px
        find('brush-bg').click()
        size = find('brush-size')
        size.clear()
        size.send_keys('6')
        # offsets are from the canvas centre: a stroke along row H/2
        ActionChains(drv).move_to_element_with_offset(canvas, -20, 0) \
            .click_and_hold().move_by_offset(20, 0).move_by_offset(20, 0) \
            .release().perform()
        assert run() == 'done', find('error').text
        used = download('trimap')
        y, x0, x1 = H // 2, W // 2 - 18, W // 2 + 18
        assert (used[y, x0:x1] == 0).all(), 'the stroke is not in the trimap'
        changed = used != trimap
        assert changed.any()
        rows, cols = np.nonzero(changed)
        assert rows.min() >= y - 6 and rows.max() <= y + 6
        assert cols.min() >= W // 2 - 27 and cols.max() <= W // 2 + 27
        cutout = download('cutout')
        check_cutout(cutout, used, expected_alpha(reference, files, used))
        assert (cutout[y, x0:x1, 3] == 0).all()

        # a trimap of another size is named on the page
        find('trimap-file').send_keys(files['small_trimap'])
        assert run() == 'error'
        assert 'does not match the image size' in find('error').text
    finally:
        drv.quit()
