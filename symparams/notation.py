"""How a formula reads as text, the notation every message and table shares: the one display form
(`canonical`), terms and factors laid out as a person writes them (`Layout`), and the unicode/ASCII
text printer. The layers, the engine, solve and sweep write sizes in messages with `text` and
`named`; printers/math.py builds its LaTeX and MathML modes on the same `canonical` and `Layout`.
A base module: it imports nothing of symparams but forms.py (SymPy's term order, found faster), so
every layer may use it.

Before printing, `canonical` writes an expression in one form: floor/ceiling arguments over one
denominator, and floor((s - 1)/a) + 1 as ceiling(s/a) (equal for every integer s and whole a >= 1:
ceiling(s/a) = floor((s + a - 1)/a) = floor((s - 1)/a) + 1), so one size never prints two ways.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import re
from functools import lru_cache

import sympy
from sympy import Add, Integer, Mul, Pow, ceiling, floor
from sympy.printing.latex import greek_letters_set
from sympy.printing.str import StrPrinter

from .forms import minus_sign, ordered_terms

# ----------------------------------------------------------------------------- one form


def _simplest(kind, y, a, c, m):
    """c·kind(y/a) + m (y an integer expression, a a whole number >= 2, c and m integers) in the
    form with the fewest constants, as (rounding, outer constant). Every form of one value gives
    the same answer: first ceiling(y/a) = floor((y + a - 1)/a), then floor((y0 + r)/a) + q with
    0 <= r < a, then the four ways to write that: floor with r or r - a, ceiling with r - a + 1 or
    r + 1 (ceiling(x/a) = floor((x + a - 1)/a) for integer x)."""
    const, y0 = y.as_coeff_Add()
    const = int(const)
    content, primitive = y0.as_content_primitive()
    g = math.gcd(int(content), a) if content.is_Integer else 1
    if g > 1:       # floor((g·y + c)/(g·a)) = floor((y + floor(c/g))/a), likewise ceiling
        y0, a = content / g * primitive, a // g
        const = const // g if kind is floor else -(-const // g)
        if a == 1:
            return y0 + const, m
    const += a - 1 if kind is ceiling else 0
    q, r = divmod(const, a)
    forms = [(floor, r, q), (floor, r - a, q + 1), (ceiling, r - a + 1, q), (ceiling, r + 1, q - 1)]

    def cost(form):
        _, inner, shift = form
        outer = m + c * shift
        return ((inner != 0) + (outer != 0), inner != 0, abs(inner) + abs(outer), form[0] is ceiling)

    best, inner, shift = min(forms, key=cost)
    return best(Mul(y0 + inner, Pow(Integer(a), -1)), evaluate=False), m + c * shift


def _one_form(expr):
    """Rewrite each floor/ceiling term of a sum (or a lone floor/ceiling) with _simplest."""
    constant, rest = expr.as_coeff_Add() if isinstance(expr, Add) else (Integer(0), expr)
    if not constant.is_Integer:
        return expr
    terms = list(Add.make_args(rest))
    done = False
    for k, term in enumerate(terms):
        c, q = term.as_coeff_Mul() if isinstance(term, Mul) else (Integer(1), term)
        if not isinstance(q, (floor, ceiling)) or not c.is_Integer:
            continue
        y, a = q.args[0].as_numer_denom()
        if not (a.is_Integer and a > 1 and y.is_integer):
            continue
        rounded, constant = _simplest(type(q), y, int(a), int(c), int(constant))
        terms[k] = Mul(c, rounded, evaluate=False) if c != 1 else rounded
        done = True
    if not done:
        return expr
    return Add(*terms, Integer(constant), evaluate=False) if constant else (
        Add(*terms, evaluate=False) if len(terms) > 1 else terms[0])


@lru_cache(maxsize=8192)
def canonical(expr):
    """The display form of expr (equal to it for integer symbols; never fed back into analysis)."""
    if not isinstance(expr, sympy.Basic) or not expr.has(floor, ceiling):
        return expr
    def rounded_sum(e):
        return isinstance(e, Add) and any(isinstance(t, (floor, ceiling)) or isinstance(t, Mul) and
                                           any(isinstance(u, (floor, ceiling)) for u in t.args) for t in e.args)

    def lone(e):
        return isinstance(e, (floor, ceiling))

    out = expr.replace(lone, _one_form)
    return out.replace(rounded_sum, _one_form)


# ----------------------------------------------------------------------------- shared layout

GREEK = set(greek_letters_set) | {"lamda", "Lamda"}
GREEK_TEXT = {name: sympy.pretty(sympy.Symbol(name), use_unicode=True) for name in greek_letters_set}
GREEK_TEXT["lamda"], GREEK_TEXT["Lamda"] = "λ", "Λ"

# One rule for how a name is typeset, in every printer (LaTeX, KaTeX/MathJax, MathML, unicode):
# a single letter (or a Greek letter's name) is an italic variable and may carry digits or one short
# suffix as a subscript (k_1, d_k, n_in, alpha2); any other name is a word, written whole and upright
# with its underscores (\mathrm{num\_hidden\_layers}), never split into a base and a subscript.
_LETTER_NAME = re.compile(r"^([A-Za-z]+?)(?:(\d+)|_([A-Za-z0-9]{1,5}))?$")


def name_parts(name: str) -> tuple[str, str | None] | None:
    """(letter, subscript or None) for a variable-like name, None for a word."""
    m = _LETTER_NAME.match(name)
    if m is None or not (len(m.group(1)) == 1 or m.group(1) in GREEK):
        return None
    return m.group(1), m.group(2) or m.group(3)


class Layout:
    """What every mode shares: terms ordered as a person writes them (symbols, then the negative
    ones, the number last: n − k + 1; 63 − 3k rather than −3k + 63)."""

    def _person_terms(self, expr, order=None):
        return self._person_order(self._as_ordered_terms(expr, order=order))

    def _as_ordered_terms(self, expr, order=None):
        # SymPy's default (lex) order, found without as_ordered_terms' per-term float conversions
        # where forms.ordered_terms can tell it is the same (most of a formula's printing time)
        if (order or self.order) is None:
            terms = ordered_terms(expr)
            if terms is not None:
                return terms
        return super()._as_ordered_terms(expr, order=order)

    @staticmethod
    def _person_order(terms):
        terms = list(terms)
        terms.sort(key=lambda t: (bool(t.is_number), minus_sign(t)))
        if minus_sign(terms[0]):
            first = next((t for t in terms if not minus_sign(t)), None)
            if first is not None:
                terms.remove(first)
                terms.insert(0, first)
        return terms

    @staticmethod
    def _split(expr):
        """A product as (numeric coefficient, numerator factors, denominator factors)."""
        coeff, numer, denom = sympy.S.One, [], []
        for f in Mul.make_args(expr):
            if f.is_Rational:
                coeff *= f
            elif isinstance(f, Pow) and f.exp.is_Rational and f.exp.is_negative:
                denom.append(Pow(f.base, -f.exp))
            else:
                numer.append(f)
        return coeff, numer, denom

    def _factor_kind(self, f) -> str:
        """How a factor stands next to others: 'group' (brackets), 'letter' (x, x², α), 'other'."""
        base = f.base if isinstance(f, Pow) else f
        if isinstance(base, Add) or isinstance(base, (floor, ceiling)) and self._bracket_rounding:
            return "group"
        if isinstance(base, sympy.Symbol) and self._is_letter(base):
            return "letter"
        return "other"

    _bracket_rounding = True     # ⌊x⌋ stands next to a letter; floor(x) does not

    def _is_letter(self, symbol) -> bool:
        return len(symbol.name) == 1 or symbol.name in GREEK

    def _joined(self, coeff, factors, dot: str, close: str) -> str:
        """Factors written as a person does: 2f²k², 20f(…)², but 9·2ⁱ and 2·k_h·n_in."""
        parts = []
        if coeff != 1 or not factors:
            parts.append((self._print(coeff), "number"))
        for f in factors:
            text = self._print(f)
            if isinstance(f, Add):
                text = self._parens(text)
            parts.append((text, self._factor_kind(f)))
        out = parts[0][0]
        for (_, left), (text, right) in zip(parts, parts[1:]):
            near = left in ("number", "letter", "group") and right in ("letter", "group")
            out += (close if near else dot) + text
        return out


# ----------------------------------------------------------------------------- text

SUPER = dict(zip("0123456789+-=()abcdefghijklmnoprstuvwxyz−",
                  "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ⁻"))


class TextPrinter(Layout, StrPrinter):
    """Unicode (or ASCII) formulas for the terminal."""

    printmethod = "_symparams_text"
    _default_settings = dict(StrPrinter._default_settings, ascii=False)

    def __init__(self, settings=None):
        super().__init__(settings)
        plain = self._settings["ascii"]
        self._minus = "-" if plain else "−"
        self._dot = "*" if plain else "·"
        self._floor = ("floor(", ")") if plain else ("⌊", "⌋")
        self._ceil = ("ceil(", ")") if plain else ("⌈", "⌉")
        self._bracket_rounding = not plain

    def _is_letter(self, symbol) -> bool:
        return len(self._print(symbol)) == 1

    def _print(self, expr, **kwargs):
        # a sub-expression prints the same wherever it stands (brackets are the caller's), and a
        # network's formulas share many (a block's count inside its repeat's, inside the total)
        if kwargs or not isinstance(expr, sympy.Basic):
            return super()._print(expr, **kwargs)
        return _printed(self, expr)

    def _print_Integer(self, expr):
        n = int(expr)
        return (self._minus if n < 0 else "") + f"{abs(n):,}"

    def _print_Rational(self, expr):
        return f"{self._print(Integer(expr.p))}/{self._print(Integer(expr.q))}"

    def _print_Float(self, expr):
        return self._print(sympy.Rational(str(expr)))

    def _print_Symbol(self, expr):
        name = expr.name
        parts = None if self._settings["ascii"] else name_parts(name)
        if parts is not None and parts[0] in GREEK_TEXT:          # alpha -> α, alpha_1 -> α_1
            return GREEK_TEXT[parts[0]] + name[len(parts[0]):]
        return name

    _print_Dummy = _print_Symbol

    def _print_Add(self, expr, order=None):
        out = ""
        for k, term in enumerate(self._person_terms(expr, order)):
            negative = minus_sign(term)
            if negative:
                term = -term
            text = self._print(term)
            if isinstance(term, Add):
                text = f"({text})"
            out += (f" {self._minus} " if negative else " + ") if k else (self._minus if negative else "")
            out += text
        return out

    def _parens(self, text: str) -> str:
        return f"({text})"

    def _print_Mul(self, expr):
        if minus_sign(expr):
            inner = self._print(-expr)
            return self._minus + (f"({inner})" if isinstance(-expr, Add) else inner)
        coeff, numer, denom = self._split(expr)
        top = self._joined(Integer(coeff.p), numer, self._dot, "")
        if coeff.q == 1 and not denom:
            return top
        bottom = self._joined(Integer(coeff.q), denom, self._dot, "")
        if len(denom) + (coeff.q != 1) > 1:      # a lone sum is bracketed by _joined already
            bottom = f"({bottom})"
        return f"{top}/{bottom}"

    def _superscript(self, text: str) -> str:
        if not self._settings["ascii"]:
            compact = text.replace(" ", "")
            if all(ch in SUPER for ch in compact):
                return "".join(SUPER[ch] for ch in compact)
        return "^" + (text if re.fullmatch(r"\w+", text) else f"({text})")

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.base, expr.exp
        if exp.is_Rational and exp.is_negative:
            return self._print(Mul(Integer(1), expr, evaluate=False)) if exp != -1 else "1/" + self._atom(base)
        if exp == sympy.S.Half:
            return ("sqrt" if self._settings["ascii"] else "√") + f"({self._print(base)})"
        return self._atom(base) + self._superscript(self._print(exp))

    def _atom(self, base) -> str:
        text = self._print(base)
        if isinstance(base, (Add, Mul, Pow)) or (base.is_Rational and not base.is_Integer) or \
                (base.is_Integer and base < 0):
            return f"({text})"
        return text

    def _print_floor(self, expr):
        return self._rounded(expr.args[0], *self._floor)

    def _print_ceiling(self, expr):
        return self._rounded(expr.args[0], *self._ceil)

    def _rounded(self, arg, left, right):
        """Over one fraction bar: ⌊(n − k + 1)/2⌋, not ⌊n/2 − k/2 + 1/2⌋."""
        num, den = arg.as_numer_denom()
        if den == 1:
            return left + self._print(num) + right
        top = self._print(num)
        if isinstance(num, Add):
            top = f"({top})"
        return f"{left}{top}/{self._atom(den)}{right}"

    def _print_Max(self, expr):
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Min(self, expr):
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Mod(self, expr):
        return f"{self._atom(expr.args[0])} mod {self._atom(expr.args[1])}"

    def _print_Sum(self, expr):
        (index, lo, hi), = expr.limits if len(expr.limits) == 1 else (expr.limits[0],)
        sigma = "sum" if self._settings["ascii"] else "Σ"
        body = self._print(expr.function)
        if isinstance(expr.function, Add):
            body = f"({body})"
        return f"{sigma}[{self._print(index)} = {self._print(lo)}..{self._print(hi)}] {body}"

    def _print_Relational(self, expr):
        ops = {"==": "=", "!=": "≠", ">=": "≥", "<=": "≤", ">": ">", "<": "<"}
        op = expr.rel_op if self._settings["ascii"] else ops.get(expr.rel_op, expr.rel_op)
        if self._settings["ascii"] and op == "==":
            op = "="
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"


@lru_cache(maxsize=32768)
def _printed(printer: TextPrinter, expr) -> str:
    return super(TextPrinter, printer)._print(expr)


# ----------------------------------------------------------------------------- short names

# Conventional letters for the long field names of imported configs (Hugging Face's, GPT-2's, T5's):
# the names papers use (Vaswani et al.; Kaplan et al.; the Megatron papers). Display only: a
# printer shows the letter and a legend maps it back; the expressions never change.
CONVENTIONAL = {
    "num_hidden_layers": "L", "n_layer": "L", "num_layers": "L", "n_layers": "L", "layers": "L",
    "num_decoder_layers": "L_dec", "num_encoder_layers": "L_enc",
    "hidden_size": "d", "n_embd": "d", "d_model": "d", "width": "d", "dim": "d",
    "num_attention_heads": "H", "n_head": "H", "num_heads": "H", "heads": "H",
    "num_key_value_heads": "H_kv", "kv_heads": "H_kv",
    "intermediate_size": "d_ff", "n_inner": "d_ff", "mlp_width": "d_ff", "ffn_dim": "d_ff",
    "moe_intermediate_size": "d_e",
    "vocab_size": "V", "vocab": "V", "type_vocab_size": "V_t",
    "max_position_embeddings": "T", "n_positions": "T", "positions": "T", "seq": "T", "seq_len": "T",
    "encoder_length": "T_enc", "decoder_length": "T_dec",
    "head_dim": "d_h", "d_kv": "d_h",
    "num_local_experts": "E", "num_experts": "E", "n_routed_experts": "E",
    "num_experts_per_tok": "k_e", "sliding_window": "W",
    "relative_attention_num_buckets": "B", "relative_attention_max_distance": "D",
    "state_size": "N", "d_state": "N", "conv_kernel": "k_c", "num_channels": "C",
}
LONG_NAME = 6           # names longer than this are shortened; shorter ones read fine as they are


def short_names(names, taken=()) -> dict[str, str]:
    """{long name: short name} for the names longer than LONG_NAME: the conventional letter where one
    is known and free, else the first letter with the initials of the other words as a subscript
    (relative_attention_bias -> r_ab), numbered when even that is taken. Never a name in taken or in
    names, never one short name for two long ones."""
    names = sorted(set(names))
    used = set(taken) | {n for n in names if len(n) <= LONG_NAME}
    out = {}
    for name in names:
        if len(name) <= LONG_NAME:
            continue
        words = [w for w in name.split("_") if w] or [name]
        initials = "".join(w[0] for w in words[1:4])
        candidates = [CONVENTIONAL.get(name), words[0][0] + (f"_{initials}" if initials else ""),
                      *(f"{words[0][0]}{k}" for k in range(1, 100))]
        short = next(c for c in candidates if c and c not in used and re.fullmatch(r"[A-Za-z]\w*", c))
        used.add(short)
        out[name] = short
    return out


_DISPLAY: contextvars.ContextVar = contextvars.ContextVar("symparams_display_names", default=())


@contextlib.contextmanager
def display_names(mapping: dict[str, str] | None):
    """Within the block, every printer (text, LaTeX, MathML) writes a symbol named k of mapping as
    mapping[k]. Presentation only: expressions are renamed just before printing."""
    token = _DISPLAY.set(tuple(sorted((mapping or {}).items())))
    try:
        yield
    finally:
        _DISPLAY.reset(token)


def current_names() -> dict[str, str]:
    """The display names in force ({} outside display_names)."""
    return dict(_DISPLAY.get())


def renamed(expr):
    """expr with the display names in force (itself when none apply)."""
    names = _DISPLAY.get()
    if not names or not isinstance(expr, sympy.Basic) or not expr.free_symbols:
        return expr
    return _renamed(expr, names)


@lru_cache(maxsize=8192)
def _renamed(expr, names):
    table = dict(names)
    swap = {s: sympy.Symbol(table[s.name], **s.assumptions0) for s in expr.free_symbols if s.name in table}
    return expr.xreplace(swap) if swap else expr


def rename_words(text: str) -> str:
    """A message's long names (whole words) written with the display names in force."""
    names = _DISPLAY.get()
    if not names:
        return text
    table = dict(names)
    return re.sub(r"[A-Za-z_][A-Za-z0-9_]*", lambda m: table.get(m.group(0), m.group(0)), text)


