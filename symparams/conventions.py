"""Where Keras and PyTorch count or shape differently — and nowhere else.

Each function takes the convention name ('keras' or 'pytorch') and answers one question.
The README's "Keras vs PyTorch counting" section is generated from these through the
engine (scripts/conventions_table.py), so what is documented is what is computed.
"""

from __future__ import annotations

from .algebra import as_int, is_number, nonnegative
from .errors import DefinitionError

KERAS = "keras"
PYTORCH = "pytorch"
DEFAULT = KERAS        # the rules used when neither the file nor the caller names a convention


def is_default(convention: str | None) -> bool:
    """Whether `convention` is what an unstated one means (None counts as unstated)."""
    return convention is None or convention == DEFAULT


def check(convention: str) -> str:
    if convention not in (KERAS, PYTORCH):
        raise DefinitionError(f"unknown convention '{convention}'; use 'keras' or 'pytorch'")
    return convention


# -- weight names and layouts: (name, shape) pairs; the kinds make their Weight objects from them


def norm_epsilon(convention: str) -> float:
    """The epsilon a batch, layer or group norm adds to the variance when none is given: PyTorch's 1e-5 (BatchNorm*d,
    LayerNorm, GroupNorm), Keras' 1e-3 (BatchNormalization, LayerNormalization, GroupNormalization)."""
    return 1e-3 if convention == KERAS else 1e-5


def norm_weight_names(convention: str) -> tuple[str, str]:
    """(scale, shift) of a normalisation: Keras gamma/beta, PyTorch weight/bias."""
    return ("gamma", "beta") if convention == KERAS else ("weight", "bias")


def rms_scale_name(convention: str) -> str:
    """RMS normalisation's one weight: Keras RMSNormalization 'scale', PyTorch nn.RMSNorm 'weight'."""
    return "scale" if convention == KERAS else "weight"


def normalization_statistics(convention: str) -> bool:
    """Whether a Normalization layer's mean, variance and count are buffers: Keras counts them as
    non-trainable weights; the PyTorch module symparams writes keeps them as buffers."""
    return convention == PYTORCH


def ceil_mode_error(ceil_mode, convention: str) -> str | None:
    """PyTorch pools round their output size up with ceil_mode=True; Keras pooling cannot."""
    if ceil_mode and convention == KERAS:
        return "Keras pooling has no ceil_mode (use --convention pytorch)"
    return None


def batch_statistics(convention: str) -> tuple[tuple[str, str], bool]:
    """Batch norm's (mean, variance) names, and whether they are buffers: Keras counts the moving
    mean and variance as (non-trainable) parameters; PyTorch keeps them as buffers, outside parameters()."""
    if convention == KERAS:
        return ("moving_mean", "moving_variance"), False
    return ("running_mean", "running_var"), True


def dense_kernel(inputs, units, convention: str) -> tuple:
    """Keras stores a dense kernel (in, out); PyTorch's Linear weight is (out, in)."""
    return (inputs, units) if convention == KERAS else (units, inputs)


def conv_kernel(kernel: tuple, per_group, filters, convention: str) -> tuple:
    """Keras: (*kernel, C/groups, F); PyTorch: (F, C/groups, *kernel)."""
    return tuple(kernel) + (per_group, filters) if convention == KERAS else (filters, per_group) + tuple(kernel)


def transposed_kernel(kernel: tuple, channels, filters_per_group, convention: str) -> tuple:
    """Keras: (*kernel, F/groups, C); PyTorch: (C, F/groups, *kernel)."""
    if convention == KERAS:
        return tuple(kernel) + (filters_per_group, channels)
    return (channels, filters_per_group) + tuple(kernel)


def depthwise_kernel(kernel: tuple, channels, multiplier, convention: str) -> tuple[str, tuple]:
    """Keras: depthwise_kernel (*kernel, C, M); PyTorch: a grouped conv weight (C*M, 1, *kernel)."""
    if convention == KERAS:
        return "depthwise_kernel", tuple(kernel) + (channels, multiplier)
    return "weight", (channels * multiplier, 1) + tuple(kernel)


def embedding_weight_name(convention: str) -> str:
    return "embeddings" if convention == KERAS else "weight"


def recurrent_bias_vectors(cell: str, convention: str) -> int:
    """How many bias vectors each gate has. PyTorch always has b_ih and b_hh; Keras has one,
    except GRU with reset_after=True (its default), which keeps two."""
    if convention == PYTORCH:
        return 2
    return 2 if cell == "gru" else 1


def same_padding_error(kind: str, stride, convention: str) -> str | None:
    """PyTorch accepts padding='same' only for stride-1 convolutions, and not for pooling."""
    if convention != PYTORCH:
        return None
    if kind == "pool":
        return "PyTorch pooling has no padding='same'; give an explicit padding (e.g. padding=1)"
    if any(s != 1 for s in stride):
        return "PyTorch allows padding='same' only with stride 1; give an explicit padding instead"
    return None


