"""Reading provider files as a stream of records: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), XLSX and JSON lines.

Nothing here touches the database. Bad rows come back as errors with a row number (the header is
row 1, as a spreadsheet shows it) and the reading carries on; only an unreadable file as a whole
(no header, no known column) stops a job.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import orjson

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


_MAIN_NS = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_REL_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
# Built-in number formats that show dates (27-36 and 50-58 are the Chinese locale's date formats).
_DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_FORMAT_LITERALS_RE = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_MAX_SHARED_STRINGS_BYTES = 1 << 30
_XLSX_HEADER_SEARCH_ROWS = 20


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column_index(ref: str) -> int:
    """0 for A1, 1 for B7, 26 for AA3."""
    index = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            index = index * 26 + ord(ch) - 64
        else:
            break
    return index - 1


def _rich_text(elem: ElementTree.Element) -> str:
    """The text of a string item (`<si>` or `<is>`): its `<t>`, or the `<t>` of its runs; phonetic guides are left out."""
    parts: list[str] = []
    for child in elem:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _is_date_format(code: str) -> bool:
    code = _FORMAT_LITERALS_RE.sub("", code).lower()
    return code != "general" and any(ch in code for ch in "ymdhs")


class XlsxSheet:
    """The first worksheet of an .xlsx file, read as a stream of rows of text cells (standard library only).

    Cells come as the spreadsheet shows them in substance: text as is, whole numbers without a
    decimal point (codes and phone numbers stored as numbers), other numbers in their shortest
    form, dates (numbers with a date format) as 2024-01-05, booleans as true/false.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.too_long = False
        try:
            self.zip = zipfile.ZipFile(path)
            self.names = set(self.zip.namelist())
        except (zipfile.BadZipFile, OSError) as exc:
            raise UnreadableFile(f"not a readable .xlsx file ({exc})") from None

    def _parse(self, name: str) -> ElementTree.Element | None:
        if name not in self.names:
            return None
        try:
            with self.zip.open(name) as fh:
                return ElementTree.parse(fh).getroot()
        except (ElementTree.ParseError, zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise UnreadableFile(f"not a readable .xlsx file ({name}: {exc})") from None

    def _sheet_name(self) -> tuple[str, bool]:
        """The path of the first worksheet, and whether dates count from 1904."""
        workbook = self._parse("xl/workbook.xml")
        if workbook is None:
            raise UnreadableFile("not an .xlsx workbook (no xl/workbook.xml)")
        date1904 = any(_local(e.tag) == "workbookPr" and e.get("date1904") in ("1", "true") for e in workbook.iter())
        first = next((e for e in workbook.iter() if _local(e.tag) == "sheet"), None)
        if first is None:
            raise UnreadableFile("the workbook has no worksheet")
        rid = next((first.get(f"{{{ns}}}id") for ns in _DOC_REL_NS if first.get(f"{{{ns}}}id")), None)
        rels = self._parse("xl/_rels/workbook.xml.rels")
        if rid and rels is not None:
            for rel in rels:
                if rel.get("Id") == rid and rel.get("Target"):
                    target = rel.get("Target", "").lstrip("/")
                    name = target if target.startswith("xl/") else f"xl/{target}"
                    if name in self.names:
                        return name, date1904
        if "xl/worksheets/sheet1.xml" in self.names:
            return "xl/worksheets/sheet1.xml", date1904
        raise UnreadableFile("the first worksheet of the workbook is missing")

    def _shared_strings(self) -> list[str]:
        name = "xl/sharedStrings.xml"
        if name not in self.names:
            return []
        if self.zip.getinfo(name).file_size > _MAX_SHARED_STRINGS_BYTES:
            raise UnreadableFile("the workbook's text table is too large; save the sheet as CSV and upload that")
        strings: list[str] = []
        try:
            with self.zip.open(name) as fh:
                for _, elem in ElementTree.iterparse(fh):
                    if _local(elem.tag) != "si":
                        continue
                    strings.append(_rich_text(elem))
                    elem.clear()
        except (ElementTree.ParseError, zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise UnreadableFile(f"not a readable .xlsx file (text table: {exc})") from None
        return strings

    def _date_styles(self) -> frozenset[int]:
        styles = self._parse("xl/styles.xml")
        if styles is None:
            return frozenset()
        custom = {
            int(e.get("numFmtId", "-1")): e.get("formatCode", "") for e in styles.iter() if _local(e.tag) == "numFmt"
        }
        dated: set[int] = set()
        cell_xfs = next((e for e in styles if _local(e.tag) == "cellXfs"), None)
        for index, xf in enumerate(cell_xfs if cell_xfs is not None else ()):
            fmt = int(xf.get("numFmtId", "0"))
            if fmt in custom:
                if _is_date_format(custom[fmt]):
                    dated.add(index)
            elif fmt in _DATE_FORMAT_IDS:
                dated.add(index)
        return frozenset(dated)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number, cells from column A) of each row the sheet stores, streamed."""
        sheet, date1904 = self._sheet_name()
        strings = self._shared_strings()
        dated = self._date_styles()
        epoch = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
        number = 0
        try:
            with self.zip.open(sheet) as fh:
                parent: ElementTree.Element | None = None
                for event, elem in ElementTree.iterparse(fh, events=("start", "end")):
                    tag = _local(elem.tag)
                    if event == "start":
                        if tag == "sheetData":
                            parent = elem
                        continue
                    if tag != "row":
                        continue
                    number = int(elem.get("r") or number + 1)
                    cells: list[str] = []
                    for c in elem:
                        if _local(c.tag) != "c":
                            continue
                        ref = c.get("r")
                        column = _column_index(ref) if ref else len(cells)
                        if not 0 <= column <= 16383:
                            continue
                        if column >= len(cells):
                            cells.extend([""] * (column + 1 - len(cells)))
                        value = self._value(c, strings, dated, epoch)
                        if len(value) > MAX_CELL_CHARS:
                            self.too_long = True
                        cells[column] = value  # cells are in column order, but not always
                    elem.clear()
                    if parent is not None:
                        parent.clear()  # rows already read are not kept
                    yield number, cells
        except (ElementTree.ParseError, zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise UnreadableFile(f"the worksheet cannot be read after row {number} ({exc})") from None

    @staticmethod
    def _value(c: ElementTree.Element, strings: list[str], dated: frozenset[int], epoch: datetime) -> str:
        kind = c.get("t", "n")
        raw: str | None = None
        if kind == "inlineStr":
            inline = next((child for child in c if _local(child.tag) == "is"), None)
            return "" if inline is None else _rich_text(inline)
        for child in c:
            if _local(child.tag) == "v":
                raw = child.text
                break
        if raw is None:
            return ""
        if kind == "s":
            try:
                return strings[int(raw)]
            except (ValueError, IndexError):
                return ""
        if kind == "b":
            return "true" if raw.strip() in ("1", "true") else "false"
        if kind != "n":
            return raw  # str (formula text), e (an error such as #N/A), d (ISO 8601 date)
        try:
            value = float(raw)
        except ValueError:
            return raw
        if int(c.get("s", "0") or 0) in dated and 0 <= value < 2_958_466:
            moment = epoch + timedelta(days=value)
            if value < 61 and epoch.year == 1899:
                moment += timedelta(days=1)  # Excel's day 60 is 1900-02-29, which never was
            moment = moment.replace(microsecond=0)
            return moment.date().isoformat() if moment.time() == time() else moment.isoformat(sep=" ")
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)


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
        sheet = XlsxSheet(self.path)
        try:
            yield from self._xlsx_records(sheet)
        finally:
            sheet.zip.close()

    def _xlsx_records(self, sheet: XlsxSheet) -> Iterator[Record]:
        rows = sheet.rows()
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
        sheet.too_long = False  # a long title or header cell says nothing about the rows
        self.columns = [self.header_field(h) for h in header]
        self.ignored_columns = [h for h, c in zip(header, self.columns, strict=True) if c not in self.known_fields]
        if not any(c in self.known_fields for c in self.columns):
            raise UnreadableFile("no column of the header is known; see the import documentation for the names")
        width = len(self.columns)
        for row, cells in rows:
            if sheet.too_long:
                sheet.too_long = False
                yield (row, None, [(row, "row", _TOO_LONG.replace("unreadable CSV", "unreadable cell"))])
                continue
            if len(cells) > width:
                extra = cells[width:]
                if any(c.strip() for c in extra):
                    yield (row, None, [(row, "row", f"cells beyond the {width} columns of the header")])
                    continue
                del cells[width:]
            elif len(cells) < width:
                cells.extend([""] * (width - len(cells)))  # a spreadsheet stores no empty cells
            joined = "".join(cells)
            if not joined.strip():
                continue
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
