"""A Hugging Face `config.json` as a symparams architecture file.

The config is read as JSON: neither transformers nor torch is needed. Each family's writer knows how
the Hugging Face class named first in `architectures` builds its modules from the config, and writes
the same network in the DSL, with the config's own field names as `let` symbols and its values as
their defaults, so `symparams summary` counts exactly what `<Class>(config).parameters()` holds, and
`--set hidden_size=...` (any field name) resizes it as the config would.

Fields a family cannot do without (its sizes) are required; a field transformers fills in when it is
absent (num_key_value_heads, head_dim, tie_word_embeddings, ...) takes transformers' default.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ..errors import DefinitionError

# hidden_act / feed_forward_proj -> the DSL activation written on the layer (it changes no count)
_ACTIVATIONS = {"silu": "silu", "swish": "silu", "gelu": "gelu", "gelu_new": "gelu", "gelu_pytorch_tanh": "gelu",
                "gelu_fast": "gelu", "gelu_python": "gelu", "quick_gelu": "gelu", "relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid"}


# ============================================================================ reading

def _shown(value) -> str:
    """A value from the file as an error shows it: JSON-quoted (no control characters), and short."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def read_config(path: str) -> dict:
    """The JSON object in a config.json; a clear error for anything else."""
    from ..files import read_bounded
    from ..limits import MAX_CONFIG_BYTES
    data = read_bounded(path, MAX_CONFIG_BYTES, what="config.json", error=DefinitionError)
    try:
        config = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise DefinitionError(f"{path} is not a Hugging Face config: its JSON is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        # ValueError: also an integer past Python's 4,300-digit limit for reading text
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise DefinitionError(f"{path} is not a Hugging Face config: not JSON{where}",
                              hint="give a model's config.json, a .keras file or package.module:factory"
                              ) from None
    if not isinstance(config, dict):
        raise DefinitionError(f"{path} is not a Hugging Face config: the JSON is a {type(config).__name__}, "
                              "not an object with a model_type")
    return config


_REQUIRED = object()
# the sizes a config must give (transformers would fill in its own reference model's): the width, the depth,
# the heads, the MLP's width and the vocabulary, under each family's names
_CORE_SIZES = {"vocab_size", "hidden_size", "n_embd", "d_model", "dim", "embed_dim", "num_hidden_layers", "n_layer",
               "num_layers", "n_layers", "encoder_layers", "decoder_layers", "num_attention_heads", "n_head",
               "num_heads", "n_heads", "encoder_attention_heads", "decoder_attention_heads", "intermediate_size",
               "ffn_dim", "d_ff", "hidden_dim", "encoder_ffn_dim", "decoder_ffn_dim", "moe_intermediate_size"}


@dataclass
class _Config:
    """The config's fields, asked for by name: a missing or impossible value is an error naming it. A field the
    config leaves out takes the configuration class' default (hf_defaults.DEFAULTS), and a field may be given
    under another name transformers accepts for it (hf_defaults.ALIASES): the file's symbol is then that name."""
    values: dict
    source: str
    family: str
    renamed: dict = field(default_factory=dict)     # field -> the alias the config gave it under

    def _alias(self, name: str):
        # a config giving both names: transformers 5 sets the alias (through attribute_map) after the field, so the
        # alias wins (BART's num_hidden_layers over encoder_layers, Qwen3-MoE's num_local_experts over num_experts)
        from .hf_defaults import ALIASES
        for alias, target in ALIASES.get(self.family, {}).items():
            if target == name and alias in self.values and (name not in self.values or self.values[alias] is not None):
                return alias
        return None

    def given(self, name: str) -> bool:
        """The config itself says it (under its name or an alias), null or not."""
        return name in self.values or self._alias(name) is not None

    def get(self, name: str, default=None):
        """The config's value, else the class' default (None: derived from other fields, or no such field)."""
        alias = self._alias(name)
        if alias is not None and self.values[alias] is not None:
            self.renamed[name] = alias
            return self.values[alias]
        if name in self.values:
            return self.values[name]
        from .hf_defaults import DEFAULTS
        return DEFAULTS.get(self.family, {}).get(name, default)

    def has(self, name: str) -> bool:
        return self.get(name) is not None

    def size(self, name: str, default=_REQUIRED) -> int:
        # a model's own sizes must be given; any other field (max_position_embeddings, kv_lora_rank, ...) may be
        # left to the class' default as transformers leaves it
        optional = default is not _REQUIRED or self.given(name) or name not in _CORE_SIZES
        value = self.get(name) if optional else None
        if value is None:
            if default is not None and default is not _REQUIRED:
                return default
            raise DefinitionError(f"{self.source}: the {self.family} config has no '{name}' field",
                                  hint=f"a {self.family} model's size needs it; add \"{name}\": <whole number>")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DefinitionError(f"{self.source}: '{self.renamed.get(name, name)}' is {_shown(value)}; "
                                  "expected a positive whole number")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise DefinitionError(f"{self.source}: '{name}' is {_shown(value)}; expected true or false")
        return value

    def text(self, name: str, default: str) -> str:
        value = self.get(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise DefinitionError(f"{self.source}: '{name}' is {_shown(value)}; expected a string")
        return value

    def labels(self) -> int:
        """num_labels, as transformers 5 derives it: id2label's length when the config has one (a num_labels
        beside it is only warned about), else num_labels, else the class' default (2; BART's 3)."""
        id2label = self.values.get("id2label")
        if isinstance(id2label, dict) and id2label:
            return len(id2label)
        if self.values.get("num_labels") is not None:
            return self.size("num_labels")
        from .hf_defaults import DEFAULTS
        return DEFAULTS.get(self.family, {}).get("num_labels", 2)


# ============================================================================ writing

@dataclass
class _File:
    """A DSL file under construction: `let` lines, then the network, indented by block."""
    lets: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    depth: int = 0

    def let(self, name: str, value: int, comment: str = ""):
        self.lets.append((f"let {name} = {value}", comment))

    def add(self, line: str, comment: str = ""):
        self.lines.append(("    " * self.depth + line, comment))

    def open(self, line: str, comment: str = ""):
        self.add(line + " {", comment)
        self.depth += 1

    def close(self):
        self.depth -= 1
        self.add("}")

    def render(self, header: list[str]) -> str:
        def block(items):
            # comments in one column, except after the few lines too long for it
            width = min(max((len(code) for code, comment in items if comment), default=0), 52)
            return [f"{code.ljust(width)}    # {comment}" if comment else code for code, comment in items]
        return "\n".join([f"# {line}" if line else "#" for line in header] + block(self.lets)
                         + block(self.lines)) + "\n"


def _activation(name: str) -> str:
    return _ACTIVATIONS.get(name.lower(), "")


def _with(*words: str) -> str:
    return " ".join(w for w in words if w)


# ============================================================================ families

@dataclass(frozen=True)
class _Family:
    writer: object                 # function (cfg, arch, out) -> list of header notes
    classes: tuple                 # the model classes it writes; the first of the heads is the usual one
    usual: str                     # the class written when `architectures` is absent


class _NoStructure(Exception):
    """A config whose switches this table does not write (a per-layer mixture pattern, a per-head norm):
    read through transformers' module tree instead, or refused naming the switch."""


@dataclass(frozen=True)
class _Style:
    """The switches that tell LLaMA-like decoder families apart, each read from the family's own fields.
    A new family that differs only in these is one entry of STYLES."""
    norm: str = "rmsnorm"               # the block's norms: rmsnorm, or layernorm (with its bias)
    attention_bias: str = "attention_bias"  # the field turning q/k/v/o biases on; "qkv": q, k, v always (Qwen2)
    mlp: str = "gated"                  # gated (gate x up, down) or plain (c_fc, c_proj: StarCoder2)
    mlp_bias: str = ""                  # the field turning the MLP's biases on ("" none)
    tied: bool = False                  # tie_word_embeddings' default
    act: str = "silu"                   # hidden_act's default
    head_dim: int | None = None         # head_dim's default when the class sets one (Gemma: 256)
    kv_heads: int | None = None         # num_key_value_heads' default when not the heads (StarCoder2: 2)
    sandwich: bool = False              # norms after attention and MLP too (Gemma-2)
    parallel: str = ""                  # the field making attention and MLP parallel off one norm (StableLM)
    moe: str = ""                       # "mixtral" (experts only) or "qwen2_moe" (plus a gated shared expert)
    gemma: bool = False                 # the embedding scaled by sqrt(hidden_size), norms by (1 + weight)
    refuse_qk: str = ""                 # a field that, when true, adds per-head norms this table does not write
    qk_norm: str = ""                   # attention's qk_norm: rmsnorm (each head's width: Qwen3, Gemma 3) or
                                        # rmsnorm_full (all heads at once: OLMo 2)
    post_norm: bool = False             # norms after attention and MLP only, none before (OLMo 2)
    qkv_bias: str = ""                  # a field that, when true, gives q, k and v biases (StableLM's use_qkv_bias)
    reads_head_dim: bool = True         # a head_dim in the config sets the heads' width (StableLM ignores it)


STYLES = {
    "llama": _Style(mlp_bias="mlp_bias"),
    "mistral": _Style(attention_bias=""),
    "mixtral": _Style(attention_bias="", moe="mixtral"),
    "qwen2": _Style(attention_bias="qkv"),
    "qwen2_moe": _Style(attention_bias="qkv", moe="qwen2_moe"),
    "gemma": _Style(tied=True, act="gelu_pytorch_tanh", head_dim=256, gemma=True),
    "gemma2": _Style(tied=True, act="gelu_pytorch_tanh", head_dim=256, gemma=True, sandwich=True),
    "phi3": _Style(attention_bias=""),
    "starcoder2": _Style(norm="layernorm", attention_bias="use_bias", mlp="plain", mlp_bias="use_bias", tied=True,
                         act="gelu_pytorch_tanh", kv_heads=2),
    "stablelm": _Style(norm="layernorm", attention_bias="", parallel="use_parallel_residual",
                       refuse_qk="qk_layernorm", qkv_bias="use_qkv_bias", reads_head_dim=False),
    "qwen3": _Style(head_dim=128, qk_norm="rmsnorm"),
    "qwen3_moe": _Style(qk_norm="rmsnorm", moe="qwen3_moe"),     # head_dim: hidden_size / heads unless given
    "gemma3_text": _Style(tied=True, act="gelu_pytorch_tanh", head_dim=256, gemma=True, sandwich=True,
                          qk_norm="rmsnorm"),
    "olmo2": _Style(qk_norm="rmsnorm_full", post_norm=True),
    # OLMo: LayerNorms with neither scale nor bias; clip_qkv clamps values (no weights)
    "olmo": _Style(norm="layernorm affine=false"),
}
# fields whose absence means true (StarCoder2's use_bias); any other switch field defaults to false
_TRUE_BY_DEFAULT = {"use_bias"}


def _decoder(cfg: _Config, arch: str, out: _File) -> list[str]:
    """LLaMA-like decoders: a norm before attention (grouped-query, rotary positions: no weights) and before
    the MLP (gated, plain, or a mixture of experts), a final norm, a head; the switches of STYLES."""
    family = cfg.family
    style = STYLES[family]
    if style.refuse_qk and cfg.flag(style.refuse_qk, False):
        raise _NoStructure(f"{style.refuse_qk}=true (a norm per head on the queries and keys)")
    hidden, heads = cfg.size("hidden_size"), cfg.size("num_attention_heads")
    out.let("max_position_embeddings", cfg.size("max_position_embeddings"),
            "tokens in the context (rotary positions: no weight depends on it)")
    out.let("vocab_size", cfg.size("vocab_size"))
    out.let("hidden_size", hidden)
    out.let("num_hidden_layers", cfg.size("num_hidden_layers"))
    out.let("num_attention_heads", heads)
    kv = "num_attention_heads"
    if cfg.has("num_key_value_heads") or style.kv_heads:
        out.let("num_key_value_heads", cfg.size("num_key_value_heads", style.kv_heads),
                "key/value heads shared by the query heads")
        kv = "num_key_value_heads"
    # head_dim: Gemma always sets it; the others derive hidden_size / num_attention_heads when it is absent,
    # so it is a symbol of its own only where it says something else
    key_dim = ""
    if style.head_dim or (style.reads_head_dim and cfg.has("head_dim") and cfg.size("head_dim") * heads != hidden):
        out.let("head_dim", cfg.size("head_dim", style.head_dim))
        key_dim = "key_dim=head_dim"
    elif hidden % heads:
        raise DefinitionError(f"{cfg.source}: num_attention_heads = {heads} does not divide hidden_size = {hidden}",
                              hint="give head_dim in the config")
    width, experts_field = "intermediate_size", "num_local_experts"
    if style.moe == "mixtral":
        out.let("intermediate_size", cfg.size("intermediate_size"), "the MLP's width, per expert")
        out.let("num_local_experts", cfg.size("num_local_experts"))
        out.let("num_experts_per_tok", cfg.size("num_experts_per_tok"), "experts active per token")
    elif style.moe in ("qwen2_moe", "qwen3_moe"):
        kinds = _sparse_layers(cfg)
        if not all(kinds):      # dense and sparse layers mixed: the dense ones' MLP width too
            out.let("intermediate_size", cfg.size("intermediate_size"), "the dense layers' MLP width")
        width = "moe_intermediate_size"
        out.let("moe_intermediate_size", cfg.size("moe_intermediate_size"), "each expert's width")
        if style.moe == "qwen2_moe":
            out.let("shared_expert_intermediate_size", cfg.size("shared_expert_intermediate_size"),
                    "the shared expert's width")
        # Qwen3-MoE's published configs say num_experts, transformers 5 writes num_local_experts (an alias,
        # which the file then names)
        experts_field = "num_experts"
        out.let(experts_field, cfg.size(experts_field))
        out.let("num_experts_per_tok", cfg.size("num_experts_per_tok"), "experts active per token")
    else:
        out.let("intermediate_size", cfg.size("intermediate_size"), "the MLP's width")
    tied = cfg.flag("tie_word_embeddings", style.tied)
    act = _activation(cfg.text("hidden_act", style.act))
    if (style.attention_bias == "qkv" and cfg.flag("qkv_bias", True)) or \
            (style.qkv_bias and cfg.flag(style.qkv_bias, False)):
        bias = "bias=qkv"                       # q, k and v projections with biases, the output projection without
    elif style.attention_bias and cfg.flag(style.attention_bias, style.attention_bias in _TRUE_BY_DEFAULT):
        bias = "bias=true"
    else:
        bias = "bias=false"
    on = style.mlp_bias and cfg.flag(style.mlp_bias, style.mlp_bias in _TRUE_BY_DEFAULT)
    mlp_bias = "bias=true" if on else "bias=false"
    norm = style.norm
    parallel = bool(style.parallel) and cfg.flag(style.parallel, False)

    def mlp(size: str):
        if style.mlp == "plain":
            out.add(_with(f"dense {size}", mlp_bias, act), "mlp.c_fc")
            out.add(f"dense hidden_size {mlp_bias}", "mlp.c_proj")
            return
        out.add(f"mul {{ {_with(f'dense {size}', mlp_bias, act)} }} {{ dense {size} {mlp_bias} }}",
                "gate_proj x up_proj")
        out.add(f"dense hidden_size {mlp_bias}", "down_proj")

    def feed_forward(sparse=True):
        if not sparse:
            mlp("intermediate_size")
        elif style.moe in ("mixtral", "qwen3_moe"):
            experts = "num_local_experts" if style.moe == "mixtral" else experts_field
            out.open(f"moe experts={experts} top_k=num_experts_per_tok", "mlp: gate (router), experts")
            mlp(width)
            out.close()
        elif style.moe == "qwen2_moe":
            out.open("add")
            out.open(f"moe experts={experts_field} top_k=num_experts_per_tok", "mlp: gate (router), experts")
            mlp(width)
            out.close()
            out.depth -= 1
            out.add("} {", "the shared expert, scaled by sigmoid(shared_expert_gate)")
            out.depth += 1
            out.open("mul")
            mlp("shared_expert_intermediate_size")
            out.depth -= 1
            out.add("} { dense 1 bias=false sigmoid }", "shared_expert_gate")
            out.close()
        else:
            mlp(width)

    attention = _with("attention heads=num_attention_heads", f"kv_heads={kv}", key_dim, bias,
                      f"qk_norm={style.qk_norm}" if style.qk_norm else "", "causal")
    out.add("input max_position_embeddings")
    out.add(_with("embedding vocab_size hidden_size", "name=embed_tokens" if tied else ""), "embed_tokens")
    layer_kinds = _sparse_layers(cfg) if style.moe in ("qwen2_moe", "qwen3_moe") else [True]
    notes = []
    if all(layer_kinds):
        out.open("repeat num_hidden_layers", "layers")
        _decoder_layer(out, style, norm, parallel, attention, feed_forward, True)
        out.close()
    else:
        # mlp_only_layers / decoder_sparse_step: runs of dense and sparse layers, each run a repeat of its length
        notes.append("Dense and mixture-of-experts layers alternate (mlp_only_layers, decoder_sparse_step): each "
                     "run of layers is a repeat of its length, a number (num_hidden_layers does not resize it).")
        start = 0
        while start < len(layer_kinds):
            end = start
            while end < len(layer_kinds) and layer_kinds[end] == layer_kinds[start]:
                end += 1
            out.open(f"repeat {end - start}", f"layers {start}..{end - 1}: "
                     + ("mixture of experts" if layer_kinds[start] else "dense MLP"))
            _decoder_layer(out, style, norm, parallel, attention, feed_forward, layer_kinds[start])
            out.close()
            start = end
    out.add(norm, "norm")
    if arch.endswith("ForCausalLM"):
        out.add(_with("dense vocab_size bias=false", "tied=embed_tokens" if tied else ""),
                "lm_head, tied to embed_tokens" if tied else "lm_head")
    elif arch.endswith("ForSequenceClassification"):
        out.let("num_labels", cfg.labels())
        out.add("dense num_labels bias=false", "score (read at the last token)")
    if style.gemma:
        notes.append("Gemma scales the embedding by sqrt(hidden_size) and its RMSNorm by (1 + weight): no weights.")
    if family in ("gemma2", "mistral", "starcoder2") and cfg.has("sliding_window"):
        notes.append("Sliding-window attention and logit softcapping change no weight.")
    return notes


def _decoder_layer(out: _File, style: _Style, norm: str, parallel: bool, attention: str, feed_forward, sparse: bool):
    """One decoder layer of STYLES' kind: attention and MLP (dense, or sparse: the family's mixture)."""
    if parallel:
        out.open("residual", "x + attention(norm(x)) + mlp(norm(x)): one norm, two branches")
        out.add(norm, "input_layernorm")
        out.open("add")
        out.add(attention, "self_attn: q_proj, k_proj, v_proj, o_proj")
        out.depth -= 1
        out.add("} {")
        out.depth += 1
        feed_forward(sparse)
        out.close()
        out.close()
    elif style.post_norm:
        out.open("residual")
        out.add(attention, "self_attn: q_proj, k_proj, v_proj, o_proj, q_norm, k_norm")
        out.add(norm, "post_attention_layernorm")
        out.close()
        out.open("residual")
        feed_forward(sparse)
        out.add(norm, "post_feedforward_layernorm")
        out.close()
    else:
        out.open("residual")
        out.add(norm, "input_layernorm")
        out.add(attention, "self_attn: q_proj, k_proj, v_proj, o_proj")
        if style.sandwich:
            out.add(norm, "post_attention_layernorm")
        out.close()
        out.open("residual")
        out.add(norm, "pre_feedforward_layernorm" if style.sandwich else "post_attention_layernorm")
        feed_forward(sparse)
        if style.sandwich:
            out.add(norm, "post_feedforward_layernorm")
        out.close()


def _sparse_layers(cfg: _Config) -> list[bool]:
    """Qwen-MoE: which layers have the mixture (transformers: not in mlp_only_layers, and (i + 1) a multiple of
    decoder_sparse_step), the others a dense MLP of intermediate_size."""
    layers, step = cfg.size("num_hidden_layers"), cfg.size("decoder_sparse_step", 1)
    only = cfg.get("mlp_only_layers") or []
    if not isinstance(only, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in only):
        raise DefinitionError(f"{cfg.source}: 'mlp_only_layers' is {_shown(only)}; expected a list of layer indices")
    return [i not in only and (i + 1) % step == 0 for i in range(layers)]


def _parallel(cfg: _Config, arch: str, out: _File) -> list[str]:
    """GPT-NeoX, GPT-J and Phi: each block adds attention and MLP of the same normalised input to it
    (x + attn(ln1(x)) + mlp(ln2(x)); GPT-J and Phi share one norm), with LayerNorms and dense biases."""
    family = cfg.family
    names = {"gptj": ("n_positions", "n_embd", "n_layer", "n_head", "n_inner")}.get(
        family, ("max_position_embeddings", "hidden_size", "num_hidden_layers", "num_attention_heads",
                 "intermediate_size"))
    positions, hidden, layers, heads, inner = names
    out.let(positions, cfg.size(positions), "tokens in the context (rotary positions: no weight depends on it)")
    out.let("vocab_size", cfg.size("vocab_size"))
    out.let(hidden, cfg.size(hidden))
    out.let(layers, cfg.size(layers))
    out.let(heads, cfg.size(heads))
    if family == "gptj" and not cfg.has("n_inner"):
        width = f"4*{hidden}"
    else:
        out.let(inner, cfg.size(inner), "the MLP's width")
        width = inner
    # Phi's qk_layernorm: one LayerNorm for the queries and one for the keys, shared by the heads, of
    # hidden_size / heads (PhiAttention's width whatever head_dim says: the file's qk_norm is key_dim wide)
    qk_norm = "qk_norm=layernorm" if family == "phi" and cfg.flag("qk_layernorm", False) else ""
    if qk_norm and cfg.has("head_dim") and cfg.size("head_dim") * cfg.size(heads) != cfg.size(hidden):
        raise _NoStructure("qk_layernorm=true with a head_dim other than hidden_size / heads (its norms are "
                           "hidden_size / heads wide)")
    kv = ""
    if family == "phi" and cfg.has("num_key_value_heads") and cfg.size("num_key_value_heads") != cfg.size(heads):
        out.let("num_key_value_heads", cfg.size("num_key_value_heads"))
        kv = "kv_heads=num_key_value_heads"
    act = _activation(cfg.text("activation_function" if family == "gptj" else "hidden_act",
                               {"gptj": "gelu_new", "phi": "gelu_new"}.get(family, "gelu")))
    attention_bias = {"gptj": "bias=false", "phi": ""}.get(
        family, "" if cfg.flag("attention_bias", True) else "bias=false")
    parallel = family != "gpt_neox" or cfg.flag("use_parallel_residual", True)
    shared_norm = family in ("gptj", "phi")
    tied = cfg.flag("tie_word_embeddings", False)
    embed = {"gpt_neox": "embed_in", "gptj": "wte", "phi": "embed_tokens"}[family]
    key_dim = ""
    if family == "phi" and cfg.has("head_dim") and cfg.size("head_dim") * cfg.size(heads) != cfg.size(hidden):
        out.let("head_dim", cfg.size("head_dim"))      # Phi reads head_dim when the config has one; NeoX does not
        key_dim = "key_dim=head_dim"
    attention = _with(f"attention heads={heads}", kv, key_dim, attention_bias, qk_norm, "causal")
    out.add(f"input {positions}")
    out.add(_with(f"embedding vocab_size {hidden}", f"name={embed}" if tied else ""), embed)
    out.open(f"repeat {layers}", "layers")
    if parallel and shared_norm:
        out.open("residual", "x + attn(ln(x)) + mlp(ln(x))")
        out.add("layernorm", "input_layernorm" if family == "phi" else "ln_1")
        out.open("add")
        out.add(attention, "attention: q, k, v, out")
    elif parallel:
        out.open("residual", "x + attn(ln1(x)) + mlp(ln2(x))")
        out.open("add")
        out.add("layernorm", "input_layernorm")
        out.add(attention, "attention: query_key_value, dense")
    else:
        out.open("residual")
        out.add("layernorm", "input_layernorm")
        out.add(attention, "attention: query_key_value, dense")
        out.close()
        out.open("residual")
        out.add("layernorm", "post_attention_layernorm")
    if parallel:
        out.depth -= 1
        out.add("} {")
        out.depth += 1
        if not shared_norm:
            out.add("layernorm", "post_attention_layernorm")
    out.add(_with(f"dense {width}", act), "mlp: fc_in / dense_h_to_4h")
    out.add(f"dense {hidden}", "mlp: fc_out / dense_4h_to_h")
    if parallel:
        out.close()
    out.close()
    out.close()
    out.add("layernorm", {"gpt_neox": "final_layer_norm", "gptj": "ln_f", "phi": "final_layernorm"}[family])
    if arch.endswith("ForCausalLM"):
        head_bias = "" if family in ("gptj", "phi") else "bias=false"       # GPT-J's and Phi's heads have a bias
        out.add(_with("dense vocab_size", head_bias, f"tied={embed}" if tied else ""),
                {"gpt_neox": "embed_out"}.get(family, "lm_head"))
    return ["Rotary positions (on a fraction of each head: rotary_pct, rotary_dim, partial_rotary_factor) "
            "have no weights."]


def _bloom(cfg: _Config, arch: str, out: _File) -> list[str]:
    """BLOOM: a LayerNorm right after the embedding, ALiBi positions (no weights), fused qkv with biases."""
    out.let("seq_length", 2048, "tokens in the context (ALiBi: no weight depends on it)")
    out.let("vocab_size", cfg.size("vocab_size"))
    out.let("hidden_size", cfg.size("hidden_size"))
    out.let("n_layer", cfg.size("n_layer"))
    out.let("n_head", cfg.size("n_head"))
    tied = cfg.flag("tie_word_embeddings", True)
    out.add("input seq_length")
    out.add(_with("embedding vocab_size hidden_size", "name=word_embeddings" if tied else ""), "word_embeddings")
    out.add("layernorm", "word_embeddings_layernorm")
    out.open("repeat n_layer", "h")
    out.open("residual")
    out.add("layernorm", "input_layernorm")
    out.add("attention heads=n_head causal", "self_attention: query_key_value, dense")
    out.close()
    out.open("residual")
    out.add("layernorm", "post_attention_layernorm")
    out.add("dense 4*hidden_size gelu", "mlp.dense_h_to_4h")
    out.add("dense hidden_size", "mlp.dense_4h_to_h")
    out.close()
    out.close()
    out.add("layernorm", "ln_f")
    if arch == "BloomForCausalLM":
        out.add(_with("dense vocab_size bias=false", "tied=word_embeddings" if tied else ""), "lm_head")
    return []


def _falcon(cfg: _Config, arch: str, out: _File) -> list[str]:
    """Falcon: fused qkv (multi-query, or grouped in the new decoder architecture), attention and MLP in
    parallel off one or two LayerNorms, or in sequence (parallel_attn=false)."""
    out.let("max_position_embeddings", cfg.size("max_position_embeddings", 2048),
            "tokens in the context (rotary positions: no weight depends on it)")
    out.let("vocab_size", cfg.size("vocab_size"))
    out.let("hidden_size", cfg.size("hidden_size"))
    out.let("num_hidden_layers", cfg.size("num_hidden_layers"))
    out.let("num_attention_heads", cfg.size("num_attention_heads"))
    new = cfg.flag("new_decoder_architecture", False)
    if new:
        out.let("num_kv_heads", cfg.size("num_kv_heads", cfg.size("num_attention_heads")))
        kv = "kv_heads=num_kv_heads"
    elif cfg.flag("multi_query", True):
        kv = "kv_heads=1"                          # multi-query: one key and one value head
    else:
        kv = ""                 # the old architecture without multi-query: keys and values for every head, whatever
                                # num_kv_heads says (query_key_value is 3 x hidden_size wide)
    width = "4*hidden_size"
    if cfg.has("ffn_hidden_size"):
        out.let("ffn_hidden_size", cfg.size("ffn_hidden_size"))
        width = "ffn_hidden_size"
    bias = "" if cfg.flag("bias", False) else "bias=false"
    parallel = cfg.flag("parallel_attn", True)
    # two norms (ln_attn, ln_mlp) when num_ln_in_parallel_attn is 2, or absent in the new architecture; else one
    # (transformers tests == 2: 0 or 1 both give one)
    ln_count = cfg.get("num_ln_in_parallel_attn")
    norms = 2 if ln_count == 2 or (ln_count is None and new) else 1
    tied = cfg.flag("tie_word_embeddings", True)
    attention = _with("attention heads=num_attention_heads", kv, bias, "causal")
    out.add("input max_position_embeddings")
    out.add(_with("embedding vocab_size hidden_size", "name=word_embeddings" if tied else ""), "word_embeddings")
    out.open("repeat num_hidden_layers", "h")
    if parallel and norms == 2:
        out.add(f"residual {{ add {{ layernorm; {attention} }} {{ layernorm; dense {width} {bias} gelu; "
                f"dense hidden_size {bias} }} }}".replace("  ", " "), "ln_attn, self_attention | ln_mlp, mlp")
    elif parallel:
        out.add(f"residual {{ layernorm; add {{ {attention} }} {{ dense {width} {bias} gelu; "
                f"dense hidden_size {bias} }} }}".replace("  ", " "), "input_layernorm; self_attention | mlp")
    else:
        out.add(f"residual {{ layernorm; {attention} }}", "input_layernorm, self_attention")
        out.add(f"residual {{ layernorm; dense {width} {bias} gelu; dense hidden_size {bias} }}".replace("  ", " "),
                "post_attention_layernorm, mlp")
    out.close()
    out.add("layernorm", "ln_f")
    if arch == "FalconForCausalLM":
        out.add(_with("dense vocab_size bias=false", "tied=word_embeddings" if tied else ""), "lm_head")
    return []


def _opt(cfg: _Config, arch: str, out: _File) -> list[str]:
    """OPT: learned positions with an offset of 2 rows, an optional projection of a narrower embedding, pre- or
    post-norm layers (do_layer_norm_before) with biases everywhere, a head tied to the token table."""
    out.let("max_position_embeddings", cfg.size("max_position_embeddings"), "tokens in the context")
    out.let("vocab_size", cfg.size("vocab_size"))
    out.let("hidden_size", cfg.size("hidden_size"))
    out.let("num_hidden_layers", cfg.size("num_hidden_layers"))
    out.let("num_attention_heads", cfg.size("num_attention_heads"))
    out.let("ffn_dim", cfg.size("ffn_dim"))
    project = cfg.has("word_embed_proj_dim") and cfg.size("word_embed_proj_dim") != cfg.size("hidden_size")
    embed_dim = "hidden_size"
    if project:
        out.let("word_embed_proj_dim", cfg.size("word_embed_proj_dim"))
        embed_dim = "word_embed_proj_dim"
    # layer_norm_elementwise_affine=false: every LayerNorm without scale or shift
    ln = "layernorm" if cfg.flag("layer_norm_elementwise_affine", True) else "layernorm affine=false"
    bias = "" if cfg.flag("enable_bias", True) else "bias=false"
    before = cfg.flag("do_layer_norm_before", True)
    tied = cfg.flag("tie_word_embeddings", True)
    act = _activation(cfg.text("activation_function", "relu"))
    out.add("input max_position_embeddings")
    out.add(_with(f"embedding vocab_size {embed_dim}", "name=embed_tokens" if tied else ""), "embed_tokens")
    if project:
        out.add("dense hidden_size bias=false", "project_in")
    out.add("posembed length=max_position_embeddings + 2", "embed_positions (OPT's 2-row offset)")
    out.open("repeat num_hidden_layers", "layers")
    for first, (where, body) in enumerate(((
            "self_attn_layer_norm", [(_with("attention heads=num_attention_heads", bias, "causal"),
                                      "self_attn: q_proj, k_proj, v_proj, out_proj")]),
            ("final_layer_norm", [(_with("dense ffn_dim", bias, act), "fc1"), (_with("dense hidden_size", bias),
                                                                                "fc2")]))):
        out.open("residual")
        if before:
            out.add(ln, where)
        for line, comment in body:
            out.add(line, comment)
        out.close()
        if not before:
            out.add(ln, where)
    out.close()
    if before and not cfg.flag("_remove_final_layer_norm", False):
        out.add(ln, "final_layer_norm")
    if project:
        out.add(f"dense {embed_dim} bias=false", "project_out")
    if arch == "OPTForCausalLM":
        out.add(_with("dense vocab_size bias=false", "tied=embed_tokens" if tied else ""), "lm_head")
    return []


def _gpt2(cfg: _Config, arch: str, out: _File) -> list[str]:
    """GPT-2: learned positions, pre-norm blocks with a fused qkv projection (c_attn) and a GELU MLP."""
    out.let("n_positions", cfg.size("n_positions"), "tokens in the context, and rows of the position table")
    out.let("vocab_size", cfg.size("vocab_size"))
    out.let("n_embd", cfg.size("n_embd"))
    out.let("n_layer", cfg.size("n_layer"))
    out.let("n_head", cfg.size("n_head"))
    inner = "4*n_embd"
    if cfg.has("n_inner"):
        out.let("n_inner", cfg.size("n_inner"), "the MLP's width")
        inner = "n_inner"
    act = _activation(cfg.text("activation_function", "gelu_new"))
    out.add("input n_positions")
    out.add("embedding vocab_size n_embd", "wte")
    out.add("posembed length=n_positions", "wpe")
    out.open("repeat n_layer", "h")
    out.open("residual")
    out.add("layernorm", "ln_1")
    out.add("attention heads=n_head causal", "attn: c_attn (q, k, v), c_proj")
    out.close()
    out.open("residual")
    out.add("layernorm", "ln_2")
    out.add(_with(f"dense {inner}", act), "mlp.c_fc")
    out.add("dense n_embd", "mlp.c_proj")
    out.close()
    out.close()
    out.add("layernorm", "ln_f")
    if arch == "GPT2LMHeadModel":
        if cfg.flag("tie_word_embeddings", True):
            out.add("unembed", "lm_head, tied to wte")
        else:
            out.add("dense vocab_size bias=false", "lm_head")
    return []


def _bert(cfg: _Config, arch: str, out: _File) -> list[str]:
    """BERT: word, position and token-type embeddings added and normalised; post-norm encoder layers."""
    out.let("max_position_embeddings", cfg.size("max_position_embeddings"),
            "tokens in the input, and rows of the position table")
    out.let("vocab_size", cfg.size("vocab_size"))
    out.let("hidden_size", cfg.size("hidden_size"))
    out.let("num_hidden_layers", cfg.size("num_hidden_layers"))
    out.let("num_attention_heads", cfg.size("num_attention_heads"))
    out.let("intermediate_size", cfg.size("intermediate_size"))
    roberta = cfg.family == "roberta"
    out.let("type_vocab_size", cfg.size("type_vocab_size", 1 if roberta else 2))
    act = _activation(cfg.text("hidden_act", "gelu"))
    masked = arch.endswith("ForMaskedLM")
    tied = masked and cfg.flag("tie_word_embeddings", True)
    # RoBERTa's positions start after the padding index: a table of max_position_embeddings rows, 2 fewer tokens
    tokens = "max_position_embeddings - 2" if roberta else "max_position_embeddings"
    out.add(f"input {tokens} as token_type_ids")
    out.add("embedding type_vocab_size hidden_size", "token_type_embeddings")
    out.add("save token_types")
    out.add(f"input {tokens} as input_ids")
    out.add(_with("embedding vocab_size hidden_size", "name=word_embeddings" if tied else ""), "word_embeddings")
    out.add("add with token_types")
    out.add("posembed length=max_position_embeddings", "position_embeddings")
    out.add("layernorm", "embeddings.LayerNorm")
    out.open("repeat num_hidden_layers", "encoder.layer")
    out.open("residual")
    out.add("attention heads=num_attention_heads", "attention.self (query, key, value), attention.output.dense")
    out.close()
    out.add("layernorm", "attention.output.LayerNorm")
    out.open("residual")
    out.add(_with("dense intermediate_size", act), "intermediate.dense")
    out.add("dense hidden_size", "output.dense")
    out.close()
    out.add("layernorm", "output.LayerNorm")
    out.close()
    if arch in ("BertModel", "BertForSequenceClassification", "RobertaModel"):
        out.add("clspool", "pooler: the first token")
        out.add("dense hidden_size tanh", "pooler.dense")
    if arch == "BertForSequenceClassification":
        out.let("num_labels", cfg.labels())
        out.add("dense num_labels", "classifier")
    if masked:
        out.add(_with("dense hidden_size", act), "cls.predictions.transform.dense")
        out.add("layernorm", "cls.predictions.transform.LayerNorm")
        out.add("dense vocab_size tied=word_embeddings" if tied else "dense vocab_size",
                "cls.predictions.decoder: the word embeddings reused, a bias of its own" if tied
                else "cls.predictions.decoder")
        if not tied:
            # untied, the decoder's bias and the head's own `bias` are two tensors (tied, one)
            out.add("save logits")
            out.add("parameter vocab_size", "the head's bias (lm_head.bias / cls.predictions.bias), beside the "
                    "decoder's own")
            out.add("use logits")
    return []


def _distilbert(cfg: _Config, arch: str, out: _File) -> list[str]:
    """DistilBERT: word and position embeddings (no token types) added and normalised, post-norm layers as
    BERT's, no pooler; the masked-LM head (transform, norm, a projector tied to the word embeddings with a bias
    of its own), or the classifier's pre_classifier + ReLU on the first token."""
    out.let("max_position_embeddings", cfg.size("max_position_embeddings"),
            "tokens in the input, and rows of the position table")
    out.let("vocab_size", cfg.size("vocab_size"))
    out.let("dim", cfg.size("dim"))
    out.let("n_layers", cfg.size("n_layers"))
    out.let("n_heads", cfg.size("n_heads"))
    out.let("hidden_dim", cfg.size("hidden_dim"))
    act = _activation(cfg.text("activation", "gelu"))
    masked = arch == "DistilBertForMaskedLM"
    tied = masked and cfg.flag("tie_word_embeddings", True)
    out.add("input max_position_embeddings")
    out.add(_with("embedding vocab_size dim", "name=word_embeddings" if tied else ""), "embeddings.word_embeddings")
    # sinusoidal_pos_embds fills the table with sines at initialisation: it stays a parameter (transformers 5)
    out.add("posembed length=max_position_embeddings", "embeddings.position_embeddings")
    out.add("layernorm", "embeddings.LayerNorm")
    out.open("repeat n_layers", "transformer.layer")
    out.add("residual { attention heads=n_heads }", "attention: q_lin, k_lin, v_lin, out_lin")
    out.add("layernorm", "sa_layer_norm")
    out.add(_with("residual { dense hidden_dim", act, "; dense dim }"), "ffn: lin1, lin2")
    out.add("layernorm", "output_layer_norm")
    out.close()
    if masked:
        out.add(_with("dense dim", act), "vocab_transform")
        out.add("layernorm", "vocab_layer_norm")
        out.add("dense vocab_size tied=word_embeddings" if tied else "dense vocab_size",
                "vocab_projector: the word embeddings reused, a bias of its own" if tied else "vocab_projector")
    elif arch == "DistilBertForSequenceClassification":
        out.let("num_labels", cfg.labels())
        out.add("clspool", "the first token")
        out.add("dense dim relu", "pre_classifier")
        out.add("dense num_labels", "classifier")
    elif arch in ("DistilBertForTokenClassification", "DistilBertForQuestionAnswering"):
        out.let("num_labels", cfg.labels())
        out.add("dense num_labels", "classifier" if arch.endswith("TokenClassification") else
                "qa_outputs: start and end logits")
    return []


def _bart(cfg: _Config, arch: str, out: _File) -> list[str]:
    """BART: one token table shared by encoder, decoder and head; learned positions with a 2-row offset and a
    LayerNorm on the embeddings in each stack; post-norm layers with biases everywhere; the decoder attends to
    the encoder's output."""
    if not cfg.flag("tie_word_embeddings", True):
        # untied, shared, encoder.embed_tokens and decoder.embed_tokens are three tables (shared unused)
        raise _NoStructure("tie_word_embeddings=false (three token tables, one never read)")
    out.let("max_position_embeddings", cfg.size("max_position_embeddings"),
            "tokens into each stack, and rows of its position table (+ 2)")
    out.let("vocab_size", cfg.size("vocab_size"))
    out.let("d_model", cfg.size("d_model"))
    for stack in ("encoder", "decoder"):
        out.let(f"{stack}_layers", cfg.size(f"{stack}_layers"))
        out.let(f"{stack}_attention_heads", cfg.size(f"{stack}_attention_heads"))
        out.let(f"{stack}_ffn_dim", cfg.size(f"{stack}_ffn_dim"))
    act = _activation(cfg.text("activation_function", "gelu"))

    def embeddings(stack):
        out.add("posembed length=max_position_embeddings + 2", f"{stack}.embed_positions (BART's 2-row offset)")
        out.add("layernorm", f"{stack}.layernorm_embedding")

    def feed_forward(stack):
        out.add(_with(f"residual {{ dense {stack}_ffn_dim", act, "; dense d_model }"), "fc1, fc2")
        out.add("layernorm", "final_layer_norm")

    out.add("input max_position_embeddings")
    out.add("embedding vocab_size d_model name=shared", "shared (encoder.embed_tokens, scaled by sqrt(d_model) "
            "when scale_embedding)")
    embeddings("encoder")
    out.open("repeat encoder_layers", "encoder.layers")
    out.add("residual { attention heads=encoder_attention_heads }", "self_attn: q_proj, k_proj, v_proj, out_proj")
    out.add("layernorm", "self_attn_layer_norm")
    feed_forward("encoder")
    out.close()
    out.add("save encoder")
    out.add("input max_position_embeddings as decoder_input_ids")
    out.add("embedding tied=shared", "decoder.embed_tokens: the shared table")
    embeddings("decoder")
    out.open("repeat decoder_layers", "decoder.layers")
    out.add("residual { attention heads=decoder_attention_heads causal }", "self_attn")
    out.add("layernorm", "self_attn_layer_norm")
    out.add("residual { attention heads=decoder_attention_heads context=encoder }", "encoder_attn")
    out.add("layernorm", "encoder_attn_layer_norm")
    feed_forward("decoder")
    out.close()
    notes = []
    if arch == "BartForConditionalGeneration":
        out.add("dense vocab_size bias=false tied=shared", "lm_head, tied to shared")
        notes.append("final_logits_bias is a buffer (not a parameter).")
    elif arch == "BartForSequenceClassification":
        out.let("num_labels", cfg.labels())
        out.add("clspool", "the last end-of-sequence token's state")
        out.add("dense d_model tanh", "classification_head.dense")
        out.add("dense num_labels", "classification_head.out_proj")
    elif arch == "BartForQuestionAnswering":
        # (BartForQuestionAnswering sets config.num_labels = 2 itself, whatever the config says)
        out.add("dense 2", "qa_outputs: start and end logits")
    return notes


def _t5(cfg: _Config, arch: str, out: _File) -> list[str]:
    """T5: one shared token table, pre-norm layers with RMS norms and no biases, a relative position bias
    in each stack's first self-attention, the decoder attending to the encoder's output."""
    proj = cfg.text("feed_forward_proj", "relu")
    # a config transformers saved also says is_gated_act and dense_act_fn, derived from feed_forward_proj, and
    # transformers reads those (a saved value wins over the derivation)
    gated = cfg.flag("is_gated_act", proj.startswith("gated-"))
    act = _activation(cfg.text("dense_act_fn", proj.split("-", 1)[-1]))
    out.let("encoder_length", 512, "tokens into the encoder (no weight depends on it)")
    if arch != "T5EncoderModel":
        out.let("decoder_length", 512, "tokens into the decoder (no weight depends on it)")
    out.let("vocab_size", cfg.size("vocab_size"))
    out.let("d_model", cfg.size("d_model"))
    out.let("d_kv", cfg.size("d_kv"), "width of one head")
    out.let("d_ff", cfg.size("d_ff"))
    out.let("num_layers", cfg.size("num_layers"))
    if arch != "T5EncoderModel":
        out.let("num_decoder_layers", cfg.size("num_decoder_layers", cfg.size("num_layers")))
    out.let("num_heads", cfg.size("num_heads"))
    out.let("relative_attention_num_buckets", cfg.size("relative_attention_num_buckets", 32))
    attention = "attention heads=num_heads key_dim=d_kv bias=false"
    relbias = "relbias=relative_attention_num_buckets"

    out.open("block feed_forward()", "layer[-1]: DenseReluDense")
    out.open("residual")
    out.add("rmsnorm", "layer_norm")
    if gated:
        out.add(f"mul {{ {_with('dense d_ff bias=false', act)} }} {{ dense d_ff bias=false }}", "wi_0 x wi_1")
    else:
        out.add(_with("dense d_ff bias=false", act), "wi")
    out.add("dense d_model bias=false", "wo")
    out.close()
    out.close()

    def self_attention(first: bool, causal: bool):
        out.open("residual")
        out.add("rmsnorm", "layer_norm")
        out.add(_with(attention, "causal" if causal else "", relbias if first else ""),
                "SelfAttention: q, k, v, o" + (", relative_attention_bias" if first else ""))
        out.close()

    def stack(layers: str, decoder: bool):
        for first in (True, False):
            if not first:
                out.open(f"repeat {layers} - 1")
            self_attention(first, decoder)
            if decoder:
                out.open("residual")
                out.add("rmsnorm", "layer_norm")
                out.add(_with(attention, "context=encoder"), "EncDecAttention: q, k, v, o")
                out.close()
            out.add("feed_forward()")
            if not first:
                out.close()
        out.add("rmsnorm", "final_layer_norm")

    out.add("input encoder_length")
    out.add("embedding vocab_size d_model name=shared", "shared")
    stack("num_layers", decoder=False)
    if arch == "T5EncoderModel":
        return []
    out.add("save encoder")
    out.add("input decoder_length as decoder_input_ids")
    out.add("embedding tied=shared", "decoder.embed_tokens: the shared table")
    stack("num_decoder_layers", decoder=True)
    notes = []
    if arch == "T5ForConditionalGeneration":
        untied = not cfg.flag("tie_word_embeddings", True)
        if untied and _transformers_major() >= 5:
            # transformers 5 ties T5's head whatever the config says (tie_word_embeddings=false now only turns
            # off the d_model^-0.5 output scaling); v4, and the T5 v1.1 / Flan checkpoints, keep a head of its own
            untied = False
            notes.append("tie_word_embeddings=false: transformers 5 (installed here) ties lm_head to shared all the "
                         "same; under transformers 4 and in v1.1/Flan checkpoints lm_head is vocab_size x d_model more.")
        if untied:
            out.add("dense vocab_size bias=false", "lm_head")
        else:
            out.add("dense vocab_size bias=false tied=shared", "lm_head, tied to shared")
    return notes


def _transformers_major() -> int:
    """The installed transformers' major version (read from its metadata, without importing it); 0 if none."""
    from importlib import metadata
    try:
        return int(metadata.version("transformers").split(".")[0])
    except (metadata.PackageNotFoundError, ValueError):
        return 0


def _whisper(cfg: _Config, arch: str, out: _File) -> list[str]:
    """Whisper: two 1-D convolutions over the log-mel frames (the second halves them), a frozen sinusoidal
    position table, pre-norm encoder layers; a decoder with learned positions, self-attention, attention to
    the encoder's output, and a head tied to its token table. Attention biases q, v and the output, not k."""
    out.let("max_source_positions", cfg.size("max_source_positions", 1500), "encoder positions (2 input frames each)")
    out.let("max_target_positions", cfg.size("max_target_positions", 448), "decoder tokens, and rows of its table")
    out.let("num_mel_bins", cfg.size("num_mel_bins", 80))
    out.let("vocab_size", cfg.size("vocab_size"))
    out.let("d_model", cfg.size("d_model"))
    for stack in ("encoder", "decoder"):
        out.let(f"{stack}_layers", cfg.size(f"{stack}_layers"))
        out.let(f"{stack}_attention_heads", cfg.size(f"{stack}_attention_heads"))
        out.let(f"{stack}_ffn_dim", cfg.size(f"{stack}_ffn_dim"))
    act = _activation(cfg.text("activation_function", "gelu"))
    tied = cfg.flag("tie_word_embeddings", True)

    def feed_forward(stack):
        out.open("residual")
        out.add("layernorm", "final_layer_norm")
        out.add(_with(f"dense {stack}_ffn_dim", act), "fc1")
        out.add("dense d_model", "fc2")
        out.close()

    out.add("input 2*max_source_positions x num_mel_bins", "input_features (frames x mel bins)")
    out.add("conv d_model 3 padding=1 gelu", "encoder.conv1")
    out.add("conv d_model 3 stride=2 padding=1 gelu", "encoder.conv2")
    out.add("posembed length=max_source_positions trainable=false", "encoder.embed_positions (sinusoids, frozen)")
    out.open("repeat encoder_layers", "encoder.layers")
    out.add("residual { layernorm; attention heads=encoder_attention_heads bias=qvo }",
            "self_attn_layer_norm, self_attn: q_proj, k_proj (no bias), v_proj, out_proj")
    feed_forward("encoder")
    out.close()
    out.add("layernorm", "encoder.layer_norm")
    if arch == "WhisperForAudioClassification":
        raise _NoStructure("the audio classification head")
    out.add("save encoder")
    out.add("input max_target_positions as decoder_input_ids")
    out.add("embedding vocab_size d_model name=embed_tokens", "decoder.embed_tokens")
    out.add("posembed length=max_target_positions", "decoder.embed_positions (learned)")
    out.open("repeat decoder_layers", "decoder.layers")
    out.add("residual { layernorm; attention heads=decoder_attention_heads bias=qvo causal }", "self_attn")
    out.add("residual { layernorm; attention heads=decoder_attention_heads bias=qvo context=encoder }",
            "encoder_attn_layer_norm, encoder_attn")
    feed_forward("decoder")
    out.close()
    out.add("layernorm", "decoder.layer_norm")
    if arch == "WhisperForConditionalGeneration":
        out.add(_with("dense vocab_size bias=false", "tied=embed_tokens" if tied else ""),
                "proj_out, tied to embed_tokens" if tied else "proj_out")
    return []


def _mamba(cfg: _Config, arch: str, out: _File) -> list[str]:
    """Mamba: pre-norm residual blocks around the selective state-space mixer, no attention and no positions."""
    out.let("context", 2048, "tokens (no weight depends on it: a Mamba has no position table)")
    out.let("vocab_size", cfg.size("vocab_size"))
    hidden = cfg.size("hidden_size")
    out.let("hidden_size", hidden)
    out.let("num_hidden_layers", cfg.size("num_hidden_layers"))
    out.let("state_size", cfg.size("state_size", 16))
    out.let("conv_kernel", cfg.size("conv_kernel", 4))
    out.let("expand", cfg.size("expand", 2))
    if cfg.has("intermediate_size") and cfg.size("intermediate_size") != cfg.size("expand", 2) * hidden:
        raise _NoStructure(f"intermediate_size={cfg.size('intermediate_size')} other than expand * hidden_size")
    rank = cfg.get("time_step_rank", "auto")
    dt = ""
    if rank != "auto" and cfg.size("time_step_rank") != -(-hidden // 16):
        out.let("time_step_rank", cfg.size("time_step_rank"))
        dt = "dt_rank=time_step_rank"
    tied = cfg.flag("tie_word_embeddings", True)
    mixer = _with("mamba d_state=state_size d_conv=conv_kernel expand=expand", dt,
                  "bias=true" if cfg.flag("use_bias", False) else "",
                  "" if cfg.flag("use_conv_bias", True) else "conv_bias=false")
    out.add("input context")
    out.add(_with("embedding vocab_size hidden_size", "name=embeddings" if tied else ""), "backbone.embeddings")
    out.open("repeat num_hidden_layers", "backbone.layers")
    out.add(f"residual {{ rmsnorm; {mixer} }}", "norm, mixer: in_proj, conv1d, x_proj, dt_proj, A_log, D, out_proj")
    out.close()
    out.add("rmsnorm", "backbone.norm_f")
    if arch == "MambaForCausalLM":
        out.add(_with("dense vocab_size bias=false", "tied=embeddings" if tied else ""), "lm_head")
    return []


def _deepseek(cfg: _Config, arch: str, out: _File) -> list[str]:
    """DeepSeek-V2 and V3: multi-head latent attention in every layer; the first first_k_dense_replace layers
    with a dense SwiGLU MLP, the others with a mixture of n_routed_experts routed experts (top
    num_experts_per_tok) and n_shared_experts shared ones of the same width."""
    layers, dense = cfg.size("num_hidden_layers"), cfg.get("first_k_dense_replace") or 0
    if not isinstance(dense, int) or isinstance(dense, bool) or dense < 0:
        raise DefinitionError(f"{cfg.source}: 'first_k_dense_replace' is {_shown(dense)}; expected a whole number")
    out.let("max_position_embeddings", cfg.size("max_position_embeddings"),
            "tokens in the context (rotary positions: no weight depends on it)")
    out.let("vocab_size", cfg.size("vocab_size"))
    out.let("hidden_size", cfg.size("hidden_size"))
    out.let("num_hidden_layers", layers)
    out.let("num_attention_heads", cfg.size("num_attention_heads"))
    out.let("kv_lora_rank", cfg.size("kv_lora_rank"), "the key/value latent: what the KV cache holds")
    q_lora = ""
    if cfg.has("q_lora_rank"):
        out.let("q_lora_rank", cfg.size("q_lora_rank"))
        q_lora = "q_lora_rank=q_lora_rank"
    for name in ("qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim"):
        out.let(name, cfg.size(name))
    if dense:
        out.let("intermediate_size", cfg.size("intermediate_size"), "the dense layers' MLP width")
    # the experts are written whenever the config has them, even when every layer is dense (a repeat of 0
    # passes), so --set num_hidden_layers=... past first_k_dense_replace adds mixture layers as transformers does
    if cfg.has("n_routed_experts"):
        if dense:
            out.let("first_k_dense_replace", dense, "layers with a dense MLP first")
        out.let("moe_intermediate_size", cfg.size("moe_intermediate_size"), "each expert's width")
        out.let("n_routed_experts", cfg.size("n_routed_experts"))
        out.let("num_experts_per_tok", cfg.size("num_experts_per_tok"), "routed experts active per token")
        shared = cfg.get("n_shared_experts") or 0
        if shared:
            out.let("n_shared_experts", cfg.size("n_shared_experts"), "experts every token uses")
    tied = cfg.flag("tie_word_embeddings", False)
    bias = "bias=true" if cfg.flag("attention_bias", False) else ""
    attention = _with("mla heads=num_attention_heads kv_lora_rank=kv_lora_rank", q_lora,
                      "qk_rope_head_dim=qk_rope_head_dim qk_nope_head_dim=qk_nope_head_dim v_head_dim=v_head_dim",
                      bias, "causal")

    # mlp_bias (V2): biases on the dense MLPs and the shared experts, none on the routed experts (one tensor each)
    mlp_bias = cfg.family == "deepseek_v2" and cfg.flag("mlp_bias", False)

    def mlp(width, bias=False):
        on = "bias=true" if bias else "bias=false"
        out.add(f"mul {{ dense {width} {on} silu }} {{ dense {width} {on} }}", "gate_proj x up_proj")
        out.add(f"dense hidden_size {on}", "down_proj")

    def layer(moe: bool):
        out.add(f"residual {{ rmsnorm; {attention} }}",
                "input_layernorm; self_attn: q (a, b), kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj, o_proj")
        out.open("residual")
        out.add("rmsnorm", "post_attention_layernorm")
        if moe and mlp_bias and shared:
            # the shared experts as one MLP of their summed width, with biases, beside the routed ones
            out.open("add")
            out.open("moe experts=n_routed_experts top_k=num_experts_per_tok", "mlp: gate (router), experts")
            mlp("moe_intermediate_size")
            out.close()
            out.depth -= 1
            out.add("} {", "mlp.shared_experts: one MLP, moe_intermediate_size x n_shared_experts wide, biased")
            out.depth += 1
            mlp("moe_intermediate_size * n_shared_experts", True)
            out.close()
        elif moe:
            out.open(_with("moe experts=n_routed_experts top_k=num_experts_per_tok",
                           "shared=n_shared_experts" if shared else ""), "mlp: gate (router), experts, shared_experts")
            mlp("moe_intermediate_size")
            out.close()
        else:
            mlp("intermediate_size", mlp_bias)
        out.close()

    out.add("input max_position_embeddings")
    out.add(_with("embedding vocab_size hidden_size", "name=embed_tokens" if tied else ""), "embed_tokens")
    if dense:
        # more dense layers asked for than there are layers: every layer dense (transformers tests i < first_k)
        over = dense > layers
        out.open(("repeat min(first_k_dense_replace, num_hidden_layers)" if over else "repeat first_k_dense_replace")
                 if cfg.has("n_routed_experts") else "repeat num_hidden_layers",
                 "dense layers")
        layer(False)
        out.close()
    if cfg.has("n_routed_experts"):
        out.open(("repeat max(num_hidden_layers - first_k_dense_replace, 0)" if dense > layers else
                  "repeat num_hidden_layers - first_k_dense_replace") if dense else "repeat num_hidden_layers",
                 "mixture-of-experts layers")
        layer(True)
        out.close()
    out.add("rmsnorm", "norm")
    if arch.endswith("ForCausalLM"):
        out.add(_with("dense vocab_size bias=false", "tied=embed_tokens" if tied else ""), "lm_head")
    notes = ["The KV cache holds the latent (kv_lora_rank) and one rotary key (qk_rope_head_dim) per token."]
    if cfg.family == "deepseek_v3":
        notes.append("V3's router keeps a score-correction bias per expert as a buffer (not a parameter).")
    return notes


def _vit(cfg: _Config, arch: str, out: _File) -> list[str]:
    """ViT: a patch embedding (a strided convolution), a class token, learned positions, pre-norm encoder
    layers, a final LayerNorm; ViTModel's pooler (dense + tanh on the class token) or the classifier."""
    if not cfg.flag("qkv_bias", True):
        raise _NoStructure("qkv_bias=false (no query/key/value biases, an output bias)")
    out.let("image_size", cfg.size("image_size", 224))
    out.let("patch_size", cfg.size("patch_size", 16))
    out.let("num_channels", cfg.size("num_channels", 3))
    out.let("hidden_size", cfg.size("hidden_size", 768))
    out.let("num_hidden_layers", cfg.size("num_hidden_layers", 12))
    out.let("num_attention_heads", cfg.size("num_attention_heads", 12))
    out.let("intermediate_size", cfg.size("intermediate_size", 3072))
    act = _activation(cfg.text("hidden_act", "gelu"))
    # a head_dim in the config (not a ViTConfig field, but ViT's attention reads it when given) sets the heads' width
    key_dim = ""
    if cfg.has("head_dim") and cfg.size("head_dim") * cfg.size("num_attention_heads", 12) != cfg.size("hidden_size", 768):
        out.let("head_dim", cfg.size("head_dim"))
        key_dim = " key_dim=head_dim"
    out.add("input image_size x image_size x num_channels")
    out.add("conv hidden_size patch_size stride=patch_size", "embeddings.patch_embeddings.projection")
    out.add("reshape -1 x hidden_size", "the patches as a sequence")
    out.add("clstoken", "embeddings.cls_token")
    out.add("posembed", "embeddings.position_embeddings")
    out.open("repeat num_hidden_layers", "encoder.layer")
    out.add(f"residual {{ layernorm; attention heads=num_attention_heads{key_dim} }}",
            "layernorm_before, attention: query, key, value, output.dense")
    out.add(_with("residual { layernorm; dense intermediate_size", act, "; dense hidden_size }"),
            "layernorm_after, intermediate.dense, output.dense")
    out.close()
    out.add("layernorm", "layernorm")
    out.add("clspool", "the class token")
    if arch == "ViTModel":
        pooled = "hidden_size"
        if cfg.has("pooler_output_size") and cfg.size("pooler_output_size") != cfg.size("hidden_size", 768):
            out.let("pooler_output_size", cfg.size("pooler_output_size"))
            pooled = "pooler_output_size"
        out.add(_with(f"dense {pooled}", _activation(cfg.text("pooler_act", "tanh"))), "pooler.dense")
    else:
        out.let("num_labels", cfg.labels())
        out.add("dense num_labels", "classifier")
    return []


def _clip(cfg: _Config, arch: str, out: _File) -> list[str]:
    """CLIP: a text tower (token and position tables, pre-norm layers, a final norm, the end-of-text token) and a
    vision tower (a patch convolution without bias, a class embedding, positions, a norm before the layers and
    one on the class token), each with a projection without bias to projection_dim; CLIPModel also learns
    logit_scale. Inside a CLIPConfig the towers' fields are text_config's and vision_config's: the file names
    them text_<field> and vision_<field>."""
    notes = []
    if cfg.family == "clip":
        from .hf_defaults import DEFAULTS
        towers = []
        for kind in ("text", "vision"):
            sub = cfg.get(f"{kind}_config") or {}
            if not isinstance(sub, dict):
                raise DefinitionError(f"{cfg.source}: '{kind}_config' is {_shown(sub)}; expected an object")
            towers.append((kind, _Config(sub, f"{cfg.source} ({kind}_config)", f"clip_{kind}_model"),
                           f"{kind}_"))
        notes.append("text_<field> and vision_<field> are the fields of text_config and vision_config.")
        del DEFAULTS        # (the towers read their own classes' defaults)
    else:
        kind = cfg.family.split("_")[1]
        towers = [(kind, cfg, "")]
    projected = arch in ("CLIPModel", "CLIPTextModelWithProjection", "CLIPVisionModelWithProjection")
    if projected:
        out.let("projection_dim", cfg.size("projection_dim", cfg.get("projection_dim") or 512))
    for n, (kind, tower, prefix) in enumerate(towers):
        def let(name, comment=""):
            out.let(prefix + name, tower.size(name, tower.get(name)), comment)
            return prefix + name
        hidden = let("hidden_size")
        layers = let("num_hidden_layers")
        heads = let("num_attention_heads")
        inner = let("intermediate_size")
        act = _activation(tower.text("hidden_act", "quick_gelu"))
        if kind == "text":
            positions = let("max_position_embeddings", "tokens in the text, and rows of the position table")
            vocab = let("vocab_size")
            out.add(f"input {positions}" + (" as input_ids" if n else ""))
            out.add(f"embedding {vocab} {hidden}", "text_model.embeddings.token_embedding")
            out.add(f"posembed length={positions}", "text_model.embeddings.position_embedding")
        else:
            image, patch = let("image_size"), let("patch_size")
            channels = let("num_channels")
            out.add(f"input {image} x {image} x {channels}" + (" as pixel_values" if n else ""))
            out.add(f"conv {hidden} {patch} stride={patch} bias=false", "vision_model.embeddings.patch_embedding")
            out.add(f"reshape -1 x {hidden}", "the patches as a sequence")
            out.add("clstoken", "vision_model.embeddings.class_embedding")
            out.add("posembed", "vision_model.embeddings.position_embedding (patches + 1)")
            out.add("layernorm", "vision_model.pre_layrnorm")
        out.open(f"repeat {layers}", f"{kind}_model.encoder.layers")
        out.add(f"residual {{ layernorm; attention heads={heads} }}", "layer_norm1, self_attn: q, k, v, out_proj")
        out.add(_with(f"residual {{ layernorm; dense {inner}", act, f"; dense {hidden} }}"), "layer_norm2, mlp: fc1, fc2")
        out.close()
        if kind == "text":
            out.add("layernorm", "text_model.final_layer_norm")
            out.add("clspool", "the end-of-text token's state")
        else:
            out.add("clspool", "the class token")
            out.add("layernorm", "vision_model.post_layernorm")
        if projected:
            out.add("dense projection_dim bias=false", "text_projection" if kind == "text" else "visual_projection")
        if len(towers) > 1 and n == 0:
            out.add("save text_embeds")
    if arch == "CLIPModel":
        out.add("parameter 1", "logit_scale (a learned scalar; the file's output is it, not the similarity matrix)")
    return notes


def _sizes(cfg: _Config, name: str, count: int | None = None) -> list[int]:
    """A list field of positive whole numbers (ConvNeXt's hidden_sizes, Swin's depths), as given or defaulted."""
    value = cfg.get(name)
    if not isinstance(value, (list, tuple)) or not value or \
            not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        raise DefinitionError(f"{cfg.source}: '{name}' is {_shown(value)}; expected a list of positive whole numbers")
    if count is not None and len(value) != count:
        raise _NoStructure(f"{name} with {len(value)} entries for {count} stages")
    return list(value)


def _convnext(cfg: _Config, arch: str, out: _File) -> list[str]:
    """ConvNeXt: a patchify stem (a strided convolution and a LayerNorm), stages of blocks (7x7 depthwise
    convolution, LayerNorm, a 4x-wide MLP on the channels, a per-channel layer scale, the shortcut), a
    LayerNorm and a 2x2 stride-2 convolution between stages; the mean, a LayerNorm, the classifier. A list
    field's entries are the symbols <field>_<index> (hidden_sizes_0 = hidden_sizes[0])."""
    stages = cfg.size("num_stages", cfg.get("num_stages") or 4)
    widths, depths = _sizes(cfg, "hidden_sizes", stages), _sizes(cfg, "depths", stages)
    out.let("image_size", cfg.size("image_size", 224), "input side (no weight depends on it)")
    out.let("num_channels", cfg.size("num_channels", 3))
    out.let("patch_size", cfg.size("patch_size", 4))
    for i, (width, depth) in enumerate(zip(widths, depths)):
        out.let(f"hidden_sizes_{i}", width)
        out.let(f"depths_{i}", depth)
    scale = cfg.get("layer_scale_init_value", 1e-6)
    if not isinstance(scale, (int, float)) or isinstance(scale, bool):
        raise DefinitionError(f"{cfg.source}: 'layer_scale_init_value' is {_shown(scale)}; expected a number")
    act = _activation(cfg.text("hidden_act", "gelu"))
    out.open("block convnext(d)", "encoder.stages[i].layers[j]")
    out.open("residual")
    out.add("dwconv 7x7 padding=3", "dwconv")
    out.add("layernorm", "layernorm")
    out.add(_with("dense 4*d", act), "pwconv1")
    out.add("dense d", "pwconv2")
    if scale > 0:
        out.add("layerscale", "layer_scale_parameter (layer_scale_init_value > 0)")
    out.close()
    out.close()
    out.add("input image_size x image_size x num_channels")
    out.add("conv hidden_sizes_0 patch_size stride=patch_size", "embeddings.patch_embeddings")
    out.add("layernorm", "embeddings.layernorm")
    for i in range(stages):
        if i:
            out.add("layernorm", f"encoder.stages.{i}.downsampling_layer")
            out.add(f"conv hidden_sizes_{i} 2x2 stride=2")
        out.add(f"repeat depths_{i} {{ convnext(hidden_sizes_{i}) }}", f"encoder.stages.{i}.layers")
    out.add("globalavgpool", "the mean over positions")
    out.add("layernorm", "layernorm (ConvNextModel's pooler norm)")
    if arch == "ConvNextForImageClassification":
        out.let("num_labels", cfg.labels())
        out.add("dense num_labels", "classifier")
    return []


def _swin(cfg: _Config, arch: str, out: _File) -> list[str]:
    """Swin: a patch embedding (a strided convolution, a LayerNorm), stages of blocks (LayerNorm, attention in
    windows, every second block's windows shifted, with a relative position bias; LayerNorm, an MLP), a patch
    merging between stages (2x2 positions into the channels, a LayerNorm, a dense layer halving them); a final
    LayerNorm, the mean, the classifier. A window as large as the map shrinks to it, unshifted, as transformers
    does. List entries are the symbols depths_<i> and num_heads_<i>."""
    depths = _sizes(cfg, "depths")
    heads = _sizes(cfg, "num_heads", len(depths))
    if cfg.flag("use_absolute_embeddings", False):
        raise _NoStructure("use_absolute_embeddings=true (a position table of patches + 1 rows)")
    image, patch = cfg.size("image_size", 224), cfg.size("patch_size", 4)
    window = cfg.size("window_size", 7)
    ratio = cfg.get("mlp_ratio", 4.0)
    if not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or ratio <= 0:
        raise DefinitionError(f"{cfg.source}: 'mlp_ratio' is {_shown(ratio)}; expected a positive number")
    out.let("image_size", image, "input side")
    out.let("num_channels", cfg.size("num_channels", 3))
    out.let("patch_size", patch)
    out.let("embed_dim", cfg.size("embed_dim", 96))
    out.let("window_size", window)
    for i, (depth, head) in enumerate(zip(depths, heads)):
        out.let(f"depths_{i}", depth)
        out.let(f"num_heads_{i}", head)
    bias = "" if cfg.flag("qkv_bias", True) else " bias=false"
    act = _activation(cfg.text("hidden_act", "gelu"))
    out.add("input image_size x image_size x num_channels")
    out.add("conv embed_dim patch_size stride=patch_size", "embeddings.patch_embeddings.projection")
    out.add("layernorm", "embeddings.norm")
    side = image // patch
    for i, depth in enumerate(depths):
        dim = "embed_dim" if i == 0 else f"{2 ** i}*embed_dim"
        width = f"{int(ratio)}*{dim}" if float(ratio).is_integer() else str(int(ratio * cfg.size("embed_dim", 96)
                                                                                * 2 ** i))
        small = side <= window         # transformers: the window is the whole map, and no shift
        # (its table: (2 * window_size - 1)^2 rows under transformers 5, which shrinks the window only in forward;
        # transformers 4 built it for the shrunk window)
        win = str(side) if small and _transformers_major() == 4 else "window_size"
        def block(shift):
            out.add(f"residual {{ layernorm; windowattention heads=num_heads_{i} window={win} shift={shift}{bias} }}",
                    "layernorm_before, attention (query, key, value, output, relative_position_bias_table)")
            out.add(_with(f"residual {{ layernorm; dense {width}", act, f"; dense {dim} }}"),
                    "layernorm_after, intermediate, output")
        if small:           # every block unshifted
            out.open(f"repeat depths_{i}", f"encoder.layers.{i}.blocks")
            block("0")
            out.close()
            continue_pairs = False
        else:               # pairs of an unshifted and a shifted block, and a last unshifted one if odd
            out.open(f"repeat depths_{i} // 2", f"encoder.layers.{i}.blocks, in pairs")
            block("0")
            block("window_size // 2")
            out.close()
            continue_pairs = depth % 2 == 1
        if continue_pairs:
            block("0")
        if i < len(depths) - 1:
            out.add("pixelunshuffle 2 order=swin", f"encoder.layers.{i}.downsample: 2x2 positions into the channels, "
                    "column by column")
            out.add("layernorm", "downsample.norm")
            out.add(f"dense {2 ** (i + 1)}*embed_dim bias=false", "downsample.reduction")
            side = (side + 1) // 2
    out.add("layernorm", "layernorm")
    out.add("globalavgpool", "pooler: the mean")
    if arch == "SwinForImageClassification":
        out.let("num_labels", cfg.labels())
        out.add("dense num_labels", "classifier")
    return []


def _wav2vec2(cfg: _Config, arch: str, out: _File) -> list[str]:
    """wav2vec 2.0: a feature encoder of 1-D convolutions over the raw samples (a GroupNorm on the first, or a
    LayerNorm on each: feat_extract_norm), a projection to hidden_size, a grouped positional convolution under
    weight normalisation added to it, and post-norm (or, with do_stable_layer_norm, pre-norm) attention layers;
    the CTC head or the sequence classifier. conv_dim, conv_kernel and conv_stride are the symbols
    conv_dim_<i>, conv_kernel_<i>, conv_stride_<i>."""
    if cfg.flag("add_adapter", False):
        raise _NoStructure("add_adapter=true (GLU convolution adapters)")
    if cfg.get("adapter_attn_dim") is not None:
        raise _NoStructure(f"adapter_attn_dim={_shown(cfg.get('adapter_attn_dim'))} (an attention adapter per layer)")
    if cfg.flag("use_weighted_layer_sum", False):
        raise _NoStructure("use_weighted_layer_sum=true (a weight per layer's output)")
    dims = _sizes(cfg, "conv_dim")
    count = cfg.size("num_feat_extract_layers", len(dims)) if cfg.given("num_feat_extract_layers") else len(dims)
    kernels, strides = _sizes(cfg, "conv_kernel", count), _sizes(cfg, "conv_stride", count)
    if len(dims) != count:
        raise _NoStructure(f"conv_dim with {len(dims)} entries for {count} layers")
    norm = cfg.text("feat_extract_norm", "group")
    if norm not in ("group", "layer"):
        raise DefinitionError(f"{cfg.source}: 'feat_extract_norm' is {_shown(norm)}; expected \"group\" or \"layer\"")
    out.let("samples", 16000, "audio samples in (one second at 16 kHz; no weight depends on it)")
    for i, (dim, kernel, stride) in enumerate(zip(dims, kernels, strides)):
        out.let(f"conv_dim_{i}", dim)
        out.let(f"conv_kernel_{i}", kernel)
        out.let(f"conv_stride_{i}", stride)
    out.let("hidden_size", cfg.size("hidden_size"))
    out.let("num_hidden_layers", cfg.size("num_hidden_layers"))
    out.let("num_attention_heads", cfg.size("num_attention_heads"))
    out.let("intermediate_size", cfg.size("intermediate_size"))
    out.let("num_conv_pos_embeddings", cfg.size("num_conv_pos_embeddings", 128), "the positional convolution's width")
    out.let("num_conv_pos_embedding_groups", cfg.size("num_conv_pos_embedding_groups", 16))
    bias = "" if cfg.flag("conv_bias", False) else " bias=false"
    act = _activation(cfg.text("feat_extract_activation", "gelu")) or "gelu"
    hidden_act = _activation(cfg.text("hidden_act", "gelu"))
    stable = cfg.flag("do_stable_layer_norm", False)
    masked = any(isinstance(cfg.get(name, 0.0), (int, float)) and cfg.get(name, 0.0) > 0
                 for name in ("mask_time_prob", "mask_feature_prob"))
    if cfg.get("mask_time_prob") is None and not cfg.given("mask_time_prob"):
        masked = True                   # the class' default mask_time_prob is 0.05
    out.add("input samples x 1", "input_values: the waveform, one channel")
    for i in range(count):
        out.add(f"conv1d conv_dim_{i} conv_kernel_{i} stride=conv_stride_{i}{bias}",
                f"feature_extractor.conv_layers.{i}.conv")
        if norm == "layer":
            out.add("layernorm", "layer_norm")
        elif i == 0:
            out.add(f"groupnorm conv_dim_{i}", "layer_norm: a GroupNorm of one channel per group")
        out.add(act)
    pretraining = arch == "Wav2Vec2ForPreTraining"
    if pretraining:
        out.add("save extract_features", "what the quantizer reads")
    out.add("layernorm", "feature_projection.layer_norm")
    out.add("dense hidden_size", "feature_projection.projection")
    if masked:
        out.add("save features")
        out.add("parameter hidden_size", "masked_spec_embed (mask_time_prob or mask_feature_prob > 0)")
        out.add("use features")
    out.add(f"residual {{ conv1d hidden_size num_conv_pos_embeddings groups=num_conv_pos_embedding_groups "
            f"padding=same {act} }}", "encoder.pos_conv_embed.conv: weight_v and bias")
    out.add("save hidden")
    out.add("parameter num_conv_pos_embeddings", "pos_conv_embed weight_g: weight_norm over dim 2, one per tap")
    out.add("use hidden")
    if not stable:
        out.add("layernorm", "encoder.layer_norm")
    out.open("repeat num_hidden_layers", "encoder.layers")
    if stable:
        out.add("residual { layernorm; attention heads=num_attention_heads }", "layer_norm, attention: q, k, v, out")
        out.add(_with("residual { layernorm; dense intermediate_size", hidden_act, "; dense hidden_size }"),
                "final_layer_norm, feed_forward")
    else:
        out.add("residual { attention heads=num_attention_heads }", "attention: q_proj, k_proj, v_proj, out_proj")
        out.add("layernorm", "layer_norm")
        out.add(_with("residual { dense intermediate_size", hidden_act, "; dense hidden_size }"),
                "feed_forward: intermediate_dense, output_dense")
        out.add("layernorm", "final_layer_norm")
    out.close()
    if stable:
        out.add("layernorm", "encoder.layer_norm")
    if arch == "Wav2Vec2ForCTC":
        out.let("vocab_size", cfg.size("vocab_size", 32))
        out.add("dense vocab_size", "lm_head")
    elif pretraining:
        out.let("num_codevector_groups", cfg.size("num_codevector_groups", 2))
        out.let("num_codevectors_per_group", cfg.size("num_codevectors_per_group", 320))
        out.let("codevector_dim", cfg.size("codevector_dim", 256))
        out.let("proj_codevector_dim", cfg.size("proj_codevector_dim", 256))
        out.add("dense proj_codevector_dim", "project_hid (the context vectors; the file's output)")
        out.add("save context")
        out.add("use extract_features")
        out.add("dense num_codevector_groups * num_codevectors_per_group", "quantizer.weight_proj")
        out.add("parameter num_codevector_groups * num_codevectors_per_group x codevector_dim / num_codevector_groups",
                "quantizer.codevectors")
        out.add("reshape -1 x codevector_dim", "the chosen codewords, concatenated over the groups")
        out.add("dense proj_codevector_dim", "project_q")
        out.add("use context")
    elif arch == "Wav2Vec2ForSequenceClassification":
        out.let("classifier_proj_size", cfg.size("classifier_proj_size", 256))
        out.let("num_labels", cfg.labels())
        out.add("dense classifier_proj_size", "projector")
        out.add("globalavgpool", "the mean over frames")
        out.add("dense num_labels", "classifier")
    return []


def _decoder_classes(prefix: str) -> tuple:
    return (f"{prefix}ForCausalLM", f"{prefix}Model", f"{prefix}ForSequenceClassification")


FAMILIES = {
    "llama": _Family(_decoder, _decoder_classes("Llama"), "LlamaForCausalLM"),
    "mistral": _Family(_decoder, _decoder_classes("Mistral"), "MistralForCausalLM"),
    "mixtral": _Family(_decoder, _decoder_classes("Mixtral"), "MixtralForCausalLM"),
    "qwen2": _Family(_decoder, _decoder_classes("Qwen2"), "Qwen2ForCausalLM"),
    "qwen2_moe": _Family(_decoder, _decoder_classes("Qwen2Moe"), "Qwen2MoeForCausalLM"),
    "gemma": _Family(_decoder, _decoder_classes("Gemma"), "GemmaForCausalLM"),
    "gemma2": _Family(_decoder, _decoder_classes("Gemma2"), "Gemma2ForCausalLM"),
    "phi3": _Family(_decoder, _decoder_classes("Phi3"), "Phi3ForCausalLM"),
    "qwen3": _Family(_decoder, _decoder_classes("Qwen3"), "Qwen3ForCausalLM"),
    "qwen3_moe": _Family(_decoder, _decoder_classes("Qwen3Moe"), "Qwen3MoeForCausalLM"),
    "gemma3_text": _Family(_decoder, ("Gemma3ForCausalLM", "Gemma3TextModel"), "Gemma3ForCausalLM"),
    "olmo2": _Family(_decoder, _decoder_classes("Olmo2"), "Olmo2ForCausalLM"),
    "olmo": _Family(_decoder, _decoder_classes("Olmo"), "OlmoForCausalLM"),
    "starcoder2": _Family(_decoder, _decoder_classes("Starcoder2"), "Starcoder2ForCausalLM"),
    "stablelm": _Family(_decoder, _decoder_classes("StableLm"), "StableLmForCausalLM"),
    "gpt_neox": _Family(_parallel, ("GPTNeoXForCausalLM", "GPTNeoXModel"), "GPTNeoXForCausalLM"),
    "gptj": _Family(_parallel, ("GPTJForCausalLM", "GPTJModel"), "GPTJForCausalLM"),
    "phi": _Family(_parallel, ("PhiForCausalLM", "PhiModel"), "PhiForCausalLM"),
    "bloom": _Family(_bloom, ("BloomForCausalLM", "BloomModel"), "BloomForCausalLM"),
    "falcon": _Family(_falcon, ("FalconForCausalLM", "FalconModel"), "FalconForCausalLM"),
    "opt": _Family(_opt, ("OPTForCausalLM", "OPTModel"), "OPTForCausalLM"),
    "whisper": _Family(_whisper, ("WhisperForConditionalGeneration", "WhisperModel"),
                       "WhisperForConditionalGeneration"),
    "deepseek_v2": _Family(_deepseek, ("DeepseekV2ForCausalLM", "DeepseekV2Model"), "DeepseekV2ForCausalLM"),
    "deepseek_v3": _Family(_deepseek, ("DeepseekV3ForCausalLM", "DeepseekV3Model"), "DeepseekV3ForCausalLM"),
    "mamba": _Family(_mamba, ("MambaForCausalLM", "MambaModel"), "MambaForCausalLM"),
    "gpt2": _Family(_gpt2, ("GPT2LMHeadModel", "GPT2Model"), "GPT2LMHeadModel"),
    "roberta": _Family(_bert, ("RobertaForMaskedLM", "RobertaModel"), "RobertaForMaskedLM"),
    "vit": _Family(_vit, ("ViTForImageClassification", "ViTModel"), "ViTModel"),
    "bert": _Family(_bert, ("BertForMaskedLM", "BertModel", "BertForSequenceClassification"), "BertForMaskedLM"),
    "distilbert": _Family(_distilbert, ("DistilBertForMaskedLM", "DistilBertModel",
                                         "DistilBertForSequenceClassification", "DistilBertForTokenClassification",
                                         "DistilBertForQuestionAnswering"), "DistilBertModel"),
    "bart": _Family(_bart, ("BartForConditionalGeneration", "BartModel", "BartForSequenceClassification",
                            "BartForQuestionAnswering"), "BartForConditionalGeneration"),
    "clip": _Family(_clip, ("CLIPModel",), "CLIPModel"),
    "clip_text_model": _Family(_clip, ("CLIPTextModel", "CLIPTextModelWithProjection"), "CLIPTextModel"),
    "clip_vision_model": _Family(_clip, ("CLIPVisionModel", "CLIPVisionModelWithProjection"), "CLIPVisionModel"),
    "convnext": _Family(_convnext, ("ConvNextForImageClassification", "ConvNextModel"),
                        "ConvNextForImageClassification"),
    "swin": _Family(_swin, ("SwinForImageClassification", "SwinModel"), "SwinForImageClassification"),
    "wav2vec2": _Family(_wav2vec2, ("Wav2Vec2Model", "Wav2Vec2ForCTC", "Wav2Vec2ForPreTraining",
                                     "Wav2Vec2ForSequenceClassification"), "Wav2Vec2Model"),
    "t5": _Family(_t5, ("T5ForConditionalGeneration", "T5Model", "T5EncoderModel"), "T5ForConditionalGeneration"),
}


# ============================================================================ entry point

def from_hf_config(config: dict, *, source: str = "config.json", verify: bool = False) -> str:
    """DSL text for the model a Hugging Face config describes (the class first in `architectures`).

    verify: when transformers and torch are installed, also build the class on the meta device and compare its
    total and trainable counts with the file's; on a difference the file is the module tree's instead (never a
    wrong number), its header saying so. `symparams import` verifies; the tests of the table call without it, so
    that a wrong table entry fails them rather than being replaced."""
    if not isinstance(config, dict):
        raise DefinitionError(f"{source} is not a Hugging Face config: expected a JSON object")
    model_type = config.get("model_type")
    known = ", ".join(sorted(FAMILIES))
    architectures = config.get("architectures")
    if architectures is not None and (not isinstance(architectures, list)
                                      or not all(isinstance(a, str) for a in architectures)):
        raise DefinitionError(f"{source}: 'architectures' is {_shown(architectures)}; expected a list of "
                              "class names")
    inferred = None
    if model_type is None and architectures:
        # an old or hand-written config without model_type: the family whose class architectures names
        model_type = _family_of(architectures[0])
        if model_type is not None:
            config = dict(config, model_type=model_type)
            inferred = (f"The config has no model_type: {model_type}, the family of {architectures[0]}.")
    if model_type is None:
        raise DefinitionError(f"{source} is not a Hugging Face config: it has no 'model_type' field",
                              hint=f"the families known are {known}")
    family = FAMILIES.get(model_type) if isinstance(model_type, str) else None
    arch = architectures[0] if architectures else family.usual if family else None
    if family is None or arch not in family.classes:
        # no table entry for this family or class: transformers' own class, read on the meta device
        text = from_meta_device(config, model_type, arch, source)
        if text is not None:
            return text
    others = _transformers_classes(model_type) if family is None else None
    if others:
        # a family transformers has, but not the class architectures names
        raise DefinitionError(f"{source}: architectures names {_shown(arch)}, which transformers does not have for "
                              f"model_type {_shown(model_type)}",
                              hint=f"the {model_type} classes transformers has are {', '.join(others)}")
    if family is None:
        raise DefinitionError(f"{source}: unknown model_type {_shown(model_type)}",
                              hint=f"the families symparams writes without transformers are {known}; "
                              "with transformers installed (pip install transformers torch) every family it knows "
                              "is read from its module tree")
    extra = []
    alike = _same_head(arch, family.classes) if arch not in family.classes else None
    if alike:
        # a class name neither transformers nor the table has (an old spelling, remote code's own class): the
        # family's class with the same head
        extra.append(f"architectures names {arch}, which transformers does not have: written as {alike}, the "
                     f"{model_type} class with the same head.")
        arch = alike
    if arch not in family.classes:
        raise DefinitionError(f"{source}: architectures names {_shown(arch)}, which symparams does not write for "
                              f"model_type {_shown(model_type)}",
                              hint=f"the {model_type} classes known are {', '.join(family.classes)}")
    cfg = _Config(config, source, model_type)
    out = _File()
    try:
        notes = family.writer(cfg, arch, out)
        _name_aliases(cfg, out)
    except _NoStructure as switch:
        text = from_meta_device(config, model_type, arch, source,
                                reason=f"symparams writes {model_type} by structure except with {switch}:")
        if text is None:
            raise DefinitionError(f"{source}: symparams writes {model_type} without transformers except with "
                                  f"{switch}", hint="install transformers and torch to read it through the "
                                  "model's module tree") from None
        return text
    name = config.get("_name_or_path") or ""
    shown = f" ({name})" if isinstance(name, str) and re.fullmatch(r"[\w./-]{1,100}", name) else ""
    header = [f"{arch}{shown}, written by `symparams import` from a Hugging Face config (model_type {model_type}).",
              "The symbols are the config's fields, at the config's values; the count is that of "
              f"{arch}(config).parameters()."]
    header += ([inferred] if inferred else []) + extra + notes
    text = out.render(header)
    if verify:
        text = _verified(text, config, model_type, arch, source)
    return text


def _verified(text: str, config: dict, model_type: str, arch: str, source: str) -> str:
    """The file written by structure, checked against transformers' own class on the meta device: the same text
    with a header line saying so, or the module tree's file when the counts differ; unchanged without
    transformers (or when transformers cannot build this config)."""
    try:
        built = _meta_model(config, model_type, arch, source)
    except DefinitionError:
        return text             # transformers refuses the config itself: the structure stands, unchecked
    if built is None:
        return text
    model, name = built
    from ..engine.network import parse
    from ..errors import SymparamsError
    total = sum(p.numel() for p in model.parameters())
    trained = sum(p.numel() for p in model.parameters() if p.requires_grad)
    try:
        net = parse(text, convention="pytorch").evaluate()
    except SymparamsError as exc:
        # a config transformers builds but the structure cannot hold (a Swin stage of odd side, kv heads that do
        # not divide the heads): the module tree, rather than a refusal
        why = str(exc).strip().splitlines()[0][:160]
        return from_meta_device(config, model_type, name, source,
                                reason=f"symparams' structure for this config does not evaluate ({why}): written "
                                       "from the module tree instead:")
    got = (int(net.params), int(net.trainable_params))
    if got == (total, trained):
        lines = text.split("\n")
        at = next(i for i, line in enumerate(lines) if not line.startswith("#"))
        lines.insert(at, f"# Checked against transformers on the meta device: {total:,} parameters ({trained:,} "
                         "trainable), the same.")
        return "\n".join(lines)
    return from_meta_device(config, model_type, name, source,
                            reason=f"symparams' structure for this config counted {got[0]:,} parameters ({got[1]:,} "
                                   f"trainable), transformers builds {total:,} ({trained:,}): written from the module "
                                   "tree instead (please report it):")


def _family_of(arch: str):
    """The model_type whose classes include arch: the table's, else transformers' auto mappings'; None if none
    or several."""
    found = {name for name, family in FAMILIES.items() if arch in family.classes}
    if not found:
        try:
            from transformers.models.auto import modeling_auto
        except ImportError:
            return None
        for table in dir(modeling_auto):
            if table.startswith("MODEL") and table.endswith("_MAPPING_NAMES"):
                for model_type, value in getattr(modeling_auto, table).items():
                    if arch == value or (isinstance(value, (list, tuple)) and arch in value):
                        found.add(model_type)
    return found.pop() if len(found) == 1 else None


_HEADS = ("ForCausalLM", "LMHeadModel", "ForMaskedLM", "ForConditionalGeneration", "ForSequenceClassification",
          "ForTokenClassification", "ForQuestionAnswering", "ForImageClassification")


def _same_head(arch: str, classes: tuple):
    """The family's class with the head arch's name ends in (ForCausalLM, ..., or a bare Model), or None."""
    head = next((h for h in _HEADS if arch.endswith(h)), "Model" if arch.endswith("Model") else None)
    if head is None:
        return None
    for cls in classes:
        bare = head == "Model" and not any(cls.endswith(h) for h in _HEADS)
        if (cls.endswith(head) and head != "Model") or (bare and cls.endswith("Model")):
            return cls
    return None


def _name_aliases(cfg: _Config, out: _File):
    """A field the config gave under another name transformers accepts (Mixtral's num_experts for
    num_local_experts): that name is the symbol, and the field's name an alias of it, so --set takes the name
    the config uses."""
    lets = []
    for line, comment in out.lets:
        name = line.split()[1]
        alias = cfg.renamed.get(name)
        if alias and re.fullmatch(r"[A-Za-z_]\w*", alias):
            lets.append((f"let {alias} = {line.split('=', 1)[1].strip()}", comment))
            lets.append((f"let {name} = {alias}", f"{alias} in the config"))
        else:
            lets.append((line, comment))
    out.lets = lets


# ============================================================================ any family: the module tree

def _meta_model(config: dict, model_type: str, arch, source: str):
    """transformers' model for the config, built on the meta device (shapes only: no memory, nothing
    downloaded, no remote code), and the class name; None when transformers or torch is not installed."""
    import logging
    # torch's import-time deprecation notes (torch.compile's Enum registration) are not the user's concern here
    logging.getLogger("torch.utils._pytree").setLevel(logging.ERROR)
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
        from transformers.utils import logging as hf_logging
    except ImportError:
        return None
    # nor transformers' notes while it reads the config ("legacy value ... setting hidden_act=..."): only errors
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        return _build_on_meta(config, model_type, arch, source)
    finally:
        hf_logging.set_verbosity(level)


def _build_on_meta(config: dict, model_type: str, arch, source: str):
    import torch
    import transformers
    from transformers import AutoConfig
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES
    if model_type not in CONFIG_MAPPING_NAMES:
        return None         # a family transformers does not know either: refused, naming the known ones
    if arch is not None and not isinstance(getattr(transformers, arch, None), type):
        return None         # nor a class it has: refused, naming the family's classes
    # a config transformers 5 saved writes infinities as {"__float__": "Infinity"} (Mamba-2's time_step_limit):
    # decoded as from_pretrained decodes them
    decode = getattr(transformers.PretrainedConfig, "_decode_special_floats", None)
    if callable(decode):
        config = decode(config)
    try:
        hf_config = AutoConfig.for_model(model_type, **{k: v for k, v in config.items() if k != "model_type"})
    except Exception as exc:        # noqa: BLE001 - transformers raises ValueError, KeyError, TypeError, ...
        raise DefinitionError(f"{source}: transformers cannot read it as a {_shown(model_type)} config: "
                              f"{_shown(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)}") from None
    candidates = []
    if arch is not None:
        candidates.append(getattr(transformers, arch))
    else:       # as without a table: the causal language model if the family has one, else the bare model
        candidates += [transformers.AutoModelForCausalLM, transformers.AutoModel]
    problem = None
    for cls in candidates:
        try:
            with torch.device("meta"):
                model = cls.from_config(hf_config) if cls.__name__.startswith("Auto") else cls(hf_config)
            return model, type(model).__name__
        except Exception as exc:    # noqa: BLE001 - a class that does not take this config
            problem = problem or exc
    raise DefinitionError(f"{source}: transformers cannot build {arch or model_type} from this config: "
                          f"{_shown(str(problem).splitlines()[0] if str(problem) else type(problem).__name__)}")


def _transformers_classes(model_type) -> list[str]:
    """The model classes transformers' auto mappings give model_type (its heads), [] without transformers."""
    try:
        import transformers
        from transformers.models.auto import modeling_auto
    except ImportError:
        return []
    found = set()
    for name in dir(modeling_auto):
        if name.startswith("MODEL") and name.endswith("_MAPPING_NAMES"):
            value = getattr(modeling_auto, name).get(model_type) if isinstance(model_type, str) else None
            found.update([value] if isinstance(value, str) else value or ())
    return sorted(c for c in found if isinstance(getattr(transformers, c, None), type))


def _signature(module) -> tuple:
    return tuple((name, tuple(p.shape), p.requires_grad) for name, p in module.named_parameters())


def _tensor_line(p) -> str:
    shape = " x ".join(str(int(d)) for d in p.shape) or "1"     # a scalar: one value
    return "parameter " + shape + ("" if p.requires_grad else " trainable=false")


def _inventory(module, prefix: str, out: _File, seen: set):
    """Each parameter the module owns once (tied ones at their first owner), its submodules in order; a run
    of identical consecutive submodules (the layers of a stack) as one repeat."""
    for name, p in module.named_parameters(recurse=False):
        if id(p) not in seen:
            seen.add(id(p))
            out.add(_tensor_line(p), prefix + name + (" (a scalar)" if p.dim() == 0 else ""))
    children = list(module.named_children())
    # only a container's items are a stack (ModuleList, Sequential): two sibling projections of one shape stay two
    stack = type(module).__name__ in ("ModuleList", "Sequential")
    k = 0
    while k < len(children):
        name, child = children[k]
        run, sig = 1, _signature(child)
        while stack and sig and k + run < len(children) and _signature(children[k + run][1]) == sig:
            run += 1
        owned = [id(p) for _, c in children[k:k + run] for p in c.parameters()]
        if run > 1 and len(set(owned)) == len(owned) and not set(owned) & seen:    # no tensor shared
            last = children[k + run - 1][0]
            out.open(f"repeat {run}", f"{prefix}{{{name}..{last}}}")
            _inventory(child, f"{prefix}{{{name}..{last}}}.", out, seen)
            seen.update(owned)
            out.close()
        else:
            _inventory(child, f"{prefix}{name}.", out, seen)
        k += run


def from_meta_device(config: dict, model_type, arch, source: str, reason: str = "") -> str | None:
    """A family without a table entry (or a class the table does not write), when transformers is installed:
    the class built on the meta device, its parameters listed as `parameter` lines (numbers, not the config's
    symbols) in the module tree's order, layers of a stack as one repeat. The total and the trainable count
    are the class's exactly (checked here); the shapes and costs between the lines are not the model's. reason:
    why a family of the table is written so (said in the header instead of "no structure for this class")."""
    if not isinstance(model_type, str):
        return None
    built = _meta_model(config, model_type, arch, source)
    if built is None:
        return None
    model, arch = built
    out = _File()
    out.add("input 1", "no structure: each line below is one of the model's parameter tensors")
    _inventory(model, "", out, set())
    header = [f"{arch}, written by `symparams import` from a Hugging Face config (model_type {model_type}) through "
              "transformers on the meta device.",
              reason or "symparams has no structure for this class yet:",
              "the file lists its parameter tensors (numbers, not the config's symbols),",
              "so the total and trainable counts are exact, the shapes and costs between the lines are not."]
    text = out.render(header)
    from ..engine.network import parse
    net = parse(text, convention="pytorch").evaluate()
    total = sum(p.numel() for p in model.parameters())
    trained = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if int(net.params) != total or int(net.trainable_params) != trained:     # never silently wrong
        raise DefinitionError(f"{source}: the tensors of {arch} read as {int(net.params)} parameters "
                              f"({int(net.trainable_params)} trainable), transformers builds {total} ({trained}); "
                              "please report this config")
    return text
