"""A 20-trial quick sweep: the local engine with 2 workers, and Ray, against one process.

Run as ``python benchmarks/studies.py [EXERCISE]`` (default ``cliff``: 10 seeds x 2 settings of
its quick version; ``kmeans`` likewise; another exercise: 20 seeds). Three timings of the same
20 trials, each into a fresh folder:

1. one after another in this process (``jobs=1``): the baseline;
2. the local engine with ``jobs=2`` (a process pool; includes starting the workers);
3. the Ray engine on a local Ray with ``num_cpus=2`` (``ray.init`` timed apart).

Printed: the wall-time ratio pool / one process (the target is <= 0.6 on 2 idle cores), and
Ray's overhead per trial against the local engine, (t_ray - t_pool) / 20. The per-trial
numbers are the same on all three (checked here on metrics.json).
"""

from __future__ import annotations

import os
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
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        one, one_out = timed("one", root, jobs=1)
        pool, pool_out = timed("pool", root, jobs=2)
        print(f"20 quick trials: one process {one:.1f} s, local engine jobs=2 {pool:.1f} s")
        print(f"  ratio pool / one process: {pool / one:.2f} (target <= 0.6 on 2 idle cores)")
        print(f"  same metrics.json: {same_numbers(one_out, pool_out)}")
        try:
            ray = studies.import_ray()
        except ImportError as error:
            print(f"ray: skipped ({error})")
            return
        clock = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, logging_level="warning")
        start = time.perf_counter() - clock
        remote, ray_out = timed("ray", root, engine="ray")
        ray.shutdown()
        print(f"  ray engine {remote:.1f} s after ray.init {start:.1f} s")
        print(f"  Ray overhead per trial vs the local engine: {(remote - pool) / 20:+.2f} s")
        print(f"  same metrics.json: {same_numbers(one_out, ray_out)}")


if __name__ == "__main__":
    main()
