"""Every kind of bad input to the command line, one row each: (argv as the shell would
split it, with {names} of tests/test_cli.py's `world`, a part of the one error line
expected). A new flag comes with its rows (test_cli checks every numeric flag has one).
Here the flags' own values, and folders; the data's columns and labels, encoders and the
other commands' inputs are in tests/cli_input_cases.py."""

TRAIN = "train --encoder {encoder} --data {data} --out {out} --batch-size 8"
CASES = {
    # flag bounds, checked before anything loads
    "epochs 0": (TRAIN + " --epochs 0", "--epochs 0: must be a whole number, 1 or more, or auto"),
    "epochs not a number": (
        TRAIN + " --epochs many",
        "--epochs many: must be a whole number, 1 or more, or auto",
    ),
    "epochs negative": (TRAIN + " --epochs -3", "--epochs -3: must be a whole number, 1 or more"),
    "pooling unknown": (TRAIN + " --pooling max", "--pooling max: must be one of mean, cls"),
    "batch size 0": (
        "train --encoder {encoder} --data {data} --out {out} --batch-size 0",
        "--batch-size 0: must be a whole number, 1 or more",
    ),
    "max seq length 7": (
        TRAIN + " --max-seq-length 7",
        "--max-seq-length 7: must be a whole number from 8",
    ),
    "max seq length 513": (TRAIN + " --max-seq-length 513", "--max-seq-length 513"),
    "learning rate nan": (
        TRAIN + " --learning-rate nan",
        "--learning-rate nan: must be between 0 and 1",
    ),
    "learning rate 1": (
        TRAIN + " --learning-rate 1",
        "--learning-rate 1.0: must be between 0 and 1",
    ),
    "weight decay negative": (
        TRAIN + " --weight-decay -0.1",
        "--weight-decay -0.1: must be in [0, 1)",
    ),
    "warmup fraction 1": (
        TRAIN + " --warmup-fraction 1",
        "--warmup-fraction 1.0: must be in [0, 1)",
    ),
    "clip norm 0": (TRAIN + " --clip-norm 0", "--clip-norm 0.0: must be a positive finite number"),
    "clip norm inf": (
        TRAIN + " --clip-norm inf",
        "--clip-norm inf: must be a positive finite number",
    ),
    "dropout 1": (TRAIN + " --dropout 1", "--dropout 1.0: must be in [0, 1)"),
    "layer lr decay 0": (TRAIN + " --layer-lr-decay 0", "--layer-lr-decay 0.0: must be in (0, 1]"),
    "layer lr decay above 1": (
        TRAIN + " --layer-lr-decay 1.5",
        "--layer-lr-decay 1.5: must be in (0, 1]",
    ),
    "target precision 0": (
        TRAIN + " --target-precision 0",
        "--target-precision 0.0: must be in (0, 1]",
    ),
    "target recall above 1": (
        TRAIN + " --target-recall 1.2",
        "--target-recall 1.2: must be in (0, 1]",
    ),
    "both targets": (
        TRAIN + " --target-precision 0.9 --target-recall 0.9",
        "--target-recall 0.9: chooses the threshold; it cannot go with --target-precision",
    ),
    "unfreeze schedule decreasing": (
        TRAIN + " --epochs 2 --unfreeze-schedule 2,1",
        "--unfreeze-schedule 2,1: must be block counts, one per epoch, that never decrease",
    ),
    "unfreeze schedule beyond the depth": (
        TRAIN + " --epochs 2 --unfreeze-schedule 1,3",
        "has 2 blocks; counts go from 0 to 2",
    ),
    "unfreeze schedule longer than the run": (
        TRAIN + " --epochs 1 --unfreeze-schedule 1,2",
        "--unfreeze-schedule 1,2: 2 epochs' counts for --epochs 1",
    ),
    "unfreeze schedule with freeze first": (
        TRAIN + " --epochs 2 --freeze-first 1 --unfreeze-schedule 1,2",
        "it cannot go with --freeze-first",
    ),
    "layers: layer lr decay nan": (
        "layers --encoder {encoder} --layer-lr-decay nan",
        "--layer-lr-decay nan: must be in (0, 1]",
    ),
    "validation split 0": (
        TRAIN + " --validation-split 0",
        "--validation-split 0.0: must be between 0 and 1",
    ),
    "limit 1": (TRAIN + " --limit 1", "--limit 1: must be a whole number, 2 or more"),
    "seed negative": (
        TRAIN + " --seed -1",
        "--seed -1: must be a whole number from 0 to 2147483647",
    ),
    "seed too large": (
        TRAIN + " --seed 2147483648",
        "--seed 2147483648: must be a whole number from 0",
    ),
    "unknown strategy": (TRAIN + " --strategy gpu", "argument --strategy: invalid choice: 'gpu'"),
    "train-embeddings alone": (
        TRAIN + " --train-embeddings",
        "--train-embeddings: only means something with",
    ),
    "train-last beyond depth": (
        TRAIN + " --train-last 3",
        "--train-last 3: the encoder has only 2 blocks",
    ),
    # limits only the loaded encoder and data know
    "max seq length beyond positions": (
        TRAIN + " --max-seq-length 256",
        "--max-seq-length 256: the encoder",
    ),
    "batch larger than the data": (
        "train --encoder {encoder} --data {data} --out {out} --batch-size 5000",
        "--batch-size 5000: larger than the",
    ),
    "validation split leaving nothing": (
        "train --encoder {encoder} --data {good} --test-data {good} --out {out}"
        " --validation-split 0.01",
        "leaves an empty split",
    ),
    # --out
    "out is a file": (
        "train --encoder {encoder} --data {data} --out {afile}",
        "--out {afile}: is a file, not a directory",
    ),
    "out holds the user's files": (
        "train --encoder {encoder} --data {data} --out {foreign}",
        "holds files that bert-keras did not write",
    ),
    "overwrite on the user's files": (
        "train --encoder {encoder} --data {data} --out {foreign} --overwrite",
        "holds files that bert-keras did not write",
    ),
    "out with a foreign config.json": (
        "train --encoder {encoder} --data {data} --out {foreign_config} --overwrite",
        "its config.json was not written by bert-keras",
    ),
    "out under a file": (
        "train --encoder {encoder} --data {data} --out {afile}/run",
        "is a file, not a directory",
    ),
    # --data
    "data missing": (
        "train --encoder {encoder} --data {root}/absent --out {out}",
        "no such file or folder",
    ),
    "data with bytes not UTF-8": (
        "train --encoder {encoder} --data {bad_utf8} --test-data {good} --out {out}",
        "bad_utf8.csv:2: bytes that are not UTF-8 at column",
    ),
    "data labelled 0/1 in the release's layout, skipping": (
        "train --encoder {encoder} --data {zero_one} --test-data {good} --out {out}"
        " --on-bad-record skip",
        "zero_one.csv:2: label '0' looks like 0/1 labels",
    ),
    "training data of one label": (
        "train --encoder {encoder} --data {positives} --test-data {good} --out {out}",
        "positives.csv: every training record is labelled 'positive': a classifier needs",
    ),
    "training data of one label within the limit": (
        "train --encoder {encoder} --data {good} --test-data {good} --out {out} --limit 2"
        " --validation-split 0.5",
        "good.csv (the first 2 records, --limit): every training record is labelled",
    ),
    # convert, tune
    "convert seq length 0": ("convert {hf} {out} --seq-length 0", "--seq-length 0: must be"),
    "convert into a file": ("convert {hf} {afile}", "OUT_DIR {afile}: is a file"),
    "tune max trials 0": (
        "tune --encoder {encoder} --data {data} --out {out} --batch-size 8 --max-trials 0",
        "--max-trials 0: must be 1 or more",
    ),
    "tune blocks beyond the depth": (
        "tune --encoder {encoder} --data {data} --out {out} --batch-size 8 --blocks 0 5",
        "--blocks 5: the encoder has 2 blocks; choose from 0 to 2",
    ),
    "layers: train-last negative": (
        "layers --encoder {encoder} --train-last -1",
        "--train-last -1: must be a whole number of blocks, 0 or more",
    ),
    "layers: freeze-first beyond the depth": (
        "layers --encoder {encoder} --freeze-first 5",
        "--freeze-first 5: the encoder has only 2 blocks (its sub-layers: embeddings,",
    ),
    "tune overwrite on the user's files": (
        "tune --encoder {encoder} --data {data} --out {foreign} --overwrite",
        "holds files that bert-keras did not write",
    ),
    "TF_CONFIG not JSON": (TRAIN + " --strategy multi_worker", "TF_CONFIG: not valid JSON"),
    # --precision
    "precision unknown": (TRAIN + " --precision float16", "argument --precision: invalid choice"),
    "mixed float16 on an encoder not converted": (
        "train --encoder {bare} --data {data} --out {out} --batch-size 8 --precision mixed_float16",
        "was not converted by bert-keras",
    ),
    "export precision unknown": (
        "export {run} --out {out} --precision half",
        "argument --precision: invalid choice",
    ),
    # the frozen-prefix cache
    "frozen prefix unknown": (
        TRAIN + " --frozen-prefix always",
        "argument --frozen-prefix: invalid choice",
    ),
    "cache memory negative": (
        TRAIN + " --cache-memory-gb -1",
        "--cache-memory-gb -1.0: must be a finite number of GiB, 0 or more",
    ),
    "cache memory infinite": (
        TRAIN + " --cache-memory-gb inf",
        "--cache-memory-gb inf: must be a finite",
    ),
    "cache dir is a file": (
        TRAIN + " --train-last 1 --frozen-prefix cache --cache-dir {afile}",
        "--cache-dir {afile}: is a file, not a directory",
    ),
    "cache dir under a file": (
        TRAIN + " --train-last 1 --frozen-prefix cache --cache-dir {afile}/cache",
        "--cache-dir {afile}/cache: is under a file ({afile})",
    ),
}
