"""`bert-keras tune`: a Keras Tuner search over how many blocks to train.

keras-tuner 1.4.8 builds on Keras 3 and refuses tf_keras models (keras-tuner
issue 1039), so its Keras `Tuner` is not used. Its framework-neutral pieces are:
an Oracle proposes hyperparameters, and `FreezeDepthTuner.run_trial` trains
through `bert_keras.training.train` and returns the validation F1. The oracle's
state lives in TUNE_DIR/search; each trial trains in TUNE_DIR/trials/<id>, so a
search killed at any moment and run again with the same command keeps every
finished trial and resumes the one that was running.
"""

import dataclasses
import json
from pathlib import Path

from bert_keras.config import (
    DEFAULT_MAX_TRIALS,
    DEFAULT_ORACLE,
    ORACLES,
    TUNED_SCHEDULES,
    RunRecord,
    TrainConfig,
)
from bert_keras.config.run_file import from_flat, from_format_1
from bert_keras.data.sources import load_splits
from bert_keras.encoders.layout import bert_keras_home
from bert_keras.encoders.precision import encoder_for
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.encoders.shared_loads import SharedLoads
from bert_keras.errors import SearchFailed, UserInputError
from bert_keras.files.atomic import write_text_atomic
from bert_keras.files.output_dirs import (
    check_same_settings,
    create_directory,
    discard_directory,
    owned_directory,
)
from bert_keras.freezing.hub_layer import splits
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.freezing.sublayers import encoder_depth, group_sublayers
from bert_keras.frozen_prefix.plan import choose
from bert_keras.frozen_prefix.source import PrefixSource, run_prefix_source
from bert_keras.frozen_prefix.states import forget_all
from bert_keras.notices import say
from bert_keras.placement.resolved import resolve_placement
from bert_keras.serving.export import export
from bert_keras.training.classifier import build_classifier
from bert_keras.training.train import train
from bert_keras.tuning.cluster import CHIEF, WORKER, search_role, wait_for_chief
from bert_keras.tuning.oracles import make_oracle
from bert_keras.tuning.results import best_trial_config, write_results
from bert_keras.tuning.space import SearchSpace, schedule_shape
from bert_keras.tuning.tuner import FreezeDepthTuner

SETTINGS_FILE = "tune_config.json"
# the marker of a search directory bert-keras wrote, the newest first: format 2 keeps what
# the search worked out (its `record`) apart from its settings
SEARCH_FORMATS = ("bert-keras-search/2", "bert-keras-search/1")


def encoder_blocks(base: TrainConfig, record: RunRecord, shared: SharedLoads) -> int:
    """The encoder's depth; one whose blocks cannot be told from its variable names is refused."""
    # the encoder in the trials' precision: the one they load, once (see SharedLoads)
    sublayers = group_sublayers(
        shared.encoder(encoder_for(resolve_encoder(base.encoder), record.precision)).variables
    )
    FreezeSpec(train_last=0).frozen_sublayers(s.name for s in sublayers)  # refuses unmappable names
    return encoder_depth(sublayers)


def read_search(tune_dir: Path) -> tuple[dict, tuple] | None:
    """(settings, (placement, record)) of the search in TUNE_DIR: what a resumed search
    must match, and where it computed; None if TUNE_DIR is absent or empty. A file, or a
    directory bert-keras did not write, is refused."""
    if not owned_directory(tune_dir, SETTINGS_FILE, SEARCH_FORMATS, "out"):
        return None
    settings = json.loads((tune_dir / SETTINGS_FILE).read_text(encoding="utf-8"))
    record = settings.pop("record", None)
    base = {"out": "", **settings["base"]}
    # read as a run's config.json is: settings added since the search began keep their defaults
    if settings.pop("format") == SEARCH_FORMATS[0]:
        base, record = from_flat(base), None if record is None else RunRecord(**record)
    else:
        base, record = from_format_1(base)
    settings["base"] = base.settings()
    settings["space"] = dataclasses.asdict(SearchSpace(**settings["space"]))
    # as the new settings are compared: tuples as lists
    return json.loads(json.dumps(settings)), (base.placement, record)


