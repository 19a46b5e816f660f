#!/usr/bin/env bash
# Idempotent installer for dpt-mm: creates .venv/ in the project root and
# installs the pinned stack of requirements/constraints.txt.
#
# mmcv 2.1.0 with compiled ops has no wheel for torch 2.14, so it is built from
# source once (bypassing pip's own wheel cache, which does not know which torch
# a wheel was built against) and the wheel is cached outside the repository in
# ${DPT_MM_CACHE:-~/.cache/dpt_mm}/wheels/<mmcv>-torch<torch>-<cpu|cuda>/.
# GPU users: `FORCE_CUDA=1 tools/install/install.sh` builds mmcv's CUDA ops too
# (needs nvcc matching torch's CUDA); the cache key then ends in -cuda.
#
# Environment: PYTHON (interpreter used to create the venv, default python3),
# DPT_MM_VENV (default <repo>/.venv), DPT_MM_CACHE, MAX_JOBS (default 2).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${DPT_MM_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
CONSTRAINTS="$ROOT/requirements/constraints.txt"
CACHE="${DPT_MM_CACHE:-$HOME/.cache/dpt_mm}"
TORCH_VERSION="$(sed -n 's/^torch==//p' "$CONSTRAINTS")"
MMCV_VERSION="$(sed -n 's/^mmcv==//p' "$CONSTRAINTS")"
FLAVOUR=cpu
if [ "${FORCE_CUDA:-0}" = "1" ]; then FLAVOUR=cuda; fi
WHEEL_DIR="$CACHE/wheels/mmcv-$MMCV_VERSION-torch$TORCH_VERSION-$FLAVOUR"

log() { echo "[install] $*" >&2; }

# A stamp of everything that decides the install: skip work when unchanged.
stamp_of() {
  cat "$CONSTRAINTS" "$ROOT/requirements/runtime.txt" \
      "$ROOT/requirements/tests.txt" "$ROOT/requirements/deploy.txt" \
      "$ROOT/requirements/serve.txt" \
      "$ROOT/setup.py" "${BASH_SOURCE[0]}" \
    | sha256sum | cut -d' ' -f1
  echo "$FLAVOUR"
}
STAMP_FILE="$VENV/.dpt_mm_stamp"
if [ -f "$STAMP_FILE" ] && [ "$(cat "$STAMP_FILE")" = "$(stamp_of)" ] \
   && "$VENV/bin/python" -c "import dpt_mm" >/dev/null 2>&1; then
  log "environment up to date: $VENV"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtual environment $VENV"
  "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip)
export PIP_DISABLE_PIP_VERSION_CHECK=1

log "build tools"
"${PIP[@]}" install -q -c "$CONSTRAINTS" --upgrade pip 'setuptools' wheel ninja

log "torch $TORCH_VERSION"
"${PIP[@]}" install -q -c "$CONSTRAINTS" torch torchvision

if ! "$VENV/bin/python" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'" >/dev/null 2>&1; then
  if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
    log "building mmcv $MMCV_VERSION with ops ($FLAVOUR) -- about 10 min on 2 cores"
    TMP_WHEELS="$(mktemp -d)"
    # mmcv's setup.py forces -std=c++17; torch >= 2.10 headers need C++20.
    DPT_REAL_CXX="${CXX:-g++}" CXX="$ROOT/tools/install/cxx20.sh" \
      MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-2}" \
      "${PIP[@]}" wheel --no-build-isolation --no-deps --no-cache-dir \
      -c "$CONSTRAINTS" \
      -w "$TMP_WHEELS" "mmcv==$MMCV_VERSION"
    mkdir -p "$WHEEL_DIR"
    # move into place only once the wheel is complete
    mv "$TMP_WHEELS"/mmcv-*.whl "$WHEEL_DIR/"
    rmdir "$TMP_WHEELS" 2>/dev/null || true
  else
    log "using cached mmcv wheel from $WHEEL_DIR"
  fi
  "${PIP[@]}" install -q --no-deps "$WHEEL_DIR"/mmcv-*.whl
fi

log "dpt-mm and the OpenMMLab stack"
"${PIP[@]}" install -q -c "$CONSTRAINTS" --find-links "$WHEEL_DIR" \
  -e "$ROOT[tests]"
log "the interactive page (requirements/serve.txt)"
"${PIP[@]}" install -q -c "$CONSTRAINTS" -r "$ROOT/requirements/serve.txt"

"$VENV/bin/python" - <<'PY'
import mmcv.ops  # noqa: F401  compiled ops present
import mmagic, mmpretrain, mmengine, torch, torchvision  # noqa: F401
print('[install] torch', torch.__version__, '| mmcv', __import__('mmcv').__version__,
      '| mmengine', mmengine.__version__, '| mmpretrain', mmpretrain.__version__,
      '| mmagic', mmagic.__version__)
PY
stamp_of > "$STAMP_FILE"
log "done: $VENV"
