"""reuse=NAME: a layer that runs an earlier layer's weights again (a PyTorch module called twice, a Keras
shared layer): counted once, compute per call; the PyTorch export calls the module again and check agrees;
the import writes a module's second call that way (issue 26: reused modules counted once, written as reuse)."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from symparams.errors import SymparamsError

SHARED = """input 28 x 28 x 8
conv2d 8 3 padding=same name=c1
relu
conv2d 8 3 padding=same reuse=c1
relu
conv2d 8 3 padding=same reuse=c1
"""


def test_a_reused_layer_adds_no_weights_and_keeps_its_compute():
    once = symparams.parse(SHARED, convention="pytorch").evaluate()
    assert int(once.params) == (3 * 3 * 8 + 1) * 8
    plain = symparams.parse(SHARED.replace(" reuse=c1", ""), convention="pytorch").evaluate()
    assert int(plain.params) == 3 * int(once.params)
    assert int(once.metric("macs")) == int(plain.metric("macs"))


@pytest.mark.parametrize("text,words", [
    ("input 10\ndense 10 name=a\ndense 5 reuse=a\n", "'a' is a dense with weights 10 x 10, 10, this layer's would be"),
    ("input 10\ndense 10 name=a\ndense 10 reuse=b\n", "no layer with weights named 'b' comes before it"),
    ("input 4 x 4 x 10\nconv2d 10 1 name=a\ndense 10 reuse=a\n", "'a' is a conv2d"),
])
def test_a_reuse_of_another_shape_or_name_is_a_located_error(text, words):
    with pytest.raises(SymparamsError) as info:
        symparams.parse(text, convention="pytorch").evaluate()
    assert words in str(info.value) and "3" in str(getattr(info.value, "line", "3"))


def test_the_pytorch_export_calls_the_module_again_and_check_agrees():
    need_module("torch")
    from symparams.frameworks import torch_export
    from symparams.engine.network import parse
    net = parse(SHARED, convention="pytorch")
    code = torch_export.export(net)
    assert code.count("self.c1(") == 3 and code.count("nn.Conv2d(") == 1
    import contextlib
    import io
    import tempfile
    from pathlib import Path

    from symparams import cli
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "shared.arch"
        path.write_text(SHARED)
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            status = cli.main(["check", str(path), "--against", "pytorch"])
    assert status == 0 and "all layers agree" in out.getvalue(), out.getvalue()


def test_the_keras_export_refuses_reuse_by_name():
    from symparams.engine.network import parse
    from symparams.frameworks import keras_export
    with pytest.raises(SymparamsError, match=r"reuse=c1 .* cannot be written as Keras"):
        keras_export.export(parse(SHARED, convention="keras"))


def test_a_module_called_six_times_imports_as_one_layer_and_five_reuses():
    torch = need_module("torch")
    nn = torch.nn

    class Recursive(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(8, 8, 3, 1, 1)

        def forward(self, x):
            for _ in range(3):
                x = torch.relu(self.conv1(x))
            return self.conv1(self.conv1(self.conv1(x)))

    model = Recursive()
    text = symparams.from_torch(model, (12, 12, 8))
    assert text.count("reuse=conv1") == 5 and text.count("conv ") == 6, text
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert int(net.params) == sum(p.numel() for p in model.parameters()) == 584


def test_the_call_written_first_owns_the_weights_whatever_the_trace_order():
    torch = need_module("torch")
    nn = torch.nn

    class Shared(nn.Module):            # the second call of l comes first in the file (add keeps operand order)
        def __init__(self):
            super().__init__()
            self.l, self.m = nn.Linear(8, 8), nn.Linear(8, 8)

        def forward(self, x):
            y = self.m(self.l(x))
            return self.l(x) + y

    model = Shared()
    text = symparams.from_torch(model, (8,))
    assert text.count("reuse=") == 1, text
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert int(net.params) == sum(p.numel() for p in model.parameters()) == 144
