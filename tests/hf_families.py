"""Hugging Face configs of eight families, written by hand from the published models' config.json
fields (Llama-2-7B, Mistral-7B, Mixtral-8x7B, Qwen2-7B, Gemma-7B, GPT-2, BERT-base, T5-small), and
their `symparams import` files: the long names every imported file has (num_hidden_layers,
max_position_embeddings), for the layout tests of the text table, memory, LaTeX and the deck."""

from __future__ import annotations

import json
from pathlib import Path

CONFIGS = {
    "llama": dict(model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=4096, intermediate_size=11008,
                  num_attention_heads=32, num_hidden_layers=32, num_key_value_heads=32, vocab_size=32000,
                  max_position_embeddings=4096, rms_norm_eps=1e-5, hidden_act="silu", tie_word_embeddings=False),
    "mistral": dict(model_type="mistral", architectures=["MistralForCausalLM"], hidden_size=4096,
                    intermediate_size=14336, num_attention_heads=32, num_hidden_layers=32, num_key_value_heads=8,
                    vocab_size=32000, max_position_embeddings=32768, sliding_window=4096, rms_norm_eps=1e-5,
                    hidden_act="silu", tie_word_embeddings=False),
    "mixtral": dict(model_type="mixtral", architectures=["MixtralForCausalLM"], hidden_size=4096,
                    intermediate_size=14336, num_attention_heads=32, num_hidden_layers=32, num_key_value_heads=8,
                    vocab_size=32000, max_position_embeddings=32768, num_local_experts=8, num_experts_per_tok=2,
                    rms_norm_eps=1e-5, hidden_act="silu", tie_word_embeddings=False),
    "qwen2": dict(model_type="qwen2", architectures=["Qwen2ForCausalLM"], hidden_size=3584, intermediate_size=18944,
                  num_attention_heads=28, num_hidden_layers=28, num_key_value_heads=4, vocab_size=152064,
                  max_position_embeddings=32768, rms_norm_eps=1e-6, hidden_act="silu", tie_word_embeddings=False),
    "gemma": dict(model_type="gemma", architectures=["GemmaForCausalLM"], hidden_size=3072, intermediate_size=24576,
                  num_attention_heads=16, num_hidden_layers=28, num_key_value_heads=16, head_dim=256,
                  vocab_size=256000, max_position_embeddings=8192, rms_norm_eps=1e-6, hidden_act="gelu"),
    "gpt2": dict(model_type="gpt2", architectures=["GPT2LMHeadModel"], n_embd=768, n_head=12, n_layer=12,
                 n_positions=1024, vocab_size=50257, n_inner=None, activation_function="gelu_new"),
    "bert": dict(model_type="bert", architectures=["BertForMaskedLM"], hidden_size=768, intermediate_size=3072,
                 num_attention_heads=12, num_hidden_layers=12, max_position_embeddings=512, type_vocab_size=2,
                 vocab_size=30522, hidden_act="gelu"),
    "t5": dict(model_type="t5", architectures=["T5ForConditionalGeneration"], d_model=512, d_ff=2048, d_kv=64,
               num_heads=8, num_layers=6, num_decoder_layers=6, vocab_size=32128, relative_attention_num_buckets=32,
               relative_attention_max_distance=128, feed_forward_proj="relu"),
}


def import_all(directory: Path) -> dict[str, Path]:
    """{family: its imported .arch file} written under directory as `symparams import` writes it (without the
    command's check against transformers on the meta device, which tests/test_hf_families.py covers: the layout
    tests need only the file)."""
    from symparams.frameworks.hf_config import from_hf_config
    out = {}
    for family, config in CONFIGS.items():
        target = directory / f"{family}.arch"
        if not target.exists():
            target.write_text(from_hf_config(json.loads(json.dumps(config)), source=f"{family}.json"),
                              encoding="utf-8")
        out[family] = target
    return out
