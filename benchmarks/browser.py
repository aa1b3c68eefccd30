"""The playground's speed in a real browser (Debian's Chromium, headless, driven by playwright-core):

- time to first result: navigation to the first table on screen (the default example, pre-rendered at build
  time) and to the first live derive by the page's own Python;
- time to first edit of ResNet-50: navigation, then as soon as the first result shows, the editor's text
  replaced by examples/zoo/resnet50.arch (select all, paste), timed to ResNet-50's table and total on screen
  (target: 2.5 s from the navigation): "shown" when every row's shape and parameter count and the total are on
  screen (the page lays these out from the engine's derive on integers before the formulas come; counted only
  when that table has the final table's rows and total), and, as before, when the table with its typeset
  formulas is; in a new browser (empty cache), again in the same browser (files and
  compiled WebAssembly cached), and without the memory snapshot (its file answering 404);
- a slider update: an input event to every count re-evaluated and written (target: 50 ms);
- a re-derive after an edit, of seed 002 and of ResNet-50, once Python is up.

Medians of RUNS runs (each in a new browser) are printed with the load average, since wall times on a shared
machine grow with it, and for the first edit the CPU time all of Chromium's processes spent on the visit
(from /proc), which does not.

    python benchmarks/browser.py [--runs N] [--runs-without-snapshot M] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from symparams.commands.serve import background, build  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", metavar="OUT", help="also write the numbers as JSON")
    parser.add_argument("--runs", type=int, default=5, help="first visits with the snapshot (default 5)")
    parser.add_argument("--runs-without-snapshot", type=int, default=3, help="first visits without it (default 3)")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryDirectory() as tmp:
        site = build(Path(tmp) / "site", log=lambda m: print(m, file=sys.stderr))
        with background(site) as url:
            proc = subprocess.run(["node", str(ROOT / "benchmarks" / "browser.mjs"), url,
                                   str(ROOT / "examples" / "zoo" / "resnet50.arch"), str(args.runs),
                                   str(args.runs_without_snapshot)],
                                  capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return 1
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    ms = lambda xs: ", ".join(f"{x:.0f}" for x in xs)         # noqa: E731
    med = lambda xs: statistics.median(xs) if xs else float("nan")   # noqa: E731
    for key, what in (("snapshot", "with the snapshot, new browser"), ("snapshotWarmCache", "with the snapshot, cached"),
                      ("noSnapshot", "without the snapshot, new browser")):
        runs = out["firstEdit"][key]
        if not runs:
            continue
        first = [r["firstResult"] for r in runs]
        total = [r["total"] for r in runs]
        shown = [r["shown"] for r in runs]
        print(f"{what}: time to first result median {med(first):.0f} ms ({ms(first)}); time to first edit of "
              f"ResNet-50 shown (its table's shapes and counts and its total, from the numbers call in "
              f"{sum(r['numbersShown'] for r in runs)} of {len(runs)}) median {med(shown):.0f} ms ({ms(shown)}); "
              f"with its formulas median {med(total):.0f} ms ({ms(total)}), of which after the paste "
              f"{med([r['editToTotal'] for r in runs]):.0f}; Python ready at {med([r['pythonReady'] for r in runs]):.0f} "
              f"(runtime {med([r['runtime'] for r in runs]):.0f}, imports {med([r['imports'] for r in runs]):.0f}), "
              f"ResNet-50 derive {med([r['derive_ms'] for r in runs]):.0f} (Python {med([r['python_ms'] for r in runs]):.0f}); "
              f"Chromium's CPU time for the visit {med([r['cpu'] for r in runs]):.2f} s (all its processes, "
              f"navigation to ResNet-50 shown)"
              + ("" if all(r["snapshot"] == (key != "noSnapshot") for r in runs) else "   (NOT the intended boot)"))
    totals = {r["resnetTotal"] for rs in out["firstEdit"].values() for r in rs}
    print(f"  targets: first result <= 1500 ms, first edit shown <= 2500 ms; ResNet-50 total shown: {', '.join(sorted(totals))}")
    loads = out["loads"]
    print("navigation -> first result (ms): " + ", ".join(f"{l['firstResult']:.0f}" for l in loads)
          + (" (the pre-rendered view)" if loads[0].get("prerendered") else "")
          + "; first live derive: " + ", ".join(f"{l['firstLive']:.0f}" for l in loads if l.get("firstLive"))
          + f"   (first load: Pyodide runtime {loads[0]['runtime']:.0f}, wheels + imports {loads[0]['imports']:.0f})")
    for name, r in out["slider"].items():
        print(f"slider update {name}: median {r['median']:.1f} ms, p95 {r['p95']:.1f}, min {r['min']:.1f}, "
              f"max {r['max']:.1f} ({r['n']} moves); evaluated on the page (BigInt), its DOM writes "
              f"{r['dom_median']:.1f} ms"
              + ("" if r["p95"] <= 50 else "   (p95 over the 50 ms target)"))
    for name, r in out["rederive"].items():
        print(f"re-derive after an edit, {name}: median {r['median']:.0f} ms (Python {r['python_median']:.0f} ms), {r['n']} edits")
    print(f"ResNet-50 table rows: {out['resnetRows']}; requests outside 127.0.0.1: {len(out['outside'])}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if load is not None:
        print(f"load average (1 min) before the run {load_before:.1f}, after it {load:.1f}, on {os.cpu_count()} cores "
              f"(wall times grow with it)")
        out["load"] = {"before": load_before, "after": load, "cores": os.cpu_count()}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0 if not out["outside"] else 1


if __name__ == "__main__":
    sys.exit(main())
