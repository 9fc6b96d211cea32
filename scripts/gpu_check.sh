#!/usr/bin/env bash
# One command for a GPU session (<= 8 minutes on one GPU): build the offline stand-in, then run the
# full-profile speed probes and write results/gpu_check.json. See scripts/gpu_check.py.
#   bash scripts/gpu_check.sh [extra gpu_check.py flags]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
STANDIN="${FRFM_STANDIN:-$(mktemp -d)/standin}"
[ -d "$STANDIN/weights" ] || python scripts/make_standin.py "$STANDIN" --models vit_small_patch16_224
export FRFM_DATA_DIR="$STANDIN/data" FRFM_WEIGHTS_DIR="$STANDIN/weights" HF_HUB_OFFLINE=1
export FRFM_PROFILE=full
python scripts/gpu_check.py "$@"
