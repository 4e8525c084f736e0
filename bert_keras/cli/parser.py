"""The parser: every command and flag, with help that names each default.

Choices and defaults come from `bert_keras.config` (TensorFlow-free, so a bad flag is
refused before anything heavy loads).
"""

import argparse

from bert_keras.cli.commands import (
    DEFAULTS,
    SEARCH_FLAGS,
    cmd_check,
    cmd_convert,
    cmd_encoders,
    cmd_evaluate,
    cmd_export,
    cmd_layers,
    cmd_predict,
    cmd_train,
    cmd_tune,
)
from bert_keras.config import (
    BAD_RECORD_POLICIES,
    DEFAULT_MAX_TRIALS,
    DEFAULT_ORACLE,
    FROZEN_PREFIX_MODES,
    ORACLES,
    PRECISIONS,
    SERVING_PRECISION,
    STRATEGIES,
    TEXT_FIELDS,
    TrainConfig,
)
from bert_keras.encoders.layout import DEFAULT_SEQ_LENGTH
from bert_keras.errors import UserInputError
from bert_keras.serving.predict import BATCH_SIZE


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        raise UserInputError(message)


def _add_freeze_flags(parser):
    group = parser.add_argument_group("freezing (see `bert-keras layers`)")
    group.add_argument(
        "--train-last",
        type=int,
        metavar="K",
        help=f"train only the last K blocks, the pooler and "
        f"the head (default {DEFAULTS.freeze.train_last}, when no freeze flag is given)",
    )
    group.add_argument("--freeze-first", type=int, metavar="N", help="freeze blocks 0..N-1")
    group.add_argument(
        "--freeze-regex", metavar="RE", help="freeze sub-layers/variables matching RE"
    )
    group.add_argument(
        "--train-regex", metavar="RE", help="keep sub-layers/variables matching RE trainable"
    )
    group.add_argument(
        "--train-embeddings",
        action="store_true",
        help="with --train-last/--freeze-first, train the embeddings too (frozen otherwise)",
    )


def _add_data_flags(parser):
    parser.add_argument(
        "--data",
        help=f"{DEFAULTS.data} (TFDS, the default), its .tgz, tfds:NAME[/CONFIG] (any TFDS "
        "text classification dataset), a folder with train.csv/test.csv, or a file",
    )
    parser.add_argument(
        "--test-data",
        help="the test file of the final evaluation: needed when --data is a single file, "
        "and replaces the test split of a folder or of amazon_polarity",
    )
    parser.add_argument(
        "--text-fields",
        choices=TEXT_FIELDS,
        help=f"title and content joined, or content only (default {DEFAULTS.text_fields})",
    )
    parser.add_argument(
        "--on-bad-record",
        choices=BAD_RECORD_POLICIES,
        help=f"stop at a bad record, or skip and count it (default {DEFAULTS.on_bad_record})",
    )
    parser.add_argument(
        "--text-column",
        dest="text_columns",
        action="append",
        metavar="NAME",
        help="a column (or JSON key) holding the text; repeated, joined in order "
        "(default: the one of text, review, content, sentence the file has)",
    )
    parser.add_argument(
        "--label-column",
        metavar="NAME",
        help="the column (or JSON key) holding the label "
        "(default: the one of label, labels, sentiment, class the file has)",
    )
    parser.add_argument(
        "--delimiter",
        type=lambda text: "\t" if text in ("\\t", "tab") else text,
        help="of a delimited file with a header ('tab' or '\\t' for a tab; "
        "default: tab for .tsv, comma otherwise)",
    )
    parser.add_argument(
        "--tfds-data-dir", help="where TFDS prepares amazon_polarity and tfds:NAME datasets"
    )
    parser.add_argument(
        "--tfds-manual-dir", help="folder holding the original archive or its folder"
    )


