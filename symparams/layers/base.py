"""What a layer kind is: a small spec that checks its arguments, computes its output
shape, and declares its weights. Parameter counts are never written by hand: they are
derived from the declared weight shapes, here, once.

To add a layer kind: subclass LayerSpec in the module of its family, give it keywords,
arguments and options, implement output_shape and weights, decorate it with @register,
and add its tests.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Mapping

import sympy
from sympy import Integer

from ..algebra import as_int, known_number, product
from ..errors import DefinitionError, ShapeError

KERAS = "keras"
PYTORCH = "pytorch"
CONVENTIONS = (KERAS, PYTORCH)

ACTIVATIONS = (
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "mish", "sigmoid",
    "hard_sigmoid", "tanh", "softmax", "log_softmax", "softplus", "softsign", "hard_swish",
    "exponential", "linear",
)


class cached_value:
    """functools.cached_property without the lock Python 3.11 takes at every first access (Python
    3.12 dropped it too): rows and weights are made by the thousand, each total asked once."""

    def __init__(self, func):
        self.func, self.name, self.__doc__ = func, func.__name__, func.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


@dataclass(frozen=True)
class Weight:
    """One weight tensor of a layer. A 'buffer' is state that is not a parameter
    (PyTorch batch-norm running statistics)."""
    name: str
    shape: tuple
    trainable: bool = True
    buffer: bool = False

    def __init__(self, name: str, shape: tuple, trainable: bool = True, buffer: bool = False):
        # the dataclass's own __init__ would set each field through the frozen object.__setattr__
        self.__dict__.update(name=name, shape=tuple([d if isinstance(d, sympy.Basic) else sympy.sympify(d)
                                                     for d in shape]), trainable=trainable, buffer=buffer)

    @cached_value      # asked once per total (params, trainable, buffers, ...)
    def size(self):
        return product(self.shape)


# Argument and option kinds.
COUNT = "count"          # one positive whole number (filters, units)
WINDOW = "window"        # one value per spatial axis (kernel, pool size, stride, dilation)
DIMS = "dims"            # any number of sizes (input shape, reshape target)
RATE = "rate"            # a fraction in [0, 1) (dropout)
PADDING = "padding"      # valid | same | a window of explicit paddings
NONNEG_WINDOW = "nonneg_window"   # like WINDOW but 0 is allowed (output_padding, zeropad)
BOOL = "bool"
WORD = "word"
STRING = "string"
INTEGER = "integer"      # a whole number, 0 allowed


@dataclass(frozen=True)
class Arg:
    name: str
    kind: str
    required: bool = True
    default: Any = None
    doc: str = ""


@dataclass(frozen=True)
class Opt:
    kind: str
    default: Any = None
    choices: tuple = ()
    doc: str = ""


class Config(dict):
    """Resolved arguments of one layer: SymPy values, tuples per spatial axis, words."""

    def __getattr__(self, item):
        try:
            return self[item]
        except KeyError as exc:
            raise AttributeError(item) from exc

    def __getattribute__(self, item):
        # the same lookup, keys first for names that are not the class's: Python reaches
        # __getattr__ only through an AttributeError, which made cfg.stride cost 4x cfg["stride"]
        if item in _DICT_NAMES:
            return object.__getattribute__(self, item)
        try:
            return dict.__getitem__(self, item)
        except KeyError:
            return object.__getattribute__(self, item)


_DICT_NAMES = frozenset(dir(Config))


class Deferred:
    """Text made when it is first read: most constraint messages of a derive are never printed,
    and printing SymPy expressions is slow."""
    __slots__ = ("make", "text")

    def __init__(self, make):
        self.make, self.text = make, None

    def __str__(self) -> str:
        if self.text is None:
            self.text = self.make()
        return self.text

    def __format__(self, spec) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return repr(str(self))


@dataclass
class Context:
    """What a spec may ask of the engine while it works on one layer."""
    convention: str = KERAS
    constraints: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    embeddings: list = field(default_factory=list)     # (vocabulary, dim) of each embedding so far

    def require_positive(self, value, message):
        """value >= 1: an error when it is a number that is not, a constraint when symbolic.
        message: a string, or a function giving it (formatted only when it is needed)."""
        if isinstance(value, Integer):      # the common case, without asking SymPy's assumptions
            if value.p < 1:
                raise ShapeError(message() if callable(message) else message)
            return
        if known_number(value):
            if not value >= 1:
                raise ShapeError(message() if callable(message) else message)
        elif value.is_positive is not True:
            self.constraints.append((value, Deferred(message) if callable(message) else message))

    def require(self, condition: bool | None, message: str, symbolic_note: str | None = None):
        """A check that may be undecidable with symbols: record it then."""
        if condition is not None and not isinstance(condition, bool):
            condition = bool(condition)          # SymPy's true/false are not Python's True/False
        if condition is False:
            raise ShapeError(message)
        if condition is None and symbolic_note:
            self.constraints.append((None, symbolic_note))

    def warn(self, message: str):
        self.warnings.append(message)


def divides(divisor, value) -> bool | None:
    """Whether divisor divides value: True/False when numbers, None when symbolic."""
    d, v = as_int(divisor), as_int(value)
    if d == 1:
        return True
    if d is not None and v is not None:
        return v % d == 0
    ratio = sympy.cancel(value / divisor)
    if ratio.is_integer:
        return True
    return None


class LayerSpec:
    """Base of every layer kind."""

    keywords: tuple[str, ...] = ()
    family: str = ""
    summary: str = ""
    formula: str = ""                   # the parameter formula, as documented
    arguments: tuple[Arg, ...] = ()
    options: Mapping[str, Opt] = {}
    takes_activation: bool = False
    # keyword -> number of spatial axes it requires (conv2d -> 2); None: any
    spatial_rank_of: Mapping[str, int] = {}
    min_rank: int = 1                   # smallest input rank (H x W x C has rank 3)
    max_rank: int | None = None

    # -- what a spec implements -------------------------------------------------------
    def configure(self, cfg: Config, shape: tuple, ctx: Context) -> None:
        """Check arguments against the input and fill derived values (default: nothing)."""

    def output_shape(self, cfg: Config, shape: tuple, ctx: Context) -> tuple:
        return shape

    def weights(self, cfg: Config, shape: tuple, ctx: Context) -> tuple[Weight, ...]:
        return ()

    # -- cost (read by symparams/cost.py): one forward pass of one example --------------
    def macs(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """Multiply-accumulates (products of two values added into a sum)."""
        return Integer(0)

    def bias_adds(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """Additions of a bias, outside the MACs (in FLOPs only when asked for)."""
        return Integer(0)

    def other_ops(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """Element operations that are not MACs: pooling compares/adds, normalisation, merges."""
        return Integer(0)

    def receptive(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """How the layer moves the receptive field: None (acts position by position),
        'start' (its output positions are input positions), 'global' (mixes every position),
        'unknown', or one (span, stride, padding before) per spatial axis."""
        return None

    # -- helpers shared by specs -------------------------------------------------------
    def kind_name(self, keyword: str, shape: tuple) -> str:
        """The reported kind (conv2d for 'conv' on an image)."""
        return keyword

    @staticmethod
    def channels(shape: tuple):
        return shape[-1]


REGISTRY: dict[str, LayerSpec] = {}


def register(cls):
    spec = cls()
    for keyword in cls.keywords:
        if keyword in REGISTRY:
            raise RuntimeError(f"layer keyword {keyword!r} registered twice")
        REGISTRY[keyword] = spec
    return cls


def whole(value, what: str):
    """Check that a SymPy value is a whole number (or may be one, when symbolic)."""
    if value.is_integer is False:
        raise DefinitionError(f"{what} must be a whole number, got {value}")
    return value


def one(value) -> Integer:
    return Integer(value)
