"""ONNX import of hostile files (issue 24): no operator of the file is ever run, folding is bounded, a
malformed node or initializer is a located error, an op of another domain is not read as the standard
one, and the walk over the graph is linear."""

from __future__ import annotations

import resource
import time

import pytest

from conftest import need_module
from symparams.errors import DefinitionError, SymparamsError


def _model(nodes, inits=(), x=(1, 8), y=(1, 8), domains=()):
    onnx = need_module("onnx")
    from onnx import TensorProto as T
    from onnx import helper as h
    graph = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", T.FLOAT, list(x))],
                         [h.make_tensor_value_info("y", T.FLOAT, list(y))], initializer=list(inits))
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)] + [h.make_opsetid(d, 1) for d in domains])
    return onnx, model


def _import(model):
    from symparams.frameworks.onnx_import import from_onnx
    return from_onnx(model)


def _const(name, array):
    from onnx import helper as h
    from onnx import numpy_helper as nh
    return h.make_node("Constant", [], [name], value=nh.from_array(array))


def test_a_loop_with_a_constant_true_condition_is_refused_not_run():
    onnx, _ = _model([])
    import numpy as np
    from onnx import TensorProto as T
    from onnx import helper as h
    body = h.make_graph([h.make_node("Identity", ["c_in"], ["c_out"])], "body",
                        [h.make_tensor_value_info("i", T.INT64, []), h.make_tensor_value_info("c_in", T.BOOL, [])],
                        [h.make_tensor_value_info("c_out", T.BOOL, [])])
    _, model = _model([_const("c", np.array(True)), h.make_node("Loop", ["", "c"], [], body=body),
                       h.make_node("Relu", ["x"], ["y"])])
    start = time.process_time()
    with pytest.raises(DefinitionError, match="no form for the operator Loop"):
        _import(model)
    assert time.process_time() - start < 5


def test_constant_of_shape_600_million_is_never_allocated():
    import numpy as np
    from onnx import helper as h
    _, model = _model([_const("s", np.array([600_000_000], np.int64)), h.make_node("ConstantOfShape", ["s"], ["z"]),
                       h.make_node("Relu", ["x"], ["y"])])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    text = _import(model)           # the constant is not needed: its value stays unknown, never made
    assert "relu" in text
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 200_000, grown_kb


def test_folding_is_bounded_per_tensor_and_in_total():
    import numpy as np
    from symparams.frameworks.onnx_fold import Folder
    folder = Folder(max_elements=100, max_work=250)
    assert folder.fold("ConstantOfShape", [np.array([10**9], np.int64)], {}) is None
    assert folder.fold("Range", [np.array(0), np.array(10**12), np.array(1)], {}) is None
    big = np.arange(64, dtype=np.int64)
    assert folder.fold("Add", [big.reshape(64, 1), big.reshape(1, 64)], {}) is None      # 4,096 by broadcasting
    assert folder.fold("Concat", [big, big], {"axis": 0}) is None
    out = folder.fold("Gather", [np.array([2, 3, 5, 7]), np.array([1, -1])], {"axis": 0})
    assert out[0].tolist() == [3, 7]
    assert folder.fold("Div", [np.array([-7]), np.array([2])], {})[0].tolist() == [-3]      # truncated, as ONNX
    while folder.fold("Unsqueeze", [big, np.array([0])], {}) is not None:
        pass
    assert folder.work <= 250                                   # the total stops further folding
    assert folder.fold("Loop", [], {}) is None and folder.fold("Exp", [big], {}) is None


def test_a_long_chain_of_matmul_add_is_read_in_linear_time():
    import numpy as np
    from onnx import helper as h
    from onnx import numpy_helper as nh
    n = 8000
    nodes, previous = [], "x"
    for i in range(n):
        out = "y" if i == n - 1 else f"a{i}"
        nodes += [h.make_node("MatMul", [previous, "w"], [f"m{i}"], name=f"mm{i}"),
                  h.make_node("Add", [f"m{i}", "b"], [out], name=f"add{i}")]
        previous = out
    _, model = _model(nodes, [nh.from_array(np.zeros((8, 8), np.float32), "w"),
                              nh.from_array(np.zeros(8, np.float32), "b")])
    start = time.process_time()
    text = _import(model)
    assert text.count("dense 8") == n
    assert time.process_time() - start < 6            # was 37 s for 16,000 pairs (a list copied per node)


def _malformed():
    import numpy as np
    import onnx
    from onnx import helper as h
    from onnx import numpy_helper as nh
    short = nh.from_array(np.zeros((8, 8), np.float32), "w")
    short.dims[:] = [8, 80]
    undefined = onnx.TensorProto(name="w", data_type=0, dims=[8, 8])
    big_short = nh.from_array(np.zeros((200, 80), np.float32), "w")
    big_short.dims[:] = [8, 80000]
    image = (1, 3, 8, 8)
    return {
        "clip with a vector bound": ([h.make_node("Clip", ["x", "lo", "hi"], ["y"])],
                                     [nh.from_array(np.zeros(2, np.float32), "lo"),
                                      nh.from_array(np.full(2, 6, np.float32), "hi")], (1, 8), "bound"),
        "conv with one input": ([h.make_node("Conv", ["x"], ["y"])], [], image, "input size 1"),
        "maxpool without kernel_shape": ([h.make_node("MaxPool", ["x"], ["y"])], [], image, "kernel_shape"),
        "leaky_relu with a string alpha": ([h.make_node("LeakyRelu", ["x"], ["y"], alpha="abc")], [], (1, 8), "alpha"),
        "initializer short of its dims": ([h.make_node("MatMul", ["x", "w"], ["y"])], [short], (1, 8), "w"),
        "large initializer short of its dims": ([h.make_node("MatMul", ["x", "w"], ["y"])], [big_short], (1, 8), "w"),
        "initializer of type UNDEFINED": ([h.make_node("MatMul", ["x", "w"], ["y"])], [undefined], (1, 8), "UNDEFINED"),
    }


