"""Review records from local files: the original CSV, fastText lines, or JSON lines.

Every record becomes (label 0/1, title, content). A bad record (wrong number of
fields, unknown label, empty text, bytes that are not UTF-8) either stops the
run with one line naming the file and line, or, with on_bad_record="skip", is
skipped and counted: never dropped silently. No policy skips what says the file is
misread: labels 0 in the original release's layout (its 1s would be read as negatives),
or more than half of a file's records bad. A UTF-8 byte-order mark, CRLF line
ends and a CSV header row (`label,title,content`) are read as a user means them.
"""

import codecs
import csv
import dataclasses
import json
import re
from pathlib import Path
from typing import Callable

from bert_keras.errors import UserInputError

_FASTTEXT = re.compile(r"__label__(\S*)\s?(.*)", re.DOTALL)
CSV_LABELS = {"1": 0, "2": 1}  # the original release: 1 = negative, 2 = positive
# A first CSV line naming its label column so is a header row, not a record.
HEADER_LABEL_NAMES = {"label", "labels", "polarity", "class", "sentiment", "target", "rating"}


@dataclasses.dataclass(frozen=True)
class Record:
    line: int
    label: int  # 0 negative, 1 positive
    title: str
    content: str


@dataclasses.dataclass
class Records:
    path: str
    records: list = dataclasses.field(default_factory=list)
    skipped: list = dataclasses.field(default_factory=list)  # "file:line: problem" strings


class BadRecord(ValueError):
    """What is wrong with one record; the reader adds the file and line. `refused`: no
    policy skips it (the file as a whole is likely misread)."""

    def __init__(self, message: str, refused: bool = False):
        super().__init__(message)
        self.refused = refused


# Skipping more than this share of a file's records is refused: almost always the wrong
# format (or labels), never data to train on.
MAX_SKIPPED_SHARE = 0.5


def _original_label(label: str, shown: str) -> int:
    """The original release's label 1/2 as 0/1. A 0 is no bad record to skip: it says the
    file is labelled 0/1, and reading its 1s as the release's negatives would flip them."""
    if label == "0":
        raise BadRecord(
            f"label {shown} looks like 0/1 labels, not the original release's 1 (negative) "
            'and 2 (positive); write such data as JSON lines, {"text": ..., "label": 0 or 1}',
            refused=True,
        )
    if label not in CSV_LABELS:
        raise BadRecord(f"unknown label {shown} (expected 1 or 2)")
    return CSV_LABELS[label]


def _unescape(text: str) -> str:
    # The original release writes a newline inside a review as the two characters \n.
    return text.replace("\\n", " ").strip()


def parse_csv_line(line: str) -> tuple[int, str, str]:
    try:
        fields = next(csv.reader([line], strict=True))
    except csv.Error as error:
        raise BadRecord(f"malformed CSV ({error})") from None
    if len(fields) != 3:
        raise BadRecord(f"expected 3 fields (label, title, content), found {len(fields)}")
    label, title, content = fields
    return _original_label(label, repr(label)), _unescape(title), _unescape(content)


def parse_fasttext_line(line: str) -> tuple[int, str, str]:
    match = _FASTTEXT.fullmatch(line.strip())
    if not match:
        raise BadRecord("expected '__label__N title: text'")
    label, text = match.groups()
    label = _original_label(label, f"__label__{label}")
    title, separator, content = text.partition(": ")
    return (
        (label, _unescape(title), _unescape(content)) if separator else (label, "", _unescape(text))
    )


def parse_json_line(line: str) -> tuple[int, str, str]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise BadRecord(f"not valid JSON ({error.msg})") from None
    if not isinstance(record, dict) or "label" not in record:
        raise BadRecord("expected an object with 'text' (or 'title'/'content') and 'label'")
    label = record["label"]
    if isinstance(label, bool) or label not in (0, 1):
        raise BadRecord(f"unknown label {label!r} (expected 0 or 1)")
    title = record.get("title") or ""
    content = record.get("text", record.get("content")) or ""
    if not isinstance(title, str) or not isinstance(content, str):
        raise BadRecord("'text', 'title' and 'content' must be strings")
    return int(label), title.strip(), content.strip()


