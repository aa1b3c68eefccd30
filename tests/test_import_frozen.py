"""Frozen weights: `trainable=false` on a weighted layer keeps its parameters in the total and out of the
trainable count, in summary, in both exports and back through import (PyTorch requires_grad=False, Keras
trainable=False), where the import used to count a frozen backbone as trained."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from symparams.errors import SymparamsError
from symparams.frameworks import keras_export, torch_export

FROZEN = """
input 16 x 16 x 3
conv 8 3x3 padding=1 bias=false trainable=false
batchnorm trainable=false
relu
conv 8 3x3 padding=1
batchnorm
relu
globalavgpool
dense 10 trainable=false
dense 4
"""


def test_trainable_false_moves_a_layer_to_non_trainable():
    for convention, stats in (("pytorch", 0), ("keras", 2 * 8 * 2)):
        net = symparams.parse(FROZEN, convention=convention).evaluate()
        frozen = 8 * 27 + 2 * 8 + 8 * 10 + 10
        assert int(net.params) - int(net.trainable_params) == frozen + stats
        assert int(net.non_trainable_params) == frozen + stats


def test_trainable_false_on_a_layer_without_weights_is_a_located_error():
    with pytest.raises(SymparamsError, match="relu has no weights to freeze") as info:
        symparams.parse("input 8\nrelu trainable=false\n").evaluate()
    assert info.value.line == 2


def _resnet18(torch):
    """torchvision's resnet18, written out: BasicBlocks with a shared in-place ReLU and `out += identity`."""
    nn = torch.nn

    class Basic(nn.Module):
        def __init__(self, cin, c, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(c)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(c)
            self.downsample = None
            if stride != 1 or cin != c:
                self.downsample = nn.Sequential(nn.Conv2d(cin, c, 1, stride, bias=False), nn.BatchNorm2d(c))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += identity
            return self.relu(out)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            widths, cin, stages = (64, 128, 256, 512), 64, []
            for k, c in enumerate(widths):
                stages.append(nn.Sequential(Basic(cin, c, 1 if k == 0 else 2), Basic(c, c, 1)))
                cin = c
            self.layer1, self.layer2, self.layer3, self.layer4 = stages
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, 1000)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return ResNet()


def test_a_frozen_backbone_imports_with_pytorchs_trainable_count():
    """Issue 26: a ResNet-18 with everything but layer4 and the head frozen imported as all trained."""
    torch = need_module("torch")
    model = _resnet18(torch)
    for name, p in model.named_parameters():
        p.requires_grad = name.startswith(("layer4.", "fc."))
    text = symparams.from_torch(model, (64, 64, 3))
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert int(net.params) == sum(p.numel() for p in model.parameters()) == 11_689_512
    assert int(net.trainable_params) == sum(p.numel() for p in model.parameters() if p.requires_grad) \
        == 8_906_728
    # and the file goes back out: the exported module freezes the same layers
    scope = {}
    exec(compile(torch_export.export(net), "<export>", "exec"), scope)
    built = scope["build"]()
    assert sum(p.numel() for p in built.parameters() if p.requires_grad) == int(net.trainable_params)


def _partly_frozen_torch(torch):
    """An LSTM with its input-side bias and its recurrent weight frozen, a Linear with its weight frozen."""
    nn = torch.nn

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(4, 5, batch_first=True)
            self.rnn.bias_ih_l0.requires_grad_(False)
            self.rnn.weight_hh_l0.requires_grad_(False)
            self.head = nn.Linear(5, 3)
            self.head.weight.requires_grad_(False)

        def forward(self, x):
            x, _ = self.rnn(x)
            return self.head(x)

    return Tagger()


