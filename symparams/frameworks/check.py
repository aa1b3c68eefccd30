"""Build the exported model with the real framework, run it on zeros, compare every layer.

Parameter counts are compared under the framework's own counting rules (`check --against
pytorch` counts as PyTorch does, e.g. batch-norm statistics as buffers), whatever convention the
network was derived with; shapes and paddings are the network's own (its --convention), which
the exporter reproduces. So `--against pytorch --convention keras` checks a Keras-style network
(padding='same' with a stride) built in PyTorch, counted the PyTorch way.
"""

from __future__ import annotations

from dataclasses import dataclass

from .plan import KERAS, PYTORCH, check_target, ints, make_plan, need


@dataclass
class Comparison:
    name: str
    kind: str
    line: int
    ours_params: int
    their_params: int
    ours_shape: tuple
    their_shape: tuple

    @property
    def ok(self) -> bool:
        return self.ours_params == self.their_params and self.ours_shape == self.their_shape


@dataclass
class Report:
    framework: str
    rows: list
    ours_total: int
    their_total: int
    convention: str = ""          # the rules the shapes were derived with, when not the framework's

    @property
    def ok(self) -> bool:
        return self.ours_total == self.their_total and all(r.ok for r in self.rows)


def run_source(source: str, name: str = "symparams_export"):
    """Execute generated source as a module and return its namespace."""
    namespace = {"__name__": name}
    exec(compile(source, f"<{name}>", "exec"), namespace)      # our own generated code, never user text
    return namespace


def check(net, framework: str) -> Report:
    """Compare `net` (already under the wanted convention) with the framework's model."""
    check_target(framework)
    plan = make_plan(net)
    return {PYTORCH: _check_torch, KERAS: _check_keras}[framework](plan)


def counted(row, framework: str) -> int:
    """A leaf's parameter count under `framework`'s rules (its shapes and configuration unchanged)."""
    if row.kind == "input":
        return 0
    from ..layers.base import Context, spec_for
    weights = spec_for(row).weights(row.config, row.input_shape, Context(convention=framework))
    return int(sum(w.size for w in weights if not w.buffer))


def _expected(plan, framework):
    out = []
    same = plan.net.convention == framework
    for row in plan.leaves:
        out.append((plan.name(row), row, int(row.params) if same else counted(row, framework),
                    ints(row.output_shape)))
    return out


def _total(plan, expected, framework) -> int:
    if plan.net.convention == framework:
        return int(plan.net.params)
    return _counted_under(plan.net.layers, framework)


def _counted_under(rows, framework) -> int:
    """The rows' count under `framework`'s rules; a moe's experts' body is one row for all E (or S) of them."""
    total = 0
    for row in rows:
        if row.is_leaf:
            total += counted(row, framework)
            continue
        once = _counted_under(row.children, framework)
        total += once * int(row.count) if row.role in ("experts", "shared") else once
    return total


def _other(plan, framework) -> str:
    return "" if plan.net.convention == framework else plan.net.convention


def _is_layer(row) -> bool:
    """Whether the row is a layer of the built model (named tensors are variables of its forward code,
    checked through the layers that read them)."""
    from ..layers.base import spec_for
    return row.kind != "input" and getattr(spec_for(row), "writes_layer", True)


def _written(ns, plan) -> list:
    """(row, the module/layer name written for it) for each leaf row: the generated file's LAYERS gives
    them by the row's position, so a row is compared with what was built from it, whatever its name."""
    names = ns["LAYERS"]
    if len(names) != len(plan.leaves):
        raise AssertionError("the generated file's LAYERS does not match the network's rows")
    return list(zip(plan.leaves, names))


