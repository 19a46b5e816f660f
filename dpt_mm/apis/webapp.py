"""An interactive matting page: a photo with a painted / uploaded trimap or
a coarse mask -> alpha, foreground and RGBA cut-out, for a chosen model.

FastAPI serves one HTML page (``static/matting_page.html``) with a
``<canvas>`` to paint on (Gradio would downgrade the pinned stack, see
docs/serve.md). Uploads are written to a temporary folder and matted by
:class:`~dpt_mm.apis.DPTMattingInferencer` as ``tools/infer.py`` does: same
validation, trimaps from masks and outputs; requests are admitted within
bounded memory and concurrency (:mod:`dpt_mm.apis.admission`). Run it with
``tools/serve.py``; ``import dpt_mm`` does not import it.
"""
import base64
import io
import os
import os.path as osp
import re
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse

from dpt_mm.apis.admission import (AdmissionControl, Overloaded,
                                   ProcessMemory, TooLarge, available_memory,
                                   default_in_flight, release_free_memory)
from dpt_mm.utils.io import HF_SCHEME, image_size

#: the kinds of output the page shows and offers for download
OUTPUT_KINDS = ('alpha', 'fg', 'cutout', 'trimap')
#: the page itself
PAGE_FILE = Path(__file__).with_name('static') / 'matting_page.html'
#: largest unknown band of a coarse mask, as a fraction of the photo's
#: shorter side (a wider band leaves little but unknown)
MAX_BAND_FRACTION = 0.25
#: sides of the square photos a model's memory is measured on
CALIBRATION_SIDES = (512, 1024)
#: factor on a request's estimated memory (measurement noise, allocator)
MEMORY_MARGIN = 1.25
#: the default memory budget: this fraction of the memory available at
#: start (the rest: the models kept, the server, other processes)
DEFAULT_BUDGET_FRACTION = 0.75

#: an uploaded file's content: bytes, or a binary file (seekable)
UploadData = Union[bytes, BinaryIO]
#: an upload: its file name and content
Upload = Tuple[Optional[str], UploadData]


class ModelLoadError(RuntimeError):
    """A served model cannot be built or its checkpoint does not fit."""


class MattingFailed(RuntimeError):
    """The mattor failed on valid input (a server or model fault)."""


@dataclass(frozen=True)
class MemoryModel:
    """Measured memory of one request: ``overhead + per_pixel * pixels``.

    Args:
        overhead (float): Bytes whatever the photo's size.
        per_pixel (float): Bytes per photo pixel.
    """

    overhead: float
    per_pixel: float

    def estimate(self, pixels: int) -> int:
        """Bytes a request on a photo of ``pixels`` pixels needs, with
        :data:`MEMORY_MARGIN`."""
        return int(MEMORY_MARGIN * (self.overhead + self.per_pixel * pixels))


@dataclass(frozen=True)
class ModelChoice:
    """One (config, checkpoint) entry of the page's model list.

    Args:
        key (str): Identifier sent by the page.
        config (str): Model config file.
        checkpoint (str, optional): Checkpoint; None for random init.
    """

    key: str
    config: str
    checkpoint: Optional[str]

    @property
    def name(self) -> str:
        """What the page shows: the config's name and the checkpoint's run
        folder and file name (or random init), no server folders."""
        ckpt = (
            osp.join(
                osp.basename(osp.dirname(self.checkpoint)),
                osp.basename(self.checkpoint))
            if self.checkpoint else 'random init (untrained)')
        return f'{osp.splitext(osp.basename(self.config))[0]} | {ckpt}'


