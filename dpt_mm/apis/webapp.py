"""An interactive matting page: a photo with a painted / uploaded trimap or
a coarse mask -> alpha, foreground and RGBA cut-out, for a chosen model.

FastAPI serves one HTML page with a ``<canvas>`` to paint on (Gradio would
downgrade the pinned stack, see docs/serve.md). Uploads are written to a
temporary folder and matted by :class:`~dpt_mm.apis.DPTMattingInferencer`
as ``tools/infer.py`` does: same validation, trimaps from masks and outputs.
Run it with ``tools/serve.py``; ``import dpt_mm`` does not import it.
"""
import base64
import os
import os.path as osp
import re
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse

from dpt_mm.utils.io import image_size

#: the kinds of output the page shows and offers for download
OUTPUT_KINDS = ('alpha', 'fg', 'cutout', 'trimap')


class ModelLoadError(RuntimeError):
    """A served model cannot be built or its checkpoint does not fit."""


class MattingFailed(RuntimeError):
    """The mattor failed on valid input (a server or model fault)."""


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
    def label(self) -> str:
        """What the page shows: config stem and checkpoint (or random)."""
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
        if ckpt and not osp.isfile(ckpt):
            raise FileNotFoundError(f'{ckpt}: checkpoint does not exist')
        entries.append(
            (osp.abspath(config), osp.abspath(ckpt) if ckpt else None))
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


