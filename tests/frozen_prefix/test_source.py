"""Training on the frozen-prefix cache: the same mathematics as inline (weights equal),
and a cache on disk that a rerun reads; (integration) resumable after SIGKILL, and a
cache on disk that a kill mid-build never leaves half-used."""

import contextlib
import io
import json
import re
import subprocess

import numpy as np
import pytest
import tensorflow as tf
from kill import cli, kill_when, kill_while
from runs import (
    assert_same_run,
    best_weights,
    history_lines,
    rerun_and_check_it_resumed,
    uninterrupted_run,
)
from served import run_test_texts
from tiny_bert import write_synthetic_reviews

from bert_keras.cli import main
from bert_keras.frozen_prefix import states as store
from bert_keras.serving.export import export
from bert_keras.serving.predict import Predictor
from bert_keras.training.callbacks import EpochTimer


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    return write_synthetic_reviews(tmp_path_factory.mktemp("reviews"), n_train=200, n_test=40)


def command(encoder, data, out, mode, *extra):
    train = f"train --encoder {encoder} --data {data} --out {out} --frozen-prefix {mode}"
    options = "--batch-size 8 --learning-rate 5e-3 --train-last 1 --max-seq-length 48 --epochs 2"
    return [*train.split(), *options.split(), *extra]


@pytest.fixture(scope="module")
def trained(tiny_encoder_dir, reviews, tmp_path_factory):
    """trained(dropout) -> {mode: (run directory, metrics)}: a cached and an inline run, each
    trained once for every test that reads them."""
    runs = {}

    def pair(dropout: str) -> dict:
        if dropout not in runs:
            root = tmp_path_factory.mktemp(f"dropout_{dropout}")
            runs[dropout] = {mode: run(root / mode, mode, dropout) for mode in ("cache", "inline")}
        return runs[dropout]

    def run(out, mode, dropout):
        # float32: under a mixed policy the cache (built 64 reviews at a time) and the training
        # batches (8) round differently
        flags = ["--dropout", dropout, "--precision", "float32"]
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            assert main(command(tiny_encoder_dir, reviews, out, mode, *flags)) == 0
        return out, json.loads(stdout.getvalue())

    return pair


@pytest.mark.parametrize("dropout", [pytest.param("0", marks=pytest.mark.extended), "0.1"])
def test_cached_and_inline_training_end_with_the_same_weights(trained, dropout):
    """Frozen blocks run in inference mode on both paths, and the trainable blocks' dropout
    masks depend on (seed, call count) only: the cache changes the cost, not the result.
    N = 2 epochs of 22 steps: float noise of ~1e-7 stays below 1e-5."""
    (cached_run, cached_metrics), (inline_run, inline_metrics) = trained(dropout).values()
    assert cached_metrics["frozen_prefix"]["mode"] == "cache"
    assert cached_metrics["frozen_prefix"]["boundary"] == 1
    assert inline_metrics["frozen_prefix"]["mode"] == "inline"
    cached, inline = best_weights(cached_run), best_weights(inline_run)
    assert cached.keys() == inline.keys() and any("transformer.Slayer_1" in name for name in cached)
    for name in cached:
        np.testing.assert_allclose(cached[name], inline[name], atol=1e-5, rtol=0, err_msg=name)
    for key in ("loss", "f1", "auc"):
        assert cached_metrics[key] == pytest.approx(inline_metrics[key], abs=1e-5)


def test_a_cached_run_exports_as_one_trained_inline_would(trained, tmp_path, capsys):
    """The two runs' exports hold the same variables (within the 1e-5 the runs' weights
    agree to, tensor by tensor, as each export lists them) and serve the same scores."""
    (run, _), (inline, _) = trained("0.1").values()
    assert store._IN_MEMORY == {}, "a finished run releases the states it kept in memory"
    exported = {}
    for name, directory in (("cache", run), ("inline", inline)):
        export(directory, tmp_path / name, fresh_check=False)
        reader = tf.train.load_checkpoint(str(tmp_path / name / "1" / "variables" / "variables"))
        exported[name] = {key: reader.get_tensor(key) for key in reader.get_variable_to_shape_map()}
    cached, inline_variables = exported["cache"], exported["inline"]
    assert cached.keys() == inline_variables.keys() and len(cached) > 40
    for key in cached.keys() - {"_CHECKPOINTABLE_OBJECT_GRAPH"}:
        np.testing.assert_allclose(cached[key], inline_variables[key], atol=1e-5, err_msg=key)
    texts = run_test_texts(inline, 40)
    served = [Predictor(tmp_path / name).outputs(texts)[0] for name in ("cache", "inline")]
    np.testing.assert_allclose(*served, atol=1e-6)  # 2.9e-8 apart at most, on every kernel
    assert main(["evaluate", "--model", str(run)]) == 0
    assert json.loads(capsys.readouterr().out)["f1"] == pytest.approx(
        json.loads((run / "metrics.json").read_text())["f1"], abs=1e-6
    )


