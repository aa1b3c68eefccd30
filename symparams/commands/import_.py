"""symparams import: an architecture file from what people already have.

A Hugging Face config.json (read as JSON, nothing else needed), a saved Keras model (.keras), or a
PyTorch module given as package.module:factory with its input shape, or an ONNX file (.onnx, read
with the `onnx` package).
"""

from __future__ import annotations

import os
import re

from ..errors import DefinitionError, UsageError
from ._common import write_output


def add_parser(sub):
    p = sub.add_parser("import", help="write a DSL file from a Hugging Face config.json, a .keras file or a "
                                      "PyTorch module",
                       description="Write the architecture of an existing model as a symparams file. SOURCE is a "
                                   "Hugging Face config.json (or the folder holding it): the file's symbols are the "
                                   "config's field names at its values, and its count is that of the class first in "
                                   "`architectures`; a saved Keras model (.keras); an ONNX graph (.onnx); or a PyTorch module as "
                                   "package.module:factory (a callable returning the nn.Module) with --input-shape.")
    p.add_argument("source", metavar="SOURCE", help="config.json, MODEL.keras, MODEL.onnx, or package.module:factory")
    p.add_argument("-o", "--output", metavar="FILE.arch", help="write the file here instead of standard output")
    p.add_argument("--generalize", action="append", default=[], metavar="KIND=SYMBOL[,KIND=SYMBOL]",
                   help="turn a recurring value into a symbol (Keras and PyTorch sources), e.g. "
                        "--generalize filters=f,input=n")
    p.add_argument("--input-shape", metavar="SHAPE",
                   help="the input of a PyTorch module, channels last without the batch axis, e.g. 224x224x3")
    p.set_defaults(run=run)


def parse_generalize(items) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        for piece in filter(None, (p.strip() for p in item.split(","))):
            kind, sep, symbol = piece.partition("=")
            kind, symbol = kind.strip(), symbol.strip()
            if not sep or not kind.isidentifier() or not symbol.isidentifier():
                raise UsageError(f"--generalize takes KIND=SYMBOL, got '{piece}'")
            out[kind] = symbol
    return out


_FACTORY = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


def run(args) -> int:
    generalize = parse_generalize(args.generalize)
    source = args.source
    if os.path.isdir(source) and os.path.isfile(os.path.join(source, "config.json")):
        source = os.path.join(source, "config.json")
    lower = source.lower()
    if lower.endswith(".onnx"):
        text = _from_onnx_file(source, generalize)
    elif lower.endswith(".keras"):
        text = _from_keras_file(source, generalize)
    elif lower.endswith(".json"):
        if generalize:
            raise UsageError("--generalize does not apply to a config.json: its symbols are the config's own "
                             "field names")
        from ..frameworks.hf_config import from_hf_config, read_config
        text = from_hf_config(read_config(source), source=source)
    elif _FACTORY.fullmatch(source) and not os.path.exists(source):
        text = _from_torch_factory(source, args.input_shape, generalize)
    elif not os.path.exists(source):
        raise UsageError(f"cannot read {source}: no such file")
    else:
        raise DefinitionError(f"{source}: not a source symparams imports",
                              hint="give a Hugging Face config.json, a .keras file, or package.module:factory")
    write_output(text, args.output)
    return 0


def _from_onnx_file(path: str, generalize) -> str:
    from ..frameworks.onnx_import import from_onnx
    if not os.path.isfile(path):
        raise UsageError(f"cannot read {path}: no such file")
    return from_onnx(path, generalize=generalize, source=path)


def _from_keras_file(path: str, generalize) -> str:
    from ..frameworks.importer import from_keras
    from ..frameworks.plan import need
    if not os.path.isfile(path):
        raise UsageError(f"cannot read {path}: no such file")
    keras = need("keras", "keras")
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as exc:        # noqa: BLE001 - Keras raises many kinds for a file it cannot read
        raise DefinitionError(f"{path}: Keras cannot load it: {str(exc).splitlines()[0][:200]}") from None
    # a loaded model's layers keep one graph node per build during loading, which the importer cannot
    # follow; a clone is the same architecture called once (its weights are not needed)
    return from_keras(keras.models.clone_model(model), generalize=generalize)


def _from_torch_factory(reference: str, input_shape, generalize) -> str:
    import importlib
    import sys

    from ..frameworks.importer import from_torch
    from ..frameworks.plan import need
    if not input_shape:
        raise UsageError(f"{reference}: a PyTorch module needs --input-shape (channels last, e.g. 224x224x3)")
    torch = need("torch", "pytorch")
    module_name, _, factory_name = reference.partition(":")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())      # package.module is looked up from here, as `python -m` would
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DefinitionError(f"{reference}: cannot import {module_name}: {exc}") from None
    factory = getattr(module, factory_name, None)
    if not callable(factory):
        raise DefinitionError(f"{reference}: {module_name} has no callable '{factory_name}'")
    try:
        model = factory()
    except Exception as exc:        # noqa: BLE001 - the user's code decides what it raises
        raise DefinitionError(f"{reference}: calling {factory_name}() failed: {type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:200] if str(exc) else ''}") from None
    if not isinstance(model, torch.nn.Module):
        raise DefinitionError(f"{reference}: {factory_name}() returned a {type(model).__name__}, not an nn.Module")
    return from_torch(model, input_shape, generalize=generalize)
