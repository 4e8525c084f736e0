"""The freeze-depth search on the tiny encoder: space, results, resume, failed trials."""

import csv
import json
import signal
import subprocess
import sys
import time

import keras_tuner
import numpy as np
import pytest
from kill import cli, kill_while
from safetensors.numpy import load_file, save_file
from tiny_bert import write_synthetic_reviews, write_tiny_checkpoint

from bert_keras.cli import main
from bert_keras.encoders.convert import convert


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    return write_synthetic_reviews(tmp_path_factory.mktemp("reviews"), n_train=300, n_test=40)


def tune_argv(encoder, data, out, *extra):
    return [
        "tune",
        "--encoder",
        str(encoder),
        "--data",
        str(data),
        "--out",
        str(out),
        "--batch-size",
        "8",
        "--learning-rate",
        "5e-3",
        "--max-seq-length",
        "32",
        "--blocks",
        "0",
        "1",
        "2",
        "--max-trials",
        "3",
        *extra,
    ]


def read_trials(tune_dir):
    with open(tune_dir / "trials.csv") as handle:
        return list(csv.DictReader(handle))


def test_search_writes_trials_best_and_plot(tiny_encoder_dir, reviews, tmp_path, capsys):
    out = tmp_path / "tune"
    assert main(tune_argv(tiny_encoder_dir, reviews, out)) == 0
    rows = read_trials(out)
    assert sorted(int(r["trainable_blocks"]) for r in rows) == [0, 1, 2]
    assert all(r["status"] == "COMPLETED" and float(r["train_seconds"]) > 0 for r in rows)
    params = {int(r["trainable_blocks"]): int(r["trainable_params"]) for r in rows}
    assert params[0] < params[1] < params[2]
    best = json.loads((out / "best.json").read_text())
    assert best["val_f1"] == max(float(r["val_f1"]) for r in rows)
    assert (
        best["command"].startswith("bert-keras train ")
        and f"--train-last {best['hyperparameters']['trainable_blocks']}" in best["command"]
    )
    assert (out / "tuning.png").stat().st_size > 1000
    for row in rows:  # trials never touch the test split
        assert (
            json.loads((out / "trials" / row["trial"] / "metrics.json").read_text())["evaluated_on"]
            == "validation"
        )
    settings = json.loads(
        (out / "tune_config.json").read_text()
    )  # as a search before --layer-lr-decay wrote it
    del settings["base"]["layer_lr_decay"], settings["space"]["tune_layer_lr_decay"]
    (out / "tune_config.json").write_text(json.dumps(settings))
    assert main(tune_argv(tiny_encoder_dir, reviews, out)) == 0  # the same command: the same search
    capsys.readouterr()
    assert main(tune_argv(tiny_encoder_dir, reviews, out, "--max-trials", "4")) == 2
    assert "holds a search with other settings (max_trials)" in capsys.readouterr().err


def test_a_search_over_schedule_shapes_trains_each_as_its_shape_says(
    tiny_encoder_dir, reviews, tmp_path
):
    out = tmp_path / "tune"
    result = subprocess.run(
        cli(
            *tune_argv(
                tiny_encoder_dir,
                reviews,
                out,
                "--blocks",
                "2",
                "--tune-schedule",
                "--oracle",
                "grid",
                "--epochs",
                "2",
            )
        ),
        check=True,
        capture_output=True,
        text=True,
    )
    assert (
        "caching the outputs at blocks 0, 1, 2 for every trial" in result.stderr
    )  # gradual's epoch 1 reads 1
    rows = read_trials(out)
    assert sorted(r["unfreeze_schedule"] for r in rows) == ["0,2", "1,2", "fixed"]
    for row in rows:
        config = json.loads((out / "trials" / row["trial"] / "config.json").read_text())
        assert config["unfreeze_schedule"] == (
            None
            if row["unfreeze_schedule"] == "fixed"
            else [int(k) for k in row["unfreeze_schedule"].split(",")]
        )
        assert row["status"] == "COMPLETED"


