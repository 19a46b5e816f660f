# Sourced by the shell launchers (tools/dist_train.sh, dist_test.sh,
# slurm_train.sh): sets ROOT (the repository) and PYTHON (the interpreter:
# $PYTHON if set, else the project's .venv unless a virtualenv is active,
# else python on PATH).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${PYTHON:-}" ]; then
  PYTHON=python
  if [ -z "${VIRTUAL_ENV:-}" ] && [ -x "$ROOT/.venv/bin/python" ]; then
    PYTHON="$ROOT/.venv/bin/python"
  fi
fi