def discover_work_dir(work_dir: str) -> List[Tuple[str, str]]:
    """Find (config, checkpoint) pairs that ``tools/train.py`` left.

    A training run's folder holds its dumped config (``*.py``) and
    checkpoints; the one named by ``last_checkpoint`` (else the newest
    ``*.pth``) is taken. Folders are searched recursively (``make demo``'s
    ``work_dirs/demo`` has one run per sub-folder).

    Args:
        work_dir (str): Folder to search.

    Returns:
        list[tuple[str, str]]: ``(config, checkpoint)`` sorted by folder.

    Raises:
        FileNotFoundError: ``work_dir`` is not a folder.
    """
    if not osp.isdir(work_dir):
        raise FileNotFoundError(f'{work_dir}: work dir does not exist')
    pairs = []
    for folder, _, files in sorted(os.walk(work_dir)):
        configs = sorted(f for f in files if f.endswith('.py'))
        ckpts = [osp.join(folder, f) for f in files if f.endswith('.pth')]
        if not configs or not ckpts:
            continue
        ckpt = max(ckpts, key=osp.getmtime)
        last = osp.join(folder, 'last_checkpoint')
        if osp.isfile(last):
            with open(last) as f:
                named = f.read().strip()
            # written with the work dir as given at training time
            for cand in (named, osp.join(folder, osp.basename(named))):
                if cand and osp.isfile(cand):
                    ckpt = cand
                    break
        pairs.append((osp.join(folder, configs[0]), ckpt))
    return pairs


def build_choices(pairs: Sequence[Tuple[str, Optional[str]]],
                  random_init: bool = True) -> List[ModelChoice]:
    """The page's model list: the given pairs, then one random-init entry
    per config name not yet listed with random init (for trying the page
    without a trained model; runs of one config share a single entry).

    Args:
        pairs (Sequence[tuple]): ``(config, checkpoint or None)``.
        random_init (bool): Add the random-init entries. Defaults to True.

    Returns:
        list[ModelChoice]: Without duplicates, keys ``m0``, ``m1``, ...

    Raises:
        FileNotFoundError: A config or checkpoint does not exist.
    """
    entries: List[Tuple[str, Optional[str]]] = []
    for config, ckpt in pairs:
        if not osp.isfile(config):
            raise FileNotFoundError(f'{config}: config does not exist')
        local = ckpt and not ckpt.startswith(HF_SCHEME)
        if local and not osp.exists(ckpt):  # a file or a Hugging Face folder
            raise FileNotFoundError(f'{ckpt}: checkpoint does not exist')
        entries.append(
            (osp.abspath(config), osp.abspath(ckpt) if local else ckpt))
    if random_init:
        named = {osp.basename(c) for c, ckpt in entries if ckpt is None}
        for config, _ in list(entries):
            if osp.basename(config) not in named:
                named.add(osp.basename(config))
                entries.append((config, None))
    unique = list(OrderedDict.fromkeys(entries))
    return [
        ModelChoice(f'm{i}', config, ckpt)
        for i, (config, ckpt) in enumerate(unique)
    ]


def _png_b64(img: np.ndarray) -> str:
    """Encode an OpenCV-layout image (gray, BGR, BGRA) as base64 PNG."""
    ok, buf = cv2.imencode('.png', img)
    if not ok:
        raise RuntimeError(f'cannot encode a {img.shape} image as PNG')
    return base64.b64encode(buf.tobytes()).decode('ascii')


def _safe_name(name: Optional[str], default: str) -> str:
    """A plain file name for an upload (no folders, no odd characters)."""
    base = osp.basename((name or '').replace('\\', '/'))
    base = re.sub(r'[^A-Za-z0-9._ -]', '_', base).strip(' .')
    return base or default


def without_paths(message: str, known: Sequence[str] = ()) -> str:
    """``message`` with every absolute path cut to its last part, so that
    an answer names files, not the server's folders.

    Args:
        message (str): The text of an error.
        known (Sequence[str]): Server paths the message may hold (a model's
            config and checkpoint): their folders and the folders above
            them are cut exactly, spaces included, deepest first; other
            paths are found by shape, up to a space.

    Returns:
        str: The message without folders.
    """
    folders = set()
    for path in filter(None, known):
        if osp.isabs(path):  # its folder and every folder above it
            folder = osp.dirname(osp.normpath(path))
            while folder.strip(os.sep):
                folders.add(folder)
                folder = osp.dirname(folder)
    for folder in sorted(folders, key=len, reverse=True):
        message = message.replace(folder + os.sep, '')
    return re.sub(r'(?<![\w.])(?:/[^/\s:\'",()]+)+/(?=[^/\s])', '', message)


def _file_size(data: UploadData) -> int:
    """Bytes of an upload given as bytes or a seekable binary file."""
    if isinstance(data, (bytes, bytearray)):
        return len(data)
    data.seek(0, io.SEEK_END)
    size = data.tell()
    data.seek(0)
    return size


