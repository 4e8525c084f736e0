"""A run's settings: typed parts (`parts`; the data's and the freezing's live in their own
layers), composed into a `TrainConfig` (`train_config`) that flat settings route to; what a
run works out when it starts (`record`); config.json (`run_file`); the choices they are
checked against (`choices`)."""

# ruff: noqa: F401  (the names other layers import from `bert_keras.config`)
from bert_keras.config.choices import (
    AUTO_EPOCHS,
    COMPUTE_PRECISIONS,
    DEFAULT_MAX_TRIALS,
    DEFAULT_ORACLE,
    FROZEN_PREFIX_MODES,
    INT8_MAX_F1_DROP,
    JIT_COMPILE_MODES,
    ORACLES,
    POOLINGS,
    PRECISIONS,
    PREDICT_BATCH_SIZE,
    QUANTIZATIONS,
    SERVING_PRECISION,
    STRATEGIES,
    TUNED_DROPOUTS,
    TUNED_LAYER_LR_DECAYS,
    TUNED_LEARNING_RATES,
    TUNED_SCHEDULES,
)
from bert_keras.config.parts import (
    CacheSpec,
    ModelSpec,
    OptimizerSpec,
    PlacementSpec,
    ThresholdSpec,
)
from bert_keras.config.record import RunRecord
from bert_keras.config.run_file import (
    RUN_FORMAT,
    RUN_FORMATS,
    read_run_file,
    run_file_text,
    write_run_file,
)
from bert_keras.config.train_config import SETTINGS, TrainConfig, data_spec
