"""scripts/execute_notebooks.py's sliced poll: a missed wake-up costs one slice, not the timeout."""

import asyncio
import sys
import time
from pathlib import Path
from queue import Empty

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from execute_notebooks import SlicedPollClient, sliced


class EdgeMissingChannel:
    """A channel whose poll misses the wake-up, as pyzmq's edge-triggered asyncio poll can: a
    message that arrives while a poll waits is found only by that poll's last (level) check at its
    timeout; a poll that starts after the arrival finds it at once. ``calls`` logs each timeout."""

    def __init__(self, arrives_after: float | None):
        self.t0 = time.monotonic()
        self.arrives_after = arrives_after
        self.calls: list[float | None] = []

    def _here(self) -> bool:
        return self.arrives_after is not None and time.monotonic() - self.t0 >= self.arrives_after

    async def get_msg(self, timeout: float | None = None):
        self.calls.append(timeout)
        if self._here():
            return {"msg": "reply"}
        if timeout is None:  # nobody wakes this poll up
            await asyncio.sleep(3600)
        await asyncio.sleep(timeout)  # the missed edge: sleeps the whole timeout ...
        if self._here():  # ... then the last, level-triggered check
            return {"msg": "reply"}
        raise Empty


def timed(coro) -> tuple[object, float]:
    t = time.monotonic()
    out = asyncio.run(coro)
    return out, time.monotonic() - t


def test_a_missed_wake_up_costs_one_slice_not_the_timeout():
    raw = EdgeMissingChannel(arrives_after=0.1)
    out, took = timed(raw.get_msg(timeout=1.5))  # the failure mode itself: the whole timeout
    assert out == {"msg": "reply"} and took >= 1.5
    ch = EdgeMissingChannel(arrives_after=0.1)
    out, took = timed(sliced(ch.get_msg, step=0.2)(timeout=30))
    assert out == {"msg": "reply"} and took < 0.6, took
    assert all(t is not None and t <= 0.2 for t in ch.calls)


def test_sliced_poll_keeps_the_timeout_contract():
    ready = EdgeMissingChannel(arrives_after=0.0)  # already there: one call, no wait
    out, took = timed(sliced(ready.get_msg, step=0.2)(timeout=30))
    assert out == {"msg": "reply"} and took < 0.1 and len(ready.calls) == 1

    never = EdgeMissingChannel(arrives_after=None)  # nothing comes: Empty once the timeout passes
    with pytest.raises(Empty):
        asyncio.run(sliced(never.get_msg, step=0.2)(timeout=0.5))
    assert 0.45 <= sum(never.calls) <= 0.55 and max(never.calls) <= 0.2

    t = time.monotonic()
    with pytest.raises(Empty):  # timeout 0: one non-blocking look
        asyncio.run(sliced(EdgeMissingChannel(None).get_msg, step=0.2)(timeout=0))
    assert time.monotonic() - t < 0.1

    late = EdgeMissingChannel(arrives_after=0.5)  # timeout None: slices until the message comes
    out, took = timed(sliced(late.get_msg, step=0.2)(timeout=None))
    assert out == {"msg": "reply"} and 0.5 <= took < 0.9 and set(late.calls) == {0.2}


def test_the_notebook_client_wraps_both_channels_it_waits_on():
    """A real kernel: every cell runs, outputs are kept, and the shell and IOPub channels' waits
    are the sliced ones."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 6 * 7\nprint(x)"),
                                         nbformat.v4.new_code_cell("x + 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = SlicedPollClient(nb, timeout=60, kernel_name="python3")
    seen = {}

    async def run():
        async with client.async_setup_kernel():
            for ch in ("shell_channel", "iopub_channel"):
                seen[ch] = getattr(client.kc, ch).get_msg.__name__
            for i, cell in enumerate(nb.cells):
                await client.async_execute_cell(cell, i)

    asyncio.run(run())
    assert seen == {"shell_channel": "get_msg_sliced", "iopub_channel": "get_msg_sliced"}
    assert nb.cells[0].outputs[0]["text"] == "42\n"
    assert nb.cells[1].outputs[0]["data"]["text/plain"] == "43"
