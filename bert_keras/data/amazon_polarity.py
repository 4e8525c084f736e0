"""A TFDS builder for the original Amazon Review Polarity release.

TFDS has no builder for it. This one reads `amazon_review_polarity_csv.tgz`
(3.6M train / 400k test reviews; label 1 = negative, 2 = positive; title and
content), downloaded, or found in TFDS's manual directory as the archive or the
folder it extracts to.
"""

import urllib.request
from pathlib import Path

import tensorflow_datasets as tfds

from bert_keras.data.records import BadRecord, parsed_lines
from bert_keras.errors import UserInputError, first_line

ARCHIVE = "amazon_review_polarity_csv.tgz"
FOLDER = "amazon_review_polarity_csv"
URL = "https://s3.amazonaws.com/fast-ai-nlp/amazon_review_polarity_csv.tgz"


def _csv_folder(root: Path) -> Path | None:
    for candidate in (root, root / FOLDER):
        if (candidate / "train.csv").is_file() and (candidate / "test.csv").is_file():
            return candidate
    return None


class AmazonPolarity(tfds.core.GeneratorBasedBuilder):
    """Amazon Review Polarity (Zhang et al., 2015) from its original CSV release."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {
        "1.0.0": "The original CSV release; labels mapped to 0 = negative, 1 = positive."
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        f"Place {ARCHIVE}, or the {FOLDER}/ folder it extracts to (train.csv, test.csv), "
        "in the manual dir."
    )

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "label": tfds.features.ClassLabel(names=["negative", "positive"]),
                    "title": tfds.features.Text(),
                    "content": tfds.features.Text(),
                }
            ),
            homepage="https://papers.nips.cc/paper/5782-character-level-convolutional-networks-for-text-classification",
        )

    def _split_generators(self, dl_manager):
        folder = self._source_folder(dl_manager)
        return {
            "train": self._generate_examples(folder / "train.csv"),
            "test": self._generate_examples(folder / "test.csv"),
        }

    def _source_folder(self, dl_manager) -> Path:
        manual = Path(dl_manager.manual_dir) if self._manual_dir_given(dl_manager) else None
        if manual is not None:
            folder = _csv_folder(manual)
            if folder is None and (manual / ARCHIVE).is_file():
                folder = _csv_folder(Path(dl_manager.extract(manual / ARCHIVE)))
            if folder is None:
                raise UserInputError(
                    f"{manual}: holds neither {ARCHIVE} nor {FOLDER}/ with train.csv and test.csv"
                )
            return folder
        try:
            # TFDS retries an unreachable host for minutes; one quick probe fails fast.
            urllib.request.urlopen(urllib.request.Request(URL, method="HEAD"), timeout=15).close()
            extracted = Path(dl_manager.download_and_extract(URL))
        except Exception as error:  # offline: a URLError, a ConnectionError, a DownloadError, ...
            raise UserInputError(
                f"data=amazon_polarity: could not download {URL} ({type(error).__name__}); "
                f"point `data` at a local copy: the {ARCHIVE} archive, its extracted folder, "
                "or any CSV file"
            ) from None
        return _csv_folder(extracted)

    @staticmethod
    def _manual_dir_given(dl_manager) -> bool:
        try:
            return Path(dl_manager.manual_dir).exists()
        except AssertionError:  # TFDS asserts when no manual dir was configured
            return False

    def _generate_examples(self, path: Path):
        with open(path, "rb") as lines:
            for number, record in parsed_lines(lines, path):
                if isinstance(record, BadRecord):
                    raise UserInputError(f"{path}:{number}: {record}")
                label, title, content = record
                yield number, {"label": label, "title": title, "content": content}


def load_builder(data_dir: str | None, manual_dir: str | None) -> AmazonPolarity:
    """The builder, prepared (downloading or reading the manual dir on first use)."""
    config = tfds.download.DownloadConfig(manual_dir=manual_dir) if manual_dir else None
    builder = AmazonPolarity(data_dir=data_dir)
    try:
        builder.download_and_prepare(download_config=config)
    except UserInputError:
        raise
    except Exception as error:  # noqa: BLE001  (a damaged archive fails inside TFDS in many ways)
        reason = first_line(error)
        raise UserInputError(
            f"data=amazon_polarity: could not prepare it from "
            f"{manual_dir or 'the download'} ({type(error).__name__}: {reason})"
        ) from None
    return builder
