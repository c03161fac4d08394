"""Reading list files as records: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), JSON lines, JSON arrays, XLSX.

Nothing here touches the database. Row numbers are those a spreadsheet shows (the CSV header is
row 1; a JSON line's number is its line); a bad row comes back with its errors and reading carries
on. Only a file that cannot be read as a whole (no header, unknown type) stops a job.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from svc_runtime.uploads import UnreadableUpload, xlsx_rows
from svc_runtime.uploads import detect_encoding as detect_encoding  # the import service's entry point

MAX_CELL_CHARS = 100_000
MAX_XLSX_COLUMNS = 200
MAX_JSON_ARRAY_BYTES = 256 * 1024**2


class FileFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    JSON = "json"
    XLSX = "xlsx"


class UnreadableFile(ValueError):
    """The file as a whole cannot be imported."""


def format_for(filename: str) -> FileFormat:
    name = filename.lower()
    if name.endswith((".csv", ".txt", ".tsv")):
        return FileFormat.CSV
    if name.endswith((".jsonl", ".ndjson")):
        return FileFormat.JSONL
    if name.endswith(".json"):
        return FileFormat.JSON
    if name.endswith(".xlsx"):
        return FileFormat.XLSX
    if name.endswith(".xls"):
        raise UnreadableFile("old .xls workbooks are not read: save the sheet as .xlsx or CSV and upload that")
    raise UnreadableFile("unknown file type: upload .csv, .jsonl, .json or .xlsx")


@dataclass
class Record:
    row: int
    values: dict[str, Any] | None
    errors: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass
class Reader:
    """Iterates the records of one file; `columns` and `ignored_columns` are known once the header is read."""

    path: Path
    file_format: FileFormat
    encoding: str
    header_field: Callable[[str], str | None]
    columns: list[str | None] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Record]:
        match self.file_format:
            case FileFormat.CSV:
                return self._csv()
            case FileFormat.JSONL:
                return self._jsonl()
            case FileFormat.JSON:
                return self._json()
            case FileFormat.XLSX:
                return self._xlsx()

    def _header(self, header: list[str]) -> None:
        self.columns = [self.header_field(h) for h in header]
        self.ignored_columns = [h for h, c in zip(header, self.columns, strict=True) if c is None and h.strip()]
        if not any(self.columns):
            guessed = ""
            if self.encoding == "gb18030":
                guessed = (
                    " (the file is not UTF-8, so it was read as GBK: if the header is right, the file has another"
                    " encoding; save it as CSV in UTF-8 or GBK)"
                )
            raise UnreadableFile(
                f"no column of the header is known{guessed}; see the import documentation for the column names"
            )

    def _cells(self, row: int, cells: list[str], encoding: str | None) -> Record:
        errors = []
        if encoding and "\ufffd" in "".join(cells):
            errors.append((row, "row", f"bytes that are not valid {encoding} text (wrong encoding?)"))
        if len(cells) > len(self.columns) and any(c.strip() for c in cells[len(self.columns) :]):
            errors.append((row, "row", f"{len(cells)} cells but {len(self.columns)} columns in the header"))
        if errors:
            return Record(row, None, errors)
        values = {c: v for c, v in zip(self.columns, cells, strict=False) if c is not None}
        return Record(row, values)

    def _csv(self) -> Iterator[Record]:
        csv.field_size_limit(MAX_CELL_CHARS)
        with open(self.path, encoding=self.encoding, errors="replace", newline="") as fh:
            sample = fh.read(64 * 1024)
            fh.seek(0)
            delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
            reader = csv.reader(fh, delimiter=delimiter, strict=False)
            try:
                header = next(reader)
            except (StopIteration, csv.Error) as exc:
                raise UnreadableFile(f"the file has no readable header row ({exc or 'empty file'})") from None
            self._header(header)
            row = 1
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
                    yield Record(row, None, [(row, "row", f"unreadable CSV: {reason}")])
                    continue
                row += 1
                if not cells or all(not c.strip() for c in cells):
                    continue
                yield self._cells(row, cells, self.encoding)

    def _object(self, row: int, value: Any) -> Record:
        if not isinstance(value, dict):
            return Record(row, None, [(row, "row", "each record must be a JSON object")])
        values: dict[str, Any] = {}
        for key, item in value.items():
            name = self.header_field(str(key))
            if name is None:
                if key not in self.ignored_columns:
                    self.ignored_columns.append(str(key))
            else:
                values[name] = item
        return Record(row, values)

    def _jsonl(self) -> Iterator[Record]:
        with open(self.path, encoding=self.encoding, errors="replace") as fh:
            for row, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                if len(line) > MAX_CELL_CHARS * 10:
                    yield Record(row, None, [(row, "row", "line is too long")])
                    continue
                try:
                    value = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    yield Record(row, None, [(row, "row", f"not JSON: {exc}")])
                    continue
                yield self._object(row, value)

    def _json(self) -> Iterator[Record]:
        """A JSON array of objects (record n is row n), or JSON lines under a .json name."""
        with open(self.path, "rb") as fh:
            head = fh.read(4096).lstrip(codecs.BOM_UTF8).lstrip()
        if not head.startswith(b"["):
            yield from self._jsonl()
            return
        if self.path.stat().st_size > MAX_JSON_ARRAY_BYTES:
            raise UnreadableFile("a JSON array over 256 MB is not read at once: upload JSON lines (.jsonl) instead")
        try:
            values = orjson.loads(self.path.read_bytes().decode(self.encoding, errors="replace"))
        except orjson.JSONDecodeError as exc:
            raise UnreadableFile(f"the file is not valid JSON: {exc}") from None
        for row, value in enumerate(values, start=1):
            yield self._object(row, value)

    def _xlsx(self) -> Iterator[Record]:
        rows = xlsx_rows(self.path, max_columns=MAX_XLSX_COLUMNS)
        try:
            first = next(rows, None)
            if first is None:
                raise UnreadableFile("the first sheet of the workbook is empty")
            self._header(first[1])
            for row, cells in rows:
                if all(not c.strip() for c in cells):
                    continue
                yield self._cells(row, cells, None)
        except UnreadableUpload as exc:
            raise UnreadableFile(str(exc)) from None
