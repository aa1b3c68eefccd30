"""Issue 26's round trip, kind by kind and option by option, from the layer registry: for every
registered kind, its default line and every value of each option that changes the framework layer
(each boolean flipped, each word choice; `frozen=` on one weight), a small network holding it is
exported to PyTorch and to Keras (KERAS_BACKEND=torch), the framework counts the same total and
trainable parameters as symparams, the model is imported back through `symparams import` as
docs/frameworks.md describes (the exported module as package.module:factory with --input-shape; the
Keras model saved as .keras), and the imported file reads back with the same total and trainable
counts.

Where a framework has no such layer, the export or import refuses by name: REFUSED below is that
table, data the test checks both ways (a refusal not listed fails, and so does a listed one that now
exports). A kind or option added later is enumerated here without a line changed: it either round
trips or fails naming what is missing. The zoo goes through the same path in test_roundtrip_zoo.py.

Each (kind, variant) draws one small network (seed 0); SYMPARAMS_ROUNDTRIP_KIND_DRAWS=N draws N.
"""

from __future__ import annotations

import os
import re
import sys
import warnings

import pytest

import symparams
from conftest import need_module
from symparams.errors import SymparamsError
from symparams.layers.base import BOOL, WORD

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "kinds"))
from harness import Builder, generators_of, load_kind_modules, registered  # noqa: E402

load_kind_modules()
DRAWS = int(os.environ.get("SYMPARAMS_ROUNDTRIP_KIND_DRAWS", "1"))
FRAMEWORKS = ("pytorch", "keras")

# (keyword, variant, framework) -> words of the refusal; variant "*" for every variant of the kind.
# "export": the exporter refuses; "import": exported and built, the importer refuses.
_NO_KERAS = "cannot be written as Keras"
REFUSED: dict[tuple[str, str, str], tuple[str, str]] = {
    ("windowattention", "*", "keras"): ("export", "Keras has no windowed attention"),
    ("mla", "*", "keras"): ("export", "Keras has no multi-head latent attention"),
    ("mamba", "*", "keras"): ("export", "Keras has no selective state-space layer"),
    ("attentionpool", "*", "keras"): ("export", "Keras has no attention pooling layer"),
    ("srattention", "*", "keras"): ("export", "spatial-reduction attention"),
    ("bottleneckattn", "*", "keras"): ("export", "BoTNet"),
    ("haloattn", "*", "keras"): ("export", "HaloNet"),
    ("lambdalayer", "*", "keras"): ("export", "lambda layer"),
    ("talkingheads", "*", "keras"): ("export", "talking-heads attention"),
    ("classattention", "*", "keras"): ("export", "class-attention block"),
    ("reflectpad", "*", "keras"): ("export", "Keras has no reflection or replication padding"),
    ("replicatepad", "*", "keras"): ("export", "Keras has no reflection or replication padding"),
    ("pixelunshuffle", "*", "keras"): ("export", "Keras has no space-to-depth layer"),
    ("maxunpool", "*", "keras"): ("export", "Keras has no max unpooling layer"),
    ("blurpool", "*", "keras"): ("export", "Keras has no anti-aliased (blur) pooling layer"),
    ("condconv", "*", "keras"): ("export", "Keras has no conditionally parameterised convolution"),
    ("attention", "bias=qkv", "keras"): ("export", "Keras attention biases all four projections or none"),
    ("attention", "bias=qvo", "keras"): ("export", "Keras attention biases all four projections or none"),
    ("attention", "bias=o", "keras"): ("export", "Keras attention biases all four projections or none"),
    ("attention", "qk_norm=rmsnorm", "keras"): ("export", "no norm of the queries and keys"),
    ("attention", "qk_norm=rmsnorm_full", "keras"): ("export", "no norm of the queries and keys"),
    ("attention", "qk_norm=layernorm", "keras"): ("export", "no norm of the queries and keys"),
    ("attention", "scale_norm=layernorm", "keras"): ("export", "no norm before the output projection"),
    ("attention", "scale_norm=rmsnorm", "keras"): ("export", "no norm before the output projection"),
    **{(cell, f"state_activation={a}", "keras"): ("export", "Keras' recurrent layers have none")
       for cell in ("rnn", "lstm", "gru") for a in ("tanh", "relu", "sigmoid")},
}
# refusals that depend on the draw (accepted with these words where they happen, required nowhere): Keras'
# Bidirectional holds two cells, and a frozen weight of one direction has no one variable to freeze
MAY_REFUSE = {(cell, "frozen", "keras"): ("export", "frozen= on a bidirectional") for cell in ("rnn", "lstm", "gru")}
# an average of the real cells only has a Keras counterpart without an explicit padding (where it changes nothing)
MAY_REFUSE[("avgpool", "count_include_pad=false", "keras")] = ("export", "count_include_pad=false")
# found by this test and not fixed yet (strict xfail: a fix makes them fail until removed here)
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}
# options the Keras convention has no such layer for: the file itself is refused under it (the words)
NOT_UNDER = {("conv", "weight_norm=true", "keras"), ("dense", "weight_norm=true", "keras"),
             ("conv", "weight_std=true", "keras"), ("conv", "weight_std=scaled", "keras"),
             ("maxpool", "ceil_mode=true", "keras"), ("avgpool", "ceil_mode=true", "keras")}
