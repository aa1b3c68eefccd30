"""config.json files shaped like published ones (the fields and values their model cards' configs carry,
written from memory: the old field names, rope_scaling dicts, torch_dtype, transformers_version, token ids,
fields at their defaults left out or written), each imported by `symparams import` and compared with the
class transformers builds from the same JSON on the meta device. Sizes are the real ones; nothing is
allocated (the meta device) and nothing is downloaded."""

from __future__ import annotations

LLAMA31_8B = {
    "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 128000,
    "eos_token_id": 128001, "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02,
    "intermediate_size": 14336, "max_position_embeddings": 131072, "mlp_bias": False, "model_type": "llama",
    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "pretraining_tp": 1,
    "rms_norm_eps": 1e-05, "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                             "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rope_theta": 500000.0, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    "transformers_version": "4.43.0.dev0", "use_cache": True, "vocab_size": 128256}

PUBLISHED = {
    "Llama-3.1-8B": LLAMA31_8B,
    "Llama-3.2-1B": dict(LLAMA31_8B, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                         head_dim=64, tie_word_embeddings=True,
                         rope_scaling={"factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                       "original_max_position_embeddings": 8192, "rope_type": "llama3"}),
    "Mistral-7B-v0.1": {
        "architectures": ["MistralForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
        "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 14336,
        "max_position_embeddings": 32768, "model_type": "mistral", "num_attention_heads": 32,
        "num_hidden_layers": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
        "sliding_window": 4096, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
        "transformers_version": "4.34.0.dev0", "use_cache": True, "vocab_size": 32000},
    "Mixtral-8x7B": {
        "architectures": ["MixtralForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2,
        "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 14336,
        "max_position_embeddings": 32768, "model_type": "mixtral", "num_attention_heads": 32,
        "num_experts_per_tok": 2, "num_hidden_layers": 32, "num_key_value_heads": 8, "num_local_experts": 8,
        "output_router_logits": False, "rms_norm_eps": 1e-05, "rope_theta": 1e6, "router_aux_loss_coef": 0.02,
        "sliding_window": None, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
        "transformers_version": "4.36.0.dev0", "use_cache": True, "vocab_size": 32000},
    "Qwen2.5-0.5B": {
        "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
        "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
        "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 24, "model_type": "qwen2",
        "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
        "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
        "transformers_version": "4.40.1", "use_cache": True, "use_mrope": False, "use_sliding_window": False,
        "vocab_size": 151936},
    "Qwen1.5-MoE-A2.7B": {
        "architectures": ["Qwen2MoeForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
        "decoder_sparse_step": 1, "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 2048,
        "initializer_range": 0.02, "intermediate_size": 5632, "max_position_embeddings": 8192,
        "max_window_layers": 21, "model_type": "qwen2_moe", "moe_intermediate_size": 1408, "norm_topk_prob": False,
        "num_attention_heads": 16, "num_experts": 60, "num_experts_per_tok": 4, "num_hidden_layers": 24,
        "num_key_value_heads": 16, "output_router_logits": False, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
        "router_aux_loss_coef": 0.001, "shared_expert_intermediate_size": 5632, "sliding_window": 32768,
        "tie_word_embeddings": False, "torch_dtype": "bfloat16", "transformers_version": "4.39.0.dev0",
        "use_cache": True, "use_sliding_window": False, "vocab_size": 151936},
    "Qwen3-8B": {
        "architectures": ["Qwen3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu", "hidden_size": 4096,
        "initializer_range": 0.02, "intermediate_size": 12288, "max_position_embeddings": 40960,
        "max_window_layers": 36, "model_type": "qwen3", "num_attention_heads": 32, "num_hidden_layers": 36,
        "num_key_value_heads": 8, "rms_norm_eps": 1e-06, "rope_scaling": None, "rope_theta": 1000000,
        "sliding_window": None, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
        "transformers_version": "4.51.0", "use_cache": True, "use_sliding_window": False, "vocab_size": 151936},
    "Qwen3-30B-A3B": {
        "architectures": ["Qwen3MoeForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 151643, "decoder_sparse_step": 1, "eos_token_id": 151645, "head_dim": 128,
        "hidden_act": "silu", "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 6144,
        "max_position_embeddings": 40960, "max_window_layers": 48, "mlp_only_layers": [], "model_type": "qwen3_moe",
        "moe_intermediate_size": 768, "norm_topk_prob": True, "num_attention_heads": 32, "num_experts": 128,
        "num_experts_per_tok": 8, "num_hidden_layers": 48, "num_key_value_heads": 4, "output_router_logits": False,
        "rms_norm_eps": 1e-06, "rope_scaling": None, "rope_theta": 1000000.0, "router_aux_loss_coef": 0.001,
        "sliding_window": None, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
        "transformers_version": "4.51.0", "use_cache": True, "use_sliding_window": False, "vocab_size": 151936},
    "gemma-2b": {
        "architectures": ["GemmaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 2,
        "eos_token_id": 1, "head_dim": 256, "hidden_act": "gelu", "hidden_size": 2048, "initializer_range": 0.02,
        "intermediate_size": 16384, "max_position_embeddings": 8192, "model_type": "gemma",
        "num_attention_heads": 8, "num_hidden_layers": 18, "num_key_value_heads": 1, "pad_token_id": 0,
        "rms_norm_eps": 1e-06, "rope_scaling": None, "rope_theta": 10000.0, "torch_dtype": "bfloat16",
        "transformers_version": "4.38.0.dev0", "use_cache": True, "vocab_size": 256000},
    "gemma-2-2b": {
        "architectures": ["Gemma2ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "attn_logit_softcapping": 50.0, "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": 1,
        "final_logit_softcapping": 30.0, "head_dim": 256, "hidden_act": "gelu_pytorch_tanh",
        "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 2304, "initializer_range": 0.02,
        "intermediate_size": 9216, "max_position_embeddings": 8192, "model_type": "gemma2",
        "num_attention_heads": 8, "num_hidden_layers": 26, "num_key_value_heads": 4, "pad_token_id": 0,
        "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "sliding_window": 4096,
        "torch_dtype": "float32", "transformers_version": "4.42.4", "use_cache": True, "vocab_size": 256000},
    "gemma-3-1b-it": {
        "architectures": ["Gemma3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "attn_logit_softcapping": None, "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": [1, 106],
        "final_logit_softcapping": None, "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh",
        "hidden_size": 1152, "initializer_range": 0.02, "intermediate_size": 6912, "max_position_embeddings": 32768,
        "model_type": "gemma3_text", "num_attention_heads": 4, "num_hidden_layers": 26, "num_key_value_heads": 1,
        "pad_token_id": 0, "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_local_base_freq": 10000,
        "rope_scaling": None, "rope_theta": 1000000, "sliding_window": 512, "sliding_window_pattern": 6,
        "torch_dtype": "bfloat16", "transformers_version": "4.50.0.dev0", "use_cache": True, "vocab_size": 262144},
    "gemma-3-4b text": {
        "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "head_dim": 256, "hidden_size": 2560,
        "intermediate_size": 10240, "num_attention_heads": 8, "num_hidden_layers": 34, "num_key_value_heads": 4,
        "query_pre_attn_scalar": 256, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
        "sliding_window": 1024, "vocab_size": 262208, "max_position_embeddings": 131072},
    "Phi-3-mini-4k": {
        "architectures": ["Phi3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 1,
        "embd_pdrop": 0.0, "eos_token_id": 32000, "hidden_act": "silu", "hidden_size": 3072,
        "initializer_range": 0.02, "intermediate_size": 8192, "max_position_embeddings": 4096, "model_type": "phi3",
        "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
        "original_max_position_embeddings": 4096, "pad_token_id": 32000, "resid_pdrop": 0.0, "rms_norm_eps": 1e-05,
        "rope_scaling": None, "rope_theta": 10000.0, "sliding_window": 2047, "tie_word_embeddings": False,
        "torch_dtype": "bfloat16", "transformers_version": "4.40.2", "use_cache": True, "vocab_size": 32064},
    "phi-2": {
        "architectures": ["PhiForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 50256, "embd_pdrop": 0.0,
        "eos_token_id": 50256, "hidden_act": "gelu_new", "hidden_size": 2560, "initializer_range": 0.02,
        "intermediate_size": 10240, "layer_norm_eps": 1e-05, "max_position_embeddings": 2048, "model_type": "phi",
        "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
        "partial_rotary_factor": 0.4, "qk_layernorm": False, "resid_pdrop": 0.1, "rope_scaling": None,
        "rope_theta": 10000.0, "tie_word_embeddings": False, "torch_dtype": "float16",
        "transformers_version": "4.37.0", "use_cache": True, "vocab_size": 51200},
    "OLMo-1B-hf": {
        "architectures": ["OlmoForCausalLM"], "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": None,
        "clip_qkv": None, "eos_token_id": 50279, "hidden_act": "silu", "hidden_size": 2048,
        "initializer_range": 0.02, "intermediate_size": 8192, "max_position_embeddings": 2048, "model_type": "olmo",
        "num_attention_heads": 16, "num_hidden_layers": 16, "num_key_value_heads": 16, "pad_token_id": 1,
        "pretraining_tp": 1, "rope_scaling": None, "rope_theta": 10000.0, "tie_word_embeddings": True,
        "torch_dtype": "float32", "transformers_version": "4.40.0.dev0", "use_cache": True, "vocab_size": 50304},
    "OLMo-2-1124-7B": {
        "architectures": ["Olmo2ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "eos_token_id": 100257, "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02,
        "intermediate_size": 11008, "max_position_embeddings": 4096, "model_type": "olmo2",
        "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32, "pad_token_id": 100277,
        "rms_norm_eps": 1e-06, "rope_scaling": None, "rope_theta": 500000, "tie_word_embeddings": False,
        "torch_dtype": "float32", "transformers_version": "4.47.0.dev0", "use_cache": True, "vocab_size": 100352},
    "stablelm-2-1_6b": {
        "architectures": ["StableLmForCausalLM"], "bos_token_id": 100257, "eos_token_id": 100257,
        "hidden_act": "silu", "hidden_dropout": 0.0, "hidden_size": 2048, "initializer_range": 0.02,
        "intermediate_size": 5632, "layer_norm_eps": 1e-05, "max_position_embeddings": 4096,
        "model_type": "stablelm", "num_attention_heads": 32, "num_hidden_layers": 24, "num_key_value_heads": 32,
        "partial_rotary_factor": 0.25, "qk_layernorm": False, "rope_theta": 10000, "tie_word_embeddings": False,
        "torch_dtype": "float16", "transformers_version": "4.38.0", "use_cache": True, "use_parallel_residual": False,
        "use_qkv_bias": True, "vocab_size": 100352},
    "starcoder2-3b": {
        "architectures": ["Starcoder2ForCausalLM"], "attention_dropout": 0.1, "bos_token_id": 0,
        "embedding_dropout": 0.1, "eos_token_id": 0, "hidden_act": "gelu_pytorch_tanh", "hidden_size": 3072,
        "initializer_range": 0.018042, "intermediate_size": 12288, "max_position_embeddings": 16384,
        "mlp_type": "default", "model_type": "starcoder2", "norm_epsilon": 1e-05, "norm_type": "layer_norm",
        "num_attention_heads": 24, "num_hidden_layers": 30, "num_key_value_heads": 2, "residual_dropout": 0.1,
        "rope_theta": 999999.4420358813, "sliding_window": 4096, "torch_dtype": "bfloat16",
        "transformers_version": "4.37.0.dev0", "use_bias": True, "use_cache": True, "vocab_size": 49152},
    "falcon-7b": {
        "alibi": False, "apply_residual_connection_post_layernorm": False, "architectures": ["FalconForCausalLM"],
        "attention_dropout": 0.0, "bias": False, "bos_token_id": 11, "eos_token_id": 11, "hidden_dropout": 0.0,
        "hidden_size": 4544, "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "falcon",
        "multi_query": True, "new_decoder_architecture": False, "num_attention_heads": 71,
        "num_hidden_layers": 32, "parallel_attn": True, "torch_dtype": "bfloat16",
        "transformers_version": "4.27.4", "use_cache": True, "vocab_size": 65024},
    "falcon-40b": {
        "alibi": False, "apply_residual_connection_post_layernorm": False, "architectures": ["FalconForCausalLM"],
        "attention_dropout": 0.0, "bias": False, "bos_token_id": 11, "eos_token_id": 11, "hidden_dropout": 0.0,
        "hidden_size": 8192, "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "falcon",
        "new_decoder_architecture": True, "num_attention_heads": 128, "num_hidden_layers": 60, "num_kv_heads": 8,
        "parallel_attn": True, "torch_dtype": "bfloat16", "transformers_version": "4.27.4", "use_cache": True,
        "vocab_size": 65024},
    "bloom-560m": {
        "apply_residual_connection_post_layernorm": False, "architectures": ["BloomForCausalLM"],
        "attention_dropout": 0.0, "attention_softmax_in_fp32": True, "bias_dropout_fusion": True,
        "bos_token_id": 1, "eos_token_id": 2, "hidden_dropout": 0.0, "hidden_size": 1024, "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05, "masked_softmax_fusion": True, "model_type": "bloom", "n_head": 16,
        "n_inner": None, "n_layer": 24, "offset_alibi": 100, "pad_token_id": 3, "pretraining_tp": 1,
        "skip_bias_add": True, "skip_bias_add_qkv": False, "slow_but_exact": False, "unk_token_id": 0,
        "use_cache": True, "vocab_size": 250880},
    "bloom-560m (n_embed)": {
        "apply_residual_connection_post_layernorm": False, "architectures": ["BloomForCausalLM"],
        "attention_dropout": 0.0, "attention_softmax_in_fp32": True, "bos_token_id": 1, "eos_token_id": 2,
        "hidden_dropout": 0.0, "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "masked_softmax_fusion": True,
        "model_type": "bloom", "n_embed": 1024, "n_inner": None, "n_layer": 24, "num_attention_heads": 16,
        "offset_alibi": 100, "pad_token_id": 3, "pretraining_tp": 1, "skip_bias_add": True, "skip_bias_add_qkv": False,
        "slow_but_exact": False, "unk_token_id": 0, "use_cache": True, "vocab_size": 250880},
    "opt-350m": {
        "_remove_final_layer_norm": False, "activation_dropout": 0.0, "activation_function": "relu",
        "architectures": ["OPTForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 2, "do_layer_norm_before": False,
        "dropout": 0.1, "eos_token_id": 2, "ffn_dim": 4096, "hidden_size": 1024, "init_std": 0.02, "layerdrop": 0.0,
        "max_position_embeddings": 2048, "model_type": "opt", "num_attention_heads": 16, "num_hidden_layers": 24,
        "pad_token_id": 1, "prefix": "</s>", "torch_dtype": "float16", "transformers_version": "4.20.0.dev0",
        "use_cache": True, "vocab_size": 50272, "word_embed_proj_dim": 512},
    "opt-125m": {
        "_remove_final_layer_norm": False, "activation_dropout": 0.0, "activation_function": "relu",
        "architectures": ["OPTForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 2, "do_layer_norm_before": True,
        "dropout": 0.1, "eos_token_id": 2, "ffn_dim": 3072, "hidden_size": 768, "init_std": 0.02, "layerdrop": 0.0,
        "max_position_embeddings": 2048, "model_type": "opt", "num_attention_heads": 12, "num_hidden_layers": 12,
        "pad_token_id": 1, "prefix": "</s>", "torch_dtype": "float16", "transformers_version": "4.21.0.dev0",
        "use_cache": True, "vocab_size": 50272, "word_embed_proj_dim": 768},
    "gpt-j-6b": {
        "activation_function": "gelu_new", "architectures": ["GPTJForCausalLM"], "attn_pdrop": 0.0,
        "bos_token_id": 50256, "embd_pdrop": 0.0, "eos_token_id": 50256, "gradient_checkpointing": False,
        "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "gptj", "n_embd": 4096, "n_head": 16,
        "n_inner": None, "n_layer": 28, "n_positions": 2048, "resid_pdrop": 0.0, "rotary": True, "rotary_dim": 64,
        "scale_attn_weights": True, "tie_word_embeddings": False, "use_cache": True, "vocab_size": 50400},
    "pythia-160m": {
        "architectures": ["GPTNeoXForCausalLM"], "bos_token_id": 0, "eos_token_id": 0, "hidden_act": "gelu",
        "hidden_size": 768, "initializer_range": 0.02, "intermediate_size": 3072, "layer_norm_eps": 1e-05,
        "max_position_embeddings": 2048, "model_type": "gpt_neox", "num_attention_heads": 12,
        "num_hidden_layers": 12, "rotary_emb_base": 10000, "rotary_pct": 0.25, "tie_word_embeddings": False,
        "torch_dtype": "float16", "transformers_version": "4.24.0", "use_cache": True, "use_parallel_residual": True,
        "vocab_size": 50304},
    "gpt2": {
        "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
        "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
        "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": None,
        "summary_first_dropout": 0.1, "summary_proj_to_labels": True, "summary_type": "cls_index",
        "summary_use_proj": True, "task_specific_params": {"text-generation": {"do_sample": True, "max_length": 50}},
        "vocab_size": 50257},
    "DeepSeek-V2-Lite": {
        "architectures": ["DeepseekV2ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "aux_loss_alpha": 0.001, "bos_token_id": 100000, "eos_token_id": 100001, "ep_size": 1,
        "first_k_dense_replace": 1, "hidden_act": "silu", "hidden_size": 2048, "initializer_range": 0.02,
        "intermediate_size": 10944, "kv_lora_rank": 512, "max_position_embeddings": 163840,
        "model_type": "deepseek_v2", "moe_intermediate_size": 1408, "moe_layer_freq": 1, "n_group": 1,
        "n_routed_experts": 64, "n_shared_experts": 2, "norm_topk_prob": False, "num_attention_heads": 16,
        "num_experts_per_tok": 6, "num_hidden_layers": 27, "num_key_value_heads": 16, "pretraining_tp": 1,
        "q_lora_rank": None, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "rms_norm_eps": 1e-06,
        "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 0.707, "mscale_all_dim": 0.707,
                         "original_max_position_embeddings": 4096, "type": "yarn"},
        "rope_theta": 10000, "routed_scaling_factor": 1.0, "scoring_func": "softmax", "seq_aux": True,
        "tie_word_embeddings": False, "topk_group": 1, "topk_method": "greedy", "torch_dtype": "bfloat16",
        "transformers_version": "4.33.1", "use_cache": True, "v_head_dim": 128, "vocab_size": 102400},
    "DeepSeek-V3": {
        "architectures": ["DeepseekV3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "aux_loss_alpha": 0.001, "bos_token_id": 0, "eos_token_id": 1, "ep_size": 1, "first_k_dense_replace": 3,
        "hidden_act": "silu", "hidden_size": 7168, "initializer_range": 0.02, "intermediate_size": 18432,
        "kv_lora_rank": 512, "max_position_embeddings": 163840, "model_type": "deepseek_v3",
        "moe_intermediate_size": 2048, "moe_layer_freq": 1, "n_group": 8, "n_routed_experts": 256,
        "n_shared_experts": 1, "norm_topk_prob": True, "num_attention_heads": 128, "num_experts_per_tok": 8,
        "num_hidden_layers": 61, "num_key_value_heads": 128, "num_nextn_predict_layers": 1, "q_lora_rank": 1536,
        "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
        "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0, "mscale_all_dim": 1.0,
                         "original_max_position_embeddings": 4096, "type": "yarn"},
        "rope_theta": 10000, "routed_scaling_factor": 2.5, "scoring_func": "sigmoid", "tie_word_embeddings": False,
        "topk_group": 4, "topk_method": "noaux_tc", "torch_dtype": "bfloat16", "transformers_version": "4.33.1",
        "use_cache": True, "v_head_dim": 128, "vocab_size": 129280},
    "mamba-130m-hf": {
        "architectures": ["MambaForCausalLM"], "bos_token_id": 0, "conv_kernel": 4, "eos_token_id": 0, "expand": 2,
        "fused_add_norm": True, "hidden_act": "silu", "hidden_size": 768, "initializer_range": 0.1,
        "intermediate_size": 1536, "layer_norm_epsilon": 1e-05, "model_type": "mamba", "n_layer": 24,
        "num_hidden_layers": 24, "pad_token_id": 0, "pad_vocab_size_multiple": 8, "rescale_prenorm_residual": False,
        "residual_in_fp32": True, "rms_norm": True, "state_size": 16, "time_step_floor": 0.0001,
        "time_step_init_scheme": "random", "time_step_max": 0.1, "time_step_min": 0.001, "time_step_rank": 48,
        "time_step_scale": 1.0, "torch_dtype": "float32", "transformers_version": "4.39.0.dev0", "use_bias": False,
        "use_cache": True, "use_conv_bias": True, "vocab_size": 50280},
    "bert-base-uncased": {
        "architectures": ["BertForMaskedLM"], "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": False,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768, "initializer_range": 0.02,
        "intermediate_size": 3072, "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert",
        "num_attention_heads": 12, "num_hidden_layers": 12, "pad_token_id": 0, "position_embedding_type": "absolute",
        "transformers_version": "4.6.0.dev0", "type_vocab_size": 2, "use_cache": True, "vocab_size": 30522},
    "roberta-base": {
        "architectures": ["RobertaForMaskedLM"], "attention_probs_dropout_prob": 0.1, "bos_token_id": 0,
        "eos_token_id": 2, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768,
        "initializer_range": 0.02, "intermediate_size": 3072, "layer_norm_eps": 1e-05, "max_position_embeddings": 514,
        "model_type": "roberta", "num_attention_heads": 12, "num_hidden_layers": 12, "pad_token_id": 1,
        "type_vocab_size": 1, "vocab_size": 50265},
    "distilbert-base-uncased": {
        "activation": "gelu", "architectures": ["DistilBertForMaskedLM"], "attention_dropout": 0.1, "dim": 768,
        "dropout": 0.1, "hidden_dim": 3072, "initializer_range": 0.02, "max_position_embeddings": 512,
        "model_type": "distilbert", "n_heads": 12, "n_layers": 6, "pad_token_id": 0, "qa_dropout": 0.1,
        "seq_classif_dropout": 0.2, "sinusoidal_pos_embds": False, "tie_weights_": True,
        "transformers_version": "4.10.0.dev0", "vocab_size": 30522},
    "t5-base": {
        "architectures": ["T5ForConditionalGeneration"], "d_ff": 3072, "d_kv": 64, "d_model": 768,
        "decoder_start_token_id": 0, "dropout_rate": 0.1, "eos_token_id": 1, "initializer_factor": 1.0,
        "is_encoder_decoder": True, "layer_norm_epsilon": 1e-06, "model_type": "t5", "n_positions": 512,
        "num_heads": 12, "num_layers": 12, "output_past": True, "pad_token_id": 0,
        "relative_attention_num_buckets": 32, "vocab_size": 32128},
    "flan-t5-small": {
        "architectures": ["T5ForConditionalGeneration"], "d_ff": 1024, "d_kv": 64, "d_model": 512,
        "decoder_start_token_id": 0, "dense_act_fn": "gelu_new", "dropout_rate": 0.1, "eos_token_id": 1,
        "feed_forward_proj": "gated-gelu", "initializer_factor": 1.0, "is_encoder_decoder": True,
        "is_gated_act": True, "layer_norm_epsilon": 1e-06, "model_type": "t5", "n_positions": 512,
        "num_decoder_layers": 8, "num_heads": 6, "num_layers": 8, "output_past": True, "pad_token_id": 0,
        "relative_attention_max_distance": 128, "relative_attention_num_buckets": 32,
        "tie_word_embeddings": False, "transformers_version": "4.23.1", "use_cache": True, "vocab_size": 32128},
    "bart-base": {
        "activation_dropout": 0.1, "activation_function": "gelu", "add_bias_logits": False,
        "add_final_layer_norm": False, "architectures": ["BartModel"], "attention_dropout": 0.1, "bos_token_id": 0,
        "classif_dropout": 0.1, "classifier_dropout": 0.0, "d_model": 768, "decoder_attention_heads": 12,
        "decoder_ffn_dim": 3072, "decoder_layerdrop": 0.0, "decoder_layers": 6, "decoder_start_token_id": 2,
        "dropout": 0.1, "early_stopping": True, "encoder_attention_heads": 12, "encoder_ffn_dim": 3072,
        "encoder_layerdrop": 0.0, "encoder_layers": 6, "eos_token_id": 2, "forced_eos_token_id": 2,
        "gradient_checkpointing": False, "init_std": 0.02, "is_encoder_decoder": True,
        "max_position_embeddings": 1024, "model_type": "bart", "no_repeat_ngram_size": 3, "normalize_before": False,
        "normalize_embedding": True, "num_beams": 4, "num_hidden_layers": 6, "pad_token_id": 1,
        "scale_embedding": False, "transformers_version": "4.12.0.dev0", "use_cache": True, "vocab_size": 50265},
    "whisper-small": {
        "activation_dropout": 0.0, "activation_function": "gelu", "architectures": ["WhisperForConditionalGeneration"],
        "attention_dropout": 0.0, "begin_suppress_tokens": [220, 50257], "bos_token_id": 50257, "d_model": 768,
        "decoder_attention_heads": 12, "decoder_ffn_dim": 3072, "decoder_layerdrop": 0.0, "decoder_layers": 12,
        "decoder_start_token_id": 50258, "dropout": 0.0, "encoder_attention_heads": 12, "encoder_ffn_dim": 3072,
        "encoder_layerdrop": 0.0, "encoder_layers": 12, "eos_token_id": 50257, "init_std": 0.02,
        "is_encoder_decoder": True, "max_length": 448, "max_source_positions": 1500, "max_target_positions": 448,
        "model_type": "whisper", "num_hidden_layers": 12, "num_mel_bins": 80, "pad_token_id": 50257,
        "scale_embedding": False, "torch_dtype": "float32", "transformers_version": "4.27.0.dev0",
        "use_cache": True, "vocab_size": 51865},
    "vit-base-patch16-224": {
        "architectures": ["ViTForImageClassification"], "attention_probs_dropout_prob": 0.0, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0, "hidden_size": 768, "image_size": 224, "initializer_range": 0.02,
        "intermediate_size": 3072, "layer_norm_eps": 1e-12, "model_type": "vit", "num_attention_heads": 12,
        "num_channels": 3, "num_hidden_layers": 12, "patch_size": 16, "qkv_bias": True,
        "id2label": {str(i): f"class{i}" for i in range(1000)},
        "label2id": {f"class{i}": i for i in range(1000)}, "transformers_version": "4.13.0.dev0"},
    "clip-vit-base-patch32": {
        "architectures": ["CLIPModel"], "initializer_factor": 1.0, "logit_scale_init_value": 2.6592,
        "model_type": "clip", "projection_dim": 512,
        "text_config": {"bos_token_id": 0, "eos_token_id": 2, "hidden_act": "quick_gelu", "hidden_size": 512,
                        "intermediate_size": 2048, "max_position_embeddings": 77, "model_type": "clip_text_model",
                        "num_attention_heads": 8, "num_hidden_layers": 12, "vocab_size": 49408},
        "vision_config": {"hidden_act": "quick_gelu", "hidden_size": 768, "image_size": 224,
                          "intermediate_size": 3072, "model_type": "clip_vision_model", "num_attention_heads": 12,
                          "num_hidden_layers": 12, "patch_size": 32},
        "torch_dtype": "float32", "transformers_version": None},
    "swin-tiny-patch4-window7-224": {
        "architectures": ["SwinForImageClassification"], "attention_probs_dropout_prob": 0.0, "depths": [2, 2, 6, 2],
        "drop_path_rate": 0.1, "embed_dim": 96, "encoder_stride": 32, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0, "hidden_size": 768, "image_size": 224, "initializer_range": 0.02,
        "layer_norm_eps": 1e-05, "mlp_ratio": 4.0, "model_type": "swin", "num_channels": 3, "num_heads": [3, 6, 12, 24],
        "num_layers": 4, "patch_size": 4, "path_norm": True, "qkv_bias": True, "use_absolute_embeddings": False,
        "window_size": 7, "id2label": {str(i): f"class{i}" for i in range(1000)},
        "label2id": {f"class{i}": i for i in range(1000)}, "transformers_version": "4.13.0.dev0"},
    "convnext-tiny-224": {
        "architectures": ["ConvNextForImageClassification"], "depths": [3, 3, 9, 3], "drop_path_rate": 0.0,
        "hidden_act": "gelu", "hidden_sizes": [96, 192, 384, 768], "image_size": 224, "initializer_range": 0.02,
        "layer_norm_eps": 1e-12, "layer_scale_init_value": 1e-06, "model_type": "convnext", "num_channels": 3,
        "num_stages": 4, "patch_size": 4, "id2label": {str(i): f"class{i}" for i in range(1000)},
        "label2id": {f"class{i}": i for i in range(1000)}, "torch_dtype": "float32",
        "transformers_version": "4.15.0.dev0"},
    "wav2vec2-base": {
        "activation_dropout": 0.0, "apply_spec_augment": True, "architectures": ["Wav2Vec2ForPreTraining"],
        "attention_dropout": 0.1, "bos_token_id": 1, "codevector_dim": 256, "contrastive_logits_temperature": 0.1,
        "conv_bias": False, "conv_dim": [512, 512, 512, 512, 512, 512, 512], "conv_kernel": [10, 3, 3, 3, 3, 2, 2],
        "conv_stride": [5, 2, 2, 2, 2, 2, 2], "ctc_loss_reduction": "sum", "ctc_zero_infinity": False,
        "diversity_loss_weight": 0.1, "do_stable_layer_norm": False, "eos_token_id": 2,
        "feat_extract_activation": "gelu", "feat_extract_norm": "group", "feat_proj_dropout": 0.1,
        "feat_quantizer_dropout": 0.0, "final_dropout": 0.0, "freeze_feat_extract_train": True,
        "hidden_act": "gelu", "hidden_dropout": 0.1, "hidden_size": 768, "initializer_range": 0.02,
        "intermediate_size": 3072, "layer_norm_eps": 1e-05, "layerdrop": 0.05, "mask_channel_length": 10,
        "mask_channel_min_space": 1, "mask_channel_other": 0.0, "mask_channel_prob": 0.0,
        "mask_channel_selection": "static", "mask_feature_length": 10, "mask_feature_prob": 0.0,
        "mask_time_length": 10, "mask_time_min_space": 1, "mask_time_other": 0.0, "mask_time_prob": 0.05,
        "mask_time_selection": "static", "model_type": "wav2vec2", "no_mask_channel_overlap": False,
        "no_mask_time_overlap": False, "num_attention_heads": 12, "num_codevector_groups": 2,
        "num_codevectors_per_group": 320, "num_conv_pos_embedding_groups": 16, "num_conv_pos_embeddings": 128,
        "num_feat_extract_layers": 7, "num_hidden_layers": 12, "num_negatives": 100, "pad_token_id": 0,
        "proj_codevector_dim": 256, "transformers_version": "4.7.0.dev0", "vocab_size": 32},
    # (abridged: the fields that decide the weights, as these models' configs give them)
    "swin-base-patch4-window12-384": {
        "model_type": "swin", "architectures": ["SwinForImageClassification"], "depths": [2, 2, 18, 2],
        "embed_dim": 128, "image_size": 384, "num_heads": [4, 8, 16, 32], "patch_size": 4, "window_size": 12,
        "id2label": {str(i): f"class{i}" for i in range(1000)}},
    "clip-vit-large-patch14-336": {
        "model_type": "clip", "architectures": ["CLIPModel"], "projection_dim": 768,
        "text_config": {"hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12,
                        "num_hidden_layers": 12, "projection_dim": 768},
        "vision_config": {"hidden_size": 1024, "intermediate_size": 4096, "num_attention_heads": 16,
                          "num_hidden_layers": 24, "patch_size": 14, "image_size": 336, "projection_dim": 768}},
    "wav2vec2-large-960h-lv60-self": {
        "model_type": "wav2vec2", "architectures": ["Wav2Vec2ForCTC"], "conv_bias": True,
        "do_stable_layer_norm": True, "feat_extract_norm": "layer", "hidden_size": 1024, "intermediate_size": 4096,
        "num_attention_heads": 16, "num_hidden_layers": 24, "vocab_size": 32, "mask_time_prob": 0.05},
    "convnext-large-384-22k-1k": {
        "model_type": "convnext", "architectures": ["ConvNextForImageClassification"], "depths": [3, 3, 27, 3],
        "hidden_sizes": [192, 384, 768, 1536], "image_size": 384,
        "id2label": {str(i): f"class{i}" for i in range(1000)}},
}


def _like(name: str, **fields) -> dict:
    """A published config of another size in the same family: the fields of `name` with the model card's sizes."""
    return dict(PUBLISHED[name], **fields)


_IMAGENET = {str(i): f"class{i}" for i in range(1000)}
_LLAMA3_ROPE = {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                "original_max_position_embeddings": 8192, "rope_type": "llama3"}

# other sizes of the families above, as their model cards' config.json give them (held out of the generators: the
# sizes are the published ones, the fields those files carry)
MORE = {
    "Llama-3.1-70B": _like("Llama-3.1-8B", hidden_size=8192, intermediate_size=28672, num_attention_heads=64,
                           num_hidden_layers=80),
    "Llama-3.1-405B": _like("Llama-3.1-8B", hidden_size=16384, intermediate_size=53248, num_attention_heads=128,
                            num_hidden_layers=126, rope_scaling=_LLAMA3_ROPE),
    "Llama-2-13B": {"architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
                    "hidden_size": 5120, "initializer_range": 0.02, "intermediate_size": 13824,
                    "max_position_embeddings": 4096, "model_type": "llama", "num_attention_heads": 40,
                    "num_hidden_layers": 40, "num_key_value_heads": 40, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
                    "rope_scaling": None, "tie_word_embeddings": False, "torch_dtype": "float16",
                    "transformers_version": "4.32.0.dev0", "use_cache": True, "vocab_size": 32000},
    "Qwen2.5-7B": _like("Qwen2.5-0.5B", hidden_size=3584, intermediate_size=18944, num_attention_heads=28,
                        num_hidden_layers=28, num_key_value_heads=4, max_window_layers=28, tie_word_embeddings=False,
                        vocab_size=152064, max_position_embeddings=131072),
    "Qwen2.5-72B": _like("Qwen2.5-0.5B", hidden_size=8192, intermediate_size=29568, num_attention_heads=64,
                         num_hidden_layers=80, num_key_value_heads=8, max_window_layers=80, tie_word_embeddings=False,
                         vocab_size=152064, max_position_embeddings=131072),
    "Qwen2-57B-A14B": _like("Qwen1.5-MoE-A2.7B", hidden_size=3584, intermediate_size=18944,
                            moe_intermediate_size=2560, shared_expert_intermediate_size=20480, num_experts=64,
                            num_experts_per_tok=8, num_attention_heads=28, num_key_value_heads=4,
                            num_hidden_layers=28, max_window_layers=28, vocab_size=151936, max_position_embeddings=32768),
    "Qwen3-0.6B": _like("Qwen3-8B", hidden_size=1024, intermediate_size=3072, num_attention_heads=16,
                        num_key_value_heads=8, num_hidden_layers=28, max_window_layers=28, tie_word_embeddings=True),
    "Qwen3-235B-A22B": _like("Qwen3-30B-A3B", hidden_size=4096, num_attention_heads=64, num_key_value_heads=4,
                             num_hidden_layers=94, max_window_layers=94, moe_intermediate_size=1536,
                             intermediate_size=12288, num_experts=128, num_experts_per_tok=8),
    "Mixtral-8x22B": _like("Mixtral-8x7B", hidden_size=6144, intermediate_size=16384, num_attention_heads=48,
                           num_hidden_layers=56, vocab_size=32768, max_position_embeddings=65536),
    "gemma-7b": _like("gemma-2b", hidden_size=3072, intermediate_size=24576, num_attention_heads=16,
                      num_key_value_heads=16, num_hidden_layers=28),
    "gemma-2-9b": _like("gemma-2-2b", hidden_size=3584, intermediate_size=14336, num_attention_heads=16,
                        num_key_value_heads=8, num_hidden_layers=42),
    "gemma-2-27b": _like("gemma-2-2b", hidden_size=4608, intermediate_size=36864, num_attention_heads=32,
                         num_key_value_heads=16, num_hidden_layers=46, head_dim=128, query_pre_attn_scalar=144),
    "gemma-3-12b text": _like("gemma-3-4b text", hidden_size=3840, intermediate_size=15360, num_attention_heads=16,
                              num_key_value_heads=8, num_hidden_layers=48),
    "gemma-3-27b text": _like("gemma-3-4b text", hidden_size=5376, intermediate_size=21504, num_attention_heads=32,
                              num_key_value_heads=16, num_hidden_layers=62, head_dim=128, query_pre_attn_scalar=168),
    "Phi-3-medium-4k": _like("Phi-3-mini-4k", hidden_size=5120, intermediate_size=17920, num_attention_heads=40,
                             num_key_value_heads=10, num_hidden_layers=40, sliding_window=2047),
    "Phi-3-mini-128k": _like("Phi-3-mini-4k", max_position_embeddings=131072, sliding_window=262144,
                             rope_scaling={"type": "longrope", "long_factor": [1.5] * 48, "short_factor": [1.0] * 48}),
    "phi-1_5": _like("phi-2", hidden_size=2048, intermediate_size=8192, num_hidden_layers=24),
    "OLMo-7B-hf": _like("OLMo-1B-hf", hidden_size=4096, intermediate_size=11008, num_attention_heads=32,
                        num_key_value_heads=32, num_hidden_layers=32, tie_word_embeddings=False),
    "OLMo-2-1124-13B": _like("OLMo-2-1124-7B", hidden_size=5120, intermediate_size=13824, num_attention_heads=40,
                             num_key_value_heads=40, num_hidden_layers=40),
    "stablelm-3b-4e1t": _like("stablelm-2-1_6b", hidden_size=2560, intermediate_size=6912, num_attention_heads=32,
                              num_key_value_heads=32, num_hidden_layers=32, vocab_size=50304, use_qkv_bias=False),
    "stablelm-2-12b": _like("stablelm-2-1_6b", hidden_size=5120, intermediate_size=13824, num_attention_heads=32,
                            num_key_value_heads=8, num_hidden_layers=40, use_qkv_bias=False, qk_layernorm=True,
                            use_parallel_residual=True),
    "starcoder2-7b": _like("starcoder2-3b", hidden_size=4608, intermediate_size=18432, num_attention_heads=36,
                           num_key_value_heads=4, num_hidden_layers=32),
    "starcoder2-15b": _like("starcoder2-3b", hidden_size=6144, intermediate_size=24576, num_attention_heads=48,
                            num_key_value_heads=4, num_hidden_layers=40, tie_word_embeddings=False),
    "falcon-11B": _like("falcon-40b", hidden_size=4096, num_attention_heads=32, num_kv_heads=8, num_hidden_layers=60,
                        num_ln_in_parallel_attn=1, max_position_embeddings=8192),
    "falcon-rw-1b": _like("falcon-7b", alibi=True, bias=True, multi_query=False, parallel_attn=False,
                          hidden_size=2048, num_attention_heads=32, num_hidden_layers=24, vocab_size=50304),
    "bloom-7b1": _like("bloom-560m", hidden_size=4096, n_head=32, n_layer=30),
    "bloomz-1b7": _like("bloom-560m", hidden_size=2048, n_head=16, n_layer=24),
    "pythia-1.4b": _like("pythia-160m", hidden_size=2048, intermediate_size=8192, num_attention_heads=16,
                         num_hidden_layers=24),
    "gpt-neox-20b": _like("pythia-160m", hidden_size=6144, intermediate_size=24576, num_attention_heads=64,
                          num_hidden_layers=44, vocab_size=50432),
    "opt-1.3b": _like("opt-125m", hidden_size=2048, ffn_dim=8192, num_attention_heads=32, num_hidden_layers=24,
                      word_embed_proj_dim=2048),
    "opt-30b": _like("opt-125m", hidden_size=7168, ffn_dim=28672, num_attention_heads=56, num_hidden_layers=48,
                     word_embed_proj_dim=7168),
    "gpt2-xl": _like("gpt2", n_embd=1600, n_head=25, n_layer=48),
    "DeepSeek-V2": _like("DeepSeek-V2-Lite", hidden_size=5120, intermediate_size=12288, moe_intermediate_size=1536,
                         num_attention_heads=128, num_key_value_heads=128, num_hidden_layers=60, q_lora_rank=1536,
                         n_routed_experts=160, n_shared_experts=2, num_experts_per_tok=6, n_group=8, topk_group=3,
                         topk_method="group_limited_greedy", routed_scaling_factor=16.0),
    "mamba-2.8b-hf": _like("mamba-130m-hf", hidden_size=2560, num_hidden_layers=64, intermediate_size=5120,
                           time_step_rank=160),
    "bert-large-uncased": _like("bert-base-uncased", hidden_size=1024, intermediate_size=4096,
                                num_attention_heads=16, num_hidden_layers=24),
    "roberta-large": _like("roberta-base", hidden_size=1024, intermediate_size=4096, num_attention_heads=16,
                           num_hidden_layers=24),
    "t5-large": _like("t5-base", d_model=1024, d_ff=4096, num_heads=16, num_layers=24, num_decoder_layers=24),
    "flan-t5-xl": _like("flan-t5-small", d_model=2048, d_ff=5120, num_heads=32, num_layers=24, num_decoder_layers=24),
    "bart-large": _like("bart-base", d_model=1024, encoder_layers=12, decoder_layers=12, encoder_attention_heads=16,
                        decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096,
                        num_hidden_layers=12, architectures=["BartForConditionalGeneration"]),
    "whisper-large-v3": _like("whisper-small", d_model=1280, encoder_layers=32, decoder_layers=32,
                              encoder_attention_heads=20, decoder_attention_heads=20, encoder_ffn_dim=5120,
                              decoder_ffn_dim=5120, num_hidden_layers=32, num_mel_bins=128, vocab_size=51866),
    "whisper-tiny": _like("whisper-small", d_model=384, encoder_layers=4, decoder_layers=4,
                          encoder_attention_heads=6, decoder_attention_heads=6, encoder_ffn_dim=1536,
                          decoder_ffn_dim=1536, num_hidden_layers=4),
    "vit-large-patch16-224": _like("vit-base-patch16-224", hidden_size=1024, intermediate_size=4096,
                                   num_attention_heads=16, num_hidden_layers=24),
    "vit-huge-patch14-224-in21k": {"architectures": ["ViTModel"], "model_type": "vit", "hidden_size": 1280,
                                   "intermediate_size": 5120, "num_attention_heads": 16, "num_hidden_layers": 32,
                                   "patch_size": 14, "image_size": 224, "qkv_bias": True},
    "clip-vit-large-patch14": {
        "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 768,
        "text_config": {"hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12,
                        "num_hidden_layers": 12, "max_position_embeddings": 77, "vocab_size": 49408,
                        "projection_dim": 768},
        "vision_config": {"hidden_size": 1024, "intermediate_size": 4096, "num_attention_heads": 16,
                          "num_hidden_layers": 24, "patch_size": 14, "image_size": 224, "projection_dim": 768}},
    "swin-small-patch4-window7-224": _like("swin-tiny-patch4-window7-224", depths=[2, 2, 18, 2]),
    "swin-base-patch4-window7-224": _like("swin-tiny-patch4-window7-224", depths=[2, 2, 18, 2], embed_dim=128, hidden_size=1024,
                                          num_heads=[4, 8, 16, 32]),
    "convnext-base-224": _like("convnext-tiny-224", depths=[3, 3, 27, 3], hidden_sizes=[128, 256, 512, 1024]),
    "wav2vec2-large": {"model_type": "wav2vec2", "architectures": ["Wav2Vec2ForPreTraining"], "hidden_size": 1024,
                       "intermediate_size": 4096, "num_attention_heads": 16, "num_hidden_layers": 24,
                       "feat_extract_norm": "group", "do_stable_layer_norm": False, "conv_bias": False,
                       "vocab_size": 32, "proj_codevector_dim": 768, "codevector_dim": 768},
}
PUBLISHED.update(MORE)
# the ones tests/test_hf_families.py checks by default (SYMPARAMS_HF_PUBLISHED=all: every one): the first 46, and of
# the other sizes a few cheap ones on the meta device
CI = [name for name in PUBLISHED if name not in MORE] + ["Qwen3-0.6B", "gemma-2-27b", "falcon-rw-1b", "opt-1.3b",
                                                          "whisper-tiny", "stablelm-2-12b"]


def oracle(config: dict) -> tuple[int, int]:
    """(total, trainable) of the class in `architectures` that transformers builds from the same JSON."""
    import torch
    import transformers
    from transformers import AutoConfig
    fields = {k: v for k, v in config.items() if k != "model_type"}
    hf_config = AutoConfig.for_model(config["model_type"], **fields)
    with torch.device("meta"):
        model = getattr(transformers, config["architectures"][0])(hf_config)
    params = list(model.parameters())
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


_LAYERS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers", "encoder_layers", "decoder_layers",
           "num_decoder_layers")


def switched(name: str, seed: int) -> dict:
    """The published config `name` with its layer counts cut to 2 or 3 (cheap on the meta device, the widths kept)
    and one to three of any of its fields given another value (hf_random's switch), its class half the time
    another of the family's: a published config of another kind, as a held-out check may give."""
    import random
    from transformers import AutoConfig
    from hf_random import _NOT_SWITCHED, _FLOATS, _READ_IF_GIVEN, _pick, _switched, family_classes
    rng = random.Random(f"{name}-{seed}")
    data = dict(PUBLISHED[name])
    for key in _LAYERS:
        if isinstance(data.get(key), int):
            data[key] = min(data[key], _pick(rng, 2, 3))
    if isinstance(data.get("first_k_dense_replace"), int):
        data["first_k_dense_replace"] = min(data["first_k_dense_replace"], 1)
    full = AutoConfig.for_model(data["model_type"], **{k: v for k, v in data.items() if k != "model_type"}).to_dict()
    keys = sorted(k for k, v in full.items() if k not in _NOT_SWITCHED and not k.endswith("_token_id")
                  and k not in _LAYERS and not isinstance(v, dict) and (not isinstance(v, float) or k in _FLOATS))
    for key in rng.sample(keys, min(len(keys), rng.randint(1, 3))):
        value = _switched(rng, key, full[key])
        if value is not None or full[key] is not None:
            data[key] = value
    for key, values in _READ_IF_GIVEN.items():
        if key not in full and rng.random() < 0.2:
            data[key] = _pick(rng, *values)
    if rng.random() < 0.5:
        data["architectures"] = [_pick(rng, *family_classes(data["model_type"]))]
    return data


def check_switched(name: str, seed: int):
    """(problem or None, how) for switched(name, seed): how is "skip" when transformers refuses the config,
    "refused" for symparams' located refusal, else "structure" or "tensors"."""
    from hf_random import imported
    from symparams.errors import SymparamsError
    try:
        data = switched(name, seed)
        expected = oracle(data)
    except Exception as exc:    # noqa: BLE001 - a switch transformers itself refuses: not a case
        return f"transformers refuses it: {type(exc).__name__}", "skip"
    try:
        total, trained, text = imported(data)
    except SymparamsError as exc:
        return f"refused: {exc}", "refused"
    how = "tensors" if "through transformers on the meta device" in text else "structure"
    if (total, trained) != expected:
        changed = {k: v for k, v in data.items() if PUBLISHED[name].get(k, "<absent>") != v and k not in _LAYERS}
        return f"{name} {changed}: symparams {total}/{trained}, transformers {expected[0]}/{expected[1]}", how
    return None, how

if __name__ == "__main__":
    import sys
    from hf_random import imported
    if sys.argv[1:2] == ["--switched"]:         # python tests/hf_published.py --switched N [name ...]
        tally = {}
        for name in sys.argv[3:] or PUBLISHED:
            for seed in range(int(sys.argv[2])):
                problem, how = check_switched(name, seed)
                key = how if how in ("skip", "refused") or not problem else "bad"
                tally[key] = tally.get(key, 0) + 1
                if problem and how not in ("skip", "refused"):
                    print(f"{name} seed={seed}: [{how}] {problem}", flush=True)
        print(tally)
        sys.exit(0)
    for name, config in PUBLISHED.items():
        if sys.argv[1:] and name not in sys.argv[1:]:
            continue
        try:
            expected = oracle(config)
        except Exception as exc:        # noqa: BLE001
            print(f"{name}: transformers refuses it: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        try:
            total, trained, text = imported(config)
        except Exception as exc:        # noqa: BLE001
            print(f"{name}: ERROR {type(exc).__name__}: {str(exc)[:300]}")
            continue
        how = "tensors" if "through transformers on the meta device" in text else "structure"
        mark = "ok" if (total, trained) == expected else "MISMATCH"
        print(f"{name}: {mark} [{how}] symparams {total:,}/{trained:,} transformers {expected[0]:,}/{expected[1]:,}")
