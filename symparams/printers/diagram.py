"""Architecture diagrams: one box per layer with its output shape, branches side by side
(residual shortcut as a bypass arrow), repeats framed with x N; as TikZ or SVG.

One layout (coordinates in centimetres, y growing downwards) feeds both writers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape as xml_escape

import sympy

from . import math as M
from .math import latex_text as tex_escape
from .view import BRANCH_KINDS, Range, Words, kind_note, pass_label, plain_label, row_label, tex_label


def _tex_shape(dims) -> str:
    """28 \\times 28 \\times 1, as the LaTeX table writes a shape."""
    return M.shape(dims, "latex") if dims else "()"


BOX_H = 1.0         # a layer box: name and output shape
GAP = 0.55          # vertical space (an arrow) between consecutive items
BRANCH_GAP = 0.5    # horizontal space between branches
PAD = 0.3           # inside a frame
LABEL_H = 0.45      # a frame's label line
MERGE_R = 0.22      # the circle where branches meet
CHAR_W = 0.19       # width of a character of the box title, for sizing boxes
SHAPE_CHAR_W = 0.13  # the same for the shape line (smaller type)


# ----------------------------------------------------------------------------- primitives

@dataclass
class Box:
    x: float            # centre
    y: float            # top
    w: float
    h: float
    title: str
    shape: tuple
    category: str       # the kind's diagram category (colours the box)


@dataclass
class Frame:
    x: float
    y: float
    w: float
    h: float
    label: str          # plain text
    label_math: str     # the same as LaTeX math (\times N)
    dashed: bool


@dataclass
class Path:
    points: list
    arrow: bool = True


@dataclass
class Merge:
    x: float
    y: float            # centre
    op: str             # '+', '×' (mul) or 'concat'
    shape: tuple


@dataclass
class Note:
    x: float
    y: float            # centre
    text: str
    text_math: str


@dataclass
class Drawing:
    items: list = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0


# ----------------------------------------------------------------------------- layout

class _Node:
    """Something with a size that can place itself: entry at (x, y), exit at (x, y + h)."""
    w: float
    h: float

    def place(self, x: float, y: float, out: list):  # pragma: no cover - interface
        raise NotImplementedError


class _Leaf(_Node):
    def __init__(self, row):
        self.row = row
        title = _title(row)
        shape_len = len(_plain_shape(row.output_shape))
        self.w = max(2.6, CHAR_W * len(title) + 0.5, SHAPE_CHAR_W * shape_len + 0.5)
        self.h = BOX_H + (0.25 if any(sympy.sympify(d).has(sympy.floor, sympy.ceiling) for d in row.output_shape)
                          else 0.0)     # room for a fraction bar

    def place(self, x, y, out):
        out.append(Box(x, y, self.w, self.h, _title(self.row), self.row.output_shape, _category(self.row)))


class _Sequence(_Node):
    def __init__(self, nodes):
        self.nodes = list(nodes)
        self.w = max((n.w for n in self.nodes), default=0.0)
        self.h = sum(n.h for n in self.nodes) + GAP * max(len(self.nodes) - 1, 0)

    def place(self, x, y, out):
        for k, node in enumerate(self.nodes):
            if k:
                out.append(Path([(x, y - GAP), (x, y)]))
            node.place(x, y, out)
            y += node.h + GAP


class _Framed(_Node):
    def __init__(self, inner: _Node, label: str, label_math: str, dashed: bool):
        self.inner, self.label, self.label_math, self.dashed = inner, label, label_math, dashed
        self.w = max(inner.w + 2 * PAD, CHAR_W * len(label) + 2 * PAD)
        self.h = inner.h + LABEL_H + 2 * PAD

    def place(self, x, y, out):
        out.append(Frame(x, y, self.w, self.h, self.label, self.label_math, self.dashed))
        top = y + LABEL_H + PAD
        out.append(Path([(x, y), (x, top)], arrow=bool(self.inner.h)))
        self.inner.place(x, top, out)
        out.append(Path([(x, top + self.inner.h), (x, y + self.h)], arrow=False))


class _Note(_Node):
    """A line of text in the flow (elided passes)."""

    def __init__(self, text: str, text_math: str):
        self.text, self.text_math = text, text_math
        self.w, self.h = max(2.6, 0.17 * len(text)), 0.7

    def place(self, x, y, out):
        out.append(Note(x, y + self.h / 2, self.text, self.text_math))


class _Branches(_Node):
    """Paths side by side from a split point to a merge circle; an empty path is an identity line."""

    def __init__(self, row):
        self.row = row
        self.paths = [_sequence(p.children) for p in row.children]
        if row.kind == "residual" and len(self.paths) == 1:
            self.paths.append(_Sequence([]))          # identity shortcut: a bypass on the right
        self.widths = [max(p.w, 0.4) for p in self.paths]
        # centres relative to the main line: side by side, and when a path is an identity line the
        # tallest path stays on the main line (a residual body, the working branch of a concat)
        offsets, left = [], -(sum(self.widths) + BRANCH_GAP * (len(self.paths) - 1)) / 2
        for w in self.widths:
            offsets.append(left + w / 2)
            left += w + BRANCH_GAP
        if any(not p.h for p in self.paths):
            main = max(range(len(self.paths)), key=lambda k: self.paths[k].h)
            offsets = [o - offsets[main] for o in offsets]
        self.offsets = offsets
        self.w = 2 * max(abs(o) + w / 2 for o, w in zip(offsets, self.widths))
        self.inner_h = max((p.h for p in self.paths), default=0.0)
        self.h = GAP + self.inner_h + GAP + 2 * MERGE_R

    def place(self, x, y, out):
        split_y = y + GAP / 2
        top = y + GAP
        merge_y = top + self.inner_h + GAP + MERGE_R
        centres = [x + o for o in self.offsets]
        out.append(Path([(x, y), (x, split_y)], arrow=False))
        for path, cx in zip(self.paths, centres):
            if path.h:
                out.append(Path([(x, split_y), (cx, split_y), (cx, top)]))
                path.place(cx, top, out)
                start = top + path.h
            else:
                start = split_y
            side = 0 if abs(cx - x) < 1e-9 else (MERGE_R if cx > x else -MERGE_R)
            end = (x + side, merge_y) if side else (x, merge_y - MERGE_R)
            points = [(cx, start), (cx, merge_y), end] if side else [(cx, start), end]
            if not path.h and side:
                points = [(x, split_y), (cx, split_y)] + points[1:]
            out.append(Path(points))
        op = {"concat": "concat", "mul": "×"}.get(self.row.kind, "+")
        out.append(Merge(x, merge_y, op, self.row.output_shape))


def _sequence(rows, summary: bool = False) -> _Node:
    return _Sequence([_node(r, summary) for r in rows])


def _node(row, summary: bool = False) -> _Node:
    """row's drawing; summary: a block is one box, a repeat one framed pass of such boxes (the
    summary deck's architecture slide: few boxes, so the text stays readable at slide size)."""
    if summary and row.kind == "block":
        return _Leaf(row)
    if summary and row.kind == "repeat":
        first = list(row.children)[0]
        return _Framed(_sequence(first.children, True), plain_label(row_label(row)),
                       tex_label(row_label(row), tex_escape), dashed=True)
    if row.kind in BRANCH_KINDS and summary:
        return _Leaf(row)
    if row.kind in BRANCH_KINDS:
        return _Branches(row)
    if row.kind == "repeat":
        segments = list(row.children)
        if len(segments) == 1:
            inner = _sequence(segments[0].children)
        else:
            framed = [_Framed(_sequence(s.children), _segment_label(s), _segment_math(s), dashed=True)
                      for s in (segments if len(segments) <= 3 else (segments[0], segments[-1]))]
            if len(segments) > 3:     # the first and the last pass, the ones between elided
                first, last = segments[1].start + 1, segments[-2].start + segments[-2].count
                elided = (Words("passes"), Range(first, last))
                framed.insert(1, _Note("⋮ " + plain_label(elided), r"$\vdots$ " + tex_label(elided, tex_escape)))
            inner = _Sequence(framed)
        count = row.config["count"]
        return _Framed(inner, plain_label(row_label(row)), tex_label(row_label(row), tex_escape), dashed=True)
    if row.kind == "block":
        return _Framed(_sequence(row.children), row.name, tex_escape(row.name), dashed=False)
    if row.children:
        return _sequence(row.children, summary)
    return _Leaf(row)


