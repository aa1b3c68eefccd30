"""Small PyTorch modules equivalent to the models in torchinfo's own test suite (TylerYep/torchinfo,
tests/fixtures/models.py and the models tests/torchinfo_test.py builds inline), written here from their
descriptions: same layers, same sizes, same forward constructs (functional pooling, free parameters,
reused modules, several inputs, tuple and dict outputs, ...), so their parameter totals are the ones
torchinfo's expected outputs print. Each factory takes no argument: `symparams import
torchinfo_models:<factory> --input-shape ...` builds it (tests/test_torchinfo_models.py)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class _SingleInput(nn.Module):
    """MNIST CNN: two 5x5 convolutions with functional max pooling, dropout, two linears."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 10, 5), nn.Conv2d(10, 20, 5)
        self.conv2_drop = nn.Dropout2d(0.3)
        self.fc1, self.fc2 = nn.Linear(320, 50), nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = F.relu(self.fc1(x.view(-1, 320)))
        return F.log_softmax(self.fc2(x), dim=1)


class _TwoInputs(nn.Module):
    """Two linear towers, one per input, concatenated along the batch."""

    def __init__(self):
        super().__init__()
        self.fc1a, self.fc1b = nn.Linear(300, 50), nn.Linear(50, 10)
        self.fc2a, self.fc2b = nn.Linear(300, 50), nn.Linear(50, 10)

    def forward(self, x1, x2):
        a = self.fc1b(F.relu(self.fc1a(x1)))
        b = self.fc2b(F.relu(self.fc2a(x2.type(torch.float))))
        return F.log_softmax(torch.cat((a, b), 0), dim=1)


class _LSTMNet(nn.Module):
    """Embedding, a two-layer LSTM (sequence first), a linear decoder; returns the output and the state."""

    def __init__(self, vocab=20, embed=300, hidden=512, layers=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.encoder = nn.LSTM(embed, hidden, num_layers=layers)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, x):
        out, state = self.encoder(self.embedding(x))
        out = self.decoder(out)
        return out.view(-1, out.size(2)), state


class _Recursive(nn.Module):
    """One 3x3 convolution applied six times."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(64, 64, 3, 1, 1)

    def forward(self, x):
        for _ in range(6):
            x = self.conv1(x)
        return x


class _CustomParameter(nn.Module):
    """forward returns a parameter, ignoring its input."""

    def __init__(self, input_size=8, attention_size=4):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(attention_size, input_size))

    def forward(self, x):
        return self.weight


class _ParameterList(nn.Module):
    """A ParameterList never read in forward."""

    def __init__(self):
        super().__init__()
        self.weights = nn.ParameterList([nn.Parameter(torch.zeros(100, 100)), nn.Parameter(torch.zeros(100, 200))])

    def forward(self, x):
        return x


class _Siamese(nn.Module):
    """The same convolutional tower and fc1 run on two inputs; |a - b| into fc2."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 64, 10), nn.Conv2d(64, 128, 7)
        self.conv3, self.conv4 = nn.Conv2d(128, 128, 4), nn.Conv2d(128, 256, 4)
        self.pooling = nn.MaxPool2d(2, 2)
        self.fc1, self.fc2 = nn.Linear(256, 4096), nn.Linear(4096, 1)
        self.dropout = nn.Dropout(0.5)

    def tower(self, x):
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            x = self.pooling(F.relu(conv(x)))
        return self.fc1(x.view(x.size(0), -1))

    def forward(self, x1, x2):
        return torch.sigmoid(self.fc2(self.dropout(torch.abs(self.tower(x1) - self.tower(x2)))))


class _ModuleDict(nn.Module):
    """Layers picked from ModuleDicts by name; the PReLU is never used with these choices."""

    def __init__(self):
        super().__init__()
        self.choices = nn.ModuleDict({"conv": nn.Conv2d(10, 10, 3), "pool": nn.MaxPool2d(3)})
        self.activations = nn.ModuleDict({"lrelu": nn.LeakyReLU(), "prelu": nn.PReLU()})

    def forward(self, x):
        return self.activations["lrelu"](self.choices["conv"](x))


