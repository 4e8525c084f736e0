"""`bert-keras train` end to end on the tiny encoder: outputs, divergence, --overwrite,
evaluate; and (integration) resume after SIGKILL in an epoch or while a checkpoint is
written, and two workers training together."""

import csv
import json
import shutil

import numpy as np
import pytest
import tensorflow as tf
from figures import assert_saved_as, lines_of
from runs import (
    history_lines,
    run_config,
    train_argv,
)
from this_machine import expected_auto_precision
from tiny_bert import write_synthetic_reviews

from bert_keras.cli import main
from bert_keras.training.plots import training_curves_figure


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    """Enough to learn from: 540 to train on, 60 to validate, 80 to test."""
    return write_synthetic_reviews(tmp_path_factory.mktemp("reviews"), n_train=600, n_test=80)


def assert_curves_and_events(out, rows):
    """training_curves.png draws history.csv's numbers (`rows`), and TensorBoard's events
    hold each epoch's validation F1."""
    figure = training_curves_figure(rows)
    (loss, f1) = figure.axes
    for axis, metric in ((loss, "loss"), (f1, "f1")):
        drawn = lines_of(axis)
        assert list(drawn) == ["training", "validation"] and axis.get_title() == metric
        np.testing.assert_array_equal(drawn["training"], [float(r[metric]) for r in rows])
        np.testing.assert_array_equal(
            drawn["validation"], [float(r["val_" + metric]) for r in rows]
        )
    assert_saved_as(out / "training_curves.png", figure)
    logged = {}
    for events in (out / "logs" / "validation").iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(events)):
            for value in event.summary.value:
                if value.tag == "epoch_f1":
                    logged[event.step] = float(tf.make_ndarray(value.tensor))
    assert logged == pytest.approx(
        {e: float(row["val_f1"]) for e, row in enumerate(rows)}, abs=1e-6
    )