@pytest.mark.parametrize("case", ["clip with a vector bound", "conv with one input", "maxpool without kernel_shape",
                                  "leaky_relu with a string alpha", "initializer short of its dims",
                                  "large initializer short of its dims", "initializer of type UNDEFINED"])
def test_a_malformed_node_or_initializer_is_a_located_error(case):
    need_module("onnx")
    nodes, inits, shape, word = _malformed()[case]
    onnx, model = _model(nodes, inits, x=shape, y=("a", "b"))
    with pytest.raises(DefinitionError) as info:
        _import(model)
    message = str(info.value)
    assert "the ONNX model" in message and word in message, message


def test_an_op_of_a_custom_domain_is_not_read_as_the_standard_one():
    from onnx import helper as h
    _, model = _model([h.make_node("Relu", ["x"], ["y"], domain="com.example")], domains=["com.example"])
    with pytest.raises(DefinitionError, match="domain 'com.example'"):
        _import(model)


def test_the_file_is_read_bounded_and_never_its_external_data(tmp_path):
    need_module("onnx")
    from symparams.frameworks.onnx_import import from_onnx
    link = tmp_path / "zero.onnx"
    link.symlink_to("/dev/zero")
    with pytest.raises(SymparamsError, match="not a regular file"):
        from_onnx(str(link))


def test_torch_style_padding_arithmetic_is_folded():
    """F.pad's export computes its pads with ConstantOfShape, Concat, Reshape, Slice, Transpose and Cast
    on constants: all folded, then read as the convolution's padding."""
    import numpy as np
    from onnx import helper as h
    from onnx import numpy_helper as nh
    i64 = np.int64
    nodes = [_const("n", np.array([4], i64)), h.make_node("ConstantOfShape", ["n"], ["zeros"],
                                                           value=nh.from_array(np.array([0], i64))),
             _const("hw", np.array([1, 1, 1, 1], i64)), h.make_node("Concat", ["hw", "zeros"], ["cat"], axis=0),
             _const("shape", np.array([-1, 2], i64)), h.make_node("Reshape", ["cat", "shape"], ["pairs"]),
             _const("s0", np.array([-1], i64)), _const("e0", np.array([-(2 ** 63)], i64)),
             _const("ax", np.array([0], i64)), _const("st", np.array([-1], i64)),
             h.make_node("Slice", ["pairs", "s0", "e0", "ax", "st"], ["rev"]),
             h.make_node("Transpose", ["rev"], ["tr"], perm=[1, 0]),
             _const("flat", np.array([-1], i64)), h.make_node("Reshape", ["tr", "flat"], ["flat_pads"]),
             h.make_node("Cast", ["flat_pads"], ["pads"], to=7),
             h.make_node("Pad", ["x", "pads"], ["padded"]),
             h.make_node("Conv", ["padded", "w"], ["y"])]
    _, model = _model(nodes, [nh.from_array(np.zeros((4, 3, 3, 3), np.float32), "w")], x=(1, 3, 8, 8), y=(1, 4, 8, 8))
    text = _import(model)
    assert "conv 4 3 padding=1 bias=false" in text, text


def test_a_graph_past_the_node_limit_is_refused_before_validation(monkeypatch):
    from onnx import helper as h
    from symparams import limits
    monkeypatch.setattr(limits, "MAX_ONNX_NODES", 3)
    _, model = _model([h.make_node("Relu", ["x"], [f"r{i}" if i < 4 else "y"]) if i == 0 else
                       h.make_node("Relu", [f"r{i - 1}"], [f"r{i}" if i < 4 else "y"]) for i in range(5)])
    with pytest.raises(DefinitionError, match="MAX_ONNX_NODES"):
        _import(model)


def test_external_data_named_by_a_fifo_is_not_waited_on(tmp_path):
    """A model whose small tensor lives in an external file that is a FIFO: the import never blocks opening it
    (nobody writes to it), it reads the tensor as its dims only and finishes."""
    import os
    import subprocess
    import sys

    import numpy as np
    onnx, model = _model([])
    from onnx import external_data_helper
    from onnx import helper as h
    from onnx import numpy_helper as nh
    shape = np.array([1, 8], dtype=np.int64)
    model.graph.initializer.append(nh.from_array(shape, "shape"))
    model.graph.node.append(h.make_node("Reshape", ["x", "shape"], ["y"]))
    external_data_helper.convert_model_to_external_data(model, all_tensors_to_one_file=True, location="w.data",
                                                        size_threshold=0)
    onnx.save_model(model, str(tmp_path / "m.onnx"))
    (tmp_path / "w.data").unlink()
    os.mkfifo(tmp_path / "w.data")
    done = subprocess.run([sys.executable, "-m", "symparams", "import", str(tmp_path / "m.onnx")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
