"""Text -> immutable IR.

The grammar (grammar/symparams.lark) is the only description of the syntax. This module
loads it once, parses with LALR (fast, linear time), and turns the tree into the
nodes of symparams/ir.py, keeping line and column on each. Parser failures become
DSLSyntaxError with what was expected said in words.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import re
from fractions import Fraction
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import ir
from .errors import DSLSyntaxError, SymparamsError, did_you_mean, source_lines
from .limits import MAX_DECIMAL_EXPONENT, MAX_LITERAL_DIGITS, MAX_NESTING, MAX_SOURCE_BYTES, MAX_STATEMENTS
from .teaching import explain

# How the grammar's terminals are named to a person.
TERMINAL_WORDS = {
    "NAME": "a name",
    "CALLNAME": "a block or function call such as 'basic(' or 'floor('",
    "INT": "a whole number",
    "DECIMAL": "a decimal number",
    "DIMS": "a size such as 3x3",
    "STRING": 'a quoted string',
    "X": "'x'",
    "_NL": "a new line",
    "_POW": "'**'",
    "$END": "the end of the file",
}


@functools.lru_cache(maxsize=1)
def grammar_text() -> str:
    # A source checkout (or a worktree of one) has the grammar beside the package: that copy goes with
    # this code, whatever an editable install elsewhere maps 'symparams.grammar' to.
    here = Path(__file__).resolve().parent
    beside = here.parent / "grammar" / "symparams.lark"
    if beside.is_file():
        return beside.read_text(encoding="utf-8")
    # installed (a wheel): the package symparams.grammar is that folder; importlib.resources (8 ms of
    # every cold start) only for an install that is not plain files (a zip)
    installed = here / "grammar" / "symparams.lark"
    if installed.is_file():
        return installed.read_text(encoding="utf-8")
    from importlib import resources
    return resources.files("symparams.grammar").joinpath("symparams.lark").read_text(encoding="utf-8")


@contextlib.contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector while parsing or deriving: both allocate many
    objects and leave no cycles worth finding, and the collector's full passes over a growing
    heap made 10,000-layer files superlinear (about 40% of the time). Nothing else is done on
    resuming: moving the new objects to the oldest generation (gc.freeze then gc.unfreeze) hid
    them from the collector's count, so the cycles among them were never collected and a long
    process grew without bound."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@functools.lru_cache(maxsize=1)
def parser() -> Lark:
    # the LALR tables are kept in a per-user cache (never the shared temporary directory, never a
    # pickle): about 0.1 s less at every start; see parser_cache.py
    from .parser_cache import lark_parser
    return lark_parser(grammar_text(), parser="lalr", propagate_positions=True, maybe_placeholders=True)


def _pos_of_token(tok: Token) -> ir.Pos:
    return ir.Pos(tok.line or 1, tok.column or 1, tok.end_column)


def _pos_of_meta(meta) -> ir.Pos:
    if getattr(meta, "empty", True):
        return ir.Pos(1, 1, None)
    end = meta.end_column if meta.end_line == meta.line else None
    return ir.Pos(meta.line, meta.column, end)


def _int_literal(text: str, pos: ir.Pos) -> int:
    digits = text.replace("_", "").lstrip("0") or "0"
    if len(digits) > MAX_LITERAL_DIGITS:
        raise DSLSyntaxError(f"a number of {len(digits):,} digits; at most {MAX_LITERAL_DIGITS:,} digits are accepted",
                             line=pos.line, column=pos.column, end_column=pos.end_column)
    return int(digits)


_DECIMAL = re.compile(r"([0-9]*)\.?([0-9]*)(?:[eE]([-+]?[0-9]+))?")


def _decimal_literal(text: str, pos: ir.Pos) -> Fraction:
    """'0.5', '1e-3' exactly; the exponent is bounded first (Fraction('1e-999999999') computes
    10**999999999)."""
    whole, fraction, exponent = _DECIMAL.fullmatch(text).groups()
    digits = (whole + fraction).lstrip("0")
    if len(exponent or "") > 12 or abs(int(exponent or 0)) > MAX_DECIMAL_EXPONENT or len(digits) > MAX_LITERAL_DIGITS:
        raise DSLSyntaxError(f"the decimal {text[:20] + '...' if len(text) > 20 else text} is out of range "
                             f"(exponents up to {MAX_DECIMAL_EXPONENT}, at most {MAX_LITERAL_DIGITS:,} digits)",
                             line=pos.line, column=pos.column, end_column=pos.end_column)
    return Fraction(int(whole + fraction or "0"), 10 ** len(fraction)) * Fraction(10) ** int(exponent or 0)


def _dims_parts(tok: Token) -> list:
    """'28x28x1' -> three numbers, each with its own column."""
    parts, col = [], tok.column
    for piece in str(tok).split("x"):
        pos = ir.Pos(tok.line, col, col + len(piece))
        parts.append(ir.Num(_int_literal(piece, pos), pos))
        col += len(piece) + 1
    return parts


@v_args(meta=True)
class _ToIR(Transformer):
    # ------------------------------------------------------------- expressions
    def integer(self, meta, children):
        tok = children[0]
        return ir.Num(_int_literal(str(tok), _pos_of_token(tok)), _pos_of_token(tok))

    def decimal(self, meta, children):
        tok = children[0]
        return ir.Dec(_decimal_literal(str(tok), _pos_of_token(tok)), str(tok), _pos_of_token(tok))

    def name(self, meta, children):
        tok = children[0]
        return ir.Name(str(tok), _pos_of_token(tok))

    def _bin(op):
        def rule(self, meta, children):
            left, right = children
            return ir.BinOp(op, left, right, _pos_of_meta(meta))
        return rule

    add = _bin("+")
    sub = _bin("-")
    mul = _bin("*")
    div = _bin("/")
    floordiv = _bin("//")
    pow = _bin("**")
    del _bin

    def neg(self, meta, children):
        return ir.Neg(children[0], _pos_of_meta(meta))

    def unary(self, meta, children):       # unary plus
        return children[0]

    def func(self, meta, children):
        tok = children[0]
        args = tuple(c for c in children[1:] if c is not None)
        return ir.Func(str(tok)[:-1], args, _pos_of_token(tok))

    # ------------------------------------------------------------- sizes and options
    def tuple(self, meta, children):
        return [c for c in children if c is not None]

    def size(self, meta, children):
        parts: list = []
        for child in children:
            if isinstance(child, Token):
                if child.type == "X":
                    continue
                if child.type == "DIMS":
                    parts.extend(_dims_parts(child))
                    continue
            if isinstance(child, list):
                parts.extend(child)
            else:
                parts.append(child)
        return ir.Size(tuple(parts), _pos_of_meta(meta))

    def indexed(self, meta, children):
        name, index = children
        return ir.Ref(str(name), index, _pos_of_token(name))

    def ref(self, meta, children):
        name, index = children
        return ir.Ref(str(name), index, _pos_of_token(name))

    def neg_dims(self, meta, children):
        first, *rest = _dims_parts(children[0])
        return [ir.Neg(first, _pos_of_meta(meta)), *rest]

    def string_value(self, meta, children):
        tok = children[0]
        return ir.Str(str(tok)[1:-1], _pos_of_token(tok))

    def option(self, meta, children):
        name, value = children
        return ir.Option(str(name), value, _pos_of_token(name))

    # ------------------------------------------------------------- statements
    def let(self, meta, children):
        name, value = children
        return ir.Let(str(name), value, _pos_of_token(name))

    def convention(self, meta, children):
        (name,) = children
        if str(name) not in CONVENTIONS:
            raise DSLSyntaxError(f"unknown convention '{name}'", line=name.line, column=name.column,
                                 end_column=name.end_column, hint="write 'convention pytorch' or 'convention keras'")
        return ir.Convention(str(name), _pos_of_token(name))

    def layer(self, meta, children):
        keyword, *items, alias = children
        args = tuple(c for c in items if isinstance(c, ir.Size))
        options = tuple(c for c in items if isinstance(c, ir.Option))
        pos = _pos_of_token(keyword)
        if alias is not None and keyword != "input":
            raise DSLSyntaxError(f"only 'input' takes 'as NAME' (a named second input), not '{keyword}'",
                                 line=alias.line, column=alias.column, end_column=alias.end_column,
                                 hint="to name the current tensor, write 'save NAME' on the next line")
        if str(keyword) in NAMED_TENSOR_WORDS:
            return _named_tensor(str(keyword), args, options, pos)
        for size in args:
            for part in size.parts:
                if isinstance(part, ir.Ref):
                    raise DSLSyntaxError(f"'{part.name}[...]' names a saved tensor; a layer's size is a number",
                                         line=part.pos.line, column=part.pos.column)
        return ir.LayerStmt(str(keyword), args, options, pos, str(alias) if alias is not None else None)

    def body(self, meta, children):
        for c in children:
            if isinstance(c, ir.Convention):
                raise DSLSyntaxError("'convention' is said once for the whole file, not inside braces",
                                     line=c.pos.line, column=c.pos.column, hint="move it to the top of the file")
        return tuple(c for c in children if c is not None and not isinstance(c, Token))

    def block_def(self, meta, children):
        callname, *rest = children
        body = rest[-1]
        params = tuple(str(t) for t in rest[:-1] if isinstance(t, Token))
        return ir.BlockDef(str(callname)[:-1], params, body, _pos_of_token(callname))

    def block_def_noargs(self, meta, children):
        name, body = children
        return ir.BlockDef(str(name), (), body, _pos_of_token(name))

    def keyword_arg(self, meta, children):
        name, value = children
        return (str(name), _call_value(value), _pos_of_token(name))

    def call_arg(self, meta, children):
        return _call_value(children[0])

    def call(self, meta, children):
        callname, *rest = children
        args, kwargs, options = [], [], []
        for item in rest:
            if item is None:
                continue
            if isinstance(item, ir.Option):
                options.append(item)
            elif isinstance(item, tuple):
                kwargs.append(item)
            else:
                args.append(item)
        return ir.Call(str(callname)[:-1], tuple(args), tuple(kwargs), tuple(options), _pos_of_token(callname))

    def repeat(self, meta, children):
        count, index, body = children
        return ir.Repeat(count, str(index) if index is not None else None, body, _pos_of_meta(meta))

    def residual(self, meta, children):
        body, shortcut = children
        return ir.Residual(body, shortcut, _pos_of_meta(meta))

    def concat(self, meta, children):
        return ir.Branches("concat", tuple(children), _pos_of_meta(meta))

    def add_branches(self, meta, children):
        return ir.Branches("add", tuple(children), _pos_of_meta(meta))

    def mul_branches(self, meta, children):
        return ir.Branches("mul", tuple(children), _pos_of_meta(meta))

    def _merge_with(mode):
        def rule(self, meta, children):
            ref, flag = children
            crop = False
            if flag is not None:
                if mode == "concat" and str(flag) == "crop":
                    crop = True
                else:
                    allowed = ["crop"] if mode == "concat" else []
                    raise DSLSyntaxError(f"'{mode} with' takes {'only the word crop' if allowed else 'no words'} "
                                         f"after the name, not '{flag}'", line=flag.line, column=flag.column,
                                         end_column=flag.end_column, hint=did_you_mean(str(flag), allowed))
            return ir.Merge(mode, ref, crop, _pos_of_meta(meta))
        return rule

    concat_with = _merge_with("concat")
    add_with = _merge_with("add")
    mul_with = _merge_with("mul")
    sub_with = _merge_with("sub")
    del _merge_with

    def moe(self, meta, children):
        *items, body = children
        args = tuple(c for c in items if isinstance(c, ir.Size))
        options = tuple(c for c in items if isinstance(c, ir.Option))
        return ir.Moe(args, options, body, _pos_of_meta(meta))

    def start(self, meta, children):
        return tuple(c for c in children if c is not None and not isinstance(c, Token))


CONVENTIONS = ("keras", "pytorch")


def _take_convention(statements: tuple) -> tuple[tuple, str | None]:
    """The file's 'convention' statement taken out of its statements (said at most once)."""
    said = [s for s in statements if isinstance(s, ir.Convention)]
    if len(said) > 1:
        raise DSLSyntaxError("a second 'convention' statement; the file says its convention once",
                             line=said[1].pos.line, column=said[1].pos.column)
    rest = tuple(s for s in statements if not isinstance(s, ir.Convention))
    return rest, (said[0].name if said else None)


