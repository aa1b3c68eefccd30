"""symparams import: an architecture file from what people already have.

A Hugging Face config.json (read as JSON, nothing else needed), a saved Keras model (.keras), or a
PyTorch module given as package.module:factory with its input shape, or an ONNX file (.onnx, read
with the `onnx` package).
"""

from __future__ import annotations

import os
import re

from ..errors import DefinitionError, SymparamsError, UsageError
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
    p.add_argument("--input-shape", metavar="SHAPE", action="append",
                   help="the input of a PyTorch module, channels last without the batch axis, e.g. 224x224x3; "
                        "a forward with several tensor arguments takes one shape per argument, in forward's "
                        "order: --input-shape given once per input (--input-shape 300 --input-shape 300) or "
                        "the shapes comma-separated (--input-shape 88x88x1,88x88x1)")
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
        text = from_hf_config(read_config(source), source=source, verify=True)
    elif _FACTORY.fullmatch(source) and not os.path.exists(source):
        text = _from_torch_factory(source, args.input_shape, generalize)
    elif not os.path.exists(source):
        raise UsageError(f"cannot read {source}: no such file")
    else:
        raise DefinitionError(f"{source}: not a source symparams imports",
                              hint="give a Hugging Face config.json, a .keras file, or package.module:factory")
    if not lower.endswith(".onnx"):          # the ONNX reader already reads its text back (its shapes check)
        read_back(text, source)
    write_output(text, args.output)
    return 0


def read_back(text: str, source: str) -> None:
    """What import writes must be a file symparams reads: a value past the literal limit (a 4,400-digit
    hidden_size) or any other text it would refuse is an error here, not in the next command."""
    from ..engine.network import parse
    from ..errors import SymparamsError as Error
    try:
        parse(text)
    except Error as exc:
        raise DefinitionError(f"{source}: the import gives a file symparams cannot read back: "
                              f"{exc.message}", hint=exc.hint) from None


def _from_onnx_file(path: str, generalize) -> str:
    from ..frameworks.onnx_import import from_onnx
    if not os.path.exists(path):
        raise UsageError(f"cannot read {path}: no such file")
    return from_onnx(path, generalize=generalize, source=path)


def _from_keras_file(path: str, generalize) -> str:
    from ..frameworks.importer import from_keras
    from ..frameworks.plan import need
    if not os.path.exists(path):
        raise UsageError(f"cannot read {path}: no such file")
    config = keras_config(path)
    keras = need("keras", "keras")
    try:
        # the architecture only: every weight is made on PyTorch's meta device (shapes, no memory), so a
        # 709-byte file declaring a 2 GB layer costs nothing; safe_mode keeps Lambda bytecode refused
        with keras.device("meta"):
            model = keras.saving.deserialize_keras_object(config, safe_mode=True,
                                                          custom_objects=_exported_keras_classes(keras))
            if not isinstance(model, keras.Model):
                raise DefinitionError(f"{path}: its config.json describes a {type(model).__name__}, not a model")
            # a loaded model's layers keep one graph node per build during loading, which the importer
            # cannot follow; a clone is the same architecture called once
            model = keras.models.clone_model(model)
    except SymparamsError:
        raise
    except Exception as exc:        # noqa: BLE001 - Keras raises many kinds for a file it cannot read
        raise DefinitionError(f"{path}: Keras cannot load it: {_first_line(exc)}") from None
    return from_keras(model, generalize=generalize)


def _exported_keras_classes(keras) -> dict:
    """The helper layer classes symparams' own Keras export writes (ClassToken, PositionEmbedding, GRN, ...),
    by name: a model it exported and the user saved loads back (their source is symparams', run as the
    exported file runs it; a saved file names them, it brings no code)."""
    from ..frameworks.keras_export import HELPERS
    from ..layers.base import kinds
    space = {"keras": keras, "layers": keras.layers, "ops": keras.ops}
    sources = dict(HELPERS)
    for spec in kinds():
        sources.update(spec.keras_helpers)
    found = {}
    for name, source in sources.items():
        exec(compile(source, f"<symparams helper {name}>", "exec"), space)     # noqa: S102 - symparams' own source
        if isinstance(space.get(name), type):
            found[name] = space[name]
    return found


