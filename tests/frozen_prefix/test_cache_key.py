"""The frozen-prefix cache's key: a rerun with one data setting changed (labels, length,
text columns, multi-label, delimiter, reviews without a label) computes its states again
instead of reading the first run's."""

import csv

import numpy as np
import pytest

from bert_keras.config import TrainConfig
from bert_keras.data.sources import load_splits
from bert_keras.encoders.resolve import load_preprocessor, load_saved_model, resolve_encoder
from bert_keras.frozen_prefix.plan import Plan
from bert_keras.frozen_prefix.source import run_prefix_source

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
