"""`epochs`: rounds of one pass (or of a part of one), and when `auto` stops, on numbers
worked out here by hand."""

import csv
import dataclasses
import json
import re
import subprocess

import pytest
import tensorflow as tf
from commands import train_argv
from kill import cli, kill_when
from runs import assert_same_run, history_lines, run_config, uninterrupted_run
from tiny_bert import write_synthetic_reviews

from bert_keras.cli import main
from bert_keras.config import TrainConfig
from bert_keras.training import rounds as rounds_module
from bert_keras.training.callbacks import HistoryLog
from bert_keras.training.job import load_job
from bert_keras.training.rounds import Rounds, plan_rounds, schedule_steps, stop_reason


@pytest.mark.parametrize(
    "epochs, steps_per_epoch, expected",
    [
        (3, 20, Rounds(20, 3, 3, None, 20)),  # fixed: passes, all trained
        # auto, 700 reviews: 20 steps a pass; 300 steps: 15 passes; 30 passes at most
        ("auto", 20, Rounds(20, 30, 15, 2, 20)),
        # 200 reviews, 6 steps a pass: 300 steps would be 50 passes; the cap of 30 holds
        ("auto", 6, Rounds(6, 30, 30, 2, 6)),
        # 3,104 reviews, 97 steps a pass: 4 passes at least, 30 at most
        ("auto", 97, Rounds(97, 30, 4, 2, 97)),
        # 3 million reviews, 93,750 steps a pass: 6 rounds of 1,000 steps, the first alone due
        ("auto", 93_750, Rounds(1000, 6, 1, 2, 93_750)),
        # 320 steps a pass: 6,000 steps are 18 passes and 240 steps (18 rounds: 5,760)
        ("auto", 320, Rounds(320, 18, 1, 2, 320)),
    ],
)
def test_the_rounds_of_fixed_and_auto_epochs(epochs, steps_per_epoch, expected):
    assert plan_rounds(epochs, steps_per_epoch) == expected


AUTO = Rounds(steps=10, count=8, minimum=3, patience=2, steps_per_epoch=10)


@pytest.mark.parametrize(
    "scores, stops",
    [
        ([0.5, 0.6], None),  # below the minimum of 3
        ([0.5, 0.6, 0.6], None),  # the minimum, but the best (round 2) is 1 round back
        ([0.5, 0.5, 0.5], "improved for 2 epochs (the best: epoch 1)"),  # a tie is no better
        ([0.7, 0.6, 0.6], "improved for 2 epochs (the best: epoch 1)"),  # stops at the minimum
        ([0.5, 0.6, 0.7, 0.7], None),  # a tie is no improvement, but 1 round is not 2
        ([0.5, 0.6, 0.7, 0.7, 0.69], "improved for 2 epochs (the best: epoch 3)"),
        ([0.5, 0.6, 0.7, 0.6, 0.8, 0.7], None),  # round 5 beat round 3: the count starts again
        ([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], "the cap of 8 epochs is reached"),
    ],
)
def test_auto_stops_after_two_rounds_without_a_better_score(scores, stops):
    reason = stop_reason(scores, AUTO)
    assert (reason is None) == (stops is None) and (stops is None or stops in reason), reason


def test_fixed_epochs_stop_at_their_count_only():
    fixed = plan_rounds(3, 10)
    assert stop_reason([0.9, 0.1], fixed) is None
    assert stop_reason([0.9, 0.1, 0.1], fixed) == "the cap of 3 epochs is reached"


def test_rounds_of_part_of_a_pass_are_said_as_rounds():
    big = plan_rounds("auto", 2500)  # 1,000 steps a round, 2.5 rounds a pass
    assert big.describe(3) == "3 rounds of 1000 steps (1.20 epochs)"
    assert "2 rounds (the best: round 1)" in stop_reason([0.9, 0.8, 0.8], big)
    assert plan_rounds("auto", 20).describe(1) == "1 epoch"
    patient_once = Rounds(steps=10, count=9, minimum=1, patience=1, steps_per_epoch=10)
    assert stop_reason([0.5, 0.6, 0.6], patient_once) == (
        "the validation score has not improved for 1 epoch (the best: epoch 2)"
    )


