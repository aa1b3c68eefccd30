"""Training FLOPs with frozen weights against torch.utils.flop_counter.FlopCounterMode.

A frozen weight (`trainable=false` on a layer, `frozen=NAME` / `frozen=(A, B)` on some of its weights) has no
gradient, and what is computed from frozen weights alone, with nothing trained before the layer, needs none
either: autograd skips those products of the backward pass. symparams counts each gradient a kind states
(LayerSpec.gradients) only where what it is taken for needs one (symparams/cost.py). The oracle: the model
`symparams export --to pytorch` writes (requires_grad=False on the frozen parameters), built on the meta device,
its forward and loss.backward() under FlopCounterMode; the `torch` FLOP convention is the one that counts as the
counter does (docs/cost.md).

- every kind whose weights take part in a product, first (nothing before it trained) and after a trained layer,
  with each of its weights frozen alone and with all but each one frozen: the cut that tests what each gradient
  is taken for;
- the differential harness's random networks with random layers frozen (trainable=false, frozen=NAME): a
  hypothesis test, SYMPARAMS_FROZEN_EXAMPLES examples (a few in CI; more locally), and every kind's case with
  SYMPARAMS_FROZEN_KINDS=all (two seeds and both positions; by default one of each).
"""

from __future__ import annotations

import os
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from symparams.layers import REGISTRY, LayerSpec

from conftest import need_module
from test_training_cost import _harness, counted_training_flops, ours

EXAMPLES = int(os.environ.get("SYMPARAMS_FROZEN_EXAMPLES", "12"))
ALL_KINDS = os.environ.get("SYMPARAMS_FROZEN_KINDS", "") == "all"


def _weights(row) -> list:
    """The names of a layer's own parameters (not buffers) that frozen= can name."""
    if row.config.get("reuse") is not None:
        return []
    return [w.name for w in row.weights if not w.buffer]


def _frozen_option(names) -> str:
    """frozen= naming these weights (quoted: PyTorch's names have dots, out_proj.weight, cpb_mlp.0.bias)."""
    return f'frozen="{", ".join(names)}"'


def freeze(text: str, choose) -> tuple[str, int]:
    """`text` with an option added to some of its weighted layer statements: choose(row, names) gives the option
    ('trainable=false', 'frozen=...') or None. Each layer is found where the engine says its statement starts (line
    and column) and ends (the next ';', brace or line end). Returns the new text and how many layers were changed."""
    net = symparams.parse(text, convention="pytorch")
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    edits = {}
    for _, row in net.walk():
        start = starts[row.line - 1] + row.column - 1
        if row.is_leaf and row.kind != "input" and _weights(row) and start not in edits:  # a repeat's passes: once
            edits[start] = choose(row, _weights(row))
    for start, option in sorted(edits.items(), reverse=True):
        if option is None:
            continue
        end = min([i for i in (text.find(c, start) for c in ";{}\n") if i >= 0] + [len(text)])
        at = start + len(text[start:end].rstrip())
        text = text[:at] + " " + option + text[at:]
    return text, sum(option is not None for option in edits.values())


def random_freezing(seed: int):
    """A chooser freezing about half the weighted layers: a whole layer (trainable=false) or some of its weights."""
    rng = random.Random(seed)

    def choose(row, names):
        roll = rng.random()
        if roll < 0.25:
            return "trainable=false"
        if roll < 0.5:
            return _frozen_option(rng.sample(names, rng.randint(1, len(names))))
        return None
    return choose


def _check(text: str):
    net = symparams.parse(text, convention="pytorch")
    assert ours(net) == counted_training_flops(net), text


# ----------------------------------------------------------------------------- each kind, each weight

def _kind_texts():
    """(kind, text, weight names) for every exportable kind with weights in a product, from its generators
    (tests/kinds): placed first and after a trained layer."""
    harness = _harness()
    seeds = (0, 1, 2, 3) if ALL_KINDS else (0, 1)
    out = []
    for spec in harness.registered():
        if spec.unsupported_reason("emit_torch") or not harness.generators_of(spec) or spec.keyword in ("parameter",):
            continue
        for seed in seeds:
            text = harness.kind_architecture(spec, seed, "pytorch", after_trained=seed % 2 == 1)
            net = symparams.parse(text, convention="pytorch")
            row = [r for _, r in net.walk() if r.is_leaf][-1]
            if net.metric("macs") == 0 or not _weights(row):
                continue
            out.append((type(spec).__name__, text, _weights(row)))
    return out


def _last_line(text: str, option: str) -> str:
    lines = text.split("\n")
    return "\n".join(lines[:-1] + [lines[-1] + " " + option])


def _variants(text: str, names: list) -> list:
    """The last layer with each of its weights frozen alone, and with all but each one frozen."""
    out = [_last_line(text, _frozen_option([name])) for name in names]
    if len(names) > 1:
        out += [_last_line(text, _frozen_option([n for n in names if n != name])) for name in names]
    return out + [_last_line(text, "trainable=false")]


KIND_CASES = _kind_texts()


@pytest.mark.parametrize("kind, text, names", KIND_CASES, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(KIND_CASES)])
def test_each_kind_with_each_weight_frozen(kind, text, names):
    need_module("torch")
    for variant in _variants(text, names):
        _check(variant)


