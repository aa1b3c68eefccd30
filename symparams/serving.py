"""Serving as formulas: stored weights under a quantisation scheme, the KV cache under its dtype and
paged blocks, and the prefill and decode phases' FLOPs and bytes moved.

Weight schemes (`--weight-dtype`; torchao 0.18's layouts, measured in tests/test_serving.py): the
matrices of products (dense layers, attention projections, an untied output head: what
`quantize_` replaces in nn.Linear) take the scheme; embeddings, norms and biases stay in bf16.
  fp32 / bf16 / fp16   4 / 2 / 2 bytes per value, every weight
  fp8                  1 byte per value + a float32 scale per output row (Float8WeightOnlyConfig)
  int8                 1 byte per value + a float32 scale and an int8 zero point per group
                       (Int8WeightOnlyConfig; a group is an output row unless --group-size G)
  int4                 4 bits per value (two per byte, as packed kernels store them) + a bf16 scale and
                       an int8 zero point per group of G = 128 (IntxWeightOnlyConfig's scales and zeros)
  nf4                  4 bits per value + an int8 scaler per block of G = 64, a bf16 factor per 256
                       blocks, a bf16 mean and the 16-value bf16 code book per tensor (NF4Tensor, QLoRA's
                       double quantisation)
KV cache (`--kv-dtype fp32|bf16|fp16|fp8|int8`, `--kv-block B`): keys and values of min(T, W) positions
per attention layer, rounded up to whole blocks of B positions (a paged cache allocates whole blocks).
"""

from __future__ import annotations

from dataclasses import dataclass

from .numeric import sympy     # imported at first use: the parser of a command imports this module

from .algebra import product
from .choices import KV_DTYPES, WEIGHT_DTYPES  # (the options' vocabularies: choices.py)
from .errors import UsageError, did_you_mean
from .layers import spec_and_context

PLAIN = {"fp32": 4, "bf16": 2, "fp16": 2}
DEFAULT_GROUP = {"int4": 128, "nf4": 64}
NF4_SCALER_BLOCK = 256
BASE = 2                         # bytes of the weights a scheme leaves alone (bf16)


@dataclass(frozen=True)
class Serving:
    """How weights and the KV cache are stored (None: the precision's weight bytes)."""
    weight_dtype: str | None = None
    group_size: object = None
    kv_dtype: str | None = None
    kv_block: object = None

    def __post_init__(self):
        from .algebra import size_value
        if self.weight_dtype is not None and self.weight_dtype not in WEIGHT_DTYPES:
            raise UsageError(f"unknown weight-dtype '{self.weight_dtype}'; use one of {', '.join(WEIGHT_DTYPES)}",
                             hint=did_you_mean(str(self.weight_dtype), list(WEIGHT_DTYPES)))
        if self.kv_dtype is not None and self.kv_dtype not in KV_DTYPES:
            raise UsageError(f"unknown kv-dtype '{self.kv_dtype}'; use one of {', '.join(KV_DTYPES)}",
                             hint=did_you_mean(str(self.kv_dtype), list(KV_DTYPES)))
        if self.group_size is not None:
            if self.weight_dtype not in ("int8", "int4", "nf4"):
                raise UsageError("--group-size sets the quantisation groups of --weight-dtype int8, int4 or nf4")
            object.__setattr__(self, "group_size", size_value("group-size", self.group_size))
        if self.kv_block is not None:
            object.__setattr__(self, "kv_block", size_value("kv-block", self.kv_block))

    def is_default(self) -> bool:
        return self == Serving()


def _quantised(row, weight) -> bool:
    """The matrices quantize_ replaces: an nn.Linear's weight (dense, attention projections)."""
    kind = (row.config or {}).get("keyword")
    return kind in ("dense", "attention", "mha") and len(weight.shape) >= 2 and not weight.buffer


def _in_features(weight, convention: str):
    """The reduced axis of a matrix: PyTorch stores (out, in); Keras (in, out), and (heads, key, d) for
    an attention output kernel."""
    if convention == "pytorch":
        return weight.shape[-1]
    if weight.name.startswith("output"):
        return product(weight.shape[:-1])
    return weight.shape[0]


def matrix_bytes(size, in_features, scheme: str, group=None) -> sympy.Expr:
    """Stored bytes of one quantised matrix of `size` values."""
    if scheme in PLAIN:
        return size * PLAIN[scheme]
    if scheme == "fp8":
        return size + 4 * size / in_features
    if scheme == "int8":
        groups = size / (group if group is not None else in_features)
        return size + 5 * groups
    g = group if group is not None else DEFAULT_GROUP[scheme]
    if scheme == "int4":
        return size / 2 + 3 * size / g
    # nf4
    return size / 2 + size / g + 2 * size / (g * NF4_SCALER_BLOCK) + 2 + 2 * 16


def weight_bytes(net, rows, serving: Serving, fallback: int) -> sympy.Expr:
    """Bytes of the weights (and buffers) of `rows` under the serving scheme."""
    scheme = serving.weight_dtype
    plain = PLAIN.get(scheme, BASE) if scheme is not None else fallback

    def leaf(row):
        out = sympy.S.Zero
        for w in row.weights:
            if scheme is not None and scheme not in PLAIN and _quantised(row, w):
                out += matrix_bytes(w.size, _in_features(w, net.convention), scheme, serving.group_size)
            else:
                out += w.size * plain
        return out
    return over(rows, leaf, stored=True)


def over(rows, leaf, *, stored: bool) -> sympy.Expr:
    """Σ leaf(row) over the leaves of rows, times their repeats (summed over a closed-form repeat's
    index); a mixture's experts count all of them when stored, top_k of them when run."""
    total = sympy.S.Zero
    for row in rows:
        if row.children:
            sub = over(row.children, leaf, stored=stored)
            count = row.count if stored or row.role != "experts" or not row.config else row.config["active"]
        else:
            sub, count = leaf(row), row.count
        if row.index is not None and sub.has(row.index):
            total += sympy.summation(sub, (row.index, row.start, row.start + row.count - 1))
        else:
            total += sub * count
    return total


def kv_bytes(net, rows, serving: Serving, batch, fallback: int) -> sympy.Expr:
    """Keys and values of every attention layer among `rows`: min(T, W) positions (whole blocks)."""
    per = KV_DTYPES[serving.kv_dtype] if serving.kv_dtype is not None else fallback

    def leaf(row):
        spec, ctx = spec_and_context(row, net.convention)
        if spec is None:
            return sympy.S.Zero
        values = sympy.sympify(spec.kv_cache_values(row.config, row.input_shape, row.output_shape, ctx))
        if values != 0 and serving.kv_block is not None and hasattr(spec, "_span"):
            span = spec._span(row.config, row.config.get("context_tokens") or row.input_shape[0])
            values = values / span * sympy.ceiling(span / serving.kv_block) * serving.kv_block
        return values
    return over(rows, leaf, stored=False) * batch * per
