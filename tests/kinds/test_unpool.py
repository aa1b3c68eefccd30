"""maxunpool: the harness's generator (a max pool keeping its indices, then the unpooling that reads them),
and the kind against PyTorch's nn.MaxUnpool: output sizes, values, and the import of a model that pools with
return_indices=True and unpools with the indices (torchinfo's autoencoder)."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import kind, size_text


@kind("maxunpool", ranks=(2, 3, 4))
def maxunpool(b):
    name = f"pool{b.integer(0, 10**6)}"
    pool = b.pick([2, 3] if min(b.shape[:-1]) >= 3 else [2])
    if min(b.shape[:-1]) < pool:
        return None
    stride = b.pick([pool, pool - 1]) if pool > 2 else pool
    if any((d - pool) % stride for d in b.shape[:-1]):
        # the unpooled map must be the pooled one's size again, or an index may fall outside it (PyTorch's
        # MaxUnpool then needs output_size, which symparams does not take)
        return None
    opts = f" stride={stride}" if stride != pool else ""
    return [f"maxpool {pool}{opts} name={name}", f"maxunpool {pool}{opts} indices={name}"]


@pytest.mark.parametrize("shape, pool, stride, padding", [((8, 8, 3), 2, 2, 0), ((9, 7, 2), 3, 2, 1), ((11, 4), 3, 1, 0),
                                                          ((5, 6, 4, 2), 2, 2, 0)])
def test_maxunpool_sizes_are_pytorchs(shape, pool, stride, padding):
    torch = need_module("torch")
    n = len(shape) - 1
    net = symparams.parse(f"input {size_text(shape)}\nmaxunpool {pool} stride={stride} padding={padding}",
                          convention="pytorch")
    unpool = getattr(torch.nn, f"MaxUnpool{n}d")(pool, stride, padding)
    x = torch.randn((1, shape[-1]) + shape[:-1])
    indices = torch.zeros_like(x, dtype=torch.long)
    y = unpool(x, indices)
    assert tuple(int(d) for d in net.output_shape) == tuple(y.shape[2:]) + (shape[-1],)
    assert net.params == 0


def test_exported_pair_undoes_the_pooling_where_the_maxima_were():
    torch = need_module("torch")
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    net = symparams.parse("input 6x6x2\nmaxpool 2 name=p\nmaxunpool 2 indices=p", convention="pytorch")
    model = run_source(export(net))["build"]()
    x = torch.randn(3, 2, 6, 6)
    pooled, indices = torch.nn.functional.max_pool2d(x, 2, return_indices=True)
    assert torch.equal(model(x), torch.nn.functional.max_unpool2d(pooled, indices, 2))


def test_torchinfos_autoencoder_imports_exactly():
    """Conv, MaxPool2d(return_indices=True), MaxUnpool2d(pooled, indices), conv: 883 parameters."""
    need_module("torch")
    import torchinfo_models
    model = torchinfo_models.autoencoder()
    text = symparams.from_torch(model, (64, 64, 3))
    assert "maxunpool 2 indices=pool" in text, text
    net = symparams.parse(text, convention="pytorch")
    assert net.params == sum(p.numel() for p in model.parameters()) == 883
    assert tuple(int(d) for d in net.output_shape) == (64, 64, 3)


def test_indices_used_elsewhere_and_an_unnamed_unpool_are_refused_by_name():
    torch = need_module("torch")
    nn = torch.nn

    class Both(nn.Module):
        def __init__(self):
            super().__init__()
            self.pool = nn.MaxPool2d(2, return_indices=True)

        def forward(self, x):
            pooled, indices = self.pool(x)
            return pooled + indices.float()

    with pytest.raises(symparams.SymparamsError, match="indices of the max pooling 'pool'"):
        symparams.from_torch(Both(), (4, 4, 2))
    from symparams.frameworks.torch_export import export
    with pytest.raises(symparams.SymparamsError, match="indices=NAME"):
        export(symparams.parse("input 4x4x2\nmaxpool 2\nmaxunpool 2", convention="pytorch"))
    with pytest.raises(symparams.SymparamsError, match="Keras has no max unpooling"):
        from symparams.frameworks.keras_export import export as keras_export
        keras_export(symparams.parse("input 4x4x2\nmaxpool 2 name=p\nmaxunpool 2 indices=p"))
