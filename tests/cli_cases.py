"""Every kind of bad input to the command line, one row each: (argv as the shell would
split it, with {names} of tests/test_cli.py's `world`, a part of the one error line
expected). A new flag comes with its rows (test_cli checks every numeric flag has one)."""

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
    # columns and labels
    "text column missing": (
        "train --encoder {encoder} --data {topics} --test-data {topics} --out {out}"
        " --text-column body --label-column topic",
        "topics.csv: no column 'body' (the columns: id, review, topic)",
    ),
    "no usual label column": (
        "train --encoder {encoder} --data {topics} --test-data {topics} --out {out}",
        "topics.csv: no label column chosen (none of the usual names label, labels, sentiment,",
    ),
    "test label never seen in training": (
        "train --encoder {encoder} --data {topics} --test-data {topics_unseen} --out {out}"
        " --label-column topic",
        "topics_unseen.csv: test label(s) never seen in training: 'refund' (line 3); training saw",
    ),
    "validation label never seen in training": (
        "train --encoder {encoder} --data {rare} --test-data {rare} --out {out}"
        " --validation-split 0.5",
        "rare.csv: validation label(s) never seen in training: 'rare' (line 3)",
    ),
    "labels missing one in the data": (
        "train --encoder {encoder} --data {topics} --test-data {topics} --out {out}"
        " --label-column topic --labels praise,complaint",
        "topics.csv:4: label 'price' is not one of --labels praise,complaint",
    ),
    "labels named twice": (
        TRAIN + " --labels a,b,a",
        "--labels a,b,a: names 'a' more than once",
    ),
    "labels only one": (TRAIN + " --labels a", "--labels a: must be two or more non-empty names"),
    "delimiter of two characters": (
        TRAIN + " --delimiter ';;'",
        "--delimiter ;;: must be one character, not a quote or a line end",
    ),
    "target precision with three labels": (
        "train --encoder {encoder} --data {topics} --test-data {topics} --out {out}"
        " --label-column topic --target-precision 0.9",
        "--target-precision: chooses the threshold between two labels; the data has 3",
    ),
    "tfds split that does not exist": (
        "train --encoder {encoder} --data tfds:tiny_topics --tfds-data-dir {root}/tfds_tiny"
        " --test-split nope --out {out}",
        "--test-split nope: not a split of tiny_topics",
    ),
    "tfds split whose labels are hidden": (
        "train --encoder {encoder} --data tfds:tiny_hidden --tfds-data-dir {root}/tfds_tiny"
        " --out {out}",
        "--test-split test: tiny_hidden hides the labels of this split (-1)",
    ),
    "a list of labels without --multi-label": (
        "train --encoder {encoder} --data {tags} --test-data {tags} --out {out}",
        "tags.jsonl:1: a list of labels ['x', 'y']: give --multi-label",
    ),
    "a multi-label record with no label": (
        "train --encoder {encoder} --data {tags} --test-data {tags} --out {out} --multi-label",
        "tags.jsonl:3: no label (--allow-no-label takes such records)",
    ),
    "allow no label without multi-label": (
        TRAIN + " --allow-no-label",
        "--allow-no-label True: needs --multi-label",
    ),
    "label delimiter of spaces": (
        TRAIN + " --multi-label --label-delimiter ' '",
        "--label-delimiter  : must be one or more characters, not only spaces",
    ),
    "multi-label on a TFDS dataset": (
        "train --encoder {encoder} --data tfds:tiny_topics --tfds-data-dir {root}/tfds_tiny"
        " --multi-label --out {out}",
        "--multi-label: --data tfds:tiny_topics gives one label per example",
    ),
    "skipping more than half of a file": (
        "train --encoder {encoder} --data {mostly_bad} --test-data {good} --out {out}"
        " --on-bad-record skip",
        "mostly_bad.csv: 2 of 3 records are bad, more than half",
    ),
    "data file empty": (
        "train --encoder {encoder} --data {empty} --test-data {good} --out {out}",
        "empty.csv: holds no usable record",
    ),
    "data archive not gzip": (
        "train --encoder {encoder} --data {root}/damaged/amazon_review_polarity_csv.tgz"
        " --out {out} --tfds-data-dir {root}/tfds",
        "--data amazon_polarity: could not prepare it",
    ),
    # --encoder
    "encoder folder without a SavedModel": (
        "train --encoder {not_saved_model} --data {data} --out {out} --batch-size 8",
        "unknown encoder",
    ),
    "encoder SavedModel truncated": (
        "train --encoder {truncated} --data {data} --out {out} --batch-size 8",
        "not a readable SavedModel",
    ),
    "encoder without pooled_output": (
        "train --encoder {no_pooled} --data {data} --out {out} --batch-size 8 --freeze-regex word"
        " --pooling cls",
        "its outputs have no pooled_output (found: sequence_output)",
    ),
    "freezing an unmappable encoder": (
        "train --encoder {unmappable} --data {data} --out {out} --batch-size 8 --train-last 0",
        "cannot tell this encoder's blocks from its variable names",
    ),
    "encoder unreachable handle": (
        "train --encoder https://tfhub.dev/google/bert/1 --data {data} --out {out} --batch-size 8",
        "could not fetch this TF Hub/Kaggle handle",
    ),
    # evaluate
    "evaluate a missing run": (
        "evaluate --model {root}/absent",
        "--model {root}/absent: not a run",
    ),
    "evaluate a foreign config": (
        "evaluate --model {foreign_config}",
        "not written by bert-keras",
    ),
    "evaluate weights of another encoder": (
        "evaluate --model {replaced}",
        "does not match the model",
    ),
    "evaluate a run without weights": (
        "evaluate --model {unfinished}",
        "has no trained weights yet",
    ),
    # export
    "export an unfinished run": (
        "export {unfinished} --out {out}",
        "has no trained weights yet",
    ),
    "export into a file": ("export {run} --out {afile}", "--out {afile}: is a file"),
    "export a foreign folder": (
        "export {foreign} --out {out}",
        "holds files that bert-keras did not",
    ),
    # predict
    "predict batch size 0": (
        "predict --model {garbage_export} --batch-size 0 x",
        "--batch-size 0: must be 1 or more",
    ),
    "predict file with bytes not UTF-8": (
        "predict --model {garbage_export} --file {reviews_latin1}",
        "reviews_latin1.txt:2: bytes that are not UTF-8 at column 4",
    ),
    "predict file empty": (
        "predict --model {garbage_export} --file {reviews_empty}",
        "holds no review",
    ),
    "predict an empty review": (
        "predict --model {garbage_export} fine ' '",
        "review 2: empty (or only whitespace): nothing to score",
    ),
    "predict file with a blank line": (
        "predict --model {garbage_export} --file {reviews_blank_line}",
        "--file {reviews_blank_line}:2: empty (or only whitespace)",
    ),
    "predict only empty reviews, skipping": (
        "predict --model {garbage_export} --on-bad-record skip '' ' '",
        "review 1: every review is empty: nothing to score",
    ),
    "predict a run, not an export": (
        "predict --model {run} x",
        "a training run: `bert-keras export` it first",
    ),
    "predict a damaged export": (
        "predict --model {garbage_export} x",
        "not a readable SavedModel",
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
