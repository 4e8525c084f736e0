"""training_curves.png: loss and F1 per epoch, training and validation."""
import csv
from pathlib import Path


def plot_training_curves(history_csv: Path, out_png: Path):
    import matplotlib
    matplotlib.use("Agg")  # no display on training machines
    import matplotlib.pyplot as plt
    with open(history_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    epochs = [int(row["epoch"]) + 1 for row in rows]
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for axis, metric in zip(axes, ("loss", "f1")):
        for prefix, label in (("", "training"), ("val_", "validation")):
            axis.plot(epochs, [float(row[prefix + metric]) for row in rows], marker="o", label=label)
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.set_xticks(epochs)
        axis.legend()
    figure.tight_layout()
    figure.savefig(out_png, dpi=100)
    plt.close(figure)
