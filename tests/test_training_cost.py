"""Training FLOPs against torch.utils.flop_counter.FlopCounterMode, forward and backward
(loss.backward()), on the models symparams exports to PyTorch: every layer kind, random networks
of the differential test, and the zoo. The other conventions (kaplan, palm, chinchilla) against
their published formulas, worked by hand for GPT-2 small.

The models are built on the meta device: shapes and the operators' dispatch without arithmetic.
There nn.MultiheadAttention and nn.LSTM run their decomposed (math) paths, which the counter sees;
on CPU, torch 2.13's fused flash-attention and oneDNN LSTM kernels are invisible to it (docs/cost.md).
"""

from __future__ import annotations

import os

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from symparams import cost
from symparams.algebra import symbol
from symparams.layers import REGISTRY

from conftest import EXAMPLES, need_module

DIFF_EXAMPLES = max(int(os.environ.get("SYMPARAMS_DIFF_EXAMPLES", "300")) // 5, 10)


def exported(net):
    """(namespace of the exported PyTorch source) for a network."""
    from symparams.frameworks import torch_export
    from symparams.frameworks.check import run_source
    from symparams.frameworks.plan import make_plan
    return run_source(torch_export.write(make_plan(net)))


def counted_training_flops(net, batch: int = 2) -> int:
    """FlopCounterMode's total over model(x) and (sum of the output).backward(), in training mode."""
    torch = need_module("torch")
    from torch.utils.flop_counter import FlopCounterMode
    ns = exported(net)
    with torch.device("meta"):
        model = ns["build"]().train()
    xs = ns["example_inputs"](batch, device="meta")     # one tensor per input line (BERT, T5, Whisper: two)
    with FlopCounterMode(display=False) as counter:
        out = model(*xs)
        if out.requires_grad:           # a network without trained weights has no backward pass
            out.float().sum().backward()
    return counter.get_total_flops()


def ours(net, batch: int = 2, **options) -> int:
    return int(cost.totals(net, ("train_flops",), cost.Options(batch=batch, **options))["train_flops"])


# One network per layer kind (and the cases where the first layer needs no input gradient),
# keyed by the spec class: test_every_kind_is_covered names a kind without one.
KINDS = {
    "Input": ["input 6x6x3\nconv 2 1x1"],
    "Dense": ["input 5x8\ndense 6", "input 5x8\ndense 6 bias=false\ndense 3", "input 6x6x3\ndense 4\nconv 2 1x1"],
    "Flatten": ["input 6x6x3\nconv 4 3x3\nflatten\ndense 3"],
    "Dropout": ["input 5x8\ndense 8 gelu\ndropout 0.2\ndense 3"],
    "Reshape": ["input 6x6x3\nconv 4 3x3\nreshape 4x16\ndense 3"],
    "ZeroPad": ["input 6x6x3\nzeropad 1\nconv 4 3x3\nzeropad 2\nconv 2 3x3"],
    "Upsample": ["input 6x6x3\nconv 4 3x3\nupsample 2\nconv 2 3x3"],
    "Identity": ["input 6x6x3\nconv 4 3x3\nidentity\nconv 2 3x3"],
    "Activation": ["input 5x8\ndense 6\nsoftsign\ndense 3 sigmoid", "input 6x6x3\nrelu\nconv 2 3x3 tanh"],
    "Conv": ["input 6x6x3\nconv 4 3x3", "input 6x6x3\nconv 4 3x3 relu\nconv 4 3x3 groups=2",
             "input 6x6x4\nconv 4 3x3 groups=2 stride=2 padding=1", "input 9x4\nconv1d 4 3\ndense 2",
             "input 4x4x4x2\nconv 3 3x3x3 padding=1\nconv 2 1x1x1"],
    "DepthwiseConv": ["input 6x6x4\ndwconv 3 multiplier=2", "input 6x6x4\nconv 4 1x1\ndwconv 3 padding=1"],
    "SeparableConv": ["input 6x6x4\nsepconv 5 3", "input 6x6x4\nconv 3 1x1\nsepconv 5 3 multiplier=2"],
    "TransposedConv": ["input 6x6x4\ndeconv 5 3 stride=2", "input 6x6x4\nconv 4 1x1\ndeconv 6 3 stride=2 groups=2"],
    "MaxPool": ["input 6x6x3\nmaxpool 2\nconv 4 3x3", "input 6x6x3\nconv 4 3x3\nmaxpool 2 stride=1"],
    "AvgPool": ["input 6x6x3\nconv 4 3x3\navgpool 2"],
    "GlobalAvgPool": ["input 6x6x3\nconv 4 3x3\nglobalavgpool\ndense 3"],
    "GlobalMaxPool": ["input 6x6x3\nconv 4 3x3\nglobalmaxpool\ndense 3"],
    "Subsample": ["input 6x6x3\nconv 4 3x3\nsubsample 2\nconv 2 1x1"],
    "ChannelPad": ["input 6x6x3\nconv 4 3x3\nchannelpad 6\nconv 2 1x1"],
    "BatchNorm": ["input 6x6x3\nconv 4 3x3\nbatchnorm\nrelu"],
    "LayerNorm": ["input 5x8\ndense 6\nlayernorm\ndense 2"],
    "GroupNorm": ["input 6x6x4\nconv 4 1x1\ngroupnorm 2"],
    "Embedding": ["input 5\nembedding 7 8\ndense 3"],
    "Attention": ["input 5x8\nattention heads=2", "input 5x8\ndense 8\nattention heads=2 causal",
                  "input 5x8\ndense 8\nattention heads=4 bias=false"],
    "PositionalEmbedding": ["input 5\nembedding 7 8\nposembed\nattention heads=2\nlayernorm\nunembed"],
    "ClassToken": ["input 5x8\nclstoken\nattention heads=2\nclspool\ndense 3"],
    "ClassPool": ["input 5x8\ndense 8\nclspool\ndense 3"],
    "TiedHead": ["input 5\nembedding 7 8\nunembed"],
    "SimpleRNN": ["input 5x8\nrnn 4", "input 5x8\ndense 3\nrnn 4 bidirectional return_sequences"],
    "LSTM": ["input 5x8\nlstm 4 return_sequences"],
    "GRU": ["input 5x8\ndense 3\ngru 4 bidirectional"],
    "RMSNorm": ["input 5x8\ndense 6\nrmsnorm\ndense 2"],
    "Normalization": ["input 5x8\ndense 6\nnormalization\ndense 2", "input 6x6x3\nconv 4 3x3\nnormalization\nconv 2 1x1",
                      "input 5x8\ndense 6\nnormalization fixed\ndense 2"],
    "Rescaling": ["input 5x8\ndense 6\nrescaling 2\ndense 2", "input 5x8\nrescaling 2 offset=1\ndense 2"],
    "Save": ["input 6x6x3\nconv 4 3x3\nsave a\nconv 4 1x1\nadd with a"],
    "AddWith": ["input 6x6x3\nconv 4 3x3 relu\nsave a\nconv 4 1x1\nadd with a\nconv 2 1x1"],
    "Use": ["input 6x6x3\nconv 4 3x3\nsave a\nconv 4 1x1\nsave b\nuse a\nconv 4 1x1\nadd with b"],
    "ConcatWith": ["input 6x6x3\nconv 4 3x3\nsave a\nconv 2 1x1\nconcat with a\nconv 2 1x1"],
    "MulWith": ["input 6x6x3\nconv 4 3x3 relu\nsave a\nconv 4 1x1\nmul with a\nconv 2 1x1"],
    "CropTo": ["input 6x6x3\nconv 4 3x3\nsave a\nzeropad 1\nconv 4 1x1\ncrop to=a\nconv 2 1x1"],
    "LayerScale": ["input 5x8\ndense 6\nlayerscale\ndense 2"],
    # timm's RelPosMlp (MaxViT-rmlp): the position-bias MLP with both layers biased and a dropout, on the table
    "WindowAttention": ["input 6x6x8\nwindowattention heads=2 window=3 cpb=5 cpb_form=rmlp",
                        "input 6x6x4\nconv 8 1x1\nwindowattention heads=2 window=3 grid=true cpb=4 cpb_form=rmlp"],
}
if "kv_heads" in REGISTRY["attention"].options:
    # the forms of issue 12, exported as explicit projections (grouped-query attention, a relative
    # position bias, biases on q, k, v only, heads·key_dim other than the width)
    KINDS["Attention"] += ["input 5x8\ndense 8\nattention heads=4 kv_heads=2 causal",
                           "input 5x8\nattention heads=4 kv_heads=1 key_dim=3 bias=false",
                           "input 5x8\ndense 8\nattention heads=2 relbias=3 bias=qkv causal",
                           # timm's q/k LayerNorm and norm before proj (EVA-02 CLIP), first and after a layer
                           "input 5x8\nattention heads=2 qk_norm=layernorm scale_norm=layernorm bias=o",
                           "input 5x8\ndense 8\nattention heads=2 scale_norm=rmsnorm"]
REGISTERED = {type(spec).__name__ for spec in REGISTRY.values()}


def _harness():
    import sys
    from pathlib import Path
    kinds_dir = str(Path(__file__).resolve().parent / "kinds")
    if kinds_dir not in sys.path:
        sys.path.insert(0, kinds_dir)
    import harness
    harness.load_kind_modules()
    return harness


def _kind_cases(seeds=(0, 1)):
    """Every kind PyTorch export writes, from the generators of its own test module
    (tests/kinds/test_<family>.py): a new kind is checked here without editing this file. Seed 0
    places it first (nothing before it is trained: no input gradient), seed 1 after a trained layer
    (its input gradient is computed and counted)."""
    harness = _harness()
    # a free tensor ignores its input: the trained layer before it would be unused, and PyTorch runs no
    # backward through an unused branch while symparams counts one (docs/cost.md)
    ignores_input = {"Parameter"}
    return [(type(spec).__name__, harness.kind_architecture(
                spec, seed, "pytorch", after_trained=seed % 2 == 1 and type(spec).__name__ not in ignores_input))
            for spec in harness.registered() if not spec.unsupported_reason("emit_torch")
            and harness.generators_of(spec) for seed in seeds]


# hand-written cases first (each aimed at one rule), then the kinds' own generators
CASES = [(kind, text) for kind, texts in KINDS.items() if kind in REGISTERED for text in texts] + _kind_cases()


def random_architectures(counted: bool = True):
    """The differential harness's random PyTorch-convention networks (tests/kinds/harness.py); counted=False:
    with the kinds the FLOP counter's oracle leaves out (harness.NOT_COSTED), for the saved-memory oracle."""
    import sys
    from pathlib import Path
    kinds_dir = str(Path(__file__).resolve().parent / "kinds")
    if kinds_dir not in sys.path:
        sys.path.insert(0, kinds_dir)
    from harness import architecture, load_kind_modules
    load_kind_modules()
    return st.integers(0, 2 ** 32 - 1).map(lambda seed: architecture(seed, "pytorch", costed=True, counted=counted))


def test_every_kind_is_covered():
    """Each registered layer kind that PyTorch export writes has cases: its own generators in the kinds
    harness, and hand-written ones above; its backward products and saved tensors are then checked
    against PyTorch here and in test_memory.py. The others are checked by hand below."""
    kinds = {type(spec).__name__ for spec in REGISTRY.values()
             if not spec.unsupported_reason("emit_torch") and not spec.is_input}
    missing = sorted(kinds - {kind for kind, _ in CASES})
    assert not missing, (f"no training-cost case for {', '.join(missing)}: give the kind a generator "
                         "(@kind) in its tests/kinds module")


def test_product_and_mixture_by_hand():
    """Forms PyTorch export does not write yet, worked by hand (batch 1, 5 x 8 input, dense 8 first:
    320 MACs, forward 640, backward only its weight gradient, 640).
    mul { dense 6 silu } { dense 6 } then dense 8: the branches 240 MACs each, the head 240; every
    product after the first needs both gradients: 1,280 + 3 x (2 + 4)·240 = 5,600 FLOPs.
    Saved (fp32): x 40, dense_1's output 40 (read by both branches, once), silu's input 30, both factors
    of the product 30 + 30, the head's input 30: 200 values, 800 bytes.
    moe experts=4 top_k=2 { dense 16 silu; dense 8 }: the router 8 -> 4 (160 MACs) and 2 of the 4
    experts per token (2 x 1,280 MACs): 1,280 + 6 x (160 + 2,560) = 17,600 FLOPs; the weights and
    Adam's state (two moments, a step per tensor) are those of all 4 experts. No loss (--loss none):
    the head's 8 outputs would otherwise be logits with a cross-entropy of their own."""
    options = cost.Options(batch=1, device="cpu", loss="none")
    mul = symparams.parse("input 5x8\ndense 8\nmul { dense 6 silu } { dense 6 }\ndense 8", convention="pytorch")
    got = cost.totals(mul, ("train_flops", "act_train_bytes"), options)
    assert got == {"train_flops": 5_600, "act_train_bytes": 800}
    moe = symparams.parse("input 5x8\ndense 8\nmoe experts=4 top_k=2 { dense 16 silu; dense 8 }",
                          convention="pytorch")
    got = cost.totals(moe, ("train_flops", "optim_bytes", "weight_bytes"), options)
    assert got["train_flops"] == 17_600
    tensors = 2 + 1 + 4 * 4             # dense_1, the router (no bias), 4 experts x 2 dense x (weight, bias)
    assert got["optim_bytes"] == 8 * moe.params + 4 * tensors and got["weight_bytes"] == 4 * moe.params


@pytest.mark.parametrize("kind, text", CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)])
def test_each_kind_against_the_flop_counter(kind, text):
    net = symparams.parse(text, convention="pytorch")
    assert ours(net) == counted_training_flops(net)


