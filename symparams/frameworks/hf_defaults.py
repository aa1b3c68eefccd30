"""What transformers (5.x) takes for a config field that a config.json leaves out, for the fields the
Hugging Face writers read: each configuration class's own default (the dataclass field's, before any
value derived from others: a derived field such as llama's num_key_value_heads or head_dim is absent here,
as the writer derives it the same way). Read by symparams/frameworks/hf_config.py so that a published
config.json, which writes only the fields its model changes, imports as transformers builds it.

Also the field names transformers accepts for another (each class' attribute_map): a config giving the
alias is read through it, and the imported file's symbol is the name the config used."""

DEFAULTS = {
    "gpt2": {'vocab_size': 50257, 'n_positions': 1024, 'n_embd': 768, 'n_layer': 12, 'n_head': 12, 'activation_function': 'gelu_new', 'tie_word_embeddings': True},
    "gpt_neox": {'vocab_size': 50432, 'hidden_size': 6144, 'num_hidden_layers': 44, 'num_attention_heads': 64, 'intermediate_size': 24576, 'hidden_act': 'gelu', 'max_position_embeddings': 2048, 'tie_word_embeddings': False, 'use_parallel_residual': True, 'attention_bias': True},
    "gptj": {'vocab_size': 50400, 'n_positions': 2048, 'n_embd': 4096, 'n_layer': 28, 'n_head': 16, 'rotary_dim': 64, 'activation_function': 'gelu_new', 'tie_word_embeddings': False},
    "opt": {'vocab_size': 50272, 'hidden_size': 768, 'num_hidden_layers': 12, 'ffn_dim': 3072, 'max_position_embeddings': 2048, 'do_layer_norm_before': True, '_remove_final_layer_norm': False, 'num_attention_heads': 12, 'activation_function': 'relu', 'enable_bias': True, 'layer_norm_elementwise_affine': True, 'tie_word_embeddings': True},
    "bloom": {'vocab_size': 250880, 'hidden_size': 64, 'n_layer': 2, 'n_head': 8, 'tie_word_embeddings': True},
    "falcon": {'vocab_size': 65024, 'hidden_size': 4544, 'num_hidden_layers': 32, 'num_attention_heads': 71, 'alibi': False, 'new_decoder_architecture': False, 'multi_query': True, 'parallel_attn': True, 'bias': False, 'max_position_embeddings': 2048, 'tie_word_embeddings': True},
    "llama": {'vocab_size': 32000, 'hidden_size': 4096, 'intermediate_size': 11008, 'num_hidden_layers': 32, 'num_attention_heads': 32, 'hidden_act': 'silu', 'max_position_embeddings': 2048, 'tie_word_embeddings': False, 'attention_bias': False, 'mlp_bias': False},
    "mistral": {'vocab_size': 32000, 'hidden_size': 4096, 'intermediate_size': 14336, 'num_hidden_layers': 32, 'num_attention_heads': 32, 'num_key_value_heads': 8, 'hidden_act': 'silu', 'max_position_embeddings': 131072, 'tie_word_embeddings': False},
    "mixtral": {'vocab_size': 32000, 'hidden_size': 4096, 'intermediate_size': 14336, 'num_hidden_layers': 32, 'num_attention_heads': 32, 'num_key_value_heads': 8, 'hidden_act': 'silu', 'max_position_embeddings': 131072, 'tie_word_embeddings': False, 'num_experts_per_tok': 2, 'num_local_experts': 8},
    "qwen2": {'vocab_size': 151936, 'hidden_size': 4096, 'intermediate_size': 22016, 'num_hidden_layers': 32, 'num_attention_heads': 32, 'num_key_value_heads': 32, 'hidden_act': 'silu', 'max_position_embeddings': 32768, 'tie_word_embeddings': False},
    "qwen2_moe": {'vocab_size': 151936, 'hidden_size': 2048, 'intermediate_size': 5632, 'num_hidden_layers': 24, 'num_attention_heads': 16, 'num_key_value_heads': 16, 'hidden_act': 'silu', 'max_position_embeddings': 32768, 'tie_word_embeddings': False, 'decoder_sparse_step': 1, 'moe_intermediate_size': 1408, 'shared_expert_intermediate_size': 5632, 'num_experts_per_tok': 4, 'num_experts': 60, 'qkv_bias': True},
    "qwen3": {'vocab_size': 151936, 'hidden_size': 4096, 'intermediate_size': 22016, 'num_hidden_layers': 32, 'num_attention_heads': 32, 'num_key_value_heads': 32, 'head_dim': 128, 'hidden_act': 'silu', 'max_position_embeddings': 32768, 'tie_word_embeddings': False, 'attention_bias': False},
    "qwen3_moe": {'vocab_size': 151936, 'hidden_size': 2048, 'intermediate_size': 6144, 'num_hidden_layers': 24, 'num_attention_heads': 32, 'num_key_value_heads': 4, 'hidden_act': 'silu', 'max_position_embeddings': 32768, 'tie_word_embeddings': False, 'attention_bias': False, 'decoder_sparse_step': 1, 'moe_intermediate_size': 768, 'num_experts_per_tok': 8, 'num_experts': 128},
    "gemma": {'vocab_size': 256000, 'hidden_size': 3072, 'intermediate_size': 24576, 'num_hidden_layers': 28, 'num_attention_heads': 16, 'num_key_value_heads': 16, 'head_dim': 256, 'hidden_act': 'gelu_pytorch_tanh', 'max_position_embeddings': 8192, 'tie_word_embeddings': True, 'attention_bias': False},
    "gemma2": {'vocab_size': 256000, 'hidden_size': 2304, 'intermediate_size': 9216, 'num_hidden_layers': 26, 'num_attention_heads': 8, 'num_key_value_heads': 4, 'head_dim': 256, 'hidden_activation': 'gelu_pytorch_tanh', 'max_position_embeddings': 8192, 'tie_word_embeddings': True, 'attention_bias': False},
    "gemma3_text": {'vocab_size': 262208, 'hidden_size': 2304, 'intermediate_size': 9216, 'num_hidden_layers': 26, 'num_attention_heads': 8, 'num_key_value_heads': 4, 'head_dim': 256, 'hidden_activation': 'gelu_pytorch_tanh', 'max_position_embeddings': 131072, 'tie_word_embeddings': True, 'attention_bias': False},
    "phi": {'vocab_size': 51200, 'hidden_size': 2048, 'intermediate_size': 8192, 'num_hidden_layers': 24, 'num_attention_heads': 32, 'hidden_act': 'gelu_new', 'max_position_embeddings': 2048, 'tie_word_embeddings': False, 'qk_layernorm': False},
    "phi3": {'vocab_size': 32064, 'hidden_size': 3072, 'intermediate_size': 8192, 'num_hidden_layers': 32, 'num_attention_heads': 32, 'hidden_act': 'silu', 'max_position_embeddings': 4096, 'tie_word_embeddings': False},
    "olmo": {'vocab_size': 50304, 'hidden_size': 4096, 'intermediate_size': 11008, 'num_hidden_layers': 32, 'num_attention_heads': 32, 'hidden_act': 'silu', 'max_position_embeddings': 2048, 'tie_word_embeddings': False, 'attention_bias': False},
    "olmo2": {'vocab_size': 50304, 'hidden_size': 4096, 'intermediate_size': 11008, 'num_hidden_layers': 32, 'num_attention_heads': 32, 'hidden_act': 'silu', 'max_position_embeddings': 2048, 'tie_word_embeddings': False, 'attention_bias': False},
    "stablelm": {'vocab_size': 50304, 'intermediate_size': 6912, 'hidden_size': 2560, 'num_hidden_layers': 32, 'num_attention_heads': 32, 'num_key_value_heads': 32, 'hidden_act': 'silu', 'max_position_embeddings': 4096, 'tie_word_embeddings': False, 'use_qkv_bias': False, 'qk_layernorm': False, 'use_parallel_residual': False},
    "starcoder2": {'vocab_size': 49152, 'hidden_size': 3072, 'intermediate_size': 12288, 'num_hidden_layers': 30, 'num_attention_heads': 24, 'num_key_value_heads': 2, 'hidden_act': 'gelu_pytorch_tanh', 'max_position_embeddings': 4096, 'use_bias': True, 'tie_word_embeddings': True},
    "deepseek_v2": {'vocab_size': 102400, 'hidden_size': 4096, 'intermediate_size': 11008, 'num_hidden_layers': 32, 'num_attention_heads': 32, 'hidden_act': 'silu', 'max_position_embeddings': 2048, 'tie_word_embeddings': False, 'attention_bias': False, 'mlp_bias': False, 'first_k_dense_replace': 0, 'kv_lora_rank': 512, 'q_lora_rank': 1536, 'n_routed_experts': 64, 'n_shared_experts': 2, 'qk_nope_head_dim': 128, 'qk_rope_head_dim': 64, 'v_head_dim': 128, 'moe_intermediate_size': 1407},
    "deepseek_v3": {'vocab_size': 129280, 'hidden_size': 7168, 'intermediate_size': 18432, 'moe_intermediate_size': 2048, 'num_hidden_layers': 61, 'num_attention_heads': 128, 'num_key_value_heads': 128, 'n_shared_experts': 1, 'n_routed_experts': 256, 'kv_lora_rank': 512, 'q_lora_rank': 1536, 'qk_rope_head_dim': 64, 'v_head_dim': 128, 'qk_nope_head_dim': 128, 'num_experts_per_tok': 8, 'first_k_dense_replace': 3, 'hidden_act': 'silu', 'max_position_embeddings': 4096, 'tie_word_embeddings': False, 'attention_bias': False},
    "mamba": {'vocab_size': 50280, 'hidden_size': 768, 'state_size': 16, 'num_hidden_layers': 32, 'expand': 2, 'conv_kernel': 4, 'use_bias': False, 'use_conv_bias': True, 'hidden_act': 'silu', 'time_step_rank': 'auto', 'tie_word_embeddings': True},
    "bert": {'vocab_size': 30522, 'hidden_size': 768, 'num_hidden_layers': 12, 'num_attention_heads': 12, 'intermediate_size': 3072, 'hidden_act': 'gelu', 'max_position_embeddings': 512, 'type_vocab_size': 2, 'tie_word_embeddings': True},
    "roberta": {'vocab_size': 50265, 'hidden_size': 768, 'num_hidden_layers': 12, 'num_attention_heads': 12, 'intermediate_size': 3072, 'hidden_act': 'gelu', 'max_position_embeddings': 512, 'type_vocab_size': 2, 'tie_word_embeddings': True},
    "t5": {'vocab_size': 32128, 'd_model': 512, 'd_kv': 64, 'd_ff': 2048, 'num_layers': 6, 'num_heads': 8, 'relative_attention_num_buckets': 32, 'feed_forward_proj': 'relu'},
    "whisper": {'vocab_size': 51865, 'num_mel_bins': 80, 'encoder_layers': 4, 'encoder_attention_heads': 6, 'decoder_layers': 4, 'decoder_attention_heads': 6, 'decoder_ffn_dim': 1536, 'encoder_ffn_dim': 1536, 'activation_function': 'gelu', 'd_model': 384, 'max_source_positions': 1500, 'max_target_positions': 448, 'tie_word_embeddings': True},
    "vit": {'hidden_size': 768, 'num_hidden_layers': 12, 'num_attention_heads': 12, 'intermediate_size': 3072, 'hidden_act': 'gelu', 'image_size': 224, 'patch_size': 16, 'num_channels': 3, 'qkv_bias': True},
}

# family: {name a config may use: the field it stands for}
ALIASES = {
    "gpt2": {"hidden_size": "n_embd", "max_position_embeddings": "n_positions", "num_attention_heads": "n_head",
             "num_hidden_layers": "n_layer"},
    "gptj": {"max_position_embeddings": "n_positions", "hidden_size": "n_embd", "num_attention_heads": "n_head",
             "num_hidden_layers": "n_layer"},
    "bloom": {"num_hidden_layers": "n_layer", "num_attention_heads": "n_head"},
    "falcon": {"n_embed": "hidden_size"},
    "mixtral": {"num_experts": "num_local_experts"},
    "qwen3_moe": {"num_local_experts": "num_experts"},      # transformers 5 writes num_local_experts
    "deepseek_v2": {"num_experts": "n_routed_experts"},
    "deepseek_v3": {"num_local_experts": "n_routed_experts"},
    "t5": {"hidden_size": "d_model", "num_attention_heads": "num_heads", "num_hidden_layers": "num_layers",
           "head_dim": "d_kv"},
    "whisper": {"hidden_size": "d_model", "num_hidden_layers": "encoder_layers",
                "num_attention_heads": "encoder_attention_heads"},
}
