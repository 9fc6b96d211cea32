# Sourced by run_all.sh and test.sh: make sure .venv exists with the kit and its dependencies.
# Fresh machine -> python3 -m venv .venv && pip install -e ".[dev]" (torch, torchvision and timm
# come from the package registry; ~2 min). Re-installs when pyproject.toml changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${FRFM_VENV:-$ROOT/.venv}"
STAMP="$VENV/.frfm-installed"
want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "Python >= 3.10 is needed (found: $("$PYTHON" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  echo "Setting up $VENV (the kit + torch/torchvision/timm + Jupyter; a few minutes, once) ..."
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e "$ROOT[dev]"
  echo "$want" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
export FRFM_PROFILE="${FRFM_PROFILE:-quick}"
cd "$ROOT"
