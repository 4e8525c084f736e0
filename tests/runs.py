"""Reading a run directory in tests: its history, its best weights, and proof that a
rerun resumed (not restarted) and ended as an uninterrupted run, which a fresh process
makes once per test run for every kill test of the same settings."""

import csv
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import tensorflow as tf
from kill import cli
from shared import built_once


def train_argv(encoder, data, out, *extra) -> list[str]:
    """`bert-keras train`'s argv for one quick epoch of the tiny encoder's last block."""
    train = f"train --encoder {encoder} --data {data} --out {out}"
    options = "--epochs 1 --batch-size 8 --learning-rate 5e-3 --train-last 1"
    return [*train.split(), *options.split(), *extra]


def run_config(out) -> tuple[dict, dict | None]:
    """(settings, record) of the run in `out`, as its config.json holds them."""
    values = json.loads((Path(out) / "config.json").read_text())
    return values["settings"], values["record"]


def rewrite_run_config(out, settings: dict, record: dict | None):
    """Writes `out`/config.json anew with `settings` and `record`, as a run would."""
    values = {"format": "bert-keras-run/2", "settings": settings, "record": record}
    (Path(out) / "config.json").write_text(json.dumps(values))


def history_lines(out):
    path = out / "history.csv"
    return path.read_text().splitlines()[1:] if path.exists() else []


def best_weights(out) -> dict:
    """Every tensor of the run's best checkpoint: model and optimizer."""
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(out / "best")))
    return {
        name: reader.get_tensor(name)
        for name in reader.get_variable_to_shape_map()
        if name != "_CHECKPOINTABLE_OBJECT_GRAPH"
    }


def assert_same_run(resumed, whole):
    """Equal to the last bit: every tensor of the best weights, the test metrics, and
    each epoch's history row (train_seconds aside, which measures the machine)."""
    a, b = best_weights(resumed), best_weights(whole)
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    metrics = [json.loads((out / "metrics.json").read_text()) for out in (resumed, whole)]
    for key in "loss accuracy precision recall f1 auc best_epoch train_examples".split():
        assert metrics[0][key] == metrics[1][key], key
    histories = [list(csv.DictReader(open(out / "history.csv"))) for out in (resumed, whole)]
    for rows in zip(*histories, strict=True):
        assert {**rows[0], "train_seconds": 0} == {**rows[1], "train_seconds": 0}


def rerun_and_check_it_resumed(argv, out, epochs: int, steps: int):
    """Runs the same command again and checks that it resumed, not restarted: it runs
    only the epochs after the last one backed up, each its `steps` steps, and keeps
    the history rows the killed process wrote, byte for byte."""
    backup = tf.train.latest_checkpoint(str(out / "backup" / "chief"))
    saved = "ckpt_saved_epoch/.ATTRIBUTES/VARIABLE_VALUE"
    first = 0 if backup is None else 1 + int(tf.train.load_checkpoint(backup).get_tensor(saved))
    kept = history_lines(out)[:first]
    resumed = subprocess.run(cli(*argv), check=True, capture_output=True, text=True)
    ran = re.findall(rf"^Epoch (\d+)/{epochs}$", resumed.stderr, re.M)
    assert ran == [str(e + 1) for e in range(first, epochs)], resumed.stderr
    steps_run = re.findall(r"^(\d+)/(\d+) - ", resumed.stderr, re.M)
    assert steps_run == [(str(steps), str(steps))] * len(ran)
    assert history_lines(out)[:first] == kept, "earlier epochs' rows are the killed process's own"
    return first


def uninterrupted_run(tmp_path_factory, name: str, argv_for) -> Path:
    """The run directory a fresh process makes of `argv_for(out)`, left alone: built
    once per test run and shared by the kill tests of the same settings."""

    def build(directory):
        argv = cli(*argv_for(directory / "run"))
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    return built_once(tmp_path_factory, name, build) / "run"
