"""Today's architectures in the zoo, exact against the real frameworks: Hugging Face transformers
models built from config objects (never downloaded), keras.applications models with weights=None,
and a hand-written PyTorch U-Net. Large models are built on PyTorch's meta device (shapes without
memory) for their parameter counts; values are checked on small sizes."""

from __future__ import annotations

import sympy
import pytest

import symparams
from conftest import EXAMPLES, need_module

ZOO = EXAMPLES / "zoo"


def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def _meta(build):
    torch = need_module("torch")
    with torch.device("meta"):
        return build()


def _load(name, **values):
    return symparams.load(ZOO / name, convention="pytorch", values=values or None)


# ----------------------------------------------------------------------------- LLaMA

LLAMA = "llama_tinyllama.arch"


def _llama(vocab, width, layers, heads, kv_heads, mlp_width):
    tf = need_module("transformers")
    config = tf.LlamaConfig(vocab_size=vocab, hidden_size=width, intermediate_size=mlp_width,
                            num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv_heads,
                            tie_word_embeddings=False)
    return _meta(lambda: tf.LlamaForCausalLM(config))


def test_llama_at_tinyllama_sizes():
    net = _load(LLAMA)
    model = _llama(32000, 2048, 22, 32, 4, 5632)
    assert _count(model) == 1_100_048_384
    assert int(net.evaluate().params) == _count(model)


@pytest.mark.parametrize("sizes", [dict(vocab=1000, width=64, layers=3, heads=8, kv_heads=2, mlp_width=172),
                                   dict(vocab=500, width=96, layers=2, heads=6, kv_heads=1, mlp_width=200),
                                   dict(vocab=300, width=48, layers=1, heads=4, kv_heads=4, mlp_width=64)])
def test_llama_at_other_sizes(sizes):
    net = _load(LLAMA, **sizes)
    assert int(net.params) == _count(_llama(**sizes))


def test_llama_total_is_a_closed_form_in_its_sizes():
    total = _load(LLAMA).params
    names = {s.name for s in total.free_symbols}
    assert {"width", "layers", "heads", "kv_heads", "mlp_width", "vocab"} <= names
    w, L, h, g, f, v = (sympy.Symbol(n, positive=True, integer=True)
                        for n in ("width", "layers", "heads", "kv_heads", "mlp_width", "vocab"))
    subs = {s: {"width": w, "layers": L, "heads": h, "kv_heads": g, "mlp_width": f, "vocab": v}[s.name]
            for s in total.free_symbols}
    expected = 2 * v * w + w + L * (2 * w ** 2 + 2 * w * g * (w / h) + 3 * w * f + 2 * w)
    assert sympy.simplify(total.subs(subs) - expected) == 0


# ----------------------------------------------------------------------------- Mixtral

MIXTRAL = "mixtral_moe.arch"


def _mixtral(vocab, width, layers, heads, kv_heads, mlp_width, experts, top_k):
    tf = need_module("transformers")
    config = tf.MixtralConfig(vocab_size=vocab, hidden_size=width, intermediate_size=mlp_width,
                              num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv_heads,
                              num_local_experts=experts, num_experts_per_tok=top_k, tie_word_embeddings=False)
    return _meta(lambda: tf.MixtralForCausalLM(config))


def _active(model, experts, top_k) -> int:
    """What one token uses: everything but the (experts - top_k) experts it is not routed to."""
    expert_weights = sum(p.numel() for n, p in model.named_parameters() if ".experts." in n)
    return _count(model) - expert_weights * (experts - top_k) // experts


def test_mixtral_at_published_sizes():
    net = _load(MIXTRAL).evaluate()
    model = _mixtral(32000, 4096, 32, 32, 8, 14336, 8, 2)
    assert _count(model) == 46_702_792_704
    assert int(net.params) == _count(model)
    assert _active(model, 8, 2) == 12_879_925_248
    assert int(net.metric("active")) == _active(model, 8, 2)


@pytest.mark.parametrize("sizes", [dict(vocab=1000, width=64, layers=2, heads=8, kv_heads=2, mlp_width=96,
                                        experts=4, top_k=1),
                                   dict(vocab=700, width=32, layers=3, heads=4, kv_heads=4, mlp_width=40,
                                        experts=6, top_k=3)])
def test_mixtral_at_small_sizes(sizes):
    net = _load(MIXTRAL, **sizes)
    model = _mixtral(**sizes)
    assert int(net.params) == _count(model)
    assert int(net.metric("active")) == _active(model, sizes["experts"], sizes["top_k"])


def test_mixtral_active_is_a_closed_form_in_experts_and_top_k():
    active = _load(MIXTRAL).metric("active")
    total = _load(MIXTRAL).params
    names = {s.name for s in active.free_symbols}
    assert {"experts", "top_k", "width", "layers", "mlp_width"} <= names
    by = {s.name: s for s in total.free_symbols | active.free_symbols}
    # the experts not routed to are the whole difference: layers * (experts - top_k) * 3 * width * mlp_width
    gap = by["layers"] * (by["experts"] - by["top_k"]) * 3 * by["width"] * by["mlp_width"]
    assert sympy.expand(total - active - gap) == 0
