"""windowattention and pixelunshuffle (Swin's blocks): the harness's generators, and both against the
framework's own modules."""

from __future__ import annotations

import symparams
from conftest import need_module
from harness import kind


@kind("windowattention", ranks=(3,))
def window_attention(b):
    c = b.channels
    heads = b.pick([h for h in (1, 2, 3, 4) if c % h == 0])
    window = b.integer(1, 4)
    text = f"windowattention heads={heads} window={window}"
    if b.coin():
        text += f" shift={b.integer(0, window - 1)}"
    elif b.coin():
        text += " grid=true"            # MaxViT's grid: never shifted
    if b.coin():
        text += b.pick([" bias=false", " bias=qv"])
    if b.coin():                        # Swin-V2's position-bias MLP and cosine attention, together or apart
        text += b.pick([f" cpb={b.integer(1, 6)} cosine=true", f" cpb={b.integer(1, 6)}", " cosine=true",
                        f" cpb={b.integer(1, 6)} cpb_form=pairs"])
    return text


@kind("pixelunshuffle", ranks=(3,))
def pixel_unshuffle(b):
    sizes = b.shape[:-1]
    factors = [r for r in (2, 3) if all(s % r == 0 for s in sizes)]
    return f"pixelunshuffle {b.pick(factors)}" if factors else None


def test_window_attention_counts_what_hugging_face_swin_builds():
    need_module("torch")
    tf = need_module("transformers")
    config = tf.SwinConfig(embed_dim=16, depths=[1], num_heads=[2], window_size=4, image_size=16, patch_size=1)
    layer = tf.models.swin.modeling_swin.SwinAttention(config, hidden_size=16, num_attention_heads=2, window_size=4)
    expected = sum(p.numel() for p in layer.parameters())
    net = symparams.parse("input 8 x 8 x 16\nwindowattention heads=2 window=4", convention="pytorch")
    assert int(net.params) == expected == 4 * 16 * 16 + 4 * 16 + 49 * 2
    assert int(net.buffers) == 16 * 16


def test_exports_run_and_import_back():
    torch = need_module("torch")
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    text = "input 10 x 10 x 12\nwindowattention heads=3 window=4 shift=2\npixelunshuffle 2\n"
    net = symparams.parse(text, convention="pytorch")
    model = run_source(export(net))["build"]()
    assert tuple(model(torch.randn(2, 12, 10, 10)).shape) == (2, 48, 5, 5)
    back = symparams.from_torch(model, (10, 10, 12))
    assert "shift=2" in back and "pixelunshuffle 2" in back
    assert int(symparams.parse(back, convention="pytorch").params) == int(net.params)


def test_grid_groups_positions_spread_over_the_map():
    """grid=true: the same weights as windows; the exported module attends among positions H/W apart (a value at
    (0, 0) moves the output at (H/W, 0), a grid neighbour, and leaves (1, 0), a window neighbour, unchanged)."""
    torch = need_module("torch")
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    window = symparams.parse("input 8 x 8 x 4\nwindowattention heads=2 window=2", convention="pytorch")
    grid = symparams.parse("input 8 x 8 x 4\nwindowattention heads=2 window=2 grid=true", convention="pytorch")
    assert int(grid.params) == int(window.params) and int(grid.buffers) == int(window.buffers)
    model = run_source(export(grid))["build"]().eval()
    x = torch.randn(1, 4, 8, 8)
    y = x.clone()
    y[0, :, 0, 0] += 1.0
    with torch.no_grad():
        moved = (model(y) - model(x)).abs().amax(dim=1)[0]
    assert moved[4, 0] > 0 and moved[0, 4] > 0 and moved[4, 4] > 0
    assert moved[1, 0] == 0 and moved[0, 1] == 0
    back = symparams.from_torch(model, (8, 8, 4))
    assert "grid=true" in back


def test_a_grid_is_not_shifted():
    import pytest
    with pytest.raises(symparams.SymparamsError, match="grid"):
        symparams.parse("input 8 x 8 x 4\nwindowattention heads=2 window=2 shift=1 grid=true").evaluate()


