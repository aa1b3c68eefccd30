"""What a layer kind is: one spec holding everything about it. It checks its arguments, computes
its output shape and declares its weights (parameter counts are derived from the declared weight
shapes, here, once), states its costs and receptive field, writes itself as PyTorch and Keras code,
recognises itself in a PyTorch module or a Keras layer, names the letters of its general formula
and its diagram category. Consumers call these methods; none keeps a table of kinds.

To add a layer kind: subclass LayerSpec in the module of its family (or a module of its own under
symparams/layers/: layers/__init__.py imports every module there, no list to edit), give it keywords,
arguments and options,
implement the capabilities below, decorate it with @register, and add tests/kinds/test_<family>.py
with its generator for the shared harness. tests/kinds/test_registry.py names what is missing.

A kind's `output_shape` and `weights` also run on Python ints (summary --numbers derives without
SymPy: numeric.py): import SymPy as `from ..numeric import sympy` (imported at first use), write a
whole number as `integer(n)`, an exact quotient as `algebra.ratio(a, b)`, and ask `is_number(x)`
rather than `x.is_number`. What a kind cannot do on ints (a SymPy function) is no error: the derive
falls back to SymPy (tests/test_numbers.py lists the zoo files that must not).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..numeric import integer, sympy, whole
from ..algebra import as_int, known_number, product
from ..conventions import KERAS
from ..errors import ShapeError

ACTIVATIONS = (
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "mish", "sigmoid",
    "hard_sigmoid", "tanh", "softmax", "log_softmax", "softplus", "softsign", "hard_swish",
    "exponential", "abs", "linear",
)


class cached_value:
    """functools.cached_property without the lock Python 3.11 takes at every first access (Python
    3.12 dropped it too): rows and weights are made by the thousand, each total asked once."""

    def __init__(self, func):
        self.func, self.name, self.__doc__ = func, func.__name__, func.__doc__

    def __set_name__(self, _owner, name):
        self.name = name

    def __get__(self, instance, _owner=None):
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
        self.__dict__.update(name=name, shape=tuple([integer(d) if type(d) is int else
                                                     d if isinstance(d, sympy.Basic) else sympy.sympify(d)
                                                     for d in shape]), trainable=trainable, buffer=buffer)

    @cached_value      # asked once per total (params, trainable, buffers, ...)
    def size(self):
        return product(self.shape)


@dataclass(frozen=True)
class Saved:
    """One tensor autograd keeps for a layer's backward pass (LayerSpec.saved_activations)."""
    what: str                   # 'input' (the layer's input tensor), 'output' (its output) or 'own'
    values: Any = 0             # values per example of an 'own' tensor (input/output: their shape's)
    dtype: str = "act"          # 'act' (the activations' precision), 'index' (int64), 'mask' (a dropout
                                # mask: bool on GPU, the activations' dtype on CPU), 'stat' (float32),
                                # 'bool' (a bool mask everywhere), 'cpu' (kept by PyTorch's CPU
                                # path only: the activations' dtype on CPU, nothing on GPU)
    per_example: bool = True    # False: one tensor for the whole batch (a mask built from T)
    batched: bool = False       # kept only when the batch holds more than one example (a copy that batch 1 makes
                                # a view of: one window's v in Swin-V2's cosine attention)
    single: bool = False        # kept only in a batch of one, once (the storage those views keep alive instead)
    core: bool = False          # part of the attention core: recomputed under the 'selective' policy
    for_input_grad: bool = False  # kept only for the input's gradient (not when nothing before is trained)
    for_other_grad: bool = False  # kept only for the gradient of the named tensor read ('other')
    layout: str | tuple | None = None   # the layout an 'input' is read in ('contiguous'; a tuple: any of
                                # those): one in another layout is copied and the copy kept (PyTorch's
                                # matmul reshape), once per entry
    of: tuple | None = None     # kept only for gradients taken for these (as Gradient.of: 'input', 'other',
                                # 'tied', weight names), when one of them needs a gradient (a matrix product
                                # keeps its input for its weight's gradient only); None: whenever the layer is
                                # recorded
    unless: tuple | None = None  # not kept when one of these needs a gradient (Saved.of's names): the tensor
                                # is then kept by another entry already (one storage that two uses keep for
                                # different gradients)
    when_input: tuple | None = None     # kept only when the layer's input arrives in one of these layouts
    unless_input: tuple | None = None   # not kept when it arrives in one of these (a time-major sequence that a
                                # recurrent layer reads as a view instead of copying it)