# ----------------------------------------------------------------------------- entry points

def readable(expr):
    """floor/ceiling arguments over one denominator, ceiling((n - 5)/4) rather than SymPy's
    distributed ceiling(n/4 - 5/4). Presentation only; never fed back."""
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.floor, sympy.ceiling):
        return expr
    return expr.replace(lambda e: isinstance(e, (sympy.floor, sympy.ceiling)),
                        lambda e: e.func(sympy.together(e.args[0]), evaluate=False))


def machine(expr) -> str:
    """SymPy's notation (readable by sympify): for messages about conditions and JSON fields."""
    if isinstance(expr, sympy.Basic):
        return _sstr(expr)
    return str(expr)


@lru_cache(maxsize=8192)
def _sstr(expr) -> str:
    # one network repeats its sizes on many rows (and JSON writes each row's shape and costs):
    # putting floor/ceiling arguments over one denominator is the slow part, done once per size
    return sympy.sstr(readable(expr))

TEXT_PRINTERS = {"text": TextPrinter(), "ascii": TextPrinter({"ascii": True})}


def coerce(expr) -> sympy.Basic:
    """A SymPy value from a SymPy expression, an int, or the str of one."""
    if isinstance(expr, bool) or not isinstance(expr, (sympy.Basic, int)):
        return sympy.sympify(expr)
    return Integer(expr) if isinstance(expr, int) else expr