def _swin_v2_facts(module, x, torch):
    """(parameters, buffers, FlopCounterMode's FLOPs of forward + backward, bytes of the tensors autograd saves,
    parameters and buffers left out) of one training step of `module` on x."""
    from torch.utils.flop_counter import FlopCounterMode
    weights = {t.untyped_storage().data_ptr() for t in list(module.parameters()) + list(module.buffers())}
    seen = {}

    def pack(tensor):
        if tensor.untyped_storage().data_ptr() not in weights:
            seen[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
        return tensor

    with FlopCounterMode(display=False) as counter, torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        module(x).sum().backward()
    return (sum(p.numel() for p in module.parameters()), sum(b.numel() for b in module.buffers()),
            counter.get_total_flops(), sum(seen.values()))


def test_swin_v2_attention_counts_costs_and_saves_what_torchvision_does():
    """torchvision's ShiftedWindowAttentionV2 (cpb_mlp 2 -> 512 -> heads, logit_scale) is `cpb=512 cosine=true`:
    its parameters, buffers, training FLOPs and saved bytes at batch 1 and 2, the position-bias MLP's share paid
    once per pass (batch 2 costs less than twice batch 1)."""
    torch = need_module("torch")
    need_module("torchvision")
    from symparams import cost
    from torchvision.models.swin_transformer import ShiftedWindowAttentionV2
    for size, c, heads, window, shift in ((8, 8, 2, 4, 0), (6, 12, 3, 4, 2), (5, 4, 1, 8, 0)):
        module = ShiftedWindowAttentionV2(c, [window, window], [shift, shift], heads).train()
        net = symparams.parse(f"input {size} x {size} x {c}\nwindowattention heads={heads} window={window} "
                              f"shift={shift} cpb=512 cosine=true", convention="pytorch")
        measured = []
        for batch in (1, 2):
            params, buffers, flops, saved = _swin_v2_facts(module, torch.randn(batch, size, size, c), torch)
            ours = cost.totals(net, ("train_flops", "act_train_bytes"),
                               cost.Options(batch=batch, device="cpu", loss="none"))
            assert (int(net.params), int(net.buffers)) == (params, buffers)
            assert (int(ours["train_flops"]), int(ours["act_train_bytes"])) == (flops, saved)
            measured.append(flops)
        assert measured[1] < 2 * measured[0]


def test_swin_v2_cr_attention_counts_costs_and_saves_what_timm_does():
    """timm's Swin-V2-CR WindowMultiHeadAttention (meta_mlp 2 -> 384 -> heads, both biased, over all W^4 pairs)
    is `cpb=384 cpb_form=pairs cosine=true`, run here on one window's W² positions: parameters, buffers, training
    FLOPs and saved bytes at batch 1 and 2 (at batch 1 one window's v is a view, not a copy)."""
    torch = need_module("torch")
    need_module("timm")
    from symparams import cost
    from timm.models.swin_transformer_v2_cr import WindowMultiHeadAttention
    from symparams.layers.windows import cr_options
    for c, heads, window in ((8, 2, 4), (6, 1, 3)):
        module = WindowMultiHeadAttention(c, heads, (window, window)).train()
        assert cr_options(module, "attn", "WindowMultiHeadAttention", torch.nn) == " cpb=384 cpb_form=pairs cosine=true"
        net = symparams.parse(f"input {window} x {window} x {c}\nwindowattention heads={heads} window={window} "
                              "cpb=384 cpb_form=pairs cosine=true", convention="pytorch")
        for batch in (1, 2):
            params, buffers, flops, saved = _swin_v2_facts(module, torch.randn(batch, window * window, c), torch)
            ours = cost.totals(net, ("train_flops", "act_train_bytes"),
                               cost.Options(batch=batch, device="cpu", loss="none"))
            assert (int(net.params), int(net.buffers)) == (params, buffers)
            assert (int(ours["train_flops"]), int(ours["act_train_bytes"])) == (flops, saved)


def test_swin_v2_forward_flops_count_the_mlp_once_per_pass():
    """The forward FLOPs of the exported layer under the flop counter at batch 1 and 3: the MLP's
    2·(2W-1)²·(2·H + H·h) FLOPs once, the rest per example (macs, flops and flops_token agree)."""
    torch = need_module("torch")
    from torch.utils.flop_counter import FlopCounterMode
    from symparams import cost
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    net = symparams.parse("input 6 x 6 x 8\nwindowattention heads=2 window=3 shift=1 bias=qv cpb=16 cosine=true",
                          convention="pytorch")
    model = run_source(export(net))["build"]()
    for batch in (1, 3):
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.randn(batch, 8, 6, 6))
        got = cost.totals(net, ("macs", "flops", "flops_token"), cost.Options(batch=batch))
        assert int(got["flops"]) == counter.get_total_flops() == 2 * int(got["macs"])
        assert got["flops_token"] * batch == got["flops"]
    once = 2 * 25 * (2 * 16 + 16 * 2)
    assert int(net.metric("flops")) - once == (int(cost.totals(net, ("flops",), cost.Options(batch=3))["flops"])
                                               - once) // 3


