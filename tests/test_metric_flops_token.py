"""flops_token: forward FLOPs per token, the serving cost of one token (added as one registry entry,
symparams/metrics.py; tests/test_registry_metrics.py walks it through every surface)."""

import symparams
from symparams import cost
from symparams.algebra import symbol


def test_a_token_through_a_dense_head_costs_two_flops_per_weight():
    # the embedding is a lookup (no MACs): a token's forward is the head's product, 2·D·V, at any T
    net = symparams.parse("let T = 128\nlet D = 32\nlet V = 1000\ninput T\nembedding V D\ndense V bias=false\n")
    got = net.metric("flops_token")
    assert got == 2 * symbol("D") * symbol("V")
    assert int(net.evaluate().metric("flops_token")) == 2 * 32 * 1000


def test_attention_makes_the_per_token_cost_grow_with_the_context():
    net = symparams.parse("let T = 64\ninput T x 32\nattention heads=4\n")
    per_token = net.metric("flops_token")
    assert symbol("T") in per_token.free_symbols           # the scores: every token against T others
    assert (per_token * symbol("T") - net.metric("flops")).expand() == 0


def test_the_batch_does_not_change_it_and_a_convention_does():
    text = "let T = 16\ninput T\nembedding 50 8\nrepeat 2 { attention heads=2\ndense 8 }\ndense 50\n"
    net = symparams.parse(text)
    one = cost.metric(net, "flops_token", cost.Options())
    assert cost.metric(net, "flops_token", cost.Options(batch=8)) == one
    kaplan = cost.metric(net, "flops_token", cost.Options(flops="kaplan"))
    assert kaplan != one and cost.total_note("flops_token", cost.Options(flops="kaplan")) == ", kaplan convention"
