"""What a run loads before it touches RUN_DIR, in the order bad input fails: the
strategy, the encoder's name, the data (quick to refuse), the encoder, the models, and the
frozen-prefix cache; and the batches each epoch reads from them."""

import dataclasses
import functools
import time

import tensorflow as tf
import tf_keras

from bert_keras.config import OptimizerSpec, RunRecord, ThresholdSpec, TrainConfig
from bert_keras.data.pipeline import evaluation_dataset, training_stream
from bert_keras.data.sources import Splits, load_splits
from bert_keras.encoders.precision import encoder_for
from bert_keras.encoders.resolve import load_preprocessor, load_saved_model, resolve_encoder
from bert_keras.encoders.shared_loads import SharedLoads
from bert_keras.errors import SelfCheckFailed, UserInputError
from bert_keras.freezing import hub_layer
from bert_keras.freezing.hub_layer import frozen_prefix_of
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.freezing.sublayers import encoder_depth, group_sublayers, position_table_length
from bert_keras.frozen_prefix.pipeline import cached_evaluation_dataset, cached_training_stream
from bert_keras.frozen_prefix.plan import Plan, cached, choose
from bert_keras.frozen_prefix.source import PrefixSource, RunCache, run_prefix_source
from bert_keras.notices import say
from bert_keras.placement.resolved import resolve_placement
from bert_keras.placement.strategy import cluster_size, input_shard, make_strategy
from bert_keras.training.classifier import ENCODER_LAYER
from bert_keras.training.compiled import build_compiled_classifier
from bert_keras.training.rounds import Rounds, plan_rounds, schedule_steps


