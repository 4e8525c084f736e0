"""Data sources: the validation carve-out, and which source a `--data` is."""

import pytest
import tensorflow as tf
from tiny_bert import write_synthetic_reviews

from bert_keras.config import TrainConfig
from bert_keras.data.sources import SOURCES, carve_validation, load_splits
from bert_keras.errors import UserInputError


def test_validation_carve_out_is_even_disjoint_and_repeatable():
    examples = tf.data.Dataset.range(100)
    (train, train_size), (validation, validation_size) = carve_validation(examples, 100, 0.1)
    held_out = [int(x) for x in validation]
    assert (train_size, validation_size) == (90, 10) and held_out == [
        9,
        19,
        29,
        39,
        49,
        59,
        69,
        79,
        89,
        99,
    ]
    assert sorted(held_out + [int(x) for x in train]) == list(range(100))
    assert [int(x) for x in carve_validation(examples, 100, 0.1)[1][0]] == held_out


@pytest.mark.parametrize(
    "data, kind",
    [
        ("amazon_polarity", "TFDS"),
        ("{root}/copy/amazon_review_polarity_csv.tgz", "TFDS"),
        ("tfds:imdb_reviews", "TFDS"),
        ("{root}", "a folder with train.csv and test.csv"),
        ("{root}/train.csv", "one file"),
    ],
)
def test_which_source_a_data_flag_is(tmp_path, data, kind):
    (tmp_path / "train.csv").write_text('"2","a","b"\n')
    config = TrainConfig.from_settings(out="unused", data=data.format(root=tmp_path))
    assert next(s for s in SOURCES if s.matches(config.data)).kind.startswith(kind)


def test_a_folder_and_a_file_load_their_splits(tmp_path):
    write_synthetic_reviews(tmp_path, n_train=50, n_test=10)
    folder = load_splits(TrainConfig.from_settings(out="unused", data=str(tmp_path), limit=40).data)
    assert (folder.train.size, folder.validation.size, folder.test.size) == (36, 4, 10)
    single = load_splits(
        TrainConfig.from_settings(
            out="unused",
            data=str(tmp_path / "test.csv"),
            test_data=str(tmp_path / "train.csv"),
            validation_split=0.5,
        ).data
    )
    assert (single.train.size, single.validation.size, single.test.size) == (5, 5, 50)
    with pytest.raises(UserInputError, match="needs `test_data`"):
        load_splits(TrainConfig.from_settings(out="unused", data=str(tmp_path / "test.csv")).data)


def test_test_data_replaces_a_folders_test_split_and_a_missing_one_is_named(tmp_path):
    write_synthetic_reviews(tmp_path, n_train=50, n_test=10)
    (tmp_path / "other").mkdir()
    write_synthetic_reviews(tmp_path / "other", n_train=7, n_test=3)
    splits = load_splits(
        TrainConfig.from_settings(
            out="unused", data=str(tmp_path), test_data=str(tmp_path / "other" / "train.csv")
        ).data
    )
    assert (splits.train.size, splits.test.size) == (45, 7)
    with pytest.raises(UserInputError, match="absent.csv: no such file"):
        load_splits(
            TrainConfig.from_settings(
                out="unused", data=str(tmp_path), test_data=str(tmp_path / "absent.csv")
            ).data
        )
