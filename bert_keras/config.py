"""The one configuration of a training run: every setting, resolved, validated once.

It is written as `config.json` into every run directory (and later into every
export), so a run can be read back, resumed with the same command, or reproduced.
"""
import dataclasses
import json
from pathlib import Path

from bert_keras.atomic import write_text_atomic
from bert_keras.errors import UserInputError
from bert_keras.freezing import FreezeSpec

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker", "tpu")
TEXT_FIELDS = ("title_content", "content")
BAD_RECORD_POLICIES = ("error", "skip")
PRECISIONS = ("float32", "mixed_bfloat16")  # TensorFlow-free here: the CLI validates before loading it


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    out: str                                    # the run directory
    encoder: str = "minilm-l6"                  # built-in name, TF Hub-format directory or handle
    data: str = "amazon_polarity"               # TFDS name, a folder with train/test.csv, or a file
    test_data: str | None = None                # test file when --data is a single file
    train_split: str = "train"                  # TFDS split string, e.g. "train[:10000]"
    limit: int | None = None                    # use only the first N training records
    text_fields: str = "title_content"          # title and content joined, or content only
    on_bad_record: str = "error"                # stop at the first bad record, or skip and count
    validation_split: float = 0.1               # carved off the training split, deterministically
    max_seq_length: int = 128                   # tokens per example, [CLS] and [SEP] included
    freeze: FreezeSpec = FreezeSpec(train_last=2)  # the seed recipe: last 2 blocks + pooler + head
    dropout: float = 0.1                        # before the classifier head
    epochs: int = 1
    batch_size: int = 32                        # global batch, split across replicas
    learning_rate: float = 1e-4                 # peak; only a few blocks train, so above BERT's 2e-5
    weight_decay: float = 0.01                  # decoupled (AdamW), not on LayerNorm or biases
    warmup_fraction: float = 0.1                # of all training steps, linear warm-up
    clip_norm: float = 1.0                      # global gradient norm
    seed: int = 42                              # data order, validation carve-out, head init, dropout
    strategy: str = "auto"                      # tf.distribute strategy
    precision: str = "float32"                  # or mixed_bfloat16: bfloat16 products, float32 weights
    tfds_data_dir: str | None = None            # where TFDS prepares amazon_polarity
    tfds_manual_dir: str | None = None          # a local copy of the archive or its folder

    def __post_init__(self):
        checks = [
            ("--epochs", self.epochs >= 1, "must be 1 or more"),
            ("--batch-size", self.batch_size >= 1, "must be 1 or more"),
            ("--max-seq-length", 8 <= self.max_seq_length <= 512, "must be between 8 and 512"),
            ("--learning-rate", 0 < self.learning_rate < 1, "must be between 0 and 1"),
            ("--weight-decay", 0 <= self.weight_decay < 1, "must be between 0 and 1"),
            ("--warmup-fraction", 0 <= self.warmup_fraction < 1, "must be in [0, 1)"),
            ("--clip-norm", self.clip_norm > 0, "must be positive"),
            ("--dropout", 0 <= self.dropout < 1, "must be in [0, 1)"),
            ("--validation-split", 0 < self.validation_split < 1, "must be between 0 and 1"),
            ("--limit", self.limit is None or self.limit >= 2, "must be 2 or more"),
            ("--strategy", self.strategy in STRATEGIES, f"must be one of {', '.join(STRATEGIES)}"),
            ("--precision", self.precision in PRECISIONS, f"must be one of {', '.join(PRECISIONS)}"),
            ("--text-fields", self.text_fields in TEXT_FIELDS, f"must be one of {', '.join(TEXT_FIELDS)}"),
            ("--on-bad-record", self.on_bad_record in BAD_RECORD_POLICIES, "must be error or skip"),
        ]
        for flag, ok, requirement in checks:
            if not ok:
                raise UserInputError(f"{flag}: {requirement}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        values = dict(values)
        values["freeze"] = FreezeSpec.from_dict(values.get("freeze"))
        return cls(**values)

    def write(self, path: Path):
        write_text_atomic(Path(path), json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> "TrainConfig":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