@pytest.mark.parametrize("oracle", ["random", "grid"])  # grid: keras-tuner issue 1055
def test_kill_during_third_trial_then_same_command_keeps_trials_1_and_2(
    tiny_encoder_dir, tmp_path, oracle
):
    data = write_synthetic_reviews(tmp_path / "data", n_train=1500, n_test=40)
    argv = [
        sys.executable,
        "-m",
        "bert_keras.cli",
        *tune_argv(
            tiny_encoder_dir,
            data,
            tmp_path / "tune",
            "--oracle",
            oracle,
            "--tune-embeddings",
            "--max-trials",
            "4",
        ),
    ]  # a fourth trial to propose after the resume
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    third = tmp_path / "tune" / "trials" / "2"
    deadline = time.time() + 300
    while not third.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert third.exists() and not (third / "metrics.json").exists(), "the kill must land in trial 3"
    finished = {
        trial: (tmp_path / "tune" / "trials" / trial / "metrics.json").stat().st_mtime_ns
        for trial in ("0", "1")
    }
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = read_trials(tmp_path / "tune")
    assert len(rows) == 4 and all(r["status"] == "COMPLETED" for r in rows)
    assert (
        len({(r["trainable_blocks"], r["train_embeddings"]) for r in rows}) == 4
    )  # no combination twice
    for trial, stamp in finished.items():  # not run again
        assert (tmp_path / "tune" / "trials" / trial / "metrics.json").stat().st_mtime_ns == stamp


def test_kill_while_a_trial_writes_a_checkpoint_then_same_command_loses_nothing(tmp_path):
    wide = convert(
        write_tiny_checkpoint(
            tmp_path / "hf", hidden_size=256, intermediate_size=1024, num_attention_heads=4
        ),
        tmp_path / "wide",
    )
    data = write_synthetic_reviews(tmp_path / "data", n_train=300, n_test=40)
    tune_dir = tmp_path / "tune"
    argv = cli(*tune_argv(wide, data, tune_dir, "--oracle", "grid", "--epochs", "2"))

    def trial_writing_checkpoint():  # past a trial's first backup, into a later checkpoint write
        return any(tune_dir.glob("trials/*/backup/chief/checkpoint")) and (
            any(tune_dir.glob("trials/*/best/*_temp"))
            or any(tune_dir.glob("trials/*/backup/chief/*_temp"))
        )

    kill_while(argv, trial_writing_checkpoint)
    finished = {p.parent.name: p.stat().st_mtime_ns for p in tune_dir.glob("trials/*/metrics.json")}
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = read_trials(tune_dir)
    assert sorted(int(r["trainable_blocks"]) for r in rows) == [0, 1, 2], (
        "every trial run, none twice"
    )
    assert all(r["status"] == "COMPLETED" for r in rows)
    for trial, stamp in finished.items():
        assert (tune_dir / "trials" / trial / "metrics.json").stat().st_mtime_ns == stamp
    assert not list(tune_dir.glob("trials/*/best/*_temp")) and not list(
        tune_dir.glob("trials/*/backup")
    )


@pytest.mark.parametrize(
    "oracle", ["grid", "hyperband"]
)  # hyperband: brackets of other epochs reuse it too
def test_a_search_computes_each_frozen_prefix_once_for_all_its_trials(
    tiny_encoder_dir, reviews, tmp_path, oracle
):
    argv = cli(
        *tune_argv(
            tiny_encoder_dir, reviews, tmp_path / "tune", "--oracle", oracle, "--epochs", "2"
        )
    )
    result = subprocess.run(argv, check=True, capture_output=True, text=True)
    # one pass over the training split and one over the validation split, for boundaries 0, 1 and 2
    assert "caching the outputs at blocks 0, 1, 2 for every trial" in result.stderr
    assert result.stderr.count("frozen prefix computed") == 2, result.stderr
    rows = read_trials(tmp_path / "tune")
    assert rows and all(r["status"] == "COMPLETED" for r in rows)
    for row in rows:
        trial = json.loads(
            (tmp_path / "tune" / "trials" / row["trial"] / "metrics.json").read_text()
        )
        assert trial["frozen_prefix"]["mode"] == "cache"
        assert trial["frozen_prefix"]["boundary"] == 2 - int(row["trainable_blocks"])


