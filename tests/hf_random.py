"""Random Hugging Face configs at tiny sizes, one generator per family issue 26 names, each varying the
switches published configs vary (tied heads, biases, grouped keys, head_dim given or not, partial rotary,
sliding windows, shared experts, dense and sparse layers mixed, per-layer attention kinds, qk norms,
parallel residuals, Falcon's decoder architectures, vocabularies padded, rope scaling, sub-configs...).

`draw(family, rng)` returns (config class, model class, fields); the oracle builds both with transformers
on the meta device. `switch_case` then gives one to three of ANY of the config's fields another value and, half
the time, picks another of the family's classes (transformers' auto mappings); `sweep` switches each field alone.
Used by tests/test_hf_families.py (a few draws per family in CI, SYMPARAMS_HF_EXAMPLES for more) and by hand:
`python tests/hf_random.py [draws] [family ...]` (SYMPARAMS_HF_MODES=full,diff,nulls,switch to choose the
forms), `python tests/hf_random.py --sweep [family ...]` (which fields change a count, and any wrong one)."""

from __future__ import annotations

import random

IDS = dict(pad_token_id=0, bos_token_id=1, eos_token_id=2)


def _pick(rng: random.Random, *options):
    return options[rng.randrange(len(options))]


def _maybe(rng: random.Random, fields: dict, name: str, *values):
    """Sometimes leave the field out (the class' default), else one of the values."""
    if rng.random() < 0.5:
        fields[name] = _pick(rng, *values)


def _heads(rng):
    """(heads, kv heads, head width): grouped, multi-query or plain."""
    heads = _pick(rng, 2, 4, 6)
    kv = _pick(rng, *[k for k in (1, 2, 3, 6) if heads % k == 0] + [heads])
    return heads, kv, _pick(rng, 4, 8)


def _vocab(rng):
    return _pick(rng, 101, 128, 67)         # odd, and padded to a multiple of 64


def _rope(rng, fields):
    if rng.random() < 0.3:
        fields["rope_scaling"] = _pick(rng, {"rope_type": "linear", "factor": 2.0},
                                       {"rope_type": "dynamic", "factor": 2.0})


def _decoder(rng, family, *, head_dim=True, mlp_bias=False, attention_bias=True, tied=True):
    heads, kv, hd = _heads(rng)
    fields = dict(vocab_size=_vocab(rng), num_hidden_layers=_pick(rng, 1, 2, 3), num_attention_heads=heads,
                  num_key_value_heads=kv, intermediate_size=_pick(rng, 24, 40), max_position_embeddings=64, **IDS)
    if rng.random() < 0.2 and family in ("llama", "phi3", "olmo", "olmo2", "gpt_neox", "phi"):
        del fields["num_key_value_heads"]       # the class' default: as many as the query heads
    hidden = heads * hd
    if head_dim and rng.random() < 0.4:
        fields["head_dim"] = _pick(rng, 4, 8, 16)
        hidden = _pick(rng, hidden, 24 if 24 % heads == 0 else hidden)
    fields["hidden_size"] = hidden
    if tied:
        _maybe(rng, fields, "tie_word_embeddings", True, False)
    if attention_bias:
        _maybe(rng, fields, "attention_bias", True, False)
    if mlp_bias:
        _maybe(rng, fields, "mlp_bias", True, False)
    _rope(rng, fields)
    return fields


def _sliding(rng, fields):
    _maybe(rng, fields, "sliding_window", None, 16)


def gen_llama(rng):
    return "LlamaConfig", _pick(rng, "LlamaForCausalLM", "LlamaModel", "LlamaForSequenceClassification"), \
        _decoder(rng, "llama", mlp_bias=True)


def gen_mistral(rng):
    f = _decoder(rng, "mistral", attention_bias=False)
    _sliding(rng, f)
    return "MistralConfig", _pick(rng, "MistralForCausalLM", "MistralModel"), f


def gen_mixtral(rng):
    f = _decoder(rng, "mixtral", attention_bias=False)
    f.update(num_local_experts=_pick(rng, 2, 4), num_experts_per_tok=_pick(rng, 1, 2))
    _sliding(rng, f)
    return "MixtralConfig", _pick(rng, "MixtralForCausalLM", "MixtralModel"), f


def gen_qwen2(rng):
    f = _decoder(rng, "qwen2", attention_bias=False)
    if rng.random() < 0.3:
        f.update(use_sliding_window=True, sliding_window=16, max_window_layers=1)
    return "Qwen2Config", _pick(rng, "Qwen2ForCausalLM", "Qwen2Model", "Qwen2ForSequenceClassification"), f