# kinds whose exported Keras model cannot be saved at all: Unembed holds the embedding layer it reads (a tied
# table), which no get_config can say; model.save raises, and the model is imported in memory
KERAS_UNSAVABLE = {"unembed"}
# Keras saves no variable.trainable: frozen= on some weights (and on the only one) comes back from the file
# trained; the in-memory import keeps it (checked), the file's import is compared on the total only
KERAS_FILE_DROPS = "frozen"


def variants(spec) -> list[str]:
    """The default line ('') and each option value that changes the framework layer."""
    out = [""]
    for name, opt in spec.options.items():
        if opt.kind == BOOL:
            out.append(f"{name}={'false' if opt.default else 'true'}")
        elif opt.kind == WORD and opt.choices:
            out += [f"{name}={c}" for c in opt.choices if c != opt.default]
    out.append("frozen")           # its last weight frozen (a kind without weights: no frozen variant)
    return out


CASES = [pytest.param(spec, variant, fw, id=f"{spec.keywords[0]}-{variant or 'default'}-{fw}",
                      marks=[pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[spec.keywords[0], variant, fw])]
                      if (spec.keywords[0], variant, fw) in KNOWN_BUGS else [])
         for spec in registered() for variant in variants(spec) for fw in FRAMEWORKS]


def _with_option(line: str, variant: str) -> str:
    name, _, value = variant.partition("=")
    line = re.sub(rf"(?<![\w.]){re.escape(name)}=\S+", "", line)
    return f"{line.rstrip()} {name}={value}"


def _place(spec, variant: str, framework: str, seed: int) -> str | None:
    """A small network (valid under `framework`'s convention) whose last line is `spec`'s, with the
    variant's option; None when no draw takes it."""
    import random
    gens = generators_of(spec)
    ranks = {r for g in gens for r in g.ranks}
    for attempt in range(200):
        b = Builder(random.Random(seed * 7919 + attempt), framework)
        b.start(ranks)
        for _ in range(b.integer(0, 1) if attempt % 2 else 0):
            if b.rank not in ranks or b.coin():
                b.layer(depth=1)
        for g in gens:
            if b.rank not in g.ranks:
                continue
            made = g.make(b)
            if isinstance(made, list):          # lines in order: the kind's is the last
                before, made = made[:-1], made[-1]
                if not b.write(before):
                    continue
            candidates = made if isinstance(made, tuple) else (made,)
            for line in candidates:
                if not isinstance(line, str):
                    continue
                text = _variant_text(b.lines, line, variant, framework)
                if text is not None:
                    return text
    return None


def _variant_text(lines, line, variant, framework) -> str | None:
    if not variant:
        new = line
    elif variant == "frozen":
        try:
            net = symparams.parse("\n".join(lines + [line]), convention=framework)
        except SymparamsError:
            return None
        weights = [w for w in net.layers[-1].weights if w.trainable and not w.buffer]
        if not weights:
            return None
        new = f"{line} frozen=\"{weights[-1].name}\"" if "." in weights[-1].name else f"{line} frozen={weights[-1].name}"
    else:
        new = _with_option(line, variant)
    try:
        net = symparams.parse("\n".join(lines + [new]), convention=framework)
    except SymparamsError:
        return None
    if not all(int(d) >= 1 for d in net.output_shape):
        return None
    return "\n".join(lines + [new])


def _framework_counts(model, framework) -> tuple[int, int]:
    if framework == "pytorch":
        params = list(model.parameters())
        return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)
    import math
    return (int(model.count_params()),
            sum(math.prod(int(d) for d in w.shape) for w in model.trainable_weights))


def _refusal(key, error=None):
    """The table's refusal for `key`; with the error met, also a refusal the draw may meet (MAY_REFUSE)."""
    spec_key = (key[0], "*", key[2])
    found = REFUSED.get(key) or REFUSED.get(spec_key)
    if found is None and error is not None and key in MAY_REFUSE and MAY_REFUSE[key][1] in str(error):
        return MAY_REFUSE[key]
    return found


