"""attentionpool (SigLIP's map head: a learned latent query attending over the tokens): the harness's generator,
and the kind against timm's AttentionPoolLatent (the reference PyTorch implementation) in counts, values, FLOPs
and import."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import kind, torch_count


# weight 0: per kind only (tests/kinds/test_every_kind.py), so the random architectures' seeded draws stay
@kind("attentionpool", ranks=(2,), weight=0)
def attentionpool(b):
    d = b.shape[-1]
    text = f"attentionpool heads={b.pick([h for h in (1, 2, 4) if d % h == 0])}"
    if b.coin():
        text += f" latent={b.integer(2, 3)}"
    if b.coin():
        text += " qkv_bias=false"
    return text


def _timm_pool(**options):
    need_module("timm")
    from timm.layers import AttentionPoolLatent
    return AttentionPoolLatent(16, num_heads=4, **options)


@pytest.mark.parametrize("latent, qkv_bias", [(1, True), (3, False)])
def test_the_export_counts_and_computes_what_timms_attention_pool_does(latent, qkv_bias):
    """The exported module holds timm's weights (latent, q, kv, proj) and, loaded with them, gives timm's pooled
    tokens before its norm and MLP (timm's out_features=0 drops them: its pre-logits mode)."""
    torch = need_module("torch")
    reference = _timm_pool(out_features=0, latent_len=latent, qkv_bias=qkv_bias,
                           pool_type="token" if latent == 1 else "")
    text = "input 7 x 16\nattentionpool heads=4" + (f" latent={latent}" if latent != 1 else "") + \
        ("" if qkv_bias else " qkv_bias=false")
    net = symparams.parse(text, convention="pytorch")
    # timm's pre-logits mode has no output projection: ours is D x D + D more
    assert int(net.params) == torch_count(reference) + 16 * 16 + 16
    assert tuple(int(d) for d in net.output_shape) == ((16,) if latent == 1 else (latent, 16))
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    model = run_source(export(net))["build"]()
    [pool] = [m for m in model.modules() if type(m).__name__ == "AttentionPool"]
    with torch.no_grad():
        for p in reference.parameters():
            p.normal_()
        state = {k: v for k, v in reference.state_dict().items()}
        pool.proj.weight.copy_(torch.eye(16))
        pool.proj.bias.zero_()
        pool.load_state_dict({**state, "proj.weight": pool.proj.weight, "proj.bias": pool.proj.bias})
        x = torch.randn(2, 7, 16)
        assert torch.allclose(pool(x), reference.eval()(x), atol=1e-5)
    assert sum(p.numel() for p in model.parameters()) == int(net.params)
    back = symparams.from_torch(model, (7, 16))
    assert "attentionpool heads=4" in back and int(symparams.parse(back, convention="pytorch").params) == int(net.params)


def test_flops_are_what_torchs_flop_counter_counts():
    """Forward MACs: the q and output projections of the latent, k and v of the tokens, the scores and their
    weighted sum (torch.utils.flop_counter counts scaled_dot_product_attention's two products)."""
    torch = need_module("torch")
    from torch.utils.flop_counter import FlopCounterMode
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    net = symparams.parse("input 7 x 16\nattentionpool heads=4 latent=2", convention="pytorch")
    model = run_source(export(net))["build"]()
    from torch.nn.attention import SDPBackend, sdpa_kernel
    # the math kernel: its two batched products are what the counter sees (the fused CPU kernel it skips)
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        model(torch.randn(1, 7, 16))
    from symparams import cost
    assert int(cost.totals(net, ("macs",), cost.Options(batch=1))["macs"]) * 2 == counter.get_total_flops()


def test_keras_export_and_missing_heads_are_refused_by_name():
    with pytest.raises(symparams.SymparamsError, match="heads"):
        symparams.parse("input 7 x 16\nattentionpool")
    with pytest.raises(symparams.SymparamsError, match="heads"):
        symparams.parse("input 7 x 16\nattentionpool heads=3")
    need_module("keras")
    from symparams.frameworks import keras_export
    with pytest.raises(symparams.SymparamsError, match="attention pooling"):
        keras_export.export(symparams.parse("input 7 x 16\nattentionpool heads=4"))


def test_siglip_s_attention_pool_head_imports_exactly():
    """timm's AttentionPoolLatent read whole: `attentionpool heads=H` and its norm and MLP as a residual after it;
    the model counts what PyTorch counts."""
    torch = need_module("torch")
    timm = need_module("timm")

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(16, 16)
            self.pool = timm.layers.AttentionPoolLatent(16, num_heads=4, norm_layer=torch.nn.LayerNorm)

        def forward(self, x):
            return self.pool(self.fc(x))

    with torch.device("meta"):
        model = Model()
    text = symparams.from_torch(model, (7, 16))
    assert "attentionpool heads=4 name=pool_attn" in text, text
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert int(net.params) == torch_count(model) and tuple(int(d) for d in net.output_shape) == (16,)
