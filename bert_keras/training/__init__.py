"""Training a classifier: the task model, optimizer and schedule, callbacks, checkpoints,
the run directory, `train`, and plots."""
