"""Review records from local files: the original CSV release, fastText lines, JSON lines,
or any delimited file with a header row (`data.columns`).

Every record becomes (label name, title, content). A bad record (wrong number of
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
import io
import re
from pathlib import Path
from typing import Callable

from bert_keras.data.columns import (
    LABEL_NAMES,
    TEXT_NAMES,
    TITLE,
    USUAL,
    ColumnProblem,
    Columns,
    Picked,
    json_rows,
    table_rows,
)
from bert_keras.data.labels import RELEASE_NAMES
from bert_keras.errors import UserInputError

_FASTTEXT = re.compile(r"__label__(\S*)\s?(.*)", re.DOTALL)
CSV_LABELS = {"1": RELEASE_NAMES[0], "2": RELEASE_NAMES[1]}  # the original release's labels
# A first CSV line naming its label column so is a header row, not a record.
HEADER_LABEL_NAMES = {"label", "labels", "polarity", "class", "sentiment", "target", "rating"}


@dataclasses.dataclass(frozen=True)
class Record:
    line: int
    label: str | tuple  # its name ("negative"/"positive" in the release); multi-label: names
    title: str
    content: str


@dataclasses.dataclass
class Records:
    path: str
    records: list = dataclasses.field(default_factory=list)
    skipped: list = dataclasses.field(default_factory=list)  # "file:line: problem" strings
    names: tuple | None = None  # the format's own label names in order (the release's)
    note: str | None = None  # the columns chosen without being told, said by the run


class BadRecord(ColumnProblem):
    """What is wrong with one record; the reader adds the file and line. `refused`: no
    policy skips it (the file as a whole is likely misread)."""

    def __init__(self, message: str, refused: bool = False):
        super().__init__(message)
        self.refused = refused


# Skipping more than this share of a file's records is refused: almost always the wrong
# format (or labels), never data to train on.
MAX_SKIPPED_SHARE = 0.5


def _original_label(label: str, shown: str) -> str:
    """The original release's label 1/2 as its name. A 0 is no bad record to skip: it says
    the file is labelled 0/1, and reading its 1s as the release's negatives would flip them."""
    if label == "0":
        raise BadRecord(
            f"label {shown} looks like 0/1 labels, not the original release's 1 (negative) "
            "and 2 (positive): give the file a header row and name its columns with "
            "`label_column` and `text_columns` (`labels` fixes the names' order)",
            refused=True,
        )
    if label not in CSV_LABELS:
        raise BadRecord(f"unknown label {shown} (expected 1 or 2)")
    return CSV_LABELS[label]


def _unescape(text: str) -> str:
    # The original release writes a newline inside a review as the two characters \n.
    return text.replace("\\n", " ").strip()


def parse_csv_line(line: str) -> tuple[str, str, str]:
    try:
        fields = next(csv.reader([line], strict=True))
    except csv.Error as error:
        raise BadRecord(f"malformed CSV ({error})") from None
    if len(fields) != 3:
        raise BadRecord(f"expected 3 fields (label, title, content), found {len(fields)}")
    label, title, content = fields
    return _original_label(label, repr(label)), _unescape(title), _unescape(content)


def parse_fasttext_line(line: str) -> tuple[str, str, str]:
    match = _FASTTEXT.fullmatch(line.strip())
    if not match:
        raise BadRecord("expected '__label__N title: text'")
    label, text = match.groups()
    label = _original_label(label, f"__label__{label}")
    title, separator, content = text.partition(": ")
    return (
        (label, _unescape(title), _unescape(content)) if separator else (label, "", _unescape(text))
    )


def is_csv_header(line: str) -> bool:
    fields = next(csv.reader([line]), [])
    return len(fields) == 3 and fields[0].strip().lower() in HEADER_LABEL_NAMES