def _segment_label(seg) -> str:
    return plain_label(pass_label(seg))


def _segment_math(seg) -> str:
    return tex_label(pass_label(seg), tex_escape)


def _title(row) -> str:
    note = kind_note(row)
    return f"{row.name} ({note})" if note else row.name


def _plain_shape(dims) -> str:
    return M.shape(dims, "text") if dims else "()"


COLUMN_H = 40.0     # a taller network continues in another column to the right
LABEL_ROOM = 3.0    # right of a column, for the shapes written beside the merge circles


SUMMARY_COLUMN_H = 9.0     # the summary drawing continues in columns about a slide's height (16:9)


def layout(net, summary: bool = False) -> Drawing:
    nodes = [_node(r, summary) for r in net.layers]
    limit = max([SUMMARY_COLUMN_H if summary else COLUMN_H] + [n.h for n in nodes])
    columns: list[list] = [[]]
    height = 0.0
    for node in nodes:
        if columns[-1] and height + GAP + node.h > limit:
            columns.append([])
            height = 0.0
        height += (GAP if columns[-1] else 0.0) + node.h
        columns[-1].append(node)
    items: list = []
    top, left, previous = 0.6, 0.3, None
    bottom = top
    for column in columns:
        seq = _Sequence(column)
        x = left + seq.w / 2
        seq.place(x, top, items)
        if previous is not None:
            px, pb, right = previous
            route = top - 0.35
            mid = (right + left) / 2
            items.append(Path([(px, pb), (px, pb + 0.3), (mid, pb + 0.3), (mid, route), (x, route), (x, top)]))
        previous = (x, top + seq.h, left + seq.w + LABEL_ROOM / 2)
        left += seq.w + LABEL_ROOM
        bottom = max(bottom, top + seq.h + 0.3)
    return Drawing(items, left, bottom + 0.3)


