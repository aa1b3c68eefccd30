"""ONNX exports of torchvision's classification models import exactly: symparams' total and trainable
counts of the imported file equal PyTorch's count of the model (random weights, CPU, a small input).

Two exporters:
- "dynamo": `torch.onnx.export(model, args, path)` with its defaults, as a user calls it (torch >= 2.9: the
  dynamo exporter with onnxscript's optimiser, which folds each batch norm into the layer before it and drops
  zero biases; the import reads both back from the exporter's node records, onnx_origin.py; weights in
  `<file>.data` beside the file);
- "torchscript": `dynamo=False, training=PRESERVE` on an evaluated model keeps every BatchNormalization (its
  default EVAL mode folds them and leaves no record: there the count is that of the weights the file holds,
  below); `export_params=False` writes the weights as graph inputs with their shapes only.

What is compared, as data: SIDE/BUILD (how a model is built and exported), REFUSED (exporter -> model -> the
words of the located refusal; a refused model that starts importing fails, so the list stays true). A
representative set runs by default; SYMPARAMS_ONNX_TORCHVISION=all runs every model in
torchvision.models.list_models() through both exporters.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import warnings

import pytest

import symparams
from conftest import need_module
from symparams.errors import SymparamsError

# the input side each model is exported at: 64 where the model takes it (quick), else its smallest
SIDE = {"alexnet": 224, "inception_v3": 75, "maxvit_t": 224, **{f"swin_{v}": 224 for v in ("t", "s", "b", "v2_t",
                                                                                               "v2_s", "v2_b")}, **{f"vgg{d}{bn}": 224 for d in (11, 13, 16, 19)
                                                                  for bn in ("", "_bn")}}
# ViT's position table has the image's size: built for a 64 (56 for 14-pixel patches) image
BUILD = {"vit_b_16": {"image_size": 64}, "vit_b_32": {"image_size": 64}, "vit_l_16": {"image_size": 64},
         "vit_l_32": {"image_size": 64}, "vit_h_14": {"image_size": 56},
         "googlenet": {"aux_logits": False, "init_weights": False},
         "inception_v3": {"aux_logits": False, "init_weights": False}}
# one of each family by default (CI): a minute or two on 2 cores
DEFAULT = {"torchscript": ("mobilenet_v3_small", "shufflenet_v2_x0_5", "efficientnet_b0", "regnet_y_400mf",
                           "densenet121", "googlenet", "mnasnet0_5", "vit_b_32"),
           # the optimiser's folds (resnet18: batch norms; squeezenet1_1: zero biases; convnext_tiny: both, and its
           # pooled map's as_strided), the attention written by the dynamo exporter (vit_b_32); Swin's windows on a
           # small torchvision SwinTransformer in test_import_onnx_dynamo.py (swin_t itself with =all)
           "dynamo": ("resnet18", "squeezenet1_1", "convnext_tiny", "vit_b_32")}
# exported with their weights (export_params=True): a pattern whose meaning depends on the values (Swin's and
# MaxViT's relative position bias, gathered into a constant by the TorchScript exporter: a table only if its values
# say so; without them the import refuses, test_import_onnx_windows.py)
WITH_WEIGHTS = {"swin_t", "swin_s", "swin_b", "maxvit_t"}
# refused, with the words their message names (the construct); docs/frameworks.md lists them
REFUSED = {"torchscript": {},
           # the optimiser took parameters out without a record (onnx_origin.lost_parameters): Swin-V2's logit scale
           # and qkv bias folded into constants with what is computed from them; a convolution's bias that is all
           # zeros (VGG initialises them so) dropped before the batch norm after it is folded
           "dynamo": {**{name: "no operation" for name in ("swin_v2_t", "swin_v2_s", "swin_v2_b")},
                      **{f"vgg{d}_bn": "no operation" for d in (11, 13, 16, 19)}}}


def _chosen():
    if os.environ.get("SYMPARAMS_ONNX_TORCHVISION") == "all":
        import torchvision
        return [(exporter, name) for exporter in ("dynamo", "torchscript")
                for name in torchvision.models.list_models(module=torchvision.models)]
    return [(exporter, name) for exporter, names in DEFAULT.items() for name in names]


def _built(name, tmp_path, *modules):
    """torchvision's model NAME (fresh weights, eval mode), the input side it is exported at and the file's path."""
    torch = need_module("torch")
    torchvision = need_module("torchvision")
    for module in ("onnx",) + modules:
        need_module(module)
    torch.manual_seed(0)
    model = torchvision.models.get_model(name, weights=None, **BUILD.get(name, {})).eval()
    return torch, model, SIDE.get(name, 64), tmp_path / f"{name}.onnx"


def _quietly(export):
    """The exporter's warnings and printing kept out of the test's output."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        export()


def _export_default(name, tmp_path):
    """torch.onnx.export with its defaults (the dynamo exporter; weights beside the file)."""
    torch, model, side, path = _built(name, tmp_path, "onnxscript")
    _quietly(lambda: torch.onnx.export(model, (torch.zeros(1, 3, side, side),), str(path)))
    return model, path


def _export(name, tmp_path, export_params=False, training="PRESERVE"):
    torch, model, side, path = _built(name, tmp_path)
    # (not under no_grad: there nn.MultiheadAttention takes its fused fast path, which has no ONNX form)
    _quietly(lambda: torch.onnx.export(model, (torch.zeros(1, 3, side, side),), str(path), dynamo=False,
                                       export_params=export_params,
                                       training=getattr(torch.onnx.TrainingMode, training)))
    return model, path