def _steps_per_epoch(strategy, train_size: int, batch_size: int) -> tuple[int, int]:
    """(global steps per epoch, per-replica batch), equal on every worker."""
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise UserInputError(
            f"batch_size={batch_size}: must be a multiple of the {replicas} replicas"
        )
    workers = max(1, cluster_size())
    per_replica = batch_size // replicas
    steps = (train_size // workers) // per_replica // (replicas // workers)
    if steps < 1:
        raise UserInputError(
            f"batch_size={batch_size}: larger than the {train_size} training examples"
        )
    return steps, per_replica


@dataclasses.dataclass
class Job:
    """Everything a run needs, loaded before RUN_DIR is touched."""

    config: TrainConfig
    record: RunRecord  # what the run computes with
    strategy: tf.distribute.Strategy
    preprocessor: object
    splits: Splits
    rounds: Rounds  # the training's rounds: global steps each, how many, when to stop
    per_replica: int  # batch per replica
    shard: tuple[int, int]  # (this worker's input pipeline, how many)
    eval_model: tf_keras.Model  # from token ids: evaluates the test split; what export serves
    model: tf_keras.Model  # what fit trains: eval_model, or its twin on the frozen-prefix cache
    cache: RunCache  # the states the current stretch of epochs trains on (inline: none)
    caches: dict = dataclasses.field(default_factory=dict)  # an unfreeze schedule's, by boundary

    def enter(self, freeze: FreezeSpec | None):
        """Trains as `freeze` says from the next epoch on (an unfreeze schedule's next
        stretch; None: no schedule, the freezing stays): the same encoder, the cache of
        the new boundary, and the variables training will use made now."""
        if freeze is not None:
            for model in {id(m): m for m in (self.eval_model, self.model)}.values():
                model.get_layer(ENCODER_LAYER).refreeze(freeze)
                model.train_function = model.test_function = model.predict_function = (
                    None  # traced anew
                )
            self.cache = self.caches.get(
                self.model.get_layer(ENCODER_LAYER).frozen_prefix, self.cache
            )
        # its slots made before fit traces a step, so it traces once
        optimizer = self.model.optimizer
        with self.model.distribute_strategy.scope():
            getattr(optimizer, "inner_optimizer", optimizer).build(self.model.trainable_weights)

    def training_batches(
        self, context: tf.distribute.InputContext, first_epoch: int, end_epoch: int
    ) -> tf.data.Dataset:
        """The batches of rounds (Keras' epochs) `first_epoch` to `end_epoch` - 1: the
        passes over the data they fall in, from the round's first step on."""
        config = self.config
        if (context.input_pipeline_id, context.num_input_pipelines) != self.shard:
            raise SelfCheckFailed(
                f"tf.distribute feeds input pipeline {context.input_pipeline_id} of "
                f"{context.num_input_pipelines}, the cache was built for {self.shard}"
            )
        size = self.splits.train.size // self.shard[1]
        per_pipeline = context.num_replicas_in_sync // context.num_input_pipelines
        epoch_batches = self.rounds.steps_per_epoch * per_pipeline
        start, end = (r * self.rounds.steps * per_pipeline for r in (first_epoch, end_epoch))
        common = dict(
            batch_size=self.per_replica,
            max_seq_length=config.model.max_seq_length,
            seed=config.seed,
            first_epoch=start // epoch_batches,
            epochs=-(-end // epoch_batches),
            batches_per_epoch=epoch_batches,
        )
        if self.cache.train is not None:
            stream = cached_training_stream(self.cache.train, size, **common)
        else:
            examples = self.splits.train.examples.shard(self.shard[1], self.shard[0])
            stream = training_stream(
                examples, size, self.preprocessor, text_fields=config.data.text_fields, **common
            )
        return stream.skip(start % epoch_batches).take(end - start)  # whole passes: all of them

    def validation_batches(self) -> tf.data.Dataset:
        config = self.config
        if self.cache.validation is not None:
            return cached_evaluation_dataset(
                self.cache.validation, config.optimizer.batch_size, config.model.max_seq_length
            )
        return evaluation_dataset(
            self.splits.validation,
            self.preprocessor,
            config.optimizer.batch_size,
            config.model.max_seq_length,
            config.data.text_fields,
        )


def load_job(
    config: TrainConfig,
    record: RunRecord | None = None,
    searching: bool = False,
    recorded: Plan | None = None,
    shared: SharedLoads | None = None,
) -> Job:
    """Encoder, data, models and cache, in the order bad input can fail them.

    Args:
        config: the run's settings.
        record: what the run computes with; None: worked out here, as for a new run
            (`placement.resolved`).
        searching: a trial of a search (`train`'s).
        recorded: the frozen-prefix plan a resumed run started with.
        shared: a search's encoder and preprocessor, loaded once for all its trials.
    """
    strategy = make_strategy(config.placement.strategy)
    if record is None:
        record, _ = resolve_placement(config.placement, config.encoder)
    paths = resolve_encoder(config.encoder)  # a name or path checked: the loading comes later
    config, splits = _read_data(config)  # bad data refused before seconds of loading the encoder
    encoder_path = encoder_for(paths, record.precision)
    preprocessor = load_preprocessor(paths)
    rounds, per_replica, schedule = _rounds(strategy, splits.train.size, config.optimizer)
    tf_keras.utils.set_random_seed(config.seed)
    first = config.replace(freeze=config.phases()[0][2] or config.freeze)  # epoch 0's freezing
    build = functools.partial(
        build_compiled_classifier, first, record, encoder_path, schedule[1], schedule[0]
    )
    with strategy.scope():
        # one set of encoder variables for both models
        loaded = (
            shared.encoder(encoder_path) if shared else load_saved_model(encoder_path, "encoder")
        )
        _check_schedule(config, loaded)
        eval_model = build(loaded=loaded)
    _check_positions(config, eval_model.get_layer(ENCODER_LAYER))
    plan = recorded or _plan(config, rounds.passes, searching, eval_model, loaded)
    source = run_prefix_source(
        config.data,
        config.model.max_seq_length,
        config.cache,
        record.precision,
        encoder_path,
        loaded,
        preprocessor,
        splits,
    )
    resumed_run = config.out if recorded is not None else None
    shard, cache, caches = _run_caches(config, plan, source, resumed_run)
    model = eval_model
    if cache.plan.mode == "cache":
        with strategy.scope():
            model = build(from_cache=True, loaded=loaded)
    return Job(
        config=config,
        record=record,
        strategy=strategy,
        preprocessor=preprocessor,
        splits=splits,
        rounds=rounds,
        per_replica=per_replica,
        shard=shard,
        eval_model=eval_model,
        model=model,
        cache=cache,
        caches=caches,
    )


def _rounds(strategy, train_size: int, optimizer: OptimizerSpec) -> tuple:
    """(the training's rounds, the batch per replica, the rate's (warm-up, decay to 0 at))."""
    steps, per_replica = _steps_per_epoch(strategy, train_size, optimizer.batch_size)
    rounds = plan_rounds(optimizer.epochs, steps)
    return rounds, per_replica, schedule_steps(rounds, optimizer.warmup_fraction)


def _plan(config: TrainConfig, passes: int, searching: bool, eval_model, loaded) -> Plan:
    """Whether the run caches its frozen prefix (`frozen_prefix.plan.choose`), and where."""
    return choose(
        config.cache.frozen_prefix,
        epochs=passes,
        searching=searching,
        boundary=eval_model.get_layer(ENCODER_LAYER).frozen_prefix,
        splits_apart=hub_layer.splits(loaded, sequence=config.model.pooling == "mean"),
        encoder=config.encoder,
    )


def _read_data(config: TrainConfig) -> tuple[TrainConfig, Splits]:
    """The run's splits, and its config with their label names (recorded in config.json);
    what reading skipped or noticed is said."""
    splits = load_splits(config.data)
    config = config.replace(labels=splits.labels.names)
    _check_threshold_targets(config.threshold, splits.labels)
    for problem in splits.skipped:
        say(f"skipped {problem}")
    for note in splits.notes:
        say(note)
    return config, splits


def _check_threshold_targets(threshold: ThresholdSpec, labels):
    target = "target_precision" if threshold.target_precision is not None else "target_recall"
    if labels.kind != "binary" and getattr(threshold, target) is not None:
        raise UserInputError(
            f"`{target}`: chooses the threshold between two labels; the data has "
            f"{len(labels.names)} ({', '.join(labels.names)})"
        )


def _check_positions(config: TrainConfig, encoder):
    positions = position_table_length(encoder.weights)
    if positions is not None and positions < config.model.max_seq_length:
        raise UserInputError(
            f"max_seq_length={config.model.max_seq_length}: the encoder {config.encoder} "
            f"has position embeddings for {positions} tokens only"
        )


def _run_caches(config: TrainConfig, plan: Plan, source: PrefixSource, resumed_run: str | None):
    """(shard, the cache of the run's first stretch, a schedule's caches by boundary), the
    build's seconds recorded in each (a schedule's one pass over all its boundaries
    included: whichever stretch the run ends in reports the build)."""
    shard, start = input_shard(), time.perf_counter()
    caches = _schedule_caches(config, plan, source, shard, resumed_run)
    cache = caches.get(plan.boundary) or source.run_cache(plan, shard, resumed_run)
    if cache.plan.mode == "cache":
        seconds = round(time.perf_counter() - start, 2)
        for each in (cache, *caches.values()):
            each.info["seconds"] = seconds
    return shard, cache, caches


def _check_schedule(config: TrainConfig, loaded):
    depth = encoder_depth(group_sublayers(loaded.variables))
    schedule = config.optimizer.unfreeze_schedule
    if schedule and max(schedule) > depth:
        raise UserInputError(
            f"unfreeze_schedule={','.join(map(str, schedule))}: the encoder "
            f"{config.encoder} has {depth} blocks; counts go from 0 to {depth}"
        )


def _schedule_caches(
    config: TrainConfig, plan: Plan, source: PrefixSource, shard, resumed_run: str | None
) -> dict:
    """{boundary: RunCache} of every stretch of an unfreeze schedule, computed in one pass
    (an epoch training the last K blocks reads the states entering them); {} otherwise."""
    if config.optimizer.unfreeze_schedule is None or plan.mode != "cache":
        return {}
    loaded = source.encoder
    boundaries = sorted(
        {
            frozen_prefix_of(
                loaded, freeze.frozen_variables(loaded.variables), config.model.pooling == "mean"
            )
            for _, _, freeze in config.phases()
        }
    )
    source.precompute(boundaries, purpose="for every epoch of the schedule")
    return {b: source.run_cache(cached(b), shard, resumed_run) for b in boundaries}