class MattingService:
    """Runs :class:`~dpt_mm.apis.DPTMattingInferencer` for the page.

    Inferencers are built on first use of a model and the last
    ``max_models`` are kept; one request runs at a time.

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
            Defaults to 40 (above a 4000x3000 phone photo, 12 MP, with
            room; a whole-image pass needs about 10 GB at 12 MP).
    """

    def __init__(self,
                 choices: Sequence[ModelChoice],
                 device: Optional[str] = None,
                 tile: int = 0,
                 max_models: int = 2,
                 max_upload_mb: float = 50.,
                 max_megapixels: float = 40.) -> None:
        if not choices:
            raise ValueError('no models to serve: give --model CONFIG CKPT '
                             'or --work-dir DIR')
        self.choices = {c.key: c for c in choices}
        self.device = device
        self.tile = tile
        self.max_models = max_models
        self.max_upload = int(max_upload_mb * 2**20)
        self.max_pixels = int(max_megapixels * 1e6)
        self._inferencers: 'OrderedDict[str, object]' = OrderedDict()
        self._lock = threading.Lock()

    def inferencer(self, key: str):
        """The (cached) inferencer of model ``key``.

        Raises:
            KeyError: Unknown key.
            ModelLoadError: The model cannot be built or its checkpoint
                does not fit (the message says why).
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
            raise ModelLoadError(f'{choice.label}: {err}') from err
        self._inferencers[key] = inferencer
        while len(self._inferencers) > self.max_models:
            self._inferencers.popitem(last=False)
        return inferencer

    def matte(self,
              key: str,
              photo: Tuple[str, bytes],
              trimap: Optional[Tuple[str, bytes]] = None,
              mask: Optional[Tuple[str, bytes]] = None,
              band: int = 10,
              fg_method: str = 'auto') -> Dict:
        """Matte one uploaded photo.

        Args:
            key (str): Model key.
            photo (tuple[str, bytes]): File name and content of the photo.
            trimap (tuple[str, bytes], optional): Trimap file.
            mask (tuple[str, bytes], optional): Coarse mask file instead.
            band (int): Unknown band half width for a mask. Defaults to 10.
            fg_method (str): 'auto' | 'ml' | 'blur'. Defaults to 'auto'.

        Returns:
            dict: base64 PNGs ``alpha``, ``fg``, ``cutout`` (RGBA),
            ``trimap`` (the one used), the size and the seconds taken.

        Raises:
            ValueError: Bad input; the message names the file and problem
                (:class:`~dpt_mm.apis.MattingInputError` is one).
            ModelLoadError: The model could not be built.
            MattingFailed: Any other failure while matting (the message
                names the exception; server paths are removed).
        """
        from dpt_mm.apis.matting_ops import FG_METHODS
        if key not in self.choices:
            raise ValueError(f'unknown model {key!r}; choose one of '
                             f'{", ".join(self.choices)}')
        if (trimap is None) == (mask is None):
            raise ValueError('give exactly one of a trimap (painted or a '
                             'file) or a coarse mask')
        if band < 1:
            raise ValueError(f'band must be >= 1 pixel, got {band}')
        if fg_method not in FG_METHODS:
            raise ValueError(f'foreground method must be one of '
                             f'{", ".join(FG_METHODS)}, got {fg_method!r}')
        guide_kind = 'trimap' if trimap is not None else 'mask'
        guide = trimap if trimap is not None else mask
        for what, (name, data) in (('photo', photo), (guide_kind, guide)):
            if not data:
                raise ValueError(f'{name or what}: the {what} file is empty')
            if len(data) > self.max_upload:
                raise ValueError(f'{name}: the {what} file is larger than '
                                 f'{self.max_upload / 2**20:g} MB')
            size = image_size(data)  # (h, w)
            if size and size[0] * size[1] > self.max_pixels:
                raise ValueError(
                    f'{name}: the {what} is {size[1]}x{size[0]} px, more '
                    f'than the page accepts ({self.max_pixels / 1e6:g} MP)')
        with tempfile.TemporaryDirectory(prefix='dpt_mm_serve_') as tmp:
            paths = {}
            for what, (name, data) in (('photo', photo), (guide_kind, guide)):
                folder = osp.join(tmp, what)
                os.makedirs(folder)
                paths[what] = osp.join(folder, _safe_name(name, what))
                with open(paths[what], 'wb') as f:
                    f.write(data)
            start = time.time()
            try:
                with self._lock:
                    inferencer = self.inferencer(key)  # ModelLoadError
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
                msg = msg.replace(tmp, '<upload>')
                from dpt_mm.apis.image_io import MattingInputError
                if isinstance(err, MattingInputError):
                    raise ValueError(msg) from err
                if isinstance(err, ModelLoadError):
                    raise ModelLoadError(msg) from err
                raise MattingFailed(f'{type(err).__name__}: {msg}') from err
        out = {kind: _png_b64(images[kind]) for kind in OUTPUT_KINDS}
        h, w = images['alpha'].shape[:2]
        out.update(
            width=w,
            height=h,
            seconds=round(time.time() - start, 3),
            model=self.choices[key].label)
        return out


def create_app(service: MattingService) -> FastAPI:
    """The FastAPI application: ``GET /`` (the page), ``GET /api/models``
    and ``POST /api/matte`` (multipart form: ``model``, ``photo``, one of
    ``trimap`` / ``mask``, optional ``band`` and ``fg_method``).

    Bad input is answered with HTTP 400 and ``{"detail": message}``; a
    model that cannot be built with HTTP 500 and its message.

    Args:
        service (MattingService): Runs the inferencer.

    Returns:
        FastAPI: The application, for uvicorn or a test client.
    """
    app = FastAPI(
        title='dpt-mm interactive matting', docs_url=None, redoc_url=None)

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
        return PAGE

    @app.get('/api/models')
    def models() -> List[Dict]:
        """The model list, in the page's order."""
        return [{
            'key': c.key,
            'label': c.label,
            'config': c.config,
            'checkpoint': c.checkpoint
        } for c in service.choices.values()]

    @app.post('/api/matte')
    def matte(model: str = Form(...),
              photo: UploadFile = File(...),
              trimap: Optional[UploadFile] = File(None),
              mask: Optional[UploadFile] = File(None),
              band: int = Form(10),
              fg_method: str = Form('auto')) -> Dict:
        """Matte one photo; see :meth:`MattingService.matte`."""

        def read(upload: Optional[UploadFile]):
            if upload is None:
                return None
            return upload.filename, upload.file.read(service.max_upload + 1)

        try:
            return service.matte(model, read(photo), read(trimap), read(mask),
                                 band, fg_method)
        except ValueError as err:
            raise HTTPException(400, str(err)) from err
        except ModelLoadError as err:
            raise HTTPException(500, f'model {err}') from err
        except MattingFailed as err:  # e.g. out of memory in the mattor
            raise HTTPException(500, f'matting failed: {err}') from err

    return app