def test_train_writes_every_output(tiny_encoder_dir, reviews, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(train_argv(tiny_encoder_dir, reviews, out, "--epochs", "2")) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    keys = "loss accuracy precision recall f1 auc train_examples train_seconds epoch_seconds"
    keys += " train_examples_per_second eval_examples_per_second trainable_params total_params"
    assert set(keys.split()) <= set(metrics)
    assert metrics["train_examples"] == 2 * (540 // 8) * 8  # 600 rows less the validation 10%
    assert metrics["auc"] > 0.8, "the sentiment words are learnable even by the tiny encoder"
    assert metrics["trainable_params"] < metrics["total_params"]
    written = json.loads((out / "config.json").read_text())
    settings, record = written["settings"], written["record"]
    assert settings["freeze"]["train_last"] == 1 and settings["learning_rate"] == 5e-3
    # what was asked and what it resolved to, said once on stderr
    expected = expected_auto_precision()
    assert (settings["precision"], record["precision"]) == ("auto", expected)
    said = [line for line in capsys.readouterr().err.splitlines() if "--precision auto" in line]
    assert len(said) == 1 and said[0].startswith(f"bert-keras: --precision auto: {expected} (")
    with open(out / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["epoch"] for row in rows] == ["0", "1"]
    assert metrics["best_epoch"] == 1 + max((0, 1), key=lambda e: float(rows[e]["val_f1"]))
    assert metrics["epoch_seconds"] == [round(float(row["train_seconds"]), 2) for row in rows]
    assert not (out / "backup").exists()
    capsys.readouterr()
    assert_curves_and_events(out, rows)

    # evaluate reproduces the test metrics from the best weights
    assert main(["evaluate", "--model", str(out), "--data", str(reviews)]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["f1"] == pytest.approx(metrics["f1"], abs=1e-6)

    # bad records skipped: noticed on stderr, counted, and stdout is still JSON alone
    with_bad = tmp_path / "with_bad.csv"
    with_bad.write_text((reviews / "test.csv").read_text() + '"7","not","a label"\n')
    skip = ["evaluate", "--model", str(out), "--data", str(with_bad), "--on-bad-record", "skip"]
    assert main(skip) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["skipped_records"] == 1
    assert "with_bad.csv:81: unknown label '7'" in captured.err

    # the same command on a finished run trains nothing and repeats its metrics
    stamp = (out / "metrics.json").stat().st_mtime_ns
    assert main(train_argv(tiny_encoder_dir, reviews, out, "--epochs", "2")) == 0
    captured = capsys.readouterr()
    assert "already finished; its metrics follow (--overwrite to train again)" in captured.err
    assert json.loads(captured.out)["f1"] == metrics["f1"]
    assert (out / "metrics.json").stat().st_mtime_ns == stamp


@pytest.mark.parametrize(
    "frozen_prefix", ["inline", pytest.param("cache", marks=pytest.mark.extended)]
)
def test_a_trial_scores_its_best_epochs_validation_without_a_second_pass(
    tiny_encoder_dir, few_reviews, tmp_path, monkeypatch, frozen_prefix
):
    from bert_keras.config import RunRecord, TrainConfig
    from bert_keras.data.sources import load_splits
    from bert_keras.encoders.precision import encoder_for
    from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
    from bert_keras.freezing.spec import FreezeSpec
    from bert_keras.training import final_metrics
    from bert_keras.training.checkpoints import best_checkpoint, restore_weights
    from bert_keras.training.compiled import build_compiled_classifier
    from bert_keras.training.train import train

    passes = []  # every evaluation in train goes through evaluate_batches
    evaluate_batches = final_metrics.evaluate_batches
    monkeypatch.setattr(
        final_metrics,
        "evaluate_batches",
        lambda *args: passes.append(args) or evaluate_batches(*args),
    )
    config = TrainConfig.from_settings(
        out=str(tmp_path / "trial"),
        encoder=str(tiny_encoder_dir),
        data=str(few_reviews),
        epochs=2,
        batch_size=8,
        learning_rate=5e-3,
        freeze=FreezeSpec(train_last=1),
        frozen_prefix=frozen_prefix,
        precision="float32",  # where the cache's states and the token path agree to ~1e-7
    )
    metrics = train(config, evaluate_on_test=False, searching=True)
    assert passes == [] and metrics["evaluated_on"] == "validation"
    assert metrics["frozen_prefix"]["mode"] == frozen_prefix

    # the best weights, read again from token ids: the numbers the trial reported
    paths = resolve_encoder(config.encoder)
    encoder = encoder_for(paths, "float32")
    model = build_compiled_classifier(config, RunRecord("float32"), encoder, total_steps=1)
    restore_weights(model, best_checkpoint(config.out), "best")
    validation = load_splits(config.data).validation
    again = final_metrics.evaluate_model(model, validation, load_preprocessor(paths), config)
    for name in ("loss", "accuracy", "precision", "recall", "f1", "auc", "evaluated_examples"):
        assert metrics[name] == pytest.approx(again[name], abs=2e-6), name


def test_unfinished_run_with_other_settings_is_refused(
    tiny_encoder_dir, few_reviews, tmp_path, capsys
):
    out = tmp_path / "run"
    out.mkdir()
    config = {"format": "bert-keras-run/1", "out": str(out), "epochs": 7}
    (out / "config.json").write_text(json.dumps(config))
    assert main(train_argv(tiny_encoder_dir, few_reviews, out)) == 2
    assert "holds a run with other settings (" in capsys.readouterr().err


def test_overwrite_replaces_only_its_own_run_and_only_once_inputs_load(
    trained_run, trained_run_command, tmp_path, capsys
):
    out = shutil.copytree(trained_run, tmp_path / "run")  # a finished run
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # bad data: refused before the old run is touched
    command = trained_run_command(out)
    bad_data = [*command[:4], str(tmp_path / "absent"), *command[5:], "--overwrite"]
    assert main(bad_data) == 2
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    capsys.readouterr()
    # good input: the old run is replaced, and nothing of it is left aside
    assert main([*command, "--overwrite", "--epochs", "2"]) == 0
    assert run_config(out)[0]["epochs"] == 2
    assert len(history_lines(out)) == 2 and [p.name for p in tmp_path.iterdir()] == ["run"]


def test_a_trailing_slash_is_the_same_run(trained_run, trained_run_command, tmp_path, capsys):
    run = shutil.copytree(trained_run, tmp_path / "run")  # a finished run
    recorded = json.loads((run / "metrics.json").read_text())
    for out in (f"{run}/", str(run)):
        assert main(trained_run_command(out)) == 0
        captured = capsys.readouterr()
        assert "already finished" in captured.err and json.loads(captured.out) == recorded


def test_divergence_says_so_and_exits_1(nan_encoder_dir, few_reviews, tmp_path, capsys):
    # float32: a mixed variant of this encoder would be built for this test alone
    argv = train_argv(nan_encoder_dir, few_reviews, tmp_path / "run", "--precision", "float32")
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "training diverged: the loss became NaN in epoch 1;" in err and "--learning-rate" in err
    assert not (tmp_path / "run" / "metrics.json").exists()


def trained_encoder_variables(out) -> dict:
    """{TF Hub variable name: value} of the encoder in the run's best weights."""
    from bert_keras.freezing.spec import FreezeSpec
    from bert_keras.freezing.sublayers import variable_name
    from bert_keras.training.checkpoints import best_checkpoint, restore_weights
    from bert_keras.training.classifier import ENCODER_LAYER, build_classifier

    config, _ = run_config(out)
    model = build_classifier(
        config["encoder"] + "/encoder", FreezeSpec(**config["freeze"]), pooling=config["pooling"]
    )
    restore_weights(model, best_checkpoint(out), "best")
    weights = model.get_layer(ENCODER_LAYER).weights
    return {variable_name(v): v.numpy() for v in weights if v.dtype.is_floating}


@pytest.mark.parametrize(
    "flags, trains",
    [  # an index flag composed with each regex flag; the threshold by a target recall
        (
            ["--freeze-first", "1", "--freeze-regex", "layer_norm", "--target-recall", "0.9"],
            r"^(?!.*layer_norm)(transformer/layer_1/|pooler)",
        ),
        pytest.param(
            ["--train-last", "1", "--train-regex", "layer_0/output"],
            r"layer_0/output|layer_1/|pooler",
            marks=pytest.mark.extended,
        ),
    ],
)
def test_each_freeze_flag_trains_exactly_what_it_names(
    tiny_encoder_dir, few_reviews, tmp_path, capsys, flags, trains
):
    """Through `train`: the variables the flags name (written here as a regex over TF Hub's
    names, apart from the code under test) moved, every other one is bit for bit as read
    from disk. A trained key bias may stay put: softmax ignores a shift all keys share, so
    its gradient is zero but for rounding."""
    import re

    import tensorflow_hub as hub

    from bert_keras.freezing.sublayers import variable_name

    out = tmp_path / "run"
    data = few_reviews
    argv = f"train --encoder {tiny_encoder_dir} --data {data} --out {out} --batch-size 8 --epochs 1"
    options = ["--learning-rate", "5e-3", "--dropout", "0", "--pooling", "cls"]  # pooler reads
    assert main([*argv.split(), *options, *flags]) == 0
    metrics = json.loads(capsys.readouterr().out)
    before = {
        variable_name(v): v.numpy() for v in hub.load(str(tiny_encoder_dir / "encoder")).variables
    }
    after = trained_encoder_variables(out)
    moved = {name for name, value in after.items() if not np.array_equal(value, before[name])}
    expected = {name for name in after if re.search(trains, name)}
    assert moved <= expected and expected - moved <= {n for n in expected if n.endswith("key/bias")}
    if "--target-recall" in flags:  # the threshold: the most precision at validation recall 0.9
        calibration = metrics["calibration"]
        assert calibration["threshold_rule"] == "recall>=0.9"
        assert calibration["validation"]["recall"] >= 0.9 and calibration["target_met"]
