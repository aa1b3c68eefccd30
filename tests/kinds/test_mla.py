"""mla (multi-head latent attention): the harness's generator, and the kind against transformers'
DeepseekV2Attention, symparams' exported module, and its latent KV cache."""

from __future__ import annotations

import symparams
from conftest import need_module
from harness import kind


@kind("mla", ranks=(2,))
def mla(b):
    text = f"mla heads={b.integer(1, 3)} kv_lora_rank={b.integer(2, 8)}"
    if b.coin():
        text += f" q_lora_rank={b.integer(2, 8)}"
    text += f" qk_rope_head_dim={b.integer(1, 4)} qk_nope_head_dim={b.integer(1, 4)} v_head_dim={b.integer(1, 4)}"
    if b.coin():
        text += " bias=true"
    if b.coin():
        text += " causal=true"
    return text


def test_mla_counts_what_transformers_builds_and_imports_back():
    need_module("torch")
    tf = need_module("transformers")
    for q_lora, bias in ((None, False), (24, True)):
        config = tf.DeepseekV2Config(hidden_size=32, num_attention_heads=4, num_key_value_heads=4, kv_lora_rank=16,
                                     q_lora_rank=q_lora, qk_rope_head_dim=4, qk_nope_head_dim=8, v_head_dim=6,
                                     attention_bias=bias, vocab_size=10, num_hidden_layers=1)
        attention = tf.models.deepseek_v2.modeling_deepseek_v2.DeepseekV2Attention(config, layer_idx=0)
        expected = sum(p.numel() for p in attention.parameters())
        line = f"mla heads=4 kv_lora_rank=16 qk_rope_head_dim=4 qk_nope_head_dim=8 v_head_dim=6" + \
            (f" q_lora_rank={q_lora}" if q_lora else "") + (" bias=true" if bias else "")
        assert int(symparams.parse(f"input 5 x 32\n{line}", convention="pytorch").params) == expected


def test_mla_export_runs_and_caches_the_latent():
    torch = need_module("torch")
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    text = "input 6 x 32\nmla heads=4 kv_lora_rank=16 q_lora_rank=12 qk_rope_head_dim=4 qk_nope_head_dim=8 " \
           "v_head_dim=6 causal"
    net = symparams.parse(text, convention="pytorch")
    model = run_source(export(net))["build"]()
    assert sum(p.numel() for p in model.parameters()) == int(net.params)
    assert tuple(model(torch.randn(2, 6, 32)).shape) == (2, 6, 32)
    back = symparams.from_torch(model, (6, 32))
    assert int(symparams.parse(back, convention="pytorch").params) == int(net.params)
    row = net.layers[1]
    from symparams.layers import REGISTRY
    from symparams.layers.base import Context
    cache = REGISTRY["mla"].kv_cache_values(row.config, row.input_shape, row.output_shape, Context())
    assert cache == 6 * (16 + 4)            # the latent and the shared rotary key per token, not 4 heads' k and v
