"""Label sets: their names' order, the head they need, and what is refused."""

import pytest

from bert_keras.config import TrainConfig
from bert_keras.data.labels import LabelSet, check_names, check_seen, resolve_labels
from bert_keras.data.sources import load_splits
from bert_keras.errors import UserInputError


@pytest.mark.parametrize(
    "found, known, names",
    [
        (["pos", "neg"], None, ("neg", "pos")),  # strings sorted
        (["10", "9", "2"], None, ("2", "9", "10")),  # whole numbers in numeric order
        (["-1", "1", "0"], None, ("-1", "0", "1")),
        (["1", "b"], None, ("1", "b")),  # not all numbers: sorted as strings
        (["positive", "negative"], ("negative", "positive"), ("negative", "positive")),
    ],
)
def test_names_follow_the_source_then_numbers_then_strings(found, known, names):
    labels = resolve_labels({name: line for line, name in enumerate(found, 1)}, "f", None, known)
    assert labels.names == names


def test_given_names_fix_the_order_and_must_hold_every_label_found():
    found = {"pos": 1, "neg": 2, "mixed": 7}
    assert resolve_labels(found, "f", ("pos", "neg", "mixed", "none"), None).names == (
        "pos",
        "neg",
        "mixed",
        "none",
    )
    with pytest.raises(UserInputError) as raised:
        resolve_labels(found, "f", ("pos", "neg"), None)
    assert str(raised.value) == (
        "f:7: label 'mixed' is not one of labels=pos,neg (1 label(s) missing from it)"
    )


def test_kinds_and_head_sizes():
    assert (LabelSet(("a", "b")).kind, LabelSet(("a", "b")).units) == ("binary", 1)
    assert (LabelSet(("a", "b", "c")).kind, LabelSet(("a", "b", "c")).units) == ("multi_class", 3)


@pytest.mark.parametrize(
    "given, problem",
    [
        ("a,b,a", "labels=a,b,a: names 'a' more than once"),
        ("a", "labels=a: must be two or more non-empty names"),
        ("a,,b", "labels=a,,b: must be two or more non-empty names"),
    ],
)
def test_bad_label_names_are_refused(given, problem):
    with pytest.raises(UserInputError, match=f"^{problem}$"):
        check_names(given)
    with pytest.raises(UserInputError, match=f"^{problem}$"):
        TrainConfig.from_settings(out="run", labels=given)


def test_label_indices_follow_the_names_order_in_every_split(tmp_path):
    """Written out by hand: with --labels b,c,a, b is 0, c is 1 and a is 2."""
    rows = ["text,label"] + [f"t{i},{'abc'[i % 3]}" for i in range(30)]
    for name in ("train.csv", "test.csv"):
        (tmp_path / name).write_text("\n".join(rows) + "\n")
    config = TrainConfig.from_settings(
        out="run", data=str(tmp_path), labels="b,c,a", validation_split=0.2
    )
    splits = load_splits(config.data)
    assert splits.labels.names == ("b", "c", "a")
    expected = {"a": 2, "b": 0, "c": 1}
    test = [
        (e["content"].decode(), int(e["label"])) for e in splits.test.examples.as_numpy_iterator()
    ]
    assert test == [(f"t{i}", expected["abc"[i % 3]]) for i in range(30)]
    seen = [int(e["label"]) for e in splits.validation.examples.as_numpy_iterator()]
    held_out = [i for i in range(30) if (i + 1) * 2 // 10 > i * 2 // 10]  # every 5th, by hand
    assert seen == [expected["abc"[i % 3]] for i in held_out]


@pytest.mark.parametrize("found, only", [({"positive": 3}, "'positive'"), ({}, "'none'")])
def test_training_records_of_one_label_or_none_are_refused(found, only):
    with pytest.raises(UserInputError) as raised:
        resolve_labels(found, "reviews.csv", None, None)
    assert str(raised.value) == (
        f"reviews.csv: every training record is labelled {only}: "
        "a classifier needs examples of two labels or more"
    )


def test_labels_a_split_holds_that_training_never_saw_are_refused_with_their_lines():
    check_seen({"a": 2, "b": 5}, {"a", "b", "c"}, "test.csv", "test")  # all seen: no refusal
    with pytest.raises(UserInputError) as raised:
        check_seen({"a": 2, "refund": 3, "late": 9}, {"b", "a"}, "test.csv", "test")
    assert str(raised.value) == (
        "test.csv: test label(s) never seen in training: 'refund' (line 3), 'late' (line 9); "
        "training saw a, b"
    )


@pytest.mark.parametrize(
    "rows, problem",
    [
        (
            [f"t{i},positive" for i in range(10)],
            "train.csv: every training record is labelled 'positive': a classifier needs",
        ),
        (
            # the validation split (every 5th record, 0.2) holds the only 'rare'
            [f"t{i},{'rare' if i == 4 else 'ab'[i % 2]}" for i in range(10)],
            "train.csv: validation label(s) never seen in training: 'rare' (line 6)",
        ),
    ],
)
def test_loading_refuses_one_label_and_labels_training_never_saw(tmp_path, rows, problem):
    (tmp_path / "train.csv").write_text("\n".join(["text,label", *rows]) + "\n")
    (tmp_path / "test.csv").write_text("text,label\nx,a\ny,b\n")
    config = TrainConfig.from_settings(out="run", data=str(tmp_path), validation_split=0.2)
    with pytest.raises(UserInputError) as raised:
        load_splits(config.data)
    assert str(raised.value).startswith(str(tmp_path / problem)), str(raised.value)