def _check_torch(plan) -> Report:
    torch = need("torch", "pytorch")
    from . import torch_export
    ns = run_source(torch_export.write(plan))
    # counting and shapes need no memory: the model is built on the meta device and run on a meta
    # input; only a forward that cannot run there is run for real, within a size guard
    with torch.device("meta"):
        model = ns["build"]()
    model.eval()
    device = "meta"
    if not _meta_forward_runs(torch, model, ns):
        device = "cpu"
        _guard(plan, "its forward does not run on PyTorch's meta device")
        ns = run_source(torch_export.write(plan))      # afresh: nothing made on the meta device is reused
        torch.manual_seed(0)
        model = ns["build"]()
        model.eval()
    written = dict((id(row), name) for row, name in _written(ns, plan))
    seen = {}
    hooks = []
    expected = _expected(plan, PYTORCH)
    for _, row, _, _ in expected[1:]:
        name = written[id(row)]
        if not _is_layer(row) or name is None:
            continue
        module = model._modules[name]           # not getattr: never a Module attribute of that name
        hooks.append(module.register_forward_hook(
            lambda _mod, _inp, out, key=id(row): seen.__setitem__(key, tuple(out.shape[1:]))))
    # a batch of two: GroupNorm rejects a single value per group even in eval mode
    xs = _torch_inputs(torch, ns, device)
    with torch.no_grad():
        model(*xs)
    given = iter(xs)            # each input row's tensor, in forward's order
    owned: dict = {}            # each parameter counted at a row already -> the module it was counted in
    for h in hooks:
        h.remove()
    rows = []
    for name, row, ours, shape in expected:
        module = written[id(row)]
        if row.kind == "input":
            theirs, their_shape = 0, torch_export.to_channels_last(tuple(next(given).shape[1:]))
        elif not _is_layer(row):
            theirs, their_shape = 0, shape
        elif module is None and row.config and row.config.get("reuse") is not None:
            # reuse=NAME: the earlier layer's module called again, no weights of its own; its output shape is
            # checked by the layers after it (a wrong one would not run) and the network's output
            theirs, their_shape = 0, shape
        elif module is None:
            theirs, their_shape = 0, ()         # nothing was built from this row: shown as a disagreement
        else:
            # a parameter an earlier row's module holds too (a tied embedding's module is its table's) is that
            # row's, counted once as PyTorch's parameters() does
            # (the same module shown at two rows, a moe's expert body and its shared expert's, counts at both)
            params = list(model._modules[module].parameters())
            theirs = sum(p.numel() for p in params if owned.get(id(p), module) == module)
            owned.update((id(p), module) for p in params if id(p) not in owned)
            their_shape = torch_export.to_channels_last(seen.get(id(row), ()))
        rows.append(Comparison(name, row.kind, row.line, ours, theirs, shape, tuple(their_shape)))
    total = sum(p.numel() for p in model.parameters())
    return Report(PYTORCH, rows, _total(plan, expected, PYTORCH), int(total), _other(plan, PYTORCH))


def _torch_inputs(torch, ns, device) -> tuple:
    """Zeros for each of forward's inputs (the file's INPUTS), a batch of two."""
    return tuple(torch.zeros((2,) + tuple(shape), dtype=dtype, device=device) for _, shape, dtype in ns["INPUTS"])


def _meta_forward_runs(torch, model, ns) -> bool:
    """Whether the model (on the meta device) runs forward on meta inputs of the network's shapes."""
    try:
        xs = _torch_inputs(torch, ns, "meta")
        with torch.no_grad():
            model(*xs)
        return True
    except Exception:           # noqa: BLE001 - an operator without a meta kernel, data-dependent code
        return False


def _guard(plan, why: str) -> None:
    """Refuse a real build whose weights and activations (batch 2, 4 bytes each) would pass
    limits.MAX_CHECK_BYTES, with the reason it must be real."""
    from .. import limits
    from ..errors import DefinitionError
    import math
    params = int(plan.net.params) if not plan.net.params.free_symbols else 0
    acts = sum(2 * math.prod(int(d) for d in ints(row.output_shape)) for row in plan.leaves)
    need_bytes = 4 * (params + acts)
    if need_bytes > limits.MAX_CHECK_BYTES:
        raise DefinitionError(f"check would build this model for real ({why}) and it needs about "
                              f"{need_bytes / 2 ** 30:,.1f} GiB, more than the {limits.MAX_CHECK_BYTES / 2 ** 30:,.1f} GiB "
                              "check allows (symparams.limits.MAX_CHECK_BYTES); check it at smaller sizes with --set")


