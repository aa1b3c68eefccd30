"""Saved activations with frozen weights, against what autograd really keeps.

act_train_bytes (the `memory` command's Activations, the summary's act_train_bytes column) counts the tensors
autograd saves for the backward pass; a frozen weight (`trainable=false`, `frozen=NAME`) has no gradient, so what
only its gradient reads is not kept, and where nothing before the layer trains either, neither is what only the
gradients of tensors computed from frozen weights read (Saved.of in symparams/layers/base.py). The oracle: the
model `symparams export --to pytorch` writes, in training mode on CPU, one forward pass under
torch.autograd.graph.saved_tensors_hooks (tests/test_memory.py measured_saved_bytes: parameters and buffers
excluded, each storage once). `--attention eager` is checked with the exported model's
scaled_dot_product_attention replaced by transformers' own eager attention (the Llama module's
eager_attention_forward: repeat_kv, the scores written out, softmax, the weighted sum), which is what that kernel
choice describes.

Each kind with several products (attention under sdpa, eager and with a relative bias; windowattention plain,
cosine with either position-bias MLP, SAM's rel_pos; mamba; mla with and without a query low rank) at two sizes,
first (nothing before it trained) and after a trained layer, in a batch of one and of two, with every weight
trained, all frozen, and a few frozen subsets; SYMPARAMS_MEMORY_FROZEN=all checks every weight frozen alone and
all but each one (several hundred cases, a few minutes).
"""

from __future__ import annotations

import contextlib
import os

import pytest

import symparams
from symparams import cost

from conftest import need_module
from test_frozen_training_flops import _frozen_option, _last_line, _weights
from test_memory import measured_saved_bytes

ALL = os.environ.get("SYMPARAMS_MEMORY_FROZEN", "") == "all"

# (kernel, text of the kind's layer on its input): two sizes each, every option that changes what is kept
KINDS = [
    ("sdpa", "input 5x8\nattention heads=2"),
    ("sdpa", "input 4x8\nattention heads=4 kv_heads=2 qk_norm=rmsnorm causal"),
    ("sdpa", "input 4x8\nattention heads=2 qk_norm=rmsnorm_full bias=qvo"),
    ("sdpa", "input 4x8\nattention heads=2 qk_norm=layernorm scale_norm=rmsnorm"),
    ("sdpa", "input 4x8\nattention heads=4 kv_heads=2 scale_norm=layernorm relbias=3"),
    ("sdpa", "input 5x8\nattention heads=2 relbias=4"),
    ("sdpa", "input 4x6\nattention heads=3 kv_heads=1 relbias=3 causal bias=qkv"),
    ("eager", "input 5x8\nattention heads=2"),
    ("eager", "input 4x6\nattention heads=3 kv_heads=1 causal bias=qkv"),
    ("eager", "input 4x8\nattention heads=4 kv_heads=2 qk_norm=rmsnorm causal"),
    ("eager", "input 4x8\nattention heads=2 qk_norm=layernorm scale_norm=layernorm"),
    ("sdpa", "input 6x6x4\nwindowattention heads=2 window=3"),
    ("sdpa", "input 5x5x4\nwindowattention heads=1 window=3 shift=1 bias=false"),
    ("sdpa", "input 6x6x4\nwindowattention heads=2 window=3 cosine=true cpb=5 bias=qv"),
    ("sdpa", "input 3x3x4\nwindowattention heads=1 window=3 cosine=true cpb=3 bias=qv"),
    ("sdpa", "input 3x3x4\nwindowattention heads=2 window=3 cpb=4 cpb_form=pairs cosine=true"),
    ("sdpa", "input 6x6x4\nwindowattention heads=2 window=3 grid=true cpb=5 cpb_form=rmlp"),
    ("sdpa", "input 4x4x2\nwindowattention heads=2 window=3 shift=1 rel_pos=true"),
    ("sdpa", "input 5x8\nmamba d_state=2 d_conv=3"),
    ("sdpa", "input 4x6\nmamba d_state=3 d_conv=2 expand=1 bias=true conv_bias=false dt_rank=2"),
    ("sdpa", "input 5x8\nmla heads=2 kv_lora_rank=4 qk_rope_head_dim=2 qk_nope_head_dim=2 v_head_dim=3"),
    ("sdpa", "input 4x6\nmla heads=3 kv_lora_rank=3 q_lora_rank=4 qk_rope_head_dim=2 qk_nope_head_dim=2 "
             "v_head_dim=2 bias=true causal"),
]