def _load_inputs(base: TrainConfig, record: RunRecord, blocks, shared: SharedLoads) -> PrefixSource:
    """Loads what every trial will load (the data, a model on the encoder) before TUNE_DIR
    is touched, so that bad input fails here and not as failed trials: the frozen prefix
    of the search's data and encoder."""
    paths = resolve_encoder(base.encoder)
    encoder_path = encoder_for(paths, record.precision)
    loaded = shared.encoder(encoder_path)
    splits = load_splits(base.data)
    build_classifier(
        encoder_path, FreezeSpec(train_last=min(blocks)), loaded=loaded, pooling=base.model.pooling
    )
    preprocessor = load_preprocessor(paths)
    return run_prefix_source(
        base.data,
        base.model.max_seq_length,
        base.cache,
        record.precision,
        encoder_path,
        loaded,
        preprocessor,
        splits,
    )


def _cache_the_trials_prefixes(base: TrainConfig, space: SearchSpace, source: PrefixSource):
    """Computes, once, the frozen prefix's output at every boundary the trials will train
    from (a trial training the last K of `depth` blocks reads boundary depth - K)."""
    # a schedule's epochs read their own
    shapes = TUNED_SCHEDULES if space.tune_schedule else ("fixed",)
    boundaries = sorted(
        {
            space.depth - count
            for k in (space.blocks or range(space.depth + 1))
            for shape in shapes
            for count in schedule_shape(shape, k, base.optimizer.epochs) or (k,)
        }
    )
    plan = choose(
        base.cache.frozen_prefix,
        epochs=None,
        searching=True,
        boundary=boundaries[0],
        splits_apart=splits(source.encoder, sequence=base.model.pooling == "mean"),
        encoder=base.encoder,
    )
    if plan.mode == "cache":
        source.precompute(boundaries)


def _search_settings(
    base: TrainConfig,
    record: RunRecord,
    blocks,
    oracle_name: str,
    max_trials: int,
    space_flags,
    shared: SharedLoads,
) -> tuple:
    """(space, settings): the search space, checked against the encoder, and what TUNE_DIR
    records."""
    if max_trials < 1:
        raise UserInputError(f"max_trials={max_trials}: must be 1 or more")
    if oracle_name not in ORACLES:
        raise UserInputError(f"oracle={oracle_name}: must be one of {', '.join(ORACLES)}")
    depth = encoder_blocks(base, record, shared)
    bad = [k for k in blocks or () if not 0 <= k <= depth]
    if bad:
        raise UserInputError(
            f"blocks={bad[0]}: the encoder has {depth} blocks; choose from 0 to {depth}"
        )
    space = SearchSpace(
        depth=depth, blocks=tuple(blocks) if blocks else None, **(space_flags or {})
    )
    settings = {
        "base": base.settings(),
        "space": dataclasses.asdict(space),
        "oracle": oracle_name,
        "max_trials": max_trials,
    }
    return space, json.loads(json.dumps(settings))  # as JSON reads it back: tuples become lists


