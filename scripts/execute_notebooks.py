"""Execute notebooks from their py:percent sources and write the paired .ipynb with outputs.

    python scripts/execute_notebooks.py --inplace            # refresh every notebooks/NN_*.ipynb
    python scripts/execute_notebooks.py --out results/notebooks notebooks/00_*.py

The .ipynb is always regenerated one way, from the .py (never `jupytext --sync`, which trusts
file times). Runs in the quick profile unless FRFM_PROFILE says otherwise. With --inplace the
kernels run with FRFM_WRITE_CLAIMS=1: a notebook's entries in the claims ledger (data/claims.json)
for the active profile are dropped before it runs and rewritten by its `verdict.claim` calls, so
the ledger holds exactly the claims the committed notebooks print.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import jupytext
from nbclient import NotebookClient

POLL_SLICE_S = 1.0


def sliced(get_msg, step: float = POLL_SLICE_S):
    """``get_msg(timeout)`` of an asyncio kernel channel, waited for in slices of ``step`` seconds.

    pyzmq's asyncio poll wakes on an edge-triggered file descriptor; when it misses the edge, the
    waiting poll sleeps until its timeout and only its last, level-triggered check finds the
    message. nbclient waits for a cell's reply with one poll as long as the cell's timeout, so
    one missed edge stalled a widget cell of notebook 01 for the whole 900 s (measured
    2026-12-03: the kernel idle, the reply unread). Slices bound such a stall to ``step``.
    Same contract: a message, or ``queue.Empty`` once ``timeout`` (None: never) has passed."""
    from queue import Empty

    async def get_msg_sliced(timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = step if deadline is None else min(step, max(0.0, deadline - time.monotonic()))
            try:
                return await get_msg(timeout=left)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return get_msg_sliced


class SlicedPollClient(NotebookClient):
    """``nbclient.NotebookClient`` whose shell and IOPub waits poll in 1-s slices (``sliced``)."""

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        for channel in (kc.shell_channel, kc.iopub_channel):
            channel.get_msg = sliced(channel.get_msg)
        return kc


WRITE_ENV = "FRFM_WRITE_CLAIMS"

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def execute(py: Path, out_dir: Path | None, timeout: int) -> float:
    """Execute one notebook source; write ``<out_dir or notebooks>/<stem>.ipynb``. Returns seconds."""
    nb = jupytext.read(py)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    from tutorial_lib.core import verdict
    from tutorial_lib.core.config import get_profile

    dropped = verdict.clear(py.stem[:2], get_profile().name) if os.environ.get(WRITE_ENV) == "1" else 0
    if dropped:
        print(f"  cleared {dropped} ledger entries of notebook {py.stem[:2]}", flush=True)
    t0 = time.perf_counter()
    # the kernel's own log (start-up chatter) goes to a file, shown only if the notebook fails
    with tempfile.TemporaryFile("w+") as kernel_log:
        try:
            SlicedPollClient(nb, timeout=timeout, kernel_name="python3",
                             resources={"metadata": {"path": str(py.parent)}}).execute(stderr=kernel_log)
        except Exception:
            kernel_log.seek(0)
            sys.stderr.write(kernel_log.read()[-5000:])
            raise
    took = time.perf_counter() - t0
    target = (out_dir or py.parent) / f"{py.stem}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nb.metadata.pop("kernelspec", None)  # keep the committed file free of machine-specific noise
    jupytext.write(nb, target, fmt="ipynb")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", type=Path, help="notebooks/NN_slug.py files")
    parser.add_argument("--inplace", action="store_true", help="write beside the .py sources")
    parser.add_argument("--out", type=Path, default=None, help="folder for executed notebooks")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = parser.parse_args()
    if not args.inplace and args.out is None:
        parser.error("give --inplace or --out DIR")
    os.environ.setdefault("FRFM_PROFILE", "quick")
    if args.inplace:  # regenerating the committed notebooks rewrites their ledger entries
        os.environ[WRITE_ENV] = "1"
    os.environ.setdefault("TQDM_DISABLE", "1")
    # committed notebooks embed their figures: the inline backend, whatever MPLBACKEND the shell has
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    sources = args.sources or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    failed = []
    for py in sources:
        py = py.resolve()
        print(f"executing {py.relative_to(ROOT)} ...", flush=True)
        try:
            took = execute(py, None if args.inplace else args.out.resolve(), args.timeout)
            print(f"  done in {took:.0f} s", flush=True)
        except Exception as err:  # noqa: BLE001 - report every failing notebook, then fail
            print(f"  FAILED: {type(err).__name__}: {str(err)[-2000:]}", flush=True)
            failed.append(py.name)
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
