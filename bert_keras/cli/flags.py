"""The flags shared by several commands: the data a run reads, the freeze flags, and
every training setting (`config.TrainConfig`'s fields, with help naming each default)."""

from bert_keras.cli.commands import DEFAULTS
from bert_keras.config import (
    FROZEN_PREFIX_MODES,
    JIT_COMPILE_MODES,
    PRECISIONS,
    STRATEGIES,
)
from bert_keras.data.spec import BAD_RECORD_POLICIES, TEXT_FIELDS

D = DEFAULTS.flat()  # every setting's default, by its flat name


def add_freeze_flags(parser):
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


def add_data_flags(parser):
    parser.add_argument(
        "--data",
        help=f"{D['data']} (TFDS, the default), its .tgz, tfds:NAME[/CONFIG] (any TFDS "
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
        help=f"title and content joined, or content only (default {D['text_fields']})",
    )
    parser.add_argument(
        "--on-bad-record",
        choices=BAD_RECORD_POLICIES,
        help=f"stop at a bad record, or skip and count it (default {D['on_bad_record']})",
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


def whole_or_word(text: str) -> int | str:
    """A flag's value as the whole number it writes, else as written (`auto`; anything
    else the config refuses, naming the setting)."""
    return int(text) if text.strip().isdigit() else text


def numeric_flags(d: dict) -> list[tuple[str, type, str]]:
    """(flag, type, help) of every setting that takes one number or string; `d`: the
    settings' defaults, by their flat names."""
    return [
        ("--train-split", str, f"TFDS split, e.g. 'train[:10000]' (default {d['train_split']})"),
        ("--test-split", str, f"TFDS split of the final evaluation (default {d['test_split']})"),
        ("--limit", int, "use only the first N training records"),
        ("--validation-split", float, f"held out of training (default {d['validation_split']})"),
        ("--max-seq-length", int, f"tokens per example (default {d['max_seq_length']})"),
        (
            "--epochs",
            whole_or_word,
            f"N, or auto: while validation improves (default {d['epochs']})",
        ),
        ("--batch-size", int, f"global batch (default {d['batch_size']})"),
        ("--learning-rate", float, f"peak AdamW rate (default {d['learning_rate']})"),
        ("--weight-decay", float, f"decoupled weight decay (default {d['weight_decay']})"),
        ("--warmup-fraction", float, f"of all steps (default {d['warmup_fraction']})"),
        ("--clip-norm", float, f"global gradient norm (default {d['clip_norm']})"),
        ("--layer-lr-decay", float, "block i at lr x D^(depth - i), embeddings lowest (default 1)"),
        (
            "--unfreeze-schedule",
            str,
            "epoch e trains the last K_e blocks, e.g. 1,2,4 (default: fixed)",
        ),
        ("--dropout", float, f"before the head (default {d['dropout']})"),
        (
            "--pooling",
            str,
            f"the head reads: mean of the token outputs, or cls (default {d['pooling']})",
        ),
        ("--seed", int, f"data order, head, dropout masks (default {d['seed']})"),
        (
            "--target-precision",
            float,
            "threshold: the most recall at this validation precision (default: F1-best)",
        ),
        ("--target-recall", float, "threshold: the most precision at this validation recall"),
    ]


def add_training_flags(parser):
    """Every TrainConfig setting as a flag; unset flags take the config's defaults."""
    parser.add_argument(
        "--encoder", help=f"built-in name, directory or TF Hub handle (default {D['encoder']})"
    )
    add_data_flags(parser)
    add_label_flags(parser)
    for flag, kind, text in numeric_flags(D):
        parser.add_argument(flag, type=kind, help=text)
    add_placement_flags(parser)
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run or search bert-keras wrote there (never anyone else's files)",
    )
    add_freeze_flags(parser)


def add_label_flags(parser):
    """The flags that say how labels are read: one or several per example, their names."""
    parser.add_argument(
        "--multi-label",
        action="store_true",
        default=None,
        help="any number of labels per example, one sigmoid each (a JSON list, or names "
        "split on --label-delimiter)",
    )
    parser.add_argument(
        "--label-delimiter",
        help=f"between a delimited file's labels (default {D['label_delimiter']})",
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


def add_placement_flags(parser):
    """The flags that say where and how a run computes: strategy, precision, XLA, cache."""
    d = D
    parser.add_argument(
        "--strategy", choices=STRATEGIES, help=f"tf.distribute strategy (default {d['strategy']})"
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        help=f"default {d['precision']}: mixed_bfloat16 on CPUs with AMX or AVX512-BF16, TPUs and "
        "GPUs of compute capability 8+, mixed_float16 on 7.x GPUs, float32 elsewhere",
    )
    parser.add_argument(
        "--jit-compile",
        choices=JIT_COMPILE_MODES,
        help="compile the training step with XLA; default "
        f"{d['jit_compile']}: on for TPUs and GPUs, off on CPU",
    )
    parser.add_argument(
        "--frozen-prefix",
        choices=FROZEN_PREFIX_MODES,
        help=f"compute the frozen blocks' output once and train on it (cache), or at every step "
        f"(inline); default {d['frozen_prefix']}: cache for 2+ epochs and searches",
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
