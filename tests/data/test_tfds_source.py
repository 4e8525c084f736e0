"""`--data tfds:NAME`: TFDS text classification datasets, read through tiny builders that
TFDS itself prepares offline into a temporary data_dir."""

import json
import time

import numpy as np
import pytest
from served import own_probabilities
from tiny_tfds import CUES, topic_examples

from bert_keras.cli import main
from bert_keras.config import TrainConfig
from bert_keras.data.sources import load_splits
from bert_keras.errors import UserInputError


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("tfds"))


def test_a_tfds_dataset_gives_its_classlabel_names_text_and_sizes(data_dir):
    splits = load_splits(
        TrainConfig.from_settings(out="run", data="tfds:tiny_topics", tfds_data_dir=data_dir).data
    )
    assert splits.labels.names == tuple(CUES)  # the ClassLabel's order
    assert (splits.train.size, splits.validation.size, splits.test.size) == (216, 24, 60)
    test = list(splits.test.examples.as_numpy_iterator())
    expected = {e["text"]: e["topic"] for _, e in topic_examples(60, 2)}  # written, not read
    got = {e["content"].decode(): list(CUES)[e["label"]] for e in test}
    assert got == expected and all(e["title"] == b"" for e in test)


def test_text_features_chosen_by_name_join_as_title_and_content(data_dir):
    config = TrainConfig.from_settings(
        out="run",
        data="tfds:tiny_topics",
        tfds_data_dir=data_dir,
        text_columns=("headline", "text"),
        train_split="train[:30]",
    )
    splits = load_splits(config.data)
    got = {
        (e["title"].decode(), e["content"].decode())
        for e in splits.test.examples.as_numpy_iterator()
    }
    assert got == {(e["headline"], e["text"]) for _, e in topic_examples(60, 2)}
    assert splits.train.size + splits.validation.size == 30  # TFDS's slicing


@pytest.mark.parametrize(
    "data, options, problem",
    [
        ("tfds:tiny_hidden", {}, "test_split=test: tiny_hidden hides the labels of this split"),
        ("tfds:no_such_dataset", {}, "data=tfds:no_such_dataset: not a TFDS dataset"),
        ("tfds:tiny_topics", {"test_split": "nope"}, "test_split=nope: not a split of tiny_top"),
        ("tfds:tiny_topics", {"label_column": "label"}, "label_column=label: not a ClassLabel"),
        ("tfds:tiny_topics", {"labels": ("a", "b")}, "labels=a,b: the dataset's labels are"),
    ],
)
def test_refused_with_one_line(data_dir, data, options, problem):
    with pytest.raises(UserInputError) as raised:
        load_splits(
            TrainConfig.from_settings(out="run", data=data, tfds_data_dir=data_dir, **options).data
        )
    assert str(raised.value).startswith(problem) and "\n" not in str(raised.value)


def test_offline_a_dataset_not_prepared_fails_at_once_saying_what_to_do(
    tiny_encoder_dir, tmp_path, capsys
):
    start = time.perf_counter()
    argv = (
        f"train --encoder {tiny_encoder_dir} --data tfds:imdb_reviews "
        f"--tfds-data-dir {tmp_path} --out {tmp_path / 'r'}"
    )
    assert main(argv.split()) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("bert-keras: error: --data tfds:imdb_reviews: not prepared, and ")
    assert "--tfds-data-dir DIR" in err and err.count("\n") == 0
    assert time.perf_counter() - start < 60 and not (tmp_path / "r").exists()


def test_training_on_a_tfds_dataset_records_its_names(data_dir, tiny_encoder_dir, tmp_path):
    out = tmp_path / "run"
    argv = (
        f"train --encoder {tiny_encoder_dir} --data tfds:tiny_topics --tfds-data-dir {data_dir} "
        f"--train-split train[:96] --out {out} --batch-size 16 --max-seq-length 16 "
        "--precision float32 --epochs 1"
    )
    assert main(argv.split()) == 0
    assert json.loads((out / "config.json").read_text())["settings"]["labels"] == list(CUES)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["evaluated_on"] == "test" and metrics["evaluated_examples"] == 60
    # the test split's cross-entropy, from its examples as written and the best weights
    examples = [e for _, e in topic_examples(60, 2)]
    probabilities = own_probabilities(out, [e["text"] for e in examples])
    truth = [list(CUES).index(e["topic"]) for e in examples]
    loss = -np.log(np.clip(probabilities[np.arange(60), truth], 1e-7, 1)).mean()
    assert metrics["loss"] == pytest.approx(loss, abs=1e-5)
