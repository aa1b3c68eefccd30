"""Every layer kind against the real frameworks: parameter counts and output shapes of random
configurations, computed by torch 2 and Keras 3 themselves (the oracles), compared with the engine.

Shapes are channels-last in the DSL; PyTorch tensors are channels-first, so they are permuted.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from conftest import need_module

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def last(text: str, convention: str):
    net = symparams.parse(text, convention=convention)
    row = net.layers[-1]
    return int(row.params), tuple(int(d) for d in row.output_shape), net


def torch_count(module):
    return sum(p.numel() for p in module.parameters())


def torch_out(module, shape_cl):
    """Run a channels-last shape through a channels-first torch module; channels-last output shape."""
    torch = need_module("torch")
    x = torch.zeros((1, shape_cl[-1]) + tuple(shape_cl[:-1]))
    with torch.no_grad():
        y = module(x)
    dims = tuple(y.shape[1:])
    return dims[1:] + dims[:1]


def keras_layer(layer, shape):
    keras = need_module("keras")
    x = keras.Input(tuple(shape))
    y = layer(x)
    return layer.count_params(), tuple(int(d) for d in y.shape[1:])


def size_text(shape):
    return "x".join(map(str, shape))


# ----------------------------------------------------------------------------- convolutions

conv_case = st.fixed_dictionaries({
    "rank": st.integers(1, 3),
    "channels_per_group": st.integers(1, 3),
    "filters_per_group": st.integers(1, 3),
    "groups": st.integers(1, 3),
    "kernel": st.integers(1, 3),
    "stride": st.integers(1, 3),
    "dilation": st.integers(1, 2),
    "padding": st.integers(0, 2),
    "bias": st.booleans(),
    "size": st.integers(7, 11),
})


@SETTINGS
@given(conv_case)
def test_conv_matches_torch(c):
    torch = need_module("torch")
    rank, g = c["rank"], c["groups"]
    cin, cout = c["channels_per_group"] * g, c["filters_per_group"] * g
    shape = (c["size"],) * rank + (cin,)
    text = (f"input {size_text(shape)}\nconv {cout} {c['kernel']} stride={c['stride']} padding={c['padding']} "
            f"dilation={c['dilation']} groups={g} bias={'true' if c['bias'] else 'false'}")
    params, out, _ = last(text, "pytorch")
    cls = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}[rank]
    m = cls(cin, cout, c["kernel"], stride=c["stride"], padding=c["padding"], dilation=c["dilation"], groups=g,
            bias=c["bias"])
    assert params == torch_count(m)
    assert out == torch_out(m, shape)


@SETTINGS
@given(conv_case, st.sampled_from(["valid", "same"]))
def test_conv_matches_keras(c, padding):
    keras = need_module("keras")
    rank, g = min(c["rank"], 2), c["groups"]
    cin, cout = c["channels_per_group"] * g, c["filters_per_group"] * g
    shape = (c["size"],) * rank + (cin,)
    stride = c["stride"] if c["dilation"] == 1 else 1     # Keras forbids stride > 1 with dilation > 1
    text = (f"input {size_text(shape)}\nconv {cout} {c['kernel']} stride={stride} padding={padding} "
            f"dilation={c['dilation']} groups={g} bias={'true' if c['bias'] else 'false'}")
    params, out, _ = last(text, "keras")
    cls = {1: keras.layers.Conv1D, 2: keras.layers.Conv2D}[rank]
    layer = cls(cout, c["kernel"], strides=stride, padding=padding, dilation_rate=c["dilation"], groups=g,
                use_bias=c["bias"])
    assert (params, out) == keras_layer(layer, shape)


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.integers(5, 9),
       st.booleans())
def test_depthwise_matches_torch_and_keras(channels, mult, kernel, stride, size, bias):
    torch, keras = need_module("torch"), need_module("keras")
    shape = (size, size, channels)
    text = (f"input {size_text(shape)}\ndwconv {kernel} stride={stride} multiplier={mult} "
            f"bias={'true' if bias else 'false'}")
    params, out, _ = last(text, "pytorch")
    m = torch.nn.Conv2d(channels, channels * mult, kernel, stride=stride, groups=channels, bias=bias)
    assert (params, out) == (torch_count(m), torch_out(m, shape))
    params, out, _ = last(text, "keras")
    layer = keras.layers.DepthwiseConv2D(kernel, strides=stride, depth_multiplier=mult, use_bias=bias)
    assert (params, out) == keras_layer(layer, shape)


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 3), st.integers(1, 3), st.integers(5, 9),
       st.booleans(), st.sampled_from(["valid", "same"]))
def test_separable_matches_keras(channels, filters, mult, kernel, size, bias, padding):
    keras = need_module("keras")
    shape = (size, size, channels)
    text = (f"input {size_text(shape)}\nsepconv {filters} {kernel} multiplier={mult} padding={padding} "
            f"bias={'true' if bias else 'false'}")
    params, out, _ = last(text, "keras")
    layer = keras.layers.SeparableConv2D(filters, kernel, depth_multiplier=mult, padding=padding, use_bias=bias)
    assert (params, out) == keras_layer(layer, shape)
    # the issue's formula: prod(k)*C*M + C*M*F + F
    assert params == kernel * kernel * channels * mult + channels * mult * filters + (filters if bias else 0)


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2),
       st.integers(0, 2), st.integers(3, 7), st.booleans())
def test_deconv_matches_torch(cin, cout, kernel, stride, padding, output_padding, size, bias):
    torch = need_module("torch")
    output_padding = min(output_padding, stride - 1)
    shape = (size, size, cin)
    text = (f"input {size_text(shape)}\ndeconv {cout} {kernel} stride={stride} padding={padding} "
            f"output_padding={output_padding} bias={'true' if bias else 'false'}")
    expected_len = (size - 1) * stride - 2 * padding + kernel + output_padding
    if expected_len < 1:
        return
    params, out, _ = last(text, "pytorch")
    m = torch.nn.ConvTranspose2d(cin, cout, kernel, stride=stride, padding=padding, output_padding=output_padding,
                                 bias=bias)
    assert (params, out) == (torch_count(m), torch_out(m, shape))


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(3, 7),
       st.sampled_from(["valid", "same"]), st.sampled_from([None, 0, 1]))
def test_deconv_matches_keras(cin, cout, kernel, stride, size, padding, output_padding):
    keras = need_module("keras")
    if output_padding is not None and output_padding >= stride:
        output_padding = None
    shape = (size, size, cin)
    extra = f" output_padding={output_padding}" if output_padding is not None else ""
    text = f"input {size_text(shape)}\ndeconv {cout} {kernel} stride={stride} padding={padding}{extra}"
    params, out, _ = last(text, "keras")
    layer = keras.layers.Conv2DTranspose(cout, kernel, strides=stride, padding=padding, output_padding=output_padding)
    assert (params, out) == keras_layer(layer, shape)


# ----------------------------------------------------------------------------- pooling

@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 1), st.integers(4, 10), st.sampled_from(["max", "avg"]))
def test_pool_matches_torch(pool, stride, padding, size, kind):
    torch = need_module("torch")
    padding = min(padding, pool // 2)
    shape = (size, size, 2)
    params, out, _ = last(f"input {size_text(shape)}\n{kind}pool {pool} stride={stride} padding={padding}",
                          "pytorch")
    cls = torch.nn.MaxPool2d if kind == "max" else torch.nn.AvgPool2d
    m = cls(pool, stride=stride, padding=padding)
    assert (params, out) == (0, torch_out(m, shape))


@SETTINGS
@given(st.integers(1, 3), st.one_of(st.none(), st.integers(1, 3)), st.integers(4, 10),
       st.sampled_from(["valid", "same"]))
def test_pool_matches_keras(pool, stride, size, padding):
    keras = need_module("keras")
    shape = (size, size, 2)
    stride_text = f" stride={stride}" if stride else ""
    params, out, _ = last(f"input {size_text(shape)}\nmaxpool {pool}{stride_text} padding={padding}", "keras")
    assert (params, out) == keras_layer(keras.layers.MaxPooling2D(pool, strides=stride, padding=padding), shape)


# ----------------------------------------------------------------------------- dense, norms, embeddings

@SETTINGS
@given(st.integers(1, 50), st.integers(1, 50), st.booleans())
def test_dense_both_conventions(n_in, units, bias):
    torch, keras = need_module("torch"), need_module("keras")
    text = f"input {n_in}\ndense {units} bias={'true' if bias else 'false'}"
    assert last(text, "pytorch")[0] == torch_count(torch.nn.Linear(n_in, units, bias=bias))
    assert last(text, "keras")[:2] == keras_layer(keras.layers.Dense(units, use_bias=bias), (n_in,))


def test_dense_on_a_sequence_acts_per_token_without_a_warning():
    keras = need_module("keras")
    params, out, net = last("input 7x12\ndense 5", "keras")
    assert (params, out) == keras_layer(keras.layers.Dense(5), (7, 12))
    assert net.warnings == []          # per-token dense is ordinary (transformers)


def test_dense_on_an_image_acts_on_the_last_axis_and_warns():
    keras = need_module("keras")
    params, out, net = last("input 3x4x6\ndense 5", "keras")
    assert (params, out) == keras_layer(keras.layers.Dense(5), (3, 4, 6))
    assert any("flatten" in w for w in net.warnings)


@SETTINGS
@given(st.integers(1, 64), st.integers(1, 5))
def test_batchnorm(channels, size):
    torch, keras = need_module("torch"), need_module("keras")
    text = f"input {size}x{size}x{channels}\nbatchnorm"
    net = symparams.parse(text, convention="keras")
    layer = keras.layers.BatchNormalization()
    keras_layer(layer, (size, size, channels))
    assert int(net.params) == layer.count_params()
    assert int(net.non_trainable_params) == sum(int(w.numpy().size) for w in layer.non_trainable_weights)
    net = symparams.parse(text, convention="pytorch")
    m = torch.nn.BatchNorm2d(channels)
    assert int(net.params) == torch_count(m)
    assert int(net.buffers) == m.running_mean.numel() + m.running_var.numel()


def test_batchnorm_issue_numbers():
    keras_net = symparams.parse("input 8x8x64\nbatchnorm", convention="keras")
    torch_net = symparams.parse("input 8x8x64\nbatchnorm", convention="pytorch")
    assert (keras_net.params, keras_net.non_trainable_params) == (256, 128)
    assert (torch_net.params, torch_net.non_trainable_params, torch_net.buffers) == (128, 0, 128)


@SETTINGS
@given(st.integers(1, 40), st.integers(1, 5))
def test_layernorm(width, length):
    torch, keras = need_module("torch"), need_module("keras")
    text = f"input {length}x{width}\nlayernorm"
    assert last(text, "pytorch")[0] == torch_count(torch.nn.LayerNorm(width))
    assert last(text, "keras")[:2] == keras_layer(keras.layers.LayerNormalization(), (length, width))


@SETTINGS
@given(st.integers(1, 100), st.integers(1, 20), st.integers(1, 10))
def test_embedding(vocab, dim, length):
    torch, keras = need_module("torch"), need_module("keras")
    text = f"input {length}\nembedding {vocab} {dim}"
    params, out, _ = last(text, "pytorch")
    assert (params, out) == (torch_count(torch.nn.Embedding(vocab, dim)), (length, dim))
    assert last(text, "keras")[:2] == keras_layer(keras.layers.Embedding(vocab, dim), (length,))


# ----------------------------------------------------------------------------- recurrent

recurrent_case = (st.sampled_from(["rnn", "lstm", "gru"]), st.integers(1, 20), st.integers(1, 20), st.integers(1, 6),
                  st.booleans(), st.booleans())


def recurrent_text(cell, units, dim, length, bidirectional, sequences):
    return (f"input {length}x{dim}\n{cell} {units} bidirectional={'true' if bidirectional else 'false'} "
            f"return_sequences={'true' if sequences else 'false'}")


@SETTINGS
@given(*recurrent_case)
def test_recurrent_matches_torch(cell, units, dim, length, bidirectional, sequences):
    torch = need_module("torch")
    params, out, _ = last(recurrent_text(cell, units, dim, length, bidirectional, sequences), "pytorch")
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    m = cls(dim, units, batch_first=True, bidirectional=bidirectional)
    with torch.no_grad():
        y, _ = m(torch.zeros(1, length, dim))
    expected = tuple(y.shape[1:]) if sequences else (y.shape[-1],)
    assert (params, out) == (torch_count(m), expected)


@SETTINGS
@given(*recurrent_case)
def test_recurrent_matches_keras(cell, units, dim, length, bidirectional, sequences):
    keras = need_module("keras")
    params, out, _ = last(recurrent_text(cell, units, dim, length, bidirectional, sequences), "keras")
    cls = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[cell]
    layer = cls(units, return_sequences=sequences)
    if bidirectional:
        layer = keras.layers.Bidirectional(layer)
    assert (params, out) == keras_layer(layer, (length, dim))


def test_recurrent_issue_numbers():
    # lstm 64 on 10x32: 4*64*(64+32+1) keras, 4*64*(64+32+2) pytorch; gru 3*64*(64+32+2) both
    assert last("input 10x32\nlstm 64", "keras")[0] == 4 * 64 * (64 + 32 + 1) == 24_832
    assert last("input 10x32\nlstm 64", "pytorch")[0] == 4 * 64 * (64 + 32 + 2) == 25_088
    assert last("input 10x32\ngru 64", "keras")[0] == last("input 10x32\ngru 64", "pytorch")[0] == 18_816


def test_recurrent_formulas_symbolic():
    from sympy import expand, symbols
    U, D = symbols("U D", integer=True, positive=True)
    for cell, keras_f, torch_f in (("rnn", U * (U + D + 1), U * (U + D + 2)),
                                   ("lstm", 4 * U * (U + D + 1), 4 * U * (U + D + 2)),
                                   ("gru", 3 * U * (U + D + 2), 3 * U * (U + D + 2))):
        for convention, f in (("keras", keras_f), ("pytorch", torch_f)):
            net = symparams.parse(f"input T x D\n{cell} U", convention=convention)
            assert expand(net.params - f) == 0
            bi = symparams.parse(f"input T x D\n{cell} U bidirectional", convention=convention)
            assert expand(bi.params - 2 * f) == 0
            assert bi.output_shape == (2 * U,)


# ----------------------------------------------------------------------------- parameter-free layers

@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.integers(2, 6))
def test_parameter_free_layers(pad, up, size):
    torch = need_module("torch")
    shape = (size, size, 3)
    _, out, _ = last(f"input {size_text(shape)}\nzeropad {pad}", "pytorch")
    assert out == torch_out(torch.nn.ZeroPad2d(pad), shape)
    _, out, _ = last(f"input {size_text(shape)}\nupsample {up}", "pytorch")
    assert out == torch_out(torch.nn.Upsample(scale_factor=up), shape)
    for text in ("flatten", "dropout 0.5", "relu", "softmax", "reshape -1", "globalavgpool", "maxpool 2"):
        net = symparams.parse(f"input {size_text(shape)}\n{text}")
        assert net.params == 0 and net.layers[-1].weights == ()
