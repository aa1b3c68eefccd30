"""Named tensors, element-wise products and mixtures of experts: their folds, and the `active` metric.

Saved tensors live in the derive's Context (ctx.tensors): a plain name maps to its shape, and
NAME[i] to one shape per index value. A plain name saved inside a repeat body is that pass's
tensor: using it in the body before the pass saves it is an error (checked before the passes run).
A second `input S as NAME` starts a new path and names it (name_input, called by fold_layer).

`moe experts=E top_k=K [shared=S] [router_bias] { expert }` folds the expert body once: a router
(a dense D -> E), a path of E experts (MACs count top_k of them, see cost.py), and S shared
experts that every token uses.
"""

from __future__ import annotations

from ..numeric import integer, sympy
from .. import ir
from ..algebra import as_int, equal
from ..errors import DefinitionError, ShapeError, SymparamsError, did_you_mean
from ..layers import REGISTRY
from ..layers.base import BOOL, COUNT, INTEGER, Config, Deferred
from ..wording import named
from ..layers.tensors import broadcast, shape_text
from .binding import located
from .rows import MOE, MUL, PATH, Layer, total


def _tensors(ctx) -> dict:
    tensors = getattr(ctx, "tensors", None)
    if tensors is None:
        tensors = ctx.tensors = {}
    return tensors


def _key(folder, ref: ir.Ref, scope):
    if ref.index is None:
        return ref.name
    index = folder.names.expr(ref.index, scope)
    value = as_int(index)
    if value is None:
        if index.is_integer is False:
            raise DefinitionError(f"the index of {ref.name}[...] must be a whole number, got {index}",
                                  line=ref.pos.line, column=ref.pos.column)
        return (ref.name, index)
    return (ref.name, integer(value))


def _key_text(key) -> str:
    return key if isinstance(key, str) else f"{key[0]}[{key[1]}]"


def lookup(folder, ref: ir.Ref, scope) -> tuple[str, tuple]:
    """(the name as written, the shape) of a saved tensor, or a located error."""
    tensors = _tensors(folder.ctx)
    key = _key(folder, ref, scope)
    if key in tensors:
        return _key_text(key), tensors[key]
    if not isinstance(key, str):
        for other, shape in tensors.items():       # a symbolic index equal to a saved one
            if not isinstance(other, str) and other[0] == key[0] and equal(other[1], key[1]) is True:
                return _key_text(key), shape
    known = sorted({k if isinstance(k, str) else k[0] for k in tensors})
    if not isinstance(key, str) and key[0] in known:
        saved = ", ".join(_key_text(k) for k in tensors if not isinstance(k, str) and k[0] == key[0])
        message = f"no tensor {_key_text(key)} was saved (saved so far: {saved})"
    else:
        message = f"'{ref.name}' is used before it is saved"
    hint = did_you_mean(ref.name, known) or (f"write 'save {ref.name}' where the tensor is made" if not known
                                             else f"saved so far: {', '.join(known)}")
    raise DefinitionError(message, line=ref.pos.line, column=ref.pos.column,
                          end_column=ref.pos.column + len(ref.name), hint=hint)


def _leaf(folder, stmt, keyword: str, shape, cfg: Config):
    """A weightless row of one of the named-tensor specs (symparams/layers/tensors.py)."""
    spec = REGISTRY[keyword]
    cfg = Config(keyword=keyword, activation=None, name=None, **cfg)
    ctx = folder.ctx
    spec.configure(cfg, shape, ctx)
    out = tuple(spec.output_shape(cfg, shape, ctx))
    kind = keyword.replace(" ", "_")
    row = Layer(name=folder.auto_name(kind), kind=kind, line=stmt.pos.line, column=stmt.pos.column,
                input_shape=shape, output_shape=out, weights=tuple(spec.weights(cfg, shape, ctx)), config=cfg)
    return row, out


def fold_save(folder, stmt: ir.Save, shape, scope):
    key = _key(folder, stmt.ref, scope)
    _tensors(folder.ctx)[key] = tuple(shape)
    return _leaf(folder, stmt, "save", shape, {"tensor": _key_text(key)})


def fold_use(folder, stmt: ir.Use, shape, scope):
    name, other = lookup(folder, stmt.ref, scope)
    return _leaf(folder, stmt, "use", shape, {"tensor": name, "other": other})


def fold_merge(folder, stmt: ir.Merge, shape, scope):
    name, other = lookup(folder, stmt.ref, scope)
    return _leaf(folder, stmt, f"{stmt.mode} with", shape, {"tensor": name, "other": other, "crop": stmt.crop})


