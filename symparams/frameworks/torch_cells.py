"""PyTorch import: recurrent cells (nn.LSTMCell, nn.GRUCell, nn.RNNCell) stepped in forward.

A cell called once per time step, its state handed from each call to the next, is the whole recurrent layer
written out by hand: `for t in range(T): h, c = cell(x[:, t], (h, c))` runs the gates of nn.LSTM on x, with the
same four tensors (weight_ih, weight_hh, bias_ih, bias_hh), the same products per step and, from a state of no
layer (zeros, or a tensor forward makes), the same gradients. Before the graph is read, such a chain of calls is
replaced by one call of the cell on the whole sequence, which the importer reads as the rnn/lstm/gru line (the
steps stacked: return_sequences=true; the last state kept: without it). Any other stepping is refused by name.
"""

from __future__ import annotations

import operator

from ..errors import DefinitionError

KIND = "symparams_cell"         # the node.meta key holding the line of a call that stands for the unrolled steps

_WORDS = {"LSTMCell": "lstm", "GRUCell": "gru", "RNNCell": "rnn"}
_ACTIVATIONS = {"Tanh": "tanh", "ReLU": "relu", "Sigmoid": "sigmoid"}


def unroll_cells(graph, module, shapes: dict, made, torch) -> None:
    """Replace each cell's chain of steps in `graph` (in place) by one call reading the whole sequence; `made(node)`
    says whether a node is a tensor forward makes (an initial state of no layer). `shapes` gains the new call's."""
    steps: dict = {}
    for node in graph.nodes:
        if node.op == "call_module" and isinstance(module.get_submodule(node.target), torch.nn.RNNCellBase):
            steps.setdefault(node.target, []).append(node)
    for target, calls in steps.items():
        _unroll(graph, module, target, calls, shapes, made, torch)


def cell_line(node, sub, name: str, num, torch) -> str | None:
    """The line of a cell's call standing for its unrolled steps (None for any other module)."""
    if not isinstance(sub, torch.nn.RNNCellBase) or KIND not in node.meta:
        return None
    word, sequences, steps, activation = node.meta[KIND]
    text = f"{word} {num('units', sub.hidden_size)}" + (f" steps={steps}" if steps else "")
    text += (" return_sequences=true" if sequences else "") + (f" state_activation={activation}" if activation else "")
    text += "" if sub.bias else " bias=false"
    text += " relu" if word == "rnn" and sub.nonlinearity == "relu" else ""
    return f"{text} name={name}"


