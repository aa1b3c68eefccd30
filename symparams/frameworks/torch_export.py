"""PyTorch source for a network: an nn.Module, one line per layer, names kept.

Tensors are (batch, C, *spatial) for images and volumes (rank >= 3 in symparams' shapes),
(batch, T, D) for sequences (batch_first, as RNNs and attention want) and (batch, D) for
vectors. Modules that want another layout are wrapped in ChannelsFirst / ChannelsLast.
Keras-convention paddings PyTorch has no word for (strided or pooling 'same', explicit pooling
padding as zeros) are written as an nn.ConstantPad*d in front of a 'valid' layer.
"""

from __future__ import annotations

from .plan import RESERVED, Plan, Writer, frozen_weights, inputs, ints, make_plan, one, token_input, write_experts
from .plan import window_text as _tuple
from ..errors import DefinitionError, UsageError
from ..layers.base import spec_for
from ..layers.tensors import NamedTensorSpec
from ..shapes import same_padding_total

# the walker's own helpers: layout adapters (a kind's helpers are LayerSpec.torch_helpers)
HELPERS = {
    "ChannelsFirst": '''
class ChannelsFirst(nn.Module):
    """Runs a channels-first module on a (batch, T, D) sequence."""
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        return self.module(x.transpose(1, 2)).transpose(1, 2)
''',
    "ChannelsLast": '''
class ChannelsLast(nn.Module):
    """Runs a module that acts on the last axis on a channels-first image or volume."""
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        return self.module(x.movedim(1, -1)).movedim(-1, 1)
''',
}



# frozen=NAME (some of a layer's weights not trained): requires_grad=False on those parameters of its module, by
# their names where the module's own parameters carry symparams' names (a module that registers its free
# parameters before its submodules', as the Mamba mixer's A_log and D, lists them in another order), else found
# by position (the module's parameters in the order of the layer's weights, whatever a helper module calls them:
# a separable convolution's two Conv2d), checked against the size of every one
FREEZE_HELPER = {"freeze": '''
def freeze(module, frozen, sizes, layer, names=()):
    """requires_grad=False on the parameters of `module` named `names`, or else at the positions `frozen`
    (symparams' frozen=)."""
    # weight_norm's parametrisation holds g and v as original0 and original1 (symparams' weight_g, weight_v)
    named = {n.replace("parametrizations.weight.original0", "weight_g").replace("parametrizations.weight.original1",
                                                                               "weight_v"): p
             for n, p in module.named_parameters()}
    # a name symparams gives, else the one parameter whose dotted name ends with it (a wrapper's module.conv.weight)
    found = [named[n] if n in named else next(iter(hits)) if len(hits := [p for k, p in named.items()
                                                                          if k.endswith("." + n)]) == 1 else None
             for n in names]
    if names and all(p is not None for p in found) and sorted(p.numel() for p in named.values()) == sorted(sizes):
        for p in found:
            p.requires_grad_(False)
        return
    params = list(module.parameters())
    if [p.numel() for p in params] != list(sizes):
        raise ValueError(f"{layer}: frozen= needs the module's parameters as symparams lays them out, {list(sizes)}; "
                         f"it has {[p.numel() for p in params]}")
    for i in frozen:
        params[i].requires_grad_(False)
'''}