@dataclass(frozen=True)
class Gradient:
    """One gradient the backward pass of a layer computes (LayerSpec.gradients): its multiply-accumulates, as
    torch.utils.flop_counter counts them, and `of`, what the operand it is taken for is computed from: 'input'
    (the layer's input), 'other' (the tensor it reads by name), 'tied' (another layer's table it multiplies by)
    or the layer's weight names. Autograd computes it only when that operand needs a gradient, that is when one
    of those does: the input or the other tensor when something before it is trained, a weight when it is
    trained (not frozen by trainable=false or frozen=). `once`: computed once per forward pass, whatever the
    batch (what LayerSpec.once_costs states)."""
    macs: Any
    of: tuple
    once: bool = False


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
INTEGER = "integer"      # a whole number at least 0 (relbias buckets, shared experts)
NUMBER = "number"        # any number: a decimal, a fraction, negative (rescaling's scale and offset)

# The range of each whole-number kind, checked by the binder (engine/binding.py) on numbers and
# recorded as a validity condition on a symbolic value (shared=s-3 is valid for s >= 3 only).
MINIMUM = {COUNT: 1, WINDOW: 1, INTEGER: 0, NONNEG_WINDOW: 0}


def range_text(kind: str) -> str:
    """The range of an option kind as `symparams layers` states it ('≥ 1'), or '' for other kinds."""
    return f"≥ {MINIMUM[kind]}" if kind in MINIMUM else ""


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
    # (expression that must be >= 1, a MustBeWhole/MustBeZero test, or None for words only; message)
    constraints: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    embeddings: list = field(default_factory=list)     # (vocabulary, dim) of each embedding so far
    tensors: dict = field(default_factory=dict)        # saved tensors: name (or (name, index)) -> shape
    tables: dict = field(default_factory=dict)         # named embedding tables: name -> (vocabulary, dim)
    layer_weights: dict = field(default_factory=dict)  # each weighted layer so far: name -> (kind, its weights)
    attention: str = "sdpa"     # the attention kernel whose saved tensors the cost model counts (--attention)

    def require_positive(self, value, message):
        """value >= 1: an error when it is a number that is not, a constraint when symbolic.
        message: a string, or a function giving it (formatted only when it is needed)."""
        n = whole(value)
        if n is not None:           # the common case, without asking SymPy's assumptions
            if n < 1:
                raise ShapeError(message() if callable(message) else message)
            return
        if known_number(value):
            if not value >= 1:
                raise ShapeError(message() if callable(message) else message)
        elif positive(value) is not True:
            self.constraints.append((value, Deferred(message) if callable(message) else message))

    def require(self, condition: bool | None, message: str, symbolic_note: str | None = None, test=None):
        """A check that may be undecidable with symbols: record it then, with `test` deciding it at
        numbers when there is one (an expression that must be >= 1, a MustBeWhole or a MustBeZero;
        without one it is said in words only)."""
        if condition is not None and not isinstance(condition, bool):
            condition = bool(condition)          # SymPy's true/false are not Python's True/False
        if condition is False:
            raise ShapeError(str(message))      # message may be Deferred
        if condition is None and symbolic_note:
            self.constraints.append((test, symbolic_note))

    def require_divides(self, divisor, value, message, symbolic_note):
        """divisor | value: an error when numbers say no, else (symbolic) a condition recorded with
        its exact test, so that solve and sweep can search and mark the values it allows."""
        ok = divides(divisor, value)
        self.require(ok, message, symbolic_note, test=MustBeWhole(value / divisor) if ok is None else None)

    def warn(self, message: str):
        self.warnings.append(message)


_LARGE = 10**6                  # the sample points (SymPy Integers where they are used)
_SAMPLEABLE: dict = {}          # symbol -> whether 1 and _LARGE are values its assumptions allow


def _sampleable(symbol) -> bool:
    ok = _SAMPLEABLE.get(symbol)
    if ok is None:
        ok = symbol.is_Symbol and all(getattr(x, "is_" + key) == value for key, value in symbol.assumptions0.items()
                                      for x in (sympy.Integer(1), sympy.Integer(_LARGE)))
        _SAMPLEABLE[symbol] = ok
    return ok