class _Child(nn.Module):
    def __init__(self):
        super().__init__()
        self._sequential = nn.Sequential(nn.Linear(5, 5), nn.Linear(5, 5))
        self._between = nn.Linear(5, 5)

    def forward(self, x):
        out = self._between(self._sequential(x))
        for layer in self._sequential:
            out = layer(out)
        out = self._sequential(x)
        for layer in self._sequential:
            out = layer(out)
        return out


class _Container(nn.Module):
    """A ModuleList holding linears and a child that calls its Sequential and its layers several times."""

    def __init__(self):
        super().__init__()
        self._layers = nn.ModuleList([nn.Linear(5, 5), _Child(), nn.Linear(5, 5)])

    def forward(self, x):
        for layer in self._layers:
            x = layer(x)
        return x


class _AutoEncoder(nn.Module):
    """Conv, max pooling that returns its indices, max unpooling with them, conv."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU())
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2, 2)
        self.decode = nn.Sequential(nn.Conv2d(16, 3, 3, padding=1), nn.ReLU())

    def forward(self, x):
        x = self.encoder(x)
        pooled, indices = self.pool(x)
        return self.decode(self.unpool(pooled, indices))


class _MixedTrainableParameters(nn.Module):
    """w * x + b with b frozen."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(10))
        self.b = nn.Parameter(torch.zeros(10), requires_grad=False)

    def forward(self, x):
        return self.w * x + self.b


class _MixedTrainable(nn.Module):
    """Three 1x1 Conv1d: trained, bias frozen, all frozen; then dropout."""

    def __init__(self):
        super().__init__()
        self.fully_trainable = nn.Conv1d(1, 1, 1)
        self.partially_trainable = nn.Conv1d(1, 1, 1)
        self.partially_trainable.bias.requires_grad_(False)
        self.non_trainable = nn.Conv1d(1, 1, 1)
        self.non_trainable.requires_grad_(False)
        self.dropout = nn.Dropout()

    def forward(self, x):
        return self.dropout(self.non_trainable(self.partially_trainable(self.fully_trainable(x))))


class _ReuseLinear(nn.Module):
    """One Linear(10, 10) four times in a Sequential, each followed by a ReLU."""

    def __init__(self):
        super().__init__()
        linear = nn.Linear(10, 10)
        self.model = nn.Sequential(*[m for _ in range(4) for m in (linear, nn.ReLU(True))])

    def forward(self, x):
        return self.model(x)


class _ReuseReLU(nn.Module):
    """Reflection padding, then conv-BN-ReLU four times with one shared ReLU module."""

    def __init__(self):
        super().__init__()
        act = nn.ReLU(True)
        parts = [nn.ReflectionPad2d(3), nn.Conv2d(4, 1, 1), nn.BatchNorm2d(1), act]
        for i in range(3):
            c = 2 ** i
            parts += [nn.Conv2d(c, 2 * c, 1, stride=2, padding=1), nn.BatchNorm2d(2 * c), act]
        self.model = nn.Sequential(*parts)

    def forward(self, x):
        return self.model(x)


class _PrunedName(nn.Module):
    """A parameter named weight_orig (as torch's pruning names it), returned by forward."""

    def __init__(self, size=8, attention=4):
        super().__init__()
        self.weight_orig = nn.Parameter(torch.ones(attention, size))

    def forward(self, x):
        return self.weight_orig


class _FakePruned(_PrunedName):
    """weight_orig and weight_mask, both parameters: torchinfo takes the mask for pruning's and drops it."""

    def __init__(self, size=8, attention=4):
        super().__init__(size, attention)
        self.weight_mask = nn.Parameter(torch.zeros(attention, size))


class _RegisterParameter(nn.Sequential):
    """A Sequential of two linears with a learned weight per block: x += w[k] * block(x)."""

    def __init__(self):
        super().__init__(nn.Linear(2, 2), nn.Linear(2, 2))
        self.register_parameter("weights", nn.Parameter(torch.zeros(2)))

    def forward(self, x):
        for k, block in enumerate(self):
            x = x + self.weights[k] * block(x)
        return x


