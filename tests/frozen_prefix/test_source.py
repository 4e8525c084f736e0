"""Training on the frozen-prefix cache: the same mathematics as inline (weights equal),
and a cache on disk that a rerun reads; (integration) resumable after SIGKILL, and a
cache on disk that a kill mid-build never leaves half-used."""

import contextlib
import csv
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
from bert_keras.config import TrainConfig
from bert_keras.data.sources import load_splits
from bert_keras.encoders.resolve import load_preprocessor, load_saved_model, resolve_encoder
from bert_keras.frozen_prefix import states as store
from bert_keras.frozen_prefix.plan import Plan
from bert_keras.frozen_prefix.source import run_prefix_source
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


# -- the cache's key: a rerun with one setting changed computes its states again --------

TOPICS = ("praise", "complaint", "price")


@pytest.fixture(scope="module")
def topic_file(tmp_path_factory):
    """40 rows of a title, a body, a topic and tags ("|" between them; a few without any)."""
    path = tmp_path_factory.mktemp("topics") / "topics.csv"
    rows = ["title,body,topic,tags"]
    for i in range(40):
        topic = TOPICS[i % 2]
        tags = "" if i % 7 == 3 else f"{topic}|price" if i % 3 == 0 else topic
        rows.append(
            f"t{i} works,{'great good love ' if i % 2 == 0 else 'bad hate '}{i},{topic},{tags}"
        )
    path.write_text("\n".join(rows) + "\n")
    return path


def _expected_labels(path, labels, settings: dict, split: float):
    """The training split's labels, read here: rows kept unless floor((i + 1) * split) >
    floor(i * split) (held out for validation); label indices, or rows of 0/1."""
    names, multi, delimiter = labels.names, labels.multi_label, settings.get("label_delimiter", "|")
    with open(path, newline="") as handle:
        values = [row[settings["label_column"]] for row in csv.DictReader(handle)]
    if multi and not settings.get("allow_no_label"):
        values = [value for value in values if value]  # skipped: no label
    kept = [v for i, v in enumerate(values) if (i + 1) * split // 1 == i * split // 1]
    if not multi:
        return np.array([names.index(v) for v in kept], np.float32)
    return np.array([[name in v.split(delimiter) for name in names] for v in kept], np.float32)


BASE = {"text_columns": ("body",), "label_column": "topic"}
RERUNS = {  # (the first run's settings, the rerun's): one setting changed
    "labels": (BASE, {**BASE, "labels": ("praise", "complaint")}),
    "max_seq_length": (BASE, {**BASE, "max_seq_length": 8}),
    "text_columns": (BASE, {**BASE, "text_columns": ("title", "body")}),
    "multi_label": (BASE, {**BASE, "multi_label": True}),
    "label_delimiter": (
        tagged := {**BASE, "label_column": "tags", "multi_label": True, "allow_no_label": False},
        {**tagged, "label_delimiter": ";"},
    ),
    "allow_no_label": (tagged, {**tagged, "allow_no_label": True}),
}


@pytest.fixture(scope="module")
def tiny_encoder(tiny_encoder_dir):
    """(its SavedModel's path, the SavedModel loaded, its preprocessor), loaded once."""
    paths = resolve_encoder(str(tiny_encoder_dir))
    return paths.encoder, load_saved_model(paths.encoder, "encoder"), load_preprocessor(paths)


@pytest.mark.parametrize("change", list(RERUNS))
def test_a_rerun_with_one_setting_changed_computes_its_states_again(
    change, tiny_encoder, topic_file, tmp_path, capsys
):
    """A run's states of the frozen embeddings and block 0, got as a run gets them (found
    on disk, or computed and kept there), for its settings and then for the rerun's."""
    encoder_path, loaded, preprocessor = tiny_encoder

    def states_of(settings):
        settings = {"max_seq_length": 16, "on_bad_record": "skip", **settings}
        config = TrainConfig.from_settings(
            out=str(tmp_path / "run"),
            data=str(topic_file),
            test_data=str(topic_file),
            validation_split=0.25,
            precision="float32",
            cache_memory_gb=0,
            cache_dir=str(tmp_path / "cache"),
            **settings,
        )
        splits = load_splits(config.data)
        config = config.replace(labels=splits.labels.names)  # as a run records them
        source = run_prefix_source(
            config.data,
            config.model.max_seq_length,
            config.cache,
            "float32",
            encoder_path,
            loaded,
            preprocessor,
            splits,
        )
        cache = source.run_cache(Plan("cache", 1, "a rerun"))
        return cache.train, splits.labels, settings

    states_of(RERUNS[change][0])
    capsys.readouterr()
    states, labels, settings = states_of(RERUNS[change][1])
    assert "frozen prefix computed" in capsys.readouterr().err, "the first run's states reused"
    expected = _expected_labels(topic_file, labels, settings, 0.25)
    np.testing.assert_array_equal(states.labels, expected)
    assert states.lengths.max() <= settings["max_seq_length"]
    assert len(list((tmp_path / "cache").iterdir())) == 4  # two splits, twice
