"""Syntax errors that teach: the first lines a Keras or PyTorch user writes, read for what they meant.

The parser stops at the first token it cannot take ('=' in 'n = 32', '.' in 'nn.Linear', the end of
the line in 'block b' with its '{' below); its list of expected tokens does not say what to write.
`explain` looks at the whole line the parser stopped in and, when it recognises the habit, gives the
message, the column to point at and the line as symparams writes it. Anything it does not recognise
keeps the parser's own message (syntax.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import source_lines

# 'nn.', 'torch.nn.', 'layers.', 'keras.layers.', 'tf.keras.layers.': a framework's module prefix
_PREFIX = re.compile(r"(?:torch\.nn|nn|tf\.keras\.layers|keras\.layers|layers)\.")
_NAME = r"[A-Za-z_][A-Za-z_0-9]*"
_CALL = re.compile(rf"(?P<prefix>(?:{_NAME}\.)*)(?P<name>{_NAME})\((?P<args>.*)\)\s*(?:#.*)?")
_ASSIGN = re.compile(rf"(?P<name>{_NAME})\s*=\s*(?P<value>[^=].*?)\s*(?:#.*)?")
_FOR = re.compile(rf"for\s+(?P<index>{_NAME})\s+in\s+range\((?P<count>[^,()]+)\)\s*:?.*")
_QUOTED = re.compile(r"'([^'\n]*)'")


MAX_TAUGHT_LINE = 300     # characters: a line longer than a person types is not read for habits


@dataclass(frozen=True)
class Lesson:
    message: str
    hint: str
    column: int              # 1-based, where the caret goes
    end_column: int | None = None


def explain(source: str, line: int, column: int, token_type: str | None, expected=()) -> Lesson | None:
    """What a parser failure at (line, column) means when the line is a known Keras/PyTorch habit."""
    lines = source_lines(source)
    if not 0 < line <= len(lines):
        return None
    text = lines[line - 1]
    body = text.strip()
    if len(body) > MAX_TAUGHT_LINE or not body.isprintable():
        return None         # a generated or damaged line: the parser's own message, without echoing it
    start = len(text) - len(text.lstrip()) + 1          # column of the line's first character
    char = text[column - 1] if 0 < column <= len(text) else ""
    readings = (lambda: _brace_below(lines, line, text, token_type, expected),   # the first that applies
                lambda: _one_tuple(text, column, char), lambda: _unopened(token_type, expected, column),
                lambda: _python_loop(body, start), lambda: _colon_body(body, column, char),
                lambda: _training_call(body, start), lambda: _framework_line(body, start),
                lambda: _assignment(body, start, char), lambda: _commas(body, start, char, column),
                lambda: _single_quotes(text, column, char))
    return next((lesson for lesson in (reading() for reading in readings) if lesson is not None), None)


def _layer_words():
    # the kinds' words and class names: imported here, on the error path only (parsing needs no kinds)
    from . import suggestions
    return suggestions


def _brace_below(lines, line, text, token_type, expected) -> Lesson | None:
    """'block b' / 'repeat 3' / 'residual' with its '{' on the next line, as C and Java put it."""
    if token_type != "_NL" or "LBRACE" not in expected:
        return None
    below = next((candidate.strip() for candidate in lines[line:] if candidate.strip()), "")
    head = text.split("#")[0].rstrip()
    if below.startswith("{"):
        return Lesson(f"the '{{' of '{head.strip()}' must be on the same line", f"write '{head.strip()} {{'",
                      len(head) + 1)
    return Lesson(f"'{head.strip()}' needs its body in braces on the same line",
                  f"write '{head.strip()} {{', the body's lines, then '}}'", len(head) + 1)


def _unopened(token_type, expected, column) -> Lesson | None:
    """A '}' or ')' that closes nothing (the parser expected no closing bracket here)."""
    for closing, opening, name in (("RBRACE", "{", "}"), ("RPAR", "(", ")")):
        if token_type == closing and closing not in expected:
            return Lesson(f"this '{name}' closes no '{opening}'",
                          f"delete it, or open the body with '{opening}' at the end of the line that starts it"
                          if name == "}" else "delete it", column, column + 1)
    return None


def _colon_body(body, column, char) -> Lesson | None:
    """'block b(c):' or 'def b(c):' with an indented body, as Python writes it."""
    code = body.split("#")[0].rstrip()
    if char != ":" or not code.endswith(":"):
        return None
    head = re.sub(r"^def\s+", "block ", code[:-1].rstrip())
    return Lesson("a body is written in braces, not after ':' and an indent",
                  f"write '{head} {{', the body's lines, then '}}'", column, column + 1)


def _python_loop(body, start) -> Lesson | None:
    match = _FOR.fullmatch(body)
    if match is None:
        return None
    count, index = match.group("count").strip(), match.group("index")
    return Lesson("a loop is written 'repeat N { ... }'",
                  f"write 'repeat {count} {{' (or 'repeat {count} as {index} {{' to use the pass number "
                  f"{index}), the body's lines, then '}}'", start, start + 3)


def _training_call(body, start) -> Lesson | None:
    """model.compile(...), model.fit(...), model.summary(): Python around a model, not a layer."""
    match = re.match(rf"({_NAME})\.(compile|fit|summary|build|eval|train|to|cuda|cpu|evaluate|predict)\(", body)
    if match is None:
        return None
    return Lesson(f"'{match.group(1)}.{match.group(2)}(...)' is Python around a model; an architecture file "
                  "lists its layers only", "delete this line (symparams summary FILE prints the summary)", start,
                  start + len(match.group(0)) - 1)


def _framework_line(body, start) -> Lesson | None:
    """'nn.Linear(64, 10)', 'layers.Dense(10)', 'Conv2D(32, (3, 3), padding="same")', 'model.add(...)':
    a framework's call, or a layer written as one."""
    words = _layer_words()
    container = re.match(rf"(?:{_NAME}\s*=\s*)?(?:{_NAME}\.)*({'|'.join(words.CONTAINERS)})\b", body)
    if container is None:
        container = re.match(rf"class\s+{_NAME}\s*\(\s*(?:{_NAME}\.)*(Module|Model|Layer)\s*\)", body)
    if container is not None:       # Sequential([...]), nn.Sequential(, class Net(nn.Module):
        return Lesson(f"the file is the model, so there is no {container.group(1)}",
                      "write 'input SHAPE', then one layer per line (docs/language.md, 'Coming from Keras or "
                      "PyTorch')", start, start + len(container.group(0)))
    call = _CALL.fullmatch(body)
    if call is not None and call.group("name") == "add" and call.group("prefix"):
        inner = _framework_line(call.group("args").strip(), start + len(call.group("prefix")) + 4)
        if inner is not None:       # model.add(Dense(10)): the layer alone, one line per layer
            return Lesson(inner.message, inner.hint + "; a layer is its own line (no model.add)", inner.column,
                          inner.end_column)
    if call is not None:
        prefix, name = call.group("prefix"), call.group("name")
        if prefix and not _PREFIX.fullmatch(prefix):
            return None
        if name not in words.REGISTRY and words.framework_class(name) is None:
            return None
        message, hint = words.layer_called(name, call.group("args"))
        if prefix:
            message = f"symparams writes layers without '{prefix}': " + message
        column = start + len(prefix)
        return Lesson(message, hint, column, column + len(name))
    dotted = re.match(rf"(?P<prefix>{_PREFIX.pattern})(?P<name>{_NAME})(?P<rest>.*)", body)
    if dotted is not None:
        name, known = dotted.group("name"), words.framework_class(dotted.group("name"))
        keyword = known[2] if known else name.lower() if name.lower() in words.REGISTRY else None
        if keyword is None:
            return None
        return Lesson(f"symparams writes layers without '{dotted.group('prefix')}'",
                      f"write '{keyword}{dotted.group('rest')}'", start, start + len(dotted.group("prefix")) +
                      len(name))
    return None


