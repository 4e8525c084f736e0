"""Records from files with named columns: a delimited file with a header row (.csv, .tsv,
any delimiter), or JSON lines with any keys.

The text is one or more columns (`text_columns`, joined in order) and the label one
column (`label_column`). Without them, a file holding exactly one of the usual names
(TEXT_NAMES, LABEL_NAMES) is read so, and `Picked.note` says what was chosen; a column
named `title` goes before the text, as the original release's title does. A label is
the name a file writes (a string, or a whole number written as one).
"""

import csv
import dataclasses
import io
import json
import sys
from pathlib import Path

from bert_keras.config_checks import Check, raise_first_failed

TEXT_NAMES = ("text", "review", "content", "sentence")
LABEL_NAMES = ("label", "labels", "sentiment", "class")
TITLE = "title"
DELIMITERS = {".tsv": "\t"}  # by extension; anything else is a comma unless told
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a 200,000-character review is one field


class ColumnProblem(ValueError):
    """What is wrong with one record's columns (the reader adds the file and line)."""


@dataclasses.dataclass(frozen=True)
class Columns:
    """Which columns hold the text and the label; None: the usual names.

    Args:
        text: columns joined in order as the text (`text_columns` of a run).
        label: the label's column (`label_column`).
        delimiter: of a delimited file; None: tab for .tsv, else comma.
        multi_label: a record holds any number of labels: a JSON list, or names split on
            `label_delimiter` in a delimited file.
        label_delimiter: between a delimited file's labels, with multi_label.
        allow_no_label: with multi_label, a record may hold none.
    """

    text: tuple[str, ...] | None = None
    label: str | None = None
    delimiter: str | None = None
    multi_label: bool = False
    label_delimiter: str = "|"
    allow_no_label: bool = False

    def __post_init__(self):
        if self.text is not None:  # a list, read back from config.json
            object.__setattr__(self, "text", tuple(self.text))
        raise_first_failed(self, self._checks())

    def _checks(self) -> list[Check]:
        return [
            (
                "delimiter",
                self.delimiter is None
                or (len(self.delimiter) == 1 and self.delimiter not in '"\r\n'),
                "must be one character, not a quote or a line end",
            ),
            (
                "label_delimiter",
                isinstance(self.label_delimiter, str) and self.label_delimiter.strip() != "",
                "must be one or more characters, not only spaces",
            ),
            ("allow_no_label", self.multi_label or not self.allow_no_label, "needs `multi_label`"),
        ]

    @property
    def given(self) -> bool:
        """Whether any is set: a file read by its columns, whatever its first line."""
        return self.text is not None or self.label is not None or self.delimiter is not None


@dataclasses.dataclass(frozen=True)
class Picked:
    title: str | None  # the `title` column, read as the release's title, or None
    text: tuple[str, ...]
    label: str
    note: str | None  # what was chosen without being told; None when told


def _usual(available, names, what: str, argument: str) -> str:
    found = [name for name in available if name.strip().lower() in names]
    if len(found) != 1:
        which = "none" if not found else "several: " + ", ".join(found)
        raise ColumnProblem(
            f"no {what} column chosen ({which} of the usual names {', '.join(names)}); "
            f"name it with `{argument}` (the columns: {', '.join(available)})"
        )
    return found[0]


def pick_columns(available: list[str], columns: Columns) -> Picked:
    """The text and label columns among `available` (a header, or a JSON object's keys)."""
    for name in (*(columns.text or ()), *([columns.label] if columns.label else [])):
        if name not in available:
            raise ColumnProblem(f"no column {name!r} (the columns: {', '.join(available)})")
    label = columns.label or _usual(available, LABEL_NAMES, "label", "label_column")
    if columns.text is not None:
        text, title = columns.text, None
    else:
        text = (_usual(available, TEXT_NAMES, "text", "text_column"),)
        title = next((name for name in available if name.strip().lower() == TITLE), None)
    note = None
    if columns.text is None or columns.label is None:  # chosen without being told
        shown = " + ".join(repr(name) for name in ((title,) if title else ()) + text)
        note = f"text from {shown}, labels from {label!r}"
    return Picked(title, text, label, note)