def _moe_layers(rng, f, sparse_step=True):
    layers = f["num_hidden_layers"]
    if rng.random() < 0.3:
        f["mlp_only_layers"] = sorted(rng.sample(range(layers), rng.randrange(layers + 1)))
    if sparse_step and rng.random() < 0.3:
        f["decoder_sparse_step"] = _pick(rng, 1, 2, 3)


def gen_qwen2_moe(rng):
    f = _decoder(rng, "qwen2_moe", attention_bias=False)
    f.update(moe_intermediate_size=_pick(rng, 8, 16), shared_expert_intermediate_size=_pick(rng, 16, 24),
             num_experts=_pick(rng, 2, 4), num_experts_per_tok=_pick(rng, 1, 2))
    _moe_layers(rng, f)
    _maybe(rng, f, "qkv_bias", True, False)
    return "Qwen2MoeConfig", _pick(rng, "Qwen2MoeForCausalLM", "Qwen2MoeModel"), f


def gen_qwen3(rng):
    f = _decoder(rng, "qwen3")
    return "Qwen3Config", _pick(rng, "Qwen3ForCausalLM", "Qwen3Model"), f


def gen_qwen3_moe(rng):
    f = _decoder(rng, "qwen3_moe")
    f.update(moe_intermediate_size=_pick(rng, 8, 16), num_experts=_pick(rng, 2, 4), num_experts_per_tok=2)
    _moe_layers(rng, f)
    return "Qwen3MoeConfig", _pick(rng, "Qwen3MoeForCausalLM", "Qwen3MoeModel"), f


def gen_gemma(rng):
    return "GemmaConfig", _pick(rng, "GemmaForCausalLM", "GemmaModel"), _decoder(rng, "gemma")


def gen_gemma2(rng):
    f = _decoder(rng, "gemma2")
    _sliding(rng, f)
    _maybe(rng, f, "final_logit_softcapping", None, 30.0)
    return "Gemma2Config", _pick(rng, "Gemma2ForCausalLM", "Gemma2Model"), f


def gen_gemma3_text(rng):
    f = _decoder(rng, "gemma3_text")
    _sliding(rng, f)
    if rng.random() < 0.4:
        f["layer_types"] = [_pick(rng, "sliding_attention", "full_attention") for _ in range(f["num_hidden_layers"])]
    return "Gemma3TextConfig", _pick(rng, "Gemma3ForCausalLM", "Gemma3TextModel"), f


def gen_phi3(rng):
    f = _decoder(rng, "phi3", attention_bias=False)
    _sliding(rng, f)
    return "Phi3Config", _pick(rng, "Phi3ForCausalLM", "Phi3Model"), f


def gen_olmo(rng):
    f = _decoder(rng, "olmo", head_dim=False)
    _maybe(rng, f, "clip_qkv", None, 8.0)
    return "OlmoConfig", _pick(rng, "OlmoForCausalLM", "OlmoModel"), f


def gen_olmo2(rng):
    f = _decoder(rng, "olmo2", head_dim=False)
    return "Olmo2Config", _pick(rng, "Olmo2ForCausalLM", "Olmo2Model"), f


def gen_stablelm(rng):
    f = _decoder(rng, "stablelm", attention_bias=False)
    _maybe(rng, f, "use_qkv_bias", True, False)
    _maybe(rng, f, "use_parallel_residual", True, False)
    _maybe(rng, f, "qk_layernorm", True, False)
    _maybe(rng, f, "partial_rotary_factor", 0.25, 0.5)
    return "StableLmConfig", _pick(rng, "StableLmForCausalLM", "StableLmModel"), f


def gen_starcoder2(rng):
    f = _decoder(rng, "starcoder2", attention_bias=False)
    _maybe(rng, f, "use_bias", True, False)
    _sliding(rng, f)
    return "Starcoder2Config", _pick(rng, "Starcoder2ForCausalLM", "Starcoder2Model"), f


def gen_gpt_neox(rng):
    f = _decoder(rng, "gpt_neox", attention_bias=False)
    f.pop("num_key_value_heads", None)
    f.pop("rope_scaling", None)
    _maybe(rng, f, "use_parallel_residual", True, False)
    _maybe(rng, f, "attention_bias", True, False)
    _maybe(rng, f, "rotary_pct", 0.25, 1.0)
    return "GPTNeoXConfig", _pick(rng, "GPTNeoXForCausalLM", "GPTNeoXModel"), f


