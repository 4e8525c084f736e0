"""Every kind of bad input, through the CLI: one line naming the flag, file or line,
exit status 2, nothing on stdout, nothing half-written, nothing of the user's touched.
And the valid but unusual (CRLF, a byte-order mark, a header row) just works."""

import argparse
import hashlib
import json
import shutil

import pytest
from odd_encoders import write_encoder_without_pooled_output, write_unmappable_encoder
from tiny_bert import write_synthetic_reviews, write_tiny_checkpoint

from bert_keras.cli import build_parser, main

GOOD_LINE = b'"2","Great","works well and I love it"\n'


def odd_encoder(write, directory, tiny_encoder_dir):
    """An odd encoder SavedModel beside a real preprocessor, as `convert` lays them out."""
    write(directory / "encoder")
    shutil.copytree(tiny_encoder_dir / "preprocessor", directory / "preprocessor")
    return directory


@pytest.fixture(scope="module")
def world(tiny_encoder_dir, deep_encoder_dir, trained_run, tmp_path_factory):
    """Paths the cases below refer to as {name}."""
    root = tmp_path_factory.mktemp("bad_input")
    data = write_synthetic_reviews(root / "data", n_train=120, n_test=20)
    files = {
        "bad_utf8.csv": GOOD_LINE + b'"1","caf\xe9","latin-1"\n',
        "empty.csv": b"",
        "afile": b"plain file",
        "good.csv": GOOD_LINE * 4,
        "reviews_latin1.txt": b"fine\ncaf\xe9 au lait\n",
        "reviews_empty.txt": b"",
    }
    for name, content in files.items():
        (root / name).write_bytes(content)
    (root / "damaged").mkdir()
    (root / "damaged" / "amazon_review_polarity_csv.tgz").write_bytes(b"not an archive")
    (root / "not_saved_model").mkdir()
    (root / "not_saved_model" / "notes.txt").write_text("mine")
    truncated = root / "truncated_encoder"
    shutil.copytree(tiny_encoder_dir / "encoder", truncated)
    graph = (truncated / "saved_model.pb").read_bytes()
    (truncated / "saved_model.pb").write_bytes(graph[: len(graph) // 2])
    (root / "garbage_export" / "1").mkdir(parents=True)
    (root / "garbage_export" / "1" / "saved_model.pb").write_bytes(b"\x00" * 100)
    foreign, foreign_config = root / "foreign", root / "foreign_config"
    foreign.mkdir(), foreign_config.mkdir()
    (foreign / "notes.txt").write_text("the user's own notes")
    (foreign_config / "config.json").write_text(json.dumps({"learning_rate": 1}))
    (
        root / "bare"
    ).mkdir()  # the tiny encoder's SavedModel without what `convert` records beside it
    (root / "bare" / "encoder").symlink_to(tiny_encoder_dir / "encoder")
    run = shutil.copytree(trained_run, root / "run")  # a finished run of its own
    replaced = root / "run_encoder_replaced"  # the run's encoder is now another one
    shutil.copytree(run, replaced)
    config = json.loads((replaced / "config.json").read_text())
    (replaced / "config.json").write_text(
        json.dumps({**config, "encoder": str(deep_encoder_dir), "out": str(replaced)})
    )
    unfinished = root / "run_unfinished"
    shutil.copytree(run, unfinished)
    (unfinished / "metrics.json").unlink()
    shutil.rmtree(unfinished / "best")
    return {
        "root": root,
        "encoder": tiny_encoder_dir,
        "bare": root / "bare" / "encoder",
        "data": data,
        "run": run,
        "foreign": foreign,
        "foreign_config": foreign_config,
        "replaced": replaced,
        "unfinished": unfinished,
        "truncated": truncated,
        "hf": write_tiny_checkpoint(root / "hf"),
        "no_pooled": odd_encoder(
            write_encoder_without_pooled_output, root / "no_pooled", tiny_encoder_dir
        ),
        "unmappable": odd_encoder(write_unmappable_encoder, root / "unmappable", tiny_encoder_dir),
        **{name.split(".")[0]: root / name for name in files},
        "not_saved_model": root / "not_saved_model",
        "garbage_export": root / "garbage_export",
    }


TRAIN = [
    "train",
    "--encoder",
    "{encoder}",
    "--data",
    "{data}",
    "--out",
    "{out}",
    "--batch-size",
    "8",
]
CASES = {
    # flag bounds, checked before anything loads
    "epochs 0": (TRAIN + ["--epochs", "0"], "--epochs 0: must be a whole number, 1 or more"),
    "epochs not a number": (
        TRAIN + ["--epochs", "two"],
        "argument --epochs: invalid int value: 'two'",
    ),
    "batch size 0": (
        TRAIN[:-2] + ["--batch-size", "0"],
        "--batch-size 0: must be a whole number, 1 or more",
    ),
    "max seq length 7": (
        TRAIN + ["--max-seq-length", "7"],
        "--max-seq-length 7: must be a whole number from 8",
    ),
    "max seq length 513": (TRAIN + ["--max-seq-length", "513"], "--max-seq-length 513"),
    "learning rate nan": (
        TRAIN + ["--learning-rate", "nan"],
        "--learning-rate nan: must be between 0 and 1",
    ),
    "learning rate 1": (
        TRAIN + ["--learning-rate", "1"],
        "--learning-rate 1.0: must be between 0 and 1",
    ),
    "weight decay negative": (
        TRAIN + ["--weight-decay", "-0.1"],
        "--weight-decay -0.1: must be in [0, 1)",
    ),
    "warmup fraction 1": (
        TRAIN + ["--warmup-fraction", "1"],
        "--warmup-fraction 1.0: must be in [0, 1)",
    ),
    "clip norm 0": (
        TRAIN + ["--clip-norm", "0"],
        "--clip-norm 0.0: must be a positive finite number",
    ),
    "clip norm inf": (
        TRAIN + ["--clip-norm", "inf"],
        "--clip-norm inf: must be a positive finite number",
    ),
    "dropout 1": (TRAIN + ["--dropout", "1"], "--dropout 1.0: must be in [0, 1)"),
    "layer lr decay 0": (
        TRAIN + ["--layer-lr-decay", "0"],
        "--layer-lr-decay 0.0: must be in (0, 1]",
    ),
    "layer lr decay above 1": (
        TRAIN + ["--layer-lr-decay", "1.5"],
        "--layer-lr-decay 1.5: must be in (0, 1]",
    ),
    "target precision 0": (
        TRAIN + ["--target-precision", "0"],
        "--target-precision 0.0: must be in (0, 1]",
    ),
    "target recall above 1": (
        TRAIN + ["--target-recall", "1.2"],
        "--target-recall 1.2: must be in (0, 1]",
    ),
    "both targets": (
        TRAIN + ["--target-precision", "0.9", "--target-recall", "0.9"],
        "--target-recall 0.9: chooses the threshold; it cannot go with --target-precision",
    ),
    "unfreeze schedule decreasing": (
        TRAIN + ["--epochs", "2", "--unfreeze-schedule", "2,1"],
        "--unfreeze-schedule 2,1: must be block counts, one per epoch, that never decrease",
    ),
    "unfreeze schedule beyond the depth": (
        TRAIN + ["--epochs", "2", "--unfreeze-schedule", "1,3"],
        "has 2 blocks; counts go from 0 to 2",
    ),
    "unfreeze schedule longer than the run": (
        TRAIN + ["--unfreeze-schedule", "1,2"],
        "--unfreeze-schedule 1,2: 2 epochs' counts for --epochs 1",
    ),
    "unfreeze schedule with freeze first": (
        TRAIN + ["--epochs", "2", "--freeze-first", "1", "--unfreeze-schedule", "1,2"],
        "it cannot go with --freeze-first",
    ),
    "layers: layer lr decay nan": (
        ["layers", "--encoder", "{encoder}", "--layer-lr-decay", "nan"],
        "--layer-lr-decay nan: must be in (0, 1]",
    ),
    "validation split 0": (
        TRAIN + ["--validation-split", "0"],
        "--validation-split 0.0: must be between 0 and 1",
    ),
    "limit 1": (TRAIN + ["--limit", "1"], "--limit 1: must be a whole number, 2 or more"),
    "seed negative": (
        TRAIN + ["--seed", "-1"],
        "--seed -1: must be a whole number from 0 to 2147483647",
    ),
    "seed too large": (
        TRAIN + ["--seed", "2147483648"],
        "--seed 2147483648: must be a whole number from 0",
    ),
    "unknown strategy": (
        TRAIN + ["--strategy", "gpu"],
        "argument --strategy: invalid choice: 'gpu'",
    ),
    "train-embeddings alone": (
        TRAIN + ["--train-embeddings"],
        "--train-embeddings: only means something with",
    ),
    "train-last beyond depth": (
        TRAIN + ["--train-last", "3"],
        "--train-last 3: the encoder has only 2 blocks",
    ),
    # limits only the loaded encoder and data know
    "max seq length beyond positions": (
        TRAIN + ["--max-seq-length", "256"],
        "--max-seq-length 256: the encoder",
    ),
    "batch larger than the data": (
        TRAIN[:-2] + ["--batch-size", "5000"],
        "--batch-size 5000: larger than the",
    ),
    "validation split leaving nothing": (
        TRAIN[:4]
        + ["{good}", "--test-data", "{good}", "--out", "{out}", "--validation-split", "0.01"],
        "leaves an empty split",
    ),
    # --out
    "out is a file": (TRAIN[:6] + ["{afile}"], "--out {afile}: is a file, not a directory"),
    "out holds the user's files": (
        TRAIN[:6] + ["{foreign}"],
        "holds files that bert-keras did not write",
    ),
    "overwrite on the user's files": (
        TRAIN[:6] + ["{foreign}", "--overwrite"],
        "holds files that bert-keras did not write",
    ),
    "out with a foreign config.json": (
        TRAIN[:6] + ["{foreign_config}", "--overwrite"],
        "its config.json was not written by bert-keras",
    ),
    "out under a file": (TRAIN[:6] + ["{afile}/run"], "is a file, not a directory"),
    # --data
    "data missing": (
        ["train", "--encoder", "{encoder}", "--data", "{root}/absent", "--out", "{out}"],
        "no such file or folder",
    ),
    "data with bytes not UTF-8": (
        TRAIN[:4] + ["{bad_utf8}", "--test-data", "{good}", "--out", "{out}"],
        "bad_utf8.csv:2: bytes that are not UTF-8 at column",
    ),
    "data file empty": (
        TRAIN[:4] + ["{empty}", "--test-data", "{good}", "--out", "{out}"],
        "empty.csv: holds no usable record",
    ),
    "data archive not gzip": (
        TRAIN[:4]
        + [
            "{root}/damaged/amazon_review_polarity_csv.tgz",
            "--out",
            "{out}",
            "--tfds-data-dir",
            "{root}/tfds",
        ],
        "--data amazon_polarity: could not prepare it",
    ),
    # --encoder
    "encoder folder without a SavedModel": (
        TRAIN[:2] + ["{not_saved_model}"] + TRAIN[3:],
        "unknown encoder",
    ),
    "encoder SavedModel truncated": (
        TRAIN[:2] + ["{truncated}"] + TRAIN[3:],
        "not a readable SavedModel",
    ),
    "encoder without pooled_output": (
        TRAIN[:2] + ["{no_pooled}"] + TRAIN[3:] + ["--freeze-regex", "word"],
        "its outputs have no pooled_output (found: sequence_output)",
    ),
    "freezing an unmappable encoder": (
        TRAIN[:2] + ["{unmappable}"] + TRAIN[3:] + ["--train-last", "0"],
        "cannot tell this encoder's blocks from its variable names",
    ),
    "encoder unreachable handle": (
        TRAIN[:2] + ["https://tfhub.dev/google/bert/1"] + TRAIN[3:],
        "could not fetch this TF Hub/Kaggle handle",
    ),
    # evaluate
    "evaluate a missing run": (
        ["evaluate", "--model", "{root}/absent"],
        "--model {root}/absent: not a run",
    ),
    "evaluate a foreign config": (
        ["evaluate", "--model", "{foreign_config}"],
        "not written by bert-keras",
    ),
    "evaluate weights of another encoder": (
        ["evaluate", "--model", "{replaced}"],
        "does not match the model",
    ),
    "evaluate a run without weights": (
        ["evaluate", "--model", "{unfinished}"],
        "has no trained weights yet",
    ),
    # export
    "export an unfinished run": (
        ["export", "{unfinished}", "--out", "{out}"],
        "has no trained weights yet",
    ),
    "export into a file": (["export", "{run}", "--out", "{afile}"], "--out {afile}: is a file"),
    "export a foreign folder": (
        ["export", "{foreign}", "--out", "{out}"],
        "holds files that bert-keras did not",
    ),
    # predict
    "predict batch size 0": (
        ["predict", "--model", "{garbage_export}", "--batch-size", "0", "x"],
        "--batch-size 0: must be 1 or more",
    ),
    "predict file with bytes not UTF-8": (
        ["predict", "--model", "{garbage_export}", "--file", "{reviews_latin1}"],
        "reviews_latin1.txt:2: bytes that are not UTF-8 at column 4",
    ),
    "predict file empty": (
        ["predict", "--model", "{garbage_export}", "--file", "{reviews_empty}"],
        "holds no review",
    ),
    "predict a run, not an export": (
        ["predict", "--model", "{run}", "x"],
        "a training run: `bert-keras export` it first",
    ),
    "predict a damaged export": (
        ["predict", "--model", "{garbage_export}", "x"],
        "not a readable SavedModel",
    ),
    # convert, tune
    "convert seq length 0": (
        ["convert", "{hf}", "{out}", "--seq-length", "0"],
        "--seq-length 0: must be",
    ),
    "convert into a file": (["convert", "{hf}", "{afile}"], "OUT_DIR {afile}: is a file"),
    "tune max trials 0": (
        ["tune", *TRAIN[1:], "--max-trials", "0"],
        "--max-trials 0: must be 1 or more",
    ),
    "tune blocks beyond the depth": (
        ["tune", *TRAIN[1:], "--blocks", "0", "5"],
        "--blocks 5: the encoder has 2 blocks; choose from 0 to 2",
    ),
    "layers: train-last negative": (
        ["layers", "--encoder", "{encoder}", "--train-last", "-1"],
        "--train-last -1: must be a whole number of blocks, 0 or more",
    ),
    "layers: freeze-first beyond the depth": (
        ["layers", "--encoder", "{encoder}", "--freeze-first", "5"],
        "--freeze-first 5: the encoder has only 2 blocks (its sub-layers: embeddings,",
    ),
    "tune overwrite on the user's files": (
        ["tune", *TRAIN[1:6], "{foreign}", "--overwrite"],
        "holds files that bert-keras did not write",
    ),
    "TF_CONFIG not JSON": (TRAIN + ["--strategy", "multi_worker"], "TF_CONFIG: not valid JSON"),
    # --precision
    "precision unknown": (
        TRAIN + ["--precision", "float16"],
        "argument --precision: invalid choice",
    ),
    "mixed float16 on an encoder not converted": (
        TRAIN[:2] + ["{bare}"] + TRAIN[3:] + ["--precision", "mixed_float16"],
        "was not converted by bert-keras",
    ),
    "export precision unknown": (
        ["export", "{run}", "--out", "{out}", "--precision", "half"],
        "argument --precision: invalid choice",
    ),
    # the frozen-prefix cache
    "frozen prefix unknown": (
        TRAIN + ["--frozen-prefix", "always"],
        "argument --frozen-prefix: invalid choice",
    ),
    "cache memory negative": (
        TRAIN + ["--cache-memory-gb", "-1"],
        "--cache-memory-gb -1.0: must be a finite number of GiB, 0 or more",
    ),
    "cache memory infinite": (
        TRAIN + ["--cache-memory-gb", "inf"],
        "--cache-memory-gb inf: must be a finite",
    ),
    "cache dir is a file": (
        TRAIN + ["--train-last", "1", "--frozen-prefix", "cache", "--cache-dir", "{afile}"],
        "--cache-dir {afile}: is a file, not a directory",
    ),
    "cache dir under a file": (
        TRAIN + ["--train-last", "1", "--frozen-prefix", "cache", "--cache-dir", "{afile}/cache"],
        "--cache-dir {afile}/cache: is under a file ({afile})",
    ),
}


def tree_digest(directory):
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_exit_2_and_touches_nothing(
    case, world, tmp_path, capsys, monkeypatch
):
    template, expected = CASES[case]
    paths = {**{k: str(v) for k, v in world.items()}, "out": str(tmp_path / "out")}
    argv = [part.format(**paths) for part in template]
    monkeypatch.setenv("TF_CONFIG", "{not json" if case == "TF_CONFIG not JSON" else "")
    before = {
        name: tree_digest(world["root"] / name) for name in ("foreign", "foreign_config", "run")
    }
    status = main(argv)
    captured = capsys.readouterr()
    assert status == 2, captured.err
    errors = [line for line in captured.err.splitlines() if line.startswith("bert-keras: error: ")]
    # One line; only TFDS's own progress messages, on stderr too, may come before it.
    assert len(errors) == 1 and captured.err.splitlines()[-1] == errors[0], captured.err
    assert "Traceback" not in captured.err and expected.format(**paths) in errors[0], captured.err
    assert captured.out == ""
    assert not (tmp_path / "out").exists(), "nothing half-written"
    assert {name: tree_digest(world["root"] / name) for name in before} == before, (
        "the user's files untouched"
    )
    assert (world["root"] / "afile").read_bytes() == b"plain file"


def test_every_flag_that_takes_a_number_has_a_row():
    """A new numeric flag comes with its bad-input row. tune's training flags are train's,
    validated by the same TrainConfig, so train's rows stand for them."""
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for command, subparser in commands.choices.items():
        for action in subparser._actions:
            flag = (action.option_strings or [None])[0]
            if action.type not in (int, float) or flag is None:
                continue
            rows = [argv for argv, _ in CASES.values() if flag in argv]
            if not any(
                argv[0] in (command, "train" if command == "tune" else command) for argv in rows
            ):
                missing.append(f"{command} {flag}")
    assert missing == []
