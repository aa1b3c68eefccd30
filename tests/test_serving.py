"""Serving: sliding-window attention's KV cache and FLOPs (attention window=W)."""

from pathlib import Path

import pytest
import sympy

from symparams import cost
from symparams.algebra import symbol
from symparams import load, parse

from conftest import need_module

HERE = Path(__file__).resolve().parent


def test_mistral_7b_window_kv_cache_is_512_mib():
    """Mistral-7B v0.1, window 4096, T = 32,768, bf16: 2 x 4096 x 32 layers x 8 heads x 128 x 2 bytes."""
    net = load(HERE.parent / "examples" / "scale" / "mistral_7b.arch")
    assert net.params.subs({symbol(k): v for k, v in net.defaults.items()}) == 7_241_732_096
    kv = cost.totals(net, ("kv_bytes",), cost.Options(precision="bf16"))["kv_bytes"]
    assert kv.subs({symbol(k): v for k, v in net.defaults.items()}) == 512 * 2 ** 20
    # below the window the whole sequence is kept
    assert kv.subs({symbol(k): v for k, v in dict(net.defaults, T=1000).items()}) == 1000 * 128 * 1024


def test_window_scores_are_t_times_w():
    full = parse("input T x 64\nattention heads=4 causal\n")
    windowed = parse("input T x 64\nattention heads=4 causal window=W\n")
    t, w = sympy.symbols("T W", positive=True, integer=True)
    diff = (full.metric("macs") - windowed.metric("macs")).subs({symbol("T"): t, symbol("W"): w})
    assert sympy.simplify(diff - 2 * t * (t - sympy.Min(t, w)) * 64) == 0


def test_transformers_sliding_window_cache():
    """transformers' Mistral cache (DynamicSlidingWindowLayer, a config object, nothing downloaded)
    keeps W - 1 positions between steps; the next token's key and value complete the window the
    attention reads, which is what symparams counts: min(T, W) positions."""
    torch = need_module("torch")
    transformers = need_module("transformers")
    cfg = transformers.MistralConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                     num_attention_heads=4, num_key_value_heads=2, sliding_window=4)
    model = transformers.MistralForCausalLM(cfg).eval()
    with torch.no_grad():
        cache = model(torch.randint(0, 64, (1, 10)), use_cache=True).past_key_values
    held = sum(layer.keys.numel() * 4 + layer.values.numel() * 4 for layer in cache.layers)
    net = parse("convention pytorch\ninput 10\nembedding 64 32\nrepeat 2 { residual { rmsnorm; attention heads=4 "
                "kv_heads=2 bias=false causal window=4 }\n residual { rmsnorm; mul { dense 64 bias=false silu } "
                "{ dense 64 bias=false }\n dense 32 bias=false } }\nrmsnorm\ndense 64 bias=false\n")
    kv = cost.totals(net, ("kv_bytes",), cost.Options())["kv_bytes"]
    per_position = 2 * 2 * 2 * 8 * 4            # keys and values, 2 layers, 2 kv heads of 8, fp32
    assert held == 3 * per_position
    assert kv == held + per_position


QUANT_FILE = "convention pytorch\ninput 512\ndense 256\ndense 128 bias=false\n"


def _stored_bytes(tensor) -> int:
    """Bytes of a tensor subclass's inner tensors (a quantised weight's data, scales, zero points)."""
    if hasattr(tensor, "__tensor_flatten__"):
        names, _ = tensor.__tensor_flatten__()
        return sum(_stored_bytes(getattr(tensor, n)) for n in names)
    return tensor.numel() * tensor.element_size()


