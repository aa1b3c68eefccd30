"""--attention eager|sdpa|flash: the saved activations of each attention kernel, against what PyTorch
keeps (saved_tensors_hooks on CPU): a real transformers LlamaForCausalLM built from a tiny config object
(never downloaded) in attn_implementation="eager" and "sdpa" against `symparams import` of the same
config; the exported model under torch.nn.attention.sdpa_kernel's flash backend; and kv_heads equal to
heads costing exactly what no kv_heads costs, in every metric."""

from __future__ import annotations

import contextlib
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from symparams import cost, memory, metrics
from symparams.frameworks.hf_config import from_hf_config

from conftest import need_module
from test_training_cost import exported

EXAMPLES_RUN = max(int(os.environ.get("SYMPARAMS_DIFF_EXAMPLES", "300")) // 15, 8)


def saved_bytes(model, *inputs, **kwargs) -> int:
    """Bytes autograd keeps over one training-mode forward pass: parameters and buffers excluded,
    each storage once (untyped_storage data_ptr)."""
    torch = need_module("torch")
    weights = {t.untyped_storage().data_ptr() for t in list(model.parameters()) + list(model.buffers())}
    seen: dict = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in weights:
            seen[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(*inputs, **kwargs)
    return sum(seen.values())


# ----------------------------------------------------------------------------- Hugging Face Llama

LLAMA = dict(vocab_size=1000, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
             max_position_embeddings=16, tie_word_embeddings=False, rms_norm_eps=1e-6)


@pytest.mark.parametrize("kv_heads", [4, 2])
@pytest.mark.parametrize("kernel", ["eager", "sdpa"])
def test_llama_saves_what_the_imported_file_says(kernel, kv_heads):
    """LlamaForCausalLM(LlamaConfig(...), attn_implementation=kernel) in training mode, batch 2, fp32 on
    CPU, against act_train_bytes of the file `symparams import` writes for the same config under
    --attention kernel --device cpu: without labels (--loss none) and with them (the default,
    cross-entropy). The file states no rotary embedding (it has no weights); Hugging Face's keeps its
    cos and sin tables once per batch (position ids (1, T)), 2·T·head_dim float32 values, added here."""
    torch = need_module("torch")
    transformers = need_module("transformers")
    batch, tokens, head_dim = 2, LLAMA["max_position_embeddings"], LLAMA["hidden_size"] // LLAMA["num_attention_heads"]
    config = transformers.LlamaConfig(**LLAMA, num_key_value_heads=kv_heads, attn_implementation=kernel)
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config).train()
    ids = torch.randint(0, LLAMA["vocab_size"], (batch, tokens))
    rope = 2 * tokens * head_dim * 4

    hf = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", **LLAMA, "num_key_value_heads": kv_heads}
    net = symparams.parse(from_hf_config(hf)).evaluate()

    def ours(**options):
        options = cost.Options(batch=batch, device="cpu", attention=kernel, **options)
        return int(cost.totals(net, ("act_train_bytes",), options)["act_train_bytes"])

    assert saved_bytes(model, ids) == ours(loss="none") + rope
    assert saved_bytes(model, ids, labels=ids) == ours() + rope


def test_eager_keeps_the_probabilities_sdpa_the_statistics():
    """The difference the kernels make on the imported Llama, per layer: eager keeps h·T² probabilities
    and k, v repeated to the h heads; sdpa keeps h·T float32 statistics and k, v of the kv_heads groups."""
    hf = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", **LLAMA, "num_key_value_heads": 2}
    net = symparams.parse(from_hf_config(hf)).evaluate()
    got = {k: cost.totals(net, ("act_train_bytes",), cost.Options(attention=k))["act_train_bytes"]
           for k in cost.ATTENTION_KERNELS}
    layers, h, t, g, k = 2, 4, 16, 2, 16
    assert got["eager"] - got["sdpa"] == layers * 4 * (h * t * t + 2 * t * (h - g) * k - h * t)
    assert got["flash"] == got["sdpa"]


# ----------------------------------------------------------------------------- the exported model

KERNEL_CASES = ["input 6x8\nattention heads=2\ndense 3",
                "input 6x8\nattention heads=2 causal\ndense 3",
                "input 6x8\nattention heads=4 kv_heads=2 bias=false causal\ndense 3",
                "input 6x8\nattention heads=2 key_dim=3 bias=qkv\ndense 3",
                "input 6x8\nlayernorm\nattention heads=4 kv_heads=1 causal\nresidual { dense 8 }",
                "input 6x8\nattention heads=2 relbias=4 causal\ndense 3",
                "input 6x8\nattention heads=4 kv_heads=2 qk_norm=rmsnorm causal\ndense 3",
                "input 6x8\nattention heads=2 qk_norm=rmsnorm_full bias=qvo\ndense 3",
                "input 6x8\nattention heads=2 qk_norm=layernorm scale_norm=layernorm bias=o\ndense 3",
                "input 6x8\nattention heads=4 kv_heads=2 scale_norm=rmsnorm causal\ndense 3"]


@pytest.mark.parametrize("text", KERNEL_CASES)
def test_export_under_flash_and_default_kernels(text):
    """The exported model keeps what --attention sdpa says with PyTorch's default choice of kernel on
    CPU, and what --attention flash says with only the flash backend allowed (a learned relative bias
    runs the scores written out under every kernel)."""
    torch = need_module("torch")
    from torch.nn.attention import SDPBackend, sdpa_kernel
    net = symparams.parse(text, convention="pytorch")
    ns = exported(net)
    torch.manual_seed(0)
    model = ns["build"]().train()
    x = torch.randn((2,) + tuple(ns["INPUT_SHAPE"]))
    for kernel, backend in (("sdpa", contextlib.nullcontext()), ("flash", sdpa_kernel(SDPBackend.FLASH_ATTENTION))):
        with backend:
            measured = saved_bytes(model, x)
        options = cost.Options(batch=2, device="cpu", attention=kernel, loss="none")
        assert cost.totals(net, ("act_train_bytes",), options)["act_train_bytes"] == measured, kernel


# ----------------------------------------------------------------------------- kv_heads = heads

def _decoder(heads, kv, key_dim, layers, tokens, causal, vocab) -> str:
    d = heads * key_dim
    kv_text = f" kv_heads={heads}" if kv else ""
    return (f"input {tokens}\nembedding {vocab} {d}\nrepeat {layers} {{\n"
            f"    residual {{ rmsnorm; attention heads={heads}{kv_text} bias=false{' causal' if causal else ''} }}\n"
            f"    residual {{ rmsnorm; dense {2 * d} bias=false silu; dense {d} bias=false }}\n}}\n"
            f"rmsnorm\ndense {vocab} bias=false\n")


METRICS = tuple(c for c in metrics.columns() if not c.startswith("rf"))


@settings(max_examples=EXAMPLES_RUN, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(heads=st.integers(1, 4), key_dim=st.integers(1, 4), layers=st.integers(1, 2), tokens=st.integers(1, 6),
       causal=st.booleans(), vocab=st.integers(2, 30), kernel=st.sampled_from(cost.ATTENTION_KERNELS),
       flops=st.sampled_from(cost.FLOP_CONVENTIONS), saving=st.sampled_from(cost.ACT_STYLES),
       recompute=st.sampled_from(memory.RECOMPUTE))
def test_kv_heads_equal_to_heads_costs_what_none_costs(kernel, flops, saving, recompute, **shape):
    """Every metric, under every kernel, FLOP convention, saving style and recomputation policy."""
    a, b = (symparams.parse(_decoder(kv=kv, **shape), convention="pytorch") for kv in (False, True))
    options = cost.Options(batch=3, attention=kernel, flops=flops, style=saving, recompute=recompute, tokens="20N")
    assert cost.totals(a, METRICS, options) == cost.totals(b, METRICS, options)


def test_kv_heads_equal_to_heads_saves_the_same_in_pytorch():
    """Measured: the two spellings' exports (nn.MultiheadAttention's packed weights, explicit q/k/v
    projections) keep the same bytes."""
    torch = need_module("torch")
    measured = []
    for kv in (False, True):
        net = symparams.parse(_decoder(4, kv, 2, 2, 6, True, 11), convention="pytorch")
        ns = exported(net)
        torch.manual_seed(0)
        model = ns["build"]().train()
        measured.append(saved_bytes(model, torch.randint(0, 11, (2, 6))))
        assert measured[-1] == cost.totals(net, ("act_train_bytes",), cost.Options(
            batch=2, device="cpu", loss="none"))["act_train_bytes"]
    assert measured[0] == measured[1]


# ----------------------------------------------------------------------------- the commands

def test_every_command_takes_the_kernel_and_the_loss(capsys, tmp_path):
    """summary, memory, solve, sweep and plot take --attention and --loss (one definition, one choice list
    each: cost.ATTENTION_KERNELS, cost.LOSSES) and their numbers follow them; summary, memory and solve
    say which kernel they assumed."""
    import json

    from symparams.cli import main
    from conftest import EXAMPLES
    gpt2 = str(EXAMPLES / "zoo" / "gpt2_small.arch")
    net = symparams.load(gpt2).evaluate()
    expected = {k: int(cost.totals(net, ("act_train_bytes",), cost.Options(attention=k))["act_train_bytes"])
                for k in cost.ATTENTION_KERNELS}
    assert expected["eager"] > expected["sdpa"] == expected["flash"]
    for kernel in cost.ATTENTION_KERNELS:
        assert main(["summary", gpt2, "--columns", "act_train_bytes", "--attention", kernel]) == 0
        text = capsys.readouterr().out
        assert f"{kernel} attention" in text and f"{expected[kernel]:,}" in text
        assert main(["memory", gpt2, "--attention", kernel, "--format", "json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["options"]["attention"] == kernel and data["parts"]["act_train_bytes"]["bytes"] == expected[kernel]
        assert main(["sweep", gpt2, "--vary", "layers=12", "--metric", "act_train_bytes", "--attention", kernel,
                     "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["act_train_bytes"] == expected[kernel]
    assert main(["solve", gpt2, "--for", "layers", "--metric", "act_train_bytes", "--max", "40G",
                 "--attention", "eager", "--loss", "none"]) == 0
    assert "eager attention kernel, loss none" in capsys.readouterr().out
    need_module("matplotlib")
    out = tmp_path / "a.png"
    assert main(["plot", gpt2, "--vary", "T=128:256:128", "--metric", "act_train_bytes", "--attention", "flash",
                 "--loss", "none", "-o", str(out)]) == 0
    assert out.stat().st_size > 0
    for bad in (["--attention", "fused"], ["--loss", "mse"]):
        with pytest.raises(SystemExit):
            main(["summary", gpt2, "--columns", "act_train_bytes", *bad])
