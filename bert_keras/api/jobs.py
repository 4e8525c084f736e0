"""The whole jobs the command line runs, from Python: train, tune, export a model trained
with your own `model.fit`, load an export to predict (`bert_keras.api` documents the whole)."""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import tf_keras

from bert_keras.api.building import Encoder
from bert_keras.api.results import ExportResult, SearchResult, TrainResult
from bert_keras.config import (
    DEFAULT_MAX_TRIALS,
    DEFAULT_ORACLE,
    INT8_MAX_F1_DROP,
    SERVING_PRECISION,
    TrainConfig,
)
from bert_keras.data.spec import DataSpec
from bert_keras.serving import export as exports
from bert_keras.training.train import train as _train_job
from bert_keras.tuning.search import run_search


def _data(data: str | Path | DataSpec) -> str | DataSpec:
    """`data` as `TrainConfig.from_settings` takes it: a source's name or path, or a DataSpec."""
    return data if isinstance(data, DataSpec) else str(data)


def train(
    out: str | Path,
    data: str | Path | DataSpec = "amazon_polarity",
    encoder: str = "minilm-l6",
    overwrite: bool = False,
    **settings: Any,
) -> TrainResult:
    """The whole job `bert-keras train` runs: trains (or resumes) into the run directory
    `out`.

    Args:
        out: the run directory.
        data: as `make_datasets` takes it, or a `DataSpec`.
        encoder: as `load_encoder` takes it.
        overwrite: replace a run bert-keras wrote in `out`.
        **settings: any setting of a run by its flag's name (`epochs`, `batch_size`,
            `learning_rate`, `precision`, `limit`, ..., `freeze=FreezeSpec(...)`), or a
            whole part (`optimizer=OptimizerSpec(...)`, `model=ModelSpec(...)`, ...: see
            `TrainConfig`); `verbose` too (Keras' progress: 0 none, 1 a bar, 2 a line per
            epoch).

    Returns:
        A `TrainResult`: the test F1 and AUC of the best weights, the epochs run, and
        `metrics`, all of `out`/metrics.json (loss, accuracy, precision, recall, the
        calibration, throughput, parameter counts). A finished run's, again, without
        training.

    Raises:
        BertKerasError: a setting, the data or the encoder refused, naming the argument
            and the value (`UserInputError`); `out` holds files bert-keras did not write.
        TrainingDiverged: the loss became NaN.

    Example (`encoder_dir`: a converted encoder of two blocks, `reviews`: a folder with
    train.csv and test.csv):

    >>> from bert_keras import FreezeSpec
    >>> result = train(new_dir, reviews, encoder=encoder_dir, freeze=FreezeSpec(train_last=1),
    ...                epochs=1, batch_size=8, max_seq_length=32, verbose=0)
    >>> result.metrics["evaluated_on"], result.metrics["train_examples"], result.best_epoch
    ('test', 176, 1)
    >>> {"chosen_on", "ece_before", "ece_after"} <= set(result.metrics["calibration"])
    True
    """
    verbose = settings.pop("verbose", None)
    config = TrainConfig.from_settings(str(out), data=_data(data), encoder=encoder, **settings)
    return TrainResult.from_metrics(
        config.out, _train_job(config, overwrite=overwrite, verbose=verbose)
    )


def export(
    run_dir: str | Path,
    model_dir: str | Path,
    precision: str = SERVING_PRECISION,
    fresh_check: bool = True,
    quantize: str | None = None,
    int8_max_f1_drop: float = INT8_MAX_F1_DROP,
) -> ExportResult:
    """The whole job `bert-keras export` runs: writes a finished run's best weights as the
    next version of `model_dir` for TF Serving, and the same weights from token ids alone
    under the same number in `model_dir`-token-ids (core TensorFlow ops only: loads
    without TF Text). Both apply the run's calibration; each is loaded back and checked
    against the model in memory before it is published (`serving.export.export`).

    Args:
        run_dir: a finished run directory.
        model_dir: the model directory TF Serving polls; versions are numbered 1, 2, ...
        precision: of the serving graph, whatever the run trained in; `auto`: what fits
            the machine exporting.
        fresh_check: load each version back in a fresh Python process (as a server
            would); False: in this process, seconds quicker, for exports checked again
            elsewhere.
        quantize: `int8`: also an int8 model (LiteRT) under the same number in
            `model_dir`-int8, published only when its F1 on the run's validation split
            is within `int8_max_f1_drop` of float32's; None: none.
        int8_max_f1_drop: the F1 points (0.5: 0.005) the int8 model may lose.

    Returns:
        An `ExportResult`: the new versions, the non-core ops each signature needs, the
        check's figures, and with `quantize` the int8 version and both F1s.

    Raises:
        BertKerasError: `run_dir` is not a finished run, or `model_dir` not a model
            directory (naming the argument).
        SelfCheckFailed: a loaded version disagrees with the model in memory (nothing
            is published).
        BertKerasError: the int8 model loses more F1 than allowed (nothing is published).

    Example (`run_dir`: a finished run; fresh_check=False: checked in this process):

    >>> result = export(run_dir, new_dir + "/sentiment", fresh_check=False)
    >>> result.version, result.token_ids_export.name
    (1, '1')
    >>> result.checked_examples  # the run's 40 test reviews and 5 odd ones, each served
    45
    >>> result.required_ops["from_token_ids"]  # the token-id model: core TensorFlow only
    []
    """
    return ExportResult.from_summary(
        exports.export(run_dir, model_dir, precision, fresh_check, quantize, int8_max_f1_drop)
    )