def test_some_weights_of_a_module_frozen_import_as_frozen_and_go_back_out():
    """frozen=NAME: PyTorch's requires_grad=False on one parameter, imported, counted and exported back."""
    torch = need_module("torch")
    model = torch.nn.Sequential(torch.nn.Conv1d(4, 6, 3), torch.nn.ReLU(), torch.nn.Conv1d(6, 6, 1),
                                torch.nn.Flatten(), torch.nn.Linear(36, 3))
    model[0].bias.requires_grad_(False)
    model[4].weight.requires_grad_(False)
    text = symparams.from_torch(model, (8, 4))
    assert "frozen=bias" in text and "frozen=weight" in text, text
    net = symparams.parse(text, convention="pytorch").evaluate()
    trained = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert (int(net.params), int(net.trainable_params)) == (sum(p.numel() for p in model.parameters()), trained)
    scope = {}
    exec(compile(torch_export.export(net), "<export>", "exec"), scope)
    built = scope["build"]()
    assert [p.requires_grad for p in built.parameters()] == [p.requires_grad for p in model.parameters()]
    # the optimiser's state and the gradients follow the trained weights: Adam keeps two values per trained one
    optimizer = torch.optim.Adam([p for p in built.parameters() if p.requires_grad])
    built(torch.ones(2, 8, 4)).sum().backward()     # the exported module reads channels last
    optimizer.step()
    state = sum(v.numel() * v.element_size() for s in optimizer.state.values() for v in s.values())
    grads = sum(p.grad.numel() * p.grad.element_size() for p in built.parameters() if p.grad is not None)
    from symparams import cost
    got = cost.totals(net, ("grad_bytes", "optim_bytes"), cost.Options(optimizer="adam", batch=2))
    assert (int(got["grad_bytes"]), int(got["optim_bytes"])) == (grads, state) and grads == 4 * trained


@pytest.mark.parametrize("frozen", [("out_proj.weight",), ("in_proj_bias", "out_proj.bias"), ("in_proj_weight",)])
def test_a_dotted_parameter_of_a_module_frozen_imports_by_its_full_name(frozen):
    """nn.MultiheadAttention holds weights of its own and in a child (out_proj.weight): freezing one of the
    child's is written by the full, quoted name (the short 'weight' is not the layer's), reads back, and counts
    PyTorch's trainable parameters."""
    torch = need_module("torch")
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.att = nn.MultiheadAttention(16, 2, batch_first=True)
            self.fc = nn.Linear(16, 4)

        def forward(self, x):
            y, _ = self.att(x, x, x)
            return self.fc(y)

    model = Block()
    for name in frozen:
        model.att.get_parameter(name).requires_grad_(False)
    text = symparams.from_torch(model, (5, 16))
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert (int(net.params), int(net.trainable_params)) == (
        sum(p.numel() for p in model.parameters()), sum(p.numel() for p in model.parameters() if p.requires_grad))


def test_frozen_names_the_weights_of_several_kinds_against_pytorch():
    torch = need_module("torch")
    model = _partly_frozen_torch(torch)
    text = symparams.from_torch(model, (8, 4))
    assert "frozen=(weight_hh_l0, bias_ih_l0)" in text or "frozen=(bias_ih_l0, weight_hh_l0)" in text, text
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert (int(net.params), int(net.trainable_params)) == (
        sum(p.numel() for p in model.parameters()), sum(p.numel() for p in model.parameters() if p.requires_grad))
    scope = {}
    exec(compile(torch_export.export(net), "<export>", "exec"), scope)
    built = scope["build"]()
    assert sorted(p.numel() for p in built.parameters() if not p.requires_grad) == \
        sorted(p.numel() for p in model.parameters() if not p.requires_grad)


