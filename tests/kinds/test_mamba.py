"""mamba (the selective state-space mixer): the harness's generator, and the kind against transformers'
MambaMixer and symparams' own exported module."""

from __future__ import annotations

import symparams
from conftest import need_module
from harness import kind


@kind("mamba", ranks=(2,))
def mamba(b):
    text = "mamba"
    for name, values in (("d_state", (2, 4, 16)), ("d_conv", (2, 3, 4)), ("expand", (1, 2))):
        if b.coin():
            text += f" {name}={b.pick(values)}"
    if b.coin():
        text += f" dt_rank={b.integer(1, 4)}"
    if b.coin():
        text += " bias=true"
    return text


def test_mamba_counts_what_transformers_builds_and_imports_back():
    torch = need_module("torch")
    tf = need_module("transformers")
    for d, state, conv, expand, use_bias, conv_bias in ((32, 16, 4, 2, False, True), (24, 8, 3, 1, True, False)):
        config = tf.MambaConfig(hidden_size=d, state_size=state, conv_kernel=conv, expand=expand, use_bias=use_bias,
                                use_conv_bias=conv_bias, vocab_size=10, num_hidden_layers=1)
        mixer = tf.models.mamba.modeling_mamba.MambaMixer(config, layer_idx=0)
        expected = sum(p.numel() for p in mixer.parameters())
        text = symparams.from_torch(mixer, (5, d))          # transformers' own module reads as one mamba line
        net = symparams.parse(text, convention="pytorch")
        assert int(net.params) == expected, text
        lines = text.splitlines()                            # convention pytorch, the input, then the layer
        assert lines[0] == "convention pytorch" and lines[2].startswith("mamba"), text


def test_mamba_export_runs_and_the_state_is_its_cache():
    torch = need_module("torch")
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    net = symparams.parse("input 7 x 16\nmamba d_state=4 expand=2", convention="pytorch")
    model = run_source(export(net))["build"]()
    assert sum(p.numel() for p in model.parameters()) == int(net.params)
    assert tuple(model(torch.randn(2, 7, 16)).shape) == (2, 7, 16)
    symbolic = symparams.parse("input T x d\nmamba d_state=N")
    row = symbolic.layers[1]
    from symparams.layers import REGISTRY
    from symparams.layers.base import Context
    cache = REGISTRY["mamba"].kv_cache_values(row.config, row.input_shape, row.output_shape, Context())
    assert str(cache) == "2*N*d + 6*d"              # E·N + E·(K − 1) with E = 2d, K = 4: no T