def gen_phi(rng):
    f = _decoder(rng, "phi", attention_bias=False)
    if rng.random() < 0.5:
        f.pop("num_key_value_heads", None)
    _maybe(rng, f, "partial_rotary_factor", 0.5, 1.0)
    _maybe(rng, f, "qk_layernorm", True, False)
    return "PhiConfig", _pick(rng, "PhiForCausalLM", "PhiModel"), f


def gen_gptj(rng):
    heads, hd = _pick(rng, 2, 4), _pick(rng, 8, 16)
    f = dict(vocab_size=_vocab(rng), n_positions=64, n_embd=heads * hd, n_layer=_pick(rng, 1, 2), n_head=heads,
             rotary_dim=_pick(rng, 4, 8), **IDS)
    _maybe(rng, f, "n_inner", None, 40)
    _maybe(rng, f, "tie_word_embeddings", True, False)
    return "GPTJConfig", _pick(rng, "GPTJForCausalLM", "GPTJModel"), f


def gen_gpt2(rng):
    heads = _pick(rng, 2, 4)
    f = dict(vocab_size=_vocab(rng), n_positions=64, n_embd=heads * 8, n_layer=_pick(rng, 1, 2), n_head=heads)
    _maybe(rng, f, "n_inner", None, 40)
    _maybe(rng, f, "tie_word_embeddings", True, False)
    _maybe(rng, f, "activation_function", "gelu_new", "relu")
    return "GPT2Config", _pick(rng, "GPT2LMHeadModel", "GPT2Model"), f


def gen_opt(rng):
    heads = _pick(rng, 2, 4)
    hidden = heads * 8
    f = dict(vocab_size=_vocab(rng), hidden_size=hidden, num_hidden_layers=_pick(rng, 1, 2), ffn_dim=48,
             num_attention_heads=heads, max_position_embeddings=64, **IDS)
    _maybe(rng, f, "word_embed_proj_dim", hidden, 16)
    _maybe(rng, f, "do_layer_norm_before", True, False)
    _maybe(rng, f, "enable_bias", True, False)
    _maybe(rng, f, "tie_word_embeddings", True, False)
    _maybe(rng, f, "_remove_final_layer_norm", True, False)
    _maybe(rng, f, "layer_norm_elementwise_affine", True, False)
    return "OPTConfig", _pick(rng, "OPTForCausalLM", "OPTModel"), f


def gen_bloom(rng):
    heads = _pick(rng, 2, 4)
    f = dict(vocab_size=_vocab(rng), hidden_size=heads * 8, n_layer=_pick(rng, 1, 2), n_head=heads, **IDS)
    _maybe(rng, f, "tie_word_embeddings", True, False)
    return "BloomConfig", _pick(rng, "BloomForCausalLM", "BloomModel"), f


def gen_falcon(rng):
    heads = _pick(rng, 2, 4, 8)
    f = dict(vocab_size=_vocab(rng), hidden_size=heads * 8, num_hidden_layers=_pick(rng, 1, 2),
             num_attention_heads=heads, **IDS)
    new = rng.random() < 0.4
    if new:
        f.update(new_decoder_architecture=True, num_kv_heads=_pick(rng, *[k for k in (1, 2, 4) if heads % k == 0]))
        _maybe(rng, f, "num_ln_in_parallel_attn", None, 1, 2)
    else:
        _maybe(rng, f, "multi_query", True, False)
        _maybe(rng, f, "parallel_attn", True, False)
    _maybe(rng, f, "bias", True, False)
    _maybe(rng, f, "alibi", True, False)
    _maybe(rng, f, "ffn_hidden_size", None, 40)
    _maybe(rng, f, "tie_word_embeddings", True, False)
    return "FalconConfig", _pick(rng, "FalconForCausalLM", "FalconModel"), f


def _mla(rng):
    heads = _pick(rng, 2, 4)
    f = dict(vocab_size=_vocab(rng), hidden_size=32, intermediate_size=48, moe_intermediate_size=16,
             num_hidden_layers=_pick(rng, 1, 2, 3), num_attention_heads=heads, num_key_value_heads=heads,
             n_routed_experts=_pick(rng, 2, 4), n_shared_experts=_pick(rng, 1, 2), num_experts_per_tok=2,
             kv_lora_rank=16, q_lora_rank=_pick(rng, None, 24), qk_rope_head_dim=4, qk_nope_head_dim=8,
             v_head_dim=_pick(rng, 8, 12), first_k_dense_replace=_pick(rng, 0, 1, 2), max_position_embeddings=64,
             **IDS)
    _maybe(rng, f, "tie_word_embeddings", True, False)
    _maybe(rng, f, "attention_bias", True, False)
    return f


