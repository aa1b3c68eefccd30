"""MACs against torch.utils.flop_counter.FlopCounterMode on real PyTorch modules.

FlopCounterMode counts 2 FLOPs per multiply-accumulate of convolutions (aten.convolution),
matrix products (mm, addmm, bmm) and scaled-dot-product attention kernels; it counts no bias
additions, pooling, normalisation or activations. symparams' `macs` counts exactly the same
products, so every check below is MACs == FlopCounterMode total / 2, with no allowance.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import symparams

from conftest import EXAMPLES, need_module


def torch_macs(module, *inputs) -> int:
    torch = need_module("torch")
    from torch.utils.flop_counter import FlopCounterMode
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(*inputs)
    total = counter.get_total_flops()
    assert total % 2 == 0
    return total // 2


def ours(text: str) -> int:
    return int(symparams.parse(text, convention="pytorch").metric("macs"))


@settings(max_examples=40, deadline=None)
@given(h=st.integers(4, 14), w=st.integers(4, 14), groups=st.sampled_from([1, 2, 3]), cin=st.integers(1, 3),
       fout=st.integers(1, 3), kh=st.integers(1, 4), kw=st.integers(1, 4), sh=st.integers(1, 3), sw=st.integers(1, 3),
       ph=st.integers(0, 2), pw=st.integers(0, 2), dh=st.integers(1, 2), dw=st.integers(1, 2), bias=st.booleans())
def test_conv2d(h, w, groups, cin, fout, kh, kw, sh, sw, ph, pw, dh, dw, bias):
    torch = need_module("torch")
    c, f = cin * groups, fout * groups
    assume(h + 2 * ph >= dh * (kh - 1) + 1 and w + 2 * pw >= dw * (kw - 1) + 1)
    text = (f"input {h} x {w} x {c}\nconv {f} {kh}x{kw} stride={sh}x{sw} padding={ph}x{pw} dilation={dh}x{dw} "
            f"groups={groups} bias={'true' if bias else 'false'}")
    module = torch.nn.Conv2d(c, f, (kh, kw), stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw), groups=groups,
                             bias=bias)
    assert ours(text) == torch_macs(module, torch.zeros(1, c, h, w))


@settings(max_examples=25, deadline=None)
@given(h=st.integers(3, 12), c=st.integers(1, 4), m=st.integers(1, 3), f=st.integers(1, 5), k=st.integers(1, 3),
       s=st.integers(1, 2), p=st.integers(0, 1))
def test_depthwise_separable_and_transposed(h, c, m, f, k, s, p):
    torch = need_module("torch")
    assume(h + 2 * p >= k)
    x = torch.zeros(1, c, h, h)
    depthwise = torch.nn.Conv2d(c, c * m, k, stride=s, padding=p, groups=c)
    assert ours(f"input {h} x {h} x {c}\ndwconv {k} stride={s} padding={p} multiplier={m}") == torch_macs(depthwise, x)
    separable = torch.nn.Sequential(torch.nn.Conv2d(c, c * m, k, stride=s, padding=p, groups=c, bias=False),
                                    torch.nn.Conv2d(c * m, f, 1))
    assert ours(f"input {h} x {h} x {c}\nsepconv {f} {k} stride={s} padding={p} multiplier={m}") == \
        torch_macs(separable, x)
    transposed = torch.nn.ConvTranspose2d(c, f, k, stride=s, padding=p)
    assume((h - 1) * s - 2 * p + k >= 1)
    assert ours(f"input {h} x {h} x {c}\ndeconv {f} {k} stride={s} padding={p}") == torch_macs(transposed, x)


@settings(max_examples=20, deadline=None)
@given(t=st.integers(1, 9), d=st.integers(1, 12), u=st.integers(1, 12), bias=st.booleans())
def test_dense_on_vectors_and_sequences(t, d, u, bias):
    torch = need_module("torch")
    linear = torch.nn.Linear(d, u, bias=bias)
    flag = "true" if bias else "false"
    assert ours(f"input {d}\ndense {u} bias={flag}") == torch_macs(linear, torch.zeros(1, d))
    assert ours(f"input {t} x {d}\ndense {u} bias={flag}") == torch_macs(linear, torch.zeros(1, t, d))


@pytest.mark.parametrize("t, d, heads", [(10, 16, 4), (7, 12, 3), (1, 8, 1), (33, 64, 8)])
def test_attention(t, d, heads):
    """nn.MultiheadAttention with need_weights=True computes the scores with bmm, which the
    counter sees (its fused SDPA path on CPU is not counted by torch 2.13)."""
    torch = need_module("torch")
    mha = torch.nn.MultiheadAttention(d, heads, batch_first=True)
    x = torch.zeros(1, t, d)
    theirs = torch_macs(lambda v: mha(v, v, v, need_weights=True), x)
    assert ours(f"input {t} x {d}\nattention heads={heads}") == theirs


@pytest.mark.parametrize("t, d, heads, key_dim, bias", [(5, 8, 2, 3, True), (7, 12, 3, 4, False), (4, 6, 1, 6, True)])
def test_keras_attention_with_its_own_key_dim(t, d, heads, key_dim, bias):
    """keras.layers.MultiHeadAttention on the torch backend: the counter sees its q/k/v and
    output projections (einsum -> bmm) but not the fused scaled-dot-product kernel, so the
    difference is exactly our scores and weighted values, 2*T*T*heads*key_dim."""
    need_module("torch")
    keras = need_module("keras")
    layer = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=key_dim, use_bias=bias)
    x = keras.ops.zeros((1, t, d))
    layer(x, x)                                          # build the weights outside the count
    theirs = torch_macs(lambda v: layer(v, v), x)
    net = symparams.parse(f"input {t} x {d}\nattention heads={heads} key_dim={key_dim} bias={str(bias).lower()}")
    assert net.metric("macs") - 2 * t * t * heads * key_dim == theirs


def test_attention_keras_key_dim_by_hand():
    """Keras MultiHeadAttention with key_dim != d/heads: q, k, v projections d -> h*k, output
    h*k -> d, scores and weighted values T*T*h*k each."""
    t, d, h, k = 5, 8, 2, 3
    net = symparams.parse(f"input {t} x {d}\nattention heads={h} key_dim={k}")
    assert net.metric("macs") == 3 * t * d * h * k + t * h * k * d + 2 * t * t * h * k == 1260


def _gates(torch, cell, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step of torch's LSTM/GRU/RNN written out with F.linear (so the counter sees it)."""
    F = torch.nn.functional
    gi, gh = F.linear(x, w_ih, b_ih), F.linear(h, w_hh, b_hh)
    if cell == "lstm":
        i, f, g, o = (gi + gh).chunk(4, -1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c
    if cell == "gru":
        ir, iz, in_ = gi.chunk(3, -1)
        hr, hz, hn = gh.chunk(3, -1)
        r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
        n = torch.tanh(in_ + r * hn)
        return (1 - z) * n + z * h, c
    return torch.tanh(gi + gh), c


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent(cell, bidirectional):
    """FlopCounterMode sees nothing inside nn.LSTM's fused kernel, so the cell is written out
    with F.linear, checked equal to nn.LSTM/GRU/RNN's output, and that is counted."""
    torch = need_module("torch")
    torch.manual_seed(0)
    t, d, u = 6, 5, 7
    layer = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell](
        d, u, batch_first=True, bidirectional=bidirectional)
    x = torch.randn(1, t, d)

    def unrolled(x):
        outs = []
        for suffix, steps in (("_l0", range(t)), ("_l0_reverse", range(t - 1, -1, -1)))[:1 + bidirectional]:
            weights = [getattr(layer, n + suffix) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            h = c = torch.zeros(1, u)
            seq = [None] * t
            for step in steps:
                h, c = _gates(torch, cell, x[:, step], h, c, *weights)
                seq[step] = h
            outs.append(torch.stack(seq, 1))
        return torch.cat(outs, -1)

    with torch.no_grad():
        assert torch.allclose(unrolled(x), layer(x)[0], atol=1e-5)
    flags = " return_sequences" + (" bidirectional" if bidirectional else "")
    assert ours(f"input {t} x {d}\n{cell} {u}{flags}") == torch_macs(unrolled, x)


def test_embedding_has_no_macs():
    torch = need_module("torch")
    embedding = torch.nn.Embedding(50, 8)
    assert torch_macs(embedding, torch.zeros(1, 10, dtype=torch.long)) == 0
    assert ours("input 10\nembedding 50 8") == 0


def _export_and_count(net) -> int:
    torch = need_module("torch")
    from symparams.frameworks import torch_export
    from symparams.frameworks.check import run_source
    from symparams.frameworks.plan import make_plan
    ns = run_source(torch_export.write(make_plan(net)))
    with torch.device("meta"):
        model = ns["build"]().eval()
    x = torch.zeros((1,) + tuple(ns["INPUT_SHAPE"]), dtype=ns["INPUT_DTYPE"], device="meta")
    return torch_macs(model, x)


statement = st.one_of(
    st.builds(lambda f, k, s: f"conv {f} {k}x{k} stride={s} padding={k // 2}", st.integers(1, 8),
              st.sampled_from([1, 3]), st.integers(1, 2)),
    st.builds(lambda k: f"dwconv {k}x{k} padding={k // 2}", st.sampled_from([1, 3])),
    st.sampled_from(["maxpool 2", "avgpool 2", "batchnorm", "relu"]),
    st.builds(lambda k: f"residual {{ conv 4 {k}x{k} padding={k // 2}; relu }} shortcut {{ conv 4 1x1 }}",
              st.sampled_from([1, 3])),
    st.builds(lambda a, b: f"concat {{ conv {a} 1x1 }} {{ conv {b} 3x3 padding=1 }}", st.integers(1, 4),
              st.integers(1, 4)),
)


@settings(max_examples=15, deadline=None)
@given(size=st.integers(16, 40), channels=st.integers(1, 4), body=st.lists(statement, min_size=1, max_size=6),
       units=st.integers(1, 10))
def test_random_networks_through_the_exporter(size, channels, body, units):
    """Random conv nets (strides, pools, residual and concat merges, a dense head) exported to
    PyTorch: the network's MACs equal the counter's on the built model."""
    text = "\n".join([f"input {size} x {size} x {channels}", *body, "flatten", f"dense {units}"])
    try:
        net = symparams.parse(text, convention="pytorch")
    except symparams.errors.SymparamsError:
        assume(False)           # the image shrank away: not a network
    assert int(net.metric("macs")) == _export_and_count(net)


ZOO = ["lenet5", "alexnet", "vgg16", "resnet18", "resnet50", "cifar_resnet", "densenet121", "gpt2_small", "vit_b16"]


@pytest.mark.parametrize("name", ZOO)
def test_zoo_through_the_pytorch_exporter(name):
    """The zoo exported by symparams.frameworks, built on the meta device (no arithmetic runs)."""
    net = symparams.load(EXAMPLES / "zoo" / f"{name}.arch", convention="pytorch").evaluate()
    assert int(net.metric("macs")) == _export_and_count(net)
