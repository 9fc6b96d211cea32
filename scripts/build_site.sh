#!/usr/bin/env bash
# Build the kit's website offline into site/ from the COMMITTED executed notebooks (never re-run):
# a page per notebook, the glossary, the instructor guide and the claims ledger, with search.
#   bash scripts/build_site.sh            # -> site/index.html   (open it in a browser)
#   bash scripts/build_site.sh OUTDIR -v  # another folder, with Sphinx's progress
# Sphinx + myst-nb (the 'site' extra, part of 'dev'); one process, about 30 s.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0
python docs/build.py "$@"
