"""moe experts=E top_k=K [shared=S] [router_bias] { body }: the exporters write every expert densely (the
first expert's layers under the rows' names, the others suffixed) and a MoECombine that takes each token's
top_k experts, softmax-weighted, plus the shared experts. The harness's composites include moe on
sequences (not for round trips: the importers do not read a mixture of experts back)."""

from __future__ import annotations

import numpy as np
import pytest

import symparams
from conftest import need_module
from harness import agree

SMALL = "seq=5,vocab=11,width=8,layers=2,heads=2,kv_heads=1,mlp_width=6,experts=4,top_k=2"
TEXT = "input 6x8\nmoe experts=3 top_k=2 shared=1 router_bias {\n    dense 5 gelu\n    dense 8\n}"


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
@pytest.mark.parametrize("text", [
    TEXT,
    "input 4x6\nmoe experts=4 top_k=1 { mul { dense 3 silu } { dense 3 }; dense 6 }\nsave a\n"
    "moe experts=2 top_k=2 shared=2 { add with a; dense 6 }",
    "input 7\nmoe experts=2 top_k=1 router_bias { dense 7 relu }",
])
def test_moe_exports_agree_per_layer(text, framework):
    agree(text, framework)


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
def test_the_zoo_mixtral_at_small_sizes_agrees(framework, tmp_path):
    """symparams check examples/zoo/mixtral_moe.arch --set <small sizes>, through the command line."""
    need_module("torch" if framework == "pytorch" else "keras")
    from symparams.cli import main
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "examples/zoo/mixtral_moe.arch"
    assert main(["check", str(path), "--against", framework, "--set", SMALL]) == 0


def _reference(x, router, experts, shared, top_k):
    """Per token, by loops: the softmax over the top_k router logits weighting those experts' outputs."""
    out = np.zeros_like(experts[0](x))
    logits = router(x)
    for index in np.ndindex(*x.shape[:-1]):
        chosen = np.argsort(-logits[index], kind="stable")[:top_k]
        w = np.exp(logits[index][chosen] - logits[index][chosen].max())
        w /= w.sum()
        out[index] = sum(wk * experts[k](x)[index] for wk, k in zip(w, chosen))
        out[index] += sum(s(x)[index] for s in shared)
    return out


def test_pytorch_moe_computes_top_k_routing():
    torch = need_module("torch")
    from symparams.frameworks import torch_export
    from symparams.frameworks.check import run_source
    ns = run_source(torch_export.export(symparams.parse(TEXT, convention="pytorch")))
    model, (router, a, b) = ns["build"](), ns["LAYERS"][1:4]
    m = model._modules
    def f(*names):
        def run(x):
            with torch.no_grad():
                y = torch.from_numpy(x)
                for name in names:
                    y = m[name](y)
                return y.numpy()
        return run
    experts = [f(a, b)] + [f(f"{a}_expert{k}", f"{b}_expert{k}") for k in (1, 2)]
    x = np.random.default_rng(1).standard_normal((2, 6, 8)).astype("float32")
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy()
    expected = _reference(x, f(router), experts, [f(f"{a}_shared0", f"{b}_shared0")], 2)
    assert np.allclose(y, expected, atol=1e-5)


def test_keras_moe_computes_top_k_routing():
    keras = need_module("keras")
    from symparams.frameworks import keras_export
    from symparams.frameworks.check import run_source
    ns = run_source(keras_export.export(symparams.parse(TEXT, convention="keras")))
    model, (router, a, b) = ns["build"](), ns["LAYERS"][1:4]
    def f(*names):
        def run(x):
            for name in names:
                x = keras.ops.convert_to_numpy(model.get_layer(name)(x))
            return x
        return run
    experts = [f(a, b)] + [f(f"{a}_expert{k}", f"{b}_expert{k}") for k in (1, 2)]
    x = np.random.default_rng(1).standard_normal((2, 6, 8)).astype("float32")
    y = keras.ops.convert_to_numpy(model(x))
    expected = _reference(x, f(router), experts, [f(f"{a}_shared0", f"{b}_shared0")], 2)
    assert np.allclose(y, expected, atol=1e-5)


def test_pytorch_refuses_a_moe_on_an_image():
    from symparams.frameworks import torch_export
    net = symparams.parse("input 4x4x3\nmoe experts=2 top_k=1 { dense 3 }", convention="pytorch")
    with pytest.raises(symparams.SymparamsError, match="image"):
        torch_export.export(net)
