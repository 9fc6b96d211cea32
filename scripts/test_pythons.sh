#!/usr/bin/env bash
# Run the kit's unit tests (tests/, not the notebooks) under other Python versions: pyenv's 3.10
# and 3.12 by default (Colab runs 3.12; the kit says requires-python >= 3.10).
#
#   bash scripts/test_pythons.sh                 # 3.10 and 3.12, full unit tests
#   bash scripts/test_pythons.sh 3.13            # other versions
#   FRFM_PY_SUBSET=pure bash scripts/test_pythons.sh   # only the tests that need no torch
#                                                      # (small install, a minute)
#   bash scripts/test_pythons.sh 3.12 -- -k verdict    # after --: extra pytest arguments
#
# One venv per version under ${FRFM_PY_CACHE:-~/.cache/frfm-pythons}/pyX.Y, reused while
# pyproject.toml is unchanged; pip's own cache is shared, so torch (large: the registry's CUDA
# build, about 3 GB with its libraries) is downloaded once per Python version. An interpreter is
# found in $(pyenv root)/versions/X.Y.*, else as pythonX.Y on PATH; a missing one is skipped.
# Exit status: 0 when every version that was found passed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FRFM_PY_CACHE:-$HOME/.cache/frfm-pythons}"
SUBSET="${FRFM_PY_SUBSET:-all}"
versions=(); extra=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; extra=("$@"); break; fi
  versions+=("$1"); shift
done
[ ${#versions[@]} -eq 0 ] && versions=(3.10 3.12)
# tests that import neither torch nor tutorial_lib (conftest.py imports torch: use --noconftest)
PURE=(tests/test_colab_ref.py tests/test_notebook_pairs.py tests/test_repo_url.py)

find_python() {
  local v="$1" root cand
  root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
  cand="$(ls -d "$root"/versions/"$v".* 2>/dev/null | sort -V | tail -1)"
  if [ -n "$cand" ] && [ -x "$cand/bin/python$v" ]; then echo "$cand/bin/python$v"; return; fi
  command -v "python$v" 2>/dev/null || true
}

export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0 MPLBACKEND=Agg TQDM_DISABLE=1
want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)-$SUBSET"
summary=(); status=0
for v in "${versions[@]}"; do
  py="$(find_python "$v")"
  if [ -z "$py" ]; then summary+=("$v: no interpreter found, skipped"); continue; fi
  venv="$CACHE/py$v-$SUBSET"; stamp="$venv/.frfm-installed"
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "== Python $v ($py): setting up $venv"
    rm -rf "$venv" && "$py" -m venv "$venv" || { summary+=("$v: venv failed"); status=1; continue; }
    "$venv/bin/python" -m pip install -q --upgrade pip
    if [ "$SUBSET" = pure ]; then
      "$venv/bin/python" -m pip install -q "pytest>=8" "nbformat>=5.9" "jupytext>=1.16" "tomli>=2; python_version<'3.11'"
    else
      "$venv/bin/python" -m pip install -q -e "$ROOT[dev]"
    fi || { summary+=("$v: install failed"); status=1; continue; }
    echo "$want" > "$stamp"
  fi
  echo "== Python $v: $("$venv/bin/python" -c 'import sys; print(sys.version.split()[0])')"
  start=$SECONDS
  if [ "$SUBSET" = pure ]; then
    args=(--noconftest "${PURE[@]}")
  else
    args=(tests --ignore=tests/test_browser.py)
  fi
  (cd "$ROOT" && PYTHONPATH="$ROOT" "$venv/bin/python" -m pytest -q -p no:cacheprovider --continue-on-collection-errors "${args[@]}" "${extra[@]}")
  rc=$?
  summary+=("$v: pytest exit $rc ($((SECONDS - start)) s, subset $SUBSET)")
  [ $rc -ne 0 ] && status=1
done
printf '%s\n' "${summary[@]}"
exit $status
