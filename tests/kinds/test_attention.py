"""Token and transformer layers (embedding, attention, posembed, clstoken, clspool, unembed): the
harness's generators, and each kind against the real PyTorch and Keras."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from conftest import need_module
from harness import ACTS, kind, keras_layer, last, size_text, torch_count, torch_out  # noqa: F401

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------- generators (the harness)

@kind("embedding", ranks=("tokens",))
def embedding(b):
    return f"embedding {b.integer(2, 20)} {b.integer(1, 8)}"


@kind("attention", ranks=(2,), weight=2)
def attention(b):
    d = b.shape[-1]
    heads = b.pick([h for h in (1, 2, 3, 4) if d % h == 0])
    text = f"attention heads={heads}"
    if b.coin():
        text += f" key_dim={b.integer(1, 4)}"          # heads * key_dim may differ from d: explicit projections
    if b.coin():                                       # grouped-query (1: multi-query)
        text += f" kv_heads={b.pick([g for g in (1, 2, 4) if heads % g == 0])}"
    keras_builds = "keras" in (b.fw, b.target)
    bias = b.pick(["true", "false"] if keras_builds else ["true", "false", "qkv", "qvo"])
    if bias != "true":
        text += f" bias={bias}"
    if not keras_builds and b.coin():                  # a norm of the queries and keys: Keras has none
        norm = b.pick(['rmsnorm', 'rmsnorm_full', 'layernorm'])
        # timm's EVA-02 CLIP norms both the queries and keys and the heads' output (no further draw: the other
        # seeded draws stay)
        text += f" qk_norm={norm}" + (" scale_norm=layernorm" if norm == "layernorm" else "")
    if not keras_builds and b.coin():                  # a relative position bias: Keras has no such layer
        text += f" relbias={b.integer(1, 8)}"
    if b.coin():
        text += " causal=true"
    return text


@kind("posembed", ranks=(2,))
def posembed(b):
    return "posembed" + (f" length={b.shape[0] + b.integer(0, 3)}" if b.coin() else "")


@kind("clstoken", ranks=(2,))
def clstoken(b):
    # DeiT-distilled's class and distillation tokens on an odd-length sequence under PyTorch (Keras has one token):
    # chosen from the shape, not drawn, so the other seeded draws stay
    if b.shape[0] % 2 == 1 and "keras" not in (b.fw, b.target):
        return "clstoken tokens=2"
    return "clstoken"


@kind("clspool", ranks=(2,), weight=0, tail=lambda b: "clspool")
def clspool(b):
    if b.shape[0] % 2 == 1 and b.shape[0] > 1 and "keras" not in (b.fw, b.target):
        return "clspool token=1"                        # the distillation token
    return "clspool"


def test_distilled_tokens_and_the_pick_of_one_agree_with_pytorch():
    """clstoken tokens=2 (N x D weights) and clspool token=1: counts as PyTorch's, the export's values are the
    cat of the tokens and x[:, 1], both import back; Keras export and a token past the end refused by name."""
    torch = need_module("torch")
    from harness import agree, round_trip
    from symparams.frameworks import keras_export, torch_export
    from symparams.frameworks.check import run_source
    text = "input 5x4\nclstoken tokens=2\nclspool token=1\ndense 3"
    agree(text, "pytorch")
    back = round_trip(text, "pytorch")
    assert "clstoken tokens=2" in back and "clspool token=1" in back, back
    net = symparams.parse(text, convention="pytorch")
    assert int(net.evaluate().params) == 2 * 4 + 4 * 3 + 3
    model = run_source(torch_export.export(net))["build"]()
    x = torch.randn(2, 5, 4)
    tokens = model.clstoken_1(x)
    torch.testing.assert_close(tokens[:, 2:], x)
    torch.testing.assert_close(model.clspool_1(tokens), tokens[:, 1])
    with pytest.raises(symparams.SymparamsError, match="past the"):
        symparams.parse("input 3x4\nclspool token=3", convention="pytorch").evaluate()
    for form in ("clstoken tokens=2", "clspool token=1"):
        with pytest.raises(symparams.SymparamsError, match="Keras|keras"):
            keras_export.export(symparams.parse(f"input 5x4\n{form}", convention="keras"))


def tied_head(b):
    """unembed needs an embedding before it and its width."""
    return "unembed" if b.embedding_dim is not None and b.shape[-1] == b.embedding_dim else None


@kind("unembed", ranks=(2,), tail=tied_head)
def unembed(b):
    return tied_head(b)


# ----------------------------------------------------------------------------- against the frameworks, one layer at a time

@SETTINGS
@given(st.integers(1, 100), st.integers(1, 20), st.integers(1, 10))
def test_embedding(vocab, dim, length):
    torch, keras = need_module("torch"), need_module("keras")
    text = f"input {length}\nembedding {vocab} {dim}"
    params, out, _ = last(text, "pytorch")
    assert (params, out) == (torch_count(torch.nn.Embedding(vocab, dim)), (length, dim))
    assert last(text, "keras")[:2] == keras_layer(keras.layers.Embedding(vocab, dim), (length,))


@pytest.mark.parametrize("text, ok", [
    ("input 10x8\nposembed length=12", True),
    ("input 10x8\nposembed length=10", True),
    ("input 10x8\nposembed length=5", False),   # a table shorter than the sequence
])
def test_posembed_table_covers_the_sequence(text, ok):
    """Checks written as numeric comparisons fire (SymPy's false is not Python's False)."""
    if ok:
        symparams.parse(text)
    else:
        with pytest.raises(symparams.ShapeError):
            symparams.parse(text)


def test_attention_against_torch_and_keras():
    torch, keras = need_module("torch"), need_module("keras")
    text = "input 6x8\nattention heads=2"
    assert last(text, "pytorch")[0] == torch_count(torch.nn.MultiheadAttention(8, 2))
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    x = keras.Input((6, 8))
    y = layer(x, x)
    assert last(text, "keras")[:2] == (layer.count_params(), tuple(int(d) for d in y.shape[1:]))


def test_per_projection_biases_and_qk_norm_count_what_hugging_face_builds():
    """bias=qvo (Whisper: no key bias) and qk_norm (Qwen3: one RMS scale per head width for q and for k; OLMo 2:
    over all heads) against the framework's own modules."""
    torch = need_module("torch")
    d, h, g, k = 32, 4, 2, 8
    for bias, qk_norm, expected in (
            ("qvo", "none", 4 * d * d + 3 * d),
            ("o", "none", 4 * d * d + d),
            ("false", "rmsnorm", 2 * d * h * k + 2 * d * g * k + 2 * k),
            ("qkv", "rmsnorm_full", 2 * d * h * k + 2 * d * g * k + h * k + 2 * g * k + h * k + g * k),
            ("o", "layernorm", 4 * d * d + d + 4 * k)):
        kv = "" if bias in ("qvo", "o") else f" kv_heads={g}"
        net = symparams.parse(f"input 6 x {d}\nattention heads={h}{kv} bias={bias} qk_norm={qk_norm}",
                              convention="pytorch")
        assert int(net.params) == expected, (bias, qk_norm)
        from symparams.frameworks.check import run_source
        from symparams.frameworks.torch_export import export
        model = run_source(export(net))["build"]()
        assert sum(p.numel() for p in model.parameters()) == expected
        assert tuple(model(torch.zeros(2, 6, d)).shape) == (2, 6, d)
        back = symparams.from_torch(model, (6, d))
        assert f"bias={bias}" in back or bias == "true"
        assert int(symparams.parse(back, convention="pytorch").params) == expected