@lru_cache(maxsize=16384)
def _text(expr, ascii: bool) -> str:
    return TEXT_PRINTERS["ascii" if ascii else "text"].doprint(canonical(expr))


def text(expr, ascii: bool = False) -> str:
    """expr as the terminal shows it (unicode, or ASCII). Cached per expression."""
    return _text(renamed(coerce(expr)), ascii)


_PLAIN_CHARS = {"−": "-", "×": "x", "·": "*", "≥": ">=", "≤": "<=", "≠": "!=", "⌊": "floor(", "⌋": ")",
                "⌈": "ceil(", "⌉": ")", "…": "..", "–": "-", "√": "sqrt", "Σ": "sum"}
_FROM_SUPER = {v: k for k, v in SUPER.items() if k != "−"}
_SUPER_RUN = re.compile("[%s]+" % "".join(_FROM_SUPER))


def plain(text: str) -> str:
    """Text the text mode wrote (inside a message, say) in the ASCII mode's notation."""
    def power(m):
        inner = "".join(_FROM_SUPER[ch] for ch in m.group(0))
        return "^" + (inner if len(inner) == 1 or inner.isalnum() else f"({inner})")
    text = _SUPER_RUN.sub(power, text)
    return "".join(_PLAIN_CHARS.get(ch, ch) for ch in text)


def named(word: str, value) -> str:
    """A quantity in a message, as a person writes it: 'heads (32)', 'the width (2w)', or just
    'heads' when the value is the symbol of that name."""
    shown = text(value)
    return word if shown == word.split()[-1] else f"{word} ({shown})"