@pytest.mark.parametrize("exporter, name", _chosen())
def test_torchvision_onnx_export_imports_exactly(exporter, name, tmp_path):
    from symparams.frameworks.onnx_import import from_onnx
    model, path = _export_default(name, tmp_path) if exporter == "dynamo" else \
        _export(name, tmp_path, export_params=name in WITH_WEIGHTS)
    refused = REFUSED[exporter].get(name)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if refused:
        with pytest.raises(SymparamsError) as caught:
            from_onnx(str(path))
        assert refused in str(caught.value) and path.name in str(caught.value), str(caught.value)
        return
    text = from_onnx(str(path))
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert (int(net.params), int(net.trainable_params)) == (total, trainable), name


def _weights_held(path) -> int:
    """The elements of the floating-point weights an .onnx file's operators read: each initializer, once per
    name it is read under (the exporter shares equal initializers, a fresh model's zero biases, through
    Identity nodes)."""
    import onnx
    model = onnx.load(str(path))
    size = {t.name: math.prod(t.dims) for t in model.graph.initializer
            if t.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE)}
    for node in model.graph.node:
        if node.op_type == "Identity" and node.input[0] in size:
            size[node.output[0]] = size[node.input[0]]
    read = {i for node in model.graph.node if node.op_type != "Identity" for i in node.input}
    return sum(n for name, n in size.items() if name in read)


def test_an_export_with_its_weights_imports_exactly(tmp_path):
    """With the weights in the file (export_params, the default): the exporter shares equal initializers
    through Identity nodes (a fresh model's batch norms are all ones and zeros), read as the weights they are."""
    from symparams.frameworks.onnx_import import from_onnx
    model, path = _export("mobilenet_v3_small", tmp_path, export_params=True)
    net = symparams.parse(from_onnx(str(path)), convention="pytorch").evaluate()
    assert int(net.params) == sum(p.numel() for p in model.parameters())


def test_a_folded_export_counts_the_weights_the_file_holds(tmp_path):
    """The default EVAL export folds each BatchNormalization into the convolution before it (a bias added,
    the batch norm's 2C parameters and 2C statistics gone): the imported count is then that of the weights
    in the file, not the model's."""
    from symparams.frameworks.onnx_import import from_onnx
    model, path = _export("resnet18", tmp_path, export_params=True, training="EVAL")
    net = symparams.parse(from_onnx(str(path)), convention="pytorch").evaluate()
    assert int(net.params) + int(net.buffers) == _weights_held(path) != sum(p.numel() for p in model.parameters())
    assert "batchnorm" not in from_onnx(str(path))


@pytest.mark.parametrize("sizes", [[3, 5], None])
def test_a_split_of_the_channels_reads_as_slices(sizes, tmp_path):
    """The dynamo exporter writes x.chunk / torch.split on the channels as one Split (the TorchScript one as
    Slices): each part is a `slice` (sizes given, or num_outputs equal parts)."""
    need_module("onnx")
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper
    from symparams.frameworks.onnx_import import from_onnx
    first, second = (sizes or [4, 4])
    inits = [numpy_helper.from_array(np.zeros((8, 3, 3, 3), np.float32), "w1"),
             numpy_helper.from_array(np.zeros((6, second, 1, 1), np.float32), "w2")]
    split = (helper.make_node("Split", ["a", "sizes"], ["p", "q"], axis=1) if sizes else
             helper.make_node("Split", ["a"], ["p", "q"], axis=1, num_outputs=2))
    if sizes:
        inits.append(numpy_helper.from_array(np.array(sizes, np.int64), "sizes"))
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w1"], ["a"]), split, helper.make_node("Conv", ["q", "w2"], ["r"]),
         helper.make_node("Concat", ["p", "r"], ["y"], axis=1)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, first + 6, 6, 6])], inits)
    path = tmp_path / "split.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString())
    text = from_onnx(str(path))
    assert f"slice {first} " in text and f"slice {second} start={first} " in text, text
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert int(net.params) == 8 * 27 + 6 * second      # no biases and tuple(net.output_shape) == (6, 6, first + 6)


# timm's squeeze-and-excitation networks (SE as a module with 1x1 convolutions on a kept 1 x 1 pool, or as
# timm's SEModule / legacy SEModule); the whole list also imports exactly: mobilenetv3_small_100,
# efficientnet_b0, rexnet_100 (measured, not run here to keep CI short)
TIMM_SE = ("seresnet18", "legacy_seresnet18", "regnety_002")


@pytest.mark.parametrize("name", TIMM_SE)
def test_timm_se_network_onnx_export_imports_exactly(name, tmp_path):
    torch = need_module("torch")
    timm = need_module("timm")
    need_module("onnx")
    from symparams.frameworks.onnx_import import from_onnx
    torch.manual_seed(0)
    model = timm.create_model(name, pretrained=False).eval()
    path = tmp_path / f"{name}.onnx"
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 3, 64, 64),), str(path), dynamo=False, export_params=False,
                          training=torch.onnx.TrainingMode.PRESERVE)
    net = symparams.parse(from_onnx(str(path)), convention="pytorch").evaluate()
    assert (int(net.params), int(net.trainable_params)) == (sum(p.numel() for p in model.parameters()),) * 2
