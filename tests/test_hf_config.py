"""`symparams import config.json`: a Hugging Face config as a DSL file, exact against transformers.

The oracle is transformers itself: each family's <Family>Config(...) is built here at small sizes (never
from_pretrained; nothing is downloaded), written as config.json, imported with the CLI, and the total
`symparams summary` prints must equal sum(p.numel() for p in <Class>(config).parameters()) (tied weights
counted once, as parameters() does), at the config's sizes and at two other sizes reached with --set and
the config's own field names.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import need_module
from symparams import cli

SMALL_DECODER = dict(vocab_size=101, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                     num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)

SMALL_BERT = dict(vocab_size=101, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
                  max_position_embeddings=64)

SMALL_T5 = dict(vocab_size=101, d_model=32, d_kv=8, d_ff=48, num_layers=2, num_heads=4)

# family, Config class, model classes (the first is the one the file is checked at two more sizes with),
# the config's fields, two --set changes (config field names)
CASES = [
    ("gpt2", "GPT2Config", ("GPT2LMHeadModel", "GPT2Model"),
     dict(vocab_size=101, n_positions=64, n_embd=32, n_layer=2, n_head=4),
     [dict(n_embd=48, n_head=6), dict(n_layer=3, vocab_size=120, n_positions=80)]),
    ("gpt2-untied", "GPT2Config", ("GPT2LMHeadModel",),
     dict(vocab_size=101, n_positions=64, n_embd=32, n_layer=2, n_head=4, n_inner=40, tie_word_embeddings=False),
     [dict(n_inner=24), dict(n_embd=16, n_head=2, n_layer=1)]),
    ("bert", "BertConfig", ("BertModel", "BertForSequenceClassification"), SMALL_BERT,
     [dict(hidden_size=48, num_attention_heads=6, intermediate_size=64),
      dict(num_hidden_layers=3, vocab_size=130, type_vocab_size=3)]),
    ("bert-mlm", "BertConfig", ("BertForMaskedLM",), SMALL_BERT,
     [dict(hidden_size=48, num_attention_heads=6), dict(vocab_size=130, max_position_embeddings=80)]),
    ("llama", "LlamaConfig", ("LlamaForCausalLM", "LlamaModel", "LlamaForSequenceClassification"), SMALL_DECODER,
     [dict(hidden_size=64, num_key_value_heads=4),
      dict(num_hidden_layers=3, intermediate_size=80, num_attention_heads=8, num_key_value_heads=2)]),
    ("mistral", "MistralConfig", ("MistralForCausalLM",), dict(SMALL_DECODER, head_dim=16),
     [dict(head_dim=8, num_key_value_heads=4), dict(hidden_size=48, vocab_size=90)]),
    ("mixtral", "MixtralConfig", ("MixtralForCausalLM",), dict(SMALL_DECODER, num_local_experts=4, num_experts_per_tok=2),
     [dict(num_local_experts=6, num_experts_per_tok=3), dict(hidden_size=48, intermediate_size=24)]),
    ("qwen2", "Qwen2Config", ("Qwen2ForCausalLM",), SMALL_DECODER,
     [dict(hidden_size=64, num_attention_heads=8), dict(num_hidden_layers=3, num_key_value_heads=4)]),
    ("gemma", "GemmaConfig", ("GemmaForCausalLM", "GemmaModel"), dict(SMALL_DECODER, head_dim=16),
     [dict(head_dim=8), dict(hidden_size=48, num_hidden_layers=3)]),
    ("t5", "T5Config", ("T5ForConditionalGeneration", "T5Model", "T5EncoderModel"), SMALL_T5,
     [dict(d_model=48, num_heads=6),
      dict(num_layers=3, num_decoder_layers=2, d_ff=64, relative_attention_num_buckets=16)]),
    ("t5-gated-untied", "T5Config", ("T5ForConditionalGeneration",),
     dict(SMALL_T5, feed_forward_proj="gated-gelu", tie_word_embeddings=False),
     [dict(d_ff=40), dict(num_decoder_layers=3)]),
]


def _transformers():
    need_module("torch")
    return need_module("transformers")


def _count(transformers, config_class: str, model_class: str, fields: dict) -> int:
    config = getattr(transformers, config_class)(**fields)
    model = getattr(transformers, model_class)(config)
    return sum(p.numel() for p in model.parameters())      # tied weights once


def _import(tmp_path, capsys, config: dict, name="config.json"):
    source = tmp_path / name
    source.write_text(json.dumps(config), encoding="utf-8")
    target = tmp_path / "model.arch"
    code = cli.main(["import", str(source), "-o", str(target)])
    err = capsys.readouterr().err
    assert code == 0, err
    return target


def _summary_total(capsys, path, *args) -> int:
    code = cli.main(["summary", str(path), *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    out = out.replace("\n    ", " ")         # a long total wraps to the terminal width, indented
    match = re.search(r"^Total params:.*?(\d[\d,]*)\s*$", out, re.M)
    assert match, out
    return int(match.group(1).replace(",", ""))


@pytest.mark.parametrize("family,config_class,classes,fields,changes", CASES)
def test_import_counts_what_transformers_builds(tmp_path, capsys, family, config_class, classes, fields, changes):
    transformers = _transformers()
    config = getattr(transformers, config_class)(**fields)
    for model_class in classes:
        data = config.to_dict()
        data["architectures"] = [model_class]
        arch = _import(tmp_path, capsys, data)
        text = arch.read_text(encoding="utf-8")
        for name in fields:
            if name in ("tie_word_embeddings", "feed_forward_proj"):
                continue
            if name == "head_dim" and fields[name] * fields["num_attention_heads"] == fields["hidden_size"]:
                continue
            assert re.search(rf"^let {name} = {fields[name]}\b", text, re.M), (name, text)
        expected = _count(transformers, config_class, model_class, fields)
        assert _summary_total(capsys, arch) == expected, (model_class, text)
        assert _summary_total(capsys, arch, "--convention", "pytorch") == expected, model_class
        if model_class != classes[0]:
            continue
        for change in changes:              # the same file at other sizes, by the config's own field names
            sets = ",".join(f"{k}={v}" for k, v in change.items())
            assert _summary_total(capsys, arch, "--set", sets) == \
                _count(transformers, config_class, model_class, {**fields, **change}), (change, text)


@pytest.mark.parametrize("family,config_class,model_class,fields", [
    ("gpt2", "GPT2Config", "GPT2LMHeadModel", dict(vocab_size=50, n_positions=16, n_embd=8, n_layer=1, n_head=2)),
    ("llama", "LlamaConfig", "LlamaForCausalLM",
     dict(vocab_size=50, hidden_size=16, intermediate_size=24, num_hidden_layers=1, num_attention_heads=4,
          max_position_embeddings=32)),
    ("gemma", "GemmaConfig", "GemmaForCausalLM",
                 dict(vocab_size=50, hidden_size=16, intermediate_size=24, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=32)),
])
def test_a_config_with_only_its_sizes_takes_transformers_defaults(tmp_path, capsys, family, config_class,
                                                                    model_class, fields):
    """A config.json without the fields transformers fills in (no architectures, no num_key_value_heads, no
    head_dim, no tie_word_embeddings) means what transformers makes of it."""
    transformers = _transformers()
    arch = _import(tmp_path, capsys, dict(fields, model_type=family))
    assert _summary_total(capsys, arch) == _count(transformers, config_class, model_class, fields)


def test_mixtral_active_parameters(tmp_path, capsys):
    """active = every weight but the (E - K) experts a token does not use, in every layer; at the config's
    sizes and with other numbers of experts (the config's field names)."""
    import symparams
    transformers = _transformers()
    fields = dict(SMALL_DECODER, num_local_experts=4, num_experts_per_tok=2)
    arch = _import(tmp_path, capsys, dict(transformers.MixtralConfig(**fields).to_dict()))
    for change in ({}, dict(num_local_experts=6, num_experts_per_tok=3), dict(num_local_experts=3,
                                                                           num_experts_per_tok=1)):
        sizes = {**fields, **change}
        experts, top_k = sizes["num_local_experts"], sizes["num_experts_per_tok"]
        model = transformers.MixtralForCausalLM(transformers.MixtralConfig(**sizes))
        expert = sum(p.numel() for p in model.model.layers[0].mlp.experts.parameters()) // experts
        expected = sum(p.numel() for p in model.parameters()) - sizes["num_hidden_layers"] * (experts - top_k) * expert
        assert int(symparams.load(str(arch), values=change).evaluate().metric("active")) == expected, change


# ---------------------------------------------------------------------------- bad sources

def _fails(tmp_path, capsys, content, name="config.json", code=1):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    assert cli.main(["import", str(path)]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip()
    return err


def test_unknown_family_lists_the_known_ones(tmp_path, capsys):
    err = _fails(tmp_path, capsys, {"model_type": "falconry", "hidden_size": 64})     # transformers has none
    assert '"falconry"' in err
    for family in ("llama", "mistral", "mixtral", "qwen2", "gemma", "gpt2", "bert", "t5"):
        assert family in err


def test_missing_field_is_named(tmp_path, capsys):
    config = dict(model_type="gpt2", vocab_size=100, n_positions=64, n_layer=2, n_head=4)     # no n_embd
    err = _fails(tmp_path, capsys, config)
    assert "'n_embd'" in err and "gpt2" in err
    err = _fails(tmp_path, capsys, dict(SMALL_DECODER, model_type="llama", hidden_size=None))
    assert "'hidden_size'" in err


def test_impossible_values_are_named(tmp_path, capsys):
    config = dict(model_type="gpt2", vocab_size=100, n_positions=64, n_embd="wide", n_layer=2, n_head=4)
    assert "'n_embd'" in _fails(tmp_path, capsys, config)
    config = dict(model_type="gpt2", vocab_size=100, n_positions=64, n_embd=32, n_layer=0, n_head=4)
    assert "'n_layer'" in _fails(tmp_path, capsys, config)
    config = dict(model_type="gpt2", vocab_size=100, n_positions=64, n_embd=32, n_layer=2, n_head=4,
                  tie_word_embeddings="yes")
    assert "'tie_word_embeddings'" in _fails(tmp_path, capsys, config)


def test_a_file_that_is_not_a_config(tmp_path, capsys):
    assert "not JSON" in _fails(tmp_path, capsys, "input 28x28x1\nconv 32 3x3\n")
    assert "not an object" in _fails(tmp_path, capsys, [1, 2, 3])
    assert "'model_type'" in _fails(tmp_path, capsys, {"hidden_size": 64})
    assert "not a source" in _fails(tmp_path, capsys, "input 28x28x1\n", name="model.arch")


def test_an_architecture_the_family_does_not_have(tmp_path, capsys):
    config = dict(model_type="gpt2", vocab_size=100, n_positions=64, n_embd=32, n_layer=2, n_head=4,
                  architectures=["GPT2ForImaginaryTask"])       # neither the table's nor transformers'
    err = _fails(tmp_path, capsys, config)
    assert "GPT2ForImaginaryTask" in err and "GPT2LMHeadModel" in err
    config["architectures"] = ["\x1b[31mEvil\nname"]          # shown quoted, never raw
    err = _fails(tmp_path, capsys, config)
    assert "\x1b" not in err and "Evil\nname" not in err and '\\u001b[31mEvil\\nname' in err


def test_a_keras_file_that_is_not_a_model(tmp_path, capsys):
    need_module("keras")
    assert "Keras cannot load it" in _fails(tmp_path, capsys, "not a zip", name="model.keras")


def test_onnx_is_refused_clearly(tmp_path, capsys):
    need_module("onnx")
    err = _fails(tmp_path, capsys, "not really onnx", name="model.onnx")
    assert "model.onnx" in err and "not an ONNX model" in err


def test_generalize_does_not_apply_to_a_config(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(dict(model_type="gpt2", vocab_size=100, n_positions=64, n_embd=32, n_layer=2,
                                    n_head=4)), encoding="utf-8")
    assert cli.main(["import", str(path), "--generalize", "filters=f"]) == 2
    assert "config's own field names" in capsys.readouterr().err


def test_a_config_folder_is_read_through_its_config_json(tmp_path, capsys):
    (tmp_path / "config.json").write_text(json.dumps(dict(model_type="gpt2", vocab_size=100, n_positions=64,
                                                          n_embd=32, n_layer=2, n_head=4)), encoding="utf-8")
    assert cli.main(["import", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# GPT2LMHeadModel") and "let n_embd = 32" in out


def test_keras_file_goes_through_from_keras(tmp_path, capsys):
    keras = need_module("keras")
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3), keras.layers.Flatten(),
                              keras.layers.Dense(10)])
    path = tmp_path / "m.keras"
    model.save(path)
    target = tmp_path / "m.arch"
    assert cli.main(["import", str(path), "-o", str(target), "--generalize", "filters=f"]) == 0
    capsys.readouterr()
    assert "let f = 8" in target.read_text(encoding="utf-8")
    assert _summary_total(capsys, target) == model.count_params()


def test_torch_factory_goes_through_from_torch(tmp_path, capsys, monkeypatch):
    torch = need_module("torch")
    (tmp_path / "tiny_factory.py").write_text(
        "from torch import nn\n\ndef make():\n    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(),"
        " nn.Linear(4 * 6 * 6, 5))\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    target = tmp_path / "t.arch"
    assert cli.main(["import", "tiny_factory:make", "--input-shape", "8x8x3", "-o", str(target)]) == 0
    capsys.readouterr()
    expected = sum(p.numel() for p in torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Linear(144, 5))
                   .parameters())
    assert _summary_total(capsys, target, "--convention", "pytorch") == expected
    assert cli.main(["import", "tiny_factory:make"]) == 2          # no --input-shape
    assert "--input-shape" in capsys.readouterr().err


# Published sizes, too large to build in a test: the count of the real model at these configs (transformers'
# own defaults are those models' configs), as the model cards and the issue-12 zoo files give them.
PUBLISHED = [
    ("GPT2Config", {}, "GPT2LMHeadModel", 124_439_808, None),
    ("LlamaConfig", dict(vocab_size=32000, hidden_size=2048, intermediate_size=5632, num_hidden_layers=22,
                         num_attention_heads=32, num_key_value_heads=4), "LlamaForCausalLM", 1_100_048_384, None),
    ("MixtralConfig", {}, "MixtralForCausalLM", 46_702_792_704, 12_879_925_248),
    ("BertConfig", {}, "BertModel", 109_482_240, None),
    ("T5Config", {}, "T5ForConditionalGeneration", 60_506_624, None),
]


@pytest.mark.parametrize("config_class,fields,model_class,total,active", PUBLISHED)
def test_published_configurations(tmp_path, capsys, config_class, fields, model_class, total, active):
    """TinyLlama-1.1B, Mixtral 8x7B (total and active), GPT-2 small, BERT-base and T5-small from their configs."""
    import symparams
    transformers = _transformers()
    data = getattr(transformers, config_class)(**fields).to_dict()
    data["architectures"] = [model_class]
    arch = _import(tmp_path, capsys, data)
    assert _summary_total(capsys, arch) == total
    if active is not None:
        assert int(symparams.load(str(arch)).evaluate().metric("active")) == active