def _import_cli(source, framework, net, tmp_path, tag, capsys) -> str:
    """`symparams import` of the exported module (PyTorch, package.module:factory) or saved model (Keras)."""
    from symparams import cli
    from symparams.frameworks.check import run_source
    out = tmp_path / "back.arch"
    if framework == "pytorch":
        module = f"rt_{tag}"
        (tmp_path / f"{module}.py").write_text(source, encoding="utf-8")
        sys.path.insert(0, str(tmp_path))
        try:
            # channels last, one per input line in the file's order (the file's INPUTS are channels first)
            shapes = ",".join("x".join(str(int(d)) for d in row.output_shape)
                              for row in net.evaluate().unrolled().leaves() if row.kind == "input")
            code = cli.main(["import", f"{module}:build", "--input-shape", shapes, "-o", str(out)])
        finally:
            sys.path.remove(str(tmp_path))
            sys.modules.pop(module, None)
    else:
        model = run_source(source)["build"]()
        path = tmp_path / "model.keras"
        try:
            model.save(path)
        except NotImplementedError as exc:
            raise SymparamsError(f"Keras cannot save it: {exc}") from None
        code = cli.main(["import", str(path), "-o", str(out)])
    if code != 0:
        raise SymparamsError(capsys.readouterr().err)
    return out.read_text(encoding="utf-8")


def _keras_in_memory(source) -> str:
    from symparams.frameworks.check import run_source
    return symparams.from_keras(run_source(source)["build"]())


@pytest.mark.parametrize("spec, variant, framework", CASES)
def test_kind_round_trip(spec, variant, framework, tmp_path, capsys):
    need_module("torch" if framework == "pytorch" else "keras")
    from symparams.frameworks import keras_export, torch_export
    from symparams.frameworks.check import run_source
    keyword = spec.keywords[0]
    key = (keyword, variant, framework)
    refused = _refusal(key)
    for seed in range(DRAWS):
        text = _place(spec, variant, framework, seed)
        if text is None:
            assert variant == "frozen" or key in NOT_UNDER, (
                f"no small network takes '{keyword} {variant}' under {framework}'s convention")
            return                  # a kind without trainable weights has nothing to freeze
        assert key not in NOT_UNDER, f"{key} is now valid under {framework}'s convention: drop it from NOT_UNDER"
        net = symparams.parse(text, convention=framework)
        exporter = torch_export if framework == "pytorch" else keras_export
        try:
            source = exporter.export(net)
        except SymparamsError as exc:
            refused = _refusal(key, exc)
            assert refused is not None and refused[0] == "export", (
                f"{framework} export of '{keyword} {variant}' refused, not in REFUSED:\n{text}\n-> {exc}")
            assert refused[1] in str(exc), f"{key}: refusal words changed: {exc}"
            return
        assert refused is None or refused[0] != "export", f"{key} now exports: drop it from REFUSED\n{text}"
        values = net.evaluate()
        want = (int(values.params), int(values.trainable_params))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = run_source(source)["build"]()
            assert _framework_counts(model, framework) == want, f"{framework} counts differ on\n{text}"
            error = None
            try:
                back = _import_cli(source, framework, net, tmp_path, re.sub(r"\W", "_", f"{keyword}_{seed}"), capsys)
                assert not (framework == "keras" and keyword in KERAS_UNSAVABLE), (
                    f"{keyword}: the exported Keras model now saves: drop it from KERAS_UNSAVABLE")
            except SymparamsError as exc:
                error, back = exc, None
                if framework == "keras" and keyword in KERAS_UNSAVABLE and "Keras cannot save it" in str(exc):
                    error, back = None, _keras_in_memory(source)
        capsys.readouterr()
        if error is not None:
            assert refused is not None and refused[0] == "import", (
                f"{framework} import of '{keyword} {variant}' refused, not in REFUSED:\n{text}\n-> {error}")
            assert refused[1] in str(error), f"{key}: refusal words changed: {error}"
            return
        assert refused is None, f"{key} now round trips: drop it from REFUSED\n{text}"
        again = symparams.parse(back, convention=framework).evaluate()
        got = (int(again.params), int(again.trainable_params))
        if framework == "keras" and variant == KERAS_FILE_DROPS:
            assert got[0] == want[0], f"keras round trip changed the total {want} -> {got}:\n{text}\n--- back ---\n{back}"
            back = _keras_in_memory(source)
            again = symparams.parse(back, convention=framework).evaluate()
            got = (int(again.params), int(again.trainable_params))
        assert got == want, f"{framework} round trip changed the counts {want} -> {got}:\n{text}\n--- back ---\n{back}"
