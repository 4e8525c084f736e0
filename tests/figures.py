"""What a saved figure shows, read back: its PNG against the figure rendered again here,
and the numbers its axes hold (the tests compare those with values computed apart)."""

import io

import numpy as np
from matplotlib.image import imread

from bert_keras.training.plots import DPI, pyplot


def assert_saved_as(png, figure, changed: float = 0.0):
    """The PNG at `png` is `figure` rendered again here: pixel for pixel, or (a figure of
    numbers computed here in other batches) but for a `changed` fraction of its pixels."""
    buffer = io.BytesIO()
    figure.savefig(buffer, dpi=DPI, format="png")
    pyplot().close(figure)
    buffer.seek(0)
    saved, drawn = imread(png), imread(buffer, format="png")
    assert saved.shape == drawn.shape
    differ = np.any(saved != drawn, axis=-1).mean()
    assert differ <= changed, f"{differ:.2%} of the pixels differ"


def lines_of(axis) -> dict:
    """{a line's label: its y values} of one axis."""
    return {line.get_label(): np.asarray(line.get_ydata(), float) for line in axis.lines}


def cell_counts(axis) -> np.ndarray:
    """The matrix a confusion figure draws, and the count written in each of its cells."""
    (image,) = axis.images
    drawn = np.asarray(image.get_array())
    written = np.array([int(text.get_text()) for text in axis.texts]).reshape(drawn.shape)
    np.testing.assert_array_equal(written, drawn)
    return drawn
