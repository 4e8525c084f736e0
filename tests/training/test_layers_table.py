"""`bert-keras layers`: the table, its totals and notes, and its one-line errors."""

from bert_keras.cli import main
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.training.classifier import ENCODER_LAYER, build_classifier
from bert_keras.training.layers_table import format_table, layer_rows


def test_table_totals_and_notes(tiny_encoder_dir):
    spec = FreezeSpec(train_last=2)
    model = build_classifier(str(tiny_encoder_dir / "encoder"), spec)
    table = format_table(layer_rows(model), spec, model.get_layer(ENCODER_LAYER).frozen_prefix)
    assert (
        "Embeddings are frozen: `train_last` and `freeze_first` freeze them, "
        "even when every block trains" in table
    )
    assert (
        table.splitlines()[1].split()[:2] == ["-", "embeddings"]
        and table.splitlines()[1].split()[-1] == "frozen"
    )
    trainable = sum(v.shape.num_elements() for v in model.trainable_weights)
    assert f"trainable {trainable:,} /" in table
    assert "Note: the frozen embeddings run in inference mode (no dropout)" in table


def test_the_note_says_how_frozen_blocks_run(tiny_encoder_dir):
    model = build_classifier(str(tiny_encoder_dir / "encoder"), FreezeSpec(train_last=1))
    frozen_prefix = model.get_layer(ENCODER_LAYER).frozen_prefix
    assert frozen_prefix == 1
    assert "the frozen embeddings and block 0 run in inference mode" in format_table(
        layer_rows(model), None, frozen_prefix
    )
    # an encoder that cannot split
    assert "still apply dropout" in format_table(layer_rows(model), None, None)


def test_layers_command_errors_are_one_line(tiny_encoder_dir, capsys):
    for argv, message in (
        (["--train-last", "7"], "only 2 blocks"),
        (["--freeze-regex", "decoder"], "matches no sub-layer"),
        (["--train-last", "-1"], "0 or more"),
        (["--train-last", "1", "--freeze-first", "1"], "contradict"),
    ):
        assert main(["layers", "--encoder", str(tiny_encoder_dir), *argv]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and message in err, err


def test_layers_shows_the_rate_each_trainable_sub_layer_trains_at(tiny_encoder_dir, capsys):
    assert (
        main(
            [
                "layers",
                "--encoder",
                str(tiny_encoder_dir),
                "--train-last",
                "1",
                "--layer-lr-decay",
                "0.5",
                "--pooling",
                "cls",
            ]
        )
        == 0
    )
    table = capsys.readouterr().out
    rows = {line.split()[1]: line.split()[-2:] for line in table.splitlines()[1:6]}
    # the notes in the command line's words
    assert "Embeddings are frozen: --train-last and --freeze-first freeze them" in table
    assert table.rstrip().endswith("their output can be computed once (--frozen-prefix cache).")
    assert rows == {
        "embeddings": ["-", "frozen"],
        "transformer/layer_0": ["-", "frozen"],
        "transformer/layer_1": ["0.5", "trainable"],
        "pooler": ["1", "trainable"],
        "head": ["1", "trainable"],
    }


def test_layers_shows_the_epoch_each_sub_layer_starts_training_in(tiny_encoder_dir, capsys):
    assert main(["layers", "--encoder", str(tiny_encoder_dir), "--unfreeze-schedule", "0,1,2"]) == 0
    table = capsys.readouterr().out
    rows = {line.split()[1]: line.split()[-2:] for line in table.splitlines()[1:6]}
    # the notes in the command line's words
    assert "Embeddings are frozen: --train-last and --freeze-first freeze them" in table
    assert table.rstrip().endswith("their output can be computed once (--frozen-prefix cache).")
    assert rows == {
        "embeddings": ["-", "frozen"],
        "transformer/layer_0": ["3", "frozen"],
        "transformer/layer_1": ["2", "frozen"],
        "pooler": ["-", "frozen"],  # the head reads the mean of the token outputs, not it
        "head": ["1", "trainable"],
    }
    assert main(["layers", "--encoder", str(tiny_encoder_dir), "--unfreeze-schedule", "2,1"]) == 2
    assert "--unfreeze-schedule 2,1: must be block counts" in capsys.readouterr().err
