"""Issue 26: torchvision's transformer-like classification models (ViT, Swin, Swin-V2, MaxViT, ConvNeXt), each run
through `symparams import torchvision.models:NAME --input-shape 224x224x3` as a user runs it; the file it writes
must read back and count what PyTorch counts, total and trainable (sum of p.numel() over the model built on the
meta device: buffers such as Swin's relative_position_index are not parameters). All 16 build on the meta device and
trace in 1-3 s each (ViT-H/14's 632 M parameters too), so none is set apart as slow.

TRANSFORMERS is the data: None for a model that imports exactly, else words of the refusal the import must give
(the construct it has no form for). A marked model that starts importing fails the test as much as an unmarked one
that stops: the table is kept true. tests/test_torchvision_models.py holds the CNN families' table."""

from __future__ import annotations

import pytest

from conftest import need_module
from import_rows import check_import_row

TRANSFORMERS = {
    "vit_b_16": None,
    "vit_b_32": None,
    "vit_l_16": None,
    "vit_l_32": None,
    "vit_h_14": None,
    "swin_t": None,
    "swin_s": None,
    "swin_b": None,
    # Swin-V2: post-norm residuals, `windowattention ... cpb=512 cosine=true` (the position-bias MLP, the logit scale)
    "swin_v2_t": None,
    "swin_v2_s": None,
    "swin_v2_b": None,
    "maxvit_t": None,
    "convnext_tiny": None,
    "convnext_small": None,
    "convnext_base": None,
    "convnext_large": None,
}



def _expected(torchvision, torch, name):
    with torch.device("meta"):
        model = torchvision.models.get_model(name)
    return (sum(p.numel() for p in model.parameters()),
            sum(p.numel() for p in model.parameters() if p.requires_grad))


@pytest.mark.parametrize("name", sorted(TRANSFORMERS))
def test_torchvision_transformer_imports_exactly_or_is_refused_by_name(name, tmp_path, capsys):
    torch = need_module("torch")
    torchvision = need_module("torchvision")
    check_import_row(f"torchvision.models:{name}", "224x224x3", TRANSFORMERS[name],
                     lambda: _expected(torchvision, torch, name), tmp_path, capsys)


def test_the_table_lists_every_transformer_like_model_torchvision_has():
    """Every classification model of these families in list_models is in the table (a new torchvision one shows)."""
    torchvision = need_module("torchvision")
    families = ("vit_", "swin_", "maxvit_", "convnext_")
    listed = {n for n in torchvision.models.list_models(module=torchvision.models) if n.startswith(families)}
    assert listed == set(TRANSFORMERS)


def test_swin_v2_flops_count_the_position_bias_mlps_once_per_pass():
    """swin_v2_t imported, against FlopCounterMode on the model built on the meta device: forward FLOPs at batch
    1 and 2 (each block's cpb_mlp runs once per pass: batch 2 costs less than twice batch 1) and a training step's
    (the MLP's weight gradients once per step)."""
    torch = need_module("torch")
    torchvision = need_module("torchvision")
    import symparams
    from symparams import cost
    from torch.utils.flop_counter import FlopCounterMode
    with torch.device("meta"):
        model = torchvision.models.get_model("swin_v2_t")
    net = symparams.parse(symparams.from_torch(model, (224, 224, 3)), convention="pytorch")
    counted = []
    for batch in (1, 2):
        x = torch.zeros(batch, 3, 224, 224, device="meta")
        with FlopCounterMode(display=False) as forward:
            with torch.no_grad():
                model.eval()(x)
        with FlopCounterMode(display=False) as step:
            model.train()(x).sum().backward()
        ours = cost.totals(net, ("flops", "train_flops"), cost.Options(batch=batch))
        assert (int(ours["flops"]), int(ours["train_flops"])) == (forward.get_total_flops(), step.get_total_flops())
        counted.append(forward.get_total_flops())
    assert counted[1] < 2 * counted[0]


@pytest.mark.parametrize("name", ["swin_t", "swin_v2_t"])
def test_swin_saved_activations_match_autograd_at_batch_one_and_two(name):
    """The imported Swin's act_train_bytes against what autograd saves in the real model (training mode, CPU,
    stochastic depth off), at 64 x 64: its last two stages are one padded window each, where a batch of one
    keeps views of qkv's output that larger batches copy."""
    torch = need_module("torch")
    torchvision = need_module("torchvision")
    import symparams
    from symparams import cost
    torch.manual_seed(0)
    model = torchvision.models.get_model(name).train()
    for module in model.modules():
        if type(module).__name__ == "StochasticDepth":
            module.p = 0.0                      # as the import reads it: no layer
    net = symparams.parse(symparams.from_torch(model, (64, 64, 3)), convention="pytorch")
    weights = {t.untyped_storage().data_ptr() for t in list(model.parameters()) + list(model.buffers())}
    for batch in (1, 2):
        seen = {}

        def pack(tensor):
            if tensor.untyped_storage().data_ptr() not in weights:
                seen[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
            return tensor

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            model(torch.randn(batch, 3, 64, 64))
        ours = cost.totals(net, ("act_train_bytes",), cost.Options(batch=batch, device="cpu", loss="none"))
        assert int(ours["act_train_bytes"]) == sum(seen.values())
