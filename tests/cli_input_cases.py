"""Bad input the command line finds in what it reads, one row each, as tests/cli_cases.py
lays them out: the data's columns and labels, encoders, and what evaluate, export and
predict are given."""

from cli_cases import TRAIN

INPUT_CASES = {
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
    "export int8 allowing a negative F1 drop": (
        "export {run} --out {out} --quantize int8 --int8-max-f1-drop -1",
        "--int8-max-f1-drop -1.0: must be a finite number of F1 points, 0 or more",
    ),
    "export int8 allowing an infinite F1 drop": (
        "export {run} --out {out} --quantize int8 --int8-max-f1-drop inf",
        "--int8-max-f1-drop inf: must be a finite number of F1 points",
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
}
