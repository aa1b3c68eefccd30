"""Parallel layouts (symparams/parallel.py) against their oracles: the ZeRO paper's model-state
formulas, Megatron-LM's theoretical_memory_usage.py (its published formulas recomputed here), and a
real distributed step on CPU (torch.distributed, gloo, two local ranks: tests/distributed_ranks.py)."""

import json
import os
import socket
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy

from symparams import cost
from symparams import parse
from symparams.errors import SymparamsError
from symparams.parallel import Layout

from conftest import need_module

ROOT = Path(__file__).resolve().parent.parent

MLP = "convention pytorch\ninput 16\ndense 32 gelu\ndense 16\n"

# a GPT-style file as Megatron-LM's formula sees one: no linear biases, layer norms with a bias,
# no learned position table (rotary), an untied output layer
GPT = """convention pytorch
input s
embedding V h
dropout 0.1
repeat L {
    residual { layernorm; attention heads=a causal bias=false; dropout 0.1 }
    residual { layernorm; dense f gelu bias=false; dense h bias=false; dropout 0.1 }
}
layernorm
dense V bias=false
"""


def parts(net, **kw):
    layout = {k: kw.pop(k) for k in list(kw) if k in Layout.__dataclass_fields__}
    options = cost.Options(layout=Layout(**layout), **kw)
    return cost.totals(net, ("weight_bytes", "grad_bytes", "optim_bytes", "act_train_bytes", "train_bytes"),
                       options)


# ----------------------------------------------------------------------------- ZeRO (Rajbhandari et al. 2020)

@pytest.mark.parametrize("stage, expected", [
    (0, lambda psi, n: 16 * psi),
    (1, lambda psi, n: 4 * psi + 12 * psi / n),
    (2, lambda psi, n: 2 * psi + 14 * psi / n),
    (3, lambda psi, n: 16 * psi / n),
])
def test_zero_paper_model_states(stage, expected):
    """Mixed-precision Adam: 2 + 2 + 12 bytes per parameter, sharded by stage over N_d ranks (any
    N_d: a symbol). PyTorch's Adam also keeps a float32 step per tensor on every rank (4 tensors)."""
    net = parse(MLP)
    psi, n = net.params, sympy.Symbol("N", positive=True, integer=True)
    got = parts(net, precision="bf16-mixed", optimizer="adam", dp="N", zero=stage)
    states = got["weight_bytes"] + got["grad_bytes"] + got["optim_bytes"] - 4 * 4
    assert sympy.simplify(states.subs(sympy.Symbol("N"), n) - expected(psi, n)) == 0


def test_grad_dtype_offload_and_fsdp_alias():
    net = parse(MLP)
    psi = net.params
    got = parts(net, precision="bf16-mixed", optimizer="adam", grad_dtype="fp32")
    assert got["grad_bytes"] == 4 * psi
    got = parts(net, precision="bf16-mixed", optimizer="adam", dp=4, zero=3, offload="params")
    assert got["weight_bytes"] == 0 and got["optim_bytes"] == 0 and got["grad_bytes"] == 2 * psi / 4
    with pytest.raises(SymparamsError, match="--zero 3"):
        Layout(offload="params")
    with pytest.raises(SymparamsError, match="0, 1, 2 or 3"):
        Layout(zero=4)
    with pytest.raises(SymparamsError, match="at least 1"):
        Layout(tp=0)


# ----------------------------------------------------------------------------- Megatron-LM

def megatron(s, b, h, a, f, L, V, t, p, d, m, v=None, distributed=False):
    """theoretical_memory_usage.py's published formulas (sequence parallel, selective recompute,
    untied embeddings, no MoE/MTP, kv_channels * heads = hidden), in exact fractions."""
    F = Fraction
    layer = 2 * h * (f + 2) + 2 * h * h * 2                   # MLP + 2 layer norms + attention (4h^2)
    block = layer * L + 2 * h                                 # + the final layer norm
    emb = h * V
    shard = (F(block, p) + emb) / t
    if p == 1:
        shard += F(emb, t)
    per_param = 18 if not distributed else 6 + F(12, d)
    weights = shard * per_param
    act = F(s * b * h) * (18 + F(4 * f, h)) * L
    act += 8 * s * b * p + s * b * h * p
    if v is not None:
        act *= 1 + F(p - 1, p * v)
    elif p > 1:
        act *= min(1, F(m, p))
    if p == 1:
        act += s * b * h * 4 * (1 + F(V, h))
    return weights, act / t


