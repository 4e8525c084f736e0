"""`bert-keras train` end to end on the tiny encoder: outputs, resume after SIGKILL
(in an epoch, while a checkpoint is written), divergence, --overwrite, evaluate,
and two workers training together."""

import csv
import json
import os
import socket
import subprocess
import time

import numpy as np
import pytest
from kill import cli, kill_when, kill_while
from runs import assert_same_run, history_lines, rerun_and_check_it_resumed
from safetensors.numpy import load_file, save_file
from tiny_bert import write_synthetic_reviews, write_tiny_checkpoint

from bert_keras.cli import main
from bert_keras.encoders.convert import convert


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    return write_synthetic_reviews(tmp_path_factory.mktemp("reviews"), n_train=600, n_test=80)


def command(encoder, data, out, *extra):
    return [
        "train",
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
        "--train-last",
        "1",
        *extra,
    ]


def test_train_writes_every_output(tiny_encoder_dir, reviews, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(command(tiny_encoder_dir, reviews, out, "--epochs", "2")) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    for key in (
        "loss",
        "accuracy",
        "precision",
        "recall",
        "f1",
        "auc",
        "train_examples",
        "train_seconds",
        "train_examples_per_second",
        "eval_examples_per_second",
        "trainable_params",
        "total_params",
    ):
        assert key in metrics, key
    assert (
        metrics["train_examples"] == 2 * (540 // 8) * 8
    )  # 600 rows less the 10% validation carve-out
    assert metrics["auc"] > 0.8, "the sentiment words are learnable even by the tiny encoder"
    assert metrics["trainable_params"] < metrics["total_params"]
    config = json.loads((out / "config.json").read_text())
    assert config["freeze"]["train_last"] == 1 and config["learning_rate"] == 5e-3
    with open(out / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["epoch"] for row in rows] == ["0", "1"] and "val_f1" in rows[0]
    assert (out / "training_curves.png").stat().st_size > 1000
    assert list((out / "logs" / "validation").iterdir())
    assert not (out / "backup").exists()
    capsys.readouterr()

    # evaluate reproduces the test metrics from the best weights
    assert main(["evaluate", "--model", str(out), "--data", str(reviews)]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["f1"] == pytest.approx(metrics["f1"], abs=1e-6)

    # bad records skipped: noticed on stderr, counted, and stdout is still JSON alone
    with_bad = tmp_path / "with_bad.csv"
    with_bad.write_text((reviews / "test.csv").read_text() + '"7","not","a label"\n')
    assert (
        main(["evaluate", "--model", str(out), "--data", str(with_bad), "--on-bad-record", "skip"])
        == 0
    )
    captured = capsys.readouterr()
    assert (
        json.loads(captured.out)["skipped_records"] == 1
        and "skipped" in captured.err
        and ":81:" in captured.err
    )

    # the same command on a finished run trains nothing and repeats its metrics
    stamp = (out / "metrics.json").stat().st_mtime_ns
    assert main(command(tiny_encoder_dir, reviews, out, "--epochs", "2")) == 0
    captured = capsys.readouterr()
    assert "already finished" in captured.err and json.loads(captured.out)["f1"] == metrics["f1"]
    assert (out / "metrics.json").stat().st_mtime_ns == stamp


@pytest.mark.parametrize("frozen_prefix", ["inline", "cache"])
def test_a_trial_scores_its_best_epochs_validation_without_a_second_pass(
    tiny_encoder_dir, reviews, tmp_path, monkeypatch, frozen_prefix
):
    from bert_keras.config import TrainConfig
    from bert_keras.data.sources import load_splits
    from bert_keras.encoders.precision import encoder_for
    from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
    from bert_keras.freezing.spec import FreezeSpec
    from bert_keras.training import train as training
    from bert_keras.training.checkpoints import best_checkpoint, restore_weights
    from bert_keras.training.job import build_compiled_classifier

    passes = []  # every evaluation in train goes through evaluate_batches
    evaluate_batches = training.evaluate_batches
    monkeypatch.setattr(
        training, "evaluate_batches", lambda *args: passes.append(args) or evaluate_batches(*args)
    )
    config = TrainConfig(
        out=str(tmp_path / "trial"),
        encoder=str(tiny_encoder_dir),
        data=str(reviews),
        epochs=2,
        batch_size=8,
        learning_rate=5e-3,
        freeze=FreezeSpec(train_last=1),
        frozen_prefix=frozen_prefix,
        precision="float32",
    )  # where the cache's states and the token path agree to ~1e-7
    metrics = training.train(config, evaluate_on_test=False, searching=True)
    assert passes == [] and metrics["evaluated_on"] == "validation"
    assert metrics["frozen_prefix"]["mode"] == frozen_prefix

    # the best weights, read again from token ids: the numbers the trial reported
    paths = resolve_encoder(config.encoder)
    model = build_compiled_classifier(
        config, encoder_for(paths, config.compute_precision), total_steps=1
    )
    restore_weights(model, best_checkpoint(config.out), "best")
    again = training.evaluate_model(
        model, load_splits(config).validation, load_preprocessor(paths), config
    )
    for name in ("loss", "accuracy", "precision", "recall", "f1", "auc", "evaluated_examples"):
        assert metrics[name] == pytest.approx(again[name], abs=2e-6), name


def test_unfinished_run_with_other_settings_is_refused(tiny_encoder_dir, reviews, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text(
        json.dumps({"format": "bert-keras-run/1", "out": str(out), "epochs": 7})
    )
    assert main(command(tiny_encoder_dir, reviews, out)) == 2
    assert "holds a run with other settings (" in capsys.readouterr().err


def test_sigkill_in_second_epoch_of_an_inline_run_then_same_command_resumes(
    tiny_encoder_dir, tmp_path
):
    # Dropout stays on: its masks are replayed too (CountedDropout), so the resumed
    # run equals the uninterrupted one exactly, not just approximately. Inline: two
    # epochs would cache the frozen prefix, whose kill test is test_prefix_cache's.
    data = write_synthetic_reviews(tmp_path / "data", n_train=2400, n_test=200)
    killed = tmp_path / "killed"
    argv = command(tiny_encoder_dir, data, killed, "--epochs", "2", "--frozen-prefix", "inline")

    def well_into_the_second_epoch():
        if len(history_lines(killed)) < 1:
            return False
        time.sleep(0.5)
        return True

    assert kill_when(cli(*argv), well_into_the_second_epoch)
    assert len(history_lines(killed)) == 1, "the kill must land in the second epoch"
    assert not (killed / "metrics.json").exists()
    # The resumed process runs the second epoch's 270 steps (2,160 examples / 8) and nothing else.
    assert rerun_and_check_it_resumed(argv, killed, epochs=2, steps=270) == 1
    assert json.loads((killed / "frozen_prefix.json").read_text())["mode"] == "inline"
    subprocess.run(
        cli(
            *command(
                tiny_encoder_dir,
                data,
                tmp_path / "whole",
                "--epochs",
                "2",
                "--frozen-prefix",
                "inline",
            )
        ),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert_same_run(killed, tmp_path / "whole")


def test_sigkill_while_a_checkpoint_is_written_then_same_command_finishes(tmp_path):
    # A wider encoder, so that writing a checkpoint takes long enough to be caught.
    wide = convert(
        write_tiny_checkpoint(
            tmp_path / "hf", hidden_size=256, intermediate_size=1024, num_attention_heads=4
        ),
        tmp_path / "wide",
    )
    data = write_synthetic_reviews(tmp_path / "data", n_train=400, n_test=40)
    out = tmp_path / "killed"
    argv = command(wide, data, out, "--epochs", "4", "--max-seq-length", "32")

    def writing_checkpoint():  # TensorFlow writes a checkpoint into <prefix>_temp/, then merges it;
        # after the first epoch's backup, so that the rerun has something to resume from
        return (out / "backup" / "chief" / "checkpoint").exists() and (
            any(out.glob("best/*_temp")) or any(out.glob("backup/chief/*_temp"))
        )

    kill_while(cli(*argv), writing_checkpoint)
    rerun_and_check_it_resumed(argv, out, epochs=4, steps=45)  # 360 examples / 8
    assert not list(out.glob("best/*_temp")) and not (out / "backup").exists()
    subprocess.run(
        cli(*command(wide, data, tmp_path / "whole", "--epochs", "4", "--max-seq-length", "32")),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert_same_run(out, tmp_path / "whole")


def test_overwrite_replaces_only_its_own_run_and_only_once_inputs_load(
    tiny_encoder_dir, reviews, tmp_path, capsys
):
    out = tmp_path / "run"
    assert main(command(tiny_encoder_dir, reviews, out)) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # bad data: refused before the old run is touched
    assert main(command(tiny_encoder_dir, tmp_path / "absent", out, "--overwrite")) == 2
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    capsys.readouterr()
    # good input: the old run is replaced, and nothing of it is left aside
    assert main(command(tiny_encoder_dir, reviews, out, "--overwrite", "--epochs", "2")) == 0
    assert json.loads((out / "config.json").read_text())["epochs"] == 2
    assert len(history_lines(out)) == 2 and [p.name for p in tmp_path.iterdir()] == ["run"]


def test_a_trailing_slash_is_the_same_run(tiny_encoder_dir, reviews, tmp_path, capsys):
    assert main(command(tiny_encoder_dir, reviews, f"{tmp_path / 'run'}/", "--seed", "0")) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(command(tiny_encoder_dir, reviews, tmp_path / "run", "--seed", "0")) == 0
    captured = capsys.readouterr()
    assert "already finished" in captured.err and json.loads(captured.out) == first


def test_divergence_says_so_and_exits_1(tmp_path, reviews, capsys):
    checkpoint = write_tiny_checkpoint(tmp_path / "hf")
    tensors = load_file(str(checkpoint / "model.safetensors"))
    tensors["pooler.dense.bias"][0] = np.nan  # a broken checkpoint: the loss is NaN from step one
    save_file(tensors, str(checkpoint / "model.safetensors"))
    encoder = convert(checkpoint, tmp_path / "tfhub")
    assert main(command(encoder, reviews, tmp_path / "run")) == 1
    err = capsys.readouterr().err
    assert "training diverged" in err and "--learning-rate" in err
    assert not (tmp_path / "run" / "metrics.json").exists()


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.parametrize(
    "frozen_prefix", ["inline", "cache"]
)  # with the cache, each worker caches its shard
def test_two_workers_train_together_to_the_same_weights(
    tiny_encoder_dir, reviews, tmp_path, frozen_prefix
):
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    processes = []
    for index in range(2):
        env = {
            **os.environ,
            "TF_CONFIG": json.dumps(
                {"cluster": cluster, "task": {"type": "worker", "index": index}}
            ),
        }
        argv = command(
            tiny_encoder_dir,
            reviews,
            tmp_path / f"worker{index}",
            "--strategy",
            "multi_worker",
            "--epochs",
            "2",
            "--frozen-prefix",
            frozen_prefix,
        )
        processes.append(
            subprocess.Popen(
                cli(*argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        )
    outputs = [process.communicate(timeout=600)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    chief = json.loads((tmp_path / "worker0" / "workers" / "worker-0.json").read_text())
    other = json.loads((tmp_path / "worker1" / "workers" / "worker-1.json").read_text())
    assert chief.keys() == other.keys() and len(chief) > 0
    for name in chief:
        assert chief[name] == pytest.approx(other[name], rel=1e-6), name
    metrics = json.loads(
        (tmp_path / "worker0" / "metrics.json").read_text()
    )  # the chief writes the run's files
    assert not (tmp_path / "worker1" / "metrics.json").exists()
    assert metrics["frozen_prefix"]["mode"] == frozen_prefix
