"""Fuzzing the import surfaces (issue 24): random Hugging Face config dicts, ONNX graphs built with
onnx.helper (hostile operators, attributes and initializers among ordinary ones) and .keras archives
(mutated config.json) must each give a file symparams reads back or a located message, exit 1 or 2 —
never an internal error, a traceback or a raw control character — within the CPU bound.

A modest number of examples in CI; SYMPARAMS_FUZZ_EXAMPLES=N runs more."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import time
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import need_module
from symparams import cli

SCALE = int(os.environ.get("SYMPARAMS_FUZZ_EXAMPLES", "0") or 0)
CPU_BOUND = 10.0
RAW = ("\x1b", "\x07", "\x9b")


def _settings(n: int):
    return settings(max_examples=max(n, SCALE), deadline=None, suppress_health_check=list(HealthCheck))


def _import(path: Path) -> tuple[int, str]:
    """`symparams import PATH` in this process: its exit code and everything it printed."""
    out, err = io.StringIO(), io.StringIO()
    start = time.process_time()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["import", str(path)])
    text = out.getvalue() + err.getvalue()
    assert time.process_time() - start < CPU_BOUND, text[-500:]
    assert code in (0, 1, 2), text[-2000:]
    assert "internal error" not in text and "Traceback" not in text, text[-2000:]
    assert not any(c in err.getvalue() for c in RAW), repr(err.getvalue()[-500:])
    return code, text


# ----------------------------------------------------------------------------- Hugging Face configs

NAMES = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size",
         "max_position_embeddings", "num_key_value_heads", "head_dim", "n_embd", "n_layer", "n_head",
         "n_positions", "d_model", "num_layers", "num_heads", "d_ff", "ffn_dim", "num_local_experts",
         "num_experts_per_tok", "tie_word_embeddings", "rope_scaling", "architectures", "hidden_act",
         "rms_norm_eps", "attention_bias", "sliding_window", "d_kv", "n_inner", "moe_intermediate_size",
         "shared_expert_intermediate_size", "num_experts")
FAMILIES = ("llama", "gpt2", "bert", "mistral", "mixtral", "qwen2", "qwen2_moe", "t5", "opt", "gemma", "phi",
            "falcon", "gpt_neox", "bloom", "whisper")
scalars = st.one_of(st.integers(-3, 5000), st.integers(min_value=-(10 ** 30), max_value=10 ** 30),
                    st.sampled_from([0, 1, 2, 4, 8, 64, 10 ** 4000]), st.booleans(), st.none(),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                    st.sampled_from(["\x1b]0;owned\x07", "LlamaForCausalLM", "gelu", "32"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                      max_leaves=6)
configs = st.fixed_dictionaries(
    {"model_type": st.one_of(st.sampled_from(FAMILIES), values)},
    optional={name: st.one_of(st.sampled_from([2, 4, 8, 16, 64]), values) for name in NAMES})


@_settings(25)
@given(config=configs)
def test_random_hf_configs_import_or_fail_clearly(config):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        _import(path)


# ----------------------------------------------------------------------------- ONNX graphs

def _node(draw, onnx, np, k: int, current: str, image: bool):
    from onnx import helper as h
    from onnx import numpy_helper as nh
    out = f"t{k}"
    op = draw(st.sampled_from(["Relu", "Conv", "MatMul", "Gemm", "Add", "MaxPool", "AveragePool", "Flatten",
                               "Reshape", "Clip", "LeakyRelu", "BatchNormalization", "Softmax", "Concat",
                               "Constant", "ConstantOfShape", "Loop", "Gather", "Shape", "Pad", "Slice",
                               "GlobalAveragePool", "Identity", "Exp", "Relu@custom"]))
    inits = []
    attrs = {}
    inputs = [current]
    domain = ""
    if op == "Relu@custom":
        op, domain = "Relu", "com.example"
    if op in ("Conv", "MatMul", "Gemm"):
        dims = draw(st.lists(st.integers(0, 9), min_size=1, max_size=4))
        inits.append(nh.from_array(np.zeros(dims, np.float32), f"w{k}"))
        inputs.append(f"w{k}")
    if op == "Constant":
        big = draw(st.sampled_from([[3], [10 ** 6], [2, 2]]))
        tensor = onnx.TensorProto(name=f"c{k}", data_type=draw(st.sampled_from([0, 1, 7, 8])), dims=big)
        if draw(st.booleans()):
            tensor.raw_data = b"\0" * draw(st.integers(0, 64))
        attrs["value"] = tensor
        inputs = []
    if op in ("ConstantOfShape", "Gather", "Slice", "Reshape", "Pad", "Clip"):
        values = draw(st.lists(st.integers(-3, 600_000_000), min_size=1, max_size=4))
        inits.append(nh.from_array(np.array(values, np.int64 if op != "Clip" else np.float32), f"k{k}"))
        inputs = ([] if op == "ConstantOfShape" else inputs) + [f"k{k}"]
    if op in ("Add", "Concat"):
        inputs = [current, current]
        if op == "Concat":
            attrs["axis"] = draw(st.integers(-4, 4))
    if op in ("MaxPool", "AveragePool") and draw(st.booleans()):
        attrs["kernel_shape"] = draw(st.lists(st.integers(-1, 4), min_size=1, max_size=3))
    if op == "LeakyRelu":
        attrs["alpha"] = draw(st.sampled_from([0.2, 0.01, "abc", 3]))
    if op == "Loop":
        body = h.make_graph([h.make_node("Identity", ["c_in"], ["c_out"])], "body",
                            [h.make_tensor_value_info("i", onnx.TensorProto.INT64, []),
                             h.make_tensor_value_info("c_in", onnx.TensorProto.BOOL, [])],
                            [h.make_tensor_value_info("c_out", onnx.TensorProto.BOOL, [])])
        inits.append(nh.from_array(np.array(True), f"cond{k}"))
        attrs["body"] = body
        inputs = ["", f"cond{k}"]
    name = draw(st.sampled_from(["", f"/layer{k}/op", "n\x1b[2J", f"n{k}"]))
    node = h.make_node(op, inputs, [out], name=name, domain=domain, **attrs)
    return node, inits, out


@st.composite
def onnx_models(draw):
    onnx = need_module("onnx")
    import numpy as np
    from onnx import helper as h
    image = draw(st.booleans())
    shape = [1, 3, 8, 8] if image else [1, 8]
    nodes, inits, current = [], [], "x"
    for k in range(draw(st.integers(1, 6))):
        node, more, out = _node(draw, onnx, np, k, current, image)
        nodes.append(node)
        inits += more
        current = out
    graph = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, shape)],
                         [h.make_tensor_value_info(current, onnx.TensorProto.FLOAT, None if draw(st.booleans())
                                                   else ["a", "b"])], initializer=inits)
    return h.make_model(graph, opset_imports=[h.make_opsetid("", draw(st.sampled_from([13, 17]))),
                                              h.make_opsetid("com.example", 1)])


@_settings(40)
@given(model=onnx_models())
def test_random_onnx_graphs_import_or_fail_clearly(model):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.onnx"
        path.write_bytes(model.SerializeToString())
        _import(path)


# ----------------------------------------------------------------------------- .keras archives

def _keras_config() -> dict:
    keras = need_module("keras")
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3), keras.layers.Flatten(),
                              keras.layers.Dense(5)])
    with tempfile.TemporaryDirectory() as tmp:
        model.save(Path(tmp) / "m.keras")
        with zipfile.ZipFile(Path(tmp) / "m.keras") as archive:
            return json.loads(archive.read("config.json"))


_BASE: list = []


def _mutate(value, draw):
    if isinstance(value, dict):
        out = {}
        for key, inner in value.items():
            choice = draw(st.integers(0, 12))
            if choice == 0:
                continue                                     # a key dropped
            out[key] = _mutate(inner, draw) if choice > 2 else draw(values)
        return out
    if isinstance(value, list):
        return [_mutate(v, draw) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from([-5, 0, 10 ** 9, 75_000_000]))
    if isinstance(value, str) and draw(st.integers(0, 8)) == 0:
        return draw(st.sampled_from(["\x1b]0;owned\x07", "Lambda", "Dense", "", "keras.layers"]))
    return value


@st.composite
def keras_archives(draw):
    if not _BASE:
        _BASE.append(_keras_config())
    kind = draw(st.sampled_from(["mutated", "mutated", "mutated", "not json", "no config", "not a zip"]))
    if kind == "not a zip":
        return draw(st.binary(max_size=64))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if kind == "mutated":
            archive.writestr("config.json", json.dumps(_mutate(_BASE[0], draw)))
        elif kind == "not json":
            archive.writestr("config.json", draw(st.binary(max_size=64)))
        archive.writestr("metadata.json", "{}")
    return buffer.getvalue()


@_settings(25)
@given(data=keras_archives())
def test_random_keras_archives_import_or_fail_clearly(data):
    need_module("keras")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.keras"
        path.write_bytes(data)
        _import(path)