# Statements written like a layer ('save skip1', 'use enc', 'crop to=skip1') that act on named tensors.
NAMED_TENSOR_WORDS = ("save", "use", "crop")


def _call_value(size: ir.Size):
    """A block call's argument: one expression as it is, a size of several values ('(1, 7)', '1x7') as the
    Size (bound as one value per axis); a saved tensor is no argument."""
    for part in size.parts:
        if isinstance(part, ir.Ref):
            raise DSLSyntaxError(f"'{part.name}[...]' names a saved tensor; a block's argument is a number, a size "
                                 "or a padding word", line=part.pos.line, column=part.pos.column)
    return size.parts[0] if len(size.parts) == 1 else size


def _named_tensor(keyword: str, args, options, pos: ir.Pos):
    """save NAME / use NAME / crop to=NAME, checked here so a mistake points at its text."""
    def fail(message, at, hint=None):
        raise DSLSyntaxError(message, line=at.line, column=at.column, end_column=at.end_column, hint=hint)

    if keyword == "crop":
        for size in args:
            fail("crop takes to=NAME (a saved tensor whose size to crop to)", size.pos)
        if not options:
            fail("crop needs to=NAME: the saved tensor whose spatial size to crop to", pos)
        for option in options:
            if option.name != "to":
                fail(f"crop has no option '{option.name}'; it takes to=NAME", option.pos,
                     did_you_mean(option.name, ["to"]))
        ref = options[0].value.ref if isinstance(options[0].value, ir.Size) else None
        if ref is None:
            fail("crop to= takes the name of a saved tensor", options[0].value.pos)
        return ir.CropTo(ref, pos)
    for option in options:
        fail(f"'{keyword}' takes a name, not options ('{option.name}=')", option.pos)
    if len(args) != 1 or args[0].ref is None:
        at = args[1].pos if len(args) > 1 else (args[0].pos if args else pos)
        what = "the name to give the current tensor" if keyword == "save" else "the name of a saved tensor"
        fail(f"'{keyword}' takes one name: {what}, e.g. '{keyword} skip1'", at)
    ref = args[0].ref
    return ir.Save(ref, pos) if keyword == "save" else ir.Use(ref, pos)


