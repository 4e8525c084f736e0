"""training_curves.png: loss and F1 per epoch, training and validation."""

import csv
import os
from pathlib import Path

from bert_keras.files.atomic import staging_file


def save_figure(figure, out_png: Path):
    """Writes a PNG whole (under a temporary name, then renamed) and closes the figure."""
    import matplotlib.pyplot as plt

    staging = staging_file(out_png)
    try:
        figure.savefig(staging, dpi=100, format="png")
        os.replace(staging, out_png)
    finally:
        plt.close(figure)
        staging.unlink(missing_ok=True)


def plot_training_curves(history_csv: Path, out_png: Path):
    import matplotlib

    matplotlib.use("Agg")  # no display on training machines
    import matplotlib.pyplot as plt

    with open(history_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    epochs = [int(row["epoch"]) + 1 for row in rows]
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for axis, metric in zip(axes, ("loss", "f1"), strict=True):
        for prefix, label in (("", "training"), ("val_", "validation")):
            axis.plot(
                epochs, [float(row[prefix + metric]) for row in rows], marker="o", label=label
            )
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.set_xticks(epochs)
        axis.legend()
    figure.tight_layout()
    save_figure(figure, out_png)
