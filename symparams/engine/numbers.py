"""A network at numbers without SymPy: the one derive of `Network.at_values` run on Python ints
(numeric.py), for outputs that print numbers only (summary --numbers), and whether a network is
possible at given numbers (the playground's check of its sliders' values).

The derive is the engine's own (the same folds, the same kinds' `output_shape` and `weights`), so
nothing is computed twice in two ways; only its numbers are Python ints instead of SymPy Integers.
Whatever it cannot do on ints ends it: a symbol without a value, a fraction in a size, a
closed-form repeat, a kind that asks SymPy, any error (the SymPy derive then raises it, worded
and located as always). The caller then derives with SymPy: `at_values` gives None, never a
different answer. tests/test_numbers.py compares the two over every example and zoo file and
random architectures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from .. import ir
from ..errors import SymparamsError
from ..numeric import NeedsSymPy, on_ints
from .network import Network
from .tensors import active, has_experts


@dataclass(frozen=True)
class Numbers:
    """A network derived on Python ints and its totals (every one a Python int)."""
    net: Network
    totals: dict        # params, trainable, non_trainable, buffers, and active for a mixture of experts


# what ended the last derive on ints (None: it ran to the end); tests read it to say why a file fell back
last_reason: str | None = None


def at_values(program: ir.Program, convention: str | None = None,
              values: Mapping[str, object] | None = None) -> Numbers | None:
    """`Network.at_values(program, convention, values)` on Python ints with its totals and every row's
    counts worked out, or None when any of it needs SymPy (or fails: the SymPy derive says how)."""
    global last_reason
    last_reason = None
    try:
        with on_ints():
            net = Network.at_values(program, convention, values)
            totals = {"params": net.params, "trainable": net.trainable_params,
                      "non_trainable": net.non_trainable_params, "buffers": net.buffers}
            if has_experts(net):
                totals["active"] = active(net)
            numbers = list(totals.values()) + list(net.output_shape)
            for _, row in net.walk():
                numbers += [row.params, row.trainable_params, row.non_trainable_params, row.count, row.start]
                numbers += row.output_shape
                numbers += row.input_shape
    except NeedsSymPy as exc:
        last_reason = f"needs SymPy: {exc} ({_where(exc)})"
        return None
    except SymparamsError as exc:           # the SymPy derive words and locates it
        last_reason = f"an error: {exc.message} ({_where(exc)})"
        return None
    except (AttributeError, TypeError) as exc:     # a number the int derive does not hold (a SymPy method asked of an int)
        last_reason = f"{type(exc).__name__}: {exc} ({_where(exc)})"
        return None
    odd = next((n for n in numbers if type(n) is not int), None)
    if odd is not None:
        last_reason = f"not a Python int: {odd!r} ({type(odd).__name__})"
        return None
    return Numbers(net, totals)


def derives(program: ir.Program, convention: str | None, values: Mapping[str, object], *,
            unroll: bool = False) -> bool:
    """Whether `Network(program, convention, values, unroll=unroll)` derives to the end on Python ints:
    True says the network is possible at these values (every check of the derive ran on the numbers);
    False only that the int derive stopped, for any reason: the SymPy derive then says whether and why
    (the playground's check of a slider's values)."""
    global last_reason
    last_reason = None
    try:
        with on_ints():
            Network(program, convention, values, unroll=unroll)
    except NeedsSymPy as exc:
        last_reason = f"needs SymPy: {exc} ({_where(exc)})"
        return False
    except SymparamsError as exc:
        last_reason = f"an error: {exc.message} ({_where(exc)})"
        return False
    except (AttributeError, TypeError) as exc:
        last_reason = f"{type(exc).__name__}: {exc} ({_where(exc)})"
        return False
    return True


def _where(exc: BaseException) -> str:
    """file:line of the innermost frame outside numeric.py (what asked for SymPy), for last_reason."""
    where, tb = "?", exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if not name.endswith("numeric.py"):
            where = f"{name.rsplit('symparams', 1)[-1].lstrip('/')}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where