def test_frozen_is_checked_against_the_layer_and_refused_where_it_has_no_form():
    with pytest.raises(SymparamsError, match="dense frozen=gamma: the layer has no weight 'gamma'") as info:
        symparams.parse("input 8\ndense 4\ndense 2 frozen=gamma\n").evaluate()
    assert info.value.line == 3
    # PyTorch's and Keras' words for the same weight name it under either convention
    for convention in ("keras", "pytorch"):
        net = symparams.parse("input 4x4x3\nbatchnorm frozen=weight\ndense 2 frozen=kernel\n",
                              convention=convention).evaluate()
        assert int(net.trainable_params) == 3 + 2, convention
    with pytest.raises(SymparamsError, match="frozen= with trainable=false"):
        symparams.parse("input 8\ndense 2 frozen=bias trainable=false\n").evaluate()
    with pytest.raises(SymparamsError, match="frozen= takes the name of a weight"):
        symparams.parse("input 8\ndense 2 frozen=3\n").evaluate()
    # PyTorch's LSTM has two bias vectors per gate, Keras' one: no Keras form of freezing one of them
    net = symparams.parse("convention pytorch\ninput 5 x 8\nlstm 4 frozen=bias_ih_l0\n").evaluate()
    with pytest.raises(SymparamsError, match="lstm_1 \\(line 3\\): frozen= on lstm names weights Keras lays out"):
        keras_export.export(net)


def test_a_keras_variable_frozen_imports_as_frozen_and_goes_back_out():
    keras = need_module("keras")
    from keras import layers
    model = keras.Sequential([keras.Input((6,)), layers.Dense(4, name="a"), layers.Dense(2, name="b")])
    model.get_layer("a").bias.trainable = False
    text = symparams.from_keras(model)
    assert "frozen=bias" in text, text
    net = symparams.parse(text, convention="keras").evaluate()
    trained = sum(int(w.numpy().size) for w in model.trainable_weights)
    assert (int(net.params), int(net.trainable_params)) == (model.count_params(), trained) == (38, 34)
    scope = {}
    exec(compile(keras_export.export(net), "<export>", "exec"), scope)
    built = scope["build"]()
    assert sum(int(w.numpy().size) for w in built.trainable_weights) == trained


def test_a_frozen_keras_layer_imports_as_trainable_false():
    keras = need_module("keras")
    from keras import layers
    model = keras.Sequential([keras.Input((8, 8, 3)), layers.Conv2D(4, 3, name="c"), layers.BatchNormalization(),
                              layers.GlobalAveragePooling2D(), layers.Dense(2)])
    model.layers[0].trainable = False
    model.layers[1].trainable = False
    text = symparams.from_keras(model)
    assert text.count("trainable=false") == 2
    net = symparams.parse(text, convention="keras").evaluate()
    assert int(net.params) == model.count_params()
    assert int(net.trainable_params) == sum(int(w.numpy().size) for w in model.trainable_weights) == 10
    scope = {}
    exec(compile(keras_export.export(net), "<export>", "exec"), scope)
    built = scope["build"]()
    assert sum(int(w.numpy().size) for w in built.trainable_weights) == 10


@pytest.mark.parametrize("text", [
    "input 5x8\ndense 6 trainable=false\ndense 3",                 # a frozen first layer: no backward at all
    "input 5x8\ndense 6 frozen=weight\ndense 3",                   # its bias trained: still no weight gradient
    "input 5x8\ndense 6\ndense 4 trainable=false\ndense 3",        # frozen in the middle: the input gradient only
    "input 6x6x3\nconv 4 3x3\nconv 4 3x3 frozen=weight\nconv 2 1x1",
    "input 6x6x3\nconv 4 3x3 frozen=bias\nconv 2 1x1",
    "input 5x8\nlstm 4 frozen=(weight_ih_l0, weight_hh_l0) return_sequences\ndense 3",   # the biases still train
    "input 5x8\ndense 8\ngru 4 frozen=weight_hh_l0 bidirectional return_sequences\ndense 3",
])
def test_training_flops_skip_the_gradients_of_frozen_weights(text):
    """Against torch.utils.flop_counter on the exported module (forward and loss.backward()): autograd computes
    no gradient for a frozen weight, and nothing at all for a layer nothing before or in it trains."""
    need_module("torch")
    from test_training_cost import counted_training_flops, ours
    net = symparams.parse("convention pytorch\n" + text).evaluate()
    assert ours(net) == counted_training_flops(net)
