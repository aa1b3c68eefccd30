"""Did-you-mean by meaning: what a Keras or PyTorch user wrote, and the symparams word for it.

A spelling match alone proposes a layer that merely looks alike ('BatchNormalization' is close to
'normalization', a different layer with other weights; 'Linear' is the 'linear' activation, not a
dense layer). So a word is first looked up in the framework class names each kind declares
(LayerSpec.pytorch_classes, keras_classes), exactly and then ignoring case, and only then matched
by spelling, against the keywords and the class names together.
"""

from __future__ import annotations

import difflib
import functools
import re
from keyword import kwlist

from .layers import REGISTRY
from .layers.base import ACTIVATIONS, kinds

FRAMEWORKS = (("pytorch_classes", "PyTorch"), ("keras_classes", "Keras"))

# A framework's option names that symparams spells otherwise (Keras first, then PyTorch).
OPTION_NAMES = {
    "strides": "stride", "use_bias": "bias", "dilation_rate": "dilation", "num_heads": "heads",
    "depth_multiplier": "multiplier", "num_kv_heads": "kv_heads", "num_key_value_heads": "kv_heads",
}
# A framework's keyword argument -> the argument of a kind it is (written without a name, in its place);
# one spelt as the argument (units=, filters=, rate=, shape=) is that argument too
ARGUMENT_OPTIONS = {
    "kernel_size": "kernel", "pool_size": "pool", "out_features": "units", "out_channels": "filters", "p": "rate",
    "num_groups": "groups", "input_dim": "vocabulary", "output_dim": "dim", "num_embeddings": "vocabulary",
    "embedding_dim": "dim", "hidden_size": "units", "target_shape": "shape",
}


@functools.lru_cache(maxsize=1)
def framework_classes() -> dict[str, tuple[str, str]]:
    """{class name: (the frameworks that have it, e.g. 'PyTorch' or 'PyTorch and Keras', keyword)}."""
    found: dict[str, list] = {}
    for spec in kinds():
        for attribute, framework in FRAMEWORKS:
            for name, keyword in (getattr(spec, attribute, None) or {}).items():
                entry = found.setdefault(name, [[], keyword])
                entry[0].append(framework)
    return {name: (" and ".join(dict.fromkeys(frameworks)), keyword)
            for name, (frameworks, keyword) in found.items()}


def framework_class(word: str) -> tuple[str, str, str] | None:
    """(class name, frameworks, keyword) when word is a Keras or PyTorch class name, exactly or
    in another case ('batchnormalization', 'CONV2D')."""
    table = framework_classes()
    if word in table:
        return (word, *table[word])
    folded = {name.lower(): name for name in table}
    name = folded.get(word.lower())
    return (name, *table[name]) if name else None


# Python a model's source has around its layers: never a layer, never a block
CONTAINERS = ("Sequential", "Model", "Module", "ModuleList", "ModuleDict", "Functional")
PYTHON_WORDS = frozenset(kwlist) | {"print", "self", "super", "torch", "keras", "tf", "nn", "layers",
                                            "model", "forward", "__init__", *CONTAINERS}


def python_hint(word: str) -> str | None:
    """The hint for a word that is Python around a model ('import', 'return', 'Sequential'), or None."""
    if word in CONTAINERS:
        return (f"the file is the model, so there is no {word}: write 'input SHAPE', then one layer per line "
                "(docs/language.md, 'Coming from Keras or PyTorch')")
    if word in PYTHON_WORDS:
        return (f"'{word}' is Python; an architecture file is not: it holds 'input SHAPE', then one layer per "
                "line, so delete this line (docs/language.md, 'Coming from Keras or PyTorch')")
    return None


def layer_hint(word: str, blocks=(), rest: str = "") -> str:
    """The hint for an unknown layer word: the kind a framework class name means, the keyword in
    another case, else the closest spellings (keywords and class names, each class read as the
    keyword it stands for), else where to look. rest: the line after the word, for the rewrite."""
    rest = f" {rest.strip()}" if rest.strip() and len(rest) <= 200 and rest.isprintable() else ""
    if python_hint(word) and word not in blocks:
        return python_hint(word)
    known = framework_class(word)
    if known is not None:
        name, frameworks, keyword = known
        return f"'{name}' is the {frameworks} class name; symparams writes it '{keyword}': write '{keyword}{rest}'"
    for spec in kinds():
        if word in spec.unlike:
            return spec.unlike[word]
    if word.lower() in REGISTRY:
        return f"layer words are lower case: write '{word.lower()}{rest}'"
    candidates = {keyword: keyword for keyword in REGISTRY if " " not in keyword}
    for name, (_, keyword) in framework_classes().items():
        candidates.setdefault(name.lower(), keyword)
    blocks = list(blocks)
    candidates.update({block: block for block in blocks})
    wanted = word if word in blocks else word.lower()
    close = difflib.get_close_matches(wanted, list(candidates), n=6, cutoff=0.6)
    if close and difflib.SequenceMatcher(None, wanted, close[0]).ratio() >= 0.85:
        close = close[:1]       # one obvious meaning ('batchnormalisation'): no look-alikes beside it
    words = list(dict.fromkeys(candidates[c] for c in close))[:3]
    if words:
        return "did you mean " + " or ".join(f"'{w}'" for w in words) + "?"
    return "see 'symparams layers' for every layer kind"