class _Writer(Writer):
    """Writes the model; each kind writes its own module text through the methods below
    (LayerSpec.emit_torch)."""
    framework, capability = "PyTorch", "emit_torch"

    def __init__(self, plan: Plan):
        super().__init__(plan)
        self.init: list[str] = []
        self.forward: list[str] = []
        self.arguments = {id(row): name for row, name in inputs(plan)}     # forward's argument per input row

    # -- what a kind may ask (and Writer's helper, unsupported, name) ----------------------
    def activation(self, name, channel_dim) -> str:
        from ..layers.core import ACTIVATION
        return ACTIVATION.torch_activation(name, channel_dim, self)

    def wrap(self, row, text: str, channels_first: bool = True, pad: str | None = None) -> str:
        """A kind's module text made to take and return this model's layout: `pad` (a padding module)
        before it, its fused activation after it, and a layout adapter when the module wants channels
        first on a sequence (channels_first) or the last axis on an image or volume (not channels_first)."""
        rank = len(row.input_shape)
        if pad is not None:
            text = f"nn.Sequential({pad}, {text})"
        act = row.activation
        if act and act != "linear":
            text = f"nn.Sequential({text}, {self.activation(act, 1 if channels_first else -1)})"
        if channels_first and rank == 2:
            self.helper(HELPERS, "ChannelsFirst")
            text = f"ChannelsFirst({text})"
        elif not channels_first and rank >= 3:
            self.helper(HELPERS, "ChannelsLast")
            text = f"ChannelsLast({text})"
        return text

    def strided_same_pad(self, row, window, value=0.0) -> str | None:
        """Keras 'same' with a stride: PyTorch has no such padding, so the zeros TF would add (the
        smaller half before, the larger after) come first and the layer is 'valid'. None otherwise."""
        cfg = row.config
        if cfg.padding != "same" or set(ints(cfg.stride)) == {1}:
            return None
        return self.same_pads(cfg, row.input_shape, window, value)

    @staticmethod
    def pad_module(n, before, after, value) -> str:
        """nn.ConstantPad{n}d with PyTorch's order: the last axis first, (before, after) each."""
        pads = []
        for p, q in reversed(list(zip(before, after))):
            pads += [p, q]
        fill = 'float("-inf")' if value == "-inf" else repr(float(value))
        return f"nn.ConstantPad{n}d({tuple(pads)}, {fill})"

    def same_pads(self, cfg, shape, window, value) -> str:
        """The padding module of TensorFlow/Keras 'same': per axis max((ceil(H/s) - 1)s + d(k - 1) + 1 - H, 0)
        zeros (or `value`), the smaller half before."""
        before, after = [], []
        for axis, size in enumerate(shape[:-1]):
            dilation = cfg.dilation[axis] if "dilation" in cfg else 1
            total = one(same_padding_total(size, window[axis], cfg.stride[axis], dilation))
            before.append(total // 2)
            after.append(total - total // 2)
        return self.pad_module(len(shape) - 1, before, after, value)

    @staticmethod
    def window_opts(cfg, pad=None) -> str:
        """stride=, padding= and dilation= of a convolution (`pad`: a padding module does the padding)."""
        out = ""
        if set(ints(cfg.stride)) != {1}:
            out += f", stride={_tuple(cfg.stride)}"
        if pad is not None:
            pass                # the padding module before the layer does it
        elif cfg.padding == "same":
            out += ', padding="same"'
        elif cfg.padding != "valid":
            out += f", padding={_tuple(cfg.padding)}"
        if set(ints(cfg.dilation)) != {1}:
            out += f", dilation={_tuple(cfg.dilation)}"
        return out

    @staticmethod
    def broadcast(var: str, shape: tuple, out_shape: tuple) -> str:
        """`var` (symparams shape `shape`) made to broadcast as NumPy does on the channels-last shapes
        into `out_shape`: the missing leading axes go after the batch axis (PyTorch would align
        them with the batch), and the channels move to axis 1 when the result is channels first."""
        rank, out_rank = len(shape), len(out_shape)
        if rank >= out_rank:
            return var
        text = f"{var}.movedim(1, -1)" if rank >= 3 else var
        text += "[:, " + ", ".join(["None"] * (out_rank - rank)) + "]"
        return text + ".movedim(-1, 1)" if out_rank >= 3 else text

    # -- module text per leaf -------------------------------------------------------
    def module(self, row) -> str | None:
        """The constructor text of a leaf, taking and returning this model's layout."""
        return self.spec(row).emit_torch(row, self)

    # -- forward text ------------------------------------------------------------------
    def rows(self, rows, var: str, indent: str = "        ") -> str:
        for row in rows:
            var = self.row(row, var, indent)
        return var

    def row(self, row, var, indent):
        if row.kind in ("block", "repeat", "iteration", "path"):
            return self.rows(row.children, var, indent)
        if row.kind == "moe":
            return self.moe(row, var, indent)
        if row.kind == "input":
            return self.input(row)
        if row.kind in ("residual", "concat", "add", "mul"):
            outs = []
            self.forward.append(f"{indent}# {row.kind} {self.plan.name(row)} (line {row.line})")
            for path in row.children:
                last = self.rows(path.children, var, indent)
                outs.append(self.broadcast(last, path.output_shape, row.output_shape))
            if row.kind == "residual" and len(outs) == 1:
                outs.append(self.broadcast(var, row.input_shape, row.output_shape))
            out = self.fresh()
            if row.kind == "concat":
                dim = 1 if len(row.output_shape) >= 3 else -1
                self.forward.append(f"{indent}{out} = torch.cat([{', '.join(outs)}], dim={dim})")
            else:
                self.forward.append(f"{indent}{out} = {(' * ' if row.kind == 'mul' else ' + ').join(outs)}")
            return out
        forward = getattr(self.spec(row), "torch_forward", None)
        if forward is not None and row.config.get("frozen"):
            raise DefinitionError(f"{row.name} (line {row.line}): frozen= on {row.kind} has no PyTorch export yet")
        if forward is not None:         # a kind that acts on the forward code itself (named tensors)
            return forward(row, var, self, indent)
        target = row.config.get("reuse") if row.config else None
        if target is not None:          # reuse=NAME: the earlier layer's module called again (no module of its own)
            that, activation = self.by_row_name.get(target, (None, None))
            if that is None or activation != row.activation:
                raise DefinitionError(f"{row.name} (line {row.line}): reuse={target} is written as a second call of "
                                      f"the module of '{target}', which needs that layer written as one module with "
                                      "the same activation")
            out = self.fresh()
            call = getattr(self.spec(row), "torch_call", None)
            self.forward.append(f"{indent}{out} = self.{that}({call(row, var, self) if call else var})"
                                f"  # line {row.line}: reuse={target}")
            return out
        text = self.module(row)
        if text is None:
            return var
        name = self.plan.name(row)
        self.by_row_name[row.name] = (name, row.activation)
        shape = " x ".join(str(d) for d in row.output_shape)
        self.init.append(f"        self.{name} = {text}  # line {row.line}: {shape}")
        if row.config.get("trainable") is False:        # trainable=false: kept, counted, not trained
            self.init.append(f"        self.{name}.requires_grad_(False)")
        if row.config.get("frozen"):                    # frozen=NAME: that parameter alone not trained
            frozen_weights(row, "pytorch", "PyTorch")  # the file's weights pair with PyTorch's one by one
            weights = [w for w in row.weights if not w.buffer]
            frozen = tuple(i for i, w in enumerate(weights) if not w.trainable)
            self.init.append(f"        freeze(self.{name}, {frozen!r}, {tuple(int(w.size) for w in weights)!r}, "
                             f"{row.name!r}, {tuple(w.name for w in weights if not w.trainable)!r})")
            self.helper(FREEZE_HELPER, "freeze")
        self.layer_of[id(row)] = name
        out = self.fresh()
        call = getattr(self.spec(row), "torch_call", None)        # a kind whose module takes more than its input
        self.forward.append(f"{indent}{out} = self.{name}({call(row, var, self) if call else var})")
        return out


    def input(self, row) -> str:
        """An input row: forward's argument (x, or the input's name); a named one ('input S as NAME') is also
        a saved tensor that later statements read ('add with NAME', 'use NAME', context=NAME)."""
        var = self.arguments[id(row)]
        alias = row.config.get("alias") if row.config else None
        if alias is not None:
            NamedTensorSpec.saved(self)[alias] = var
        return var

    def moe(self, row, var, indent):
        """A mixture of experts written densely in forward: the router, each expert's body (written by this
        walker: the first expert's modules under the rows' names, so check compares them), then the
        MoECombine module gathers each token's top_k experts, softmax-weighted, plus the shared experts."""
        if len(row.input_shape) >= 3:
            raise DefinitionError("a mixture of experts (moe) on an image or volume cannot be written as PyTorch "
                                  "yet (its router reads the last axis, PyTorch's images are channels first); "
                                  "put it on a sequence or a vector")
        router, body = row.children[0], row.children[1]
        name, cfg = self.plan.name(row), row.config
        self.forward.append(f"{indent}# moe {name} (line {row.line}): {int(cfg.experts)} experts, top {int(cfg.top_k)}")
        logits = self.row(router, var, indent)
        outs = write_experts(self, row, lambda: self.rows(body.children, var, indent))
        experts, shared = outs[:int(cfg.experts)], outs[int(cfg.experts):]
        self.helper(MOE_HELPERS, "MoECombine")
        self.init.append(f"        self.{name} = MoECombine(top_k={int(cfg.top_k)})  # line {row.line}")
        result = self.fresh()
        self.forward.append(f"{indent}{result} = self.{name}({logits}, [{', '.join(experts)}], [{', '.join(shared)}])")
        return result


# a mixture of experts, dense: every expert ran on every token; the chosen top_k are gathered
MOE_HELPERS = {"MoECombine": '''
class MoECombine(nn.Module):
    """Each token's softmax-weighted sum of its top_k experts (by the router's logits), plus the shared
    experts; every expert ran on every token (dense), the chosen ones are gathered here."""
    def __init__(self, top_k):
        super().__init__()
        self.top_k = top_k

    def forward(self, logits, experts, shared):
        weights, chosen = logits.topk(self.top_k, dim=-1)
        weights = weights.softmax(dim=-1)
        gate = torch.zeros_like(logits).scatter(-1, chosen, weights)    # 0 for the experts not chosen
        y = (torch.stack(experts, dim=-1) * gate.unsqueeze(-2)).sum(-1)
        for out in shared:
            y = y + out
        return y
'''}


def input_layout(plan: Plan, row=None) -> tuple:
    """The shape of the input `row` (the first when None) without the batch axis, in this model's layout."""
    shape = ints(plan.net.input_shape if row is None else row.output_shape)
    if len(shape) >= 3:
        return (shape[-1],) + shape[:-1]
    return shape


def to_channels_last(shape: tuple) -> tuple:
    """A PyTorch output shape (without batch) in symparams' channels-last order."""
    shape = tuple(shape)
    if len(shape) >= 3:
        return shape[1:] + shape[:1]
    return shape


def export(net, class_name: str = "Model") -> str:
    """PyTorch source text for `net` (any convention; counted as PyTorch counts)."""
    plan = make_plan(net)
    return write(plan, class_name)


def write(plan: Plan, class_name: str = "Model") -> str:
    if not class_name.isidentifier() or class_name in RESERVED - {"Model"}:
        raise UsageError(f"class name {class_name!r} is not a Python identifier the generated file can define")
    w = _Writer(plan)
    arguments = inputs(plan)
    out = w.rows(plan.net.layers, arguments[0][1])
    helpers = "".join(w.helpers.values())
    tokens = token_input(plan)
    # forward's inputs in order: (argument, shape without the batch axis, dtype), token ids as integers
    described = ", ".join("(%r, %r, %s)" % (name, input_layout(plan, row),
                                            "torch.long" if token_input(plan, row) else "torch.float32")
                          for row, name in arguments)
    source = plan.source or "<text>"
    lines = [
        f'"""PyTorch model generated by symparams from {source}.',
        "",
        "Layouts: images and volumes channels first, sequences (batch, T, D); the comments give",
        'symparams\' output shapes (channels last, without the batch axis)."""',
        "",
        "import torch",
        "import torch.nn.functional as F",
        "from torch import nn",
        "",
        "INPUT_SHAPE = %r  # without the batch axis%s" % (input_layout(plan), "; the first input" * (len(arguments) > 1)),
        "INPUT_DTYPE = %s" % ("torch.long" if tokens else "torch.float32"),
        "# forward's inputs in order: (argument, shape without the batch axis, dtype)",
        f"INPUTS = ({described},)",
        "# the module of each leaf row, in the network's order (None: no module of its own); check reads it",
        f"LAYERS = {w.layers()!r}",
        helpers,
        "",
        f"class {class_name}(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        *(w.init or ["        pass"]),
        "",
        f"    def forward(self, {', '.join(name for _, name in arguments)}):",
        *w.forward,
        f"        return {out}",
        "",
        "",
        "def build():",
        f"    return {class_name}()",
        "",
        "",
        "def example_inputs(batch=1, device=None):",
        '    """Zeros for each of forward\'s inputs (token ids 0), `batch` examples: model(*example_inputs())."""',
        "    return tuple(torch.zeros((batch,) + shape, dtype=dtype, device=device) for _, shape, dtype in INPUTS)",
        "",
        "",
        'if __name__ == "__main__":',
        "    model = build()",
        "    print(model(*example_inputs()).shape)",
        "    print(sum(p.numel() for p in model.parameters()), \"parameters\")",
        "",
    ]
    return "\n".join(lines)
