"""The choices and limits a run's settings are checked against, and the values the
search and the export start from."""

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker", "tpu")
COMPUTE_PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")  # Keras dtype policies
# auto: what fits the hardware (encoders/precision_choice.py)
PRECISIONS = ("auto", *COMPUTE_PRECISIONS)
ORACLES = ("random", "bayesian", "grid", "hyperband")  # the Keras Tuner oracles `tune` takes
DEFAULT_ORACLE, DEFAULT_MAX_TRIALS = "random", 5
TUNED_LEARNING_RATES = (3e-5, 1e-4, 3e-4)  # `tune_learning_rate`
TUNED_DROPOUTS = (0.0, 0.1, 0.2)  # `tune_dropout`
# `tune_layer_lr_decay`: off, then ELECTRA's range
TUNED_LAYER_LR_DECAYS = (1.0, 0.9, 0.8, 0.65)
TUNED_SCHEDULES = ("fixed", "gradual", "head_first")  # `tune_schedule`; see tuning/space.py
PREDICT_BATCH_SIZE = 64  # reviews an export scores at once in `predict` and `evaluate`
SERVING_PRECISION = "float32"  # `export`'s default: the serving hardware is unknown at export time
FROZEN_PREFIX_MODES = ("auto", "cache", "inline")  # `frozen_prefix`; see frozen_prefix/plan.py
JIT_COMPILE_MODES = ("auto", "on", "off")  # XLA for the training step; see placement/resolved.py
AUTO_EPOCHS = "auto"  # `epochs`: while the validation score improves; see training/rounds.py
POOLINGS = ("mean", "cls")  # what the head reads; see training/classifier.py
QUANTIZATIONS = ("int8",)  # `export`'s `quantize`; see serving/quantize.py
INT8_MAX_F1_DROP = 0.5  # F1 points the int8 export may lose on the validation split
