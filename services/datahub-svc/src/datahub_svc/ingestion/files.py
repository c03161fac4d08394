"""Reading provider files as a stream of records: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and JSON lines.

Nothing here touches the database. Bad rows come back as errors with a row number (the header is
row 1, as a spreadsheet shows it) and the reading carries on; only an unreadable file as a whole
(no header, no known column) stops a job.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

MAX_CELL_CHARS = 100_000
_PROBE = 1 << 20


class FileFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


class UnreadableFile(ValueError):
    """The file as a whole cannot be imported (no header, unsupported format)."""


def format_for(filename: str) -> FileFormat:
    name = filename.lower()
    if name.endswith((".csv", ".txt", ".tsv")):
        return FileFormat.CSV
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return FileFormat.JSONL
    if name.endswith((".xlsx", ".xls")):
        raise UnreadableFile("spreadsheets are not read here: save the sheet as CSV (UTF-8 or GBK) and upload that")
    raise UnreadableFile("unknown file type: upload .csv or .jsonl")


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as UTF-8, else GB18030 (a superset of GBK)."""
    with path.open("rb") as fh:
        head = fh.read(3)
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(_PROBE):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig" if head == codecs.BOM_UTF8 else "utf-8"


# One record of a file: (row number, CSV cells in the order of `Reader.columns` or a JSON object, or None
# if unreadable, and then the reading errors). A plain tuple: chunks of them go to worker processes.
Record = tuple[int, list[str] | dict[str, Any] | None, Sequence[tuple[int, str, str]]]
_NO_ERRORS: tuple[tuple[int, str, str], ...] = ()


@dataclass
class Reader:
    """Iterates records of one file; `columns` and `ignored_columns` are known once the header is read."""

    path: Path
    file_format: FileFormat
    encoding: str
    header_field: Callable[[str], str]
    known_fields: frozenset[str]
    columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Record]:
        if self.file_format is FileFormat.CSV:
            return self._csv()
        return self._jsonl()

    def _text(self) -> io.TextIOWrapper:
        return open(self.path, encoding=self.encoding, errors="replace", newline="")

    def _csv(self) -> Iterator[Record]:
        csv.field_size_limit(MAX_CELL_CHARS)
        with self._text() as fh:
            sample = fh.read(64 * 1024)
            fh.seek(0)
            delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
            reader = csv.reader(fh, delimiter=delimiter, strict=False)
            try:
                header = next(reader)
            except (StopIteration, csv.Error) as exc:
                raise UnreadableFile(f"the file has no readable header row ({exc or 'empty file'})") from None
            self.columns = [self.header_field(h) for h in header]
            self.ignored_columns = [h for h, c in zip(header, self.columns, strict=True) if c not in self.known_fields]
            if not any(c in self.known_fields for c in self.columns):
                raise UnreadableFile("no column of the header is known; see the import documentation for the names")
            row = 1
            width = len(self.columns)
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    row += 1
                    reason = str(exc)
                    if "field larger than field limit" in reason:
                        reason = f"a cell is longer than {MAX_CELL_CHARS} characters (or a quote is never closed)"
                    yield (row, None, [(row, "row", f"unreadable CSV: {reason}")])
                    continue
                row += 1
                joined = "".join(cells)
                if not joined or (joined[0].isspace() and not joined.strip()):
                    continue
                if len(cells) == width and "\ufffd" not in joined:
                    yield (row, cells, _NO_ERRORS)
                    continue
                errors = []
                if "\ufffd" in joined:
                    errors.append((row, "row", f"bytes that are not valid {self.encoding} text"))
                if len(cells) < width:
                    missing = ", ".join(self.columns[len(cells) :])
                    errors.append((row, "row", f"missing columns: {missing} (broken quoting or a short row)"))
                elif len(cells) > width:
                    errors.append((row, "row", f"{len(cells)} cells but {width} columns in the header"))
                yield (row, None, errors)

    def _jsonl(self) -> Iterator[Record]:
        self.columns = []
        with self._text() as fh:
            for row, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                if len(line) > MAX_CELL_CHARS * 10:
                    yield (row, None, [(row, "row", "line is too long")])
                    continue
                try:
                    value = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    yield (row, None, [(row, "row", f"not JSON: {exc}")])
                    continue
                if not isinstance(value, dict):
                    yield (row, None, [(row, "row", "each line must be a JSON object")])
                    continue
                values = {self.header_field(k): v for k, v in value.items()}
                for key in values:
                    if key not in self.known_fields and key not in self.ignored_columns:
                        self.ignored_columns.append(key)
                yield (row, values, _NO_ERRORS)