def explicit_padding_error(kind: str, convention: str) -> str | None:
    """Keras transposed convolutions take only 'valid' or 'same'. (Explicit pooling padding is
    allowed under both: see pool_pads_with_zeros.)"""
    if convention == KERAS and kind == "deconv":
        return "Keras transposed convolutions take padding=valid or padding=same; explicit padding is PyTorch style (use --convention pytorch)"
    return None


def pool_pads_with_zeros(convention: str) -> bool:
    """What an explicit pooling padding p means. Keras: zeros, then a 'valid' pool (ZeroPadding2D +
    MaxPooling2D, as keras.applications.ResNet50 writes it). PyTorch: the pool's own padding (max
    pooling ignores the padded cells, average pooling counts them as zeros). Sizes are the same."""
    return convention == KERAS


def pool_padding_error(pads, pool, convention: str) -> str | None:
    """PyTorch pools refuse a padding of more than half the pool size; zeros then a pool (Keras) do not."""
    if convention != PYTORCH:
        return None
    for pad, size in zip(pads, pool):
        over = 2 * pad - size
        if over > 0 if type(over) is int else over.is_positive:    # (a SymPy relation is never `is True`)
            return f"padding {pad} is more than half the pool size {size} (PyTorch rejects it)"
    return None


def avgpool3d_window_error(sizes, pool, convention: str) -> str | None:
    """PyTorch's AvgPool3d wants every input axis at least as long as the pool, padding aside
    (MaxPool3d and the 1-D/2-D pools count the padding)."""
    if convention != PYTORCH or len(pool) != 3:
        return None
    if any(nonnegative(size - p) is False for size, p in zip(sizes, pool)):
        return (f"PyTorch AvgPool3d needs each input axis ({'x'.join(map(str, sizes))}) at least the pool size "
                f"({'x'.join(map(str, pool))}), whatever the padding")
    return None


def transposed_conv_uses_keras_rules(convention: str) -> bool:
    """Keras sizes a 'valid' transposed convolution as H*s + max(k - s, 0); PyTorch as (H - 1)s + k."""
    return convention == KERAS


def attention_packed(projected: bool, convention: str) -> bool:
    """Whether self-attention's weights are PyTorch's packed nn.MultiheadAttention (one in_proj for q, k
    and v): under PyTorch unless the layer needs its own projections (grouped heads, a context,
    relative bias, q/k/v-only bias, heads*key_dim other than the width); Keras keeps four projections."""
    return convention == PYTORCH and not projected


def attention_head_dim_error(heads, key_dim, model_dim, convention: str) -> str | None:
    """torch.nn.MultiheadAttention splits the model width across heads (key_dim = d / heads); where
    heads*key_dim differs, PyTorch attention is four explicit projections (as Hugging Face writes it),
    so no framework refuses it."""
    return None


def attention_context_error(model_dim, context_dim, grouped: bool, convention: str) -> str | None:
    """Keras GroupQueryAttention needs keys and values as wide as the queries."""
    if convention == KERAS and grouped and is_number(model_dim - context_dim) and model_dim != context_dim:
        return (f"Keras GroupQueryAttention needs the context as wide as the queries ({model_dim}); "
                f"the context is {context_dim} wide (use --convention pytorch)")
    return None


def keras_limitation(cfg, convention: str) -> str | None:
    """Windows PyTorch builds but Keras 3 refuses: stride > 1 together with dilation > 1 (a kind's
    own limits are its spec's: framework_problem)."""
    if convention != KERAS:
        return None
    strides = [as_int(s) for s in cfg.get("stride") or ()]
    dilations = [as_int(d) for d in cfg.get("dilation") or ()]
    if any(s is not None and s > 1 for s in strides) and any(d is not None and d > 1 for d in dilations):
        return ("Keras does not allow stride > 1 together with dilation > 1 "
                "(use --convention pytorch, or split the layer)")
    return None


def output_padding_error(output_padding, stride, dilation, convention: str) -> str | None:
    """A transposed convolution's output_padding must be below the stride (Keras), or below the
    stride or the dilation (PyTorch)."""
    for op, s, d in zip(output_padding, stride, dilation):
        if nonnegative(op - s) is not True:
            continue
        if convention == KERAS:
            return f"Keras needs output_padding below the stride: output_padding {op}, stride {s}"
        if nonnegative(op - d) is True:
            return (f"PyTorch needs output_padding below the stride or the dilation: output_padding {op}, "
                    f"stride {s}, dilation {d}")
    return None


def weight_names(convention: str) -> tuple[str, str]:
    """(kernel name, bias name) of a convolution or dense layer."""
    return ("kernel", "bias") if convention == KERAS else ("weight", "bias")
