"""torchvision's structures, written by hand (torchvision cannot be installed beside the CI's torch: see
docs/frameworks.md), imported exactly: ConvNeXt's block (a depthwise convolution, Permute to channels last,
LayerNorm and Linears on the channels, Permute back, a layer scale and stochastic depth), GoogLeNet's
Inception (four branches of BasicConv2d with F.relu(inplace=True), a max pool branch with ceil_mode,
torch.cat of the list), MnasNet's head (x.mean([2, 3])) and the VisionTransformer (sizes read off x.shape,
torch._assert, the (b, C, h*w) reshape and permute, the class token's expand and cat, nn.MultiheadAttention
called (x, x, x), x[:, 0]). Each count is PyTorch's own sum(p.numel())."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module


def _exact(model, shape):
    text = symparams.from_torch(model, shape)
    net = symparams.parse(text, convention="pytorch").evaluate()      # the file reads back
    assert int(net.params) == sum(p.numel() for p in model.parameters()), text
    assert int(net.trainable_params) == sum(p.numel() for p in model.parameters() if p.requires_grad), text
    return text


def _convnext(torch):
    nn = torch.nn

    class Permute(nn.Module):                   # torchvision.ops.misc.Permute
        def __init__(self, dims):
            super().__init__()
            self.dims = dims

        def forward(self, x):
            return torch.permute(x, self.dims)

    class StochasticDepth(nn.Module):
        def forward(self, x):
            return x

    class CNBlock(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.block = nn.Sequential(nn.Conv2d(dim, dim, 7, padding=3, groups=dim), Permute([0, 2, 3, 1]),
                                       nn.LayerNorm(dim, eps=1e-6), nn.Linear(dim, 4 * dim), nn.GELU(),
                                       nn.Linear(4 * dim, dim), Permute([0, 3, 1, 2]))
            self.layer_scale = nn.Parameter(torch.ones(dim, 1, 1) * 1e-6)
            self.stochastic_depth = StochasticDepth()

        def forward(self, x):
            return self.stochastic_depth(self.layer_scale * self.block(x)) + x

    class LayerNorm2d(nn.LayerNorm):            # torchvision's: permute, layer_norm, permute back
        def forward(self, x):
            x = x.permute(0, 2, 3, 1)
            x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
            return x.permute(0, 3, 1, 2)

    class ConvNeXt(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Sequential(nn.Conv2d(3, 16, 4, 4), LayerNorm2d(16, eps=1e-6)),
                                          CNBlock(16), CNBlock(16),
                                          nn.Sequential(LayerNorm2d(16, eps=1e-6), nn.Conv2d(16, 32, 2, 2)),
                                          CNBlock(32))
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Sequential(nn.Flatten(1), nn.Linear(32, 10))

        def forward(self, x):
            return self.classifier(self.avgpool(self.features(x)))

    return ConvNeXt()


def _googlenet(torch):
    nn, F = torch.nn, torch.nn.functional

    class BasicConv2d(nn.Module):
        def __init__(self, cin, cout, **kw):
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, bias=False, **kw)
            self.bn = nn.BatchNorm2d(cout, eps=0.001)

        def forward(self, x):
            return F.relu(self.bn(self.conv(x)), inplace=True)

    class Inception(nn.Module):
        def __init__(self, cin, c1, c3r, c3, c5r, c5, pool):
            super().__init__()
            self.branch1 = BasicConv2d(cin, c1, kernel_size=1)
            self.branch2 = nn.Sequential(BasicConv2d(cin, c3r, kernel_size=1), BasicConv2d(c3r, c3, kernel_size=3,
                                                                                          padding=1))
            self.branch3 = nn.Sequential(BasicConv2d(cin, c5r, kernel_size=1), BasicConv2d(c5r, c5, kernel_size=3,
                                                                                          padding=1))
            self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                                         BasicConv2d(cin, pool, kernel_size=1))

        def forward(self, x):
            outputs = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
            return torch.cat(outputs, 1)

    class GoogLeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = BasicConv2d(3, 16, kernel_size=7, stride=2, padding=3)
            self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
            self.inception3a = Inception(16, 8, 8, 16, 4, 8, 8)
            self.inception3b = Inception(40, 16, 16, 24, 4, 8, 8)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.dropout = nn.Dropout(0.2)
            self.fc = nn.Linear(56, 10)

        def forward(self, x):
            x = self.inception3b(self.inception3a(self.maxpool1(self.conv1(x))))
            return self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))

    return GoogLeNet()


def _mnasnet(torch):
    nn = torch.nn

    class MnasNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
                                        nn.Conv2d(16, 16, 3, 1, 1, groups=16, bias=False), nn.BatchNorm2d(16),
                                        nn.ReLU(inplace=True), nn.Conv2d(16, 32, 1, bias=False), nn.BatchNorm2d(32))
            self.classifier = nn.Sequential(nn.Dropout(p=0.2, inplace=True), nn.Linear(32, 10))

        def forward(self, x):
            return self.classifier(self.layers(x).mean([2, 3]))

    return MnasNet()


def _vit(torch):
    nn = torch.nn

    class MLPBlock(nn.Sequential):
        def __init__(self, d, m):
            super().__init__(nn.Linear(d, m), nn.GELU(), nn.Dropout(0.0), nn.Linear(m, d), nn.Dropout(0.0))

    class EncoderBlock(nn.Module):
        def __init__(self, heads, d, m):
            super().__init__()
            self.ln_1 = nn.LayerNorm(d, eps=1e-6)
            self.self_attention = nn.MultiheadAttention(d, heads, dropout=0.0, batch_first=True)
            self.dropout = nn.Dropout(0.0)
            self.ln_2 = nn.LayerNorm(d, eps=1e-6)
            self.mlp = MLPBlock(d, m)

        def forward(self, inputs):
            torch._assert(inputs.dim() == 3, "Expected (batch_size, seq_length, hidden_dim)")
            x = self.ln_1(inputs)
            x, _ = self.self_attention(x, x, x, need_weights=False)
            x = self.dropout(x) + inputs
            return x + self.mlp(self.ln_2(x))

    class Encoder(nn.Module):
        def __init__(self, seq, layers, heads, d, m):
            super().__init__()
            self.pos_embedding = nn.Parameter(torch.empty(1, seq, d).normal_(std=0.02))
            self.dropout = nn.Dropout(0.0)
            self.layers = nn.Sequential(*[EncoderBlock(heads, d, m) for _ in range(layers)])
            self.ln = nn.LayerNorm(d, eps=1e-6)

        def forward(self, inputs):
            return self.ln(self.layers(self.dropout(inputs + self.pos_embedding)))

    class VisionTransformer(nn.Module):         # torchvision's: sizes read off x.shape, a class token cat
        def __init__(self, image=32, patch=8, layers=2, heads=4, d=32, m=64, classes=10):
            super().__init__()
            self.image_size, self.patch_size, self.hidden_dim = image, patch, d
            self.conv_proj = nn.Conv2d(3, d, patch, patch)
            self.class_token = nn.Parameter(torch.zeros(1, 1, d))
            self.encoder = Encoder((image // patch) ** 2 + 1, layers, heads, d, m)
            self.heads = nn.Sequential(nn.Linear(d, classes))

        def _process_input(self, x):
            n, c, h, w = x.shape
            p = self.patch_size
            torch._assert(h == self.image_size, "Wrong image height!")
            torch._assert(w == self.image_size, "Wrong image width!")
            x = self.conv_proj(x)
            x = x.reshape(n, self.hidden_dim, (h // p) * (w // p))
            return x.permute(0, 2, 1)

        def forward(self, x):
            x = self._process_input(x)
            x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
            return self.heads(self.encoder(x)[:, 0])

    return VisionTransformer()


@pytest.mark.parametrize("build,shape,total", [(_convnext, (32, 32, 3), None), (_googlenet, (32, 32, 3), None),
                                               (_mnasnet, (32, 32, 3), None), (_vit, (32, 32, 3), None)],
                         ids=["convnext", "googlenet", "mnasnet", "vit"])
def test_torchvision_structures_import_exactly(build, shape, total):
    torch = need_module("torch")
    model = build(torch)
    text = _exact(model, shape)
    if build is _convnext:
        assert text.count("layernorm") == 5 and text.count("dense 64") == 2, text
    if build is _vit:
        for line in ("reshape -1 x 32", "clstoken", "parameter 17 x 32", "attention heads=4", "clspool"):
            assert line in text, text


def test_a_permuted_tensor_read_otherwise_is_refused_by_name():
    torch = need_module("torch")
    nn = torch.nn

    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)

        def forward(self, x):
            return self.conv(x).permute(0, 2, 3, 1).mean(1)

    with pytest.raises(symparams.SymparamsError, match="'mean' .* permuted to channels last"):
        symparams.from_torch(Odd(), (16, 16, 3))


def test_a_cross_attention_call_of_multihead_attention_is_refused_by_name():
    torch = need_module("torch")
    nn = torch.nn

    class Cross(nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.attn = nn.Linear(8, 8), nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x):
            return self.attn(self.q(x), x, x)[0]

    with pytest.raises(symparams.SymparamsError, match=r"'attn' \(MultiheadAttention\) is called in a way"):
        symparams.from_torch(Cross(), (5, 8))
