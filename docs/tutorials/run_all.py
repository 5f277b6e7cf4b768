"""Run every tutorial as a script in quick mode (``LABCOAT_QUICK=1``): CI's tutorial step.

Each tutorial runs in its own interpreter, one after the other, with matplotlib's Agg backend
and one BLAS/torch thread. A tutorial asserts its own key numbers, so a broken one exits
non-zero here. Usage: ``python docs/tutorials/run_all.py [--limit SECONDS] [NAME ...]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def tutorials() -> list[Path]:
    """The tutorial scripts, in order (``NN_name.py``)."""
    return sorted(p for p in HERE.glob("[0-9][0-9]_*.py"))


def run(path: Path, limit: float) -> tuple[bool, float, str]:
    """Run one tutorial in quick mode: (passed, seconds, the end of its output)."""
    env = {**os.environ, "LABCOAT_QUICK": "1", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(path)], env=env, capture_output=True, text=True, timeout=limit
        )
    except subprocess.TimeoutExpired:
        return False, time.perf_counter() - start, f"took more than {limit:g} s"
    seconds = time.perf_counter() - start
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
    return done.returncode == 0, seconds, tail


def main(argv: list[str] | None = None) -> int:
    """Run the tutorials; exit status 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="tutorial files or name parts (default: all)")
    parser.add_argument("--limit", type=float, default=120.0, help="seconds per tutorial")
    args = parser.parse_args(argv)
    chosen = [p for p in tutorials() if not args.names or any(n in p.name for n in args.names)]
    if not chosen:
        print(f"no tutorial matches {args.names}", file=sys.stderr)
        return 2
    failed = []
    for path in chosen:
        passed, seconds, tail = run(path, args.limit)
        print(f"{'ok  ' if passed else 'FAIL'} {path.name} ({seconds:.1f} s)", flush=True)
        if not passed:
            failed.append(path.name)
            print("    " + tail.replace("\n", "\n    "), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