def _assignment(body, start, char) -> Lesson | None:
    """'n = 32' (a value: 'let n = 32') or 'x = dense(10)' / 'x = Dense(10)(x)' (no assignment of layers)."""
    match = _ASSIGN.fullmatch(body)
    if char != "=" or match is None:
        return None
    name, value = match.group("name"), match.group("value")
    words = _layer_words()
    first = re.match(rf"(?:{_PREFIX.pattern})?({_NAME})", value)
    if first and (first.group(1) in words.REGISTRY or words.framework_class(first.group(1))):
        value = re.sub(r"\)\s*\(\s*" + _NAME + r"\s*\)$", ")", value)      # Keras' functional Dense(10)(x)
        layer = _framework_line(value, start)
        shown = layer.hint.removeprefix("write ") if layer else f"'{value}'"
        return Lesson("layers are not assigned: each layer is its own line and reads the layer before",
                      f"write {shown} on its own line", start, start + len(name))
    if not re.fullmatch(r"[0-9A-Za-z_+\-*/^(). ]+", value):
        return None         # not an expression ('Sequential([', a list, a string): no 'let' to offer
    return Lesson(f"a value is defined with 'let': 'let {name} = {value}'", f"write 'let {name} = {value}'",
                  start, start + len(name))


def _commas(body, start, char, column) -> Lesson | None:
    """'dense 10, activation=relu' and 'input 28, 28, 1': Python's argument commas."""
    if char != ",":
        return None
    words = body.split("#")[0].strip()
    keyword = words.split()[0] if words.split() else ""
    if keyword == "input":
        sizes = [s.strip() for s in words[len("input"):].split(",")]
        if all(re.fullmatch(rf"[0-9]+|{_NAME}", s) for s in sizes):
            return Lesson("the sizes of a shape are joined with 'x', not commas",
                          f"write 'input {'x'.join(sizes)}' (or 'input ({', '.join(sizes)})')", column)
        return None
    if "(" in words:
        return None
    spaced = re.sub(r"(?<=[0-9]),(?=[0-9])", "x", words)          # '3,3': one window of 3 x 3
    spaced = re.sub(r"\s*,\s*", " ", spaced).strip()
    return Lesson("a layer's sizes and options are separated by spaces, not commas", f"write '{spaced}'", column)


def _one_tuple(text, column, char) -> Lesson | None:
    """input_shape=(32,), Python's one-element tuple: one size is written alone."""
    opened = re.search(r"\(([^(),]+?)\s*,\s*$", text[:column - 1])
    if char != ")" or opened is None:
        return None
    fixed = re.sub(r"\(\s*([^(),]+?)\s*,\s*\)", r"\1", text.split("#")[0]).strip()
    return Lesson(f"one size is written alone: {opened.group(1).strip()}, not a one-element tuple",
                  f"write '{fixed}'", opened.start() + 1, column + 1)


def _single_quotes(text, column, char) -> Lesson | None:
    """activation='relu': symparams' strings are in double quotes, and a word needs none."""
    if char != "'":
        return None
    match = _QUOTED.match(text, column - 1)
    if match is None:
        return None
    inner = match.group(1)
    fixed = inner if re.fullmatch(_NAME, inner) else f'"{inner}"'
    return Lesson("a word is written without quotes (a name= string in double quotes)",
                  f"write {fixed} instead of '{inner}'", column, match.end() + 1)