def names_columns(line: str) -> bool:
    """A first line naming columns (one of the usual names) other than the release's header."""
    usual = {*TEXT_NAMES, *LABEL_NAMES, TITLE}
    fields = next(csv.reader([line]), [])
    return not is_csv_header(line) and any(f.strip().lower() in usual for f in fields)


@dataclasses.dataclass(frozen=True)
class RecordFormat:
    """A file format of reviews: how to tell it, and how to read one line of it."""

    name: str
    # (the file's path, its first line) -> is it this format?
    matches: Callable[[Path, bytes], bool]
    # one line -> (label name, title, content), or BadRecord
    parse: Callable[[str], tuple[str, str, str]]
    # a first line that names columns, not a record
    is_header: Callable[[str], bool] = lambda line: False


# The first format that matches a file reads it; a new format is one entry here and its parser.
RECORD_FORMATS = (
    RecordFormat(
        "fasttext", lambda path, first: first.startswith(b"__label__"), parse_fasttext_line
    ),
    # the original release
    RecordFormat("csv", lambda path, first: True, parse_csv_line, is_csv_header),
)


def record_format(path: Path, first_line: bytes) -> RecordFormat:
    return next(f for f in RECORD_FORMATS if f.matches(path, first_line))


def parsed_lines(lines, path: Path):
    """Yields (line number, (label, title, content) or the BadRecord) for each line of a
    file in the release's layout (CSV or fastText); blank lines and a header row hold none."""
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
            yield number, form.parse(line)
        except BadRecord as problem:
            yield number, problem


def file_rows(data: bytes, path: Path, columns: Columns):
    """((line, record, ColumnProblem or the Picked columns) of each row, the format's own
    label names or None) of a file, in the format its name, first line and `columns` say."""
    first = next((line for line in data.split(b"\n") if line.strip()), b"")
    if path.suffix.lower() in (".jsonl", ".json"):
        return json_rows(data, columns), None
    if (
        columns.given
        or path.suffix.lower() == ".tsv"
        or names_columns(first.decode("utf-8", "replace"))
    ):
        return table_rows(data, path, columns), None
    return parsed_lines(io.BytesIO(data), path), RELEASE_NAMES


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes().removeprefix(codecs.BOM_UTF8)
    except FileNotFoundError:
        raise UserInputError(f"{path}: no such file") from None
    except (IsADirectoryError, PermissionError) as error:
        raise UserInputError(f"{path}: cannot be read ({error.strerror})") from None


def _text_problem(record, text_fields: str) -> ColumnProblem | None:
    _, title, content = record
    text = content if text_fields == "content" else title or content
    return None if text else BadRecord("empty text")


def read_records(
    path, text_fields="title_content", on_bad_record="error", limit=None, columns=USUAL
) -> Records:
    """Reads up to `limit` good records from one file (format told by its name, its first
    line and `columns`)."""
    path = Path(path)
    data, result = _read_bytes(path), Records(str(path))
    rows, result.names = file_rows(data, path, columns)
    try:
        for number, record in rows:
            if isinstance(record, Picked):
                result.note = record.note
                continue
            if limit is not None and len(result.records) >= limit:
                break
            if not isinstance(record, ColumnProblem):
                record = _text_problem(record, text_fields) or record
            if columns.multi_label and isinstance(record, tuple) and isinstance(record[0], str):
                record = ((record[0],), *record[1:])  # the release's one label, as a set
            if isinstance(record, ColumnProblem):
                _skip(result, f"{path}:{number}: {record}", record, on_bad_record)
                continue
            result.records.append(Record(number, *record))
    except ColumnProblem as problem:  # the header's, or the first JSON object's
        raise UserInputError(f"{path}: {problem}") from None
    _check_skipped_share(result)
    return result


def _skip(result: Records, where: str, problem: ColumnProblem, on_bad_record: str):
    if getattr(problem, "refused", False):
        raise UserInputError(where)
    if on_bad_record == "error":
        raise UserInputError(f"{where} (use on_bad_record=skip to skip such records)")
    result.skipped.append(where)


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