def keras_config(path: str) -> dict:
    """The model's config.json inside a .keras archive, read bounded (the archive on disk at most
    limits.MAX_KERAS_BYTES, the member at most limits.MAX_CONFIG_BYTES, whatever its header claims)."""
    import json
    import stat
    import zipfile

    from ..limits import MAX_CONFIG_BYTES, MAX_KERAS_BYTES
    try:
        st = os.stat(path)
    except OSError as exc:
        raise DefinitionError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise DefinitionError(f"cannot read {path}: not a regular file")
    if st.st_size > MAX_KERAS_BYTES:
        raise DefinitionError(f"{path} holds {st.st_size:,} bytes, more than the {MAX_KERAS_BYTES:,} a .keras file "
                              "may have (symparams.limits)")
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise DefinitionError(f"{path}: its config.json holds {info.file_size:,} bytes, more than "
                                      f"{MAX_CONFIG_BYTES:,}")
            with archive.open(info) as member:
                data = member.read(MAX_CONFIG_BYTES + 1)
    except KeyError:
        raise DefinitionError(f"{path}: Keras cannot load it: not a saved Keras model (no config.json in the archive)") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError, EOFError,
            RuntimeError) as exc:
        raise DefinitionError(f"{path}: Keras cannot load it: not a saved Keras model ({_first_line(exc)})") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise DefinitionError(f"{path}: its config.json holds more than {MAX_CONFIG_BYTES:,} bytes")
    try:
        config = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise DefinitionError(f"{path}: its config.json is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise DefinitionError(f"{path}: its config.json is not JSON ({_first_line(exc)})") from None
    if not isinstance(config, dict):
        raise DefinitionError(f"{path}: its config.json is a {type(config).__name__}, not a model's config")
    return config


def _first_line(exc) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _from_torch_factory(reference: str, input_shape, generalize) -> str:
    import importlib
    import sys

    from ..frameworks.importer import from_torch
    from ..frameworks.plan import need
    from ..frameworks.torch_meta import build_on_meta
    if not input_shape:
        raise UsageError(f"{reference}: a PyTorch module needs --input-shape (channels last, e.g. 224x224x3)")
    torch = need("torch", "pytorch")
    module_name, _, factory_name = reference.partition(":")
    if "" not in sys.path and os.getcwd() not in sys.path:
        # package.module is also looked up from here, but last: a file here never shadows an installed
        # module (a json.py or torch.py in the current folder)
        sys.path.append(os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DefinitionError(f"{reference}: cannot import {module_name}: {exc}") from None
    except (Exception, SystemExit) as exc:     # noqa: BLE001 - the user's module runs at import
        raise DefinitionError(f"{reference}: importing {module_name} failed: {_raised(exc)}") from None
    factory = getattr(module, factory_name, None)
    if factory is None and module_name == "timm":
        # timm's entry points (timm.models.resnet.resnet50, ...) are gathered in timm.models, not in the package
        # root: `timm:resnet50` names the same factory
        factory = getattr(importlib.import_module("timm.models"), factory_name, None)
    if not callable(factory):
        raise DefinitionError(f"{reference}: {module_name} has no callable '{factory_name}'")
    try:
        # on the meta device: parameters have shapes and no memory (a count needs nothing else), and
        # from_torch traces it with a meta input of --input-shape; a factory that cannot run there
        # (it reads a value: RegNet's widths) is called again, each weight moved to meta as it is made
        model = build_on_meta(factory)
    except (Exception, SystemExit) as exc:     # noqa: BLE001 - the user's code decides what it raises
        raise DefinitionError(f"{reference}: calling {factory_name}() failed: {_raised(exc)}") from None
    if not isinstance(model, torch.nn.Module):
        raise DefinitionError(f"{reference}: {factory_name}() returned a {type(model).__name__}, not an nn.Module")
    # each --input-shape may hold several shapes (commas); together, one per forward argument in order
    return from_torch(model, ",".join(input_shape), generalize=generalize)


def _raised(exc: BaseException) -> str:
    """What user code raised, in one line (SystemExit included: a factory must not end symparams)."""
    if isinstance(exc, SystemExit):
        return f"it called exit({exc.code!r})"
    return f"{type(exc).__name__}: {_first_line(exc) if str(exc).strip() else ''}".rstrip(": ")
