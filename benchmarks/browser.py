"""The playground's speed in a real browser (Debian's Chromium, headless, driven by playwright-core):

- navigation -> first result: Pyodide boot, the wheels unpacked, symparams and SymPy imported, seed 002
  derived and on screen (three loads: the first with an empty browser cache);
- a slider update: an input event to every count re-evaluated and written (target: 50 ms);
- a re-derive after an edit, of seed 002 and of ResNet-50 (examples/zoo/resnet50.arch).

    python benchmarks/browser.py [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
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
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        site = build(Path(tmp) / "site", log=lambda m: print(m, file=sys.stderr))
        with background(site) as url:
            proc = subprocess.run(["node", str(ROOT / "benchmarks" / "browser.mjs"), url,
                                   str(ROOT / "examples" / "zoo" / "resnet50.arch")],
                                  capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return 1
    out = json.loads(proc.stdout.strip().splitlines()[-1])
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
        print(f"load average during the run: {load:.1f} on {os.cpu_count()} cores (wall times grow with it)")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0 if not out["outside"] else 1


if __name__ == "__main__":
    sys.exit(main())