def test_first_layer_needs_no_input_gradient_and_the_option_that_counts_it():
    """conv 4 3x3 on 6x6x3 (batch 1): 4·4·4·27 = 1,728 MACs. Forward 2·1,728; the counter's backward
    only the weight gradient (the input is data), 2·1,728: 6,912 in all. input_grad='all' adds the
    input gradient: 3 x forward = 10,368."""
    net = symparams.parse("input 6x6x3\nconv 4 3x3", convention="pytorch")
    assert ours(net, batch=1) == 6_912 == counted_training_flops(net, batch=1)
    assert ours(net, batch=1, input_grad="all") == 10_368
    # after a trained layer every product needs its input gradient: backward = 2 x forward
    two = symparams.parse("input 6x6x3\nconv 4 3x3\nconv 2 1x1", convention="pytorch")
    second = 4 * 4 * 2 * 4
    assert ours(two, batch=1) == 6_912 + 3 * 2 * second


def test_symbolic_batch_and_sequence_length():
    """train_flops is a formula in the batch and the sequence length; per token divides both out."""
    net = symparams.parse("input T\nembedding 100 16\nattention heads=2 causal\ndense 16\nunembed",
                          convention="pytorch")
    b, t = symbol("b"), symbol("T")
    step = cost.totals(net, ("train_flops", "train_flops_token"), cost.Options(batch="b"))
    assert sympy.expand(step["train_flops"] / (b * t) - step["train_flops_token"]) == 0
    macs = net.metric("macs")
    assert sympy.expand(step["train_flops"] - 3 * 2 * macs * b) == 0          # nothing before needs no gradient
    for value, length in ((1, 4), (3, 7)):
        numeric = symparams.parse(f"input {length}\nembedding 100 16\nattention heads=2 causal\ndense 16\nunembed",
                                  convention="pytorch")
        assert step["train_flops"].subs({b: value, t: length}) == counted_training_flops(numeric, value)