def _unroll(graph, module, target, calls, shapes, made, torch) -> None:
    sub = module.get_submodule(target)
    lstm = isinstance(sub, torch.nn.LSTMCell)
    where = f"the module '{target}' ({type(sub).__name__})"

    def given(call):
        """The state handed to a call: (h, c) for an LSTMCell, (h,) otherwise; None where none is given."""
        state = call.args[1] if len(call.args) > 1 else call.kwargs.get("hx")
        if state is None:
            return (None, None) if lstm else (None,)
        if lstm and state in calls:
            return outs[calls.index(state)] if state is not call else (None, None)   # state = cell(x, state)
        if lstm and not (isinstance(state, (tuple, list)) and len(state) == 2):
            raise DefinitionError(f"{where} is given its state as one tensor ('{state}'); symparams reads an LSTMCell "
                                  "called as cell(x, (h, c))")
        return tuple(state) if lstm else (state,)

    def results(call):
        """What a call gives: (h, c) — the getitems of an LSTMCell's pair — or (h,)."""
        if not lstm:
            return (call,)
        picked = {0: [], 1: []}
        for u in call.users:
            if u in calls:
                continue                    # the pair handed on whole: state = cell(x[:, t], state)
            if u.op == "call_function" and u.target is operator.getitem and u.args[1] in (0, 1):
                picked[u.args[1]].append(u)
            else:
                raise DefinitionError(f"{where} has its (h, c) read by '{u.name}' other than as h, c = cell(...); "
                                      "symparams reads a cell stepped in forward with its state handed on")
        if any(len(v) > 1 for v in picked.values()):
            raise DefinitionError(f"{where} has its state read twice; symparams reads h, c = cell(...)")
        return tuple(v[0] if v else None for v in (picked[0], picked[1]))

    # each step's h, after the activation forward applies to it (the same one after every step), if any
    outs = [results(c) for c in calls]
    hs, words = [], set()
    for o in outs:
        h = o[0]
        act = _activation(next(iter(h.users)), module) if h is not None and len(h.users) == 1 else None
        if act is not None and act[1] is h:
            words.add(act[0])
            h = next(iter(h.users))
        hs.append(h)
    if len(words) > 1:
        raise DefinitionError(f"{where} is stepped with different activations on its state "
                              f"({', '.join(sorted(words))}); symparams' state_activation is one function")
    if words and any(h is o[0] for h, o in zip(hs, outs)):
        raise DefinitionError(f"{where} is stepped with {next(iter(words))} applied to its state after some steps "
                              "only; symparams' state_activation is applied after every step (the last too)")
    activation = next(iter(words), None)

    # the chain: each call after the first starts from the state the one before gives
    for i, call in enumerate(calls):
        state = given(call)
        if i == 0:
            computed = [s for s in state if s is not None and (not made(s) or _trained(s))]
            if computed:
                raise DefinitionError(f"{where} starts from a state forward computes or trains "
                                      f"('{computed[0].name}'); "
                                      "symparams' recurrent layers start from a state of no layer (zeros, or a "
                                      "tensor forward makes)")
            continue
        if lstm and (call.args[1:2] or (call.kwargs.get("hx"),))[0] is calls[i - 1]:
            continue
        for k, (s, o) in enumerate(zip(state, (hs[i - 1],) + outs[i - 1][1:])):
            if s is not o or o is None:
                what = "state" if k == 0 else "cell state"
                raise DefinitionError(f"{where} is called {len(calls)} times, call {i + 1} not from the {what} the "
                                      f"call before gives ('{getattr(s, 'name', s)}'); symparams reads a cell "
                                      "stepped in forward with its state handed from each step to the next (through "
                                      "one activation at most)")
    for i, out in enumerate(outs[:-1]):
        if lstm and out[1] is not None and set(out[1].users) != {calls[i + 1]}:
            raise DefinitionError(f"{where}: the forward reads its cell state c ('{out[1].name}') other than as the "
                                  "next step's; symparams' lstm gives h")
    if lstm and outs[-1][1] is not None and outs[-1][1].users:
        raise DefinitionError(f"{where}: the forward reads the last cell state c ('{outs[-1][1].name}'); symparams' "
                              "lstm gives h")
    if hs[-1] is None:
        raise DefinitionError(f"{where}: the forward does not read the last step's state")

    # the inputs: x[:, t] at step t of one B x T x D sequence (the manual unroll of nn.LSTM/GRU/RNN)
    # or the same B x D input at every step (a decoder fed one vector): steps=N
    xs = [c.args[0] for c in calls]
    sequence = _time_source(xs[0], 0, shapes)
    steps = None
    if all(x is xs[0] for x in xs) and len(shapes.get(getattr(xs[0], "name", ""), ())) == 2:
        sequence, steps = xs[0], len(calls)
    elif sequence is None or any(_time_source(x, t, shapes) is not sequence for t, x in enumerate(xs)):
        raise DefinitionError(f"{where} is stepped over inputs other than x[:, t] at each step t of one sequence, "
                              f"or one vector at every step ('{xs[0].name}'); symparams reads a cell stepped over "
                              "a sequence's time axis (rnn/lstm/gru) or N times over one vector (steps=N)")
    length = steps or shapes.get(sequence.name, (None, None))[1]
    if length != len(calls):
        raise DefinitionError(f"{where} is stepped over {len(calls)} of the {length} steps of '{sequence.name}'; "
                              "symparams' recurrent layers read every step")

    # what forward keeps: every step's h stacked on axis 1 (the sequence), or only the last one
    above = _next_cell(hs, calls, module, torch)
    if above is not None:
        return _feed_above(graph, target, sub, sequence, hs, above, shapes, (steps, activation), old_nodes(
            calls, outs, hs, xs, steps, given(calls[0]), None))
    head = _per_step_linear(hs, calls, module, torch)     # y_t = self.fc(h_t) at every step, the y_t stacked
    kept = head or hs
    stacks = {_through(u) for h in kept[:-1] for u in h.users if u not in calls}
    stacked = None
    if head is not None and not stacks:
        raise DefinitionError(f"{where}: the forward applies '{head[0].target}' to every step's state and reads only "
                              "the last result; symparams reads a Linear on the stacked steps or on the last state")
    if stacks:
        stack = next(iter(stacks))
        if len(stacks) != 1 or not _stacks(stack, kept):
            raise DefinitionError(f"{where}: the forward reads a step's state ('{stack.name}') other than stacked "
                                  "with every step's (torch.stack(hs, dim=1), torch.cat of h.unsqueeze(1)) or as "
                                  "the next step's state")
        if {_through(u) for u in kept[-1].users} != {stack} or len(kept[-1].users) != 1:
            raise DefinitionError(f"{where}: the forward reads both the stacked states and the last one "
                                  f"('{kept[-1].name}'); a symparams recurrent line gives one of them")
        stacked = stack
    anchor = stacked if stacked is not None else hs[-1]
    with graph.inserting_after(anchor):
        whole = graph.call_module(target, (sequence,))
    whole.meta[KIND] = (_WORDS[type(sub).__name__], stacked is not None, steps, activation)
    result = whole
    if head is not None:            # the same Linear on every step's h = that Linear on the sequence's last axis
        with graph.inserting_after(whole):
            result = graph.call_module(head[0].target, (whole,))
    anchor.replace_all_uses_with(result)
    if anchor.name in shapes:
        shapes[result.name] = shapes[anchor.name]
        if head is not None and hs[-1].name in shapes:
            batch, width = shapes[hs[-1].name]
            shapes[whole.name] = (batch, shapes[anchor.name][1], width)
    old = old_nodes(calls, outs, hs, xs, steps, given(calls[0]), stacked) | set(head or ())
    _erase(graph, old | {u for h in kept for u in h.users if _through(u) is not u})


