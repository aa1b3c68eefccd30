"""windowattention rel_pos=true: SAM's decomposed relative position (Kirillov et al. 2023, its image encoder's
attention: tables rel_pos_h and rel_pos_w of (2W - 1) x head_dim, the query's product with the row offset's and
the column offset's entries added to the scores). Counts and shapes against PyTorch, the exported module's values
against the published formula written here with einsum, export -> import, and what autograd keeps and the FLOP
counter counts."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import agree, round_trip

CASES = ["input 8x8x8\ndense 8\nwindowattention heads=2 window=4 rel_pos=true relbias=false",
         "input 8x8x8\nwindowattention heads=2 window=4 rel_pos=true relbias=false",
         "input 7x7x6\ndense 6\nwindowattention heads=1 window=7 rel_pos=true relbias=false",
         "input 9x9x8\ndense 8\nwindowattention heads=4 window=3 shift=1 rel_pos=true",
         "input 8x8x4\ndense 4\nwindowattention heads=2 window=4 grid=true rel_pos=true"]


def test_two_tables_of_2w_minus_1_by_head_dim():
    """SAM ViT-B's windowed blocks: W = 14, 768 channels, 12 heads: 2 x 27 x 64 = 3,456 more weights."""
    from symparams.algebra import symbol
    plain = symparams.parse("input 56x56x768\nwindowattention heads=12 window=14 relbias=false")
    sam = symparams.parse("input 56x56x768\nwindowattention heads=12 window=14 relbias=false rel_pos=true")
    assert sam.params - plain.params == 2 * 27 * 64
    general = symparams.parse("input 14 x 14 x 4*d\nwindowattention heads=4 window=14 relbias=false rel_pos=true")
    less = symparams.parse("input 14 x 14 x 4*d\nwindowattention heads=4 window=14 relbias=false")
    assert general.params - less.params == 54 * symbol("d")


@pytest.mark.parametrize("text", CASES)
def test_rel_pos_agrees_with_pytorch_and_comes_back(text):
    agree(text, "pytorch")
    assert "rel_pos=true" in round_trip(text, "pytorch")


@pytest.mark.parametrize("text", CASES)
def test_rel_pos_saves_and_costs_what_pytorch_does(text):
    from test_memory import measured_saved_bytes, ours as saved_ours
    from test_training_cost import counted_training_flops, ours as flops_ours
    net = symparams.parse(text, convention="pytorch")
    assert saved_ours(net) == measured_saved_bytes(net)
    assert flops_ours(net) == counted_training_flops(net)


def test_exported_module_computes_sams_decomposed_relative_position():
    """One window over the whole map (SAM's global blocks): the exported module equals attention with
    attn += einsum('bhwc,hkc->bhwk', q, Rh)[..., None] + einsum('bhwc,wkc->bhwk', q, Rw)[..., None, :]."""
    torch = need_module("torch")
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    model = run_source(export(symparams.parse("input 5x5x8\nwindowattention heads=2 window=5 rel_pos=true "
                                              "relbias=false", convention="pytorch")))["build"]()
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_()
    [attn] = [m for m in model.modules() if type(m).__name__ == "WindowAttention"]
    x = torch.randn(2, 8, 5, 5)
    t = x.permute(0, 2, 3, 1).reshape(2, 25, 8)
    q, k, v = attn.qkv(t).view(2, 25, 3, 2, 4).permute(2, 0, 3, 1, 4)
    offsets = torch.arange(5)[:, None] - torch.arange(5)[None, :] + 4
    rh, rw = attn.rel_pos_h[offsets], attn.rel_pos_w[offsets]
    r_q = q.reshape(4, 5, 5, 4)
    rel_h = torch.einsum("bhwc,hkc->bhwk", r_q, rh)
    rel_w = torch.einsum("bhwc,wkc->bhwk", r_q, rw)
    scores = (q @ k.transpose(-1, -2) / 2.0).view(4, 5, 5, 5, 5) + rel_h[..., None] + rel_w[..., None, :]
    out = (scores.view(2, 2, 25, 25).softmax(-1) @ v).transpose(1, 2).reshape(2, 25, 8)
    expected = attn.proj(out).view(2, 5, 5, 8).permute(0, 3, 1, 2)
    assert torch.allclose(model(x), expected, atol=1e-4)