def _variants(text: str) -> list:
    """The layer (its last line) with every weight trained, all frozen and frozen subsets: by default the first
    weight alone, the last alone and all but the first; SYMPARAMS_MEMORY_FROZEN=all each alone and all but each."""
    net = symparams.parse(text, convention="pytorch")
    names = _weights([r for _, r in net.walk() if r.is_leaf][-1])
    if ALL:
        subsets = [[n] for n in names] + [[m for m in names if m != n] for n in names]
    else:
        subsets = [names[:1], names[-1:], names[1:]]
    out = [text, _last_line(text, "trainable=false")]
    out += [_last_line(text, _frozen_option(s)) for s in subsets if s and s != names]
    return out


def _placed(text: str) -> list:
    """The layer first on its input, and after a trained dense layer of the same width."""
    first, *rest = text.split("\n")
    width = first.split("x")[-1]
    return [text, "\n".join([first, f"dense {width}"] + rest)]


def assert_frozen_variants_save_what_autograd_saves(text: str) -> None:
    """For a layer kind's own tests: its last line placed first and after a trained dense layer, with every weight
    trained, all frozen and frozen subsets (_variants), at batch 1 and 2: act_train_bytes equal to the bytes autograd
    keeps in the exported model."""
    need_module("torch")
    for placed in _placed(text):
        for variant in _variants(placed):
            net = symparams.parse(variant, convention="pytorch")
            for batch in (1, 2):
                assert _ours(net, batch, "sdpa") == measured_saved_bytes(net, batch=batch), (batch, variant)


CASES = [(kernel, variant) for kernel, text in KINDS for placed in _placed(text) for variant in _variants(placed)]


@contextlib.contextmanager
def _kernel(kernel: str):
    """The exported model's attention as the kernel runs it: scaled_dot_product_attention itself (sdpa), or
    transformers' eager attention in its place (eager) with an additive causal mask, as Hugging Face builds it."""
    if kernel != "eager":
        yield
        return
    torch = need_module("torch")
    need_module("transformers")
    import types

    from transformers.models.llama.modeling_llama import eager_attention_forward
    real = torch.nn.functional.scaled_dot_product_attention

    def eager(q, k, v, is_causal=False, enable_gqa=False, **_):
        module = types.SimpleNamespace(num_key_value_groups=q.shape[1] // k.shape[1], training=True)
        t, tc = q.shape[2], k.shape[2]
        mask = torch.full((t, tc), float("-inf")).triu(1) if is_causal else None
        out, _ = eager_attention_forward(module, q, k, v, mask, scaling=q.shape[-1] ** -0.5, dropout=0.0)
        return out.transpose(1, 2)          # (batch, heads, T, k) as scaled_dot_product_attention gives it
    torch.nn.functional.scaled_dot_product_attention = eager
    try:
        yield
    finally:
        torch.nn.functional.scaled_dot_product_attention = real


def _ours(net, batch: int, kernel: str) -> int:
    options = cost.Options(batch=batch, device="cpu", loss="none", attention=kernel)
    return int(cost.totals(net, ("act_train_bytes",), options)["act_train_bytes"])


@pytest.mark.parametrize("kernel, text", CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)])
def test_frozen_weights_keep_what_autograd_keeps(kernel, text):
    need_module("torch")
    net = symparams.parse(text, convention="pytorch")
    for batch in (1, 2):
        with _kernel(kernel):
            measured = measured_saved_bytes(net, batch=batch)
        assert _ours(net, batch, kernel) == measured, (batch, text)


def test_a_frozen_layer_keeps_less_and_a_trained_one_before_it_more():
    """The oracle itself tells the cases apart (so the comparison above could fail): a frozen mamba first keeps
    less than a trained one, and one after a trained layer keeps more than the same one first."""
    need_module("torch")
    base = "input 5x8\nmamba d_state=2 d_conv=3"
    frozen = _last_line(base, "trainable=false")
    after = "input 5x8\ndense 8\nmamba d_state=2 d_conv=3 trainable=false"
    sizes = [measured_saved_bytes(symparams.parse(t, convention="pytorch"), batch=1) for t in (base, frozen, after)]
    assert sizes[1] < sizes[0] and sizes[2] > sizes[1]