def test_swin_v2_attention_counts_what_timm_builds():
    """timm's Swin-V2 WindowAttention (learned q and v biases, a zero key bias buffer) is `bias=qv cpb=512
    cosine=true`, and imports back as that line."""
    torch = need_module("torch")
    need_module("timm")
    from timm.models.swin_transformer_v2 import WindowAttention
    from symparams.layers.windows import v2_options
    module = WindowAttention(12, (4, 4), num_heads=3)
    net = symparams.parse("input 8 x 8 x 12\nwindowattention heads=3 window=4 bias=qv cpb=512 cosine=true",
                          convention="pytorch")
    assert int(net.params) == sum(p.numel() for p in module.parameters())
    assert int(net.buffers) == sum(b.numel() for b in module.buffers())
    assert v2_options(module, "attn", "WindowAttention", torch.nn) == " cpb=512 cosine=true"


def test_swin_v2_exports_run_and_import_back():
    torch = need_module("torch")
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    text = "input 9 x 9 x 8\nwindowattention heads=2 window=4 shift=2 bias=qv cpb=32 cosine=true\n"
    net = symparams.parse(text, convention="pytorch")
    model = run_source(export(net))["build"]()
    assert tuple(model(torch.randn(2, 8, 9, 9)).shape) == (2, 8, 9, 9)
    back = symparams.from_torch(model, (9, 9, 8))
    assert "bias=qv cpb=32 cosine=true" in back
    again = symparams.parse(back, convention="pytorch")
    assert (int(again.params), int(again.buffers)) == (int(net.params), int(net.buffers))


def test_a_position_bias_mlp_needs_the_relative_bias_and_a_width():
    import pytest
    with pytest.raises(symparams.SymparamsError, match="cpb"):
        symparams.parse("input 8 x 8 x 4\nwindowattention heads=2 window=2 cpb=8 relbias=false").evaluate()
    with pytest.raises(symparams.SymparamsError, match="cpb=H"):
        symparams.parse("input 8 x 8 x 4\nwindowattention heads=2 window=2 cpb_form=pairs").evaluate()


def test_latex_derivation_letters_the_heads_window_and_mlp_width(tmp_path, capsys):
    """The derivation's general formula names heads h, window W and cpb's width H (the kind's `formula`)."""
    from symparams.cli import main
    path = tmp_path / "v2.arch"
    path.write_text("input 16 x 16 x 32\nwindowattention heads=2 window=8 cpb=512 cosine=true\n"
                    "windowattention heads=4 window=7\n")
    assert main(["latex", str(path), "--derivation"]) == 0
    out = capsys.readouterr().out
    assert r"h \cdot 1 \cdot 1 + H \cdot 2 + H + h \cdot H" in out
    assert r"\left(\left(2 W - 1\right)^{2}\right) \cdot h" in out