MEGATRON_CASES = [  # (t, p, d, m, v, distributed)
    (8, 4, 1, 8, None, False), (2, 2, 4, 1, None, True), (4, 8, 2, 3, None, False), (2, 4, 2, 16, 2, True),
    (1, 2, 1, 2, None, False), (4, 1, 2, 1, None, True), (2, 1, 1, 1, None, False),
]


@pytest.mark.parametrize("t, p, d, m, v, distributed", MEGATRON_CASES)
def test_megatron_theoretical_memory(t, p, d, m, v, distributed):
    sizes = dict(s=512, h=256, a=8, f=768, L=8, V=1000)
    net = parse(GPT, values=sizes)
    layout = dict(tp=t, pp=p, dp=d, microbatches=m, sequence_parallel=True, grad_dtype="fp32",
                  zero=1 if distributed else 0)
    if v is not None:
        layout["interleave"] = v
    got = parts(net, batch=2, precision="bf16-mixed", optimizer="adam", recompute="selective", style="megatron",
                **layout)
    weights, act = megatron(b=2, t=t, p=p, d=d, m=m, v=v, distributed=distributed, **sizes)
    assert Fraction(str(got["weight_bytes"] + got["grad_bytes"] + got["optim_bytes"])) == weights
    assert Fraction(str(got["act_train_bytes"])) == act


def test_korthikanti_without_sequence_parallel():
    """Table 2 of Korthikanti et al. 2022 with tensor parallelism only: s·b·h·(10 + 24/t) per layer
    under selective recomputation (the norms, dropouts and the inputs of the parallel regions
    replicated, everything inside them split)."""
    s, b, h, t = sympy.symbols("s b h t", positive=True, integer=True)
    body = GPT.split("repeat L {")[1].split("\n}")[0].replace("dense f", "dense 4*h")
    net = parse("convention pytorch\ninput s x h\nrepeat 1 {" + body + "\n}\n")
    got = parts(net, batch="b", precision="bf16-mixed", recompute="selective", style="megatron", tp="t")
    got = got["act_train_bytes"].subs({sympy.Symbol(n): v for n, v in zip("sbht", (s, b, h, t))})
    assert sympy.simplify(got - s * b * h * (10 + 24 / t)) == 0


# ----------------------------------------------------------------------------- a real distributed engine

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def ranks() -> dict:
    """Every engine of tests/distributed_ranks.py, run once for this module."""
    need_module("torch.distributed")
    import torch.distributed as dist
    if not dist.is_available() or not dist.is_gloo_available():
        pytest.fail("torch.distributed with gloo is needed for the distributed oracle")
    env = dict(os.environ, OMP_NUM_THREADS="1", MASTER_ADDR="127.0.0.1")
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "distributed_ranks.py"), "all", "2",
                           str(_free_port())], capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_fsdp2_per_rank_bytes_and_collectives(ranks):
    measured = ranks["fsdp"]
    net = parse(MLP)
    options = cost.Options(batch=4, layout=Layout(dp=2, zero=3))
    got = cost.totals(net, ("weight_bytes", "grad_bytes", "optim_bytes"), options)
    from symparams import parallel
    comm = parallel.analyse(net, options, None, cost.flow(net, options)).comm
    for rank in ("0", "1"):
        for part in ("weight_bytes", "grad_bytes", "optim_bytes"):
            assert measured[rank][part] == got[part], (rank, part)
        assert measured[rank]["sent"] == comm["dp"] == comm["total"]


def test_tensor_parallel_per_rank_bytes_and_all_reduces(ranks):
    measured = ranks["tp"]
    net = parse("convention pytorch\ninput 8 x 16\nresidual { layernorm; attention heads=2 }\n"
                "residual { layernorm; dense 32 gelu; dense 16 }\n")
    options = cost.Options(batch=3, layout=Layout(tp=2))
    from symparams import parallel
    an = parallel.analyse(net, options, None, cost.flow(net, options))
    for rank in ("0", "1"):
        assert measured[rank]["weight_bytes"] == an.parts["weight_bytes"]
        assert measured[rank]["sent"] == an.comm["tp"]


# ----------------------------------------------------------------------------- the command

