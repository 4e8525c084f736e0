"""Files with named columns: delimited files with a header (.csv, .tsv, any delimiter) and
JSON lines with any keys; which columns are read, and what is refused."""

import csv
import json

import pytest

from bert_keras.data.columns import Columns
from bert_keras.data.records import read_records
from bert_keras.errors import UserInputError


def write(tmp_path, name, data: bytes | str):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def rows(path, **options) -> list[tuple]:
    return [(r.line, r.label, r.title, r.content) for r in read_records(path, **options).records]


def test_a_csv_with_the_usual_names_is_read_by_its_header_and_says_what_it_chose(tmp_path):
    path = write(tmp_path, "reviews.csv", "id,review,sentiment\n1,Loved it,pos\n2,Meh,neg\n")
    records = read_records(path)
    assert rows(path) == [(2, "pos", "", "Loved it"), (3, "neg", "", "Meh")]
    assert records.note == "text from 'review', labels from 'sentiment'"
    assert records.names is None  # the data's own names: sorted by the label set


def test_tsv_by_extension_and_any_delimiter_when_told(tmp_path):
    tsv = write(tmp_path, "reviews.tsv", "text\tlabel\nGood, really\t1\nBad; sadly\t0\n")
    assert rows(tsv) == [(2, "1", "", "Good, really"), (3, "0", "", "Bad; sadly")]
    semicolons = write(tmp_path, "reviews.txt", "text;label\nGood, really;1\n")
    assert rows(semicolons, columns=Columns(delimiter=";")) == [(2, "1", "", "Good, really")]


def test_quoted_newlines_a_200000_character_field_bom_and_crlf_just_work(tmp_path):
    long = "word " * 40_000  # 200,000 characters
    path = tmp_path / "reviews.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:  # a BOM first
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerows([["text", "label"], ["line one\nline two", "a"], [long, "b"], ["x", "a"]])
    assert rows(path) == [
        (2, "a", "", "line one\nline two"),
        (4, "b", "", long.strip()),  # the quoted newline made record 1 two lines
        (5, "a", "", "x"),
    ]


def test_several_text_columns_are_joined_in_order_as_a_title_and_its_content(tmp_path):
    path = write(
        tmp_path,
        "reviews.csv",
        "subject,body,extra,label\nGreat CD,Lovely voice,Buy it,a\nWow!,So good,,b\n",
    )
    picked = Columns(text=("subject", "body", "extra"), label="label")
    assert rows(path, columns=picked) == [
        (2, "a", "", "Great CD. Lovely voice. Buy it"),
        (3, "b", "", "Wow! So good"),
    ]
    assert read_records(path, columns=picked).note is None  # told, nothing chosen


def test_a_title_column_goes_before_the_text_as_the_releases_title(tmp_path):
    path = write(tmp_path, "reviews.csv", "label,title,content\n0,Broke,after a day\n1,Fine,ok\n")
    assert rows(path, columns=Columns(label="label")) == [
        (2, "0", "Broke", "after a day"),
        (3, "1", "Fine", "ok"),
    ]


def test_json_lines_with_any_keys(tmp_path):
    lines = [
        {"review": "Loved it", "sentiment": "pos", "stars": 5},
        {"review": "Meh", "sentiment": "neg", "stars": 2},
        {"review": "Fine", "sentiment": 3},
    ]
    path = write(tmp_path, "reviews.jsonl", "\n".join(json.dumps(line) for line in lines))
    assert rows(path) == [(1, "pos", "", "Loved it"), (2, "neg", "", "Meh"), (3, "3", "", "Fine")]
    by_stars = rows(path, columns=Columns(label="stars"), on_bad_record="skip")
    assert by_stars == [(1, "5", "", "Loved it"), (2, "2", "", "Meh")]  # the third has none


@pytest.mark.parametrize(
    "header, columns, problem",
    [
        ("id,body,label", Columns(), "no text column chosen (none of the usual names text, "),
        ("text,review,label", Columns(), "no text column chosen (several: text, review of the"),
        ("text,label", Columns(text=("body",)), "no column 'body' (the columns: text, label)"),
        ("text,label", Columns(label="stars"), "no column 'stars' (the columns: text, label)"),
    ],
)
def test_columns_not_found_are_refused_naming_the_columns_the_file_has(
    tmp_path, header, columns, problem
):
    path = write(tmp_path, "reviews.csv", f"{header}\n" + "a,b,c\n" * 2)
    with pytest.raises(UserInputError) as raised:
        read_records(path, columns=columns, on_bad_record="skip")  # no policy skips a header
    assert str(raised.value).startswith(f"{path}: {problem}"), raised.value


@pytest.mark.parametrize(
    "row, problem",
    [
        (b"only one field\n", "expected 2 fields (text, label), found 1"),
        (b"caf\xe9,a\n", "bytes that are not UTF-8"),
        (b'"unterminated,a\n', "malformed row"),
        (b",a\n", "empty text"),
        (b"fine,\n", "empty label"),
    ],
)
def test_a_bad_row_names_its_line_and_is_skipped_only_when_asked(tmp_path, row, problem):
    good = b"good one,a\nbad one,b\n"
    path = write(tmp_path, "reviews.csv", b"text,label\n" + good + row + good)
    with pytest.raises(UserInputError) as raised:
        read_records(path)
    assert str(raised.value).startswith(f"{path}:4: {problem}"), raised.value
    if problem != "malformed row":  # an unterminated quote swallows the rest of the file
        records = read_records(path, on_bad_record="skip")
        assert len(records.records) == 4 and records.skipped[0].startswith(f"{path}:4: {problem}")


def test_multi_label_lists_and_delimited_names(tmp_path):
    jsonl = write(
        tmp_path,
        "tags.jsonl",
        '{"text": "a", "label": ["x", "y", "x"]}\n{"text": "b", "label": "y"}\n'
        '{"text": "c", "label": []}\n',
    )
    told = Columns(multi_label=True, allow_no_label=True)
    assert [r[1] for r in rows(jsonl, columns=told)] == [("x", "y"), ("y",), ()]
    tsv = write(tmp_path, "tags.tsv", "text\tlabel\na\tx; y\nb\t\n")
    semis = Columns(multi_label=True, label_delimiter=";", allow_no_label=True)
    assert [r[1] for r in rows(tsv, columns=semis)] == [("x", "y"), ()]


@pytest.mark.parametrize(
    "columns, problem",
    [
        (Columns(), "a list of labels ['x', 'y']: give `multi_label`"),
        (Columns(multi_label=True), "no label (`allow_no_label` takes such records)"),
    ],
)
def test_multi_label_records_refused_unless_said(tmp_path, columns, problem):
    path = write(
        tmp_path, "tags.jsonl", '{"text": "a", "label": ["x", "y"]}\n{"text": "b", "label": []}\n'
    )
    with pytest.raises(UserInputError) as raised:
        read_records(path, columns=columns)
    assert str(raised.value).startswith(f"{path}:{1 if 'list' in problem else 2}: {problem}")
