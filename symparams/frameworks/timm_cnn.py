"""What the PyTorch import needs to know about timm's CNN building blocks that compute in Python.

timm ports TensorFlow models (tf_efficientnet_*, tf_mixnet_*, tf_mobilenetv3_*, NASNet, NFNet-F from DeepMind)
with TensorFlow's 'same' padding: Conv2dSame, MaxPool2dSame and AvgPool2dSame pad their input in forward by an
amount computed from its size (pad_same), which torch.fx cannot trace (a Python `if` on a traced size). The
import keeps such a module whole and reads the padding at the import's input size, where it is a number: the
TensorFlow rule total = max((ceil(H/s) - 1)·s + (k - 1)·d + 1 - H, 0), the smaller half before. Symmetric, it is
the layer's own padding=; otherwise a `zeropad B after=A` line before the layer (what pad_same does: F.pad,
then the layer without padding). The max pool pads with -inf rather than zeros, which changes no count or shape.

Pure functions on module attributes and sizes; the importer writes the lines.
"""

from __future__ import annotations

# the modules of timm that pad 'same' in forward; StdConv2dSame and ScaledStdConv2dSame only when their
# same_pad flag says the padding could not be made static
_SAME_CLASSES = ("Conv2dSame", "MaxPool2dSame", "AvgPool2dSame")
_FLAGGED_CLASSES = ("StdConv2dSame", "ScaledStdConv2dSame")


def pads_same_in_forward(module) -> bool:
    """Whether `module` is one of timm's modules that pad TensorFlow-'same' from the input's size in forward."""
    cls = type(module)
    if not cls.__module__.startswith("timm."):
        return False
    if cls.__name__ in _SAME_CLASSES:
        return True
    return cls.__name__ in _FLAGGED_CLASSES and bool(getattr(module, "same_pad", False))


def _pair(value, rank: int) -> tuple:
    return tuple(int(v) for v in value) if isinstance(value, (tuple, list)) else (int(value),) * rank


def same_pads(module, sizes) -> tuple[list[int], list[int]]:
    """(before, after) per spatial axis of TensorFlow's 'same' padding for `module` (kernel_size, stride and
    dilation as PyTorch stores them) on a map of spatial `sizes`, as timm's pad_same computes it."""
    rank = len(sizes)
    kernel = _pair(module.kernel_size, rank)
    stride = _pair(module.stride if module.stride is not None else module.kernel_size, rank)
    dilation = _pair(getattr(module, "dilation", 1), rank)
    before, after = [], []
    for size, k, s, d in zip(sizes, kernel, stride, dilation):
        total = max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)
        before.append(total // 2)
        after.append(total - total // 2)
    return before, after
