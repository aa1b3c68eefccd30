"""A plan (symparams/planner.py) laid out: the fitting layouts, fastest first, and why each rejected
family does not fit; as text or JSON."""

from __future__ import annotations

import json


def json_text(result, *, net, **_) -> str:
    return json.dumps(as_dict(result, net), indent=2) + "\n"


def as_dict(result, net) -> dict:
    g = result.gpu
    return {"file": net.program.file, "gpus": result.gpus, "batch": result.batch,
            "gpu": {"name": g.name, "bf16_flops": g.bf16, "bandwidth": g.bandwidth, "memory": g.memory,
                    "link": g.link, "source": g.source},
            "options": result.options,
            "layouts": [{"dp": c.dp, "tp": c.tp, "pp": c.pp, "zero": c.zero, "recompute": c.recompute,
                         "microbatches": c.microbatches, "memory_bytes": c.memory_bytes, "step_s": c.step_s,
                         "training_s": c.training_s, "comm_bytes": c.comm} for c in result.layouts],
            "rejected": result.rejected}


def text(result, *, net, top: int = 10, **_) -> str:
    g = result.gpu
    lines = [f"Plan: {net.program.file or '<text>'} on {result.gpus} x {g.name} "
             f"({g.memory / 2 ** 30:,.1f} GiB, {g.bf16 / 1e12:,.0f} TFLOP/s bf16), global batch {result.batch}, "
             f"{result.options['precision']}, {result.options['optimizer']}, mfu {result.options['mfu']}",
             f"{len(result.layouts)} layouts fit; the fastest {min(top, len(result.layouts))}:",
             f"  {'dp':>4} {'tp':>3} {'pp':>3} {'zero':>4} {'recompute':>9} {'M':>5} {'memory/GPU':>12} {'step':>10}"
             + ("   training" if result.options["tokens"] is not None else "")]
    for c in result.layouts[:top]:
        line = (f"  {c.dp:>4} {c.tp:>3} {c.pp:>3} {c.zero:>4} {c.recompute:>9} {c.microbatches:>5} "
                f"{c.memory_bytes / 2 ** 30:>8,.1f} GiB {c.step_s:>9.3f}s")
        if c.training_s is not None:
            line += f"   {c.training_s / 86400:,.1f} days"
        lines.append(line)
    if result.rejected:
        lines.append("Rejected:")
        for r in result.rejected:
            fam = ", ".join(f"{k} {v}" for k, v in r["family"].items())
            lines.append(f"  {fam}: {r['reason']}")
    return "\n".join(lines) + "\n"
