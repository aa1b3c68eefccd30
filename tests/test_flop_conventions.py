"""The FLOP conventions as their sources define them, whatever the spelling of the output head.

Each convention's N and terms (docs/cost.md): kaplan (Kaplan et al. 2020, Table 1), palm (Chowdhery
et al. 2022, appendix B; nanoGPT's estimate_mfu), chinchilla (Hoffmann et al. 2022, appendix F), torch
(FlopCounterMode, checked in test_training_cost.py). A tied head written `dense V bias=false tied=wte`
(what `symparams import` writes), `unembed`, and an untied `dense V bias=false` are one network as far
as FLOPs go, in every convention."""

from __future__ import annotations

import os

import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from symparams import cost, metrics
from symparams.algebra import symbol
from symparams.frameworks.hf_config import from_hf_config

from conftest import EXAMPLES

EXAMPLES_RUN = max(int(os.environ.get("SYMPARAMS_DIFF_EXAMPLES", "300")) // 15, 8)

HEADS = {"tied": "dense {V} bias=false tied=wte", "unembed": "unembed", "untied": "dense {V} bias=false"}
FLOP_COLUMNS = ("macs", "flops", "bwd_flops", "train_flops", "train_flops_token")
# what the head's spelling may not change at all when the parameters are the same (tied and unembed)
SAME_PARAMS = tuple(c for c in metrics.columns() if not c.startswith("rf"))


def gpt(head: str, *, vocab=11, heads=2, key_dim=3, layers=1, tokens=5, posembed=True, causal=True,
        norm="layernorm", mlp=2) -> str:
    d = heads * key_dim
    lines = [f"input {tokens}", f"embedding {vocab} {d} name=wte"]
    if posembed:
        lines.append("posembed")
    lines += [f"repeat {layers} {{",
              f"    residual {{ {norm}; attention heads={heads}{' causal' if causal else ''} }}",
              f"    residual {{ {norm}; dense {mlp * d} gelu; dense {d} }}",
              "}", norm, HEADS[head].format(V=vocab)]
    return "\n".join(lines) + "\n"


def _all(net, columns, **options):
    return cost.totals(net, columns, cost.Options(batch=2, tokens="20N", **options))


@settings(max_examples=EXAMPLES_RUN, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(vocab=st.integers(2, 40), heads=st.integers(1, 3), key_dim=st.integers(1, 4), layers=st.integers(1, 2),
       tokens=st.integers(1, 6), posembed=st.booleans(), causal=st.booleans(),
       norm=st.sampled_from(["layernorm", "rmsnorm"]), mlp=st.integers(1, 3), flops=st.sampled_from(cost.FLOP_CONVENTIONS))
def test_the_heads_spelling_changes_no_flop_count(flops, **shape):
    """Random GPT-style files in the three spellings: tied and unembed (the same parameters) agree on
    every cost column; the untied head (V·D more parameters) on every FLOP column, and on N under the
    two conventions that define N without the head's own matrix counted twice (kaplan, palm)."""
    nets = {head: symparams.parse(gpt(head, **shape), convention="pytorch") for head in HEADS}
    assert nets["tied"].params == nets["unembed"].params == nets["untied"].params - shape["vocab"] * shape["heads"] * shape["key_dim"]
    tied, unembed = (_all(nets[h], SAME_PARAMS, flops=flops) for h in ("tied", "unembed"))
    assert tied == unembed
    columns = FLOP_COLUMNS + (("train_compute",) if flops in ("kaplan", "palm") else ())
    untied = _all(nets["untied"], columns, flops=flops)
    assert {c: tied[c] for c in columns} == untied


def test_kaplan_table_1():
    """Kaplan et al. (2020) Table 1, symbolically: for a decoder without biases or norms,
    N = 2·d_model·n_layer·(2·d_attn + d_ff) (no vocabulary or position matrix, the head untied here),
    and C_forward = 2N + 2·n_layer·n_ctx·d_attn per token."""
    text = """input n_ctx
embedding n_vocab d_model
posembed
repeat n_layer {
    residual { attention heads=n_heads key_dim=d_head bias=false causal }
    residual { dense d_ff bias=false relu; dense d_model bias=false }
}
dense n_vocab bias=false
"""
    net = symparams.parse(text, convention="pytorch")
    d, layers, ctx, ff, h, k = (symbol(s) for s in ("d_model", "n_layer", "n_ctx", "d_ff", "n_heads", "d_head"))
    d_attn = h * k
    got = _all(net, ("flops", "train_flops_token"), flops="kaplan")
    n = cost.convention_params(net, cost.flow(net, cost.Options(flops="kaplan")).total, net.params, "kaplan")
    assert sympy.expand(n - 2 * d * layers * (2 * d_attn + ff)) == 0
    assert sympy.expand(got["flops"] - 2 * ctx * (2 * n + 2 * layers * ctx * d_attn)) == 0     # batch 2
    assert sympy.expand(got["train_flops_token"] - 3 * (2 * n + 2 * layers * ctx * d_attn)) == 0


def test_nanogpt_estimate_mfu_in_every_spelling():
    """nanoGPT's estimate_mfu: flops_per_token = 6N + 12·L·H·Q·T with N = get_num_params() (the
    position table left out, the tied token table in): 123,653,376 for GPT-2 small at T = 1024, so
    855,166,464 per token; the same for the zoo file (unembed) and for GPT-2 written with
    `dense V bias=false tied=wte` or an untied head."""
    n, layers, heads, q, t = 123_653_376, 12, 12, 64, 1024
    expected = 6 * n + 12 * layers * heads * q * t
    zoo = symparams.load(EXAMPLES / "zoo" / "gpt2_small.arch").evaluate()
    source = (EXAMPLES / "zoo" / "gpt2_small.arch").read_text(encoding="utf-8")
    assert "embedding V 768 " in source and "\nunembed" in source
    for replacement in ("dense V bias=false tied=wte", "dense V bias=false"):
        text = source.replace("embedding V 768 ", "embedding V 768 name=wte ").replace("\nunembed", "\n" + replacement)
        net = symparams.parse(text).evaluate()
        assert cost.totals(net, ("train_flops_token",), cost.Options(flops="palm"))["train_flops_token"] == expected
    assert cost.totals(zoo, ("train_flops_token",), cost.Options(flops="palm"))["train_flops_token"] == expected


def _palm_540b(head: str) -> str:
    """PaLM 540B (Chowdhery et al. 2022, Table 1 and section 2): 118 layers of width 18,432, 48 heads
    of 256, multi-query attention, a parallel SwiGLU MLP of 4·d, no biases (not even the norms'), shared input/output
    embeddings over a 256k vocabulary, sequence length 2,048."""
    return f"""input 2048
embedding 256000 18432 name=wte
repeat 118 {{
    residual {{
        layernorm bias=false
        add {{ attention heads=48 kv_heads=1 key_dim=256 bias=false causal }} {{ mul {{ dense 73728 bias=false silu }} {{ dense 73728 bias=false }}; dense 18432 bias=false }}
    }}
}}
layernorm bias=false
{head}
"""


def test_palm_appendix_b_540b():
    """PaLM appendix B: model FLOPs per token 6N + 12·L·H·Q·T, the output head's product counted once:
    the same for the shared embedding written `dense … tied=wte` and `unembed`; N is PaLM's 540.35 B
    reported size (540,356,474,880 here)."""
    layers, heads, q, t = 118, 48, 256, 2048
    for head in ("dense 256000 bias=false tied=wte", "unembed"):
        net = symparams.parse(_palm_540b(head), convention="pytorch")
        n = int(net.params)          # every table here is multiplied by once: palm's N is the whole count
        assert abs(n - 540_350_000_000) < 10_000_000          # 540,356,474,880
        per_token = cost.totals(net, ("train_flops_token",), cost.Options(flops="palm"))["train_flops_token"]
        assert per_token == 6 * n + 12 * layers * heads * q * t


QWEN25_7B = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 152064,
             "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28, "num_attention_heads": 28,
             "num_key_value_heads": 4, "max_position_embeddings": 32768, "tie_word_embeddings": False,
             "rms_norm_eps": 1e-6, "hidden_act": "silu"}


def test_qwen25_7b_non_embedding_parameters():
    """The Qwen2.5-7B model card: 7.61 B parameters, 6.53 B non-embedding. Kaplan's N leaves out the
    input table and the untied lm_head (2 x 152,064 x 3,584); the config is written here by hand
    (nothing downloaded) and imported as `symparams import` does."""
    net = symparams.parse(from_hf_config(QWEN25_7B)).evaluate()
    raw = cost.flow(net, cost.Options(flops="kaplan")).total
    n = int(cost.convention_params(net, raw, net.params, "kaplan"))
    assert net.params == 7_615_616_512 and round(int(net.params) / 1e9, 2) == 7.62
    assert n == net.params - 2 * 152064 * 3584 == 6_525_621_760
    assert round(n / 1e9, 2) == 6.53
    # palm: the untied head's product counted once, the input table not
    assert cost.convention_params(net, raw, net.params, "palm") == net.params - 152064 * 3584


LLAMA32_1B = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256,
              "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32,
              "num_key_value_heads": 8, "head_dim": 64, "max_position_embeddings": 2048,
              "tie_word_embeddings": True}


def test_imported_tied_llama_32_1b_is_palms_formula():
    """The issue's case: `symparams import` writes Llama-3.2-1B's tied head as `dense … tied=embed_tokens`,
    which palm counted at 0.825 x of PaLM's formula (the logits dropped). Now exactly 6N + 12·L·H·Q·T per
    token, N = all 1,235,814,400 parameters (the one table is the logits' product; nothing is only looked up
    but it, and PaLM counts the shared table once)."""
    text = from_hf_config(LLAMA32_1B)
    assert "tied=embed_tokens" in text
    net = symparams.parse(text).evaluate()
    assert net.params == 1_235_814_400
    per_token = cost.totals(net, ("train_flops_token",), cost.Options(flops="palm"))["train_flops_token"]
    assert per_token == 6 * net.params + 12 * 16 * 32 * 64 * 2048
