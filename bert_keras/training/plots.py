"""The figures a run, a report and a search save as PNG, and their saving.

Each figure is built by a function that returns it (`training_curves_figure` here), so
that what it draws can be read back from its axes; `save_figure` writes it whole.
"""

import csv
import os
from pathlib import Path

from bert_keras.files.atomic import staging_file

DPI = 100  # a figure of W x H inches is a PNG of 100 W x 100 H pixels


def pyplot():
    """matplotlib.pyplot on the Agg backend: training machines have no display."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, out_png: Path):
    """Writes a PNG whole (under a temporary name, then renamed) and closes the figure."""
    staging = staging_file(out_png)
    try:
        figure.savefig(staging, dpi=DPI, format="png")
        os.replace(staging, out_png)
    finally:
        pyplot().close(figure)
        staging.unlink(missing_ok=True)


def training_curves_figure(rows: list[dict]):
    """Loss and F1 per epoch, training and validation: two axes, two lines each.
    rows: history.csv's rows (`epoch` from 0, `loss`, `val_loss`, `f1`, `val_f1`)."""
    epochs = [int(row["epoch"]) + 1 for row in rows]
    figure, axes = pyplot().subplots(1, 2, figsize=(10, 4))
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
    return figure


def plot_training_curves(history_csv: Path, out_png: Path):
    """training_curves.png of a run's history.csv."""
    with open(history_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    save_figure(training_curves_figure(rows), out_png)