def fold_crop(folder, stmt: ir.CropTo, shape, scope):
    name, other = lookup(folder, stmt.ref, scope)
    return _leaf(folder, stmt, "crop to", shape, {"tensor": name, "other": other})


def name_input(folder, stmt: ir.LayerStmt, out) -> None:
    """input S as NAME: the input is saved under NAME too (fold_layer allows it after the first)."""
    if stmt.alias is not None:
        _tensors(folder.ctx)[stmt.alias] = tuple(out)


# ----------------------------------------------------------------------------- mul { } { }

def fold_mul(folder, stmt: ir.Branches, shape, scope):
    """mul { ... } { ... }: the branches' outputs multiplied element-wise, NumPy broadcasting."""
    paths, out = [], None
    for number, branch in enumerate(stmt.branches, 1):
        rows, branch_out = folder.statements(branch, shape, scope)
        paths.append(Layer(name=f"branch {number}", kind=PATH, line=stmt.pos.line, column=stmt.pos.column,
                           input_shape=shape, output_shape=branch_out, children=tuple(rows), role="branch"))
        out = tuple(branch_out) if out is None else broadcast(out, tuple(branch_out), folder.ctx,
                                                              f"mul: branch {number}")
    row = Layer(name=folder.auto_name(MUL), kind=MUL, line=stmt.pos.line, column=stmt.pos.column,
                input_shape=shape, output_shape=out, children=tuple(paths))
    return row, out


# ----------------------------------------------------------------------------- moe

MOE_OPTIONS = {"experts": COUNT, "top_k": COUNT, "shared": INTEGER}


def fold_moe(folder, stmt: ir.Moe, shape, scope):
    binder, ctx = folder.binder, folder.ctx
    spatial = len(shape) - 1
    values = {"shared": integer(0), "router_bias": False}
    for size in stmt.args:
        if size.word == "router_bias":
            values["router_bias"] = True
            continue
        raise DefinitionError("moe takes experts=E top_k=K [shared=S] [router_bias] and then { the expert }",
                              line=size.pos.line, column=size.pos.column,
                              hint=did_you_mean(size.word or "", ["router_bias"]))
    for option in stmt.options:
        if option.name == "router_bias":
            try:
                values["router_bias"] = binder.value(BOOL, "router_bias", option.value, spatial, scope)
            except SymparamsError as exc:
                raise located(exc, option.value.pos)
            continue
        kind = MOE_OPTIONS.get(option.name)
        if kind is None:
            raise DefinitionError(f"moe has no option '{option.name}'", line=option.pos.line,
                                  column=option.pos.column, hint=did_you_mean(option.name, list(MOE_OPTIONS)
                                                                              + ["router_bias"]))
        if isinstance(option.value, ir.Str):
            raise DefinitionError(f"{option.name}= takes a number", line=option.pos.line, column=option.pos.column)
        try:
            values[option.name] = binder.value(kind, option.name, option.value, spatial, scope)
        except SymparamsError as exc:
            raise located(exc, option.value.pos)
    for needed in ("experts", "top_k"):
        if needed not in values:
            raise DefinitionError(f"moe needs {needed}=", hint="e.g. 'moe experts=8 top_k=2 { ... }'")
    experts, top_k, shared = values["experts"], values["top_k"], values["shared"]
    gap = experts - top_k
    if type(gap) is int or gap.is_number:
        if gap < 0:
            raise DefinitionError(f"moe: top_k={top_k} is more than the {experts} experts")
    else:
        ctx.constraints.append((gap + 1, Deferred(lambda: f"moe: {named('top_k', top_k)} at most "
                                                          f"{named('experts', experts)}")))
    rows, out = folder.statements(stmt.body, shape, scope)
    if len(out) != len(shape) or any(equal(a, b) is False for a, b in zip(out, shape)):
        raise ShapeError(f"moe: an expert must give back its input's shape ({shape_text(shape)}); "
                         f"this one gives {shape_text(out)}")
    dense = REGISTRY["dense"]
    router_cfg = Config({name: opt.default for name, opt in dense.options.items()}, keyword="dense", activation=None,
                        name=None, units=experts, bias=values["router_bias"])
    router = Layer(name=folder.auto_name("router"), kind="dense", line=stmt.pos.line, column=stmt.pos.column,
                   input_shape=shape, output_shape=tuple(shape[:-1]) + (experts,),
                   weights=tuple(dense.weights(router_cfg, shape, ctx)), config=router_cfg)
    children = [router, Layer(name="experts", kind=PATH, line=stmt.pos.line, column=stmt.pos.column,
                              input_shape=shape, output_shape=out, children=tuple(rows), count=experts,
                              role="experts", config=Config(active=top_k))]
    if shared != 0:
        children.append(Layer(name="shared experts", kind=PATH, line=stmt.pos.line, column=stmt.pos.column,
                              input_shape=shape, output_shape=out, children=tuple(rows), count=shared,
                              role="shared"))
    row = Layer(name=folder.auto_name(MOE), kind=MOE, line=stmt.pos.line, column=stmt.pos.column,
                input_shape=shape, output_shape=tuple(shape), children=tuple(children),
                config=Config(experts=experts, top_k=top_k, shared=shared, router_bias=values["router_bias"]))
    return row, tuple(shape)