@functools.lru_cache(maxsize=4096)         # repeats and blocks ask about the same sizes again and again
def positive(value) -> bool:
    """SymPy's `value.is_positive is True`, answered without SymPy's assumption system in the common cases
    (SymPy spends milliseconds on each new expression; nested repeats make hundreds):
    - a sum, product or power of positive symbols and positive numbers, or the ceiling of one, is positive
      (SymPy says so too);
    - an expression that is <= 0 at some point the symbols may take (every symbol 1; one symbol large and the
      others 1; one symbol 1 and the others large) is not positive for all values, so SymPy cannot prove it.
    Anything else is SymPy's answer. tests/test_positive.py checks agreement with SymPy on random expressions."""
    if _structurally_positive(value):
        return True
    if _counterexample(value):
        return False
    return value.is_positive is True


def _structurally_positive(e) -> bool:
    if e.is_Number:
        return bool(e.is_positive)
    if e.is_Symbol:
        return e.is_positive is True            # a stored assumption: no deduction needed
    if e.is_Add or e.is_Mul:
        return all(_structurally_positive(a) for a in e.args)
    if e.is_Pow:
        return _structurally_positive(e.base) and e.exp.is_Rational
    if isinstance(e, sympy.ceiling):
        return _structurally_positive(e.args[0])
    return False


def _counterexample(e) -> bool:
    symbols = e.free_symbols
    if not symbols or len(symbols) > 8 or not all(_sampleable(s) for s in symbols):
        return False
    order = sorted(symbols, key=str)
    one, large = sympy.Integer(1), sympy.Integer(_LARGE)
    points = [dict.fromkeys(order, one)]
    if any(p.is_Pow and not p.exp.is_Number for p in e.atoms(sympy.Pow)):
        order = []              # 2**d at a large d is a huge number: the all-ones point only
    for s in order:
        points.append({t: (large if t is s else one) for t in order})
        points.append({t: (one if t is s else large) for t in order})
    for point in points:
        at = e.xreplace(point)
        if at.is_Number and at.is_finite and at <= 0:
            return True
    return False


@dataclass(frozen=True)
class MustBeWhole:
    """A recorded condition that numbers decide: `value` must be a whole number (a divisibility
    divisor | n is n / divisor; a size written as a fraction is itself). It stands where a size
    condition keeps its expression (Context.constraints), with the words that say it."""
    value: Any


@dataclass(frozen=True)
class MustBeZero:
    """A recorded condition that numbers decide: `value` must be 0 (equal sizes: their difference)."""
    value: Any


TESTS = (MustBeWhole, MustBeZero)


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


def named(keyword: str, *classes: str) -> dict[str, str]:
    """{class: keyword} for framework classes that are all written as one keyword."""
    return dict.fromkeys(classes, keyword)


def by_rank(keyword: str, *patterns: str, ranks=(1, 2, 3)) -> dict[str, str]:
    """{class: keyword + rank}: by_rank('conv', 'Conv{}d') -> {'Conv1d': 'conv1d', 'Conv2d': 'conv2d', ...}."""
    return {pattern.format(rank): f"{keyword}{rank}d" for pattern in patterns for rank in ranks}


# what LayerSpec.diagram may be (printers/diagram.py colours each; plain and merge are white)
DIAGRAM_CATEGORIES = ("input", "conv", "dense", "pool", "norm", "recurrent", "embedding", "attention", "merge",
                      "plain")


