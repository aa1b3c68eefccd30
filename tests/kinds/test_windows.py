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
        text += " bias=false"
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
