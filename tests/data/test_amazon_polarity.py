"""The TFDS builder for the original release: from a manual dir, and offline."""

import shutil
import tarfile

import pytest
from tiny_bert import write_synthetic_reviews

from bert_keras.config import TrainConfig
from bert_keras.data.sources import load_splits
from bert_keras.errors import UserInputError


def test_builder_reads_the_extracted_folder_as_manual_dir(tmp_path):
    source = write_synthetic_reviews(
        tmp_path / "manual" / "amazon_review_polarity_csv", n_train=50, n_test=20
    )
    config = TrainConfig.from_settings(
        out="unused",
        data="amazon_polarity",
        tfds_data_dir=str(tmp_path / "tfds"),
        tfds_manual_dir=str(tmp_path / "manual"),
        train_split="train[:40]",
    )
    splits = load_splits(config.data)
    assert (splits.train.size, splits.validation.size, splits.test.size) == (36, 4, 20)
    examples = list(splits.test.examples.as_numpy_iterator())
    assert set(examples[0]) == {"label", "title", "content"}
    # every test record as the release writes it ("label","title","content", label 1 or 2),
    # in TFDS' own order
    written = [line[1:-1].split('","') for line in (source / "test.csv").read_text().splitlines()]
    assert sorted((e["label"], e["title"].decode(), e["content"].decode()) for e in examples) == (
        sorted((int(label) - 1, title, content) for label, title, content in written)
    )


def test_builder_reads_the_archive_given_as_data(tmp_path):
    folder = write_synthetic_reviews(
        tmp_path / "src" / "amazon_review_polarity_csv", n_train=30, n_test=10
    )
    archive = tmp_path / "copy" / "amazon_review_polarity_csv.tgz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="amazon_review_polarity_csv")
    shutil.rmtree(tmp_path / "src")
    splits = load_splits(
        TrainConfig.from_settings(
            out="unused", data=str(archive), tfds_data_dir=str(tmp_path / "tfds")
        ).data
    )
    assert (splits.train.size + splits.validation.size, splits.test.size) == (30, 10)
    own_test = write_synthetic_reviews(tmp_path / "own", n_train=7, n_test=1) / "train.csv"
    splits = load_splits(
        TrainConfig.from_settings(
            out="unused",
            data=str(archive),
            tfds_data_dir=str(tmp_path / "tfds"),
            test_data=str(own_test),
        ).data
    )
    assert splits.test.size == 7  # test_data replaces the builder's test split


def test_offline_download_fails_with_one_line_that_says_what_to_do(tmp_path):
    config = TrainConfig.from_settings(
        out="unused", data="amazon_polarity", tfds_data_dir=str(tmp_path / "tfds")
    )
    with pytest.raises(
        UserInputError, match="could not download .* point `data` at a local copy"
    ) as raised:
        load_splits(config.data)
    assert "\n" not in str(raised.value)