def gen_deepseek_v2(rng):
    return "DeepseekV2Config", _pick(rng, "DeepseekV2ForCausalLM", "DeepseekV2Model"), _mla(rng)


def gen_deepseek_v3(rng):
    return "DeepseekV3Config", _pick(rng, "DeepseekV3ForCausalLM", "DeepseekV3Model"), _mla(rng)


def gen_mamba(rng):
    f = dict(vocab_size=_vocab(rng), hidden_size=_pick(rng, 16, 32, 48), state_size=_pick(rng, 4, 8),
             num_hidden_layers=_pick(rng, 1, 2), expand=2, conv_kernel=_pick(rng, 2, 4), **IDS)
    _maybe(rng, f, "time_step_rank", "auto", 3)
    _maybe(rng, f, "use_bias", True, False)
    _maybe(rng, f, "use_conv_bias", True, False)
    _maybe(rng, f, "tie_word_embeddings", True, False)
    return "MambaConfig", _pick(rng, "MambaForCausalLM", "MambaModel"), f


def _encoder(rng):
    heads = _pick(rng, 2, 4)
    f = dict(vocab_size=_vocab(rng), hidden_size=heads * 8, num_hidden_layers=_pick(rng, 1, 2),
             num_attention_heads=heads, intermediate_size=48, max_position_embeddings=64, **IDS)
    _maybe(rng, f, "type_vocab_size", 1, 2)
    _maybe(rng, f, "tie_word_embeddings", True, False)
    return f


def gen_bert(rng):
    return "BertConfig", _pick(rng, "BertForMaskedLM", "BertModel", "BertForSequenceClassification"), _encoder(rng)


def gen_roberta(rng):
    f = _encoder(rng)
    f.update(pad_token_id=1, bos_token_id=0)
    return "RobertaConfig", _pick(rng, "RobertaForMaskedLM", "RobertaModel",
                                  "RobertaForSequenceClassification"), f


def gen_distilbert(rng):
    heads = _pick(rng, 2, 4)
    f = dict(vocab_size=_vocab(rng), dim=heads * 8, n_layers=_pick(rng, 1, 2), n_heads=heads, hidden_dim=48,
             max_position_embeddings=64, pad_token_id=0)
    _maybe(rng, f, "sinusoidal_pos_embds", True, False)
    _maybe(rng, f, "tie_word_embeddings", True, False)
    return "DistilBertConfig", _pick(rng, "DistilBertModel", "DistilBertForMaskedLM",
                                     "DistilBertForSequenceClassification", "DistilBertForTokenClassification",
                                     "DistilBertForQuestionAnswering", "DistilBertForMultipleChoice"), f


def gen_t5(rng):
    heads = _pick(rng, 2, 4)
    f = dict(vocab_size=_vocab(rng), d_model=32, d_kv=_pick(rng, 8, 16), d_ff=48, num_layers=_pick(rng, 1, 2),
             num_heads=heads, **IDS)
    _maybe(rng, f, "num_decoder_layers", 1, 3)
    _maybe(rng, f, "feed_forward_proj", "relu", "gated-gelu")
    _maybe(rng, f, "tie_word_embeddings", True, False)
    return "T5Config", _pick(rng, "T5ForConditionalGeneration", "T5Model", "T5EncoderModel"), f


def _seq2seq(rng):
    heads = _pick(rng, 2, 4)
    return dict(vocab_size=_vocab(rng), d_model=heads * 8, encoder_layers=_pick(rng, 1, 2),
                decoder_layers=_pick(rng, 1, 2), encoder_attention_heads=heads, decoder_attention_heads=heads,
                encoder_ffn_dim=48, decoder_ffn_dim=_pick(rng, 40, 48), decoder_start_token_id=1, **IDS)


def gen_bart(rng):
    f = _seq2seq(rng)
    f["max_position_embeddings"] = 64
    _maybe(rng, f, "scale_embedding", True, False)
    _maybe(rng, f, "tie_word_embeddings", True, False)
    return "BartConfig", _pick(rng, "BartForConditionalGeneration", "BartModel", "BartForSequenceClassification",
                               "BartForQuestionAnswering", "BartForCausalLM"), f


def gen_mbart(rng):
    f = _seq2seq(rng)
    f["max_position_embeddings"] = 64
    _maybe(rng, f, "scale_embedding", True, False)
    return "MBartConfig", _pick(rng, "MBartForConditionalGeneration", "MBartModel"), f