def test_repeat_whose_first_pass_has_no_trained_input():
    """A repeat at the start: its first pass computes no input gradient, the later passes do."""
    d = symbol("d")
    net = symparams.parse("input 6x6x3\nrepeat d { conv 3 3x3 padding=1 relu }", convention="pytorch")
    formula = cost.totals(net, ("train_flops",), cost.Options(batch=2))["train_flops"]
    for depth in (1, 2, 5):
        numeric = net.subs(d=depth)
        assert formula.subs(d, depth) == ours(numeric) == counted_training_flops(numeric)


@settings(max_examples=DIFF_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_architectures_against_the_flop_counter(data):
    """The differential test's random PyTorch-convention networks, forward and backward."""
    need_module("torch")
    text = data.draw(random_architectures())
    net = symparams.parse(text, convention="pytorch")
    assert ours(net) == counted_training_flops(net), text


ZOO = [("lenet5", "pytorch"), ("alexnet", "pytorch"), ("vgg16", "pytorch"), ("resnet18", "pytorch"),
       ("resnet50", "pytorch"), ("cifar_resnet", "pytorch"), ("densenet121", "pytorch"), ("gpt2_small", "pytorch"),
       ("vit_b16", "pytorch"), ("mobilenet_v2", "keras"), ("unet", "keras"), ("llama_tinyllama", "pytorch"),
       ("convnext_tiny", "keras"), ("efficientnet_b0", "keras"), ("mobilenet_v3_small", "keras"),
       ("inception_v3", "keras"),
       # two inputs each (forward(self, x, NAME)); T5's and Whisper's decoders attend to the encoder's output
       ("bert_base", "pytorch"), ("t5_small", "pytorch"), ("whisper_tiny", "pytorch")]
# not here: mixtral_moe,
# whose export runs every expert on every token (so check can compare each expert) while its cost counts
# top_k experts per token


@pytest.mark.parametrize("name, convention", ZOO)
def test_zoo_against_the_flop_counter(name, convention):
    """Every zoo model at its published size, one example, forward + backward."""
    net = symparams.load(EXAMPLES / "zoo" / f"{name}.arch", convention=convention).evaluate()
    assert ours(net, batch=1) == counted_training_flops(net, batch=1)


# ----------------------------------------------------------------------------- conventions

GPT2 = EXAMPLES / "zoo" / "gpt2_small.arch"


def _gpt2(**options):
    net = symparams.load(GPT2).evaluate()
    return cost.totals(net, ("flops", "train_flops", "train_flops_token"), cost.Options(**options))


def test_gpt2_forward_flops_published():
    """nanoGPT's transformer_sizing notebook: 291,648,307,200 forward FLOPs at T = 1024."""
    assert _gpt2()["flops"] == 291_648_307_200
    assert _gpt2()["train_flops"] == 3 * 291_648_307_200     # the embedding is trained: backward = 2 x forward


def test_kaplan_six_n_without_embeddings():
    """GPT-2 small has 85,056,000 parameters without its token and position embeddings
    (124,439,808 - 50,257·768 - 1,024·768); Kaplan et al. Table 1: C_forward = 2N + 2·n_layer·n_ctx·d_attn
    per token, training 3 x that."""
    attention = 2 * 12 * 1024 * 768
    got = _gpt2(flops="kaplan")
    assert got["train_flops_token"] == 3 * (2 * 85_056_000 + attention) == 566_959_104
    assert got["train_flops"] == 3 * (2 * 85_056_000 + attention) * 1024
    assert got["flops"] == (2 * 85_056_000 + attention) * 1024


def test_palm_six_n_plus_twelve_lhqt():
    """PaLM appendix B (and nanoGPT's estimate_mfu): 6N + 12·L·H·Q·T per token, N without the
    position table (the token table is the tied head's product): 123,653,376."""
    n, layers, heads, q, t = 124_439_808 - 1024 * 768, 12, 12, 64, 1024
    got = _gpt2(flops="palm")
    assert got["train_flops_token"] == 6 * n + 12 * layers * heads * q * t == 855_166_464


def test_chinchilla_appendix_f_by_hand():
    """Hoffmann et al. (2022) appendix F for GPT-2 small, term by term, backward = 2 x forward."""
    seq, vocab, d, kv, heads, ffw, layers = 1024, 50257, 768, 64, 12, 3072, 12
    embeddings = 2 * seq * vocab * d
    attention = (2 * 3 * seq * d * (kv * heads) + 2 * seq * seq * (kv * heads) + 3 * heads * seq * seq
                 + 2 * seq * seq * (kv * heads) + 2 * seq * (kv * heads) * d)
    dense = 2 * seq * (d * ffw + d * ffw)
    logits = 2 * seq * d * vocab
    forward = embeddings + layers * (attention + dense) + logits
    got = _gpt2(flops="chinchilla")
    assert got["flops"] == forward
    assert got["train_flops"] == 3 * forward


def test_conventions_differ_for_the_reasons_given():
    """torch - chinchilla: the embedding lookup (2·T·V·D) and the softmax (3·H·T² per layer) are
    products/FLOPs only for Chinchilla; palm - kaplan: the tied head's table and the second half of the
    attention scores' products (Kaplan counts the T x T logits, PaLM also their weighted sum of the values)."""
    t, v, d, heads, layers = 1024, 50257, 768, 12, 12
    torch_, chin = _gpt2()["flops"], _gpt2(flops="chinchilla")["flops"]
    assert chin - torch_ == 2 * t * v * d + layers * 3 * heads * t * t
    kaplan, palm = _gpt2(flops="kaplan")["train_flops"], _gpt2(flops="palm")["train_flops"]
    assert palm - kaplan == 6 * t * v * d + 6 * layers * heads * 64 * t * t


def test_compute_optimal_depth_by_solve():
    """Chinchilla sizing: the deepest GPT-2-style model whose training on D = 20·N tokens fits C."""
    from symparams.cli import main
    net = symparams.load(GPT2)
    options = cost.Options(flops="chinchilla", tokens="20N")
    result = net.solve("layers", metric=cost.Metric("train_compute", options), at_most=10 ** 20)
    per_token = cost.totals(net, ("train_flops_token",), options)["train_flops_token"]
    compute = per_token * 20 * net.params
    at = {symbol("T"): 1024, symbol("L"): 1024, symbol("V"): 50257}
    fits = compute.subs(at)
    assert fits.subs(symbol("layers"), result.value) <= 10 ** 20 < fits.subs(symbol("layers"), result.value + 1)
    assert main(["solve", str(GPT2), "--for", "layers", "--metric", "train_compute", "--tokens", "20N",
                 "--flops", "chinchilla", "--max", "1e20"]) == 0


def test_cli_summary_train_flops_column(capsys):
    from symparams.cli import main
    assert main(["summary", str(GPT2), "--columns", "train_flops", "--flops", "chinchilla"]) == 0
    out = capsys.readouterr().out
    assert "Train FLOPs" in out and "chinchilla convention" in out and "1,113,446,154,240" in out
    with pytest.raises(SystemExit):
        main(["summary", str(GPT2), "--columns", "train_flops", "--flops", "flop"])


def test_sweep_and_plot_take_the_conventions(capsys, tmp_path):
    need_module("matplotlib")
    from symparams.cli import main
    assert main(["sweep", str(GPT2), "--vary", "layers=6,12", "--metric", "train_flops", "--flops", "kaplan",
                 "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    expected = 566_959_104 * 1024       # 12 layers: 6N + 6·n_layer·n_ctx·d_attn per token (Kaplan Table 1)
    assert lines[-1].replace(",", " ").split()[-1].replace('"', "") in (str(expected), f"{expected:,}")
    out = tmp_path / "f.png"
    assert main(["plot", str(GPT2), "--vary", "layers=1:4", "--metric", "train_flops", "--flops", "palm",
                 "-o", str(out)]) == 0
    assert out.stat().st_size > 0


def test_generated_cost_docs_are_current():
    """docs/cost.md's convention table and command outputs come from the engine
    (python scripts/flops_table.py rewrites them)."""
    import importlib.util
    from conftest import ROOT
    spec = importlib.util.spec_from_file_location("flops_table", ROOT / "scripts" / "flops_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path in module.TARGETS:
        if path.exists():
            text = path.read_text(encoding="utf-8")
            assert module.render(text) == text, f"{path.name} is stale: run python scripts/flops_table.py"
    assert "| `chinchilla` | 371,148,718,080 |" in (ROOT / "docs" / "cost.md").read_text(encoding="utf-8")