def _quantised_model(scheme, group=None):
    import warnings
    torch = need_module("torch")
    need_module("torchao")
    warnings.filterwarnings("ignore")
    from torchao.quantization import (Float8WeightOnlyConfig, Int8WeightOnlyConfig, IntxWeightOnlyConfig,
                                      quantize_)
    from torchao.quantization.granularity import PerGroup
    model = torch.nn.Sequential(torch.nn.Linear(512, 256), torch.nn.Linear(256, 128, bias=False)).to(torch.bfloat16)
    if scheme == "nf4":
        from torchao.quantization.quantize_.workflows.nf4.nf4_tensor import to_nf4
        return sum(_stored_bytes(to_nf4(m.weight.detach(), block_size=group or 64)) for m in model) + 256 * 2
    config = {"fp8": lambda: Float8WeightOnlyConfig(),
              "int8": lambda: Int8WeightOnlyConfig(granularity=PerGroup(group)) if group else Int8WeightOnlyConfig(),
              "int4": lambda: IntxWeightOnlyConfig(weight_dtype=torch.int4, granularity=PerGroup(group or 128))}[scheme]()
    quantize_(model, config)
    total = 0
    for name, p in model.named_parameters():
        if scheme == "int4" and hasattr(p, "qdata"):
            # torchao's CPU reference layout keeps one int8 per 4-bit value; packed kernels store two per byte
            total += _stored_bytes(p) - p.qdata.numel() + p.qdata.numel() // 2
        else:
            total += _stored_bytes(p)
    return total


@pytest.mark.parametrize("scheme, group", [("fp8", None), ("int8", None), ("int8", 128), ("int4", None),
                                           ("int4", 32), ("nf4", None)])
def test_quantised_weight_bytes_match_torchao(scheme, group):
    from symparams.serving import Serving
    measured = _quantised_model(scheme, group)
    net = parse(QUANT_FILE)
    options = cost.Options(precision="bf16", serving=Serving(weight_dtype=scheme, group_size=group))
    assert cost.totals(net, ("weight_bytes",), options)["weight_bytes"] == measured


def test_paged_kv_whole_blocks():
    from symparams.serving import Serving
    net = parse("input T x 64\nattention heads=4 kv_heads=2 causal window=W\n")
    kv = cost.totals(net, ("kv_bytes",), cost.Options(serving=Serving(kv_dtype="fp8", kv_block=16)))["kv_bytes"]
    at = kv.subs({symbol("T"): 1000, symbol("W"): 4096})
    assert at == 2 * 1008 * 32 * 1                   # 63 blocks of 16 positions, 2 heads of 32, 1 byte
    assert kv.subs({symbol("T"): 5000, symbol("W"): 4096}) == 2 * 4096 * 32


def test_memory_serving_phases_and_time_json():
    """Decode reads every weight and the whole cache once per step: the bound is their bytes over the
    bandwidth when that exceeds the FLOPs over the peak (the definition of the roofline)."""
    import json
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "symparams.cli", "memory", str(HERE.parent / "examples" / "scale" / "mistral_7b.arch"), "--inference",
                           "--precision", "bf16", "--batch", "8", "--gpu", "h100-sxm", "--format", "json"],
                          capture_output=True, text=True, timeout=120, cwd=HERE.parent)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    t = out["time"]
    total = out["parts"]["infer_bytes"]["bytes"]
    assert t["decode_bytes"]["value"] == total
    assert t["decode_s_token"]["value"] == pytest.approx(total / 3.35e12)
    # 2 FLOPs per matrix parameter (the embedding table is only looked up) + the scores against 4,096 keys
    params, table = 7_241_732_096, 32000 * 4096
    assert t["decode_flops"]["value"] == 8 * (2 * (params - table) + 32 * 4 * 4096 * 4096)
    assert t["prefill_s"]["value"] == pytest.approx(t["prefill_flops"]["value"] / 989e12)


def test_serving_under_tensor_parallelism():
    """Quantised weights and an fp8 cache split over the tensor ranks."""
    from symparams.parallel import Layout
    from symparams.serving import Serving
    net = load(HERE.parent / "examples" / "scale" / "llama2_70b.arch").at_defaults()
    serving = Serving(weight_dtype="int4", kv_dtype="fp8")
    one = cost.totals(net, ("weight_bytes", "kv_bytes"), cost.Options(batch=8, precision="bf16", serving=serving))
    two = cost.totals(net, ("weight_bytes", "kv_bytes"), cost.Options(batch=8, precision="bf16", serving=serving,
                                                                      layout=Layout(tp=2)))
    assert two["weight_bytes"] * 2 == one["weight_bytes"] and two["kv_bytes"] * 2 == one["kv_bytes"]
    assert one["kv_bytes"] == 2 * 4096 * 80 * 8 * 128 * 8          # fp8: 1 byte per value