class LayerSpec:
    """Base of every layer kind."""

    keywords: tuple[str, ...] = ()
    summary: str = ""                   # one line: what the layer does (the README's layer table)
    formula: str = ""                   # the parameter formula, as documented
    arguments: tuple[Arg, ...] = ()
    options: Mapping[str, Opt] = {}
    takes_activation: bool = False
    # the activation word names the layer's own nonlinearity, applied inside it (a recurrent cell's, at every step:
    # its saved tensors are the kind's), not a function after it
    activation_inside: bool = False
    # its result is the input's values combined one by one (x·γ, tanh(αx)·γ + β, a PReLU): PyTorch writes it with the
    # input's strides, so it is laid out as its input (output_layout None)
    elementwise: bool = False
    # keyword -> number of spatial axes it requires (conv2d -> 2); None: any
    spatial_rank_of: Mapping[str, int] = {}
    min_rank: int = 1                   # smallest input rank (H x W x C has rank 3)
    max_rank: int | None = None
    is_input: bool = False
    reads_tokens: bool = False          # reads integer token ids (the input then holds ints)

    # -- presentation facts ----------------------------------------------------------------
    diagram: str = ""                   # diagram category, one of DIAGRAM_CATEGORIES
    # letters of the general formula in the LaTeX derivation: 'input' names the input's last axis,
    # other keys name count arguments or options (Conv: input C_in, filters C_out; windowattention: heads h);
    # None: not given
    letters: Mapping[str, str] | None = None
    # what a consumer cannot do with this kind, with the reason users see: keys are capabilities
    # (emit_torch, emit_keras, import_torch, import_keras, letters) or a framework (pytorch, keras)
    unsupported: Mapping[str, str] = {}
    keras_pad_folds: tuple[str, ...] = ()    # Keras classes an exported '<name>_pad' ZeroPadding folds into
    torch_helpers: Mapping[str, str] = {}    # class name -> source of the nn.Module helpers it writes
    keras_helpers: Mapping[str, str] = {}    # class name -> source of the Keras layer helpers it writes
    # the class names a PyTorch (torch.nn) or Keras (keras.layers) user writes for this kind -> the
    # keyword symparams writes it with: 'BatchNormalization' and 'BatchNorm2d' are 'batchnorm', never a
    # kind that merely looks alike. {} says the framework has no such class; None (undeclared) fails
    # tests/kinds/test_registry.py. symparams/suggestions.py reads them for its did-you-mean.
    pytorch_classes: Mapping[str, str] | None = None
    keras_classes: Mapping[str, str] | None = None
    # framework classes spelt like one of this kind's keywords but meaning another layer -> why they differ
    # (Keras' weightless Attention is not 'attention'): a did-you-mean says so instead of the look-alike
    unlike: Mapping[str, str] = {}
    # options a user may guess on this kind whose layer is another kind (attention talking_heads=true is the kind
    # talkingheads) -> the hint that names it, instead of a did-you-mean to a look-alike option
    elsewhere: Mapping[str, str] = {}

    # -- what a spec implements -------------------------------------------------------
    def configure(self, cfg: Config, shape: tuple, ctx: Context) -> None:
        """Check arguments against the input and fill derived values (default: nothing)."""

    def output_shape(self, cfg: Config, shape: tuple, ctx: Context) -> tuple:
        return shape

    def weights(self, cfg: Config, shape: tuple, ctx: Context) -> tuple[Weight, ...]:
        return ()

    # -- cost (read by symparams/cost.py): one forward pass of one example --------------
    def macs(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """0: no multiply-accumulates (products of two values added into a sum).

        A kind with products states its formula on the first line of its docstring (README lists them)."""
        return integer(0)

    def bias_adds(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """Additions of a bias, outside the MACs (in FLOPs only when asked for)."""
        return integer(0)

    def other_ops(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """None: no element operation besides its activation."""
        return integer(0)

    def once_costs(self, cfg: Config, shape: tuple, out: tuple, ctx: Context) -> dict:
        """{}: nothing computed once per forward pass whatever the batch.

        A kind that computes something from its weights alone once per pass (Swin-V2's position-bias MLP over
        its coordinate table) states it here, as {'macs', 'bias', 'ops'} in the units of macs(),
        bias_adds() and other_ops(); its backward pass is stated by gradients() (Gradient(once=True)).
        cost.py adds it once per pass, not once per example."""
        return {}

    def receptive(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """How the layer moves the receptive field: None (acts position by position),
        'start' (its output positions are input positions), 'global' (mixes every position),
        'unknown', or one (span, stride, padding before) per spatial axis."""
        return None

    # -- frameworks (frameworks/torch_export.py, keras_export.py, importer.py call these) ----
    def framework_problem(self, cfg: Config, shape: tuple, framework: str) -> str | None:
        """Why `framework`'s own layer cannot be this one (a limit conventions.py states), or None.
        configure() refuses it under that convention; an export to the other framework asks it too."""
        return None

    def emit_torch(self, row, out) -> str | None:
        """The constructor text of this row's nn.Module, taking and returning the model's layout.
        `out` is the PyTorch writer (helpers, padding modules, activation and layout wrapping).
        None: the row writes no module (the input)."""
        raise out.unsupported(f"layer kind '{row.kind}'")

    def emit_keras(self, row, var: str, out) -> str:
        """Write the Keras layer(s) of this row applied to `var` through `out` (the Keras writer);
        return the output variable."""
        raise out.unsupported(f"layer kind '{row.kind}'")

    def import_torch(self, module, reader) -> str | None:
        """The DSL line (without its name=) of a PyTorch module this kind recognises, else None."""
        return None

    def import_keras(self, layer, reader) -> str | None:
        """The DSL line (without its name=) of a Keras layer this kind recognises, else None."""
        return None

    # -- helpers shared by specs -------------------------------------------------------
    def kind_name(self, keyword: str, shape: tuple) -> str:
        """The reported kind (conv2d for 'conv' on an image)."""
        return keyword

    def unsupported_reason(self, capability: str) -> str | None:
        """Why this kind cannot do `capability` (emit_torch, import_keras, ...), or None."""
        if capability in self.unsupported:
            return self.unsupported[capability]
        framework = "keras" if capability.endswith("keras") else "pytorch" if capability.endswith("torch") else None
        return self.unsupported.get(framework) if framework else None

    @classmethod
    def ops_line(cls) -> str:
        """The statement of its element operations (the first paragraph of other_ops' docstring)."""
        return cls.doc_line("other_ops")

    @classmethod
    def doc_line(cls, method: str) -> str:
        """The first paragraph of a cost method's docstring: the formula the kind states (README lists them)."""
        doc = (getattr(cls, method).__doc__ or "").strip()
        return " ".join(doc.split("\n\n")[0].split())

    @property
    def keyword(self) -> str:
        return self.keywords[0]

    # -- training cost and memory (read by symparams/cost.py and symparams/memory.py) ------------
    # One example, like macs(). Only what the kind knows is here; the conventions, the batch,
    # the precisions and the sharing of tensors between layers are the analysis' business.
    def backward_macs(self, cfg: Config, shape: tuple, out: tuple, ctx: Context, input_grad: bool = True,
                      counted: bool = False):
        """Multiply-accumulates of the backward pass of a one-product kind (the default gradients() reads
        it): the product becomes two, the gradient of its weight and the gradient of its input, which
        autograd skips when nothing before the layer is trained (input_grad=False: the first
        layer). counted=True gives what torch.utils.flop_counter counts, where that differs.
        Default: every MAC of macs() is a product of the input with a trained weight."""
        m = self.macs(cfg, shape, out, ctx)
        return 2 * m if input_grad else m

    def gradients(self, cfg: Config, shape: tuple, out: tuple, ctx: Context) -> tuple:
        """The gradients of the backward pass, each a Gradient: its MACs as torch.utils.flop_counter counts them,
        and what it is taken for (the input, the other tensor, weights), so that symparams/cost.py adds only those
        autograd computes given which weights are trained and whether anything before the layer is.
        Default: one product of the input with a kernel, the layer's weights of two or more axes (a dense or
        convolution kernel, weight_norm's direction and magnitude; none: another layer's table, 'tied'), as
        backward_macs counts it: the kernel's gradient (backward_macs without the input gradient) and the input's.
        A kind with several products (attention, a separable convolution, recurrent layers) states each one's."""
        kernel = tuple(w.name for w in self.weights(cfg, shape, ctx) if not w.buffer and len(w.shape) >= 2)
        weight = self.backward_macs(cfg, shape, out, ctx, input_grad=False, counted=True)
        both = self.backward_macs(cfg, shape, out, ctx, input_grad=True, counted=True)
        return (Gradient(weight, kernel or ("tied",)), Gradient(both - weight, ("input",)))

    def chinchilla_flops(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """Forward FLOPs by Hoffmann et al. (2022), appendix F: 2 per MAC of the matrix products;
        embeddings and the softmax of attention are counted by their own kinds."""
        return 2 * self.macs(cfg, shape, out, ctx)

    def score_macs(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """MACs of products between two activations (attention scores and their weighted sum):
        PaLM's 12·L·H·Q·T term counts them apart from 6·N."""
        return integer(0)

    def embedding_params(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """Parameters that are looked up, not multiplied (Kaplan et al.'s embedding parameters)."""
        return integer(0)

    def shared_product_params(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """Parameters of another layer this one multiplies by (a tied output head)."""
        return integer(0)

    # Whether a network ending in this layer (without an activation) ends in logits, which the default
    # training loss, cross-entropy, reads (symparams/memory.py logits).
    gives_logits = False

    def head_params(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """Parameters of an output head's own matrix over a vocabulary (the logits' projection, when
        it is not tied to the embedding): Kaplan et al.'s N leaves every vocabulary matrix out.
        ctx.embeddings holds the (vocabulary, width) of the embeddings before the layer."""
        return integer(0)

    def saved_activations(self, cfg: Config, shape: tuple, out: tuple, ctx: Context, style: str = "pytorch"):
        """What autograd keeps of this layer for the backward pass, as Saved entries (the layer's
        activation function apart). style 'pytorch': what PyTorch's kernels save for the exported
        module in training mode; 'megatron': Korthikanti et al. (2022)'s accounting.
        Default: nothing (a layer without trained products or nonlinear steps)."""
        return ()

    def saved_unmodelled(self, cfg: Config, shape: tuple, out: tuple, ctx: Context, device: str):
        """Why saved_activations does not state what this layer keeps on `device` ('cpu', 'cuda'), or None when it
        does: a kernel whose saved workspace is its own choice. The memory columns that count saved activations then
        refuse, naming the layer, rather than print a number that is not PyTorch's."""
        return None

    def output_is_view(self, cfg: Config, shape: tuple, out: tuple, ctx: Context) -> bool:
        """Whether the exported module's output shares its input's storage (flatten, identity)."""
        return False

    def output_storage(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """Values per example of the storage the exported module's output lives in, which a later layer keeping
        the output keeps alive: the output's own size, unless it is a view that selects part of a larger new
        tensor (a crop of a padded map)."""
        return product(out)

    def output_is_weight(self, cfg: Config, shape: tuple, out: tuple, ctx: Context) -> bool:
        """Whether the exported module's output is a view of its own weight, broadcast over the batch (a free
        tensor): a later layer that keeps it keeps no activation (its storage is the weight's, stride 0 over
        the examples: layout 'broadcast'), and it needs a gradient only if that weight is trained, whatever
        came before."""
        return False

    def output_layout(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """How the exported module's output is laid out: 'contiguous', 'strided' (a view), 'narrowed' (a view of part of
        the last axis, read in place by a matrix product), 'broadcast' (a view
        repeated over the batch, output_is_weight), or None: as its input (element-wise steps keep their input's
        strides; on a broadcast input they write a new contiguous tensor). Default: a new tensor is contiguous,
        a view as its input."""
        return None if self.output_is_view(cfg, shape, out, ctx) or self.elementwise else "contiguous"

    def view_layout(self, layout, shape=(), cfg=None, source=None):
        """The layout of a view's output (output_is_view, no output_layout of its own) given its input's (and the
        input's shape, the layer's configuration and the input's own layout, `source`: 'broadcast' where `layout`
        says 'contiguous' for a new tensor written from it): the same by default; flatten makes a map's channel slice ('sliced') rows of unit stride
        ('narrowed')."""
        return layout

    def kv_cache_values(self, cfg: Config, shape: tuple, out: tuple, ctx: Context):
        """Values this layer keeps per example in an inference key-value cache."""
        return integer(0)

    def tensor_named(self, cfg: Config) -> tuple:
        """(name saved here, name read here, whether the output is the read tensor itself): how a
        named-tensor statement moves tensors, for the analysis that follows storages."""
        return (None, None, False)

    def optimizer_shapes(self, cfg: Config, shape: tuple, out: tuple, ctx: Context) -> list:
        """Shapes of the trained tensors as the convention's framework stores them (a factored
        optimiser such as Adafactor keeps a row and a column factor of the last two axes)."""
        return [w.shape for w in self.weights(cfg, shape, ctx) if w.trainable and not w.buffer]


REGISTRY: dict[str, LayerSpec] = {}


def register(cls):
    spec = cls()
    for keyword in cls.keywords:
        if keyword in REGISTRY:
            raise RuntimeError(f"layer keyword {keyword!r} registered twice")
        REGISTRY[keyword] = spec
    return cls


def spec_for(row) -> LayerSpec:
    """The spec of a leaf row."""
    return REGISTRY[row.config["keyword"]]


def kinds() -> list[LayerSpec]:
    """Every registered spec once, in registration order."""
    return list(dict.fromkeys(REGISTRY.values()))
