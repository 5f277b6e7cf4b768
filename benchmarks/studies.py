"""A 20-trial quick sweep: the local engine with 2 workers, and Ray, against one process.

Run as ``python benchmarks/studies.py [EXERCISE] [REPEATS]`` (default ``cliff``: 10 seeds x 2
settings of its quick version; ``kmeans`` likewise; another exercise: 20 seeds; 3 repeats).
Three timings of the same 20 trials (equal work), each into a fresh folder, run in turn
(A B C A B C ...):

1. one after another in this process (``jobs=1``): the baseline;
2. the local engine with ``jobs=2`` (a process pool; includes starting the workers);
3. the Ray engine on a local Ray with ``num_cpus=2`` (``ray.init`` once, timed apart).

Printed: the median and the minimum over the repeats of the wall-time ratio pool / one process
(the target is <= 0.6 on 2 idle cores), and Ray's overhead per trial against the local engine,
(t_ray - t_pool) / 20. The per-trial numbers are the same on all three (checked on every
repeat's metrics.json: the accuracy side of the comparison).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from labcoat.exercises import studies

for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

GRIDS = {"kmeans": {"n_init": [1, 3]}, "cliff": {"epsilon": [0.05, 0.1]}}
"""Two settings x 10 seeds; another exercise gets 20 seeds of its defaults."""


def timed(name: str, root: Path, **engine: object) -> tuple[float, Path]:
    exercise = sys.argv[1] if len(sys.argv) > 1 else "cliff"
    out = root / name
    clock = time.perf_counter()
    grid = GRIDS.get(exercise)
    seeds = list(range(10 if grid else 20))
    report = studies.sweep(exercise, seeds, grid, quick=True, out=out, **engine)  # type: ignore[arg-type]
    seconds = time.perf_counter() - clock
    assert len(report.finished) == 20 and not report.failed, report.failed
    return seconds, out


def same_numbers(a: Path, b: Path) -> bool:
    files = sorted(p.relative_to(a) for p in a.glob("*/seed-*/metrics.json"))
    return len(files) == 20 and all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def main() -> None:
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    try:
        ray = studies.import_ray()
    except ImportError as error:
        ray = None
        print(f"ray: skipped ({error})")
    times: dict[str, list[float]] = {"one": [], "pool": [], "ray": []}
    same = True
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if ray is not None:
            clock = time.perf_counter()
            ray.init(num_cpus=2, include_dashboard=False, logging_level="warning")
            print(f"ray.init: {time.perf_counter() - clock:.1f} s (once, not in the timings)")
        for r in range(repeats):  # interleaved: one, pool, ray, one, pool, ray, ...
            seconds, one_out = timed(f"one-{r}", root, jobs=1)
            times["one"].append(seconds)
            seconds, out = timed(f"pool-{r}", root, jobs=2)
            times["pool"].append(seconds)
            same &= same_numbers(one_out, out)
            if ray is not None:
                seconds, out = timed(f"ray-{r}", root, engine="ray")
                times["ray"].append(seconds)
                same &= same_numbers(one_out, out)
        if ray is not None:
            ray.shutdown()
    median = {name: statistics.median(t) for name, t in times.items() if t}
    ratios = [p / o for p, o in zip(times["pool"], times["one"], strict=True)]
    print(f"20 quick trials, {repeats} interleaved repeats: one process {median['one']:.1f} s, "
          f"local engine jobs=2 {median['pool']:.1f} s (medians)")  # fmt: skip
    print(f"  ratio pool / one process: {statistics.median(ratios):.2f} median, {min(ratios):.2f}"
          " min (target <= 0.6 on 2 idle cores)")  # fmt: skip
    if times["ray"]:
        overhead = [(r - p) / 20 for r, p in zip(times["ray"], times["pool"], strict=True)]
        middle, least = statistics.median(overhead), min(overhead)
        print(f"  ray engine {median['ray']:.1f} s; overhead per trial vs the local engine "
              f"{middle:+.2f} s median, {least:+.2f} s min")  # fmt: skip
    print(f"  same metrics.json on every engine and repeat: {same}")


if __name__ == "__main__":
    main()
