"""PyTorch (and ONNX) import of the graphs real models make (issue 26): squeeze-and-excitation with its
pooled 1x1 map, x.mean over the spatial axes, in-place activations, stochastic depth, ceil_mode average
pooling (ResNet-D), DenseNet's cat of a list. Each model is written by hand as torchvision writes it; each
import must read back and count exactly what PyTorch counts, with the same output shape."""

from __future__ import annotations

import contextlib
import io
import warnings

import symparams
from conftest import need_module


def _exact(model, shape, torch):
    text = symparams.from_torch(model, shape)
    net = symparams.parse(text, convention="pytorch").evaluate()      # the file reads back
    assert int(net.params) == sum(p.numel() for p in model.parameters()), text
    assert int(net.trainable_params) == sum(p.numel() for p in model.parameters() if p.requires_grad), text
    layout = (shape[-1],) + tuple(shape[:-1]) if len(shape) >= 3 else tuple(shape)
    out = tuple(model.eval()(torch.zeros((2,) + layout)).shape[1:])
    out = out[1:] + out[:1] if len(out) >= 3 else out        # channels last, as symparams writes shapes
    assert tuple(int(d) for d in net.output_shape if int(d) != 1) == tuple(d for d in out if d != 1), text
    return text


def _models(torch):
    nn, F = torch.nn, torch.nn.functional

    class SqueezeExcitation(nn.Module):          # torchvision.ops.SqueezeExcitation
        def __init__(self, c, squeeze):
            super().__init__()
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc1, self.fc2 = nn.Conv2d(c, squeeze, 1), nn.Conv2d(squeeze, c, 1)
            self.activation, self.scale_activation = nn.ReLU(), nn.Sigmoid()

        def forward(self, x):
            s = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
            return s * x

    class StochasticDepth(nn.Module):            # torchvision.ops.StochasticDepth: identity when evaluated
        def __init__(self, p):
            super().__init__()
            self.p = p

        def forward(self, x):
            return x

    class MBConv(nn.Module):                     # EfficientNet's block: expand, depthwise, SE, project
        def __init__(self, c):
            super().__init__()
            self.expand = nn.Sequential(nn.Conv2d(c, 4 * c, 1, bias=False), nn.BatchNorm2d(4 * c), nn.SiLU(inplace=True))
            self.dw = nn.Sequential(nn.Conv2d(4 * c, 4 * c, 3, padding=1, groups=4 * c, bias=False),
                                    nn.BatchNorm2d(4 * c), nn.SiLU(inplace=True))
            self.se = SqueezeExcitation(4 * c, c // 4)
            self.project = nn.Sequential(nn.Conv2d(4 * c, c, 1, bias=False), nn.BatchNorm2d(c))
            self.stochastic_depth = StochasticDepth(0.2)

        def forward(self, x):
            return self.stochastic_depth(self.project(self.se(self.dw(self.expand(x))))) + x

    class EfficientNetish(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.SiLU(inplace=True))
            self.blocks = nn.Sequential(MBConv(16), MBConv(16))
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Sequential(nn.Dropout(0.2, inplace=True), nn.Linear(16, 10))

        def forward(self, x):
            return self.classifier(torch.flatten(self.avgpool(self.blocks(self.stem(x))), 1))

    class ResNetD(nn.Module):                    # an avg-pool shortcut with ceil_mode, functional in-place relu
        def __init__(self):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8)
            self.body = nn.Sequential(nn.Conv2d(8, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16))
            self.down = nn.Sequential(nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False),
                                      nn.Conv2d(8, 16, 1, bias=False), nn.BatchNorm2d(16))
            self.fc = nn.Linear(16, 4)

        def forward(self, x):
            x = F.relu(self.bn1(self.conv1(x)), inplace=True)
            x = F.relu(self.body(x) + self.down(x))
            return self.fc(x.mean((2, 3)))

    class DenseLayer(nn.Module):                 # torchvision's _DenseLayer: cat of the list of features so far
        def __init__(self, cin, growth):
            super().__init__()
            self.norm1, self.relu1 = nn.BatchNorm2d(cin), nn.ReLU(inplace=True)
            self.conv1 = nn.Conv2d(cin, growth, 3, padding=1, bias=False)

        def forward(self, inputs):
            return self.conv1(self.relu1(self.norm1(torch.cat(inputs, 1))))

    class DenseNetish(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3, padding=1)
            self.layers = nn.ModuleList([DenseLayer(8 + 4 * k, 4) for k in range(3)])
            self.fc = nn.Linear(20, 3)

        def forward(self, x):
            features = [self.stem(x)]
            for layer in self.layers:
                features.append(layer(features))
            x = F.relu(torch.cat(features, 1), inplace=True)
            return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, (1, 1)), 1))

    return EfficientNetish(), ResNetD(), DenseNetish()


def test_real_graph_constructs_import_exactly_and_read_back():
    torch = need_module("torch")
    efficient, resnet_d, dense = _models(torch)
    text = _exact(efficient, (32, 32, 3), torch)
    assert "globalavgpool keepdims" in text and "identity" in text
    assert "avgpool 2 ceil_mode" in _exact(resnet_d, (15, 15, 3), torch)
    _exact(dense, (8, 8, 3), torch)


