"""The commands: each turns parsed flags into the package's objects, calls the
library, and prints its result (JSON on stdout; progress on stderr)."""

import contextlib
import json
import sys
import time

from bert_keras.cli.wording import as_flags, command_line
from bert_keras.config import (
    SETTINGS,
    TUNED_DROPOUTS,
    TUNED_LAYER_LR_DECAYS,
    TUNED_LEARNING_RATES,
    TUNED_SCHEDULES,
    TrainConfig,
)
from bert_keras.errors import UserInputError
from bert_keras.freezing.spec import FreezeSpec

DEFAULTS = TrainConfig(out="")
FREEZE_FLAGS = ("train_last", "freeze_first", "freeze_regex", "train_regex", "train_embeddings")
SEARCH_FLAGS = {
    # the values come from tuning.space
    "--tune-learning-rate": f"also search {', '.join(map(str, TUNED_LEARNING_RATES))}",
    "--tune-dropout": f"also search head dropout {', '.join(map(str, TUNED_DROPOUTS))}",
    "--tune-layer-lr-decay": "also search --layer-lr-decay "
    + ", ".join(map(str, TUNED_LAYER_LR_DECAYS)),
    "--tune-schedule": f"also search the unfreeze schedule's shape: {', '.join(TUNED_SCHEDULES)}",
    "--tune-embeddings": "also search whether embeddings train",
}


def _progress_on_stderr():
    """Keras and Keras Tuner print progress on stdout; ours carries only the result."""
    return contextlib.redirect_stdout(sys.stderr)


def _print_json(result):
    print(json.dumps(result, indent=2))


# -- from flags to the package's objects ------------------------------------------------


def freeze_spec_from_args(args) -> FreezeSpec:
    """The freeze flags as given; with none at all, the default configuration's."""
    if all(getattr(args, flag) is None for flag in FREEZE_FLAGS[:4]) and not args.train_embeddings:
        return DEFAULTS.freeze
    return FreezeSpec(**{flag: getattr(args, flag) for flag in FREEZE_FLAGS})


def train_settings_from_args(args) -> dict:
    """The flags given, as the keyword arguments of `bert_keras.train` (every setting of a
    run; `out`, `data` and `encoder` included)."""
    values = {
        name: getattr(args, name)
        for name in SETTINGS
        if name not in ("freeze", "out") and getattr(args, name, None) is not None
    }
    return {"out": args.out, "freeze": freeze_spec_from_args(args), **values}


# -- the commands ----------------------------------------------------------------------


def cmd_convert(args):
    from bert_keras.encoders.convert import convert

    start, out = time.perf_counter(), convert(args.hf_dir, args.out_dir, seq_length=args.seq_length)
    print(f"wrote {out}/encoder and {out}/preprocessor in {time.perf_counter() - start:.1f}s")


def cmd_encoders(args):
    from bert_keras.encoders.builtin import describe_builtins

    print("\n".join(describe_builtins()))


def cmd_check(args):
    from bert_keras.encoders.check import check_encoder

    _print_json(check_encoder(args.encoder, args.sentences))


def cmd_layers(args):
    # every flag is validated as train validates it, before anything loads
    schedule = args.unfreeze_schedule
    config = TrainConfig.from_settings(
        "",
        freeze=freeze_spec_from_args(args),
        layer_lr_decay=args.layer_lr_decay,
        unfreeze_schedule=schedule,
        pooling=args.pooling,
        epochs=len(schedule.split(",")) if schedule else 1,
    )
    from bert_keras.encoders.resolve import resolve_encoder
    from bert_keras.training.layers_table import layers_report

    print(as_flags(layers_report(resolve_encoder(args.encoder).encoder, config), args.options))


def cmd_train(args):
    settings = train_settings_from_args(args)
    TrainConfig.from_settings(**settings)  # a bad value refused here, before TensorFlow loads
    import bert_keras.api as bk  # TensorFlow loads only for the commands that use it

    with _progress_on_stderr():
        result = bk.train(overwrite=args.overwrite, **settings)
    _print_json(result.to_dict())


def cmd_tune(args):
    settings = train_settings_from_args(args)
    TrainConfig.from_settings(**settings)  # a bad value refused here, before TensorFlow loads
    import bert_keras.api as bk

    space_flags = {
        flag[2:].replace("-", "_"): getattr(args, flag[2:].replace("-", "_"))
        for flag in SEARCH_FLAGS
    }
    with _progress_on_stderr():
        result = bk.tune(
            blocks=args.blocks,
            oracle=args.oracle,
            max_trials=args.max_trials,
            overwrite=args.overwrite,
            export_best=args.export_best,
            command_of=lambda settings: command_line("train", settings, args.options),
            **space_flags,
            **settings,
        )
    _print_json(result.to_dict())


def cmd_evaluate(args):
    import bert_keras.api as bk
    from bert_keras.evaluation.evaluate import DATA_FLAGS

    with _progress_on_stderr():
        result = bk.evaluate(
            args.model, report=args.report, **{flag: getattr(args, flag) for flag in DATA_FLAGS}
        )
    _print_json(result)


def cmd_export(args):
    import bert_keras.api as bk

    with _progress_on_stderr():
        result = bk.export(
            args.run_dir,
            args.model_dir,
            args.precision,
            quantize=args.quantize,
            int8_max_f1_drop=args.int8_max_f1_drop,
        )
    for signature, ops in result.required_ops.items():
        print(
            f"{signature}: needs {', '.join(ops) if ops else 'core TensorFlow ops only'}",
            file=sys.stderr,
        )
    _print_json(result.to_dict())


def cmd_predict(args):
    if not args.reviews and args.file is None:
        raise UserInputError(
            "predict: give reviews as arguments or --file FILE (one review a line)"
        )
    import bert_keras.api as bk

    rows = bk.predict(
        args.model_dir, args.reviews, args.file, args.batch_size, on_bad_record=args.on_bad_record
    )
    for row in rows:
        line = json.dumps(row, ensure_ascii=False)
        # U+2028/2029 are valid in JSON strings but end lines for many readers: escaped, one
        # review stays one line.
        print(line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# -- the parser ------------------------------------------------------------------------