def test_the_rate_warms_up_over_the_minimum_and_decays_over_the_cap(monkeypatch):
    assert schedule_steps(plan_rounds(4, 50), 0.1) == (20, 200)  # fixed: 10% of all steps
    auto = plan_rounds("auto", 20)  # at least 300 steps, at most 600
    assert schedule_steps(auto, 0.1) == (30, 600)
    monkeypatch.setattr(rounds_module, "DECAY", "none")  # constant after the warm-up
    warmup, end = schedule_steps(auto, 0.1)
    assert warmup == 30 and end > 10**15


# -- in a run -------------------------------------------------------------------------


def _stops_after(scores: list[float], minimum: int, count: int, patience: int = 2) -> int:
    """The rule written out: the first round at or past the minimum whose best so far
    (the first of the highest) lies `patience` rounds back, or the cap."""
    for done in range(1, count + 1):
        best = scores[:done].index(max(scores[:done]))
        if done == count or (done >= minimum and done - 1 - best >= patience):
            return done
    raise AssertionError("the scores end before the run could")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """40 to train on (5 steps of 8 a pass), 5 to validate."""
    return write_synthetic_reviews(tmp_path_factory.mktemp("small"), n_train=45, n_test=8)


def auto_argv(encoder, data, out, *extra):
    return train_argv(encoder, data, out, "--epochs", "auto", "--precision", "float32", *extra)


def test_auto_trains_until_the_validation_score_stops_improving(
    tiny_encoder_dir, small, tmp_path, capsys, monkeypatch
):
    """At least 15 steps (3 passes of 5), at most 12 passes: where it stops, its best
    epoch's weights and what it says are those of the rule applied to its own history."""
    monkeypatch.setattr(rounds_module, "MIN_STEPS", 15)
    monkeypatch.setattr(rounds_module, "MAX_EPOCHS", 12)
    out = tmp_path / "run"
    assert main(auto_argv(tiny_encoder_dir, small, out, "--learning-rate", "5e-3")) == 0
    with open(out / "history.csv", newline="") as handle:
        scores = [float(row["val_f1"]) for row in csv.DictReader(handle)]
    metrics = json.loads((out / "metrics.json").read_text())
    ran = _stops_after(scores, minimum=3, count=12)
    assert len(scores) == ran == metrics["epochs_run"]
    assert metrics["best_epoch"] == 1 + scores.index(max(scores))
    assert metrics["train_examples"] == ran * 5 * 8
    assert run_config(out)[0]["epochs"] == "auto"
    said = [line for line in capsys.readouterr().err.splitlines() if "--epochs auto" in line]
    assert said == [
        f"bert-keras: --epochs auto: trained {ran} epochs, then stopped: {metrics['stopped']}"
    ]
    if ran < 12:
        assert metrics["stopped"].endswith(f"(the best: epoch {metrics['best_epoch']})")


class Interrupted(Exception):
    """Stands for the process dying between an epoch's history row and its backup."""


def test_an_auto_run_stopped_after_its_best_round_resumes_to_the_same_end(
    tiny_encoder_dir, small, tmp_path_factory, tmp_path, monkeypatch
):
    """Stopped in the round before the rule ends training (the best rounds earlier): the
    resumed run must count the rounds it did not run itself, as the history kept them,
    so it stops after the same round, with the same best weights, as a run never stopped."""
    monkeypatch.setattr(rounds_module, "MIN_STEPS", 15)
    monkeypatch.setattr(rounds_module, "MAX_EPOCHS", 12)
    options = ("--learning-rate", "5e-3")
    whole = tmp_path_factory.mktemp("whole") / "run"
    assert main(auto_argv(tiny_encoder_dir, small, whole, *options)) == 0
    ran = json.loads((whole / "metrics.json").read_text())["epochs_run"]
    best = json.loads((whole / "metrics.json").read_text())["best_epoch"]
    assert 3 <= ran < 12 and best <= ran - 2, (ran, best)  # stopped by the rule, not the cap
    write_row = HistoryLog.on_epoch_end

    def dies_after_the_row(self, epoch, logs=None):
        write_row(self, epoch, logs)
        if epoch + 1 == ran - 1:  # before BackupAndRestore saves this epoch
            raise Interrupted

    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        patch.setattr(HistoryLog, "on_epoch_end", dies_after_the_row)
        with pytest.raises(Interrupted):
            main(auto_argv(tiny_encoder_dir, small, out, *options))
    assert len(history_lines(out)) == ran - 1
    assert main(auto_argv(tiny_encoder_dir, small, out, *options)) == 0
    assert_same_run(out, whole)
    metrics = [json.loads((run / "metrics.json").read_text()) for run in (out, whole)]
    assert metrics[0]["epochs_run"] == metrics[1]["epochs_run"] == ran
    assert metrics[0]["stopped"] == metrics[1]["stopped"]


