"""Local review files: the three formats, and every kind of bad record."""

import json

import pytest

from bert_keras.cli import main
from bert_keras.data.columns import Columns
from bert_keras.data.records import read_records
from bert_keras.errors import UserInputError

GOOD = (
    '"2","Great CD","My lovely Pat has one of the GREAT voices"\n'
    '"1","Broke","It broke after a day.\\nNever again"\n'
)


def write(tmp_path, name, data: bytes | str):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def test_original_csv_labels_are_named_and_newline_escapes_are_spaces(tmp_path):
    """The release's README: 1 is negative, 2 positive."""
    records = read_records(write(tmp_path, "train.csv", GOOD)).records
    assert [(r.line, r.label, r.title) for r in records] == [
        (1, "positive", "Great CD"),
        (2, "negative", "Broke"),
    ]
    assert records[1].content == "It broke after a day. Never again"


def test_fasttext_and_json_lines(tmp_path):
    fasttext = write(
        tmp_path, "reviews.txt", "__label__2 Great CD: lovely voice\n__label__1 no title here\n"
    )
    assert [(r.label, r.title, r.content) for r in read_records(fasttext).records] == [
        ("positive", "Great CD", "lovely voice"),
        ("negative", "", "no title here"),
    ]
    jsonl = write(
        tmp_path,
        "reviews.jsonl",
        json.dumps({"text": "works well", "label": 1})
        + "\n\n"
        + json.dumps({"text": "poor", "label": 0}),
    )
    assert [(r.line, r.label, r.content) for r in read_records(jsonl).records] == [
        (1, "1", "works well"),
        (3, "0", "poor"),
    ]


BAD_RECORDS = [
    ("train.csv", '"2","only two fields"\n', "expected 3 fields (label, title, content), found 2"),
    ("train.csv", '"3","title","text"\n', "unknown label '3' (expected 1 or 2)"),
    ("train.csv", '"1","",""\n', "empty text"),
    ("train.csv", b'"1","caf\xe9","latin-1 bytes"\n', "bytes that are not UTF-8"),
    ("train.csv", '"1","unterminated,"text\n', "malformed CSV"),
    ("reviews.txt", "__label__5 title: text\n", "unknown label __label__5"),
    ("reviews.jsonl", '{"text": "fine", "label": 1.5}\n', "label 1.5: must be a string or a"),
    ("reviews.jsonl", '{"text": "fine"}\n', "no value for 'label'"),
    ("reviews.jsonl", '{"text": "", "label": 1}\n', "empty text"),
    ("reviews.jsonl", "{not json}\n", "not valid JSON"),
]


# A good record of each format, around the bad one.
GOOD_OF = {
    "train.csv": GOOD,
    "reviews.txt": "__label__2 ok: fine\n",
    "reviews.jsonl": '{"text": "ok", "label": 1}\n',
}