def _read(data: UploadData) -> bytes:
    """The whole upload as bytes."""
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    data.seek(0)
    return data.read()


def calibration_scene(side: int) -> Tuple[bytes, bytes]:
    """A ``side`` x ``side`` textured photo with an elliptic object and its
    trimap, as PNG files: the request a model's memory is measured on."""
    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, (side // 16 + 1, side // 16 + 1, 3),
                         np.uint8)
    photo = cv2.resize(small, (side, side), interpolation=cv2.INTER_CUBIC)
    mask = np.zeros((side, side), np.uint8)
    cv2.ellipse(mask, (side // 2, side // 2), (side * 3 // 10, side // 3), 0,
                0, 360, 255, -1)
    from dpt_mm.apis.matting_ops import trimap_from_mask
    trimap = trimap_from_mask(mask, band=max(1, side // 32))
    return (cv2.imencode('.png', photo)[1].tobytes(),
            cv2.imencode('.png', trimap)[1].tobytes())


class MattingService:
    """Runs :class:`~dpt_mm.apis.DPTMattingInferencer` for the page, within
    bounded memory and concurrency.

    Inferencers are built on first use of a model and the last
    ``max_models`` are kept. Each request is checked (sizes from the file
    headers, band, model, foreground method), its memory is estimated by
    the model's :class:`MemoryModel` and it runs under
    :class:`~dpt_mm.apis.admission.AdmissionControl`. The memory model is
    measured once per model and foreground method, alone in the process:
    the peak resident memory above the memory before it of a
    :func:`calibration_scene` request at each of ``calibration_sides``
    (after a small warm-up request), a line through the two.

    Args:
        choices (Sequence[ModelChoice]): The model list.
        device (str, optional): 'cpu', 'cuda' or 'cuda:N'; best available
            when None.
        tile (int): Tiled prediction size for large photos (0: whole
            image), as ``tools/infer.py --tile``. Defaults to 0.
        max_models (int): Inferencers kept in memory. Defaults to 2.
        max_upload_mb (float): Largest accepted upload. Defaults to 50.
        max_megapixels (float): Largest accepted photo, read from its
            header before decoding (a small file can hold a huge image).
            Defaults to 40.
        max_in_flight (int, optional): Requests matted at once; one per
            CPU core (one on a GPU) when None.
        max_queue (int, optional): Requests waiting for a slot; twice
            ``max_in_flight`` when None.
        memory_budget_gb (float, optional): Memory the requests in flight
            may use together; :data:`DEFAULT_BUDGET_FRACTION` of the
            system's available memory at start when None.
        bytes_per_pixel (float, optional): Memory per photo pixel of every
            model (no overhead) instead of measuring it.
        queue_timeout (float): Longest wait for a slot, in seconds.
            Defaults to 300.
        calibration_sides (tuple[int, int]): Photo sides the memory is
            measured at. Defaults to :data:`CALIBRATION_SIDES`.
    """

    def __init__(self,
                 choices: Sequence[ModelChoice],
                 device: Optional[str] = None,
                 tile: int = 0,
                 max_models: int = 2,
                 max_upload_mb: float = 50.,
                 max_megapixels: float = 40.,
                 max_in_flight: Optional[int] = None,
                 max_queue: Optional[int] = None,
                 memory_budget_gb: Optional[float] = None,
                 bytes_per_pixel: Optional[float] = None,
                 queue_timeout: float = 300.,
                 calibration_sides: Tuple[int, int] = CALIBRATION_SIDES
                 ) -> None:
        if not choices:
            raise ValueError('no models to serve: give --model CONFIG CKPT '
                             'or --work-dir DIR')
        if bytes_per_pixel is not None and bytes_per_pixel <= 0:
            raise ValueError(
                f'bytes per pixel must be > 0, got {bytes_per_pixel}')
        self.choices = {c.key: c for c in choices}
        self.device = device
        self.tile = tile
        self.max_models = max_models
        self.max_upload = int(max_upload_mb * 2**20)
        self.max_pixels = int(max_megapixels * 1e6)
        if max_in_flight is None:
            max_in_flight = default_in_flight(device)
        if max_queue is None:
            max_queue = 2 * max_in_flight
        budget = (
            int(available_memory() * DEFAULT_BUDGET_FRACTION)
            if memory_budget_gb is None else int(memory_budget_gb * 2**30))
        self.admission = AdmissionControl(max_in_flight, max_queue, budget,
                                          queue_timeout)
        self.fixed_memory = (None if bytes_per_pixel is None else
                             MemoryModel(0., bytes_per_pixel))
        self.calibration_sides = calibration_sides
        #: measured memory per (model key, foreground estimator)
        self.memory: Dict[Tuple[str, str], MemoryModel] = {}
        self._inferencers: 'OrderedDict[str, object]' = OrderedDict()
        self._lock = threading.Lock()
        self._model_locks: Dict[str, threading.Lock] = {}

    def inferencer(self, key: str):
        """The (cached) inferencer of model ``key``.

        Raises:
            KeyError: Unknown key.
            ModelLoadError: The model cannot be built or its checkpoint
                does not fit (the message says why, without folders).
        """
        if key not in self.choices:
            raise KeyError(key)
        if key in self._inferencers:
            self._inferencers.move_to_end(key)
            return self._inferencers[key]
        from dpt_mm.apis.matting_inferencer import DPTMattingInferencer
        choice = self.choices[key]
        try:
            inferencer = DPTMattingInferencer(choice.config, choice.checkpoint,
                                              self.device)
        except (FileNotFoundError, RuntimeError, ValueError) as err:
            raise ModelLoadError(
                without_paths(f'{choice.name}: {err}',
                              (choice.config, choice.checkpoint))) from err
        self._inferencers[key] = inferencer
        while len(self._inferencers) > self.max_models:
            self._inferencers.popitem(last=False)
        return inferencer

    @staticmethod
    def fg_family(fg_method: str) -> str:
        """The foreground estimator that ``fg_method`` runs: 'ml' or
        'blur' ('auto' is 'ml' when pymatting imports)."""
        if fg_method == 'auto':
            from dpt_mm.apis.matting_ops import _pymatting_ml
            return 'ml' if _pymatting_ml() is not None else 'blur'
        return fg_method

    def _model(self, key: str, fg_method: str):
        """The inferencer of ``key`` and its :class:`MemoryModel` with
        ``fg_method`` (measured on first use, alone in the process)."""
        family = self.fg_family(fg_method)
        with self._lock:
            lock = self._model_locks.setdefault(key, threading.Lock())
        with lock:  # a model is measured without blocking the others
            with self._lock:  # the shared cache of loaded models
                inferencer = self.inferencer(key)  # ModelLoadError
            memory = self.fixed_memory or self.memory.get((key, family))
            if memory is None:
                memory = self._measure(inferencer, family)
                self.memory[(key, family)] = memory
        return inferencer, memory

    def _measure(self, inferencer, fg_method: str) -> MemoryModel:
        """Measure the memory of requests at the calibration sides."""
        process = ProcessMemory()
        deltas = []
        with self.admission.exclusive():
            for side in (64, ) + tuple(self.calibration_sides):
                photo, trimap = calibration_scene(side)
                release_free_memory()
                before = process.rss()
                peak = process.peak_during(lambda: self._run(
                    inferencer, ('photo.png', photo), 'trimap',
                    ('trimap.png', trimap), 1, fg_method))
                deltas.append((side * side, max(peak - before, 0)))
            release_free_memory()
        (p0, d0), (p1, d1) = deltas[1:]  # the first run is a warm-up
        per_pixel = (d1 - d0) / (p1 - p0)
        if per_pixel <= 0:  # noise: all of it per pixel
            return MemoryModel(0., max(d0, d1, 1) / p0)
        return MemoryModel(max(d0 - per_pixel * p0, 0.), per_pixel)

    def _check(self, key: str, photo: Upload, trimap: Optional[Upload],
               mask: Optional[Upload], band: int, fg_method: str) -> int:
        """Check a request (the arguments of :meth:`matte`) before anything
        is decoded.

        Returns:
            int: The photo's pixels, read from its header.

        Raises:
            ValueError: Bad input, naming the field or file and the limit.
            TooLarge: A file or photo above a size limit (HTTP 413).
        """
        from dpt_mm.apis.matting_ops import FG_METHODS
        if key not in self.choices:
            raise ValueError(f'model: unknown model {key!r}; choose one of '
                             f'{", ".join(self.choices)}')
        if (trimap is None) == (mask is None):
            raise ValueError('give exactly one of a trimap (painted or a '
                             'file) or a coarse mask')
        if fg_method not in FG_METHODS:
            raise ValueError(f'fg_method: the foreground method must be '
                             f'one of {", ".join(FG_METHODS)}, got '
                             f'{fg_method!r}')
        guide_kind = 'trimap' if trimap is not None else 'mask'
        sizes = {}
        for what, (name, data) in (('photo', photo),
                                   (guide_kind, trimap or mask)):
            nbytes = _file_size(data)
            if not nbytes:
                raise ValueError(f'{name or what}: the {what} file is empty')
            if nbytes > self.max_upload:
                raise TooLarge(f'{name}: the {what} file is larger than '
                               f'the page accepts '
                               f'({self.max_upload / 2**20:g} MB)')
            size = image_size(data)  # (h, w)
            if size is None:
                raise ValueError(
                    f'{name or what}: cannot decode the {what}: its header '
                    f'gives no image size (the page reads PNG, JPEG, BMP, '
                    f'WebP and TIFF)')
            if size[0] * size[1] > self.max_pixels:
                raise TooLarge(
                    f'{name}: the {what} is {size[1]}x{size[0]} px, more '
                    f'than the page accepts ({self.max_pixels / 1e6:g} MP)')
            sizes[what] = size
        size = sizes['photo']
        if mask is not None:
            short = min(size)
            limit = max(1, int(short * MAX_BAND_FRACTION))
            if not 1 <= band <= limit:
                raise ValueError(
                    f'band: must be in [1, {limit}] px ({MAX_BAND_FRACTION:g}'
                    f' of the photo\'s shorter side, {short} px), got '
                    f'{band}')
        return size[0] * size[1]

    def matte(self,
              key: str,
              photo: Upload,
              trimap: Optional[Upload] = None,
              mask: Optional[Upload] = None,
              band: int = 10,
              fg_method: str = 'auto') -> Dict:
        """Matte one uploaded photo, once admitted.

        Args:
            key (str): Model key.
            photo (tuple): File name and content (bytes or a binary file)
                of the photo.
            trimap (tuple, optional): Trimap file.
            mask (tuple, optional): Coarse mask file instead.
            band (int): Unknown band half width for a mask. Defaults to 10.
            fg_method (str): 'auto' | 'ml' | 'blur'. Defaults to 'auto'.

        Returns:
            dict: base64 PNGs ``alpha``, ``fg``, ``cutout`` (RGBA),
            ``trimap`` (the one used), the size, the seconds taken and the
            model's name.

        Raises:
            ValueError: Bad input; the message names the field or file and
                the problem (:class:`~dpt_mm.apis.MattingInputError` is
                one).
            TooLarge: A file, photo or memory estimate above a limit.
            Overloaded: The slots and queue are full (HTTP 503).
            ModelLoadError: The model could not be built.
            MattingFailed: Any other failure while matting (the message
                names the exception; server paths are removed).
        """
        pixels = self._check(key, photo, trimap, mask, band, fg_method)
        guide_kind = 'trimap' if trimap is not None else 'mask'
        inferencer, memory = self._model(key, fg_method)
        cost = memory.estimate(pixels)
        what = f'{photo[0] or "the photo"} ({pixels / 1e6:.2f} MP)'
        with self.admission.admit(cost, what):
            try:
                out = self._run(inferencer, photo, guide_kind, trimap or mask,
                                band, fg_method)
            finally:
                release_free_memory()
        out['model'] = self.choices[key].name
        return out

    def _run(self, inferencer, photo: Upload, guide_kind: str, guide: Upload,
             band: int, fg_method: str) -> Dict:
        """Write the uploads to a temporary folder, matte, encode."""
        with tempfile.TemporaryDirectory(prefix='dpt_mm_serve_') as tmp:
            paths = {}
            for what, (name, data) in (('photo', photo), (guide_kind, guide)):
                folder = osp.join(tmp, what)
                os.makedirs(folder)
                paths[what] = osp.join(folder, _safe_name(name, what))
                with open(paths[what], 'wb') as f:
                    f.write(_read(data))
            start = time.time()
            try:
                _, images = inferencer(
                    img=paths['photo'],
                    band=band,
                    fg_method=fg_method,
                    tile=self.tile,
                    **{guide_kind: paths[guide_kind]})
            except Exception as err:  # noqa: B902 (any fault is reported)
                # name the uploads, never the server's temporary folder
                msg = str(err).replace(tmp + os.sep, '')
                for what in ('photo', guide_kind):
                    msg = msg.replace(what + os.sep, '')
                msg = without_paths(msg.replace(tmp, '<upload>'))
                from dpt_mm.apis.image_io import MattingInputError
                if isinstance(err, MattingInputError):
                    raise ValueError(msg) from err
                raise MattingFailed(f'{type(err).__name__}: {msg}') from err
        out = {kind: _png_b64(images[kind]) for kind in OUTPUT_KINDS}
        h, w = images['alpha'].shape[:2]
        out.update(width=w, height=h, seconds=round(time.time() - start, 3))
        return out


def create_app(service: MattingService) -> FastAPI:
    """The FastAPI application: ``GET /`` (the page), ``GET /api/models``
    and ``POST /api/matte`` (multipart form: ``model``, ``photo``, one of
    ``trimap`` / ``mask``, optional ``band`` and ``fg_method``).

    Bad input is answered with HTTP 400 and ``{"detail": message}``, input
    above a size or memory limit with 413, a full queue with 503 and
    ``Retry-After``, a model that cannot be built or a fault of the mattor
    with 500; no answer holds a server path.

    Args:
        service (MattingService): Runs the inferencer.

    Returns:
        FastAPI: The application, for uvicorn or a test client.
    """
    app = FastAPI(
        title='dpt-mm interactive matting', docs_url=None, redoc_url=None)
    # two uploads at the size limit plus the form's other fields
    max_body = 2 * service.max_upload + 2**20

    @app.middleware('http')
    async def _limit_body(request: Request, call_next):
        length = request.headers.get('content-length', '')
        if request.method == 'POST' and not length.isdigit():
            return JSONResponse(
                {
                    'detail':
                    'request: a Content-Length header is required (the '
                    'page bounds every upload by it)'
                },
                status_code=411)
        if length.isdigit() and int(length) > max_body:
            return JSONResponse(
                {
                    'detail':
                    f'request: the body is larger than the page accepts '
                    f'({max_body / 2**20:g} MB)'
                },
                status_code=413)
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def _bad_form(request: Request, exc: RequestValidationError):
        problems = []
        for err in exc.errors():
            field = '.'.join(str(p) for p in err.get('loc', ())[1:])
            problems.append(f'{field or "request"}: {err.get("msg")}')
        return JSONResponse({'detail': '; '.join(problems)}, status_code=400)

    @app.get('/', response_class=HTMLResponse)
    def page() -> str:
        """The interactive page."""
        return PAGE_FILE.read_text(encoding='utf-8')

    @app.get('/api/models')
    def models() -> List[Dict]:
        """The model list, in the page's order: key and name."""
        return [{
            'key': c.key,
            'name': c.name
        } for c in service.choices.values()]

    @app.post('/api/matte')
    def matte(model: str = Form(...),
              photo: UploadFile = File(...),
              trimap: Optional[UploadFile] = File(None),
              mask: Optional[UploadFile] = File(None),
              band: int = Form(10),
              fg_method: str = Form('auto')):
        """Matte one photo; see :meth:`MattingService.matte`."""

        def upload(file: Optional[UploadFile]) -> Optional[Upload]:
            return None if file is None else (file.filename, file.file)

        try:
            return service.matte(model, upload(photo), upload(trimap),
                                 upload(mask), band, fg_method)
        except Overloaded as err:
            return JSONResponse({'detail': str(err)},
                                status_code=503,
                                headers={'Retry-After': str(err.retry_after)})
        except TooLarge as err:
            raise HTTPException(413, without_paths(str(err))) from err
        except ValueError as err:
            raise HTTPException(400, without_paths(str(err))) from err
        except ModelLoadError as err:
            raise HTTPException(500, f'model {err}') from err
        except MattingFailed as err:  # e.g. out of memory in the mattor
            raise HTTPException(500, f'matting failed: {err}') from err

    return app
