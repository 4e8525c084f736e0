"""Reviews whose topics are told by cue words of the tiny vocabulary: data the multi-class
and multi-label tests write, separable by construction; macro-F1 written out; and the run
and export each of them trains."""

from pathlib import Path

from bert_keras.cli import main
from bert_keras.serving.export import export

# Each label's cue words (the tiny vocabulary's), among neutral ones: separable by construction.
CUES = {
    "praise": "great good love works well".split(),
    "complaint": "bad terrible hate broke waste".split(),
    "price": "money buy quality never not".split(),
}


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    """Written out here, apart from the package: the mean over labels of 2PR / (P + R)."""
    scores = []
    for name in sorted(set(truth)):
        tp = sum(t == p == name for t, p in zip(truth, predicted, strict=True))
        precision = tp / max(predicted.count(name), 1)
        recall = tp / truth.count(name)
        scores.append(2 * precision * recall / (precision + recall) if tp else 0.0)
    return sum(scores) / len(scores)


def train_and_export(directory: Path, encoder, data: str, flags: str):
    """Trains `directory/train.<data>` (tested on `test.<data>`) with `flags` into
    `directory/run`, and exports it to `directory/model` (checked in this process)."""
    argv = (
        f"train --encoder {encoder} --data {directory / ('train.' + data)} "
        f"--test-data {directory / ('test.' + data)} --out {directory / 'run'} {flags} "
        "--batch-size 8 --max-seq-length 32 --learning-rate 5e-3 --precision float32"
    )
    assert main(argv.split()) == 0
    export(directory / "run", directory / "model", fresh_check=False)