def _check_keras(plan) -> Report:
    keras = need("keras", "keras")
    import numpy as np
    from . import keras_export
    ns = run_source(keras_export.write(plan))
    # built on the meta device (weights with shapes, no memory): the layers' symbolic outputs give the
    # shapes; only when one is not known is the model built and run for real, within a size guard
    with keras.device("meta"):
        model = ns["build"]()
    written = dict((id(row), name) for row, name in _written(ns, plan))
    expected = _expected(plan, KERAS)
    names = [written[id(row)] for _, row, *_ in expected[1:] if _is_layer(row) and written[id(row)] is not None]
    symbolic = [tuple(model.get_layer(n).output.shape)[1:] for n in names]
    if all(d is not None for shape in symbolic for d in shape):
        shapes = {n: tuple(int(d) for d in shape) for n, shape in zip(names, symbolic)}
    else:
        _guard(plan, "a layer's output size is known only by running it")
        ns = run_source(keras_export.write(plan))
        model = ns["build"]()
        probe = keras.Model(model.inputs, [model.get_layer(n).output for n in names]) if names else None
        xs = [np.zeros((1,) + tuple(shape), dtype=dtype) for _, shape, dtype in ns["INPUTS"]]
        outputs = probe(xs, training=False) if probe is not None else []
        if len(names) == 1:
            outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        shapes = {n: tuple(int(d) for d in tuple(o.shape)[1:]) for n, o in zip(names, outputs)}
    given = iter(ns["INPUTS"])      # each input row's (name, shape, dtype), in the model's order
    rows = []
    for name, row, ours, shape in expected:
        layer = written[id(row)]
        if row.kind == "input":
            theirs, their_shape = 0, tuple(next(given)[1])
        elif not _is_layer(row) or layer is None:
            # no layer of its own: a named tensor, or a tied embedding applying its table's layer again
            theirs, their_shape = 0, shape
        else:
            theirs = model.get_layer(layer).count_params()
            their_shape = shapes[layer]
        rows.append(Comparison(name, row.kind, row.line, ours, theirs, shape, their_shape))
    return Report(KERAS, rows, _total(plan, expected, KERAS), int(model.count_params()), _other(plan, KERAS))


def render(report: Report) -> str:
    """The per-layer table with ✓/✗."""
    head = ("layer", "kind", "symparams params", f"{report.framework} params", "symparams shape",
            f"{report.framework} shape", "")
    body = []
    for r in report.rows:
        body.append((r.name, r.kind, f"{r.ours_params:,}", f"{r.their_params:,}", " x ".join(map(str, r.ours_shape)),
                     " x ".join(map(str, r.their_shape)), "✓" if r.ok else "✗"))
    ok_total = report.ours_total == report.their_total
    body.append(("total", "", f"{report.ours_total:,}", f"{report.their_total:,}", "", "", "✓" if ok_total else "✗"))
    widths = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]
    lines = []
    for k, row in enumerate([head] + body):
        cells = [row[i].rjust(widths[i]) if i in (2, 3) else row[i].ljust(widths[i]) for i in range(len(head))]
        lines.append("  ".join(cells).rstrip())
        if k == 0 or k == len(body) - 1:
            lines.append("  ".join("-" * w for w in widths))
    bad = sum(not r.ok for r in report.rows) + (not ok_total)
    if report.convention:
        lines.append(f"parameters counted by {report.framework}'s rules; shapes and padding by the "
                     f"{report.convention} convention")
    lines.append("all layers agree" if report.ok else f"{bad} disagreement{'s' if bad != 1 else ''}")
    return "\n".join(lines) + "\n"