def _name(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ColumnProblem(f"label {value!r}: must be a string or a whole number")
    return str(value).strip()


def label_of(value, columns: Columns):
    """A record's label name, or with multi_label the tuple of its names."""
    if not columns.multi_label:
        if isinstance(value, list):
            raise ColumnProblem(f"a list of labels {value!r}: give `multi_label`")
        if not _name(value):
            raise ColumnProblem("empty label")
        return _name(value)
    if isinstance(value, str):
        value = value.split(columns.label_delimiter)
    names = [_name(v) for v in (value if isinstance(value, list) else [value])]
    names = tuple(dict.fromkeys(name for name in names if name))  # in order, once each
    if not names and not columns.allow_no_label:
        raise ColumnProblem("no label (`allow_no_label` takes such records)")
    return names


def record_of(values: dict, picked: Picked, columns: Columns) -> tuple:
    """(label name or names, title, content) of one row or object; ColumnProblem if
    unusable."""
    missing = [name for name in (*picked.text, picked.label) if values.get(name) is None]
    if missing:
        raise ColumnProblem(f"no value for {', '.join(repr(name) for name in missing)}")
    label = label_of(values[picked.label], columns)
    texts = [values[name] for name in picked.text]
    title = values.get(picked.title) or "" if picked.title else ""
    if not all(isinstance(t, str) for t in (*texts, title)):
        raise ColumnProblem("text values must be strings")
    if any("\udc80" <= c <= "\udcff" for t in (*texts, title) for c in t):
        raise ColumnProblem("bytes that are not UTF-8")
    return label, title.strip(), join_texts([t.strip() for t in texts])


def join_texts(texts: list[str]) -> str:
    """Texts joined as a title and its content are: "Great CD. Lovely", "Wow! Lovely"."""
    joined = ""
    for text in (t for t in texts if t):
        separator = " " if joined.endswith((".", "!", "?")) else ". "
        joined = f"{joined}{separator}{text}" if joined else text
    return joined


def table_rows(data: bytes, path: Path, columns: Columns):
    """(line, record or ColumnProblem) of each row of a delimited file with a header."""
    delimiter = columns.delimiter or DELIMITERS.get(path.suffix.lower(), ",")
    text = data.decode("utf-8", "surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header, picked, end = None, None, 0
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            end = reader.line_num
            yield start, ColumnProblem(f"malformed row ({error})")
            continue
        end = reader.line_num
        if not any(field.strip() for field in row):
            continue
        if header is None:
            header = [field.strip() for field in row]
            picked = pick_columns(header, columns)  # a ColumnProblem here is the file's
            yield start, picked
            continue
        if len(row) != len(header):
            yield (
                start,
                ColumnProblem(
                    f"expected {len(header)} fields ({', '.join(header)}), found {len(row)}"
                ),
            )
            continue
        try:
            yield start, record_of(dict(zip(header, row, strict=True)), picked, columns)
        except ColumnProblem as problem:
            yield start, problem


def json_rows(data: bytes, columns: Columns):
    """(line, record or ColumnProblem) of each JSON object, one a line; the first
    object's keys choose the columns."""
    picked = None
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            values = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError as error:
            yield number, ColumnProblem(f"bytes that are not UTF-8 at column {error.start + 1}")
            continue
        except json.JSONDecodeError as error:
            yield number, ColumnProblem(f"not valid JSON ({error.msg})")
            continue
        if not isinstance(values, dict):
            yield number, ColumnProblem("expected a JSON object")
            continue
        if picked is None:
            picked = pick_columns(list(values), columns)
            yield number, picked
        try:
            yield number, record_of(values, picked, columns)
        except ColumnProblem as problem:
            yield number, problem


USUAL = Columns()  # the usual names, the delimiter by extension
