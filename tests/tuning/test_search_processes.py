"""The freeze-depth search in other processes (integration): resume after a kill in a
trial or while a trial writes a checkpoint, and export-best's fresh-process check."""

import json
import signal
import subprocess
import time

import pytest
from kill import cli, kill_while
from runs import run_config
from searches import read_trials, tune_argv

from bert_keras.cli import main


@pytest.mark.integration
@pytest.mark.parametrize("oracle", ["random", "grid"])  # grid: keras-tuner issue 1055
def test_kill_during_third_trial_then_same_command_keeps_trials_1_and_2(
    tiny_encoder_dir, search_reviews, tmp_path, oracle
):
    more = ["--oracle", oracle, "--tune-embeddings", "--max-trials", "4"]  # a 4th after the resume
    argv = cli(*tune_argv(tiny_encoder_dir, search_reviews, tmp_path / "tune", *more))
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    third = tmp_path / "tune" / "trials" / "2"
    deadline = time.time() + 300
    while not third.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(1.0)  # a trial loads and traces for seconds before its first step
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
    assert len({(r["trainable_blocks"], r["train_embeddings"]) for r in rows}) == 4, "none twice"
    for trial, stamp in finished.items():  # not run again
        assert (tmp_path / "tune" / "trials" / trial / "metrics.json").stat().st_mtime_ns == stamp


@pytest.mark.integration
def test_kill_while_a_trial_writes_a_checkpoint_then_same_command_loses_nothing(
    wide_encoder_dir, search_reviews, tmp_path
):
    tune_dir = tmp_path / "tune"
    argv = cli(
        *tune_argv(wide_encoder_dir, search_reviews, tune_dir, "--oracle", "grid", "--epochs", "2")
    )

    def trial_writing_checkpoint():  # past a trial's first backup, into a later checkpoint write
        return any(tune_dir.glob("trials/*/backup/chief/checkpoint")) and (
            any(tune_dir.glob("trials/*/best/*_temp"))
            or any(tune_dir.glob("trials/*/backup/chief/*_temp"))
        )

    kill_while(argv, trial_writing_checkpoint)
    finished = {p.parent.name: p.stat().st_mtime_ns for p in tune_dir.glob("trials/*/metrics.json")}
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = read_trials(tune_dir)
    assert sorted(int(r["trainable_blocks"]) for r in rows) == [0, 1, 2], "every trial, none twice"
    assert all(r["status"] == "COMPLETED" for r in rows)
    for trial, stamp in finished.items():
        assert (tune_dir / "trials" / trial / "metrics.json").stat().st_mtime_ns == stamp
    assert not list(tune_dir.glob("trials/*/best/*_temp"))
    assert not list(tune_dir.glob("trials/*/backup"))


@pytest.mark.integration
def test_export_best_trains_the_best_trial_on_the_full_split_and_exports_it(
    tiny_encoder_dir, search_reviews, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("BERT_KERAS_HOME", str(tmp_path / "home"))
    out = tmp_path / "tune"
    best = ["--blocks", "1", "2", "--max-trials", "2", "--limit", "200", "--export-best", "tuned"]
    assert main(tune_argv(tiny_encoder_dir, search_reviews, out, *best)) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["export"] == str(tmp_path / "home" / "tuned" / "1")
    assert (tmp_path / "home" / "tuned" / "1" / "saved_model.pb").is_file()
    best_config, _ = run_config(out / "best_run")
    assert best_config["limit"] is None  # the full training split, not the tuning slice
    chosen = json.loads((out / "best.json").read_text())["hyperparameters"]["trainable_blocks"]
    assert best_config["freeze"]["train_last"] == chosen
    assert summary["best_run_metrics"]["evaluated_on"] == "test"