def gen_whisper(rng):
    f = _seq2seq(rng)
    f.update(num_mel_bins=_pick(rng, 16, 80), max_source_positions=30, max_target_positions=40)
    _maybe(rng, f, "tie_word_embeddings", True, False)
    return "WhisperConfig", _pick(rng, "WhisperForConditionalGeneration", "WhisperModel"), f


def gen_vit(rng):
    heads = _pick(rng, 2, 4)
    f = dict(hidden_size=heads * 8, num_hidden_layers=_pick(rng, 1, 2), num_attention_heads=heads,
             intermediate_size=48, image_size=32, patch_size=_pick(rng, 8, 16), num_labels=_pick(rng, 3, 5))
    _maybe(rng, f, "qkv_bias", True, False)
    _maybe(rng, f, "num_channels", 1, 3)
    return "ViTConfig", _pick(rng, "ViTForImageClassification", "ViTModel"), f


def gen_clip(rng):
    text = dict(vocab_size=_vocab(rng), hidden_size=32, intermediate_size=48, num_hidden_layers=_pick(rng, 1, 2),
                num_attention_heads=4, max_position_embeddings=16, **IDS)
    vision = dict(hidden_size=_pick(rng, 16, 32), intermediate_size=40, num_hidden_layers=_pick(rng, 1, 2),
                  num_attention_heads=2, image_size=32, patch_size=_pick(rng, 8, 16))
    f = dict(projection_dim=_pick(rng, 8, 16), text_config=text, vision_config=vision)
    kind = _pick(rng, "CLIPModel", "CLIPTextModel", "CLIPVisionModel", "CLIPTextModelWithProjection",
                 "CLIPVisionModelWithProjection")
    if kind.startswith("CLIPText"):
        return "CLIPTextConfig", kind, dict(text, projection_dim=f["projection_dim"])
    if kind.startswith("CLIPVision"):
        return "CLIPVisionConfig", kind, dict(vision, projection_dim=f["projection_dim"])
    return "CLIPConfig", kind, f


def gen_swin(rng):
    stages = _pick(rng, 2, 3)
    f = dict(image_size=32, patch_size=_pick(rng, 2, 4), embed_dim=_pick(rng, 8, 16),
             depths=[_pick(rng, 1, 2) for _ in range(stages)], num_heads=[2 ** i for i in range(stages)],
             window_size=_pick(rng, 2, 4), num_labels=_pick(rng, 3, 5))
    _maybe(rng, f, "qkv_bias", True, False)
    _maybe(rng, f, "mlp_ratio", 2.0, 4.0)
    _maybe(rng, f, "use_absolute_embeddings", True, False)
    return "SwinConfig", _pick(rng, "SwinForImageClassification", "SwinModel"), f


def gen_convnext(rng):
    f = dict(hidden_sizes=[8, 16, 24, 32], depths=[_pick(rng, 1, 2) for _ in range(4)],
             num_labels=_pick(rng, 3, 5))
    _maybe(rng, f, "patch_size", 2, 4)
    _maybe(rng, f, "layer_scale_init_value", 0.0, 1e-6)
    _maybe(rng, f, "num_channels", 1, 3)
    return "ConvNextConfig", _pick(rng, "ConvNextForImageClassification", "ConvNextModel"), f


def gen_wav2vec2(rng):
    convs = _pick(rng, 2, 3)
    heads = _pick(rng, 2, 4)
    f = dict(vocab_size=_vocab(rng), hidden_size=heads * 8, num_hidden_layers=_pick(rng, 1, 2),
             num_attention_heads=heads, intermediate_size=48, conv_dim=[16] * convs,
             conv_stride=[5] + [2] * (convs - 1), conv_kernel=[10] + [3] * (convs - 1),
             num_conv_pos_embeddings=_pick(rng, 8, 16), num_conv_pos_embedding_groups=_pick(rng, 2, 4), **IDS)
    _maybe(rng, f, "conv_bias", True, False)
    _maybe(rng, f, "feat_extract_norm", "group", "layer")
    _maybe(rng, f, "do_stable_layer_norm", True, False)
    if rng.random() < 0.3:
        f.update(add_adapter=True, num_adapter_layers=_pick(rng, 1, 2), output_hidden_size=_pick(rng, 16, 32))
    return "Wav2Vec2Config", _pick(rng, "Wav2Vec2Model", "Wav2Vec2ForCTC", "Wav2Vec2ForPreTraining"), f


GENERATORS = {name[4:]: fn for name, fn in dict(globals()).items() if name.startswith("gen_")}


def draw(family: str, rng: random.Random):
    return GENERATORS[family](rng)


