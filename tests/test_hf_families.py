"""`symparams import config.json` for every Hugging Face family issue 26 names: each config is built by
transformers itself at tiny sizes (never downloaded), written as config.json and imported with the CLI;
the total and trainable counts `symparams summary` gives must equal those of the class built on the meta
device (sum of p.numel() over parameters(), tied weights once; requires_grad for trainable). Families with a
table entry are written with the config's symbols; the others through the module tree on the meta device."""

from __future__ import annotations

import json
import re

import pytest

from conftest import need_module
from symparams import cli

IDS = dict(pad_token_id=0, bos_token_id=1, eos_token_id=2)     # token ids inside the tiny vocabularies
DEC = dict(vocab_size=101, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
           num_key_value_heads=2, max_position_embeddings=64, **IDS)
ENC = dict(vocab_size=101, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
           max_position_embeddings=64, **IDS)
SEQ2SEQ = dict(vocab_size=101, d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
               decoder_attention_heads=4, encoder_ffn_dim=48, decoder_ffn_dim=48, decoder_start_token_id=1, **IDS)
MLA = dict(vocab_size=101, hidden_size=32, intermediate_size=48, moe_intermediate_size=16, num_hidden_layers=3,
           num_attention_heads=4, num_key_value_heads=4, n_routed_experts=4, n_shared_experts=1,
           num_experts_per_tok=2, kv_lora_rank=16, q_lora_rank=24, qk_rope_head_dim=4, qk_nope_head_dim=8,
           v_head_dim=8, first_k_dense_replace=1, max_position_embeddings=64, **IDS)

