#!/usr/bin/env bash
# One command for a GPU session (<= 8 minutes on one GPU): build the offline stand-in, then run the
# full-profile speed probes and write results/gpu_check.json. See scripts/gpu_check.py.
#   bash scripts/gpu_check.sh [extra gpu_check.py flags, e.g. --out /some/where.json]
# FRFM_SYSTEM_PYTHON=1 uses the python3 on the PATH as it is (a GPU image that already holds torch,
# torchvision, timm, scikit-image and safetensors, with no network to build .venv from).
set -euo pipefail
if [ "${FRFM_SYSTEM_PYTHON:-0}" = 1 ]; then
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  python3 -c "import torch, torchvision, timm, skimage, safetensors" || {
    echo "FRFM_SYSTEM_PYTHON=1: python3 lacks one of torch, torchvision, timm, scikit-image, safetensors; unset it to build .venv" >&2
    exit 1
  }
  python() { python3 "$@"; }
else
  source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
fi
STANDIN="${FRFM_STANDIN:-$(mktemp -d)/standin}"
[ -d "$STANDIN/weights" ] || python scripts/make_standin.py "$STANDIN" --models vit_small_patch16_224
export FRFM_DATA_DIR="$STANDIN/data" FRFM_WEIGHTS_DIR="$STANDIN/weights" HF_HUB_OFFLINE=1
export FRFM_PROFILE=full
python scripts/gpu_check.py "$@"
