#!/usr/bin/env bash
# The kit's main job: set everything up, then execute every notebook in the quick profile.
#   bash scripts/run_all.sh            (FRFM_PROFILE=full for the GPU/internet profile)
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
OUT="$ROOT/results/notebooks"
python scripts/execute_notebooks.py --out "$OUT"
cat <<MSG

Done: every notebook ran in the '$FRFM_PROFILE' profile. Executed copies, with all outputs:
  $OUT
Open them in JupyterLab:
  $VENV/bin/jupyter lab $OUT
(The notebooks you edit are notebooks/NN_slug.py, paired with notebooks/NN_slug.ipynb.)
MSG
