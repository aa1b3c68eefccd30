"""Serving: sliding-window attention's KV cache and FLOPs (attention window=W)."""

from pathlib import Path

import sympy

from symparams import cost
from symparams.algebra import symbol
from symparams.engine.network import load, parse

from conftest import need_module

HERE = Path(__file__).resolve().parent


def test_mistral_7b_window_kv_cache_is_512_mib():
    """Mistral-7B v0.1, window 4096, T = 32,768, bf16: 2 x 4096 x 32 layers x 8 heads x 128 x 2 bytes."""
    net = load(HERE / "mistral_7b.arch")
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
