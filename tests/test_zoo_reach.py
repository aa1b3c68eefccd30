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


# ----------------------------------------------------------------------------- DeepSeek-V2-Lite

def _deepseek(vocab, width, layers, expert_width, experts, top_k, heads=16, latent=512, mlp_width=10944, shared=2,
              rope=64, nope=128, value=128):
    tf = need_module("transformers")
    config = tf.DeepseekV2Config(vocab_size=vocab, hidden_size=width, num_hidden_layers=layers,
                                 first_k_dense_replace=1, num_attention_heads=heads, num_key_value_heads=heads,
                                 kv_lora_rank=latent, q_lora_rank=None, qk_rope_head_dim=rope, qk_nope_head_dim=nope,
                                 v_head_dim=value, intermediate_size=mlp_width, moe_intermediate_size=expert_width,
                                 n_routed_experts=experts, num_experts_per_tok=top_k, n_shared_experts=shared,
                                 tie_word_embeddings=False, pad_token_id=0, bos_token_id=1, eos_token_id=2)
    return _meta(lambda: tf.DeepseekV2ForCausalLM(config))


def test_deepseek_v2_lite_at_published_sizes():
    published = dict(vocab=102400, width=2048, layers=27, expert_width=1408, experts=64, top_k=6)
    assert _ours("deepseek_v2_lite.arch") == _deepseek(**published) == (15_706_484_224, 15_706_484_224)


@pytest.mark.parametrize("sizes", [dict(vocab=300, width=32, layers=3, expert_width=16, experts=4, top_k=2),
                                   dict(vocab=100, width=48, layers=2, expert_width=8, experts=3, top_k=1)])
def test_deepseek_at_other_sizes(sizes):
    assert _ours("deepseek_v2_lite.arch", **sizes) == _deepseek(**sizes)


def test_deepseek_v2_lite_caches_the_latent():
    """The KV cache: (kv_lora_rank + qk_rope_head_dim) values per token and layer, not 2 x heads x head width."""
    from symparams.layers import REGISTRY
    from symparams.layers.base import Context
    net = symparams.load(ZOO / "deepseek_v2_lite.arch", convention="pytorch", values={"context": 64}).evaluate()
    rows = [r for r in net.unrolled().leaves() if r.kind == "mla"]
    cache = sum(int(REGISTRY["mla"].kv_cache_values(r.config, r.input_shape, r.output_shape, Context()))
                for r in rows)
    assert len(rows) == 27 and cache == 27 * 64 * (512 + 64)


# ----------------------------------------------------------------------------- ShuffleNetV2

def _shufflenet_v2(torch, classes=1000):
    """torchvision's ShuffleNetV2 x1.0, written out the way torchvision writes it (torchvision itself does not
    import beside this torch: see docs/frameworks.md): x.chunk(2, dim=1), torch.cat, channel_shuffle as view /
    transpose / view, x.mean([2, 3])."""
    nn = torch.nn

    def channel_shuffle(x, groups):
        b, c, h, w = x.size()
        x = x.view(b, groups, c // groups, h, w)
        x = torch.transpose(x, 1, 2).contiguous()
        return x.view(b, -1, h, w)

    class InvertedResidual(nn.Module):
        def __init__(self, inp, oup, stride):
            super().__init__()
            self.stride = stride
            f = oup // 2
            if stride > 1:
                self.branch1 = nn.Sequential(nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False),
                                             nn.BatchNorm2d(inp), nn.Conv2d(inp, f, 1, bias=False), nn.BatchNorm2d(f),
                                             nn.ReLU(inplace=True))
            else:
                self.branch1 = nn.Sequential()
            self.branch2 = nn.Sequential(nn.Conv2d(inp if stride > 1 else f, f, 1, bias=False), nn.BatchNorm2d(f),
                                         nn.ReLU(inplace=True), nn.Conv2d(f, f, 3, stride, 1, groups=f, bias=False),
                                         nn.BatchNorm2d(f), nn.Conv2d(f, f, 1, bias=False), nn.BatchNorm2d(f),
                                         nn.ReLU(inplace=True))

        def forward(self, x):
            if self.stride == 1:
                x1, x2 = x.chunk(2, dim=1)
                out = torch.cat((x1, self.branch2(x2)), dim=1)
            else:
                out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
            return channel_shuffle(out, 2)

    class ShuffleNetV2(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Sequential(nn.Conv2d(3, 24, 3, 2, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU(inplace=True))
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            cin, stages = 24, []
            for repeats, cout in zip((4, 8, 4), (116, 232, 464)):
                units = [InvertedResidual(cin, cout, 2)] + [InvertedResidual(cout, cout, 1) for _ in range(repeats - 1)]
                stages.append(nn.Sequential(*units))
                cin = cout
            self.stage2, self.stage3, self.stage4 = stages
            self.conv5 = nn.Sequential(nn.Conv2d(464, 1024, 1, bias=False), nn.BatchNorm2d(1024), nn.ReLU(inplace=True))
            self.fc = nn.Linear(1024, classes)

        def forward(self, x):
            x = self.maxpool(self.conv1(x))
            x = self.conv5(self.stage4(self.stage3(self.stage2(x))))
            return self.fc(x.mean([2, 3]))

    return ShuffleNetV2()


def test_shufflenet_v2_is_torchvisions_and_imports_back():
    torch = need_module("torch")
    model = _shufflenet_v2(torch)
    total = sum(p.numel() for p in model.parameters())
    assert _ours("shufflenet_v2.arch")[0] == total == 2_278_604          # torchvision's published count
    text = symparams.from_torch(model, (64, 64, 3))                       # chunk, cat, the shuffle, mean
    back = symparams.parse(text, convention="pytorch").evaluate()
    assert int(back.params) == total and text.count("shuffle 2") == 16 and text.count("slice 58 start=58") == 3
    assert _ours("shufflenet_v2.arch", n=64) == (int(back.params), int(back.trainable_params))


# ----------------------------------------------------------------------------- Swin-T

def _swin(n, classes, c, window, patch=4):
    tf = need_module("transformers")
    config = tf.SwinConfig(image_size=n, patch_size=patch, embed_dim=c, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24],
                           window_size=window, num_labels=classes)
    return _meta(lambda: tf.SwinForImageClassification(config))


def test_swin_t_at_published_sizes():
    assert _ours("swin_t.arch") == _swin(224, 1000, 96, 7) == (28_288_354, 28_288_354)


@pytest.mark.parametrize("sizes", [dict(n=64, classes=10, c=48, window=2), dict(n=96, classes=5, c=24, window=3)])
def test_swin_at_other_sizes(sizes):
    """(Sizes where the last stage is at least a window wide: Hugging Face shrinks a window to a smaller map.)"""
    assert _ours("swin_t.arch", **sizes) == _swin(**sizes)