def test_an_interrupted_run_resumes_after_its_last_epoch_and_ends_as_an_uninterrupted_one(
    trained, tiny_encoder_dir, reviews, tmp_path, capsys, monkeypatch
):
    """Interrupted (Ctrl-C) as its second epoch begins, the same command runs that epoch
    only, keeps the first epoch's history row, and ends with the uninterrupted run's every
    tensor. (integration: the same after SIGKILL, at moments in the middle of things.)"""
    whole, _ = trained("0.1")["cache"]
    argv = command(tiny_encoder_dir, reviews, tmp_path / "run", "cache")
    argv += ["--dropout", "0.1", "--precision", "float32"]
    begin = EpochTimer.on_epoch_begin

    def interrupted(timer, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt
        begin(timer, epoch, logs)

    with monkeypatch.context() as patch:
        patch.setattr(EpochTimer, "on_epoch_begin", interrupted)
        assert main(argv) == 130
    kept = history_lines(tmp_path / "run")
    assert len(kept) == 1 and not (tmp_path / "run" / "metrics.json").exists()
    capsys.readouterr()
    assert main(argv) == 0
    assert re.findall(r"^Epoch (\d+)/2$", capsys.readouterr().err, re.M) == ["2"]
    assert history_lines(tmp_path / "run")[:1] == kept
    assert_same_run(tmp_path / "run", whole)


def test_a_rerun_reads_the_cache_on_disk_instead_of_computing_it(
    tiny_encoder_dir, reviews, tmp_path, capsys
):
    on_disk = ["--cache-memory-gb", "0", "--cache-dir", str(tmp_path / "cache")]
    assert main(command(tiny_encoder_dir, reviews, tmp_path / "first", "cache", *on_disk)) == 0
    first = capsys.readouterr()
    assert first.err.count("frozen prefix computed") == 1  # both splits in one pass
    assert len(list((tmp_path / "cache").iterdir())) == 2  # a folder each
    assert main(command(tiny_encoder_dir, reviews, tmp_path / "second", "cache", *on_disk)) == 0
    second = capsys.readouterr()
    assert "frozen prefix computed" not in second.err
    assert json.loads(second.out)["f1"] == json.loads(first.out)["f1"]


# -- integration: separate processes --------------------------------------------------


@pytest.fixture(scope="session")
def cached_reference(tiny_encoder_dir, kill_reviews, tmp_path_factory):
    """Two cached epochs on the kill tests' data (in memory), in one uninterrupted process."""
    return uninterrupted_run(
        tmp_path_factory,
        "cached_reference",
        lambda out: command(tiny_encoder_dir, kill_reviews, out, "cache"),
    )


@pytest.mark.integration
def test_sigkill_in_the_second_epoch_of_a_cached_run_then_same_command(
    tiny_encoder_dir, kill_reviews, cached_reference, tmp_path
):
    killed = tmp_path / "killed"
    argv = command(tiny_encoder_dir, kill_reviews, killed, "cache")

    def into_the_second_epoch():
        return (
            len(history_lines(killed)) == 1
            and (killed / "backup" / "chief" / "checkpoint").exists()
        )

    assert kill_when(cli(*argv), into_the_second_epoch)
    assert rerun_and_check_it_resumed(argv, killed, epochs=2, steps=81) == 1
    assert json.loads((killed / "frozen_prefix.json").read_text())["mode"] == "cache"
    assert_same_run(killed, cached_reference)


@pytest.mark.integration
def test_sigkill_while_the_cache_is_built_on_disk_then_same_command(
    tiny_encoder_dir, kill_reviews, cached_reference, tmp_path
):
    cache_dir, out = tmp_path / "cache", tmp_path / "run"
    on_disk = ["--cache-memory-gb", "0", "--cache-dir", str(cache_dir)]
    argv = cli(*command(tiny_encoder_dir, kill_reviews, out, "cache", *on_disk))

    def filling_the_cache():  # a staging folder, its values file mapped and being written
        return any(cache_dir.glob(".*.partial-*/values.npy"))

    kill_while(argv, filling_the_cache)
    assert not [p for p in cache_dir.iterdir() if not p.name.startswith(".")], "nothing under a key"
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert [p.name for p in cache_dir.iterdir() if p.name.startswith(".")] == [], "staging removed"
    assert len(list(cache_dir.iterdir())) == 2  # the training split's states and validation's
    assert json.loads((out / "metrics.json").read_text())["frozen_prefix"]["location"] == "disk"
    assert_same_run(out, cached_reference)  # the same run as one whose cache was in memory
