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
                "gelu_fast": "gelu", "gelu_python": "gelu", "relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid"}


# ============================================================================ reading

def _shown(value) -> str:
    """A value from the file as an error shows it: JSON-quoted (no control characters), and short."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def read_config(path: str) -> dict:
    """The JSON object in a config.json; a clear error for anything else."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise DefinitionError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        config = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise DefinitionError(f"{path} is not a Hugging Face config: not JSON{where}",
                              hint="give a model's config.json, a .keras file or package.module:factory"
                              ) from None
    if not isinstance(config, dict):
        raise DefinitionError(f"{path} is not a Hugging Face config: the JSON is a {type(config).__name__}, "
                              "not an object with a model_type")
    return config


@dataclass
class _Config:
    """The config's fields, asked for by name: a missing or impossible value is an error naming it."""
    values: dict
    source: str
    family: str

    def has(self, name: str) -> bool:
        return self.values.get(name) is not None

    def size(self, name: str, default=None) -> int:
        value = self.values.get(name)
        if value is None:
            if default is not None:
                return default
            raise DefinitionError(f"{self.source}: the {self.family} config has no '{name}' field",
                                  hint=f"a {self.family} model's size needs it; add \"{name}\": <whole number>")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DefinitionError(f"{self.source}: '{name}' is {_shown(value)}; expected a positive whole number")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise DefinitionError(f"{self.source}: '{name}' is {_shown(value)}; expected true or false")
        return value

    def text(self, name: str, default: str) -> str:
        value = self.values.get(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise DefinitionError(f"{self.source}: '{name}' is {_shown(value)}; expected a string")
        return value

    def labels(self) -> int:
        """num_labels, as transformers derives it from id2label (2 by default)."""
        if self.has("num_labels"):
            return self.size("num_labels")
        id2label = self.values.get("id2label")
        return len(id2label) if isinstance(id2label, dict) and id2label else 2


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


def _decoder(cfg: _Config, arch: str, out: _File) -> list[str]:
    """LLaMA-style decoders (llama, mistral, mixtral, qwen2, gemma): RMSNorm, grouped-query attention
    with rotary positions (no weights), a SwiGLU MLP (or a mixture of SwiGLU experts), a head."""
    family = cfg.family
    hidden, heads = cfg.size("hidden_size"), cfg.size("num_attention_heads")
    out.let("max_position_embeddings", cfg.size("max_position_embeddings"),
            "tokens in the context (rotary positions: no weight depends on it)")
    out.let("vocab_size", cfg.size("vocab_size"))
    out.let("hidden_size", hidden)
    out.let("num_hidden_layers", cfg.size("num_hidden_layers"))
    out.let("num_attention_heads", heads)
    kv = "num_attention_heads"
    if cfg.has("num_key_value_heads"):
        out.let("num_key_value_heads", cfg.size("num_key_value_heads"), "key/value heads shared by the query heads")
        kv = "num_key_value_heads"
    # head_dim: gemma always sets it; the others derive hidden_size / num_attention_heads when it is absent,
    # so it is a symbol of its own only where it says something else
    key_dim = ""
    if family == "gemma" or (cfg.has("head_dim") and cfg.size("head_dim") * heads != hidden):
        out.let("head_dim", cfg.size("head_dim", 256 if family == "gemma" else None))
        key_dim = "key_dim=head_dim"
    elif hidden % heads:
        raise DefinitionError(f"{cfg.source}: num_attention_heads = {heads} does not divide hidden_size = {hidden}",
                              hint="give head_dim in the config")
    out.let("intermediate_size", cfg.size("intermediate_size"), "the MLP's width" if family != "mixtral"
            else "the MLP's width, per expert")
    if family == "mixtral":
        out.let("num_local_experts", cfg.size("num_local_experts"))
        out.let("num_experts_per_tok", cfg.size("num_experts_per_tok"), "experts active per token")
    tied = cfg.flag("tie_word_embeddings", family == "gemma")
    act = _activation(cfg.text("hidden_act", "gelu_pytorch_tanh" if family == "gemma" else "silu"))
    if family == "qwen2":
        bias = "bias=qkv"                       # q, k and v projections with biases, the output projection without
    elif family in ("llama", "gemma") and cfg.flag("attention_bias", False):
        bias = "bias=true"
    else:
        bias = "bias=false"
    mlp_bias = "bias=true" if family == "llama" and cfg.flag("mlp_bias", False) else "bias=false"

    out.add("input max_position_embeddings")
    out.add(_with("embedding vocab_size hidden_size", "name=embed_tokens" if tied else ""), "embed_tokens")
    out.open("repeat num_hidden_layers", "layers")
    out.open("residual")
    out.add("rmsnorm", "input_layernorm")
    out.add(_with("attention heads=num_attention_heads", f"kv_heads={kv}", key_dim, bias, "causal"),
            "self_attn: q_proj, k_proj, v_proj, o_proj")
    out.close()
    out.open("residual")
    out.add("rmsnorm", "post_attention_layernorm")
    if family == "mixtral":
        out.open("moe experts=num_local_experts top_k=num_experts_per_tok", "block_sparse_moe: gate (router), experts")
    out.add(f"mul {{ {_with('dense intermediate_size', mlp_bias, act)} }} {{ dense intermediate_size {mlp_bias} }}",
            "gate_proj x up_proj")
    out.add(f"dense hidden_size {mlp_bias}", "down_proj")
    if family == "mixtral":
        out.close()
    out.close()
    out.close()
    out.add("rmsnorm", "norm")
    notes = []
    if arch.endswith("ForCausalLM"):
        out.add(_with("dense vocab_size bias=false", "tied=embed_tokens" if tied else ""),
                "lm_head, tied to embed_tokens" if tied else "lm_head")
    elif arch.endswith("ForSequenceClassification"):
        out.let("num_labels", cfg.labels())
        out.add("dense num_labels bias=false", "score (read at the last token)")
    if family == "gemma":
        notes.append("Gemma scales the embedding by sqrt(hidden_size) and its RMSNorm by (1 + weight): no weights.")
    return notes


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
    out.let("type_vocab_size", cfg.size("type_vocab_size", 2))
    act = _activation(cfg.text("hidden_act", "gelu"))
    masked = arch == "BertForMaskedLM"
    tied = masked and cfg.flag("tie_word_embeddings", True)
    out.add("input max_position_embeddings as token_type_ids")
    out.add("embedding type_vocab_size hidden_size", "token_type_embeddings")
    out.add("save token_types")
    out.add("input max_position_embeddings as input_ids")
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
    if arch in ("BertModel", "BertForSequenceClassification"):
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
    return []


def _t5(cfg: _Config, arch: str, out: _File) -> list[str]:
    """T5: one shared token table, pre-norm layers with RMS norms and no biases, a relative position bias
    in each stack's first self-attention, the decoder attending to the encoder's output."""
    proj = cfg.text("feed_forward_proj", "relu")
    gated = proj.startswith("gated-")
    act = _activation(proj.split("-", 1)[-1])
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
    if arch == "T5ForConditionalGeneration":
        if cfg.flag("tie_word_embeddings", True):
            out.add("dense vocab_size bias=false tied=shared", "lm_head, tied to shared")
        else:
            out.add("dense vocab_size bias=false", "lm_head")
    return []


def _decoder_classes(prefix: str) -> tuple:
    return (f"{prefix}ForCausalLM", f"{prefix}Model", f"{prefix}ForSequenceClassification")


FAMILIES = {
    "llama": _Family(_decoder, _decoder_classes("Llama"), "LlamaForCausalLM"),
    "mistral": _Family(_decoder, _decoder_classes("Mistral"), "MistralForCausalLM"),
    "mixtral": _Family(_decoder, _decoder_classes("Mixtral"), "MixtralForCausalLM"),
    "qwen2": _Family(_decoder, _decoder_classes("Qwen2"), "Qwen2ForCausalLM"),
    "gemma": _Family(_decoder, _decoder_classes("Gemma"), "GemmaForCausalLM"),
    "gpt2": _Family(_gpt2, ("GPT2LMHeadModel", "GPT2Model"), "GPT2LMHeadModel"),
    "bert": _Family(_bert, ("BertForMaskedLM", "BertModel", "BertForSequenceClassification"), "BertForMaskedLM"),
    "t5": _Family(_t5, ("T5ForConditionalGeneration", "T5Model", "T5EncoderModel"), "T5ForConditionalGeneration"),
}


# ============================================================================ entry point

def from_hf_config(config: dict, *, source: str = "config.json") -> str:
    """DSL text for the model a Hugging Face config describes (the class first in `architectures`)."""
    if not isinstance(config, dict):
        raise DefinitionError(f"{source} is not a Hugging Face config: expected a JSON object")
    model_type = config.get("model_type")
    known = ", ".join(sorted(FAMILIES))
    if model_type is None:
        raise DefinitionError(f"{source} is not a Hugging Face config: it has no 'model_type' field",
                              hint=f"the families known are {known}")
    architectures = config.get("architectures")
    if architectures is not None and (not isinstance(architectures, list)
                                      or not all(isinstance(a, str) for a in architectures)):
        raise DefinitionError(f"{source}: 'architectures' is {_shown(architectures)}; expected a list of "
                              "class names")
    family = FAMILIES.get(model_type) if isinstance(model_type, str) else None
    arch = architectures[0] if architectures else family.usual if family else None
    if family is None or arch not in family.classes:
        # no table entry for this family or class: transformers' own class, read on the meta device
        text = from_meta_device(config, model_type, arch, source)
        if text is not None:
            return text
    if family is None:
        raise DefinitionError(f"{source}: unknown model_type {_shown(model_type)}",
                              hint=f"the families symparams writes without transformers are {known}; "
                              "with transformers installed (pip install transformers torch) every family it knows "
                              "is read from its module tree")
    if arch not in family.classes:
        raise DefinitionError(f"{source}: architectures names {_shown(arch)}, which symparams does not write for "
                              f"model_type {_shown(model_type)}",
                              hint=f"the {model_type} classes known are {', '.join(family.classes)}")
    cfg = _Config(config, source, model_type)
    out = _File()
    notes = family.writer(cfg, arch, out)
    name = config.get("_name_or_path") or ""
    shown = f" ({name})" if isinstance(name, str) and re.fullmatch(r"[\w./-]{1,100}", name) else ""
    header = [f"{arch}{shown}, written by `symparams import` from a Hugging Face config (model_type {model_type}).",
              "The symbols are the config's fields, at the config's values; the count is that of "
              f"{arch}(config).parameters()."]
    header += notes
    return out.render(header)


# ============================================================================ any family: the module tree

def _meta_model(config: dict, model_type: str, arch, source: str):
    """transformers' model for the config, built on the meta device (shapes only: no memory, nothing
    downloaded, no remote code), and the class name; None when transformers or torch is not installed."""
    try:
        import torch
        import transformers
        from transformers import AutoConfig
    except ImportError:
        return None
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES
    if model_type not in CONFIG_MAPPING_NAMES:
        return None         # a family transformers does not know either: refused, naming the known ones
    if arch is not None and not isinstance(getattr(transformers, arch, None), type):
        return None         # nor a class it has: refused, naming the family's classes
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


def from_meta_device(config: dict, model_type, arch, source: str) -> str | None:
    """A family without a table entry (or a class the table does not write), when transformers is installed:
    the class built on the meta device, its parameters listed as `parameter` lines (numbers, not the config's
    symbols) in the module tree's order, layers of a stack as one repeat. The total and the trainable count
    are the class's exactly (checked here); the shapes and costs between the lines are not the model's."""
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
              "symparams has no structure for this class yet: the file lists its parameter tensors (numbers, not "
              "the config's symbols),",
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