def _per_step_linear(hs, calls, module, torch):
    """The calls of one nn.Linear reading each step's h (and nothing else reading it but the next step), in
    step order, else None: applied to every row of the sequence, it is the dense line after it."""
    heads = []
    for h in hs:
        readers = [u for u in h.users if u not in calls]
        if len(readers) != 1 or readers[0].op != "call_module" or readers[0].args[:1] != (h,) \
                or len(readers[0].args) != 1 or readers[0].kwargs:
            return None
        heads.append(readers[0])
    if len({c.target for c in heads}) != 1 or not isinstance(module.get_submodule(heads[0].target), torch.nn.Linear):
        return None
    return heads


def old_nodes(calls, outs, hs, xs, steps, first_state, stacked) -> set:
    """The steps, their pieces of the sequence, their initial states: no longer read once the whole call is in."""
    old = set(calls) | {n for o in outs for n in o if n is not None} | set(hs) | (set() if steps else set(xs))
    return old | {s for s in first_state if s is not None} | ({stacked} if stacked is not None else set())


def _erase(graph, old) -> None:
    """Erase the nodes of `old` nothing reads (again until none is left: stacked cells' steps read pieces of the
    sequence placed after them)."""
    while True:
        dead = [n for n in reversed(list(graph.nodes)) if n in old and not n.users]
        if not dead:
            return
        for node in dead:
            if not node.users:
                graph.erase_node(node)
                old.discard(node)


def _next_cell(hs, calls, module, torch):
    """The calls of another cell reading this one's h at each step as its input (stacked cells: the second
    over the first's states), in step order; None when h is read otherwise."""
    above = []
    for i, h in enumerate(hs):
        readers = [u for u in h.users if u not in calls]
        if len(readers) != 1:
            return None
        call = readers[0]
        if not (call.op == "call_module" and isinstance(module.get_submodule(call.target), torch.nn.RNNCellBase)
                and call.args and call.args[0] is h and h not in list(call.args[1:]) + list(call.kwargs.values())):
            return None
        above.append(call)
    if len({c.target for c in above}) != 1 or len(set(above)) != len(above):
        return None
    return above


