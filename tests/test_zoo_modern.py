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


# ----------------------------------------------------------------------------- BERT and T5

def test_bert_base_with_pooler():
    tf = need_module("transformers")
    model = _meta(lambda: tf.BertModel(tf.BertConfig()))
    assert _count(model) == 109_482_240
    assert int(_load("bert_base.arch").evaluate().params) == _count(model)


def test_bert_at_small_sizes():
    tf = need_module("transformers")
    config = tf.BertConfig(vocab_size=321, hidden_size=48, num_hidden_layers=2, num_attention_heads=4,
                           intermediate_size=80, max_position_embeddings=64)
    net = _load("bert_base.arch", vocab=321, width=48, layers=2, heads=4, mlp_width=80, positions=64, seq=64)
    assert int(net.params) == _count(tf.BertModel(config))


def test_t5_small_encoder_decoder_with_shared_embedding():
    tf = need_module("transformers")
    model = _meta(lambda: tf.T5ForConditionalGeneration(tf.T5Config()))
    assert _count(model) == 60_506_624
    assert int(_load("t5_small.arch").evaluate().params) == _count(model)


def test_t5_at_small_sizes():
    tf = need_module("transformers")
    config = tf.T5Config(vocab_size=200, d_model=32, d_kv=8, d_ff=48, num_layers=3, num_heads=4,
                         relative_attention_num_buckets=16)
    net = _load("t5_small.arch", vocab=200, width=32, key_dim=8, mlp_width=48, layers=3, heads=4, buckets=16)
    assert int(net.params) == _count(tf.T5ForConditionalGeneration(config))


# ----------------------------------------------------------------------------- keras.applications

KERAS_APPS = {      # file -> (application, published total, published non-trainable)
    "efficientnet_b0.arch": ("EfficientNetB0", 5_330_571, 42_023),
    "inception_v3.arch": ("InceptionV3", 23_851_784, 34_432),
    "convnext_tiny.arch": ("ConvNeXtTiny", 28_589_128, 0),
    "mobilenet_v3_small.arch": ("MobileNetV3Small", 2_554_968, 12_112),
}


def _keras_leaves(layer):
    """The layers that hold weights, nested models and Sequentials opened, in build order."""
    inner = getattr(layer, "layers", None)
    if inner:
        for sub in inner:
            yield from _keras_leaves(sub)
    elif layer.weights:
        yield layer


def _sizes(weights) -> int:
    return sum(int(w.numpy().size) for w in weights)


@pytest.mark.parametrize("name", sorted(KERAS_APPS))
def test_keras_application_layer_by_layer(name):
    keras = need_module("keras")
    app, published, frozen = KERAS_APPS[name]
    model = getattr(keras.applications, app)(weights=None)
    net = symparams.load(ZOO / name, convention="keras").evaluate()
    assert model.count_params() == published
    assert (int(net.params), int(net.trainable_params), int(net.non_trainable_params)) == (
        published, _sizes(model.trainable_weights), frozen)
    theirs = [(layer.name, _sizes(layer.trainable_weights), _sizes(layer.non_trainable_weights))
              for layer in _keras_leaves(model)]
    ours = [(row.name, int(row.trainable_params), int(row.non_trainable_params))
            for row in net.unrolled().leaves() if row.params != 0]
    assert len(ours) == len(theirs)
    assert sorted(mine[1:] for mine in ours) == sorted(their[1:] for their in theirs)
    if name != "inception_v3.arch":     # Keras lists Inception's parallel branches level by level
        for mine, their in zip(ours, theirs):
            assert mine[1:] == their[1:], (mine, their)


# ----------------------------------------------------------------------------- U-Net

def _torch_unet(torch, base=64, classes=2):
    """Ronneberger et al. 2015, written by hand: valid 3x3 convolutions, 2x2 max pools, 2x2
    up-convolutions, skip connections centre-cropped to the upsampled size."""
    nn = torch.nn

    def double(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3), nn.ReLU(), nn.Conv2d(cout, cout, 3), nn.ReLU())

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            widths = [base * 2 ** i for i in range(5)]
            self.down = nn.ModuleList([double(1 if i == 0 else widths[i - 1], widths[i]) for i in range(4)])
            self.bottom = double(widths[3], widths[4])
            self.up = nn.ModuleList([nn.ConvTranspose2d(widths[4 - i], widths[3 - i], 2, stride=2) for i in range(4)])
            self.merge = nn.ModuleList([double(widths[4 - i], widths[3 - i]) for i in range(4)])
            self.head = nn.Conv2d(base, classes, 1)

        def forward(self, x):
            skips = []
            for block in self.down:
                x = block(x)
                skips.append(x)
                x = nn.functional.max_pool2d(x, 2)
            x = self.bottom(x)
            for up, merge, skip in zip(self.up, self.merge, reversed(skips)):
                x = up(x)
                top = (skip.shape[2] - x.shape[2]) // 2
                left = (skip.shape[3] - x.shape[3]) // 2
                skip = skip[:, :, top:top + x.shape[2], left:left + x.shape[3]]
                x = merge(torch.cat([skip, x], dim=1))
            return self.head(x)

    return UNet()


def test_unet_against_pytorch_at_572():
    torch = need_module("torch")
    model = _torch_unet(torch)
    net = _load("unet.arch").evaluate()
    assert int(net.params) == _count(model) == 31_030_658
    with torch.no_grad():
        out = model(torch.zeros(1, 1, 572, 572))
    assert tuple(out.shape[2:]) == (388, 388)
    assert tuple(int(d) for d in net.output_shape) == (388, 388, 2)


@pytest.mark.parametrize("size", [188, 204, 220, 253])
def test_unet_output_side_is_a_formula_in_the_input_side(size):
    torch = need_module("torch")
    model = _torch_unet(torch, base=4)
    net = _load("unet.arch")
    formula = net.output_shape[0]
    assert {s.name for s in formula.free_symbols} == {"size"}
    with torch.no_grad():
        out = model(torch.zeros(1, 1, size, size))
    assert int(formula.subs({s: size for s in formula.free_symbols})) == out.shape[2]
    small = _load("unet.arch", size=size, base=4).evaluate()
    assert int(small.params) == _count(model)
    assert int(small.output_shape[0]) == out.shape[2]


def test_unet_refuses_an_input_too_small_for_its_crops():
    from symparams.errors import SymparamsError
    with pytest.raises(SymparamsError) as err:
        _load("unet.arch", size=100)
    assert "unet.arch" in str(err.value)


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
def test_unet_exported_agrees_with_each_framework(framework):
    """Saved tensors and crops are written as variables of the forward code; every layer agrees."""
    need_module("torch" if framework == "pytorch" else "keras")
    from symparams.frameworks.check import check, render
    net = symparams.load(ZOO / "unet.arch", convention=framework, values={"size": 188, "base": 4})
    report = check(net, framework)
    assert report.ok, render(report)
    assert report.their_total == int(net.evaluate().params)