def test_memory_json_per_gpu(tmp_path):
    f = tmp_path / "gpt.arch"
    f.write_text(GPT.replace("input s", "let s = 512\nlet V = 1000\nlet h = 256\nlet a = 8\nlet f = 768\n"
                             "let L = 8\ninput s"))
    done = subprocess.run([sys.executable, "-m", "symparams.cli", "memory", str(f), "--tp", "t", "--pp", "4",
                           "--dp", "2", "--zero", "1", "--set", "t=2", "--microbatches", "8", "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out["parts"]) == {"weight_bytes", "grad_bytes", "optim_bytes", "act_train_bytes", "train_bytes"}
    assert "t" in out["parts"]["weight_bytes"]["formula"] and out["parts"]["train_bytes"]["bytes"] > 0
    assert [s["stage"] for s in out["per_stage"]] == ["first", "middle", "last"]
    assert "embedding_1" in out["per_stage"][0]["layers"] and "dense_3" in out["per_stage"][-1]["layers"]
    assert set(out["comm_bytes"]) == {"dp", "tp", "pp", "ep", "cp", "total"}
    assert out["comm_bytes"]["pp"]["bytes"] == 8 * 512 * 256 * 4      # first stage: forward sends only, fp32
    loaded = next(s for s in out["per_stage"] if s["stage"] == out["loaded_stage"])
    assert loaded["parts"]["train_bytes"]["bytes"] == out["parts"]["train_bytes"]["bytes"]


def test_deepspeed_zero_estimators():
    """DeepSpeed's own estimators, read as a second account of ZeRO with bf16 weights, fp32 gradients,
    master weights and Adam (18 bytes per parameter sharded in stage 3). Stage 3: DeepSpeed adds the
    largest layer gathered in full (4 bytes per its parameter: not modelled here, docs/scale.md); stage 2:
    DeepSpeed also keeps a 16-bit partition of the gradients beside the fp32 one (2Ψ/N more)."""
    import logging
    need_module("deepspeed")
    logging.getLogger("DeepSpeed").setLevel(logging.ERROR)
    from deepspeed.runtime.zero.stage3 import estimate_zero3_model_states_mem_needs
    from deepspeed.runtime.zero.stage_1_and_2 import estimate_zero2_model_states_mem_needs
    net = parse(MLP)
    psi, n, tensors = int(net.params), 8, 4
    largest = 32 * 16 + 32
    _, gpu3, gathered = estimate_zero3_model_states_mem_needs(psi, largest, num_gpus_per_node=n, cpu_offload=False)
    _, gpu2 = estimate_zero2_model_states_mem_needs(psi, num_gpus_per_node=n, cpu_offload=False)
    common = dict(precision="bf16-mixed", optimizer="adam", dp=n, grad_dtype="fp32")
    z3 = parts(net, zero=3, **common)
    z2 = parts(net, zero=2, **common)
    states3 = z3["weight_bytes"] + z3["grad_bytes"] + z3["optim_bytes"] - 4 * tensors
    states2 = z2["weight_bytes"] + z2["grad_bytes"] + z2["optim_bytes"] - 4 * tensors
    assert states3 == gpu3 - gathered == 18 * psi // n
    assert states2 + 2 * psi // n == gpu2 == 2 * psi + 18 * psi // n


def test_two_stage_pipeline_per_stage_bytes_and_sends(ranks):
    """torch.distributed.pipelining, two stages under 1F1B with 4 micro-batches of 2 sequences: each
    stage's parameters (embedding and two blocks; two blocks, the norm and the head) and the bytes of
    its point-to-point sends (activations forward from the first, their gradients back from the last)."""
    measured = ranks["pipeline"]
    net = parse("convention pytorch\ninput 8\nembedding 32 16\nrepeat 4 { residual { layernorm; dense 32 gelu; "
                "dense 16 } }\nlayernorm\ndense 32\n")
    from symparams import parallel
    options = cost.Options(batch=2, layout=Layout(pp=2, microbatches=4))
    an = parallel.analyse(net, options, None, cost.flow(net, options))
    first, last = an.stages
    assert (first.name, last.name) == ("first", "last")
    assert measured["0"]["weight_bytes"] == first.parts["weight_bytes"]
    assert measured["1"]["weight_bytes"] == last.parts["weight_bytes"]
    assert measured["0"]["sent"] == first.comm["pp"] == 4 * 2 * 8 * 16 * 4
    assert measured["1"]["sent"] == last.comm["pp"]


def test_expert_and_context_parallel():
    """Experts split over the expert ranks (every other weight whole); the context ranks split every
    saved activation, and ring attention passes keys and values around."""
    from symparams import parallel
    from symparams.engine.network import load
    net = load(ROOT / "examples" / "zoo" / "mixtral_moe.arch").at_defaults()
    base = cost.totals(net, ("weight_bytes", "act_train_bytes"), cost.Options(layout=Layout()))
    split = cost.totals(net, ("weight_bytes", "act_train_bytes"), cost.Options(layout=Layout(ep=8, cp=4)))
    layers = net.layers[[r.kind for r in net.layers].index("repeat")].children[0].count
    stored = layers * sum(r.params for _, r in net.walk() if r.role == "experts")   # every expert of every layer
    assert stored > 0
    assert base["weight_bytes"] - split["weight_bytes"] == stored * 4 * sympy.Rational(7, 8)
    assert split["act_train_bytes"] * 4 == base["act_train_bytes"]
    options = cost.Options(layout=Layout(ep=8, cp=4))
    an = parallel.analyse(net, options, None, cost.flow(net, options))
    assert an.comm["ep"] > 0 and an.comm["cp"] > 0 and an.comm["dp"] == 0


def test_summary_totals_per_gpu_rows_not_split():
    net = parse(GPT, values=dict(s=512, h=256, a=8, f=768, L=8, V=1000))
    options = cost.Options(layout=Layout(tp=2, pp=2))
    rows = cost.row_costs(net, ("params", "train_bytes"), options)
    assert all(v["train_bytes"] is None for v in rows.values())
    assert "per GPU" in cost.total_note("train_bytes", options)


def test_budget_bounds_every_stage():
    """With the batch a symbol, the last stage (the logits and the loss) can outgrow the first: the
    largest batch within a budget keeps every stage within it."""
    from symparams import memory_report as memory, parallel
    from symparams.algebra import symbol
    from symparams.engine.network import load
    net = load(ROOT / "examples" / "scale" / "llama3_8b.arch")
    options = cost.Options(batch="b", precision="bf16-mixed", recompute="selective", layout=Layout(tp=8, pp=2))
    found = memory.largest_fitting(net, options, 80 * 10 ** 9, "b")
    known = {symbol(k): v for k, v in net.defaults.items()}
    an = parallel.analyse(net, options, None, cost.flow(net, options))
    for b, fits in ((found["value"], True), (found["value"] + 1, False)):
        worst = max(sympy.sympify(st.parts["train_bytes"]).subs(known).subs(symbol("b"), b) for st in an.stages)
        assert (worst <= 80 * 10 ** 9) == fits
    assert an.stages[-1].parts["train_bytes"].subs(known).subs(symbol("b"), found["value"] + 1) > 80 * 10 ** 9


def test_tied_head_keeps_a_copy_of_the_table_on_the_last_stage():
    from symparams import parallel
    from symparams.engine.network import load
    net = load(ROOT / "examples" / "zoo" / "gpt2_small.arch").at_defaults()
    options = cost.Options(layout=Layout(pp=2))
    first, last = parallel.analyse(net, options, None, cost.flow(net, options)).stages
    table = 50257 * 768
    blocks = (net.params - table - 1024 * 768 - 2 * 768) / 2              # six of the twelve blocks
    assert first.parts["weight_bytes"] == 4 * (table + 1024 * 768 + blocks)
    assert last.parts["weight_bytes"] == 4 * (blocks + 2 * 768 + table)   # final norm + the table's copy


CONTRACT = ("--dp", "--tp", "--pp", "--cp", "--ep", "--zero", "--fsdp", "--sequence-parallel", "--microbatches",
            "--interleave", "--grad-dtype", "--offload")


@pytest.mark.parametrize("command", ["memory", "summary", "solve", "sweep", "plot"])
def test_layout_options_on_every_cost_command(command):
    """The issue's option names (a contract) on memory, summary, solve, sweep and plot."""
    from symparams.cli import build_parser
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]
    flags = {s for action in sub._actions for s in action.option_strings}
    assert set(CONTRACT) <= flags, set(CONTRACT) - flags