def oracle(config_class: str, model_class: str, fields: dict):
    """(config object, total, trainable) of the class transformers builds on the meta device."""
    import torch
    import transformers
    config = getattr(transformers, config_class)(**fields)
    with torch.device("meta"):
        model = getattr(transformers, model_class)(config)
    params = list(model.parameters())
    return config, sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


def imported(data: dict) -> tuple[int, int, str]:
    """(total, trainable, file) of `symparams import` on the config dict."""
    from symparams.engine.network import parse
    from symparams.frameworks.hf_config import from_hf_config
    text = from_hf_config(data)
    net = parse(text, convention="pytorch").evaluate()
    return int(net.params), int(net.trainable_params), text


def case(family: str, seed: int):
    """The draw for (family, seed): (config class, model class, fields), the same on every run; a causal
    language model is sometimes its family's other heads (sequence or token classification, question
    answering) when transformers has them."""
    import transformers
    rng = random.Random(f"{family}-{seed}")
    config_class, model_class, fields = draw(family, rng)
    if model_class.endswith(("ForCausalLM", "LMHeadModel")) and rng.random() < 0.3:
        prefix = model_class.rsplit("For", 1)[0].replace("LMHeadModel", "")
        heads = [c for c in (f"{prefix}ForSequenceClassification", f"{prefix}ForTokenClassification",
                             f"{prefix}ForQuestionAnswering") if hasattr(transformers, c)]
        if heads:
            model_class = _pick(rng, *heads)
            if model_class.endswith("SequenceClassification") or model_class.endswith("TokenClassification"):
                fields = dict(fields, num_labels=_pick(rng, 2, 3, 5))
    return config_class, model_class, fields


# fields transformers derives from others when they are null: a published config sometimes writes them so
NULLABLE = ("head_dim", "num_key_value_heads", "sliding_window", "n_inner", "num_kv_heads", "ffn_hidden_size",
            "q_lora_rank", "num_decoder_layers", "rope_scaling", "num_ln_in_parallel_attn", "layer_types")
MODES = ("full", "diff", "nulls")
SWITCH_MODES = ("switch",)      # any field of the config switched (switch_case)


def _from_json(data: dict, model_class: str):
    """(total, trainable) of the class transformers builds from the JSON itself (AutoConfig.for_model)."""
    import torch
    import transformers
    from transformers import AutoConfig
    config = AutoConfig.for_model(data["model_type"], **{k: v for k, v in data.items() if k != "model_type"})
    with torch.device("meta"):
        model = getattr(transformers, model_class)(config)
    params = list(model.parameters())
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


def check(family: str, seed: int, mode: str):
    """(problem or None, how: "structure" | "tensors" | "skip") for one draw, its config.json written in full
    (mode "full": every field, as to_dict), as published ones are ("diff": only what differs from the class'
    defaults), or so with some derivable fields written as null ("nulls", the oracle then built from that
    JSON)."""
    import json
    try:
        config_class, model_class, fields = switch_case(family, seed) if mode == "switch" else case(family, seed)
        config, total, trained = oracle(config_class, model_class, fields)
    except Exception as exc:   # noqa: BLE001 - a draw transformers itself refuses: not a case
        return f"transformers refuses it: {type(exc).__name__}: {str(exc)[:100]}", "skip"
    data = json.loads(config.to_json_string(use_diff=mode != "full"))
    data["architectures"] = [model_class]
    data.setdefault("model_type", config.model_type)
    if mode == "nulls":
        rng = random.Random(f"{family}-{seed}-nulls")
        for name in NULLABLE:
            if name not in data and hasattr(config, name) and rng.random() < 0.5:
                data[name] = None
        try:
            total, trained = _from_json(data, model_class)
        except Exception as exc:   # noqa: BLE001
            return f"transformers refuses the nulls: {type(exc).__name__}: {str(exc)[:100]}", "skip"
    from symparams.errors import SymparamsError
    try:
        got_total, got_trained, text = imported(data)
    except SymparamsError as exc:      # a located refusal: not wrong, but counted apart
        return f"{model_class} {data}: refused: {exc}", "refused"
    except Exception as exc:    # noqa: BLE001
        return f"{model_class} {data}: {type(exc).__name__}: {exc}", "error"
    how = "tensors" if "through transformers on the meta device" in text else "structure"
    if (got_total, got_trained) != (total, trained):
        return (f"{model_class} {data}: symparams {got_total}/{got_trained}, transformers {total}/{trained}",
                how)
    return None, how


# ---------------------------------------------------------------------------- any field switched

