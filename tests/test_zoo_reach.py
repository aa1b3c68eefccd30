"""The zoo files of issue 26, exact against their framework: Hugging Face models built by transformers from
config objects on the meta device (shapes only; never downloaded), at the published sizes and at small ones
reached through the files' own symbols; totals and trainable counts."""

from __future__ import annotations

import pytest

import symparams
from conftest import EXAMPLES, need_module

ZOO = EXAMPLES / "zoo"


def _meta(build):
    torch = need_module("torch")
    with torch.device("meta"):
        model = build()
    params = list(model.parameters())
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


def _ours(name, **values):
    net = symparams.load(ZOO / name, convention="pytorch", values=values or None).evaluate()
    return int(net.params), int(net.trainable_params)


# ----------------------------------------------------------------------------- Whisper

def _whisper(vocab, width, layers, heads, mlp_width, frames, tokens, mels):
    tf = need_module("transformers")
    config = tf.WhisperConfig(vocab_size=vocab, d_model=width, encoder_layers=layers, decoder_layers=layers,
                              encoder_attention_heads=heads, decoder_attention_heads=heads,
                              encoder_ffn_dim=mlp_width, decoder_ffn_dim=mlp_width, max_source_positions=frames,
                              max_target_positions=tokens, num_mel_bins=mels, pad_token_id=0, bos_token_id=1,
                              eos_token_id=2, decoder_start_token_id=1)
    return _meta(lambda: tf.WhisperForConditionalGeneration(config))


WHISPER_TINY = dict(vocab=51865, width=384, layers=4, heads=6, mlp_width=1536, frames=1500, tokens=448, mels=80)


def test_whisper_tiny_at_published_sizes():
    assert _ours("whisper_tiny.arch") == _whisper(**WHISPER_TINY) == (37_760_640, 37_184_640)


@pytest.mark.parametrize("sizes", [dict(vocab=300, width=48, layers=2, heads=4, mlp_width=64, frames=30, tokens=20,
                                        mels=16),
                                   dict(vocab=120, width=32, layers=3, heads=2, mlp_width=40, frames=12, tokens=9,
                                        mels=8)])
def test_whisper_at_other_sizes(sizes):
    assert _ours("whisper_tiny.arch", **sizes) == _whisper(**sizes)


# ----------------------------------------------------------------------------- Mamba

def _mamba(vocab, width, layers, state, expand, kernel):
    tf = need_module("transformers")
    config = tf.MambaConfig(vocab_size=vocab, hidden_size=width, num_hidden_layers=layers, state_size=state,
                            expand=expand, conv_kernel=kernel, pad_token_id=0, bos_token_id=0, eos_token_id=0)
    return _meta(lambda: tf.MambaForCausalLM(config))


def test_mamba_130m_at_published_sizes():
    assert _ours("mamba_130m.arch") == _mamba(50280, 768, 24, 16, 2, 4) == (129_135_360, 129_135_360)


@pytest.mark.parametrize("sizes", [dict(vocab=300, width=48, layers=2, state=8, expand=2, kernel=3),
                                   dict(vocab=100, width=40, layers=3, state=4, expand=1, kernel=4)])
def test_mamba_at_other_sizes(sizes):
    rank = -(-sizes["width"] // 16)          # time_step_rank "auto"
    assert _ours("mamba_130m.arch", rank=rank, **sizes) == _mamba(**sizes)