def is_csv_header(line: str) -> bool:
    fields = next(csv.reader([line]), [])
    return len(fields) == 3 and fields[0].strip().lower() in HEADER_LABEL_NAMES


@dataclasses.dataclass(frozen=True)
class RecordFormat:
    """A file format of reviews: how to tell it, and how to read one line of it."""

    name: str
    # (the file's path, its first line) -> is it this format?
    matches: Callable[[Path, bytes], bool]
    # one line -> (label 0/1, title, content), or BadRecord
    parse: Callable[[str], tuple[int, str, str]]
    # a first line that names columns, not a record
    is_header: Callable[[str], bool] = lambda line: False


# The first format that matches a file reads it; a new format is one entry here and its parser.
RECORD_FORMATS = (
    RecordFormat("jsonl", lambda path, first: path.suffix in (".jsonl", ".json"), parse_json_line),
    RecordFormat(
        "fasttext", lambda path, first: first.startswith(b"__label__"), parse_fasttext_line
    ),
    # the original release
    RecordFormat("csv", lambda path, first: True, parse_csv_line, is_csv_header),
)


def record_format(path: Path, first_line: bytes) -> RecordFormat:
    return next(f for f in RECORD_FORMATS if f.matches(path, first_line))


def parsed_lines(lines, path: Path, text_fields: str | None = None):
    """Yields (line number, (label, title, content) or the BadRecord) for each line of a
    file holding a record; blank lines and a CSV header row hold none. With
    `text_fields`, a record with nothing to read in those fields is bad too."""
    form = None
    for number, raw in enumerate(lines, start=1):
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if not raw.strip():
            continue
        try:
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as error:
                raise BadRecord(f"bytes that are not UTF-8 at column {error.start + 1}") from None
            if form is None:
                form = record_format(path, raw)
                if form.is_header(line):
                    continue
            label, title, content = form.parse(line)
            if text_fields and not (content if text_fields == "content" else title or content):
                raise BadRecord("empty text")
        except BadRecord as problem:
            yield number, problem
            continue
        yield number, (label, title, content)


def read_records(path, text_fields="title_content", on_bad_record="error", limit=None) -> Records:
    """Reads up to `limit` good records from one file (format told by its name and first line)."""
    path = Path(path)
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise UserInputError(f"{path}: no such file") from None
    except (IsADirectoryError, PermissionError) as error:
        raise UserInputError(f"{path}: cannot be read ({error.strerror})") from None
    result = Records(str(path))
    with handle:
        for number, record in parsed_lines(handle, path, text_fields):
            if limit is not None and len(result.records) >= limit:
                break
            if isinstance(record, BadRecord):
                where = f"{path}:{number}: {record}"
                if record.refused:
                    raise UserInputError(where)
                if on_bad_record == "error":
                    raise UserInputError(f"{where} (use --on-bad-record skip to skip such records)")
                result.skipped.append(where)
                continue
            result.records.append(Record(number, *record))
    _check_skipped_share(result)
    return result


def _check_skipped_share(result: Records):
    """No usable record, or more than half of them skipped: refused, naming the first
    reasons (a file in another format or with other labels, not data to train on)."""
    total = len(result.records) + len(result.skipped)
    if not result.records:
        raise UserInputError(f"{result.path}: holds no usable record")
    if len(result.skipped) > MAX_SKIPPED_SHARE * total:
        first = "; ".join(where.removeprefix(f"{result.path}:") for where in result.skipped[:2])
        raise UserInputError(
            f"{result.path}: {len(result.skipped)} of {total} records are bad, more than half: "
            f"is it in a format bert-keras reads? First: {first}"
        )