PAGE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>dpt-mm: interactive matting</title>
<style>
 body { font-family: sans-serif; margin: 1em 2em; max-width: 1100px; }
 fieldset { margin: .6em 0; }
 #stack { position: relative; display: inline-block; border: 1px solid #888;
          max-width: 100%; }
 #photo-canvas { display: block; max-width: 100%; }
 /* the trimap, at the photo's resolution, laid over the shown photo */
 #trimap-canvas { position: absolute; left: 0; top: 0; width: 100%;
                  height: 100%; opacity: .55; cursor: crosshair;
                  touch-action: none; }
 #error { color: #b00; white-space: pre-wrap; font-weight: bold; }
 .results figure { display: inline-block; margin: .5em; vertical-align: top; }
 .results img { max-width: 320px; display: block; background:
   repeating-conic-gradient(#ccc 0 25%, #fff 0 50%) 0 0/16px 16px; }
</style>
</head>
<body data-state="idle">
<h1>Interactive matting</h1>
<p>Load a photo, then paint over it (white: foreground, black: background,
grey: unknown) or load a trimap (0 background, 128 unknown, 255
foreground), or load a coarse mask instead. Pick a model and press Run.</p>
<fieldset><legend>1. Photo</legend>
 <input type="file" id="photo" accept="image/*"> <span id="photo-info"></span>
</fieldset>
<fieldset><legend>2. Guide</legend>
 <label><input type="radio" name="guide" id="guide-trimap" value="trimap"
   checked> trimap: paint below and/or load a file</label>
 <input type="file" id="trimap-file" accept="image/*"><br>
 <label><input type="radio" name="guide" id="guide-mask" value="mask">
   coarse mask</label>
 <input type="file" id="mask-file" accept="image/*">
 <label>unknown band <input type="number" id="band" value="10" min="1"
   style="width:4em"> px</label><br>
 Brush:
 <label><input type="radio" name="brush" id="brush-fg" value="255" checked>
   foreground</label>
 <label><input type="radio" name="brush" id="brush-bg" value="0">
   background</label>
 <label><input type="radio" name="brush" id="brush-unknown" value="128">
   unknown</label>
 <label>size <input type="number" id="brush-size" value="20" min="1"
   style="width:4em"> px</label>
 <button type="button" id="clear">Clear to unknown</button>
</fieldset>
<div id="stack"><canvas id="photo-canvas" width="0" height="0"></canvas>
 <canvas id="trimap-canvas" width="0" height="0"></canvas></div>
<fieldset><legend>3. Model</legend>
 <select id="model"></select>
 <label>foreground colours <select id="fg-method">
  <option value="auto">auto</option><option value="ml">ml (pymatting)</option>
  <option value="blur">blur fusion</option></select></label>
 <button type="button" id="run">Run</button> <span id="status"></span>
</fieldset>
<div id="error"></div>
<div class="results" id="results"></div>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const photoCanvas = $("photo-canvas"), triCanvas = $("trimap-canvas");
const tctx = triCanvas.getContext("2d", {willReadFrequently: true});
let photoImage = null, trimapImage = null, trimapFile = null;
let painted = false, drawing = false, last = null;

function setState(state, text) {
  document.body.dataset.state = state;
  $("status").textContent = text || "";
}
function showError(msg) { $("error").textContent = msg; setState("error"); }

fetch("api/models").then((r) => r.json()).then((models) => {
  for (const m of models) {
    const o = document.createElement("option");
    o.value = m.key; o.textContent = m.label; $("model").appendChild(o);
  }
});

function loadImage(file) {
  return new Promise((resolve) => {
    const url = URL.createObjectURL(file), img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => resolve(null);
    img.src = url;
  });
}

function fillUnknown() {
  tctx.fillStyle = "rgb(128,128,128)";
  tctx.fillRect(0, 0, triCanvas.width, triCanvas.height);
}

function drawTrimapFile() {
  // an uploaded trimap of the photo's size is shown and can be touched up;
  // one of another size is sent as it is (the server names the mismatch)
  if (!photoImage || !trimapImage) return;
  if (trimapImage.naturalWidth === triCanvas.width &&
      trimapImage.naturalHeight === triCanvas.height) {
    tctx.drawImage(trimapImage, 0, 0);
  }
}

$("photo").addEventListener("change", async () => {
  $("error").textContent = "";
  const file = $("photo").files[0];
  photoImage = file ? await loadImage(file) : null;
  if (!photoImage) {
    $("photo-info").textContent = file ?
      "the browser cannot show this file; it is sent as it is" : "";
    return;
  }
  const w = photoImage.naturalWidth, h = photoImage.naturalHeight;
  $("photo-info").textContent = w + " x " + h + " px";
  for (const c of [photoCanvas, triCanvas]) { c.width = w; c.height = h; }
  photoCanvas.getContext("2d").drawImage(photoImage, 0, 0);
  fillUnknown(); painted = false; drawTrimapFile();
});

$("trimap-file").addEventListener("change", async () => {
  trimapFile = $("trimap-file").files[0] || null;
  trimapImage = trimapFile ? await loadImage(trimapFile) : null;
  $("guide-trimap").checked = true;
  if (photoImage) { fillUnknown(); painted = false; drawTrimapFile(); }
});
$("mask-file").addEventListener("change", () => {
  $("guide-mask").checked = true;
});
$("clear").addEventListener("click", () => {
  fillUnknown(); trimapFile = null; trimapImage = null; painted = true;
  $("trimap-file").value = "";
});

function canvasPoint(ev) {
  const r = triCanvas.getBoundingClientRect();
  return [(ev.clientX - r.left) * triCanvas.width / r.width,
          (ev.clientY - r.top) * triCanvas.height / r.height];
}
function stroke(p) {
  const v = document.querySelector('input[name="brush"]:checked').value;
  tctx.strokeStyle = tctx.fillStyle = "rgb(" + v + "," + v + "," + v + ")";
  tctx.lineWidth = Math.max(1, +$("brush-size").value || 1);
  tctx.lineCap = tctx.lineJoin = "round";
  tctx.beginPath();
  tctx.moveTo(last[0], last[1]); tctx.lineTo(p[0], p[1]); tctx.stroke();
  tctx.beginPath();
  tctx.arc(p[0], p[1], tctx.lineWidth / 2, 0, 2 * Math.PI); tctx.fill();
  last = p; painted = true; $("guide-trimap").checked = true;
}
triCanvas.addEventListener("pointerdown", (ev) => {
  if (!photoImage) return;
  drawing = true; last = canvasPoint(ev); stroke(last);
  triCanvas.setPointerCapture(ev.pointerId);
});
triCanvas.addEventListener("pointermove", (ev) => {
  if (drawing) stroke(canvasPoint(ev));
});
for (const t of ["pointerup", "pointercancel"]) {
  triCanvas.addEventListener(t, () => { drawing = false; });
}

function canvasTrimap() {
  // the painted trimap as an 8-bit grey PGM: exact values, one channel
  // (a canvas PNG would be RGBA); anti-aliased stroke edges are snapped
  const w = triCanvas.width, h = triCanvas.height;
  const rgba = tctx.getImageData(0, 0, w, h).data;
  const header = new TextEncoder().encode("P5\n" + w + " " + h + "\n255\n");
  const out = new Uint8Array(header.length + w * h);
  out.set(header);
  for (let i = 0; i < w * h; i++) {
    const v = rgba[4 * i];
    out[header.length + i] = v < 64 ? 0 : (v > 191 ? 255 : 128);
  }
  return new Blob([out], {type: "image/x-portable-graymap"});
}

function stem(name) { return name.replace(/\.[^.]*$/, "") || "result"; }

function showResults(res, name) {
  const box = $("results"); box.innerHTML = "";
  const titles = {alpha: "alpha", fg: "foreground", cutout: "RGBA cut-out",
                  trimap: "trimap used"};
  for (const kind of ["alpha", "fg", "cutout", "trimap"]) {
    const url = "data:image/png;base64," + res[kind];
    const fig = document.createElement("figure");
    const img = document.createElement("img");
    img.src = url; img.id = "result-" + kind; img.alt = titles[kind];
    const a = document.createElement("a");
    a.href = url; a.id = "download-" + kind;
    a.download = stem(name) + "_" + kind + ".png";
    a.textContent = "download " + titles[kind];
    const cap = document.createElement("figcaption"); cap.appendChild(a);
    fig.appendChild(img); fig.appendChild(cap); box.appendChild(fig);
  }
}

$("run").addEventListener("click", async () => {
  $("error").textContent = "";
  const photo = $("photo").files[0];
  if (!photo) { showError("choose a photo first"); return; }
  const form = new FormData();
  form.append("model", $("model").value);
  form.append("photo", photo, photo.name);
  form.append("fg_method", $("fg-method").value);
  if ($("guide-mask").checked) {
    const mask = $("mask-file").files[0];
    if (!mask) { showError("choose a coarse mask file, or use a trimap");
                 return; }
    form.append("mask", mask, mask.name);
    form.append("band", $("band").value);
  } else if (trimapFile && !painted) {
    form.append("trimap", trimapFile, trimapFile.name);
  } else if (photoImage) {
    form.append("trimap", canvasTrimap(), "painted_trimap.pgm");
  } else {
    showError("the browser cannot show this photo, so nothing can be " +
              "painted on it; load a trimap or a mask file"); return;
  }
  setState("running", "running...");
  try {
    const r = await fetch("api/matte", {method: "POST", body: form});
    const json = (r.headers.get("content-type") || "").includes("json");
    const res = json ? await r.json() : {detail: await r.text()};
    if (!r.ok) { showError("error: " + res.detail); return; }
    showResults(res, photo.name);
    setState("done", "done in " + res.seconds + " s (" + res.width + " x " +
             res.height + ", " + res.model + ")");
  } catch (err) { showError("error: " + err); }
});
</script>
</body>
</html>
"""
