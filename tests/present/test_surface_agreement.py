"""Issue 20 item 2: every number every surface prints equals the engine's number for the same thing.

For every file in examples/ and examples/zoo/ and for random architectures (the kinds harness's
generators over every registered kind, with the input's first size a symbol or a number, and symbolic
ones with repeats in closed form), each format
in surfaces.SURFACES (summary text, markdown and JSON with and without cost columns, the LaTeX
table, derivation, totals and article, the summary deck and the detailed deck, the notebook's three
reprs, the playground's Python API) is rendered, its numbers are read back from what it prints
(per row: count, shape at the defaults, cost columns; the totals; a repeat's one pass and all its
passes; a block's each use and all uses), and each is compared with the engine's own number
(surfaces.Truth, worked out from the engine's rows and totals, never from another printer).

And what is printed does not depend on the spelling: a network and the same network written as one
block print the same totals on every surface.

CI draws SYMPARAMS_SURFACE_EXAMPLES (default 6) random architectures of each sort; set it higher
locally (e.g. 200) for a deeper search.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symparams
from harness import architecture, load_kind_modules
from surfaces import COVERED, SURFACES, Case, Truth, check, read_deck
from symparams.errors import SymparamsError

from conftest import EXAMPLES

load_kind_modules()

FILES = sorted(p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.glob("*.arch")) + \
    sorted(p.relative_to(EXAMPLES).as_posix() for p in (EXAMPLES / "zoo").glob("*.arch"))
RANDOM = int(os.environ.get("SYMPARAMS_SURFACE_EXAMPLES", "6"))
SETTINGS = settings(max_examples=RANDOM, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def _agree(text: str, file: str | None = None, net=None):
    net = net or symparams.parse(text, file=file)
    problems, counts = check(Case(text, file, net))
    assert not problems, f"{file or text}\n" + "\n".join(problems[:40])
    # every surface was read: a reader that finds nothing would pass vacuously
    assert all(counts.values()), {name: n for name, n in counts.items() if not n}
    return counts


@pytest.mark.parametrize("file", FILES)
def test_every_surface_prints_the_engines_numbers(file):
    path = EXAMPLES / file
    _agree(path.read_text(encoding="utf-8"), str(path), symparams.load(path))


def _symbolic_input(text: str) -> str:
    """The input's first size as a symbol s with that default: every kind's symbolic path printed."""
    first, _, rest = text.partition("\n")
    dims = first.split()[1].split("x")
    return f"let s = {dims[0]}\ninput " + " x ".join(["s"] + dims[1:]) + "\n" + rest


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.sampled_from(["pytorch", "keras"]), st.booleans())
def test_every_surface_on_random_architectures(seed, framework, symbolic):
    text = architecture(seed, framework)
    if symbolic:
        text = _symbolic_input(text)
    _agree(f"convention {framework}\n" + text)


# symbolic: sizes in n, c, f, u and repeats of d passes (in closed form 'as i' too), with defaults
from test_properties import symbolic_architecture  # noqa: E402


@SETTINGS
@given(symbolic_architecture())
def test_every_surface_on_random_symbolic_architectures(text):
    try:
        net = symparams.parse(text)
        net.at_defaults()
    except SymparamsError:
        assume(False)
    _agree(text, net=net)


# ----------------------------------------------------------------------------- spellings

def _printed_totals(text: str) -> dict:
    """{surface: {total key: printed value}} over every surface; a surface that refuses (memory with a layer whose
    saved activations are not known, nn.LSTM's) gives {("refused", error class): True}, so that both spellings
    must refuse alike."""
    net = symparams.parse(text)
    case = Case(text, None, net)
    out = {}
    for s in SURFACES:
        if s.needs_symbols:     # sweeps print points, not totals
            continue
        truth = Truth(net, s.columns)
        try:
            claims = s.read(s.render(case), truth, s.name)
        except symparams.SymparamsError as exc:
            out[s.name] = {("refused", type(exc).__name__): True}
            continue
        out[s.name] = {key: value for key, value in claims if key[0] in ("total", "cost total")}
    return out


def _as_one_block(text: str) -> str:
    """The same network with everything after its input written as one block, called once."""
    lines = text.split("\n")
    first = next(k for k, line in enumerate(lines) if line.startswith("input"))
    body = [line for line in lines[first + 1:] if line.strip()]
    return "\n".join(lines[:first] + ["block whole() {"] + ["    " + line for line in body] + ["}", lines[first],
                                                                                         "whole()"])


@SETTINGS
@given(st.integers(0, 2**32 - 1))
def test_a_block_prints_the_totals_of_its_body_inlined(seed):
    text = "convention pytorch\n" + architecture(seed, "pytorch")
    assume(len(text.split("\n")) > 2)
    inlined, blocked = _printed_totals(text), _printed_totals(_as_one_block(text))
    for surface, totals in inlined.items():
        assert totals and blocked[surface] == totals, surface


def test_a_block_prints_the_totals_of_its_body_inlined_in_the_zoo():
    text = (EXAMPLES / "zoo" / "gpt2_small.arch").read_text(encoding="utf-8")
    inlined, blocked = _printed_totals(text), _printed_totals(_as_one_block(text))
    for surface, totals in inlined.items():
        assert totals and blocked[surface] == totals, surface


# equivalent spellings: (template, one spelling, the other)
SPELLINGS = {
    "tied dense vs unembed": ("convention pytorch\nlet T = 8\ninput T\nembedding 100 32 name=wte\ndense 32 relu\n{}",
                              "unembed", "dense 100 bias=false tied=wte"),
    "repeat vs written out": ("let n = 8\ninput n x n x 3\n{}\nflatten\ndense 4",
                              "repeat 2 { conv 3 3x3 padding=same; relu }",
                              "conv 3 3x3 padding=same\nrelu\nconv 3 3x3 padding=same\nrelu"),
}


@pytest.mark.parametrize("name", SPELLINGS)
def test_equivalent_spellings_print_the_same_totals(name):
    template, one, other = SPELLINGS[name]
    first, second = _printed_totals(template.format(one)), _printed_totals(template.format(other))
    for surface, totals in first.items():
        assert totals and second[surface] == totals, surface


KV = "let T = 16\ninput T x 64\nattention heads=4{}\ndense 10"


def test_kv_heads_equal_to_heads_prints_the_parameter_totals_of_none():
    plain, spelled = _printed_totals(KV.format("")), _printed_totals(KV.format(" kv_heads=4"))
    compared = 0
    for surface in plain:
        params = {k: v for k, v in plain[surface].items() if k[0] == "total"}
        assert params == {k: v for k, v in spelled[surface].items() if k[0] == "total"}, surface
        compared += bool(params)
    # all but memory's surfaces (bytes, no parameter totals) and the sweeps (points)
    assert compared == len([s for s in SURFACES if not s.needs_symbols and not s.name.startswith("memory")])


def test_kv_heads_equal_to_heads_prints_the_cost_totals_of_none():
    plain, spelled = _printed_totals(KV.format("")), _printed_totals(KV.format(" kv_heads=4"))
    assert plain == spelled


# ----------------------------------------------------------------------------- coverage

def test_every_format_is_read():
    """Each format a command offers is in SURFACES: summary --format choices, the latex part and
    mode options, the notebook reprs (a new one fails here until a reader covers it)."""
    from symparams import cli
    from symparams.engine.network import Network
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    offered = {("summary", "--format", c) for c in next(a for a in sub["summary"]._actions
                                                        if a.dest == "format").choices}
    offered |= {("memory", "--format", c) for c in next(a for a in sub["memory"]._actions
                                                       if a.dest == "format").choices}
    offered |= {("sweep", "--format", c) for c in next(a for a in sub["sweep"]._actions
                                                      if a.dest == "format").choices}
    offered |= {("latex", o) for a in sub["latex"]._actions for o in a.option_strings
                if o.startswith("--") and o not in ("--set", "--convention", "--output", "--help")}
    offered |= {("notebook", m) for m in dir(Network) if m.startswith("_repr_") and m.endswith("_")}
    names = {s.name for s in SURFACES}
    missing = sorted(f for f in offered if COVERED.get(f) not in names)
    assert not missing, f"formats no surface reader covers (add them to tests/present/surfaces.py): {missing}"


def test_the_readers_catch_a_wrong_number():
    """The deck's repeat slide as it was (the whole repeat printed as one pass) is caught."""
    net = symparams.load(EXAMPLES / "zoo" / "gpt2_small.arch")
    from symparams.printers import latex
    deck = latex.render(net, None, "beamer")
    wrong = deck.replace(r"P_{\text{pass}} &= 7{,}087{,}872 \\",
                         r"P_{\text{pass}} &= 7{,}087{,}872 \cdot \mathrm{layers} = 85{,}054{,}464 \\")
    assert wrong != deck
    truth = Truth(net)
    from surfaces import disagreements
    assert not disagreements("deck", read_deck(deck, truth, "deck"), truth)
    assert disagreements("deck", read_deck(wrong, truth, "deck"), truth) == [
        "deck: pass repeat_1 printed 85054464, engine 7087872"]


def test_the_latex_columns_reader_catches_a_wrong_metric_total():
    """latex --columns: its metric totals (table row and align* line) are read, and one off by one is caught."""
    from surfaces import disagreements
    net = symparams.load(EXAMPLES / "seed002_mnist.arch")
    surface = next(s for s in SURFACES if s.name == "latex --columns")
    out = surface.render(Case("", None, net))
    truth = Truth(net, surface.columns)
    claims = surface.read(out, truth, surface.name)
    assert sum(1 for key, _ in claims if key == ("cost total", "macs")) == 2, claims
    assert not disagreements(surface.name, claims, truth)
    wrong = out.replace(r"\text{Total MACs} &= 1{,}589{,}760", r"\text{Total MACs} &= 1{,}589{,}761")
    assert wrong != out
    assert disagreements(surface.name, surface.read(wrong, truth, surface.name), truth) == \
        ["latex --columns: cost total macs printed 1589761, engine 1589760"]
