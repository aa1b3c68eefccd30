"""The one math printer: every formula symparams shows goes through here, so an expression reads
the same in the terminal, Markdown, JSON, LaTeX, SVG and plot titles.

Modes (SymPy printers, dispatching on the node class with `_print_<Class>`):
  text     unicode for terminals: 2f²k² + 20f⌈(n − 3k)/4⌉², · between longer factors, 16,618
  ascii    the same layout in plain ASCII: 2f^2k^2 + 20f*ceil((n - 3k)/4)^2
  latex    LaTeX math: \\left\\lceil \\frac{n - 3k}{4} \\right\\rceil, 16{,}618
  mathjax  LaTeX that survives Markdown (GitHub, Jupyter): no backslash before punctuation, no '|'
  sympy    the machine-readable SymPy string (sympify reads it back), for JSON

The text and ascii modes, the display form (`canonical`) and the layout every mode shares live in
symparams/notation.py, a base module the layers and the engine use for their messages.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import sympy
from sympy import Add, Integer
from sympy.printing.latex import LatexPrinter
from sympy.printing.mathml import MathMLPresentationPrinter

from .. import notation
from ..notation import GREEK, GREEK_TEXT, TEXT_PRINTERS, Layout, canonical, coerce, name_parts, renamed

MODES = ("text", "ascii", "latex", "mathjax", "mathml", "sympy")


# ----------------------------------------------------------------------------- LaTeX

def _letter_tex(letter: str) -> str:
    return sympy.latex(sympy.Symbol(letter)) if letter in GREEK else letter


def symbol_name(name: str, underscore: str = r"\_") -> str:
    """The names rule of notation.name_parts in LaTeX: n_in -> n_{\\mathrm{in}}, k_h -> k_{h},
    alpha -> \\alpha, x2 -> x_{2}, hidden_size -> \\mathrm{hidden\\_size} (underscore: how a literal
    '_' is written; GitHub Markdown eats the backslash of \\_)."""
    parts = name_parts(name)
    if parts is None:
        return r"\mathrm{%s}" % name.replace("_", underscore)
    letter, sub = parts
    text = _letter_tex(letter)
    if sub:
        text += "_{%s}" % (sub if len(sub) == 1 or sub.isdigit() else r"\mathrm{%s}" % sub)
    return text


class LatexMathPrinter(Layout, LatexPrinter):
    """sympy.latex with \\cdot products, 12{,}345 grouping, exact decimals and our symbol names."""

    printmethod = "_symparams_latex"
    _default_settings = dict(LatexPrinter._default_settings, underscore=r"\_")

    def __init__(self, settings=None):
        super().__init__(dict({"mul_symbol": "dot", "fold_short_frac": False}, **(settings or {})))

    def _print_Integer(self, expr):
        n = int(expr)
        return ("-" if n < 0 else "") + f"{abs(n):,}".replace(",", "{,}")

    def _print_Float(self, expr):
        return self._print(sympy.Rational(str(expr)))

    def _print_Symbol(self, expr, style="plain"):
        return symbol_name(expr.name, self._settings["underscore"])

    def _print_Dummy(self, expr):
        return symbol_name(expr.name, self._settings["underscore"])

    def _parens(self, text: str) -> str:
        return r"\left(%s\right)" % text

    def _print_Mul(self, expr):
        if expr.could_extract_minus_sign():
            inner = self._print(-expr)
            return "- " + (self._parens(inner) if isinstance(-expr, Add) else inner)
        coeff, numer, denom = self._split(expr)
        if coeff.p == 1 and len(numer) == 1 and isinstance(numer[0], Add):
            top = self._print(numer[0])
        else:
            top = self._joined(Integer(coeff.p), numer, r" \cdot ", " ")
        if coeff.q == 1 and not denom:
            return top
        if coeff.q == 1 and len(denom) == 1 and isinstance(denom[0], Add):
            return r"\frac{%s}{%s}" % (top, self._print(denom[0]))     # the bar groups it: no brackets
        return r"\frac{%s}{%s}" % (top, self._joined(Integer(coeff.q), denom, r" \cdot ", " "))

    def _print_Add(self, expr, order=None):
        out = ""
        for k, term in enumerate(self._person_terms(expr, order)):
            if k and term.could_extract_minus_sign():
                out += " - "
                term = -term
            elif k:
                out += " + "
            text = self._print(term)
            if self._needs_add_brackets(term):
                text = r"\left(%s\right)" % text
            out += text
        return out

    def _print_floor(self, expr, exp=None):
        return self._rounded(expr, r"\lfloor", r"\rfloor", exp)

    def _print_ceiling(self, expr, exp=None):
        return self._rounded(expr, r"\lceil", r"\rceil", exp)

    def _rounded(self, expr, left, right, exp):
        """floor((n - k + 1)/2) over one fraction bar, not as -k/2 + n/2 + 1/2."""
        num, den = expr.args[0].as_numer_denom()
        inner = self._print(num) if den == 1 else r"\frac{%s}{%s}" % (self._print(num), self._print(den))
        text = r"\left%s %s \right%s" % (left, inner, right)
        return r"%s^{%s}" % (text, exp) if exp else text


# ----------------------------------------------------------------------------- MathML


class MathMLPrinter(Layout, MathMLPresentationPrinter):
    """Presentation MathML (browsers render it with no script or font download): the same term
    order, one fraction bar inside ⌊ ⌋ and ⌈ ⌉, and 16,618 grouping as the other modes."""

    printmethod = "_symparams_mathml"

    def _as_ordered_terms(self, expr, order=None):
        return self._person_order(super()._as_ordered_terms(expr, order=order))

    def _element(self, tag, *children, text=None):
        node = self.dom.createElement(tag)
        if text is not None:
            node.appendChild(self.dom.createTextNode(text))
        for child in children:
            node.appendChild(child)
        return node

    def _print_Symbol(self, expr, style="plain"):
        """The names rule of symbol_name: a letter (with a subscript) or a whole upright word."""
        parts = name_parts(expr.name)
        if parts is None:
            node = self._element("mi", text=expr.name)
            node.setAttribute("mathvariant", "normal")
            return node
        letter, sub = parts
        base = self._element("mi", text=GREEK_TEXT.get(letter, letter))
        if not sub:
            return base
        if sub.isdigit():
            return self._element("msub", base, self._element("mn", text=sub))
        script = self._element("mi", text=sub)
        if len(sub) > 1:
            script.setAttribute("mathvariant", "normal")
        return self._element("msub", base, script)

    _print_Dummy = _print_Symbol

    def _print_Integer(self, expr):
        n = int(expr)
        if n < 0:
            return self._element("mrow", self._element("mo", text="−"), self._element("mn", text=f"{-n:,}"))
        return self._element("mn", text=f"{n:,}")

    def _rounded(self, expr, left, right):
        num, den = expr.args[0].as_numer_denom()
        inner = self._print(num) if den == 1 else self._element("mfrac", self._print(num), self._print(den))
        return self._element("mrow", self._element("mo", text=left), inner, self._element("mo", text=right))

    def _print_floor(self, expr):
        return self._rounded(expr, "⌊", "⌋")

    def _print_ceiling(self, expr):
        return self._rounded(expr, "⌈", "⌉")


# GitHub reads a backslash before punctuation as a Markdown escape even inside $...$, and a '|'
# ends a table cell: MathJax text for Markdown has backslashes before letters only
_MATH_SAFE = {"|": r"\vert ", r"\{": r"\lbrace ", r"\}": r"\rbrace ", r"\,": r"\ "}


def _markdown_safe(text: str) -> str:
    for bad, good in _MATH_SAFE.items():
        text = text.replace(bad, good)
    return text


# ----------------------------------------------------------------------------- LaTeX text mode

_TEXT_ESCAPES = {
    "\\": r"$\backslash$", "{": r"$\{$", "}": r"$\}$", "$": r"$\$$", "&": r"\&", "#": r"\#", "%": r"\%",
    "_": r"\_", "^": r"\^{}", "~": r"\~{}", "<": r"$<$", ">": r"$>$", "|": r"$|$", '"': "''",
}


def latex_text(text: str) -> str:
    """User text made safe for LaTeX text mode (any character; unknown ones become '?')."""
    out = []
    for ch in unicodedata.normalize("NFKD", str(text)):
        if ch in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[ch])
        elif unicodedata.combining(ch):
            continue
        elif ch < " " or ch == "\x7f":
            out.append(" ")
        elif ch > "\x7f":
            out.append("?")
        else:
            out.append(ch)
    return "".join(out)



# ----------------------------------------------------------------------------- entry points

_PRINTERS = {
    "latex": LatexMathPrinter(),
    "mathjax": LatexMathPrinter({"underscore": r"\underline{\phantom{x}}"}),
}


def _printer(mode: str):
    # the MathML printer is made at its first use: making one imports xml.dom.minidom (about 9 ms of
    # every cold command, and only the HTML and SVG outputs print MathML)
    if mode not in _PRINTERS:
        _PRINTERS[mode] = MathMLPrinter()
    return _PRINTERS[mode]


@lru_cache(maxsize=16384)
def _show(expr, mode: str) -> str:
    if mode == "sympy":
        return sympy.sstr(expr)
    if mode in TEXT_PRINTERS:
        return notation.text(expr, ascii=mode == "ascii")
    text = _printer(mode).doprint(canonical(expr))
    if mode == "mathml":        # the character itself: the entity is HTML's, not XML's
        return text.replace("&InvisibleTimes;", "\u2062")
    return _markdown_safe(text) if mode == "mathjax" else text


def show(expr, mode: str = "text") -> str:
    """expr (a SymPy expression, int or str of one) in one of MODES. Cached per expression."""
    if mode not in MODES:
        raise ValueError(f"unknown math mode {mode!r}; one of {', '.join(MODES)}")
    return _show(renamed(coerce(expr)), mode)


def text(expr, ascii: bool = False) -> str:
    return show(expr, "ascii" if ascii else "text")


def latex(expr) -> str:
    return show(expr, "latex")


def mathjax(expr) -> str:
    return show(expr, "mathjax")


def machine(expr) -> str:
    """The SymPy string (for JSON): sympify(machine(e)) == e."""
    return show(expr, "sympy")


_TIMES = {"text": " × ", "ascii": " x ", "latex": r" \times ", "mathjax": r" \times ", "sympy": ", ",
          "mathml": "<mo>×</mo>"}
_DOT = {"text": "·", "ascii": "*", "latex": r" \cdot ", "mathjax": r" \cdot ", "sympy": "*", "mathml": "<mo>·</mo>"}
_OPEN = {"latex": (r"\left(", r"\right)"), "mathjax": (r"\left(", r"\right)"),
         "mathml": ("<mrow><mo>(</mo>", "<mo>)</mo></mrow>")}


def mathml_block(inner: str) -> str:
    """MathML fragments (from show/shape/product in mode 'mathml') as one <math> element."""
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML"><mrow>{inner}</mrow></math>'


def group(text: str, mode: str) -> str:
    left, right = _OPEN.get(mode, ("(", ")"))
    return left + text + right


def shape(dims, mode: str = "text") -> str:
    """28 × 28 × 1; a sum in parentheses: (n − 4) × (n − 4) × 32."""
    parts = []
    for d in dims:
        d = sympy.sympify(d)
        text = show(d, mode)
        parts.append(group(text, mode) if isinstance(canonical(d), Add) and len(dims) > 1 else text)
    if mode == "sympy":
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    return _TIMES[mode].join(parts) if parts else "()"


def times(mode: str = "text") -> str:
    return _TIMES[mode]


def dot(mode: str = "text") -> str:
    return _DOT[mode]


def product(factors, mode: str = "text") -> str:
    """Worked arithmetic, factors kept apart: (5·5·1 + 1)·32 (not simplified)."""
    factors = [sympy.sympify(f) for f in factors]
    if len(factors) == 1:
        return show(factors[0], mode)
    return _DOT[mode].join(show(f, mode) if (f.is_Atom or f.is_number) and not f.could_extract_minus_sign()
                           else group(show(f, mode), mode) for f in factors) or "1"