@pytest.mark.parametrize("name, bad_line, problem", BAD_RECORDS)
def test_bad_record_stops_with_file_and_line(tmp_path, name, bad_line, problem):
    good, bad = GOOD_OF[name], bad_line if isinstance(bad_line, bytes) else bad_line.encode()
    path = write(tmp_path, name, good.encode() + bad + good.encode())
    bad_line_number = good.count("\n") + 1
    with pytest.raises(UserInputError) as raised:
        read_records(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:{bad_line_number}: ") and problem in message
    assert "\n" not in message


@pytest.mark.parametrize("name, bad_line, problem", BAD_RECORDS)
def test_skip_policy_skips_counts_and_reports(tmp_path, name, bad_line, problem):
    good, bad = GOOD_OF[name], bad_line if isinstance(bad_line, bytes) else bad_line.encode()
    records = read_records(
        write(tmp_path, name, good.encode() + bad + good.encode()), on_bad_record="skip"
    )
    assert len(records.records) == 2 * good.count("\n")
    assert len(records.skipped) == 1 and problem in records.skipped[0]


@pytest.mark.parametrize(
    "name, lines, where",
    [
        ("train.csv", '"1","Fine","good"\n"0","Broke","bad"\n', "train.csv:2: label '0'"),
        (
            "reviews.txt",
            "__label__0 Broke: bad\n__label__1 Fine: good\n",
            "reviews.txt:1: label __label__0",
        ),
    ],
)
def test_zero_one_labels_in_the_releases_layout_are_refused_whatever_the_policy(
    tmp_path, name, lines, where
):
    """Read as the release, a 0/1 file's 1s would be negatives and its 0s skipped: one class,
    flipped. No policy reads it."""
    path = write(tmp_path, name, lines.encode())
    for policy in ("error", "skip"):
        with pytest.raises(UserInputError) as raised:
            read_records(path, on_bad_record=policy)
        message = str(raised.value)
        assert message.startswith(str(tmp_path / where)) and "looks like 0/1 labels" in message


def test_skipping_more_than_half_of_a_files_records_is_refused_half_is_not(tmp_path):
    bad = ['"3","a","b"\n', '"2","only two"\n']
    half = write(tmp_path, "half.csv", (GOOD + "".join(bad)).encode())  # 2 good, 2 bad
    assert len(read_records(half, on_bad_record="skip").skipped) == 2
    most = write(tmp_path, "most.csv", (GOOD.splitlines(keepends=True)[0] + "".join(bad)).encode())
    with pytest.raises(UserInputError) as raised:
        read_records(most, on_bad_record="skip")
    assert str(raised.value) == (
        f"{most}: 2 of 3 records are bad, more than half: is it in a format bert-keras reads? "
        "First: 2: unknown label '3' (expected 1 or 2); 3: expected 3 fields (label, title, "
        "content), found 2"
    )


def test_content_only_text_must_not_be_empty(tmp_path):
    path = write(tmp_path, "train.csv", '"1","a title",""\n')
    assert read_records(path).records[0].title == "a title"
    with pytest.raises(UserInputError, match="empty text"):
        read_records(path, text_fields="content")


def test_limit_reads_only_the_first_records(tmp_path):
    assert len(read_records(write(tmp_path, "train.csv", GOOD * 5), limit=3).records) == 3


@pytest.mark.parametrize(
    "argv_data, extra, message",
    [
        ("missing_folder", [], "no such file or folder"),
        ("empty.csv", ["--test-data", "single.csv"], "empty.csv: holds no usable record"),
        ("single.csv", ["--test-data", "absent.csv"], "absent.csv: no such file"),
        ("folder_without_train", [], "must hold train.csv and test.csv"),
        ("single.csv", [], "needs --test-data"),
    ],
)
def test_unreadable_or_missing_data_is_one_line_exit_2(
    tmp_path, capsys, tiny_encoder_dir, argv_data, extra, message
):
    write(tmp_path, "empty.csv", "\n\n")
    write(tmp_path, "single.csv", GOOD)
    (tmp_path / "folder_without_train").mkdir()
    out = tmp_path / "run"
    extra = [str(tmp_path / arg) if arg.endswith(".csv") else arg for arg in extra]
    status = main(
        [
            "train",
            "--encoder",
            str(tiny_encoder_dir),
            "--data",
            str(tmp_path / argv_data),
            "--out",
            str(out),
            *extra,
        ]
    )
    err = capsys.readouterr().err.strip()
    assert status == 2 and err.count("\n") == 0 and message in err, err
    assert not out.exists()  # not even config.json: a failed start leaves no run behind


def test_bad_record_in_training_data_stops_before_training(tmp_path, capsys, tiny_encoder_dir):
    data = tmp_path / "data"
    data.mkdir()
    write(data, "train.csv", GOOD * 10 + '"9","x","y"\n')
    write(data, "test.csv", GOOD)
    status = main(
        [
            "train",
            "--encoder",
            str(tiny_encoder_dir),
            "--data",
            str(data),
            "--out",
            str(tmp_path / "run"),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert status == 2 and f"{data / 'train.csv'}:21: unknown label '9'" in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "name, data",
    [
        (
            "train.csv",
            b'\xef\xbb\xbflabel,title,content\r\n"2","Great CD","lovely"\r\n\r\n'
            b'"1","Broke","after a day"\r\n',
        ),
        (
            "train.csv",
            b'"polarity","title","text"\n"2","Great CD","lovely"\n"1","Broke","after a day"',
        ),
        (
            "reviews.txt",
            b"\xef\xbb\xbf__label__2 Great CD: lovely\r\n__label__1 Broke: after a day\r\n",
        ),
        (
            "reviews.jsonl",
            b'\xef\xbb\xbf{"title": "Great CD", "text": "lovely", "label": 1}\r\n'
            b'{"title": "Broke", "text": "after a day", "label": 0}\r\n',
        ),
    ],
)
def test_byte_order_mark_crlf_and_a_header_row_just_work(tmp_path, name, data):
    records = read_records(write(tmp_path, name, data)).records
    good, bad = ("1", "0") if name.endswith(".jsonl") else ("positive", "negative")
    assert [(r.label, r.title, r.content) for r in records] == [
        (good, "Great CD", "lovely"),
        (bad, "Broke", "after a day"),
    ]


def test_a_header_without_a_usual_label_name_asks_for_the_label_column(tmp_path):
    path = write(tmp_path, "train.csv", 'stars,title,content\n"2","Great","lovely"\n')
    with pytest.raises(UserInputError) as raised:
        read_records(path)
    assert str(raised.value) == (
        f"{path}: no label column chosen (none of the usual names label, labels, sentiment, "
        "class); name it with `label_column` (the columns: stars, title, content)"
    )
    records = read_records(path, columns=Columns(label="stars")).records
    assert [(r.label, r.title, r.content) for r in records] == [("2", "Great", "lovely")]
