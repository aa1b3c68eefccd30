"""symparams plan: layouts that fit, ranked by step time; memory_bytes equals `memory`'s train_bytes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from symparams import gpus, timing
from symparams.errors import SymparamsError

HERE = Path(__file__).resolve().parent
LLAMA3 = HERE.parent / "examples" / "scale" / "llama3_8b.arch"
ROOT = HERE.parent


def cli(*args):
    done = subprocess.run([sys.executable, "-m", "symparams.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_plan_llama3_8b_on_8_h100_matches_memory():
    out = json.loads(cli("plan", str(LLAMA3), "--gpus", "8", "--gpu", "h100-sxm", "--batch", "16",
                         "--format", "json"))
    layouts = out["layouts"]
    assert layouts and all(c["memory_bytes"] <= 80 * 10 ** 9 for c in layouts)
    assert [c["step_s"] for c in layouts] == sorted(c["step_s"] for c in layouts)
    assert all(c["dp"] * c["tp"] * c["pp"] == 8 for c in layouts)
    for c in (layouts[0], layouts[-1]):
        mem = json.loads(cli("memory", str(LLAMA3), "--batch", "1", "--precision", "bf16-mixed",
                             "--dp", str(c["dp"]), "--tp", str(c["tp"]), "--pp", str(c["pp"]), "--zero", str(c["zero"]),
                             "--recompute", c["recompute"], "--microbatches", str(c["microbatches"]), "--format", "json",
                             *(["--sequence-parallel"] if c["tp"] > 1 else [])))
        assert mem["parts"]["train_bytes"]["bytes"] == c["memory_bytes"]


def test_plan_rejects_with_reasons():
    out = json.loads(cli("plan", str(LLAMA3), "--gpus", "8", "--gpu", "rtx-4090", "--batch", "8",
                         "--format", "json"))
    reasons = {json.dumps(r["family"], sort_keys=True): r["reason"] for r in out["rejected"]}
    assert any("even with ZeRO-3 and full recomputation" in r for r in reasons.values())
    assert all(c["memory_bytes"] <= 24 * 10 ** 9 for c in out["layouts"])


def test_gpu_table_and_custom():
    h100 = gpus.find("H100-SXM")
    assert h100.memory == 80 * 10 ** 9 and h100.bf16 == 989 * 10 ** 12 and h100.source
    custom = gpus.find("custom:flops=100T,bw=1TB/s,mem=16GB")
    assert (custom.bf16, custom.bandwidth, custom.memory) == (10 ** 14, 10 ** 12, 16 * 10 ** 9)
    with pytest.raises(SymparamsError, match="unknown GPU"):
        gpus.find("h1000")
    with pytest.raises(SymparamsError, match="mem="):
        gpus.find("custom:flops=1e12,bw=1e9")


def test_roofline_decode_bound():
    """Decoding one token of an 8.03e9-parameter bf16 model reads every weight once: on an H100 SXM
    (3.35 TB/s) at most 3.35e12 / 16.06e9 = 208.6 tokens/s per sequence, the published bound."""
    weights = 2 * 8_030_261_248
    t = timing.roofline(2 * 8_030_261_248, weights, gpus.find("h100-sxm"))
    assert abs(1 / float(t) - 208.6) < 0.1


def test_step_time_definition():
    """compute / (GPUs · peak · mfu) stretched by the 1F1B bubble (P − 1)/(V·M), plus the tensor-parallel
    bytes over the link; data-parallel bytes hidden behind the backward (2/3 of the compute)."""
    h100 = gpus.find("h100-sxm")
    s = timing.step_seconds(989 * 10 ** 12 * 8, 8, h100, 0.5, pp=4, microbatches=6, tp_bytes=450 * 10 ** 9)
    assert float(s) == pytest.approx(2 * (1 + 3 / 6) + 1)
    hidden = timing.step_seconds(989 * 10 ** 12 * 3, 1, h100, 1, dp_bytes=450 * 10 ** 9)
    assert float(hidden) == pytest.approx(3)                  # 1 s of sends inside 2 s of backward
    exposed = timing.step_seconds(989 * 10 ** 12 * 3, 1, h100, 1, dp_bytes=450 * 10 ** 9 * 5)
    assert float(exposed) == pytest.approx(3 + 5 - 2)


def test_solve_on_gpus_is_the_largest_that_trains():
    """solve --for layers --gpus 8 --gpu h100-sxm: some layout fits at the answer, none one layer deeper."""
    from symparams import planner
    from symparams.engine.network import load
    out = json.loads(cli("solve", str(LLAMA3), "--for", "layers", "--gpus", "8", "--gpu", "h100-sxm", "--batch", "8",
                         "--precision", "bf16-mixed", "--format", "json"))
    value = out["value"]
    assert value > 32 and out["fastest"]["memory_bytes"] <= 80 * 10 ** 9
    net = load(LLAMA3)
    h100 = gpus.find("h100-sxm")
    assert planner.plan(net.evaluate(layers=value), 8, h100, batch=8).layouts
    assert not planner.plan(net.evaluate(layers=value + 1), 8, h100, batch=8).layouts
    batch = json.loads(cli("solve", str(LLAMA3), "--for", "B", "--batch", "B", "--gpus", "8", "--gpu", "h100-sxm",
                           "--precision", "bf16-mixed", "--format", "json"))
    assert batch["fastest"] is not None and batch["fastest"]["microbatches"] == 1


def test_memory_training_time_json():
    """memory --gpu: step time = step FLOPs / (GPUs · peak · mfu) (no bubble, no tensor ranks, the data-
    parallel sends hidden behind the backward here); training time = step · D / (tokens per step)."""
    out = json.loads(cli("memory", str(LLAMA3), "--precision", "bf16-mixed", "--dp", "8", "--zero", "1",
                         "--microbatches", "4", "--recompute", "selective", "--gpu", "h100-sxm", "--mfu", "0.5",
                         "--tokens", "1e12", "--format", "json"))
    t = out["time"]
    step = t["step_flops"]["value"] / (8 * 989e12 * 0.5)
    assert t["step_s"]["value"] == pytest.approx(step)
    assert t["training_s"]["value"] == pytest.approx(step * 1e12 / (1 * 4 * 8 * 8192))
    assert t["gpu"] == "h100-sxm" and t["mfu"] == 0.5


def test_sweep_varies_a_layout_symbol():
    """--tp t --vary t=…: each point is what memory prints with that number."""
    rows = json.loads(cli("sweep", str(LLAMA3), "--vary", "t=2,8", "--metric", "train_bytes", "--tp", "t", "--dp", "4",
                          "--zero", "3", "--precision", "bf16-mixed", "--format", "json"))
    for row in rows:
        mem = json.loads(cli("memory", str(LLAMA3), "--tp", str(row["t"]), "--dp", "4", "--zero", "3", "--precision",
                             "bf16-mixed", "--format", "json"))
        assert row["train_bytes"] == mem["parts"]["train_bytes"]["bytes"]
    assert rows[0]["train_bytes"] > rows[1]["train_bytes"]
