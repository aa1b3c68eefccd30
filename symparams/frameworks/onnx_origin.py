"""What torch.onnx's dynamo exporter records about where a node came from, for the weights its optimiser
took out of the graph.

The exporter (torch >= 2.5, `dynamo=True`, the default from torch 2.9) writes on each node the PyTorch
operation it was made from (`pkg.torch.onnx.fx_node`: the aten call with its arguments, parameters named
`%p_...`) and onnxscript's optimiser the rewrite rules applied to it (`pkg.onnxscript.rewriter.rule_name`).
Two of those rules change what the file holds without changing the model:

- FuseBatchNormInto{Conv,ConvTranspose,Gemm}: an inference batch norm is folded into the layer before it (its
  2C parameters and 2C statistics are gone; the layer gets a bias named after its weight, `<weight>_bias`,
  when it had none, or keeps its own bias's name);
- RemoveOptionalBiasFrom{Conv,ConvTranspose,Gemm}: a bias that is all zeros (a fresh model's) is dropped.

Read back here, so the import counts the model, not what the optimiser left. A node without these records
(another exporter, a file stripped of metadata) is read as it stands: the file's own weights.
"""

from __future__ import annotations

import re

RULES = "pkg.onnxscript.rewriter.rule_name"
FX_NODE = "pkg.torch.onnx.fx_node"
SCOPES = "pkg.torch.onnx.name_scopes"
# the argument holding the bias of each aten operation a Conv/ConvTranspose/Gemm is made from
_BIAS_ARGUMENT = {"conv1d": 2, "conv2d": 2, "conv3d": 2, "convolution": 2, "conv_transpose1d": 2,
                  "conv_transpose2d": 2, "conv_transpose3d": 2, "linear": 2, "addmm": 0}
_BATCH_NORMS = ("_native_batch_norm_legit_no_training", "batch_norm", "_native_batch_norm_legit",
                "native_batch_norm", "cudnn_batch_norm", "_batch_norm_with_update", "_batch_norm_no_update")


def metadata(node) -> dict:
    return {p.key: p.value for p in getattr(node, "metadata_props", ())}


def rules(node) -> list[str]:
    return [r.strip() for r in metadata(node).get(RULES, "").split(",") if r.strip()]


def module_scopes(node) -> list:
    """The module path the dynamo exporter recorded for a node (`pkg.torch.onnx.name_scopes`: '', 'features',
    'features.1', ..., then the operation's own name), or []."""
    text = metadata(node).get(SCOPES, "")
    if not text.startswith("[") or not text.endswith("]"):
        return []
    return [part.strip().strip("'\"") for part in text[1:-1].split(",")]


def aten_call(node):
    """(operation, [argument texts]) of the aten call a node was exported from, or None."""
    text = metadata(node).get(FX_NODE, "")
    found = re.search(r"target=torch\.ops\.aten\.(\w+)\.\w+\]\(args = \((.*)\), kwargs = ", text, re.S)
    if not found:
        return None
    args, depth, current = [], 0, ""
    for ch in found.group(2):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            args.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        args.append(current.strip())
    return found.group(1), args


def folded_batchnorm(node):
    """When the optimiser folded a batch norm into this Conv/ConvTranspose/Gemm: whether it was affine (it
    read a weight); else None."""
    if not any(r.startswith("FuseBatchNormInto") for r in rules(node)):
        return None
    call = aten_call(node)
    if call is None or call[0] not in _BATCH_NORMS or len(call[1]) < 3:
        return True             # the rule's record alone: a batch norm with its weight and bias (the default)
    return call[1][1] != "None"


def had_bias(node, weight: str, bias: str | None):
    """Whether the layer the model had (before the optimiser) had a bias: True, False, or None when the
    file does not say (a zero bias dropped from a node whose aten call is not recorded)."""
    folded = folded_batchnorm(node) is not None
    if folded:
        # the folded bias keeps the layer's own bias's name, or is named after its weight when it had none;
        # dropped (all zeros): a fresh model's batch norm after a layer without bias
        return bool(bias) and bias != weight + "_bias"
    if bias:
        return True
    if not any(r.startswith("RemoveOptionalBiasFrom") for r in rules(node)):
        return False
    call = aten_call(node)
    if call is None or call[0] not in _BIAS_ARGUMENT:
        return None
    index = _BIAS_ARGUMENT[call[0]]
    return len(call[1]) > index and call[1][index] != "None"


SIGNATURE = "pkg.torch.export.ExportedProgram.graph_signature"


def lost_parameters(graph) -> list[str]:
    """The model's parameters (the graph signature the dynamo exporter records: `p_...: PARAMETER target='...'`)
    of which the file keeps no trace: not an initializer, named by no node's record, and owned by a module none of
    whose operations is left in the graph. onnxscript's optimiser merges equal computations: two fresh batch norms
    of one tensor (equal initial values, their initializers shared) become one node, and the other module's
    parameters vanish without a record (timm's FastViT: the token mixer's `norm` and the `mixer`'s identity branch);
    it drops a convolution's zero bias and then folds the batch norm after it, the node recording the batch norm
    only (torchvision's VGG-BN with fresh weights).
    A parameter whose module still has operations (a position table gathered into a constant, a class token folded)
    is read by the pattern that reads that module."""
    signature = {p.key: p.value for p in getattr(graph, "metadata_props", ())}.get(SIGNATURE)
    if not signature:
        return []
    params = re.findall(r"^(p_\w+): PARAMETER target='([^']+)'", signature, re.M)
    held = {t.name for t in graph.initializer}
    named, scopes = set(), set()
    for node in graph.node:
        named.update(re.findall(r"%(p_\w+)", metadata(node).get(FX_NODE, "")))
        scopes.update(module_scopes(node)[:-1])
    return [target for value, target in params if target not in held and value not in named
            and target.rpartition(".")[0] not in scopes]