# ----------------------------------------------------------------------------- active

def _unused(row, memo: dict):
    """Parameters a token does not use under this row: (experts - top_k) experts of every moe."""
    known = memo.get(row)
    if known is not None:
        return known
    if row.role == "experts":
        once = total([c.params for c in row.children])
        value = once * (row.count - row.config["active"])
    else:
        terms = [_unused(c, memo) for c in row.children]
        once = total(terms) if terms else integer(0)
        if once == 0:
            value = integer(0)
        elif row.index is not None:
            end = row.start + row.count - 1
            value = (sympy.summation(once, (row.index, row.start, end)) if once.has(row.index)
                     else once * row.count)
        else:
            value = once * row.count if row.count != 1 else once
    memo[row] = value
    return value


def has_experts(net) -> bool:
    """Whether the network has a mixture of experts (then 'active' differs from 'params')."""
    return any(row.kind == MOE for _, row in net.walk())


def active(net) -> sympy.Expr:
    """Parameters used per token: every weight but the experts a token is not routed to."""
    memo: dict = {}
    unused = total([_unused(row, memo) for row in net.layers]) if net.layers else integer(0)
    if unused == 0:
        return net.params
    left = net.params - unused
    if type(left) is int:       # a derive on ints
        return left
    from ..forms import expanded    # sympy.expand's very result, multiplied out on Python integers (faster)
    return expanded(left)


# ----------------------------------------------------------------------------- repeat passes

def _refs(stmt):
    """The plain saved-tensor names a statement reads, with where."""
    if isinstance(stmt, (ir.Use, ir.Merge, ir.CropTo)) and stmt.ref.index is None:
        yield stmt.ref.name, stmt.ref.pos
    elif isinstance(stmt, ir.LayerStmt):
        for option in stmt.options:
            ref = option.value.ref if option.name in ("context", "routing") and isinstance(option.value, ir.Size) \
                else None
            if ref is not None and ref.index is None:
                yield ref.name, ref.pos


def _in_order(body):
    """The body's statements in the order they run (into residual, branch and moe bodies)."""
    for stmt in body:
        if isinstance(stmt, ir.Residual):
            yield from _in_order(stmt.body)
            yield from _in_order(stmt.shortcut or ())
        elif isinstance(stmt, ir.Branches):
            for branch in stmt.branches:
                yield from _in_order(branch)
        elif isinstance(stmt, (ir.Moe, ir.Repeat)):
            yield from _in_order(stmt.body)
        else:
            yield stmt


def check_pass_order(stmt: ir.Repeat):
    """A plain name saved in a repeat body is that pass's tensor: reading it before the pass saves it
    would read the previous pass's, so it is an error."""
    saved_here = {s.ref.name for s in _in_order(stmt.body) if isinstance(s, ir.Save) and s.ref.index is None}
    if not saved_here:
        return
    seen = set()
    for inner in _in_order(stmt.body):
        for name, pos in _refs(inner):
            if name in saved_here and name not in seen:
                raise DefinitionError(f"'{name}' is used before this pass of the repeat saves it",
                                      line=pos.line, column=pos.column, end_column=pos.column + len(name),
                                      hint="a name saved inside a repeat is that pass's tensor; save it before "
                                           "using it, or use NAME[i] for one tensor per pass")
        if isinstance(inner, ir.Save) and inner.ref.index is None:
            seen.add(inner.ref.name)


def install(folds: dict) -> None:
    """Add this module's folds to the engine's table (and wrap the ones they extend)."""
    fold_branches, fold_repeat = folds[ir.Branches], folds[ir.Repeat]

    def branches(folder, stmt, shape, scope):
        return (fold_mul if stmt.mode == MUL else fold_branches)(folder, stmt, shape, scope)

    def repeat(folder, stmt, shape, scope):
        check_pass_order(stmt)
        return fold_repeat(folder, stmt, shape, scope)

    folds.update({ir.Branches: branches, ir.Repeat: repeat, ir.Save: fold_save,
                  ir.Use: fold_use, ir.Merge: fold_merge, ir.CropTo: fold_crop, ir.Moe: fold_moe})