# ----------------------------------------------------------------------------- TikZ

# colour of each diagram category (LayerSpec.diagram); 'plain' and anything else: white
_FILL = {"conv": "blue!12", "dense": "orange!20", "pool": "green!12", "norm": "gray!15", "input": "black!6",
         "recurrent": "violet!12", "embedding": "yellow!20", "attention": "red!12"}
_SVG_FILL = {"blue!12": "#e0e6f8", "blue!8": "#ebeffa", "orange!20": "#ffe6cc", "green!12": "#e0f5e0",
             "gray!15": "#ececec", "black!6": "#f0f0f0", "violet!12": "#f0e0f0", "yellow!20": "#ffffcc",
             "red!12": "#ffe0e0", "white": "#ffffff"}


def _category(row) -> str:
    """The kind's diagram category (a block or other composite: none)."""
    from ..layers import REGISTRY
    spec = REGISTRY.get((row.config or {}).get("keyword")) if row.is_leaf else None
    return spec.diagram if spec is not None else ""


def _fill(category: str) -> str:
    return _FILL.get(category, "white")


def _pt(p) -> str:
    return f"({p[0]:.3f},{p[1]:.3f})"


def tikz(net, summary: bool = False) -> str:
    """A tikzpicture (needs \\usepackage{tikz}); y is flipped so the network flows downwards;
    summary: blocks, branches and repeats collapsed (see _node)."""
    d = layout(net, summary)
    out = [r"\begin{tikzpicture}[x=1cm, y=-1cm, font=\small, >=stealth,",
           r"  layer/.style={draw, rounded corners=2pt, align=center, inner sep=0pt},",
           r"  flow/.style={->, thick, black!70}]"]
    for it in d.items:
        if isinstance(it, Frame):
            style = "dashed, black!60" if it.dashed else "black!40"
            out.append(r"\draw[%s, rounded corners=4pt] %s rectangle %s;" % (
                style, _pt((it.x - it.w / 2, it.y)), _pt((it.x + it.w / 2, it.y + it.h))))
            out.append(r"\node[anchor=north east, font=\footnotesize\itshape] at %s {%s};" % (
                _pt((it.x + it.w / 2 - 0.08, it.y + 0.05)), it.label_math))
    for it in d.items:
        if isinstance(it, Box):
            out.append(r"\node[layer, fill=%s, minimum width=%.3fcm, minimum height=%.3fcm] at %s "
                       r"{\textbf{%s}\\[1pt] {\footnotesize $%s$}};" % (
                           _fill(it.category), it.w, it.h, _pt((it.x, it.y + it.h / 2)), tex_escape(it.title),
                           _tex_shape(it.shape)))
        elif isinstance(it, Path):
            out.append(r"\draw[%s] %s;" % ("flow" if it.arrow else "thick, black!70",
                                           " -- ".join(_pt(p) for p in it.points)))
        elif isinstance(it, Note):
            out.append(r"\node[font=\footnotesize\itshape] at %s {%s};" % (_pt((it.x, it.y)), it.text_math))
        elif isinstance(it, Merge):
            symbol = {"+": r"\textbf{+}", "×": r"$\times$"}.get(it.op, r"\textsf{C}")
            out.append(r"\node[draw, circle, thick, fill=white, inner sep=0pt, minimum size=%.3fcm] at %s {%s};" % (
                2 * MERGE_R, _pt((it.x, it.y)), symbol))
            out.append(r"\node[anchor=north west, font=\footnotesize, inner sep=1pt] at %s {$%s$};" % (
                _pt((it.x + 0.12, it.y + MERGE_R)), _tex_shape(it.shape)))
    out.append(r"\end{tikzpicture}")
    return "\n".join(out) + "\n"