def test_every_kind_with_several_products_is_covered():
    """The kinds stating their own gradients (several products) are all among the cases above."""
    several = {type(spec).__name__ for spec in REGISTRY.values()
               if type(spec).gradients is not LayerSpec.gradients and not spec.unsupported_reason("emit_torch")}
    assert several - {kind for kind, _, _ in KIND_CASES} == set()
    assert {"SeparableConv", "Attention", "Mamba", "LatentAttention", "WindowAttention", "LSTM"} <= several


# ----------------------------------------------------------------------------- the named cases

@pytest.mark.parametrize("text", [
    "input 6x6x4\nconv 4 1x1\nsepconv 5 3 frozen=depthwise_kernel",      # 13,056 where 22,272 was counted
    "input 6x6x4\nsepconv 5 3 frozen=depthwise_kernel",                   # nor the pointwise's input gradient
    "input 5x8\ndense 8\nattention heads=2 trainable=false",              # 17,600 where 22,720 was counted
    'input 5x8\nattention heads=2 frozen="in_proj_weight, in_proj_bias"',  # only the output projection trains
    'input 5x8\nmamba d_state=2 d_conv=3 frozen="in_proj.weight, conv1d.weight, conv1d.bias"',
    'input 6x6x4\nwindowattention heads=2 window=3 cpb=5 frozen="cpb_mlp.0.weight, cpb_mlp.0.bias"',
    "input 5x8\nlstm 4 frozen=(weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0) return_sequences\ndense 3",
    "input 5\nembedding 7 8 trainable=false\nattention heads=2\nunembed",  # the tied head's table frozen
    "input 5\nembedding 7 8 name=wte trainable=false\ndense 8 trainable=false\ndense 7 tied=wte",
    # cross-attention: the keys' and values' input gradient where the context's layers train
    "input 5x8 as x\ninput 4x6 as mem\nuse mem\ndense 6 trainable=false\nsave m2\nuse x\nattention heads=2 context=m2",
    'input 5x8 as x\ninput 4x6 as mem\nuse mem\ndense 6\nsave m2\nuse x\nattention heads=2 context=m2 '
    'frozen="k_proj.weight, k_proj.bias, v_proj.weight, v_proj.bias"',
    "input 5x8\ndense 8 name=d1 frozen=weight\ndense 8 reuse=d1",         # reuse= runs d1's frozen weight
])
def test_frozen_weights_drop_their_gradients_and_what_only_they_need(text):
    need_module("torch")
    _check(text)


# ----------------------------------------------------------------------------- random networks

@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.integers(0, 2 ** 32 - 1), st.integers(0, 2 ** 32 - 1))
def test_random_networks_with_random_layers_frozen(seed, freezing):
    """The differential harness's random PyTorch-convention networks (the FLOP counter's set), about half their
    weighted layers frozen whole or in part."""
    need_module("torch")
    harness = _harness()
    text = harness.architecture(seed, "pytorch", costed=True)
    frozen, _ = freeze(text, random_freezing(freezing))
    _check(frozen)


# ----------------------------------------------------------------------------- saved activations

@pytest.mark.parametrize("text", [
    "input 5x8\ndense 8\ndense 6 trainable=false\ndense 3",        # a matrix product keeps its input for its kernel
    "input 5x8\ndense 8\ndense 6 frozen=weight\ndense 3",
    "input 6x6x3\nconv 4 3x3\ndense 5 trainable=false\nconv 2 1x1",  # the channels-last copy too
    "input 5\nembedding 7 8 trainable=false\ndense 8\nunembed",      # a tied head over a frozen table
    "input 6x6x4\nsepconv 5 3 frozen=depthwise_kernel",              # the depthwise pass not recorded
    "input 6x6x4\nconv 3 1x1\nsepconv 5 3 frozen=depthwise_kernel",
    "input 5x8\ndense 8\nlayerscale trainable=false\ndense 3",     # x·γ keeps x for γ's gradient only
    "input 5x8\ndense 8\ndyt frozen=alpha\ndense 3",
    "input 5x8\ndense 8\nrmsnorm frozen=weight\ndense 3",           # the normalised values, for the scale's
    "input 6x6x4\nconv 4 1x1\nprelu shared=none trainable=false\nconv 2 1x1",
    "input 6x6x4\nconv 4 1x1\ngrn frozen=gamma\nconv 2 1x1",
    "input 5x8\ndense 8\nattention heads=2 trainable=false",         # sdpa: the projections' input not kept
    'input 5x8\nattention heads=2 frozen="in_proj_weight, in_proj_bias"',  # sdpa not recorded: o_proj's input
    'input 5x8\nattention heads=4 kv_heads=2 frozen="q_proj.weight, q_proj.bias, k_proj.weight, k_proj.bias"',
    'input 5x8 as x\ninput 4x6 as mem\nuse mem\ndense 6\nsave m2\nuse x\nattention heads=2 context=m2 '
    'frozen="k_proj.weight, k_proj.bias, v_proj.weight, v_proj.bias"',
])
def test_frozen_kernels_keep_no_input_for_their_gradient(text):
    """act_train_bytes against the tensors autograd saves (torch.autograd.graph.saved_tensors_hooks on the exported
    model): a frozen kernel's product keeps nothing for its gradient (Saved.of)."""
    need_module("torch")
    from test_memory import measured_saved_bytes, ours as saved_bytes
    net = symparams.parse(text, convention="pytorch")
    assert saved_bytes(net) == measured_saved_bytes(net), text