# family (model_type), config class, model class, the config's fields
FAMILIES = [
    ("gpt2", "GPT2Config", "GPT2LMHeadModel", dict(vocab_size=101, n_positions=64, n_embd=32, n_layer=2, n_head=4)),
    ("gpt_neox", "GPTNeoXConfig", "GPTNeoXForCausalLM", dict(ENC, rotary_pct=0.25)),
    ("gptj", "GPTJConfig", "GPTJForCausalLM",
     dict(vocab_size=101, n_positions=64, n_embd=32, n_layer=2, n_head=4, rotary_dim=4, **IDS)),
    ("opt", "OPTConfig", "OPTForCausalLM", dict(vocab_size=101, hidden_size=32, num_hidden_layers=2, ffn_dim=48,
                                                num_attention_heads=4, max_position_embeddings=64,
                                                word_embed_proj_dim=32, **IDS)),
    ("bloom", "BloomConfig", "BloomForCausalLM", dict(vocab_size=101, hidden_size=32, n_layer=2, n_head=4, **IDS)),
    ("falcon", "FalconConfig", "FalconForCausalLM",
     dict(vocab_size=101, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, **IDS)),
    ("llama", "LlamaConfig", "LlamaForCausalLM", DEC),
    ("llama-biased", "LlamaConfig", "LlamaForCausalLM", dict(DEC, attention_bias=True, mlp_bias=True)),
    ("mistral", "MistralConfig", "MistralForCausalLM", dict(DEC, sliding_window=16)),
    ("mixtral", "MixtralConfig", "MixtralForCausalLM", dict(DEC, num_local_experts=4, num_experts_per_tok=2)),
    ("qwen2", "Qwen2Config", "Qwen2ForCausalLM", DEC),
    ("qwen2_moe", "Qwen2MoeConfig", "Qwen2MoeForCausalLM",
     dict(DEC, moe_intermediate_size=16, shared_expert_intermediate_size=24, num_experts=4, num_experts_per_tok=2)),
    ("qwen3", "Qwen3Config", "Qwen3ForCausalLM", dict(DEC, head_dim=8)),
    ("qwen3_moe", "Qwen3MoeConfig", "Qwen3MoeForCausalLM",
     dict(DEC, head_dim=8, moe_intermediate_size=16, num_experts=4, num_experts_per_tok=2)),
    ("gemma", "GemmaConfig", "GemmaForCausalLM", dict(DEC, head_dim=8)),
    ("gemma2", "Gemma2Config", "Gemma2ForCausalLM", dict(DEC, head_dim=8, sliding_window=16)),
    ("gemma3_text", "Gemma3TextConfig", "Gemma3ForCausalLM", dict(DEC, head_dim=8, sliding_window=16)),
    ("phi", "PhiConfig", "PhiForCausalLM", dict(ENC, partial_rotary_factor=0.5)),
    # its shared LayerNorm of the queries' and keys' head width: attention qk_norm=layernorm
    ("phi-qk-norm", "PhiConfig", "PhiForCausalLM", dict(ENC, partial_rotary_factor=0.5, qk_layernorm=True)),
    ("phi3", "Phi3Config", "Phi3ForCausalLM", DEC),
    ("olmo", "OlmoConfig", "OlmoForCausalLM", DEC),
    ("olmo2", "Olmo2Config", "Olmo2ForCausalLM", DEC),
    ("stablelm", "StableLmConfig", "StableLmForCausalLM", DEC),
    ("starcoder2", "Starcoder2Config", "Starcoder2ForCausalLM", dict(DEC, sliding_window=16)),
    ("deepseek_v2", "DeepseekV2Config", "DeepseekV2ForCausalLM", MLA),
    ("deepseek_v3", "DeepseekV3Config", "DeepseekV3ForCausalLM", MLA),
    # the switches: each other value of a family's structural fields
    ("gpt_neox-sequential", "GPTNeoXConfig", "GPTNeoXForCausalLM",
     dict(ENC, use_parallel_residual=False, attention_bias=False, tie_word_embeddings=True)),
    ("falcon-new", "FalconConfig", "FalconForCausalLM",
     dict(vocab_size=101, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_kv_heads=2,
          new_decoder_architecture=True, bias=True, ffn_hidden_size=40, **IDS)),
    ("falcon-sequential", "FalconConfig", "FalconForCausalLM",
     dict(vocab_size=101, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, parallel_attn=False,
          multi_query=False, tie_word_embeddings=False, **IDS)),
    ("opt-post-norm", "OPTConfig", "OPTForCausalLM",
     dict(vocab_size=101, hidden_size=32, num_hidden_layers=2, ffn_dim=48, num_attention_heads=4,
          max_position_embeddings=64, word_embed_proj_dim=16, do_layer_norm_before=False, **IDS)),
    ("stablelm-parallel", "StableLmConfig", "StableLmForCausalLM",
     dict(DEC, use_parallel_residual=True, use_qkv_bias=True)),
    ("stablelm-qk-norm", "StableLmConfig", "StableLmForCausalLM", dict(DEC, qk_layernorm=True)),
    ("starcoder2-unbiased", "Starcoder2Config", "Starcoder2ForCausalLM", dict(DEC, use_bias=False)),
    ("qwen2_moe-mixed", "Qwen2MoeConfig", "Qwen2MoeForCausalLM",
     dict(DEC, moe_intermediate_size=16, shared_expert_intermediate_size=24, num_experts=4, num_experts_per_tok=2,
          mlp_only_layers=[0])),
    ("gptj-inner", "GPTJConfig", "GPTJForCausalLM",
     dict(vocab_size=101, n_positions=64, n_embd=32, n_layer=2, n_head=4, rotary_dim=4, n_inner=40, **IDS)),
    ("deepseek_v2-direct-q", "DeepseekV2Config", "DeepseekV2ForCausalLM", dict(MLA, q_lora_rank=None)),
    ("deepseek_v3-all-dense", "DeepseekV3Config", "DeepseekV3ForCausalLM", dict(MLA, first_k_dense_replace=3)),
    ("roberta-model", "RobertaConfig", "RobertaModel", dict(ENC, pad_token_id=1, bos_token_id=0)),
    ("vit-model", "ViTConfig", "ViTModel",
     dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48, image_size=32,
          patch_size=8)),
    ("mamba", "MambaConfig", "MambaForCausalLM",
     dict(vocab_size=101, hidden_size=32, state_size=8, num_hidden_layers=2, expand=2, conv_kernel=4, **IDS)),
    ("bert", "BertConfig", "BertModel", ENC),
    ("roberta", "RobertaConfig", "RobertaForMaskedLM", dict(ENC, pad_token_id=1, bos_token_id=0)),
    ("distilbert", "DistilBertConfig", "DistilBertModel",
     dict(vocab_size=101, dim=32, n_layers=2, n_heads=4, hidden_dim=48, max_position_embeddings=64, pad_token_id=0)),
    ("t5", "T5Config", "T5ForConditionalGeneration", dict(vocab_size=101, d_model=32, d_kv=8, d_ff=48, num_layers=2,
                                                          num_heads=4, **IDS)),
    ("bart", "BartConfig", "BartForConditionalGeneration", dict(SEQ2SEQ, max_position_embeddings=64)),
    ("whisper", "WhisperConfig", "WhisperForConditionalGeneration",
     dict(SEQ2SEQ, num_mel_bins=16, max_source_positions=30, max_target_positions=40)),
    ("vit", "ViTConfig", "ViTForImageClassification",
     dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48, image_size=32,
          patch_size=8, num_labels=5)),
    ("clip", "CLIPConfig", "CLIPModel",
     dict(projection_dim=16, text_config=dict(vocab_size=101, hidden_size=32, intermediate_size=48,
                                              num_hidden_layers=2, num_attention_heads=4,
                                              max_position_embeddings=16, **IDS),
          vision_config=dict(hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                             image_size=32, patch_size=8))),
    ("swin", "SwinConfig", "SwinForImageClassification",
     dict(image_size=32, patch_size=4, embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=4, num_labels=5)),
    ("convnext", "ConvNextConfig", "ConvNextForImageClassification",
     dict(hidden_sizes=[8, 16, 32, 64], depths=[1, 1, 2, 1], num_labels=5)),
    ("wav2vec2", "Wav2Vec2Config", "Wav2Vec2ForCTC",
     dict(vocab_size=101, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
          conv_dim=(16, 16), conv_stride=(5, 2), conv_kernel=(10, 3), num_conv_pos_embeddings=16,
          num_conv_pos_embedding_groups=4)),
]


