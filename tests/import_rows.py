"""One row of an import table (torchvision's and timm's models): `symparams import REFERENCE` gives PyTorch's
total and trainable counts and a file that reads back, or is refused with the reason the table gives."""

from __future__ import annotations


def check_import_row(reference: str, shape: str, reason: str | None, expected, tmp_path, capsys) -> None:
    """`expected()` -> (total, trainable) as PyTorch counts them; called only when the import succeeds (building
    the model on the meta device is the slow part of a refused row)."""
    import symparams
    from symparams import cli
    target = tmp_path / "model.arch"
    code = cli.main(["import", reference, "--input-shape", shape, "-o", str(target)])
    err = capsys.readouterr().err
    if reason is not None:
        assert code != 0 and not target.exists(), f"{reference} is marked refused ({reason}) but now imports: unmark it"
        assert reason in err and "Traceback" not in err, err
        return
    assert code == 0, err
    net = symparams.parse(target.read_text(), convention="pytorch").evaluate()     # the file reads back
    assert (int(net.params), int(net.trainable_params)) == tuple(expected())
