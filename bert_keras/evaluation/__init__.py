"""What a trained model's probabilities mean: calibration, threshold, scores and reports."""
