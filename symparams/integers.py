"""The one way user text becomes a whole number: ASCII digits only, and a stated size limit.

`str.isdigit` accepts characters `int` refuses ('²', '①'), `int` accepts others a person would not
type as a count ('٣', full-width digits), and past 4,300 digits `int` refuses the text with a
message about sys.set_int_max_str_digits. Every user-facing integer (--set, --batch, --vary, a
solve target, the parts of a number like 2.5K) is parsed here instead.
"""

from __future__ import annotations

import contextlib
import re
import sys
from fractions import Fraction

from .errors import SymparamsError, UsageError
from .limits import MAX_PRINTED_DIGITS

MAX_DIGITS = 100            # a symbol value, a batch size, a --vary value: 10**100 is plenty
MAX_TARGET_DIGITS = 1000    # a budget or target for solve
_SUFFIXES = {"k": 10 ** 3, "m": 10 ** 6, "g": 10 ** 9, "b": 10 ** 9, "t": 10 ** 12}


def shown(text: str, width: int = 40) -> str:
    """User text for an error message: control characters escaped, long text cut."""
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in str(text))
    return text if len(text) <= width else text[:width - 3] + "..."


def parse_int(text: str, what: str, *, max_digits: int = MAX_DIGITS,
              error: type[SymparamsError] = UsageError) -> int:
    """A non-negative whole number written with ASCII digits 0-9 (underscores allowed between
    them, as in Python: 1_000_000) and at most `max_digits` significant digits. `what` names the
    option as the user wrote it (--set n, --batch): messages read `what=text: ...`."""
    raw = str(text)
    digits = raw.strip().replace("_", "")
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise error(f"{what}={shown(raw)}: expected a whole number written with the digits 0-9")
    significant = digits.lstrip("0")
    if len(significant) > max_digits:
        raise error(f"{what}={shown(raw, 20)}: a number of {len(significant):,} digits; "
                    f"at most {max_digits:,} digits are accepted")
    return int(significant or "0")


class TooManyDigits(SymparamsError):
    """A result too long to print exactly."""
    kind = "error"


@contextlib.contextmanager
def printable_integers():
    """Exact results up to MAX_PRINTED_DIGITS digits are printed in full: Python refuses to turn an
    integer of more than 4,300 digits into text (sys.set_int_max_str_digits, against quadratic-time
    conversions of untrusted input), but a file's own numbers are bounded (limits.py) and two
    dense layers of 10**2200 units make 10**4400 weights. Past the limit: a message, not a traceback."""
    get = getattr(sys, "get_int_max_str_digits", None)
    before = get() if get is not None else 0
    if 0 < before < MAX_PRINTED_DIGITS:
        sys.set_int_max_str_digits(MAX_PRINTED_DIGITS)
    try:
        yield
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise
        raise TooManyDigits(f"a result has more than {MAX_PRINTED_DIGITS:,} digits, more than symparams prints "
                            "exactly (MAX_PRINTED_DIGITS in symparams/limits.py)",
                            hint="give the symbols smaller values, or fewer layers of that size") from None
    finally:
        if 0 < before < MAX_PRINTED_DIGITS:
            sys.set_int_max_str_digits(before)


def parse_number(text: str, what: str = "value", *, max_digits: int = MAX_TARGET_DIGITS, unit: int = 1) -> int:
    """An exact whole number from user text: 100000, 1_000_000, 1e6, 2.5K, 1M, 1G, 1.5e9.

    Parsed with decimal arithmetic on the digits (never a float), so 123456789012345678901 is exact.
    Digits are ASCII only and at most `max_digits` of them, the exponent included (integers.py).
    `unit` multiplies the number before it must be whole (1.5 with unit 10**9: 1,500,000,000)."""
    raw = text
    t = text.strip().replace("_", "").replace(",", "")
    scale = unit
    if unit == 1 and t and t[-1].lower() in _SUFFIXES:
        scale = _SUFFIXES[t[-1].lower()]
        t = t[:-1]
    match = re.fullmatch(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?)(\d+))?", t, re.ASCII)
    if not t or not match or not (match.group(2) or match.group(3)):
        raise UsageError(f"{what}: '{shown(raw)}' is not a number (examples: 100000, 1_000_000, 1e6, 2.5K, 1M, 1G)")
    sign, whole, frac, esign, exp = match.groups()
    whole = parse_int(whole or "0", what, max_digits=max_digits)
    fraction = Fraction(parse_int(frac, what, max_digits=max_digits), 10 ** len(frac)) if frac else 0
    exponent = parse_int(exp, what, max_digits=max_digits) if exp else 0
    if exponent > max_digits:
        raise UsageError(f"{what}: '{shown(raw)}' has more than {max_digits:,} digits, the limit")
    value = (whole + fraction) * scale * (Fraction(10) ** (-exponent if esign == "-" else exponent))
    if value.denominator != 1:
        raise UsageError(f"{what}: '{shown(raw)}' is not a whole number")
    if len(str(abs(value.numerator))) > max_digits:
        raise UsageError(f"{what}: '{shown(raw)}' has more than {max_digits:,} digits, the limit")
    return -int(value) if sign == "-" else int(value)