# fields no count depends on by their nature (token ids, bookkeeping); every other field of the config's to_dict
# may be switched
_NOT_SWITCHED = {"architectures", "id2label", "label2id", "_name_or_path", "transformers_version", "torch_dtype",
                 "dtype", "model_type", "return_dict", "output_hidden_states", "output_attentions",
                 "chunk_size_feed_forward", "is_encoder_decoder", "tie_encoder_decoder", "problem_type",
                 "tokenizer_class", "prefix", "task_specific_params", "finetuning_task", "add_cross_attention",
                 "cross_attention_hidden_size", "is_decoder", "pruned_heads", "tf_legacy_loss", "use_bfloat16",
                 "bad_words_ids", "begin_suppress_tokens", "suppress_tokens", "forced_decoder_ids",
                 "decoder_start_token_id", "sep_token_id", "cls_token_id", "unk_token_id", "mask_token_id"}
# the values a string or float field is switched to (other strings and floats change no count)
_STRINGS = {"hidden_act": ("gelu", "relu", "silu", "gelu_new", "tanh"),
            "activation_function": ("gelu", "relu", "silu", "gelu_new"),
            "feed_forward_proj": ("relu", "gated-gelu", "gated-silu", "gelu"),
            "feat_extract_norm": ("group", "layer"), "feat_extract_activation": ("gelu", "relu"),
            "position_embedding_type": ("absolute", "relative_key", "relative_key_query"),
            "topk_method": ("greedy", "group_limited_greedy", "noaux_tc"), "scoring_func": ("softmax", "sigmoid"),
            "time_step_rank": ("auto",), "pooler_act": ("tanh", "relu"), "projector_hidden_act": ("gelu", "relu"),
            "classifier_activation": ("tanh", "gelu")}
_FLOATS = {"layer_scale_init_value": (0.0, 1e-6), "mlp_ratio": (2.0, 3.0, 4.0), "partial_rotary_factor": (0.25, 0.5, 1.0),
           "rotary_pct": (0.25, 1.0), "final_logit_softcapping": (None, 30.0), "attn_logit_softcapping": (None, 50.0),
           "mask_time_prob": (0.0, 0.05), "mask_feature_prob": (0.0, 0.1), "clip_qkv": (None, 8.0),
           "query_pre_attn_scalar": (8.0, 16.0), "routed_scaling_factor": (1.0, 2.5)}

# whole-number fields whose 0 is a model (no dense layers first, no shared expert, no token types...)
_ZERO = {"first_k_dense_replace", "n_shared_experts", "type_vocab_size", "num_ln_in_parallel_attn", "n_group",
         "topk_group", "shared_expert_intermediate_size", "decoder_sparse_step", "sliding_window",
         "max_window_layers", "rotary_dim", "layer_norm_eps", "num_labels", "moe_layer_freq",
         "num_adapter_layers", "tdnn_dim", "classifier_proj_size", "q_lora_rank", "n_inner"}

# fields a class does not declare but its modeling code reads when a config.json gives them (getattr(config, ...))
_READ_IF_GIVEN = {"head_dim": (4, 8, 16), "apply_spec_augment": (False,)}


def _switched(rng: random.Random, key: str, value):
    """Another value for one field: a boolean flipped, a whole number resized, null given a value, a string or
    float from its few alternatives; None when the field is not one to switch."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        zero = (0,) if key in _ZERO else ()     # elsewhere 0 is no model (0 layers, 0 heads): refused, not drawn
        return _pick(rng, *[v for v in zero + (1, 2, 3, 4, 8, value + 1, 2 * value) if v != value])
    if value is None:
        if key in _FLOATS:
            return _pick(rng, *[v for v in _FLOATS[key] if v is not None])
        if key in _STRINGS:
            return _pick(rng, *_STRINGS[key])
        return _pick(rng, 1, 2, 8, 16, False, True)
    if isinstance(value, str) and key in _STRINGS:
        return _pick(rng, *[v for v in _STRINGS[key] if v != value] or [value])
    if isinstance(value, float) and key in _FLOATS:
        return _pick(rng, *[v for v in _FLOATS[key] if v != value] or [value])
    if isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return [max(1, v + _pick(rng, -1, 0, 1)) for v in value]
    return None


def family_classes(model_type: str) -> list[str]:
    """Every model class transformers' auto mappings give the family (its heads), that transformers has."""
    import transformers
    from transformers.models.auto import modeling_auto
    found = set()
    for name in dir(modeling_auto):
        if name.startswith("MODEL") and name.endswith("_MAPPING_NAMES"):
            value = getattr(modeling_auto, name).get(model_type)
            found.update([value] if isinstance(value, str) else value or ())
    return sorted(c for c in found if isinstance(getattr(transformers, c, None), type))


