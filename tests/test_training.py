"""`bert-keras train` end to end on the tiny encoder: outputs, resume after SIGKILL,
divergence, refusal to clobber, evaluate, and two workers training together."""
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from bert_keras.cli import main
from bert_keras.convert import convert
from tiny_bert import write_synthetic_reviews, write_tiny_checkpoint


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    return write_synthetic_reviews(tmp_path_factory.mktemp("reviews"), n_train=600, n_test=80)


def command(encoder, data, out, *extra):
    return ["train", "--encoder", str(encoder), "--data", str(data), "--out", str(out),
            "--batch-size", "8", "--learning-rate", "5e-3", "--train-last", "1", *extra]


def test_train_writes_every_output(tiny_encoder_dir, reviews, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(command(tiny_encoder_dir, reviews, out, "--epochs", "2")) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("loss", "accuracy", "precision", "recall", "f1", "auc", "train_examples", "train_seconds",
                "train_examples_per_second", "eval_examples_per_second", "trainable_params", "total_params"):
        assert key in metrics, key
    assert metrics["train_examples"] == 2 * (540 // 8) * 8  # 600 rows less the 10% validation carve-out
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

    # the same command on a finished run trains nothing and repeats its metrics
    stamp = (out / "metrics.json").stat().st_mtime_ns
    assert main(command(tiny_encoder_dir, reviews, out, "--epochs", "2")) == 0
    captured = capsys.readouterr()
    assert "already finished" in captured.err and json.loads(captured.out)["f1"] == metrics["f1"]
    assert (out / "metrics.json").stat().st_mtime_ns == stamp


def test_unfinished_run_with_other_settings_is_refused(tiny_encoder_dir, reviews, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text(json.dumps({"format": "bert-keras-run/1", "out": str(out), "epochs": 7}))
    assert main(command(tiny_encoder_dir, reviews, out)) == 2
    assert "holds a run with other settings (" in capsys.readouterr().err


def cli(*argv):
    return [sys.executable, "-m", "bert_keras.cli", *argv]


def history_rows(out):
    path = out / "history.csv"
    return len(path.read_text().splitlines()) - 1 if path.exists() else 0


def test_sigkill_in_second_epoch_then_same_command_resumes(tiny_encoder_dir, tmp_path):
    # Dropout stays on: its masks are replayed too (CountedDropout), so the resumed
    # run matches the uninterrupted one, not just approximately.
    data = write_synthetic_reviews(tmp_path / "data", n_train=2400, n_test=200)
    argv = command(tiny_encoder_dir, data, tmp_path / "killed", "--epochs", "3")
    process = subprocess.Popen(cli(*argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while history_rows(tmp_path / "killed") < 1 and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # well into epoch 2
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert history_rows(tmp_path / "killed") == 1, "the kill must land in the second epoch"
    assert not (tmp_path / "killed" / "metrics.json").exists()

    subprocess.run(cli(*argv), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    uninterrupted = command(tiny_encoder_dir, data, tmp_path / "whole", "--epochs", "3")
    subprocess.run(cli(*uninterrupted), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    resumed = json.loads((tmp_path / "killed" / "metrics.json").read_text())
    whole = json.loads((tmp_path / "whole" / "metrics.json").read_text())
    assert history_rows(tmp_path / "killed") == 3
    assert abs(resumed["f1"] - whole["f1"]) <= 0.005
    assert resumed["loss"] == pytest.approx(whole["loss"], abs=1e-4)


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


def test_two_workers_train_together_to_the_same_weights(tiny_encoder_dir, reviews, tmp_path):
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    processes = []
    for index in range(2):
        env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        argv = command(tiny_encoder_dir, reviews, tmp_path / f"worker{index}", "--strategy", "multi_worker",
                       "--epochs", "2")
        processes.append(subprocess.Popen(cli(*argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                          text=True))
    outputs = [process.communicate(timeout=600)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    chief = json.loads((tmp_path / "worker0" / "workers" / "worker-0.json").read_text())
    other = json.loads((tmp_path / "worker1" / "workers" / "worker-1.json").read_text())
    assert chief.keys() == other.keys() and len(chief) > 0
    for name in chief:
        assert chief[name] == pytest.approx(other[name], rel=1e-6), name
    assert (tmp_path / "worker0" / "metrics.json").exists()  # the chief writes the run's files
    assert not (tmp_path / "worker1" / "metrics.json").exists()