def test_failed_trials_are_recorded_with_their_reason_and_the_search_goes_on(
    reviews, tmp_path, capsys
):
    checkpoint = write_tiny_checkpoint(tmp_path / "hf")
    tensors = load_file(str(checkpoint / "model.safetensors"))
    tensors["pooler.dense.bias"][0] = np.nan  # every trial diverges at its first step
    save_file(tensors, str(checkpoint / "model.safetensors"))
    encoder = convert(checkpoint, tmp_path / "tfhub")
    status = main(
        tune_argv(encoder, reviews, tmp_path / "tune", "--max-trials", "2", "--blocks", "1", "2")
    )
    assert status == 1 and "no trial succeeded" in capsys.readouterr().err
    rows = read_trials(tmp_path / "tune")
    assert len(rows) == 2, "the search went on after the first failure"
    for row in rows:
        assert row["status"] == "FAILED" and "not retried: training diverged" in row["reason"]
    assert not (tmp_path / "tune" / "best.json").exists()


def test_blocks_beyond_depth_are_refused_before_searching(
    tiny_encoder_dir, reviews, tmp_path, capsys
):
    assert main(tune_argv(tiny_encoder_dir, reviews, tmp_path / "tune", "--blocks", "0", "5")) == 2
    assert "--blocks 5: the encoder has 2 blocks" in capsys.readouterr().err
    assert not (tmp_path / "tune" / "search").exists()


def test_keras_tuner_is_not_monkeypatched():
    import keras

    assert keras.__version__.startswith("3.") and sys.modules["keras"] is keras
    assert keras_tuner.__version__ == "1.4.8"


def test_export_best_trains_the_best_trial_on_the_full_split_and_exports_it(
    tiny_encoder_dir, reviews, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("BERT_KERAS_HOME", str(tmp_path / "home"))
    out = tmp_path / "tune"
    assert (
        main(
            tune_argv(
                tiny_encoder_dir,
                reviews,
                out,
                "--blocks",
                "1",
                "2",
                "--max-trials",
                "2",
                "--limit",
                "200",
                "--export-best",
                "tuned",
            )
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["export"] == str(tmp_path / "home" / "tuned" / "1")
    assert (tmp_path / "home" / "tuned" / "1" / "saved_model.pb").is_file()
    best_config = json.loads((out / "best_run" / "config.json").read_text())
    assert best_config["limit"] is None  # the full training split, not the tuning slice
    assert (
        best_config["freeze"]["train_last"]
        == json.loads((out / "best.json").read_text())["hyperparameters"]["trainable_blocks"]
    )
    assert summary["best_run_metrics"]["evaluated_on"] == "test"


def test_each_trial_starts_from_the_encoder_as_read_from_disk(tiny_encoder_dir, reviews, tmp_path):
    """Trials share one load of the encoder (encoders.shared_loads): the last trial of a
    search, run after two others trained the same variables, is bit for bit what a
    training on a freshly loaded encoder gives."""
    import dataclasses

    from runs import assert_same_run

    from bert_keras.config import TrainConfig
    from bert_keras.training.train import train

    out = tmp_path / "tune"
    assert main(tune_argv(tiny_encoder_dir, reviews, out, "--oracle", "grid", "--epochs", "2")) == 0
    last = out / "trials" / max((r["trial"] for r in read_trials(out)), key=int)
    config = TrainConfig.read(last / "config.json")
    train(
        dataclasses.replace(config, out=str(tmp_path / "fresh")),
        evaluate_on_test=False,
        searching=True,
    )
    assert_same_run(last, tmp_path / "fresh")