class _ParameterFC(nn.Module):
    """x @ a + b with free parameters, then optionally a linear."""

    def __init__(self, input_dim=128, hidden=64, output=None):
        super().__init__()
        self.output = output
        self.a, self.b = nn.Parameter(torch.zeros(input_dim, hidden)), nn.Parameter(torch.zeros(hidden))
        if output is not None:
            self.fc2 = nn.Linear(hidden, output)

    def forward(self, x):
        h = torch.mm(x, self.a) + self.b
        return h if self.output is None else self.fc2(h)


class _Inside(nn.Module):
    def __init__(self):
        super().__init__()
        self.l_1 = nn.Linear(1, 1)
        self.param_1 = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return self.l_1(x) * self.param_1


class _InsideModel(nn.Module):
    """A linear, an inner module scaling by its own parameter, then a scale by this module's parameter."""

    def __init__(self):
        super().__init__()
        self.l_0 = nn.Linear(2, 1)
        self.param_0 = nn.Parameter(torch.ones(2))
        self.inside = _Inside()

    def forward(self, x):
        return self.inside(self.l_0(x)) * self.param_0


class _MissingLayers(nn.Module):
    """'same'-padded dilated convolutions with batch norm, taken from ModuleDicts by key."""

    def __init__(self):
        super().__init__()
        self.out_conv0, self.out_bn0 = nn.Conv2d(3, 8, 5, padding="same"), nn.BatchNorm2d(8)
        self.block0, self.block1 = nn.ModuleDict(), nn.ModuleDict()
        for i in range(1, 4):
            self.block0[f"in_conv{i}"] = nn.Conv2d(8, 8, 3, padding="same", dilation=2 ** i)
            self.block0[f"in_bn{i}"] = nn.BatchNorm2d(8)
        for i in range(4, 7):
            self.block1[f"in_conv{i}"] = nn.Conv2d(8, 8, 3, padding="same", dilation=2 ** (7 - i))
            self.block1[f"in_bn{i}"] = nn.BatchNorm2d(8)
        self.out_conv7, self.out_bn7 = nn.Conv2d(8, 1, 1, padding="same"), nn.BatchNorm2d(1)

    def forward(self, x):
        x = torch.relu(self.out_bn0(self.out_conv0(x)))
        for i in range(1, 4):
            x = torch.relu(self.block0[f"in_bn{i}"](self.block0[f"in_conv{i}"](x)))
        for i in range(4, 7):
            x = torch.relu(self.block1[f"in_bn{i}"](self.block1[f"in_conv{i}"](x)))
        return torch.relu(self.out_bn7(self.out_conv7(x)))


class _ConvLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.relu, self.pool = nn.Conv1d(1, 1, 1), nn.ReLU(), nn.MaxPool1d(1)

    def forward(self, x):
        return self.pool(self.relu(self.conv(x)))


class _CNNModuleList(nn.Module):
    """Five conv-relu-pool Conv1d modules in a ModuleList."""

    def __init__(self):
        super().__init__()
        self.ml = nn.ModuleList([_ConvLayer() for _ in range(5)])

    def forward(self, x):
        for layer in self.ml:
            x = layer(x)
        return x