def test_squeeze_excitation_through_onnx_reads_back():
    torch = need_module("torch")
    need_module("onnx")
    import onnx

    from symparams.frameworks.onnx_import import from_onnx
    efficient, resnet_d, _ = _models(torch)
    for model, shape in ((efficient, (32, 32, 3)), (resnet_d, (15, 15, 3))):
        buffer = io.BytesIO()
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            torch.onnx.export(model.eval(), (torch.zeros(1, shape[-1], *shape[:-1]),), buffer, dynamo=False,
                              training=torch.onnx.TrainingMode.PRESERVE)
        text = from_onnx(onnx.load_from_string(buffer.getvalue()))
        net = symparams.parse(text, convention="pytorch").evaluate()
        assert int(net.params) == sum(p.numel() for p in model.parameters()), text


def test_free_tensors_unused_parameters_and_a_bare_layer_are_counted_as_pytorch_counts():
    """torchinfo's fixtures: an nn.Parameter added in forward (ViT's position table), a frozen one and a buffer
    multiplied in, a layer the module owns but never calls, a bare nn.Linear / nn.Conv2d as the whole model."""
    torch = need_module("torch")
    nn = torch.nn

    class Free(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 8)
            self.pos = nn.Parameter(torch.zeros(1, 5, 8))
            self.unused = nn.Linear(3, 3)
            self.register_buffer("mask", torch.ones(8))
            self.scale = nn.Parameter(torch.ones(8), requires_grad=False)

        def forward(self, x):
            return (self.fc(x) + self.pos) * self.mask * self.scale

    class Gamma(nn.Module):                      # a channels-first per-channel scale
        def __init__(self):
            super().__init__()
            self.c = nn.Conv2d(3, 6, 3)
            self.gamma = nn.Parameter(torch.ones(1, 6, 1, 1))

        def forward(self, x):
            return torch.relu(self.c(x)) * self.gamma

    text = _exact(Free(), (5, 4), torch)
    assert "parameter 5 x 8 name=pos" in text and "buffer=true" in text and "trainable=false" in text
    assert "name=unused_weight" in text and "use t_output" in text
    assert "parameter 1 x 1 x 6" in _exact(Gamma(), (8, 8, 3), torch)
    # a bare layer: the convention line, the input, then the layer itself
    lines = _exact(nn.Linear(4, 3), (4,), torch).splitlines()
    assert lines[:2] == ["convention pytorch", "input 4"] and lines[2].startswith("dense 3")
    assert _exact(nn.Conv2d(3, 4, 3), (6, 6, 3), torch).splitlines()[2].startswith("conv 4 3")


def test_a_free_tensor_used_otherwise_is_refused_by_name():
    torch = need_module("torch")
    nn = torch.nn

    class MatMul(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(4, 4))

        def forward(self, x):
            return x @ self.w.t()       # x @ self.w alone reads as a dense layer (tests/test_torchinfo_models.py)

    import pytest
    with pytest.raises(symparams.SymparamsError, match="'w'"):
        symparams.from_torch(MatMul(), (4,))


def test_a_channel_split_by_torch_split_and_nn_channel_shuffle():
    torch = need_module("torch")
    nn = torch.nn

    class Split(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 12, 1)
            self.branch = nn.Conv2d(8, 8, 3, padding=1)
            self.shuffle = nn.ChannelShuffle(4)

        def forward(self, x):
            a, b = torch.split(self.conv(x), [4, 8], dim=1)
            return self.shuffle(torch.cat([a, self.branch(b)], 1))

    text = _exact(Split(), (6, 6, 3), torch)
    assert "slice 4 " in text and "slice 8 start=4" in text and "shuffle 4" in text


def test_shufflenet_units_through_onnx_read_back_with_slices_and_shuffles():
    """Issue 26: the channel shuffle's 5-D Reshape was refused; the split halves are Slices of the channels."""
    torch = need_module("torch")
    need_module("onnx")
    import onnx

    from symparams.frameworks.onnx_import import from_onnx
    nn = torch.nn

    class Unit(nn.Module):                       # torchvision's stride-1 InvertedResidual
        def __init__(self, c):
            super().__init__()
            self.branch2 = nn.Sequential(nn.Conv2d(c // 2, c // 2, 1, bias=False), nn.BatchNorm2d(c // 2),
                                         nn.ReLU(inplace=True))

        def forward(self, x):
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
            b, c, h, w = out.size()
            out = out.view(b, 2, c // 2, h, w)
            return torch.transpose(out, 1, 2).contiguous().view(b, -1, h, w)

    model = nn.Sequential(nn.Conv2d(3, 8, 3), Unit(8), Unit(8)).eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 3, 10, 10),), buffer, dynamo=False,
                          training=torch.onnx.TrainingMode.PRESERVE)
    text = from_onnx(onnx.load_from_string(buffer.getvalue()))
    assert text.count("shuffle 2") == 2 and "slice 4 start=4" in text, text
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert int(net.params) == sum(p.numel() for p in model.parameters())
    assert tuple(int(d) for d in net.output_shape) == (8, 8, 8)