STRUCTURED = {"gpt2", "gpt_neox", "gptj", "opt", "bloom", "falcon", "llama", "mistral", "mixtral", "qwen2",
              "qwen2_moe", "gemma", "gemma2", "phi", "phi3", "stablelm", "starcoder2", "bert", "t5", "qwen3",
              "qwen3_moe", "gemma3_text", "olmo", "olmo2", "distilbert", "bart", "clip", "swin", "convnext", "wav2vec2", "whisper", "mamba", "deepseek_v2",
              "deepseek_v3", "roberta",
              "vit"}
# switches the table does not write: read through transformers' module tree
THROUGH_TRANSFORMERS = {"stablelm-qk-norm"}
# runs of dense and sparse layers are repeats of numbers: num_hidden_layers does not resize them
FIXED_LAYERS = {"qwen2_moe-mixed"}
SIZES = {"vocab_size", "hidden_size", "n_embd", "num_hidden_layers", "n_layer", "num_attention_heads", "n_head",
         "intermediate_size", "ffn_dim", "num_local_experts", "num_experts", "moe_intermediate_size",
         "shared_expert_intermediate_size", "d_model", "num_layers"}
# transformers 5 writes Qwen3-MoE's num_experts as num_local_experts (an alias); the file says what the config says


def _counts(transformers, torch, config_class, model_class, fields):
    config = getattr(transformers, config_class)(**fields)
    with torch.device("meta"):
        model = getattr(transformers, model_class)(config)
    params = list(model.parameters())                      # tied weights once
    return config, sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


