"""Where the benchmarks find a local copy of the original CSV release by default, as `make
train` does: data/amazon_review_polarity_csv in the checkout, else in a folder beside it."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout
FOLDER = Path("data") / "amazon_review_polarity_csv"
LOCAL_COPY = next(
    (
        folder
        for folder in [ROOT / FOLDER, *sorted(ROOT.parent.glob(f"*/{FOLDER}"))]
        if (folder / "train.csv").is_file()
    ),
    ROOT / FOLDER,
)