class _SimpleRNN(nn.Module):
    """An LSTMCell stepped four times from random states; its projection is never used."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTMCell(3, 2)
        self.activation = nn.Tanh()
        self.projection = nn.Linear(2, 3)

    def forward(self, x):
        hx = torch.randn(x.size(0), 2, device=x.device)
        cx = torch.randn(x.size(0), 2, device=x.device)
        for _ in range(4):
            hx, cx = self.lstm(x, (hx, cx))
            hx = self.activation(hx)
        return hx


class _MultiDevice(nn.Module):
    """Two linears on (possibly) two devices, the input moved with x.to(device)."""

    def __init__(self):
        super().__init__()
        self.net1, self.relu, self.net2 = nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 5)

    def forward(self, x):
        x = self.relu(self.net1(x.to("cpu")))
        return self.net2(x.to("cpu"))


class _KernelTensor(nn.Module):
    """A Conv1d with a 0-d tensor attribute beside it (Encodec's kernel_size)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 1, 3, padding=1)
        self.kernel_size = torch.tensor(3)

    def forward(self, x):
        return self.conv(x)


class _Identity(nn.Module):
    def __init__(self):
        super().__init__()
        self.identity = nn.Identity()

    def forward(self, x):
        return self.identity(x)


class _HighlyNestedDict(nn.Module):
    """Two linears and a softmax returned deep inside a dict. torchinfo calls it on an unbatched ones(10), where
    its dim=0 is the features; with the batch axis symparams' import adds, that axis is dim=-1 (dim=0 would
    normalise over the batch, which the import refuses by name)."""

    def __init__(self):
        super().__init__()
        self.lin1, self.lin2 = nn.Linear(10, 10), nn.Linear(10, 10)

    def forward(self, x):
        return {"foo": ({"bar": [F.softmax(self.lin2(self.lin1(x)), dim=-1)]},)}


class _EdgeCase(nn.Module):
    """A conv and a module that is an identity."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.model = _Identity()

    def forward(self, x):
        return self.model(self.conv1(x))


# the factories `symparams import` calls (torchinfo's names in the comments)
def single_input_net():                 # SingleInputNet
    return _SingleInput()


def multiple_input_net():               # MultipleInputNetDifferentDtypes
    return _TwoInputs()


def lstm_net():                         # LSTMNet
    return _LSTMNet()


def recursive_net():                    # RecursiveNet
    return _Recursive()


def custom_parameter():                 # CustomParameter(8, 4)
    return _CustomParameter()


def parameter_list():                   # ParameterListModel
    return _ParameterList()


def siamese_nets():                     # SiameseNets
    return _Siamese()


def module_dict():                      # ModuleDictModel, layer_type='conv', activation_type='lrelu'
    return _ModuleDict()


def container():                        # ContainerModule
    return _Container()


def autoencoder():                      # AutoEncoder
    return _AutoEncoder()


def mixed_trainable_parameters():       # MixedTrainableParameters
    return _MixedTrainableParameters()


def mixed_trainable():                  # MixedTrainable
    return _MixedTrainable()


def reuse_linear():                     # ReuseLinear / ReuseLinearExtended
    return _ReuseLinear()


def reuse_relu():                       # ReuseReLU
    return _ReuseReLU()


def pruned_name():                      # PrunedLayerNameModel(8, 4)
    return _PrunedName()


def fake_pruned():                      # FakePrunedLayerModel(8, 4)
    return _FakePruned()


def register_parameter():               # RegisterParameter(nn.Linear(2, 2), nn.Linear(2, 2))
    return _RegisterParameter()


def parameter_fc_with_linear():         # ParameterFCNet(128, 64, 32)
    return _ParameterFC(128, 64, 32)


def parameter_fc():                     # ParameterFCNet(128, 64)
    return _ParameterFC(128, 64)


def inside_model():                     # InsideModel
    return _InsideModel()


def recursive_with_missing_layers():    # RecursiveWithMissingLayers
    return _MissingLayers()


def cnn_module_list():                  # CNNModuleList(ConvLayerA)
    return _CNNModuleList()


def simple_rnn():                       # SimpleRNN
    return _SimpleRNN()


def multi_device():                     # MultiDeviceModel (both devices the CPU here)
    return _MultiDevice()


def tensor_kernel_size():               # TensorKernelSizeConv
    return _KernelTensor()


def identity_model():                   # IdentityModel
    return _Identity()


def linear_model():                     # LinearModel
    return nn.Sequential(nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 1))


def single_linear_layer():              # test_single_linear_layer: nn.Linear(2, 5)
    return nn.Linear(2, 5)


def groups_conv():                      # test_groups: nn.Conv2d(16, 32, 3, groups=4)
    return nn.Conv2d(16, 32, 3, groups=4)


def linear_3d():                        # test_linear: nn.Linear(8, 64) on (32, 16, 8)
    return nn.Linear(8, 64)


def reusing_activations():              # test_reusing_activation_layers, model1: one LeakyReLU three times
    act = nn.LeakyReLU(inplace=True)
    return nn.Sequential(act, nn.Identity(), act, nn.Identity(), act)


def highly_nested_dict():               # HighlyNestedDictModel
    return _HighlyNestedDict()


def edge_case():                        # EdgeCaseModel()
    return _EdgeCase()


def pruned_single_input():              # test_pruning: SingleInputNet, l1_unstructured(weight, 0.5) on every conv/linear
    from torch.nn.utils import prune
    model = _SingleInput()
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            prune.l1_unstructured(m, "weight", 0.5)
    return model
