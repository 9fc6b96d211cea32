#!/usr/bin/env bash
# The kit's tests: unit tests, the .py/.ipynb pair check, and every notebook executed under nbval.
#   bash scripts/test.sh
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
export TQDM_DISABLE=1 MPLBACKEND=Agg PYTHONHASHSEED=0
# Two workers on two cores, one torch thread each (2 threads x 2 processes runs up to 16x slower);
# --dist loadscope keeps every notebook's cells in one worker and kernel.
# tests/test_full_smoke.py also runs every notebook in the full profile's code paths on the offline
# stand-in (FRFM_PROFILE=full FRFM_SMOKE=1, scripts/make_standin.py; outputs never kept).
# FRFM_SKIP_SMOKE=1 skips it for a quick local run.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
python -m pytest tests notebooks --nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
  -n "${FRFM_TEST_WORKERS:-2}" --dist loadscope -p no:cacheprovider "$@"
