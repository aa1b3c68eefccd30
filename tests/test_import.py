"""Import: from_torch / from_keras give DSL text whose network matches the framework's model;
export -> build -> import gives back the same network (per-layer counts and shapes)."""

from __future__ import annotations

import symparams
from conftest import need_module
from harness import round_trip      # (the property round trips live in tests/kinds/test_differential.py)

RESIDUAL = """
input 16x16x3
conv 8 3x3 padding=1 bias=false name=stem
batchnorm
relu
repeat 2 {
  residual { conv 8 3x3 padding=1 bias=false; batchnorm; relu; conv 8 3x3 padding=1 bias=false; batchnorm }
  relu
}
residual { conv 16 3x3 stride=2 padding=1; batchnorm } shortcut { conv 16 1x1 stride=2; batchnorm }
concat { } { conv 4 1x1 relu }
globalavgpool
dense 10 softmax
"""


def test_round_trip_of_a_residual_network_both_frameworks():
    for framework in ("pytorch", "keras"):
        need_module("torch" if framework == "pytorch" else "keras")
        back = round_trip(RESIDUAL, framework)
        assert back.count("residual {") == 3 and "shortcut {" in back and "concat { } {" in back


def test_from_torch_sequential_matches_torch_count():
    torch = need_module("torch")
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3),
                          nn.BatchNorm2d(32), nn.ReLU(), nn.Flatten(), nn.Linear(32 * 6 * 6, 10))
    text = symparams.from_torch(model, (16, 16, 3))
    net = symparams.parse(text, convention="pytorch")
    assert int(net.params) == sum(p.numel() for p in model.parameters())
    out = model(torch.zeros(1, 3, 16, 16))
    assert tuple(int(d) for d in net.output_shape) == tuple(out.shape[1:])


def test_from_keras_sequential_matches_keras_count():
    keras = need_module("keras")
    from keras import layers
    model = keras.Sequential([keras.Input((20, 6)), layers.Conv1D(8, 3, activation="relu"), layers.LSTM(5),
                              layers.Dense(3, activation="softmax")])
    text = symparams.from_keras(model)
    net = symparams.parse(text, convention="keras")
    assert int(net.params) == model.count_params()
    assert tuple(int(d) for d in net.output_shape) == (3,)


def test_generalize_turns_chosen_numbers_into_symbols():
    torch = need_module("torch")
    nn = torch.nn

    def model(f):
        return nn.Sequential(nn.Conv2d(3, f, 3), nn.ReLU(), nn.Conv2d(f, 2 * f, 3), nn.Flatten(),
                             nn.Linear(2 * f * 4 * 4, 10))

    text = symparams.from_torch(model(8), (8, 8, 3), generalize={"filters": "f", "input": "n"})
    assert "let f = 8" in text and "2*f" in text and "input n x n x 3" in text
    net = symparams.parse(text, convention="pytorch")
    assert {s.name for s in net.symbols} == {"f", "n"}
    for f in (8, 12, 32):
        assert int(net.subs(f=f, n=8).params) == sum(p.numel() for p in model(f).parameters())


def test_from_torch_reads_a_hand_written_resnet():
    """torchvision-style code: a shared nn.ReLU, `out += identity`, AdaptiveAvgPool2d + torch.flatten."""
    torch = need_module("torch")
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
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            return self.relu(out)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 7, 2, 3, bias=False)
            self.layer1 = nn.Sequential(Basic(8, 8, 1), Basic(8, 16, 2))
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(16, 10)

        def forward(self, x):
            x = self.layer1(self.stem(x))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    model = Net()
    text = symparams.from_torch(model, (32, 32, 3))
    assert text.count("residual {") == 2 and text.count("shortcut {") == 1
    net = symparams.parse(text, convention="pytorch")
    assert int(net.params) == sum(p.numel() for p in model.parameters())
    stem_out = model.stem(torch.zeros(1, 3, 32, 32))
    assert tuple(int(d) for d in net.layers[1].output_shape) == tuple(stem_out.shape[2:]) + (8,)


def test_from_keras_reads_keras_applications():
    """keras.applications.ResNet50 (published: 25,636,712 parameters) and MobileNetV2 (3,538,984),
    built without weights, come back as DSL with the framework's own counts and output shape."""
    keras = need_module("keras")
    for build, published in ((keras.applications.ResNet50, 25_636_712),
                             (keras.applications.MobileNetV2, 3_538_984)):
        model = build(weights=None, input_shape=(64, 64, 3))
        text = symparams.from_keras(model)
        net = symparams.parse(text, convention="keras")
        assert int(net.params) == model.count_params() == published
        assert tuple(int(d) for d in net.output_shape) == (1000,)