def run_search(
    base: TrainConfig,
    tune_dir,
    blocks=None,
    oracle_name=DEFAULT_ORACLE,
    max_trials=DEFAULT_MAX_TRIALS,
    overwrite=False,
    space_flags=None,
    export_best=None,
    verbose: int | None = None,
    command_of=None,
) -> dict:
    """Runs (or resumes) a Keras Tuner search over how many blocks to train.

    Args:
        base: the trials' common settings (each trial sets its own freezing and
            whatever `space_flags` adds).
        tune_dir: the search directory; the same call again resumes it.
        blocks: trainable-block counts to try (default: 0 to the encoder's depth).
        oracle_name: one of config.ORACLES.
        max_trials: how many trials to run.
        overwrite: replace the search bert-keras wrote in `tune_dir`.
        space_flags: `tune_learning_rate`, `tune_dropout`, `tune_layer_lr_decay`, `tune_schedule`,
            `tune_embeddings`.
        export_best: a name: train the best trial on the full split and export it.
            Distributed (see `tuning.cluster`), the chief does, once the search ends.
        verbose: Keras Tuner's and Keras' progress on stdout (0: none), as `train`'s.
        command_of: settings (as `tuning.results.reproducing_settings` gives them) -> the
            command that trains them, for best.json (the command line gives its own).

    Returns:
        Where trials.csv is, the best trial (its hyperparameters, the settings that
        reproduce it, and with `command_of` its command), and with `export_best` its run and export;
        a worker of a distributed search: its name and the trials it ran.

    `bert_keras.tune` is this call, documented with an example.
    """
    tune_dir, role = Path(tune_dir), search_role()
    previous, overwrite = _previous_search(tune_dir, role, overwrite)
    resumed = previous[1] if previous is not None and not overwrite else None
    record, notes = resolve_placement(base.placement, base.encoder, resumed)
    shared = SharedLoads()  # the encoder and preprocessor, loaded once for every trial
    space, settings = _search_settings(
        base, record, blocks, oracle_name, max_trials, space_flags, shared
    )
    source = _load_inputs(base, record, space.blocks or range(space.depth + 1), shared)
    # the trials' label order, which their cached label indices follow
    base = base.replace(labels=source.splits.labels.names)
    source = dataclasses.replace(source, data=base.data)  # the key the trials look up
    _open_search_dir(tune_dir, previous and previous[0], settings, record, overwrite)
    for note in notes:
        say(note)
    oracle = make_oracle(oracle_name, space, max_trials, base.seed, base.optimizer.epochs)
    tuner = FreezeDepthTuner(oracle, base, record, tune_dir, shared, overwrite=False)
    try:
        if role != CHIEF:  # the chief serves the oracle and trains nothing
            _cache_the_trials_prefixes(base, space, source)
        tuner.search(**({} if verbose is None else {"verbose": verbose}))
    finally:
        forget_all()  # the trials' states, kept in this process's memory
    if role == WORKER:  # the chief gathers the results
        return {"worker": tuner.tuner_id, "trials_run": tuner.trials_run}

    best = write_results(tuner, tune_dir, command_of)
    if best is None:
        raise SearchFailed(f"no trial succeeded; see {tune_dir / 'trials.csv'} for the reasons")
    summary = {"trials": str(tune_dir / "trials.csv"), "best": best}
    if export_best:
        summary.update(_train_and_export_best(tuner, tune_dir, export_best, shared))
    return summary


def _previous_search(tune_dir: Path, role: str, overwrite: bool) -> tuple:
    """(the settings of the search in TUNE_DIR or None, whether to replace it). A worker
    joins the search its chief began there, once the chief answers; never replaces it."""
    if role != WORKER:
        return read_search(tune_dir), overwrite
    wait_for_chief()  # once it answers, the chief has written TUNE_DIR
    previous = read_search(tune_dir)
    if previous is None:
        raise UserInputError(
            f"out={tune_dir}: holds no search the chief began; give every process of a "
            f"distributed search the same `out`, one directory they all see"
        )
    return previous, False


def _open_search_dir(
    tune_dir: Path, previous: dict | None, settings: dict, record: RunRecord, overwrite: bool
):
    """Resumes the search in TUNE_DIR (same settings only), or begins one there, its
    settings written with what it worked out (`record`)."""
    if previous is not None and not overwrite:
        check_same_settings(tune_dir, "search", previous, settings)
        return
    if previous is not None:
        discard_directory(tune_dir)
    create_directory(tune_dir, "out")
    values = {"format": SEARCH_FORMATS[0], **settings, "record": dataclasses.asdict(record)}
    write_text_atomic(tune_dir / SETTINGS_FILE, json.dumps(values, indent=2) + "\n")


def _train_and_export_best(tuner, tune_dir: Path, name: str, shared: SharedLoads) -> dict:
    best_config = best_trial_config(tuner, tune_dir / "best_run")
    metrics = train(best_config, shared=shared)  # its precision the trials', named
    return {
        "best_run_metrics": metrics,
        "export": export(best_config.out, bert_keras_home() / name)["export"],
    }
