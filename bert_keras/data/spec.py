"""What the data layer is asked for: where the examples come from and how to read them.

`TrainConfig.data` is a run's; a script may make its own (or `config.data_spec`, from flat
settings). `load_splits` and `load_evaluation_split` (`data.sources`) take nothing else.
"""

import dataclasses

from bert_keras.config_checks import number_in, raise_first_failed, whole_in
from bert_keras.data.columns import Columns
from bert_keras.data.labels import RELEASE_NAMES, LabelSet, check_names

TEXT_FIELDS = ("title_content", "content")
BAD_RECORD_POLICIES = ("error", "skip")


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """A data source and how to read it.

    Args:
        data: `amazon_polarity`, `tfds:NAME[/CONFIG]`, the release's .tgz, a folder with
            train.csv and test.csv, or one file (CSV, TSV, fastText, JSON lines).
        test_data: the final evaluation's file (a single file as `data` needs it).
        train_split: a TFDS split of training examples, e.g. `train[:10000]`.
        test_split: the TFDS split of the final evaluation, e.g. `validation`.
        limit: only the first N training records; None: all.
        text_fields: `title_content` (title and content joined) or `content`.
        on_bad_record: `error` (stop at the first) or `skip` (skip and count).
        columns: which columns hold the text and the label, and whether it is multi-label.
        labels: the label names in order; None: the data's own.
        validation_split: the fraction of training examples held out for validation.
        tfds_data_dir: where TFDS prepares its datasets; None: TFDS's default.
        tfds_manual_dir: a folder holding the release's archive or its extracted folder.

    Example:

    >>> spec = DataSpec("reviews.csv", test_data="test.csv", columns=Columns(label="stars"))
    >>> spec.columns.label, spec.label_set.names
    ('stars', ('negative', 'positive'))

    A bad value is refused where the part is made, naming the argument:

    >>> DataSpec("reviews.csv", columns=Columns(delimiter=";;"))
    Traceback (most recent call last):
    bert_keras.errors.UserInputError: delimiter=;;: must be one character, not a quote or a line end
    """

    data: str
    test_data: str | None = None
    train_split: str = "train"
    test_split: str = "test"
    limit: int | None = None
    text_fields: str = "title_content"
    on_bad_record: str = "error"
    columns: Columns = Columns()
    labels: tuple[str, ...] | None = None
    validation_split: float = 0.1
    tfds_data_dir: str | None = None
    tfds_manual_dir: str | None = None

    def __post_init__(self):
        if self.labels is not None:
            object.__setattr__(self, "labels", check_names(self.labels))
        raise_first_failed(
            self,
            [
                (
                    "limit",
                    self.limit is None or whole_in(self.limit, 2),
                    "must be a whole number, 2 or more",
                ),
                ("text_fields", self.text_fields in TEXT_FIELDS, TEXT_FIELDS),
                ("on_bad_record", self.on_bad_record in BAD_RECORD_POLICIES, BAD_RECORD_POLICIES),
                (
                    "validation_split",
                    number_in(self.validation_split, 0, 1),
                    "must be between 0 and 1",
                ),
            ],
        )

    @property
    def multi_label(self) -> bool:
        return self.columns.multi_label

    @property
    def label_set(self) -> LabelSet:
        """The labels given (none: the original release's two)."""
        return LabelSet(self.labels or RELEASE_NAMES, self.multi_label)