def activation_word(word: str) -> str | None:
    """The activation a word means in another case or as a framework class ('ReLU', 'GELU',
    'LeakyReLU', 'SiLU'), or None."""
    if word.lower() in ACTIVATIONS:
        return word.lower()
    known = framework_class(word)
    if known is not None and known[2] in ACTIVATIONS:
        return known[2]
    return None


def activation_hint(word: str) -> str | None:
    meant = activation_word(word)
    if meant is not None:
        return f"did you mean '{meant}'? activations are written in lower case"
    close = difflib.get_close_matches(word.lower(), ACTIVATIONS, n=3, cutoff=0.6)
    return ("did you mean " + " or ".join(f"'{w}'" for w in close) + "?") if close else None


def _split_arguments(text: str) -> list[str]:
    """'32, (3, 3), padding="same"' -> ['32', '(3, 3)', 'padding="same"'] (commas inside brackets kept)."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def _value_text(text: str) -> str:
    """A framework argument's value as symparams writes it: a quoted word unquoted ("same" -> same),
    a tuple (3, 3) -> 3x3, True/False as they are, anything with a space in parentheses."""
    text = text.strip()
    if re.fullmatch(r"""(["'])[A-Za-z_][A-Za-z_0-9]*\1""", text):
        return text[1:-1].lower() if text[1:-1].lower() in ("same", "valid") else text[1:-1]
    tuple_match = re.fullmatch(r"[(\[]\s*([^()\[\]]*?)\s*,?\s*[)\]]", text)
    if tuple_match and "," in tuple_match.group(1):
        items = [i.strip() for i in tuple_match.group(1).split(",") if i.strip()]
        if all(re.fullmatch(r"[0-9]+", i) for i in items):
            return "x".join(items)
    return f"({text})" if " " in text else text


def layer_without_parentheses(keyword: str, arguments: str) -> str:
    """'dense(10, activation="relu")' -> 'dense 10 activation=relu': a layer written as a call,
    rewritten as a layer line (keyword args that are arguments here go in their place)."""
    spec = REGISTRY.get(keyword)
    positional, options, by_argument = [], [], {}
    for part in _split_arguments(arguments):
        named = re.fullmatch(r"([A-Za-z_][A-Za-z_0-9]*)\s*=\s*(.+)", part, re.S)
        if not named:
            positional.append(_value_text(part))
            continue
        name, value = named.group(1), _value_text(named.group(2))
        argument = ARGUMENT_OPTIONS.get(name, name)
        if spec is not None and argument in {a.name for a in spec.arguments}:
            by_argument[argument] = value
            continue
        options.append(f"{OPTION_NAMES.get(name, name)}={value}")
    if spec is not None and by_argument:
        for argument in spec.arguments:
            if argument.name in by_argument:
                positional.append(by_argument[argument.name])
    return " ".join([keyword, *positional, *options])


def usage(spec, keyword: str) -> str:
    """'conv2d filters kernel' as the error messages show it."""
    if not spec.arguments:
        return "no arguments"
    parts = [a.name if a.required else f"[{a.name}]" for a in spec.arguments]
    return f"'{keyword} {' '.join(parts)}'"


def call_arguments(source: str, pos, name: str) -> str | None:
    """The text between the parentheses of the call written at pos ('10, activation=relu'), or None."""
    lines = source.split("\n")
    if not 0 < pos.line <= len(lines):
        return None
    text = "\n".join(lines[pos.line - 1:])[pos.column - 1 + len(name) + 1:]
    depth = 1
    for index, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0:
            return text[:index]
    return None


def layer_called(name: str, arguments: str | None) -> tuple[str, str]:
    """(message, hint) for a layer written as a call: 'flatten()', 'dense(10)', 'Dense(10)',
    'Linear(64, 10)'. A layer takes no parentheses; the hint gives the line as symparams writes it."""
    keyword, origin, frameworks = name, None, ""
    if keyword not in REGISTRY:
        cls, frameworks, keyword = framework_class(name)
        origin = f"'{cls}' is the {frameworks} class name; symparams writes it '{keyword}', without parentheses"
    spec = REGISTRY[keyword]
    if arguments is not None and (len(arguments) > 200 or not arguments.isprintable()):
        arguments = None        # not a line a person typed: the usage instead of a rewrite
    if frameworks == "PyTorch" and spec.arguments:
        # PyTorch's first arguments are the input's size (in_features, in_channels): symparams takes it
        # from the layer before, so the arguments do not carry over one to one
        hint = (f"write {usage(spec, keyword)}; the input's size (PyTorch's in_features, in_channels, "
                "num_features) comes from the layer before and is not written")
    elif arguments is None:
        hint = f"write {usage(spec, keyword) if spec.arguments else repr(keyword)}"
    else:
        hint = f"write '{layer_without_parentheses(keyword, arguments)}'"
    return origin or f"'{keyword}' is a layer, not a block: a layer takes no parentheses", hint
