"""A distributed search on 127.0.0.1: a chief serving the oracle, two workers training,
one of them SIGKILLed mid-trial and started again under its name."""

import csv
import json
import os
import socket
import subprocess
import time

import pytest
from kill import cli
from tiny_bert import write_synthetic_reviews
from tuning.test_search import assert_tuning_plot, tune_argv

from bert_keras.cli import main


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cluster_env(tuner_id: str, port: int) -> dict:
    return {
        **os.environ,
        "KERASTUNER_TUNER_ID": tuner_id,
        "KERASTUNER_ORACLE_IP": "127.0.0.1",
        "KERASTUNER_ORACLE_PORT": str(port),
    }


def start(argv, tuner_id, port, log_dir):
    log = open(log_dir / f"{tuner_id}-{time.monotonic_ns()}.err", "w")
    return subprocess.Popen(
        argv, env=cluster_env(tuner_id, port), stdout=subprocess.PIPE, stderr=log, text=True
    )


def ongoing_trial(tune_dir, tuner_id):
    """The trial the chief's oracle has handed `tuner_id` (its state file, written whole)."""
    try:
        return json.loads((tune_dir / "search" / "oracle.json").read_text())["ongoing_trials"].get(
            tuner_id
        )
    except (FileNotFoundError, KeyError):
        return None


def finish(process, what) -> dict:
    stdout, _ = process.communicate(timeout=900)
    assert process.returncode == 0, f"{what} exited {process.returncode}"
    return json.loads(stdout)


@pytest.mark.integration
def test_a_chief_and_two_workers_run_every_trial_once_and_a_killed_worker_loses_nothing(
    tiny_encoder_dir, tmp_path
):
    data = write_synthetic_reviews(tmp_path / "data", n_train=600, n_test=40)
    tune_dir, port = tmp_path / "tune", free_port()
    flags = "--oracle grid --tune-layer-lr-decay --epochs 2 --max-trials 4".split()
    argv = cli(*tune_argv(tiny_encoder_dir, data, tune_dir, *flags))
    chief = start(argv, "chief", port, tmp_path)
    workers = {name: start(argv, name, port, tmp_path) for name in ("tuner0", "tuner1")}

    deadline = time.time() + 600

    def past_its_first_epoch(trial):  # its backup written: epoch 1 is done, not to be redone
        backup = tune_dir / "trials" / str(trial) / "backup" / "chief" / "checkpoint"
        return trial is not None and backup.exists()

    while not past_its_first_epoch(ongoing_trial(tune_dir, "tuner0")) and time.time() < deadline:
        time.sleep(0.01)
    killed_trial = ongoing_trial(tune_dir, "tuner0")
    assert killed_trial is not None, "tuner0 was never handed a trial"
    workers["tuner0"].kill()
    assert workers["tuner0"].wait() == -9
    assert not (tune_dir / "trials" / killed_trial / "metrics.json").exists(), (
        "the kill must land mid-trial"
    )

    def history_of(trial):
        return (tune_dir / "trials" / trial / "history.csv").read_text()

    first_epoch = history_of(killed_trial).splitlines()[1]

    restarted = finish(start(argv, "tuner0", port, tmp_path), "tuner0, started again")
    other = finish(workers["tuner1"], "tuner1")
    summary = finish(chief, "the chief")

    assert restarted["trials_run"][0] == killed_trial  # handed its trial again, under its name
    ran = restarted["trials_run"] + other["trials_run"]
    assert sorted(ran) == ["0", "1", "2", "3"], "every trial run once, by one worker"
    with open(tune_dir / "trials.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4 and all(row["status"] == "COMPLETED" for row in rows)
    assert len({(row["trainable_blocks"], row["layer_lr_decay"]) for row in rows}) == 4
    assert summary["best"]["val_f1"] == max(float(row["val_f1"]) for row in rows)
    assert (tune_dir / "best.json").is_file()
    assert_tuning_plot(tune_dir)
    for row in rows:  # each trial trained its 2 epochs once
        assert len(history_of(row["trial"]).splitlines()) == 3, history_of(row["trial"])
    # the killed trial resumed at epoch 2: its first epoch's row (seconds included) is the one
    # written before the kill
    assert history_of(killed_trial).splitlines()[1] == first_epoch


@pytest.mark.parametrize(
    "env, message",
    [
        (
            {"KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_TUNER_ID": "chief"},
            "KERASTUNER_ORACLE_PORT=: must be a port number",
        ),
        (
            {
                "KERASTUNER_ORACLE_IP": "127.0.0.1",
                "KERASTUNER_ORACLE_PORT": "80000",
                "KERASTUNER_TUNER_ID": "chief",
            },
            "KERASTUNER_ORACLE_PORT=80000: must be a port number",
        ),
        (
            {"KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": "8000"},
            "KERASTUNER_TUNER_ID: must name",
        ),
    ],
)
def test_a_partial_cluster_setting_is_one_line(
    tiny_encoder_dir, tmp_path, monkeypatch, capsys, env, message
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(tune_argv(tiny_encoder_dir, tmp_path / "absent.csv", tmp_path / "tune")) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err, err
    assert not (tmp_path / "tune").exists()
