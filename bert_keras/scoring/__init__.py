"""Scores of predicted probabilities: calibration (temperature, threshold, ECE), and the
metrics of three or more labels and of multi-label heads. numpy only."""