def _numeric_flags(d: TrainConfig) -> list[tuple[str, type, str]]:
    """(flag, type, help) of every setting that takes one number or string."""
    return [
        ("--train-split", str, f"TFDS split, e.g. 'train[:10000]' (default {d.train_split})"),
        ("--test-split", str, f"TFDS split of the final evaluation (default {d.test_split})"),
        ("--limit", int, "use only the first N training records"),
        ("--validation-split", float, f"held out of training (default {d.validation_split})"),
        ("--max-seq-length", int, f"tokens per example (default {d.max_seq_length})"),
        ("--epochs", int, f"default {d.epochs}"),
        ("--batch-size", int, f"global batch (default {d.batch_size})"),
        ("--learning-rate", float, f"peak AdamW rate (default {d.learning_rate})"),
        ("--weight-decay", float, f"decoupled weight decay (default {d.weight_decay})"),
        ("--warmup-fraction", float, f"of all steps (default {d.warmup_fraction})"),
        ("--clip-norm", float, f"global gradient norm (default {d.clip_norm})"),
        ("--layer-lr-decay", float, "block i at lr x D^(depth - i), embeddings lowest (default 1)"),
        (
            "--unfreeze-schedule",
            str,
            "epoch e trains the last K_e blocks, e.g. 1,2,4 (default: fixed)",
        ),
        ("--dropout", float, f"before the head (default {d.dropout})"),
        ("--seed", int, f"data order, head, dropout masks (default {d.seed})"),
        (
            "--target-precision",
            float,
            "threshold: the most recall at this validation precision (default: F1-best)",
        ),
        ("--target-recall", float, "threshold: the most precision at this validation recall"),
    ]


