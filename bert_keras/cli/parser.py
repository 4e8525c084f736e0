"""The parser: every command and flag, with help that names each default.

Choices and defaults come from `bert_keras.config` (TensorFlow-free, so a bad flag is
refused before anything heavy loads).
"""

import argparse

from bert_keras import __version__
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
from bert_keras.cli.flags import add_data_flags, add_freeze_flags, add_training_flags
from bert_keras.config import (
    DEFAULT_MAX_TRIALS,
    DEFAULT_ORACLE,
    INT8_MAX_F1_DROP,
    ORACLES,
    PRECISIONS,
    PREDICT_BATCH_SIZE,
    QUANTIZATIONS,
    SERVING_PRECISION,
)
from bert_keras.data.spec import BAD_RECORD_POLICIES
from bert_keras.encoders.layout import DEFAULT_SEQ_LENGTH
from bert_keras.errors import UserInputError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        raise UserInputError(message)


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
    layers.add_argument(
        "--pooling",
        default=DEFAULTS.model.pooling,
        help="what the head reads: mean (the pooler then stays frozen) or cls",
    )
    add_freeze_flags(layers)
    layers.set_defaults(run=cmd_layers)


def _add_training_commands(commands):
    train = commands.add_parser(
        "train", help="fine-tune on Amazon Polarity under a freeze specification"
    )
    train.add_argument("--out", required=True, metavar="RUN_DIR", help="run directory (resumable)")
    add_training_flags(train)
    train.set_defaults(run=cmd_train)
    tune = commands.add_parser("tune", help="Keras Tuner search over how many blocks to train")
    tune.add_argument(
        "--out", required=True, metavar="TUNE_DIR", help="search directory (resumable)"
    )
    add_training_flags(tune)
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
    add_data_flags(evaluate)
    evaluate.set_defaults(run=cmd_evaluate)


def _add_serving_commands(commands):
    export = commands.add_parser(
        "export", help="a run's best weights as a TF Serving SavedModel version"
    )
    export.add_argument("run_dir", metavar="RUN_DIR")
    export.add_argument(
        "--out",
        dest="model_dir",
        required=True,
        metavar="saved_models/NAME",
        help="the model directory",
    )
    export.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=SERVING_PRECISION,
        help=f"of the serving graph, whatever the run trained in (default {SERVING_PRECISION}; "
        "auto: what fits this machine)",
    )
    export.add_argument(
        "--quantize",
        choices=QUANTIZATIONS,
        help="also an int8 model (LiteRT) in saved_models/NAME-int8, under the same version, "
        "published only when its validation F1 is within --int8-max-f1-drop of float32's",
    )
    export.add_argument(
        "--int8-max-f1-drop",
        type=float,
        default=INT8_MAX_F1_DROP,
        metavar="POINTS",
        help=f"F1 points the int8 model may lose (default {INT8_MAX_F1_DROP})",
    )
    export.set_defaults(run=cmd_export)
    predict = commands.add_parser("predict", help="reviews -> JSON lines of probability and label")
    predict.add_argument(
        "--model",
        dest="model_dir",
        required=True,
        help="an export version, or its model directory (newest)",
    )
    predict.add_argument("reviews", nargs="*", help="reviews to score")
    predict.add_argument("--file", help="one review a line")
    predict.add_argument(
        "--batch-size", type=int, default=PREDICT_BATCH_SIZE, help=f"default {PREDICT_BATCH_SIZE}"
    )
    predict.add_argument(
        "--on-bad-record",
        choices=BAD_RECORD_POLICIES,
        default="error",
        help="an empty review stops it (error, the default), or is skipped and counted",
    )
    predict.set_defaults(run=cmd_predict)


# The example at the foot of each command's --help.
EXAMPLES = {
    "convert": "bert-keras convert ./bert-base-uncased ./encoders/bert-base",
    "encoders": "bert-keras encoders",
    "check": "bert-keras check --encoder minilm-l6",
    "layers": "bert-keras layers --encoder minilm-l6 --train-last 2",
    "train": "bert-keras train --data reviews.csv --train-last 2 --out runs/demo",
    "tune": "bert-keras tune --data reviews.csv --blocks 0 1 2 --oracle grid --out tune/demo",
    "evaluate": "bert-keras evaluate --model runs/demo --data more_reviews.csv --report report/",
    "export": "bert-keras export runs/demo --out saved_models/sentiment",
    "predict": 'bert-keras predict --model saved_models/sentiment "Great product."',
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bert-keras",
        description="Fine-tune TF Hub BERT encoders with selective layer freezing.",
        epilog="example: " + EXAMPLES["train"],
    )
    parser.add_argument("--version", action="version", version=f"bert-keras {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_encoder_commands(commands)
    _add_training_commands(commands)
    _add_serving_commands(commands)
    for name, command in commands.choices.items():
        command.epilog = "example:\n  " + EXAMPLES[name]
        command.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser
