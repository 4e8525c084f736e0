"""The freeze-depth search on the tiny encoder: space, results, the oracles, the frozen
prefix computed once, failed trials. Resuming after a kill and export-best are
tests/tuning/test_search_processes.py's."""

import contextlib
import csv
import io
import json
import shutil
import sys

import numpy as np
import pytest
from figures import assert_saved_as
from runs import assert_same_run, run_config
from searches import few_argv, read_trials, tune_argv
from shared import built_once

from bert_keras.cli import main
from bert_keras.config import TUNED_DROPOUTS, TUNED_LEARNING_RATES, TrainConfig, read_run_file
from bert_keras.training.train import train
from bert_keras.tuning.results import tuning_figure


def assert_tuning_plot(tune_dir):
    """tuning.png draws trials.csv's completed trials: validation F1 and training seconds
    by trainable blocks, in the order of the blocks."""
    with open(tune_dir / "trials.csv", newline="") as handle:
        rows = [
            {
                "trainable_blocks": int(row["trainable_blocks"]),
                "val_f1": float(row["val_f1"]),
                "train_seconds": float(row["train_seconds"]),
            }
            for row in csv.DictReader(handle)
            if row["status"] == "COMPLETED"
        ]
    figure = tuning_figure(rows)
    ordered = sorted(rows, key=lambda row: row["trainable_blocks"])
    for axis, key in zip(figure.axes, ("val_f1", "train_seconds"), strict=True):
        (line,) = axis.lines
        np.testing.assert_array_equal(line.get_xdata(), [r["trainable_blocks"] for r in ordered])
        np.testing.assert_array_equal(line.get_ydata(), [r[key] for r in ordered])
    assert_saved_as(tune_dir / "tuning.png", figure)


