"""Training a classifier: the task model, optimizer and schedule, callbacks, checkpoints,
tf.distribute strategies, the run directory, `train`, `evaluate` and plots."""
