"""The `bert-keras train` command line the tests run most: batches of 8, 32 tokens."""


def train_argv(encoder, data, out, *extra) -> list[str]:
    """`train` of `encoder` on `data` into `out`, batches of 8 and 32 tokens, then `extra`."""
    paths = ["--encoder", str(encoder), "--data", str(data), "--out", str(out)]
    return ["train", *paths, "--batch-size", "8", "--max-seq-length", "32", *extra]