def _batches(dataset) -> list[tuple]:
    return [
        (tuple(inputs["input_word_ids"].numpy().ravel()), tuple(labels.numpy().ravel()))
        for inputs, labels in dataset
    ]


def test_rounds_of_part_of_a_pass_read_the_passes_in_order(tiny_encoder_dir, small, tmp_path):
    """Rounds of 3 steps over passes of 5: rounds 2 and 3 read steps 6 to 11 of the stream
    of passes, the second pass's last four and the third's first two."""
    config = TrainConfig.from_settings(
        out=str(tmp_path / "run"),
        encoder=str(tiny_encoder_dir),
        data=str(small),
        batch_size=8,
        max_seq_length=32,
        precision="float32",
        frozen_prefix="inline",
    )
    job = load_job(config)
    job = dataclasses.replace(job, rounds=Rounds(3, 10, 1, 2, job.rounds.steps_per_epoch))
    assert job.rounds.steps_per_epoch == 5
    context = tf.distribute.InputContext()
    whole = _batches(job.training_batches(context, 0, 5))  # 15 steps: three passes
    assert len(whole) == 15
    assert _batches(job.training_batches(context, 2, 4)) == whole[6:12]


@pytest.mark.integration
def test_sigkill_in_an_auto_run_then_same_command_ends_as_an_uninterrupted_run(
    tiny_encoder_dir, tmp_path_factory, tmp_path
):
    """400 reviews (45 steps a pass: 7 passes at least), killed once its third epoch is
    backed up: the same command resumes it, and it stops where, and ends as, a run never
    killed does (its every tensor, history row and reason)."""
    data = write_synthetic_reviews(tmp_path_factory.mktemp("auto_kill"), n_train=400, n_test=16)
    options = ("--learning-rate", "5e-3", "--train-last", "1")

    def argv_for(out):
        return auto_argv(tiny_encoder_dir, data, out, *options)

    whole = uninterrupted_run(tmp_path_factory, "auto_reference", argv_for)
    killed = tmp_path / "killed"

    def after_the_third_epoch():
        return len(history_lines(killed)) >= 3 and (killed / "backup" / "chief").is_dir()

    assert kill_when(cli(*argv_for(killed)), after_the_third_epoch)
    resumed = subprocess.run(cli(*argv_for(killed)), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert not re.search(r"^Epoch [12]/", resumed.stderr, re.M), "epochs 1 and 2 ran again"
    assert_same_run(killed, whole)
    metrics = [json.loads((out / "metrics.json").read_text()) for out in (killed, whole)]
    assert metrics[0]["epochs_run"] == metrics[1]["epochs_run"] >= 7
    assert metrics[0]["stopped"] == metrics[1]["stopped"]


def test_the_plateau_decay_halves_the_rate_after_each_round_without_a_better_score(monkeypatch):
    """Set from the kept history before training (a resume) and after each round."""
    import numpy as np
    import tf_keras

    from bert_keras.training.callbacks import AutoStop
    from bert_keras.training.optimizer import WarmupLinearDecay

    monkeypatch.setattr(rounds_module, "DECAY", "plateau")
    schedule = WarmupLinearDecay(1e-3, warmup_steps=0, total_steps=2**62)
    model = tf_keras.Sequential([tf_keras.Input(shape=(2,)), tf_keras.layers.Dense(1)])
    model.compile(optimizer=tf_keras.optimizers.AdamW(schedule), loss="mse")
    stopper = AutoStop(plan_rounds("auto", 100), kept_scores=[0.8, 0.7])
    stopper.set_model(model)
    stopper.on_train_begin()
    assert schedule.scale.numpy() == 0.5  # round 2 did not beat round 1
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.5e-3)  # what the step used
    for score, scale in ((0.9, 0.5), (0.85, 0.25), (0.9, 0.125), (0.95, 0.125)):
        stopper.on_epoch_end(0, {"val_f1": score})
        assert schedule.scale.numpy() == scale
