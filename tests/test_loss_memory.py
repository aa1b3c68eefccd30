"""The training loss in the saved activations (--loss cross-entropy|none): what
torch.nn.functional.cross_entropy keeps on CPU, measured with saved_tensors_hooks; the default (the
loss is there when the network ends in logits); Megatron-LM's cross-entropy term under --saving megatron."""

from __future__ import annotations

import pytest
import sympy

import symparams
from symparams import cost, memory
from symparams.algebra import symbol
from symparams.cli import main

from conftest import EXAMPLES, need_module


def measured_cross_entropy(logit_shape, autocast=False) -> int:
    """Bytes F.cross_entropy keeps for the backward pass of logits of this shape (the last axis the
    classes), each storage once; the logits come out of a product, as a head's do."""
    torch = need_module("torch")
    import torch.nn.functional as F
    torch.manual_seed(0)
    weight = torch.randn(logit_shape[-1], logit_shape[-1], requires_grad=True)
    x = torch.randn(*logit_shape)
    target = torch.randint(0, logit_shape[-1], logit_shape[:-1])
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        logits = x @ weight                      # its saved tensors are taken before the hook
        seen: dict = {}

        def pack(tensor):
            storage = tensor.untyped_storage()
            seen[storage.data_ptr()] = storage.nbytes()
            return tensor

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
            F.cross_entropy(logits.reshape(-1, logit_shape[-1]), target.reshape(-1))
    return sum(seen.values())


@pytest.mark.parametrize("text, logit_shape", [
    ("input 16\nembedding 100 8\ndense 100 bias=false", (16, 100)),       # a language model: T x V
    ("input 16\nembedding 100 8 name=wte\ndense 100 bias=false tied=wte", (16, 100)),
    ("input 16\nembedding 100 8\nunembed", (16, 100)),
    ("input 6x6x3\nconv 4 3x3\nflatten\ndense 10", (10,)),                 # a classifier: C classes
])
@pytest.mark.parametrize("batch", [1, 3])
def test_cross_entropy_keeps_what_pytorch_keeps(text, logit_shape, batch):
    """log_softmax's float32 output (b·P·C), the int64 targets (b·P) and the mean's float32 total weight
    (4 bytes): exactly the measured bytes, in fp32 and under bf16 autocast (log_softmax runs in float32)."""
    net = symparams.parse(text, convention="pytorch")
    for precision, autocast in (("fp32", False), ("bf16-mixed", True)):
        options = cost.Options(batch=batch, precision=precision)
        assert memory.loss_name(net, options) == "cross-entropy"          # the default: the net ends in logits
        assert memory.loss_bytes(net, options) == measured_cross_entropy((batch,) + logit_shape, autocast)
        with_loss = cost.totals(net, ("act_train_bytes",), options)["act_train_bytes"]
        without = cost.totals(net, ("act_train_bytes",), cost.Options(batch=batch, precision=precision,
                                                                      loss="none"))["act_train_bytes"]
        assert with_loss - without == memory.loss_bytes(net, options)


@pytest.mark.parametrize("text", ["input 8\ndense 1", "input 8\ndense 4 softmax", "input 8\ndense 4\nrelu",
                                  "input 4\nresidual { dense 4 }"])
def test_no_loss_by_default_without_logits(text):
    """A regression output (one value), an activation after the last product, or a merge: no logits,
    so no loss unless asked; asking for cross-entropy then is a clear error, not a guess."""
    net = symparams.parse(text)
    assert memory.loss_name(net, cost.Options()) == "none"
    assert cost.totals(net, ("act_train_bytes",), cost.Options())["act_train_bytes"] == \
        cost.totals(net, ("act_train_bytes",), cost.Options(loss="none"))["act_train_bytes"]
    with pytest.raises(symparams.SymparamsError, match="--loss cross-entropy needs logits"):
        cost.totals(net, ("act_train_bytes",), cost.Options(loss="cross-entropy"))


def test_tiny_llama_loss_is_two_megabytes_per_sequence():
    """The issue's measurement: a tiny Llama with a 32,000-token vocabulary at T = 16 keeps 2.05 MB
    more with its loss (one sequence, fp32): 16·32,000·4 + 16·8 + 4 = 2,048,132 bytes. The Hugging
    Face measurement itself is in tests/test_attention_kernels.py."""
    net = symparams.parse("input 16\nembedding 32000 64\nrmsnorm\ndense 32000 bias=false")
    assert memory.loss_bytes(net, cost.Options(batch=1)) == 2_048_132


def test_megatron_cross_entropy_term():
    """Megatron-LM's theoretical_memory_usage.py, "inputs to output layer and CE loss" (one pipeline
    stage): s·b·h·4·(1 + V/h) bytes; its cross-entropy part is 4·s·b·V, which --saving megatron counts
    for the loss (the output layer's input is the head's own saved input)."""
    s, b, h, v = (symbol(n) for n in "s b h V".split())
    net = symparams.parse("input s\nembedding V h\nlayernorm\ndense V bias=false")
    options = cost.Options(batch="b", style="megatron", precision="bf16-mixed")
    megatron_term = s * b * h * 4 * (1 + v / h)
    assert sympy.expand(memory.loss_bytes(net, options) - (megatron_term - 4 * s * b * h)) == 0


def test_memory_command_names_the_loss(capsys):
    gpt2 = EXAMPLES / "zoo" / "gpt2_small.arch"
    assert main(["memory", str(gpt2), "--batch", "1"]) == 0
    text = capsys.readouterr().out
    assert "loss cross-entropy" in text and "attention sdpa" in text
    assert main(["memory", str(gpt2), "--batch", "1", "--loss", "none", "--format", "json"]) == 0
    import json
    data = json.loads(capsys.readouterr().out)
    assert data["options"]["loss"] == "none" and data["options"]["attention"] == "sdpa"
    with pytest.raises(SystemExit):
        main(["memory", str(gpt2), "--loss", "mse"])