def _summary(capsys, path, *args) -> tuple[int, int]:
    code = cli.main(["summary", str(path), "--convention", "pytorch", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    out = out.replace("\n    ", " ")
    total = re.search(r"^Total params:.*?(\d[\d,]*)\s*$", out, re.M)
    trained = re.search(r"^Trainable params:.*?(\d[\d,]*)\s*$", out, re.M)
    assert total, out
    value = int(total.group(1).replace(",", ""))
    return value, int(trained.group(1).replace(",", "")) if trained else value


@pytest.mark.parametrize("family,config_class,model_class,fields", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_every_family_imports_exactly(tmp_path, capsys, family, config_class, model_class, fields):
    torch = need_module("torch")
    transformers = need_module("transformers")
    config, total, trained = _counts(transformers, torch, config_class, model_class, fields)
    data = config.to_dict()
    variant, family = family, family.split("-")[0]
    assert data["model_type"] == family
    data["architectures"] = [model_class]
    source = tmp_path / "config.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    target = tmp_path / "model.arch"
    code = cli.main(["import", str(source), "-o", str(target)])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    text = target.read_text(encoding="utf-8")
    assert _summary(capsys, target) == (total, trained), text
    # the families of the table are written by structure, with the config's symbols; the others as tensors
    through = "through transformers on the meta device" in text
    assert (not through) == (family in STRUCTURED and variant not in THROUGH_TRANSFORMERS), text
    if family in STRUCTURED:
        for name, value in fields.items():
            if name in SIZES and (family, name) not in (("qwen2_moe", "intermediate_size"),
                                                        ("qwen3_moe", "intermediate_size"),
                                                        ("qwen3_moe", "num_experts")) and \
                    variant not in THROUGH_TRANSFORMERS:        # (qwen2_moe: every layer sparse)
                assert re.search(rf"^let {name} = {value}\b", text, re.M), (name, text)
        # and the symbols resize it as the config's fields would: one more layer, a wider vocabulary
        layers = next((n for n in ("num_hidden_layers", "n_layer", "num_layers", "n_layers", "decoder_layers")
                       if n in fields), None)
        # (CLIP's sizes are its sub-configs'; its own field is projection_dim; a list field's entries are
        # <field>_<index>: ConvNeXt's and Swin's depths_1 = depths[1])
        symbols = {}
        if variant in FIXED_LAYERS:
            change = {}
        elif layers:
            change = {layers: fields[layers] + 1}
        elif "depths" in fields:
            depths = list(fields["depths"])
            depths[1] += 2
            change, symbols = {"depths": depths}, {"depths_1": depths[1]}
        else:
            change = {"projection_dim": fields["projection_dim"] + 8}
        if "vocab_size" in fields:
            change["vocab_size"] = fields["vocab_size"] + 7
        if family == "t5":          # the config written holds num_decoder_layers (its default: num_layers)
            change["num_decoder_layers"] = fields[layers] + 1
        if variant not in THROUGH_TRANSFORMERS:
            _, total, trained = _counts(transformers, torch, config_class, model_class, {**fields, **change})
            sets = ",".join(f"{k}={v}" for k, v in (symbols or change).items())
            assert _summary(capsys, target, "--set", sets) == (total, trained), (change, text)


# ---------------------------------------------------------------------------- random configs per family

def _random_cases():
    import os
    from hf_random import GENERATORS
    draws = int(os.environ.get("SYMPARAMS_HF_EXAMPLES", "1"))
    return [(family, seed) for family in GENERATORS for seed in range(draws)]


@pytest.mark.parametrize("family,seed", _random_cases(), ids=lambda v: str(v))
def test_random_configs_import_exactly(family, seed):
    """A random config of the family (tests/hf_random.py: the switches published configs vary), written out
    in full, as published configs are (only the fields that differ from the class' defaults), so with
    derivable fields null, and with one to three of any of its fields switched (any of the family's classes), imports to
    the total and trainable counts of the class transformers builds on the meta device. More draws:
    SYMPARAMS_HF_EXAMPLES=N; by hand: python tests/hf_random.py N [family ...]."""
    need_module("torch")
    need_module("transformers")
    from hf_random import MODES, SWITCH_MODES, check
    for mode in MODES + SWITCH_MODES:
        problem, how = check(family, seed, mode)
        # a switched field may make a config no model has (kv heads not dividing the heads, a kernel wider than the
        # image): a located refusal is right there; elsewhere only a draw transformers itself refuses is passed over
        passed = ("skip", "refused") if mode in SWITCH_MODES else ("skip",)
        assert problem is None or how in passed, f"{family} seed {seed} ({mode}): {problem}"


def _published():
    import os
    from hf_published import CI, PUBLISHED
    return list(PUBLISHED) if os.environ.get("SYMPARAMS_HF_PUBLISHED") == "all" else CI


@pytest.mark.parametrize("name", _published())
def test_published_shaped_configs_import_exactly(name):
    """config.json files shaped like published ones (tests/hf_published.py: real sizes, their old field names,
    rope_scaling dicts, fields left at defaults) count what transformers builds from the same JSON. A few of the
    other published sizes by default; SYMPARAMS_HF_PUBLISHED=all for every one."""
    need_module("torch")
    need_module("transformers")
    from hf_published import PUBLISHED, oracle
    from hf_random import imported
    config = PUBLISHED[name]
    total, trained, text = imported(config)
    assert (total, trained) == oracle(config), text


def _switched_cases():
    import os
    from hf_published import CI, PUBLISHED
    draws = os.environ.get("SYMPARAMS_HF_SWITCHED")
    if draws:
        return [(name, seed) for name in PUBLISHED for seed in range(int(draws))]
    return [(name, 0) for name in CI[::3]]         # a third of them in CI (one of each family or so)


@pytest.mark.parametrize("name,seed", _switched_cases(), ids=lambda v: str(v))
def test_published_configs_with_a_switch_import_exactly(name, seed):
    """A published config (its layers cut to 2 or 3) with one to three of any of its fields given another value and,
    half the time, another class of its family (tests/hf_published.switched): exact, or (a switch making a config no
    model has) a located refusal. SYMPARAMS_HF_SWITCHED=N: N draws of every published config."""
    need_module("torch")
    need_module("transformers")
    from hf_published import check_switched
    problem, how = check_switched(name, seed)
    assert problem is None or how in ("skip", "refused"), problem


@pytest.mark.parametrize("architectures,model_class", [
    (None, "LlamaForCausalLM"),                     # no architectures: the family's usual class
    (["LLaMAForCausalLM"], "LlamaForCausalLM"),     # a name transformers lacks: the class with the same head
    (["LlamaForTokenClassification"], "LlamaForTokenClassification"),    # transformers' class, its module tree
])
def test_which_class_is_counted(architectures, model_class):
    need_module("torch")
    need_module("transformers")
    from hf_random import imported, oracle
    fields = dict(DEC)
    config, total, trained = oracle("LlamaConfig", model_class, fields)
    data = json.loads(config.to_json_string(use_diff=True))
    data.pop("architectures", None)
    if architectures:
        data["architectures"] = architectures
    got_total, got_trained, text = imported(data)
    assert (got_total, got_trained) == (total, trained), text
    assert text.startswith(f"# {model_class}"), text
    if architectures and architectures[0] != model_class:
        assert architectures[0] in text                 # the header says which name was read as which class


@pytest.mark.parametrize("config", [
    dict(model_type="llama", hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=96,
         vocab_size=100),
    dict(model_type="deepseek_v2", hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=96,
         vocab_size=100, moe_intermediate_size=32, num_experts_per_tok=2),
    dict(model_type="opt", hidden_size=64, num_hidden_layers=2, num_attention_heads=4, ffn_dim=96, vocab_size=100),
], ids=lambda c: c["model_type"])
def test_a_config_with_only_its_sizes(config):
    """Only the model's own sizes (no max_position_embeddings, no MLA ranks, no architectures): every other field
    is the class' default, as transformers takes it."""
    need_module("torch")
    need_module("transformers")
    from hf_published import oracle
    from hf_random import imported
    usual = {"llama": "LlamaForCausalLM", "deepseek_v2": "DeepseekV2ForCausalLM", "opt": "OPTForCausalLM"}
    total, trained, text = imported(config)
    assert (total, trained) == oracle(dict(config, architectures=[usual[config["model_type"]]])), text


# families outside the table, each as transformers saves a small config of it (to_json_string: a Mamba-2's
# infinite time_step_limit written as {"__float__": "Infinity"}), and one class of each
OTHERS = [
    ("gpt_bigcode", "GPTBigCodeForCausalLM", dict(vocab_size=101, n_positions=64, n_embd=32, n_layer=2, n_head=4)),
    ("albert", "AlbertForMaskedLM", dict(vocab_size=101, embedding_size=16, hidden_size=32, num_hidden_layers=3,
                                         num_attention_heads=4, intermediate_size=48, max_position_embeddings=64,
                                         **IDS)),
    ("mt5", "MT5ForConditionalGeneration", dict(vocab_size=101, d_model=32, d_kv=8, d_ff=48, num_layers=2,
                                                num_heads=4, **IDS)),
    ("mamba2", "Mamba2ForCausalLM", dict(vocab_size=101, hidden_size=32, num_heads=4, head_dim=16, n_groups=1,
                                         state_size=8, num_hidden_layers=2, **IDS)),
    ("granite", "GraniteModel", DEC),
    ("xlm-roberta", "XLMRobertaForTokenClassification", dict(ENC, pad_token_id=1, bos_token_id=0, num_labels=5)),
]


def _others():
    import os
    if os.environ.get("SYMPARAMS_HF_OTHERS") != "all":
        return OTHERS
    # every family transformers' auto mappings know that has a causal LM, at its class' default sizes
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
    from symparams.frameworks.hf_config import FAMILIES as TABLE
    return OTHERS + [(t, c, {}) for t, c in sorted(MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.items())
                     if t not in TABLE and isinstance(c, str)]


@pytest.mark.parametrize("model_type,model_class,fields", _others(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_family_outside_the_table_through_the_module_tree(model_type, model_class, fields):
    """A model_type the table does not write is built by transformers on the meta device and read as its
    parameter tensors: the total and trainable counts are the class's, or transformers' own refusal is a located
    message. SYMPARAMS_HF_OTHERS=all: every causal-LM family transformers has, at its default sizes."""
    torch = need_module("torch")
    transformers = need_module("transformers")
    from transformers import AutoConfig
    from hf_random import imported
    from symparams.errors import SymparamsError
    from symparams.frameworks.hf_config import FAMILIES as TABLE
    try:
        config = AutoConfig.for_model(model_type, **fields)
        data = json.loads(config.to_json_string(use_diff=True))
        with torch.device("meta"):
            model = getattr(transformers, model_class)(config)
    except Exception:       # noqa: BLE001 - a class transformers cannot build from its own defaults
        config, data, model = None, dict(fields), None
    data.setdefault("model_type", model_type)
    data["architectures"] = [model_class]
    if model is None:
        with pytest.raises(SymparamsError, match="transformers cannot"):
            imported(data)
        return
    params = list(model.parameters())
    total, trained, text = imported(data)
    assert (total, trained) == (sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad))
    # (a model_type another family's config class writes, as gpt-sw3's GPT2Config, is that family's)
    assert ("through transformers on the meta device" in text) == (data["model_type"] not in TABLE)


def test_a_class_transformers_lacks_in_a_family_outside_the_table():
    need_module("torch")
    need_module("transformers")
    from hf_random import imported
    from symparams.errors import SymparamsError
    with pytest.raises(SymparamsError) as caught:
        imported(dict(DEC, model_type="granite", architectures=["GraniteForImaginaryTask"]))
    message = str(caught.value)
    assert "GraniteForImaginaryTask" in message and "GraniteForCausalLM" in message


def test_the_import_command_checks_the_structure_against_transformers(tmp_path, capsys, monkeypatch):
    """`symparams import config.json` compares the file's counts with transformers' class on the meta device: the
    same, it says so; different (a table entry gone wrong, simulated here), it writes the module tree instead."""
    import dataclasses
    torch = need_module("torch")
    transformers = need_module("transformers")
    from symparams.frameworks import hf_config
    config, total, trained = _counts(transformers, torch, "LlamaConfig", "LlamaForCausalLM", DEC)
    source = tmp_path / "config.json"
    source.write_text(config.to_json_string(use_diff=True), encoding="utf-8")
    target = tmp_path / "model.arch"
    assert cli.main(["import", str(source), "-o", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert f"Checked against transformers on the meta device: {total:,} parameters" in text
    assert "let hidden_size = 32" in text
    assert _summary(capsys, target) == (total, trained)

    usual = hf_config.FAMILIES["llama"]

    def wrong(cfg, arch, out):          # one tensor too many
        notes = usual.writer(cfg, arch, out)
        out.add("parameter 3")
        return notes
    monkeypatch.setitem(hf_config.FAMILIES, "llama", dataclasses.replace(usual, writer=wrong))
    assert cli.main(["import", str(source), "-o", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert f"counted {total + 3:,} parameters" in text and "written from the module tree instead" in text
    assert _summary(capsys, target) == (total, trained)


@pytest.mark.parametrize("name", ["Llama-3.1-8B", "whisper-small"])
def test_a_config_without_model_type_is_read_by_its_class(name):
    """An old or hand-written config.json without model_type: the family whose class architectures names, as
    transformers' class would read it."""
    need_module("torch")
    need_module("transformers")
    from hf_published import PUBLISHED, oracle
    from hf_random import imported
    config = dict(PUBLISHED[name])
    family = config.pop("model_type")
    total, trained, text = imported(config)
    assert (total, trained) == oracle(dict(config, model_type=family)), text
    assert f"no model_type: {family}" in text


def test_a_config_the_structure_cannot_hold_goes_through_the_module_tree(tmp_path, capsys):
    """A Swin whose image gives a stage of odd side (transformers pads before merging patches; symparams'
    pixelunshuffle needs an even side): `symparams import` writes the module tree, exact, saying why."""
    torch = need_module("torch")
    transformers = need_module("transformers")
    fields = dict(image_size=40, patch_size=4, embed_dim=8, depths=[1, 1, 1], num_heads=[1, 2, 4], window_size=2)
    config, total, trained = _counts(transformers, torch, "SwinConfig", "SwinForImageClassification", fields)
    source = tmp_path / "config.json"
    source.write_text(json.dumps(dict(config.to_dict(), architectures=["SwinForImageClassification"])),
                      encoding="utf-8")
    target = tmp_path / "model.arch"
    assert cli.main(["import", str(source), "-o", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert "does not evaluate" in text and "pixelunshuffle" in text
    assert _summary(capsys, target) == (total, trained)