def _describe_expected(expected) -> str:
    words = []
    grammar = parser()
    for name in sorted(set(expected)):
        if name in TERMINAL_WORDS:
            words.append(TERMINAL_WORDS[name])
            continue
        try:
            pattern = grammar.get_terminal(name).pattern
        except KeyError:
            words.append(name.lower())
            continue
        if pattern.type == "str":
            words.append(f"'{pattern.value}'")
        else:
            words.append(name.lower())
    words = sorted(set(words))
    if not words:
        return "something else"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _token_words(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    if token.type == "_NL":
        return "end of the line"
    return f"'{token}'"


def _syntax_error(err: UnexpectedInput, source: str, file: str | None) -> DSLSyntaxError:
    if not isinstance(err, UnexpectedEOF):
        token = getattr(err, "token", None)
        if getattr(token, "type", None) != "$END":
            expected = getattr(err, "expected", None) or getattr(err, "allowed", None) or ()
            lesson = explain(source, err.line, err.column, getattr(token, "type", None), expected)
            if lesson is not None:      # a Keras or PyTorch habit: the fix in words, not the expected tokens
                return DSLSyntaxError(lesson.message, line=err.line, column=lesson.column,
                                      end_column=lesson.end_column, hint=lesson.hint, file=file, source=source)
    if isinstance(err, UnexpectedCharacters):
        char = source[err.pos_in_stream] if 0 <= err.pos_in_stream < len(source) else "?"
        shown = repr(char) if not char.isprintable() or char == "'" else f"'{char}'"
        message = f"unexpected character {shown}"
        hint = None
        if char == "=":
            hint = "options are written name=value right after the layer's arguments, e.g. 'stride=2'"
        elif char == ".":
            hint = "decimals are written like 0.5"
        return DSLSyntaxError(message, line=err.line, column=err.column, hint=hint, file=file, source=source)
    if isinstance(err, UnexpectedEOF):
        lines = source_lines(source) or [""]
        return DSLSyntaxError(f"the file ends too early; expected {_describe_expected(err.expected)}",
                              line=len(lines), column=len(lines[-1]) + 1, file=file, source=source)
    assert isinstance(err, UnexpectedToken)
    token = err.token
    expected = _describe_expected(err.expected)
    message = f"unexpected {_token_words(token)}; expected {expected}"
    hint = None
    if token.type == "$END":
        lines = source_lines(source) or [""]
        return DSLSyntaxError(f"the file ends too early; expected {expected}", line=len(lines),
                              column=len(lines[-1]) + 1, file=file, source=source,
                              hint="is a '}' or ')' missing?")
    if token.type == "_NL" and "RBRACE" in err.expected:
        hint = "is a '}' missing?"
    elif token.type == "CALLNAME":
        hint = "a name directly followed by '(' is a call; put a space before '(' for a size like 'f (3, 3)'"
    line = token.line or 1
    column = token.column or 1
    end = token.end_column if token.type not in ("_NL", "$END") else None
    return DSLSyntaxError(message, line=line, column=column, end_column=end, hint=hint, file=file, source=source)


def parse_program(source: str, file: str | None = None) -> ir.Program:
    """Parse architecture text into an ir.Program, or raise a DSLSyntaxError."""
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = source.count(b"\n", 0, exc.start) + 1
            column = exc.start - source.rfind(b"\n", 0, exc.start)
            raise DSLSyntaxError(f"the file is not UTF-8 text (bad byte at offset {exc.start}); is it a binary file?",
                                 line=line, column=column, file=file) from None
    if len(source) > MAX_SOURCE_BYTES:
        raise DSLSyntaxError(f"the file is too large ({len(source):,} characters; the limit is {MAX_SOURCE_BYTES:,})",
                             file=file)
    if "\x00" in source:
        line = source[:source.index("\x00")].count("\n") + 1
        raise DSLSyntaxError("the file contains a NUL byte; is it a binary file?", line=line, file=file)
    if len(source) <= CACHED_SOURCE_CHARS:
        return _parse_cached(source, file)
    return _parse_text(source, file)


# a statement starts on a line whose first character is not blank or a comment, or after a ';'
_STATEMENT_START = re.compile(r"^[ \t\f\r]*[^\s#]|;", re.MULTILINE)
_BRACKETS = re.compile(r"#[^\n]*|\"[^\"\n]*\"|[(){}\[\]]")


def _check_limits(source: str, file: str | None):
    """The statement count and the nesting depth, checked on the text before Lark builds a tree
    for it (a million lines or a thousand nested braces cost seconds to gigabytes to parse)."""
    if source.count("\n") + source.count(";") >= MAX_STATEMENTS:
        past = next(itertools.islice(_STATEMENT_START.finditer(source), MAX_STATEMENTS, None), None)
        if past is not None:
            at = past.start()
            raise DSLSyntaxError(f"more than {MAX_STATEMENTS:,} statements; that is the limit for one file",
                                 line=source.count("\n", 0, at) + 1, column=1, file=file, source=source)
    depth = 0
    for match in _BRACKETS.finditer(source):
        char = match.group()
        if char in "({[":
            depth += 1
            if depth > MAX_NESTING:
                start = source.rfind("\n", 0, match.start()) + 1
                # the first bracket of that line, so the caret shows on a long line
                at = min(i for i in (source.find(b, start, match.end()) for b in "({[") if i >= 0)
                raise DSLSyntaxError(f"the text is nested too deeply (more than {MAX_NESTING} brackets or "
                                     "blocks inside each other)", line=source.count("\n", 0, at) + 1,
                                     column=at - source.rfind("\n", 0, at), file=file, source=source)
        elif char in ")}]":
            depth = max(0, depth - 1)


# The IR is immutable, so parsing the same text again gives an equal program: remember the last
# few files of ordinary size (bounded; a failed parse raises and is not remembered). Lark was
# 25-40% of re-loading a file.
CACHED_SOURCE_CHARS = 200_000


@functools.lru_cache(maxsize=32)
def _parse_cached(source: str, file: str | None) -> ir.Program:
    return _parse_text(source, file)


def _parse_text(source: str, file: str | None) -> ir.Program:
    _check_limits(source, file)
    try:
        with collector_paused():
            tree = parser().parse(source)
    except UnexpectedInput as err:
        raise _syntax_error(err, source, file) from None
    try:
        with collector_paused():
            statements = _ToIR().transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, SymparamsError):
            raise err.orig_exc.with_source(file, source) from None
        if isinstance(err.orig_exc, RecursionError):
            raise _too_deep(source, file) from None
        raise
    except RecursionError:
        raise _too_deep(source, file) from None
    try:
        statements, convention = _take_convention(statements)
    except SymparamsError as exc:
        raise exc.with_source(file, source) from None
    return ir.Program(statements, source, file, convention)


def _too_deep(source: str, file: str | None) -> DSLSyntaxError:
    """'nested too deeply', pointing at the deepest '(' or '{' (or the longest line, for a long chain)."""
    depth, best, at = 0, 0, None
    for index, char in enumerate(source):
        if char in "({":
            depth += 1
            if depth > best:
                best, at = depth, index
        elif char in ")}":
            depth -= 1
    if at is None or best < 50:
        lines = source.split("\n")
        longest = max(range(len(lines)), key=lambda k: len(lines[k]))
        at = sum(len(line) + 1 for line in lines[:longest])
    else:       # the first bracket of that line, so the caret shows
        start = source.rfind("\n", 0, at) + 1
        at = min(i for i in (source.find("(", start, at + 1), source.find("{", start, at + 1)) if i >= 0)
    line = source.count("\n", 0, at) + 1
    column = at - source.rfind("\n", 0, at)
    return DSLSyntaxError("the text is nested too deeply (or one expression is too long)", line=line, column=column,
                          file=file, source=source)
