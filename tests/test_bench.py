"""scripts/bench.py's timing rule for ratios: the sides of a ratio are timed in turn."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import bench


def _side(name: str, times: list[float], log: list[tuple[str, int]]):
    """A fake side: its k-th call (of n timed calls) returns ``times[k]`` as the best of the n."""
    it = iter(times)

    def f(n: int) -> float:
        log.append((name, n))
        return next(it)
    return f


def test_interleaved_times_the_sides_in_turn_and_keeps_each_best():
    """Every round visits every side once, in the same order (never all rounds of one side and
    then the other); each side's result is its own best call, the first (warm-up) call included;
    a side slower than ``long`` per call is timed once; the number of calls per round follows
    the budget, capped at 50 and at least 1."""
    log: list[tuple[str, int]] = []
    sides = {"kit": _side("kit", [0.004, 0.003, 0.005, 0.002], log),
             "ref": _side("ref", [0.04, 0.2, 0.05, 0.3], log),
             "slow": _side("slow", [12.0], log),
             "tiny": _side("tiny", [1e-6, 2e-6, 3e-6, 5e-7], log)}
    best = bench.interleaved(sides, rounds=3, budget=0.2, long=10.0)
    assert best == {"kit": 0.002, "ref": 0.04, "slow": 12.0, "tiny": 5e-7}
    first, rest = log[:4], log[4:]
    assert first == [("kit", 1), ("ref", 1), ("slow", 1), ("tiny", 1)]
    assert rest == [("kit", 50), ("ref", 5), ("tiny", 50)] * 3  # 0.2 s / 4 ms = 50; 0.2 / 0.04 = 5


def test_gpu_check_divides_by_the_reference_at_the_same_size(tmp_path):
    """gpu_check's comparison: the kit's images/s over imagecorruptions' (2.5x, not 0.4x), the
    geometric mean over the families, and a plain reason, not a crash, when the reference file
    or its table for this size is missing."""
    import json

    import gpu_check

    ref = tmp_path / "speed.json"
    ref.write_text(json.dumps({"measured": {"cpu": "test CPU"}, "224px": {"rows": {
        "fog": {"imagecorruptions_img_s": 100.0}, "jpeg": {"imagecorruptions_img_s": 400.0}}}}))
    vs = gpu_check.versus_reference({"fog": 250.0, "jpeg": 100.0}, ref, 224)
    assert vs["ratios"] == {"fog": 2.5, "jpeg": 0.25}
    assert abs(vs["geometric_mean"] - (2.5 * 0.25) ** 0.5) < 1e-12
    assert vs["slowest"] == "jpeg" and vs["families_below_1x"] == 1
    assert vs["reference_measured"]["cpu"] == "test CPU"
    assert "no 32-px table" in gpu_check.versus_reference({"fog": 1.0}, ref, 32)["skipped"]
    assert "bench.py" in gpu_check.versus_reference({"fog": 1.0}, tmp_path / "none.json", 224)["skipped"]


def test_bench_json_names_the_machine_and_the_command(tmp_path):
    import json

    out = tmp_path / "b.json"
    bench.write_json(out, {224: {"n": 64, "rows": {}}}, threads=1)
    r = json.loads(out.read_text())
    assert r["224px"]["n"] == 64 and r["measured"]["threads"] == 1
    assert r["measured"]["cpu"] and f"--json {out}" in r["measured"]["command"]