def _feed_above(graph, target, sub, sequence, hs, above, shapes, options, old) -> None:
    """This cell's whole sequence (return_sequences=true) given to the cell above as x[:, t] at each step t: the
    cell above then reads as its own line over it (unroll_cells' next target)."""
    steps, activation = options
    with graph.inserting_after(hs[-1]):
        whole = graph.call_module(target, (sequence,))
    whole.meta[KIND] = (_WORDS[type(sub).__name__], True, steps, activation)
    if hs[-1].name in shapes:
        batch, width = shapes[hs[-1].name]
        shapes[whole.name] = (batch, len(hs), width)
    last = whole
    for t, (h, call) in enumerate(zip(hs, above)):
        with graph.inserting_after(last):
            last = graph.call_function(operator.getitem, (whole, (slice(None), t)))
        call.replace_input_with(h, last)
    _erase(graph, old)


def _trained(node) -> bool:
    """A made tensor autograd follows (requires_grad=True, or .requires_grad_()): its gradient is one more
    product of the first step's backward pass than a layer starting from a state of no layer has."""
    if node.kwargs.get("requires_grad") or (node.op == "call_method" and node.target == "requires_grad_"):
        return True
    return any(_trained(a) for a in node.all_input_nodes)


def _activation(node, module):
    """(word, its input) when node applies a plain activation (nn.Tanh(), torch.tanh, h.tanh()), else None."""
    if node.op == "call_module":
        word = _ACTIVATIONS.get(type(module.get_submodule(node.target)).__name__)
    elif node.op in ("call_function", "call_method"):
        word = getattr(node.target, "__name__", node.target)
        word = word if word in ("tanh", "relu", "sigmoid") else None
    else:
        word = None
    return (word, node.args[0]) if word and node.args else None


def _time_source(node, t: int, shapes):
    """The B x T x D tensor node is step t of (x[:, t], x[:, t, :], x.select(1, t)), else None."""
    if node.op == "call_function" and node.target is operator.getitem:
        source, index = node.args[0], node.args[1]
        whole = slice(None)
        if not (isinstance(index, tuple) and index in ((whole, t), (whole, t, whole))):
            return None
    elif node.op == "call_method" and node.target == "select" and node.args[1:] in ((1, t),):
        source = node.args[0]
    else:
        return None
    return source if len(shapes.get(getattr(source, "name", ""), ())) == 3 else None


def _stacks(node, hs) -> bool:
    """node is torch.stack(hs, dim=1) (or dim=-2) of every step's h, in order, or torch.cat of each h with a
    new axis 1 (h.unsqueeze(1), h[:, None]) on that axis."""
    import torch
    if not (node.op == "call_function" and node.args):
        return False
    dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
    pieces = list(node.args[0]) if isinstance(node.args[0], (list, tuple)) else []
    if node.target is torch.stack:
        return pieces == hs and dim in (1, -2)
    if node.target in (torch.cat, torch.concat):
        return len(pieces) == len(hs) and all(isinstance(p, type(node)) and _through(p) is node and p.args[0] is h
                                              for p, h in zip(pieces, hs)) \
            and dim in (1, -2)
    return False


def _through(node):
    """The one reader of h.unsqueeze(1) / torch.unsqueeze(h, 1) / h[:, None] (a step's state given a time
    axis, to be concatenated on it); any other node itself."""
    import torch
    whole = slice(None)
    axis = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else None)
    unsqueezed = (node.op == "call_method" and node.target == "unsqueeze" and axis in (1, -2)) or (
        node.op == "call_function" and node.target is torch.unsqueeze and axis in (1, -2)) or (
        node.op == "call_function" and node.target is operator.getitem and axis in ((whole, None), (whole, None, whole)))
    return next(iter(node.users)) if unsqueezed and len(node.users) == 1 else node
