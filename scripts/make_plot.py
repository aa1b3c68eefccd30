"""Regenerate docs/plot.png (the README's figure) with the symparams command line, and measure
the sweep throughput quoted in the README's "Solve, sweep and plot" section.

    python scripts/make_plot.py            # writes docs/plot.png, prints the timing
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from symparams import cli, parse  # noqa: E402

COMMAND = ["plot", "examples/seed002_width.arch", "--vary", "f=8:256:8", "--by-layer", "-o", "docs/plot.png"]
BENCH = "input n x n x 3\nconv f 3x3 stride=2\nconv 2*f 3x3 stride=2\nconv 4*f 3x3 stride=2\nflatten\ndense 10\n"


def throughput(points_per_axis: int = 1000, repeats: int = 5) -> tuple[float, int]:
    """Best time to evaluate the total on a points_per_axis^2 grid (f x n), after compiling."""
    import numpy as np

    fn = parse(BENCH).lambdify("params")
    f = np.arange(1, points_per_axis + 1)[:, None]
    n = np.arange(15, 15 + points_per_axis)[None, :]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn(f=f, n=n)
        best = min(best, time.perf_counter() - start)
    return best, points_per_axis ** 2


def main() -> int:
    import os
    os.chdir(ROOT)
    print("symparams " + " ".join(COMMAND))
    code = cli.main(COMMAND)
    if code:
        return code
    seconds, points = throughput()
    print(f"sweep: {points:,} points in {seconds * 1000:.0f} ms ({points / seconds / 1e6:.1f} million points/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