def _add_training_flags(parser):
    """Every TrainConfig setting as a flag; unset flags take the config's defaults."""
    d = DEFAULTS
    parser.add_argument(
        "--encoder", help=f"built-in name, directory or TF Hub handle (default {d.encoder})"
    )
    _add_data_flags(parser)
    parser.add_argument(
        "--multi-label",
        action="store_true",
        default=None,
        help="any number of labels per example, one sigmoid each (a JSON list, or names "
        "split on --label-delimiter)",
    )
    parser.add_argument(
        "--label-delimiter", help=f"between a delimited file's labels (default {d.label_delimiter})"
    )
    parser.add_argument(
        "--allow-no-label",
        action="store_true",
        default=None,
        help="with --multi-label, keep examples that hold no label",
    )
    parser.add_argument(
        "--labels",
        metavar="NAME,NAME,...",
        help="the label names in order (default: from the data: whole numbers in order, "
        "other names sorted; the original release's negative,positive)",
    )
    for flag, kind, text in _numeric_flags(d):
        parser.add_argument(flag, type=kind, help=text)
    parser.add_argument(
        "--strategy", choices=STRATEGIES, help=f"tf.distribute strategy (default {d.strategy})"
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        help=f"default {d.precision}: mixed_bfloat16 on CPUs with AMX or AVX512-BF16, TPUs and "
        "GPUs of compute capability 8+, mixed_float16 on 7.x GPUs, float32 elsewhere",
    )
    parser.add_argument(
        "--frozen-prefix",
        choices=FROZEN_PREFIX_MODES,
        help=f"compute the frozen blocks' output once and train on it (cache), or at every step "
        f"(inline); default {d.frozen_prefix}: cache for 2+ epochs and searches",
    )
    parser.add_argument(
        "--cache-memory-gb",
        type=float,
        metavar="GIB",
        help="memory the cache may take before it goes to disk (default: a quarter of the RAM)",
    )
    parser.add_argument(
        "--cache-dir", help="where caches too big for memory go (default: BERT_KERAS_HOME/cache)"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run or search bert-keras wrote there (never anyone else's files)",
    )
    _add_freeze_flags(parser)


def _add_encoder_commands(commands):
    convert = commands.add_parser(
        "convert", help="HuggingFace BERT checkpoint -> TF Hub-format SavedModels"
    )
    convert.add_argument(
        "hf_dir", metavar="HF_DIR", help="with config.json, model.safetensors, vocab.txt"
    )
    convert.add_argument(
        "out_dir", metavar="OUT_DIR", help="new directory for encoder/ and preprocessor/"
    )
    convert.add_argument(
        "--seq-length",
        type=int,
        default=DEFAULT_SEQ_LENGTH,
        help=f"the preprocessor's default (default {DEFAULT_SEQ_LENGTH})",
    )
    convert.set_defaults(run=cmd_convert)
    commands.add_parser("encoders", help="list the built-in encoders and their cache").set_defaults(
        run=cmd_encoders
    )
    check = commands.add_parser(
        "check", help="load an encoder through hub.KerasLayer and embed sentences"
    )
    check.add_argument(
        "--encoder", default=DEFAULTS.encoder, help="built-in name, directory or TF Hub handle"
    )
    check.add_argument("sentences", nargs="*", help="sentences to embed (default: three examples)")
    check.set_defaults(run=cmd_check)
    layers = commands.add_parser("layers", help="the sub-layer table under a freeze specification")
    layers.add_argument(
        "--encoder", default=DEFAULTS.encoder, help="built-in name, directory or TF Hub handle"
    )
    layers.add_argument(
        "--layer-lr-decay", type=float, default=1.0, help="show each sub-layer's rate multiplier"
    )
    layers.add_argument(
        "--unfreeze-schedule", help="show the epoch each sub-layer starts training in"
    )
    _add_freeze_flags(layers)
    layers.set_defaults(run=cmd_layers)


def _add_training_commands(commands):
    train = commands.add_parser(
        "train", help="fine-tune on Amazon Polarity under a freeze specification"
    )
    train.add_argument("--out", required=True, metavar="RUN_DIR", help="run directory (resumable)")
    _add_training_flags(train)
    train.set_defaults(run=cmd_train)
    tune = commands.add_parser("tune", help="Keras Tuner search over how many blocks to train")
    tune.add_argument(
        "--out", required=True, metavar="TUNE_DIR", help="search directory (resumable)"
    )
    _add_training_flags(tune)
    tune.add_argument(
        "--oracle", default=DEFAULT_ORACLE, choices=ORACLES, help=f"default {DEFAULT_ORACLE}"
    )
    tune.add_argument(
        "--max-trials", type=int, default=DEFAULT_MAX_TRIALS, help=f"default {DEFAULT_MAX_TRIALS}"
    )
    tune.add_argument(
        "--blocks",
        type=int,
        nargs="+",
        metavar="K",
        help="trainable-block counts to try (default: 0 to the encoder's depth)",
    )
    for flag, text in SEARCH_FLAGS.items():
        tune.add_argument(flag, action="store_true", help=text)
    tune.add_argument(
        "--export-best",
        metavar="NAME",
        help="train the best trial on the full training split, export to saved_models/NAME",
    )
    tune.set_defaults(run=cmd_tune)
    evaluate = commands.add_parser(
        "evaluate", help="metrics of a trained run on a data source, as JSON"
    )
    evaluate.add_argument(
        "--model", required=True, help="a run directory, an export version or its model directory"
    )
    evaluate.add_argument(
        "--report", metavar="DIR", help="write curves, accuracy by length and errors.jsonl to DIR"
    )
    _add_data_flags(evaluate)
    evaluate.set_defaults(run=cmd_evaluate)


def _add_serving_commands(commands):
    export = commands.add_parser(
        "export", help="a run's best weights as a TF Serving SavedModel version"
    )
    export.add_argument("run_dir", metavar="RUN_DIR")
    export.add_argument(
        "--out", required=True, metavar="saved_models/NAME", help="the model directory"
    )
    export.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=SERVING_PRECISION,
        help=f"of the serving graph, whatever the run trained in (default {SERVING_PRECISION}; "
        "auto: what fits this machine)",
    )
    export.set_defaults(run=cmd_export)
    predict = commands.add_parser("predict", help="reviews -> JSON lines of probability and label")
    predict.add_argument(
        "--model", required=True, help="an export version, or its model directory (newest)"
    )
    predict.add_argument("reviews", nargs="*", help="reviews to score")
    predict.add_argument("--file", help="one review a line")
    predict.add_argument("--batch-size", type=int, default=BATCH_SIZE, help=f"default {BATCH_SIZE}")
    predict.add_argument(
        "--on-bad-record",
        choices=BAD_RECORD_POLICIES,
        default="error",
        help="an empty review stops it (error, the default), or is skipped and counted",
    )
    predict.set_defaults(run=cmd_predict)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bert-keras",
        description="Fine-tune TF Hub BERT encoders with selective layer freezing.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_encoder_commands(commands)
    _add_training_commands(commands)
    _add_serving_commands(commands)
    return parser