def tikz_document(net) -> str:
    return "\n".join([r"\documentclass[tikz, border=6pt]{standalone}", r"\usepackage{amsmath}",
                      r"\begin{document}", tikz(net).rstrip(), r"\end{document}", ""])


# ----------------------------------------------------------------------------- SVG

SCALE = 40.0        # pixels per centimetre


def svg(net) -> str:
    """A standalone SVG document."""
    d = layout(net)

    def px(v):
        return f"{v * SCALE:.1f}"

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{px(d.width)}" height="{px(d.height)}" '
           f'viewBox="0 0 {px(d.width)} {px(d.height)}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
           "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
           "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/>"
           "</marker></defs>",
           f'<title>{xml_escape(_svg_text(net.program.file or "network"))}</title>']
    for it in d.items:
        if isinstance(it, Frame):
            dash = ' stroke-dasharray="5,3"' if it.dashed else ""
            out.append(f'<rect x="{px(it.x - it.w / 2)}" y="{px(it.y)}" width="{px(it.w)}" height="{px(it.h)}" '
                       f'rx="6" fill="none" stroke="#888"{dash}/>')
            out.append(f'<text x="{px(it.x + it.w / 2 - 0.1)}" y="{px(it.y + 0.35)}" text-anchor="end" '
                       f'font-style="italic" font-size="11">{xml_escape(_svg_text(it.label))}</text>')
    for it in d.items:
        if isinstance(it, Box):
            fill = _SVG_FILL.get(_fill(it.category), "#ffffff")
            out.append(f'<rect x="{px(it.x - it.w / 2)}" y="{px(it.y)}" width="{px(it.w)}" height="{px(it.h)}" '
                       f'rx="3" fill="{fill}" stroke="#333"/>')
            out.append(f'<text x="{px(it.x)}" y="{px(it.y + 0.42)}" text-anchor="middle" font-weight="bold">'
                       f'{xml_escape(_svg_text(it.title))}</text>')
            out.append(f'<text x="{px(it.x)}" y="{px(it.y + it.h - 0.2)}" text-anchor="middle" font-size="11">'
                       f'{xml_escape(_plain_shape(it.shape))}</text>')
        elif isinstance(it, Path):
            points = " ".join(f"{px(x)},{px(y)}" for x, y in it.points)
            marker = ' marker-end="url(#arrow)"' if it.arrow else ""
            out.append(f'<polyline points="{points}" fill="none" stroke="#555" stroke-width="1.5"{marker}/>')
        elif isinstance(it, Note):
            out.append(f'<text x="{px(it.x)}" y="{px(it.y + 0.12)}" text-anchor="middle" font-style="italic" '
                       f'font-size="11">{xml_escape(it.text)}</text>')
        elif isinstance(it, Merge):
            out.append(f'<circle cx="{px(it.x)}" cy="{px(it.y)}" r="{px(MERGE_R)}" fill="#fff" stroke="#333" '
                       f'stroke-width="1.5"/>')
            out.append(f'<text x="{px(it.x)}" y="{px(it.y + 0.14)}" text-anchor="middle" font-weight="bold">'
                       f'{it.op if it.op in ("+", "×") else "C"}</text>')
            out.append(f'<text x="{px(it.x + 0.15)}" y="{px(it.y + MERGE_R + 0.35)}" font-size="11">'
                       f'{xml_escape(_plain_shape(it.shape))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _svg_text(text: str) -> str:
    """Characters XML 1.0 cannot hold (controls) and those that would act on a terminal the SVG is
    printed to (C1 controls such as U+0085, bidi overrides) become spaces."""
    import unicodedata
    return "".join(" " if (ch < " " and ch not in "\t\n") or ch in "\ufffe\uffff"
                   or unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\t\n" else ch for ch in str(text))


def tikz_output(net, *, fragment: bool = False, **_) -> str:
    """`symparams diagram` as TikZ: a standalone document, or the tikzpicture alone (fragment)."""
    return tikz(net) if fragment else tikz_document(net)


def svg_output(net, **_) -> str:
    """`symparams diagram --format svg`."""
    return svg(net)