def export_model(
    model: tf_keras.Model,
    encoder: Encoder,
    model_dir: str | Path,
    labels: Sequence[str] = ("negative", "positive"),
    multi_label: bool = False,
    max_seq_length: int = 128,
    fresh_check: bool = True,
) -> ExportResult:
    """Writes a classifier you trained with your own `model.fit` as the next version of
    `model_dir` for TF Serving: the signatures, token-id twin and checks of `export`,
    serving the head as trained (no calibration: temperature 1, threshold 0.5).

    Args:
        model: from `build_classifier`, trained.
        encoder: the `Encoder` it was built on.
        model_dir: the model directory TF Serving polls (versions 1, 2, ...).
        labels: the names of the head's outputs, in order (`Datasets.labels`).
        multi_label: the head is one sigmoid per label.
        max_seq_length: tokens per text at most, as trained.
        fresh_check: load each version back in a fresh process before publishing it.

    Returns:
        An `ExportResult`: the version's path and number, its token-id twin's, and the
        check's figures.

    Raises:
        BertKerasError: `labels` that do not fit the head, or a `model_dir` that is a file
            or an export version (naming the argument).
        SelfCheckFailed: the SavedModel does not reproduce the model's probabilities.

    Example (`encoder_dir`: a converted encoder, `new_dir`: a new folder):

    >>> from bert_keras import FreezeSpec, build_classifier, load_encoder
    >>> encoder = load_encoder(encoder_dir)
    >>> model = build_classifier(encoder, FreezeSpec(train_last=1))  # then your model.fit
    >>> result = export_model(model, encoder, new_dir + "/mine", max_seq_length=32,
    ...                       fresh_check=False)
    >>> str(result.export) == new_dir + "/mine/1", result.checked_examples  # 5 odd reviews
    (True, 5)
    """
    return ExportResult.from_summary(
        exports.export_model(
            model,
            model_dir,
            encoder.spec,
            encoder.preprocessor,
            labels,
            multi_label,
            max_seq_length,
            fresh_check,
        )
    )


def tune(
    out: str | Path,
    data: str | Path | DataSpec = "amazon_polarity",
    encoder: str = "minilm-l6",
    blocks: Sequence[int] | None = None,
    oracle: str = DEFAULT_ORACLE,
    max_trials: int = DEFAULT_MAX_TRIALS,
    overwrite: bool = False,
    export_best: str | None = None,
    verbose: int | None = None,
    command_of: Callable[[dict], str] | None = None,
    **settings: Any,
) -> SearchResult:
    """The search `bert-keras tune` runs over how many blocks train.

    Args:
        out: the search directory (the same call again resumes it).
        data: as `train` takes it.
        encoder: as `train` takes it.
        blocks: the trainable-block counts to try (default: 0 to the encoder's depth).
        oracle: the Keras Tuner oracle: random, bayesian, grid or hyperband.
        max_trials: how many trials to run.
        overwrite: replace the search bert-keras wrote in `out`.
        export_best: a name: train the best trial on the full split and export it under
            that name in BERT_KERAS_HOME.
        verbose: Keras Tuner's and Keras' progress (0: none).
        command_of: the best trial's settings -> the command that trains them, for
            best.json (the command line gives its own).
        **settings: the search-space switches (`tune_learning_rate`, `tune_dropout`,
            `tune_layer_lr_decay`, `tune_schedule`, `tune_embeddings`), and `TrainConfig`
            fields, the trials' common settings.

    Returns:
        A `SearchResult`: where trials.csv is, and the best trial: its hyperparameters,
        validation F1 and `settings` (as config.json names them) that train it on the full
        split; with `export_best`, its run and export.

    Raises:
        BertKerasError: a setting or the data refused, naming the argument and the value.
        SearchFailed: no trial succeeded (trials.csv says why each failed).

    Example (`encoder_dir`: a converted encoder of two blocks, `reviews`: train.csv and
    test.csv):

    >>> result = tune(new_dir, reviews, encoder=encoder_dir, blocks=[0, 2], oracle="grid",
    ...               limit=80, epochs=1, batch_size=8, verbose=0)
    >>> blocks = result.best.trainable_blocks
    >>> blocks in (0, 2), result.best.settings["freeze"] == {"train_last": blocks}
    (True, True)
    """
    space = {key: settings.pop(key) for key in list(settings) if key.startswith("tune_")}
    base = TrainConfig.from_settings(str(out), data=_data(data), encoder=encoder, **settings)
    summary = run_search(
        base,
        str(out),
        blocks=blocks,
        oracle_name=oracle,
        max_trials=max_trials,
        overwrite=overwrite,
        space_flags=space,
        export_best=export_best,
        verbose=verbose,
        command_of=command_of,
    )
    return SearchResult.from_summary(summary)