def run_in_process(argv) -> tuple[int, str, str]:
    """main(argv) with its stdout and stderr: for fixtures, which have no capsys."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def grid_search(tiny_encoder_dir, search_reviews, tmp_path_factory):
    """(TUNE_DIR, stderr, its command for a TUNE_DIR): a finished grid search over 0, 1
    and 2 blocks, 2 epochs each; built once per test run."""

    def command(out):
        return few_argv(tiny_encoder_dir, search_reviews, out, "--oracle", "grid", "--epochs", "2")

    def build(directory):
        status, _, err = run_in_process(command(directory / "tune"))
        assert status == 0, err[-2000:]
        (directory / "stderr.txt").write_text(err)

    directory = built_once(tmp_path_factory, "grid_search", build)
    return directory / "tune", (directory / "stderr.txt").read_text(), command


def test_a_search_writes_trials_best_and_plot(grid_search):

    out, _, _ = grid_search
    rows = read_trials(out)
    assert sorted(int(r["trainable_blocks"]) for r in rows) == [0, 1, 2]
    assert all(r["status"] == "COMPLETED" and float(r["train_seconds"]) > 0 for r in rows)
    params = {int(r["trainable_blocks"]): int(r["trainable_params"]) for r in rows}
    assert params[0] < params[1] < params[2]
    best = json.loads((out / "best.json").read_text())
    assert best["val_f1"] == max(float(r["val_f1"]) for r in rows)
    assert best["command"].startswith("bert-keras train ")
    assert f"--train-last {best['hyperparameters']['trainable_blocks']}" in best["command"]
    assert_tuning_plot(out)
    for row in rows:  # trials never touch the test split
        trial = json.loads((out / "trials" / row["trial"] / "metrics.json").read_text())
        assert trial["evaluated_on"] == "validation"
        assert trial["f1"] == pytest.approx(float(row["val_f1"]), abs=5e-5)  # 4 digits


def test_the_same_command_resumes_the_same_search_and_other_settings_are_refused(
    grid_search, tmp_path, capsys
):
    import keras
    import keras_tuner
    import tf_keras

    finished, _, command = grid_search
    out = shutil.copytree(finished, tmp_path / "tune")
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("trials/*/metrics.json")}
    # tune_config.json as a search before --layer-lr-decay wrote it: the same search
    settings = json.loads((out / "tune_config.json").read_text())
    del settings["base"]["layer_lr_decay"], settings["space"]["tune_layer_lr_decay"]
    (out / "tune_config.json").write_text(json.dumps(settings))
    assert main(command(out)) == 0  # the same command: the same search, finished
    assert json.loads(capsys.readouterr().out)["best"] == json.loads(
        (out / "best.json").read_text()
    )
    assert {p: p.stat().st_mtime_ns for p in out.glob("trials/*/metrics.json")} == stamps
    assert main([*command(out), "--max-trials", "4"]) == 2
    assert "holds a search with other settings (max_trials)" in capsys.readouterr().err
    # keras-tuner's own Keras 3 is untouched: the search drove it without patching modules
    assert sys.modules["keras"] is keras and keras.__version__.startswith("3.")
    assert keras_tuner.__version__ == "1.4.8" and keras is not tf_keras


@pytest.mark.extended
def test_a_bayesian_search_over_the_learning_rate_and_dropout_trains_what_it_proposed(
    tiny_encoder_dir, search_reviews, tmp_path
):
    out = tmp_path / "tune"
    space = ["--oracle", "bayesian", "--tune-learning-rate", "--tune-dropout", "--blocks", "1"]
    assert main(tune_argv(tiny_encoder_dir, search_reviews, out, *space, "--limit", "120")) == 0
    rows = read_trials(out)
    assert len(rows) == 3 and all(r["status"] == "COMPLETED" for r in rows)
    state = json.loads((out / "search" / "oracle.json").read_text())
    # one trial at random, then two proposed by the Gaussian process (which needs scikit-learn)
    assert state["num_initial_points"] == 1 and {"alpha", "beta"} <= set(state)
    for row in rows:
        config, _ = run_config(out / "trials" / row["trial"])
        assert (
            config["learning_rate"] in TUNED_LEARNING_RATES and config["dropout"] in TUNED_DROPOUTS
        )
        assert float(row["learning_rate"]) == config["learning_rate"]
        assert float(row["dropout"]) == config["dropout"]
    best = json.loads((out / "best.json").read_text())
    defaults = TrainConfig.from_settings(out="")
    for name in ("learning_rate", "dropout"):  # the command names what differs from the defaults
        value = best["hyperparameters"][name]
        flag = f"--{name.replace('_', '-')} {value}"
        assert (flag in best["command"]) == (value != defaults.flat()[name]), flag


@pytest.mark.extended
def test_a_search_over_schedule_shapes_trains_each_as_its_shape_says(
    tiny_encoder_dir, search_reviews, tmp_path, capsys
):
    out = tmp_path / "tune"
    shapes = ["--blocks", "2", "--tune-schedule", "--oracle", "grid", "--epochs", "2"]
    assert main(few_argv(tiny_encoder_dir, search_reviews, out, *shapes)) == 0
    # gradual's epoch 1 reads boundary 1
    assert "caching the outputs at blocks 0, 1, 2 for every trial" in capsys.readouterr().err
    rows = read_trials(out)
    assert sorted(r["unfreeze_schedule"] for r in rows) == ["0,2", "1,2", "fixed"]
    for row in rows:
        config, _ = run_config(out / "trials" / row["trial"])
        schedule = row["unfreeze_schedule"]
        expected = None if schedule == "fixed" else [int(k) for k in schedule.split(",")]
        assert config["unfreeze_schedule"] == expected
        assert row["status"] == "COMPLETED"


def test_a_grid_search_computes_each_frozen_prefix_once_for_all_its_trials(grid_search):
    tune_dir, stderr, _ = grid_search
    # one pass over the training and validation splits, for boundaries 0, 1, 2
    assert "caching the outputs at blocks 0, 1, 2 for every trial" in stderr
    assert stderr.count("frozen prefix computed") == 1, stderr
    rows = read_trials(tune_dir)
    assert sorted(int(r["trainable_blocks"]) for r in rows) == [0, 1, 2]
    for row in rows:
        trial = json.loads((tune_dir / "trials" / row["trial"] / "metrics.json").read_text())
        assert row["status"] == "COMPLETED" and trial["frozen_prefix"]["mode"] == "cache"
        assert trial["frozen_prefix"]["boundary"] == 2 - int(row["trainable_blocks"])


@pytest.mark.extended
def test_hyperbands_brackets_read_the_one_frozen_prefix_pass_too(
    tiny_encoder_dir, search_reviews, tmp_path, capsys
):
    argv = few_argv(tiny_encoder_dir, search_reviews, tmp_path / "tune", "--oracle", "hyperband")
    assert main([*argv, "--epochs", "2"]) == 0
    stderr = capsys.readouterr().err
    assert stderr.count("frozen prefix computed") == 1, stderr
    rows = read_trials(tmp_path / "tune")
    assert rows and all(r["status"] == "COMPLETED" for r in rows)


def test_each_trial_starts_from_the_encoder_as_read_from_disk(grid_search, tmp_path):
    """Trials share one load of the encoder (encoders.shared_loads): the last trial of a
    search, run after two others trained the same variables, is bit for bit what a
    training on a freshly loaded encoder gives."""
    tune_dir, _, _ = grid_search
    last = tune_dir / "trials" / max((r["trial"] for r in read_trials(tune_dir)), key=int)
    config, record = read_run_file(last / "config.json")
    fresh = config.replace(out=str(tmp_path / "fresh"))
    train(fresh, evaluate_on_test=False, searching=True, record=record)
    assert_same_run(last, tmp_path / "fresh")


@pytest.mark.extended
def test_failed_trials_are_recorded_with_their_reason_and_the_search_goes_on(
    nan_encoder_dir, search_reviews, tmp_path, capsys
):
    argv = few_argv(nan_encoder_dir, search_reviews, tmp_path / "tune", "--max-trials", "2")
    argv += ["--precision", "float32"]  # no mixed variant of this encoder for this test alone
    assert main([*argv, "--blocks", "1", "2"]) == 1
    assert "no trial succeeded" in capsys.readouterr().err
    rows = read_trials(tmp_path / "tune")
    assert len(rows) == 2, "the search went on after the first failure"
    for row in rows:
        assert row["status"] == "FAILED" and "not retried: training diverged" in row["reason"]
    assert not (tmp_path / "tune" / "best.json").exists()
