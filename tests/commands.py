"""The `bert-keras train` command line the tests run most: one epoch, batches of 8, 32 tokens."""


def train_argv(encoder, data, out, *extra) -> list[str]:
    """`train` of `encoder` on `data` into `out`, one epoch of batches of 8 and 32 tokens,
    then `extra` (which may name other epochs)."""
    paths = ["--encoder", str(encoder), "--data", str(data), "--out", str(out)]
    sizes = ["--epochs", "1", "--batch-size", "8", "--max-seq-length", "32"]
    return ["train", *paths, *sizes, *extra]