def switch_case(family: str, seed: int, switches: int = 3):
    """The draw for (family, seed) with `switches` fields of its full config (any field transformers keeps, not
    only those the generators vary) given another value, and half the time another of the family's classes."""
    import transformers
    config_class, model_class, fields = case(family, seed)
    rng = random.Random(f"{family}-{seed}-switch")
    full = getattr(transformers, config_class)(**fields).to_dict()
    keys = sorted(k for k, v in full.items() if k not in _NOT_SWITCHED and not k.endswith("_token_id")
                  and not isinstance(v, dict) and (not isinstance(v, float) or k in _FLOATS))
    fields = dict(fields)
    for key in rng.sample(keys, min(rng.randint(1, switches), len(keys))):
        value = _switched(rng, key, full[key])
        if value is not None or full[key] is not None:
            fields[key] = value
    for key, values in _READ_IF_GIVEN.items():
        if key not in full and rng.random() < 0.3:
            fields[key] = _pick(rng, *values)
    if rng.random() < 0.5:
        model_class = _pick(rng, *family_classes(full.get("model_type") or family))
    return config_class, model_class, fields


def sweep(family: str, seed: int = 0):
    """Each field of the family's draw switched alone, to each of its alternatives, for the draw's class and one
    other of the family: yields (field, value, class, changes the count, problem or None). Which fields change a
    count, and whether the import follows each."""
    import json
    import transformers
    from symparams.errors import SymparamsError
    config_class, model_class, fields = case(family, seed)
    full = getattr(transformers, config_class)(**fields).to_dict()
    classes = family_classes(full.get("model_type") or family)
    for key in sorted(full):
        if key in _NOT_SWITCHED or key.endswith("_token_id") or isinstance(full[key], dict):
            continue
        value = full[key]
        if isinstance(value, bool):
            values = [not value]
        elif isinstance(value, int):
            values = [v for v in ((0,) if key in _ZERO else ()) + (1, 3, value + 1, 2 * value) if v != value]
        elif value is None:
            values = [v for v in _FLOATS.get(key, _STRINGS.get(key, (2, 8, True))) if v is not None]
        elif isinstance(value, (str, float)):
            values = [v for v in (_STRINGS if isinstance(value, str) else _FLOATS).get(key, ()) if v != value]
        else:
            values = []
        rng = random.Random(f"{family}-{seed}-{key}")
        for new in values:
            for cls in {model_class, _pick(rng, *classes)}:
                try:
                    _, before, _ = oracle(config_class, cls, fields)
                    config, total, trained = oracle(config_class, cls, dict(fields, **{key: new}))
                except Exception:       # noqa: BLE001 - transformers refuses the switch
                    continue
                data = json.loads(config.to_json_string(use_diff=True))
                data.update(architectures=[cls], model_type=data.get("model_type") or config.model_type)
                try:
                    got = imported(data)[:2]
                    problem = None if got == (total, trained) else f"symparams {got}, transformers {(total, trained)}"
                except SymparamsError as exc:
                    problem = f"refused: {str(exc).splitlines()[0][:100]}"
                yield key, new, cls, total != before, problem


if __name__ == "__main__":
    import sys
    if sys.argv[1:2] == ["--sweep"]:        # python tests/hf_random.py --sweep [family ...]: one field at a time
        for fam in sys.argv[2:] or list(GENERATORS):
            changing, wrong = set(), 0
            for key, new, cls, changes, problem in sweep(fam):
                changing.update([key] if changes else [])
                if problem and not problem.startswith("refused"):
                    wrong += 1
                    print(f"{fam} {cls} {key}={new!r}: {problem}", flush=True)
            print(f"== {fam}: fields changing a count: {', '.join(sorted(changing))}; wrong: {wrong}", flush=True)
        sys.exit(0)
    draws = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    families = sys.argv[2:] or list(GENERATORS)
    import os
    modes = os.environ.get("SYMPARAMS_HF_MODES", ",".join(MODES + SWITCH_MODES)).split(",")
    grand = {}
    for fam in families:
        tally = {}
        for seed in range(draws):
            for mode in modes:
                problem, how = check(fam, seed, mode)
                key = "bad" if problem and how not in ("skip", "refused") else how
                tally[key] = tally.get(key, 0) + 1
                if problem:
                    print(f"{fam} seed={seed} {mode}: [{how}] {problem}", flush=True)
        print(f"== {fam}: {tally}", flush=True)
        for key, n in tally.items():
            grand[key] = grand.get(key, 0) + n
    print(f"== all {len(families)} families: {grand}")
