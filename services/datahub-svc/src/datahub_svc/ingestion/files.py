"""Reading provider files as a stream of records: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), XLSX and JSON lines.

Nothing here touches the database. Bad rows come back as errors with a row number (the header is
row 1, as a spreadsheet shows it) and the reading carries on; only an unreadable file as a whole
(no header, no known column) stops a job.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from svc_runtime.uploads import UnreadableUpload, xlsx_rows

MAX_CELL_CHARS = 100_000
_PROBE = 1 << 20


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSONL = "jsonl"


class UnreadableFile(ValueError):
    """The file as a whole cannot be imported (no header, unsupported format)."""


def format_for(filename: str) -> FileFormat:
    name = filename.lower()
    if name.endswith((".csv", ".txt", ".tsv")):
        return FileFormat.CSV
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return FileFormat.JSONL
    if name.endswith((".xlsx", ".xlsm")):
        return FileFormat.XLSX
    if name.endswith(".xls"):
        raise UnreadableFile(
            "old Excel 97-2003 (.xls) files are not read: save the sheet as .xlsx or CSV and upload that"
        )
    raise UnreadableFile("unknown file type: upload .csv, .xlsx or .jsonl")


# One record of a file: (row number, CSV cells in the order of `Reader.columns` or a JSON object, or None
# if unreadable, and then the reading errors). A plain tuple: chunks of them go to worker processes.
Record = tuple[int, list[str] | dict[str, Any] | None, Sequence[tuple[int, str, str]]]
_NO_ERRORS: tuple[tuple[int, str, str], ...] = ()
_TOO_LONG = f"unreadable CSV: a cell is longer than {MAX_CELL_CHARS} characters (or a quote is never closed)"
_READ_PIECE = 1 << 22  # characters read at a time when a file is cut into blocks


def _row_record(row: int, cells: list[str], width: int, columns: Sequence[str], encoding: str) -> Record | None:
    """The record of one parsed CSV row, or None for a blank row (shared by both ways of reading)."""
    joined = "".join(cells)
    if not joined or (joined[0].isspace() and not joined.strip()):
        return None
    if len(cells) == width and "\ufffd" not in joined:
        return (row, cells, _NO_ERRORS)
    errors = []
    if "\ufffd" in joined:
        errors.append((row, "row", f"bytes that are not valid {encoding} text"))
    if len(cells) < width:
        missing = ", ".join(columns[len(cells) :])
        errors.append((row, "row", f"missing columns: {missing} (broken quoting or a short row)"))
    elif len(cells) > width:
        errors.append((row, "row", f"{len(cells)} cells but {width} columns in the header"))
    return (row, None, errors)


@dataclass(frozen=True)
class Block:
    """Lines of a CSV file that hold no quote, no NUL and no lone carriage return: each line is one
    row and its cells are what lies between the delimiters, exactly as the csv module reads them.

    The reading process only cuts the file into blocks (it counts lines and looks for those three
    characters); the worker that cleans a block splits it into records with `records()`, which
    gives what `Reader` gives for the same lines, row numbers included.
    """

    text: str
    first_row: int
    delimiter: str
    columns: tuple[str, ...]
    encoding: str

    def records(self) -> list[Record]:
        text = self.text.replace("\r\n", "\n") if "\r" in self.text else self.text
        lines = text.split("\n")
        if lines and not lines[-1]:
            lines.pop()
        width = len(self.columns)
        delimiter = self.delimiter
        out: list[Record] = []
        append = out.append
        for row, line in enumerate(lines, start=self.first_row):
            cells = line.split(delimiter)
            if len(line) > MAX_CELL_CHARS and any(len(c) > MAX_CELL_CHARS for c in cells):
                append((row, None, [(row, "row", _TOO_LONG)]))
                continue
            record = _row_record(row, cells, width, self.columns, self.encoding)
            if record is not None:
                append(record)
        return out


_XLSX_HEADER_SEARCH_ROWS = 20


class _Pieces:
    """A text file read in large pieces: line by line for the csv module, or in blocks of whole lines.

    Lines end as in a file opened with `newline=""` (at \\n, \\r\\n or a bare \\r); both ways of
    taking text share one position, so a csv reader and `block` can take turns.
    """

    def __init__(self, fh: io.TextIOWrapper) -> None:
        self.fh = fh
        self.buf = ""
        self.pos = 0
        self.eof = False

    def _more(self) -> bool:
        if self.eof:
            return False
        piece = self.fh.read(max(_READ_PIECE, len(self.buf) - self.pos))  # grows for very long lines
        if not piece:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + piece
        self.pos = 0
        return True

    def lines(self) -> Iterator[str]:
        while True:
            buf, pos = self.buf, self.pos
            nl = buf.find("\n", pos)
            cr = buf.find("\r", pos, nl if nl >= 0 else len(buf))
            if cr >= 0 and (cr + 1 < len(buf) or self.eof):
                end = cr + 2 if cr + 1 == nl else cr + 1
            elif cr < 0 and nl >= 0:
                end = nl + 1
            elif self._more():
                continue
            else:
                if self.pos < len(self.buf):
                    rest, self.pos = self.buf[self.pos :], len(self.buf)
                    yield rest
                return
            self.pos = end
            yield buf[pos:end]

    def block(self, lines: int) -> str | None:
        """Up to `lines` whole lines that the csv module would split at the delimiters alone ("" at the
        end of the file); None, taking nothing, if the next line has a quote, a NUL or a bare \\r."""
        while True:
            buf, pos = self.buf, self.pos
            stop = len(buf) if self.eof else buf.rfind("\n", pos) + 1  # whole lines only, until the end
            if stop <= pos and not self.eof:
                if self._more():
                    continue
                buf, pos, stop = self.buf, self.pos, len(self.buf)
            bad = _NEEDS_CSV(buf, pos, stop)
            if bad is not None:
                stop = buf.rfind("\n", pos, bad.start()) + 1
                if stop <= pos:
                    return None
            end, taken = pos, 0
            while taken < lines:
                nl = buf.find("\n", end, stop)
                if nl < 0:
                    break
                end, taken = nl + 1, taken + 1
            if taken < lines and bad is None and not self.eof and self._more():
                continue  # read on for more lines
            if taken < lines and end < stop:
                end = stop  # the last line of the file, without a line end
            self.pos = end
            return buf[pos:end]


_NEEDS_CSV = re.compile('["\x00]|\r(?!\n)').search
Part = list[Record] | Block
Chunk = list[Part]


def chunk_records(chunk: Chunk) -> list[Record]:
    """The records of a chunk, in file order (a worker splits its blocks here)."""
    out: list[Record] = []
    for part in chunk:
        out.extend(part.records() if isinstance(part, Block) else part)
    return out


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
        if self.file_format is FileFormat.XLSX:
            return self._xlsx()
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
                record = _row_record(row, cells, width, self.columns, self.encoding)
                if record is not None:
                    yield record

    def chunks(self, chunk_rows: int, skip: int = 0) -> Iterator[Chunk]:
        """The records after the first `skip`, in chunks of at most `chunk_rows` (the same records as `iter`).

        Runs of CSV lines that need no CSV parsing come as `Block`s, which the worker that cleans them
        splits (reading a large file then costs this process little more than decoding it); other
        lines are parsed here, with the same csv reader and the same row numbers as `iter`.
        """
        if self.file_format is FileFormat.CSV:
            yield from self._csv_chunks(chunk_rows, skip)
            return
        records = iter(self)
        for _ in islice(records, skip):
            pass
        while chunk := list(islice(records, chunk_rows)):
            yield [chunk]

    def _csv_chunks(self, chunk_rows: int, skip: int) -> Iterator[Chunk]:
        csv.field_size_limit(MAX_CELL_CHARS)
        with self._text() as fh:
            sample = fh.read(64 * 1024)
            fh.seek(0)
            delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
            text = _Pieces(fh)
            reader = csv.reader(text.lines(), delimiter=delimiter, strict=False)
            try:
                header = next(reader)
            except (StopIteration, csv.Error) as exc:
                raise UnreadableFile(f"the file has no readable header row ({exc or 'empty file'})") from None
            self.columns = [self.header_field(h) for h in header]
            self.ignored_columns = [h for h, c in zip(header, self.columns, strict=True) if c not in self.known_fields]
            if not any(c in self.known_fields for c in self.columns):
                raise UnreadableFile("no column of the header is known; see the import documentation for the names")
            columns = tuple(self.columns)
            width = len(columns)
            row = 1

            def parse(limit: int) -> list[Record]:
                nonlocal row
                out: list[Record] = []
                while len(out) < limit:
                    try:
                        cells = next(reader)
                    except StopIteration:
                        break
                    except csv.Error as exc:
                        row += 1
                        reason = str(exc)
                        if "field larger than field limit" in reason:
                            out.append((row, None, [(row, "row", _TOO_LONG)]))
                        else:
                            out.append((row, None, [(row, "row", f"unreadable CSV: {reason}")]))
                        continue
                    row += 1
                    record = _row_record(row, cells, width, columns, self.encoding)
                    if record is not None:
                        out.append(record)
                return out

            while skip > 0 and (done := parse(min(skip, chunk_rows))):
                skip -= len(done)
            end = False
            while not end:
                chunk: Chunk = []
                size = 0  # lines of blocks, records of parsed parts
                while size < chunk_rows:
                    block = text.block(chunk_rows - size)
                    if block is None:  # a quote, NUL or bare carriage return: parsed here
                        parsed = parse(1)
                        if not parsed:
                            end = True
                            break
                        if chunk and isinstance(chunk[-1], list):
                            chunk[-1].extend(parsed)
                        else:
                            chunk.append(parsed)
                        size += len(parsed)
                        continue
                    if not block:
                        end = True
                        break
                    lines = block.count("\n") + (not block.endswith("\n"))
                    chunk.append(Block(block, row + 1, delimiter, columns, self.encoding))
                    row += lines
                    size += lines
                if chunk:
                    yield chunk

    def _xlsx(self) -> Iterator[Record]:
        """The first worksheet: the header is its first row with a known column name (a title above it is
        passed over); rows are numbered as the sheet shows them."""
        try:
            yield from self._xlsx_records(xlsx_rows(self.path))
        except UnreadableUpload as exc:
            raise UnreadableFile(str(exc)) from None

    def _xlsx_records(self, rows: Iterator[tuple[int, list[str]]]) -> Iterator[Record]:
        header: list[str] = []
        for _, cells in islice(rows, _XLSX_HEADER_SEARCH_ROWS):
            if any(self.header_field(c) in self.known_fields for c in cells if c.strip()):
                header = cells
                break
        if not header:
            raise UnreadableFile(
                f"none of the first {_XLSX_HEADER_SEARCH_ROWS} rows of the first worksheet is a header with a known "
                "column name; see the import documentation for the names"
            )
        while header and not header[-1].strip():
            header.pop()
        self.columns = [self.header_field(h) for h in header]
        self.ignored_columns = [h for h, c in zip(header, self.columns, strict=True) if c not in self.known_fields]
        width = len(self.columns)
        for row, cells in rows:
            if any(len(c) > MAX_CELL_CHARS for c in cells):
                yield (row, None, [(row, "row", _TOO_LONG.replace("unreadable CSV", "unreadable cell"))])
                continue
            if len(cells) > width:
                if any(c.strip() for c in cells[width:]):
                    yield (row, None, [(row, "row", f"cells beyond the {width} columns of the header")])
                    continue
                del cells[width:]
            if not "".join(cells).strip():
                continue
            cells.extend([""] * (width - len(cells)))  # a spreadsheet stores no empty cells
            yield (row, cells, _NO_ERRORS)

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
