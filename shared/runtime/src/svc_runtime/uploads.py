"""Uploaded files, read the same way by every service: the text encoding of CSV-like files and .xlsx worksheets.

Providers send UTF-8 (with or without BOM), GBK/GB18030 from older Chinese systems, UTF-16 from
Excel's "Unicode text", and .xlsx workbooks. Worksheets are streamed by openpyxl in read-only mode
(defusedxml, installed beside it, guards its XML parser against entity bombs).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import openpyxl

_PROBE = 1 << 20


class UnreadableUpload(ValueError):
    """The file as a whole cannot be read (not a workbook, a broken sheet)."""


def detect_encoding(path: Path) -> str:
    """UTF-16 when the file starts with its byte-order mark, UTF-8 (with or without BOM) if the whole file
    decodes as UTF-8, else GB18030 (a superset of GBK)."""
    with path.open("rb") as fh:
        head = fh.read(3)
        if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(_PROBE):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig" if head == codecs.BOM_UTF8 else "utf-8"


def xlsx_rows(path: Path, *, max_columns: int | None = None) -> Iterator[tuple[int, list[str]]]:
    """(row number as the sheet shows it, cells from column A as text) of every row of the first worksheet.

    Cells come as the spreadsheet shows them in substance (see `cell_text`); rows the sheet does not
    store come as empty lists, so row numbers stay those of the sheet.
    """
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML and package-structure errors alike
        raise UnreadableUpload(f"not a readable XLSX workbook (.xlsx): {type(exc).__name__}: {exc}") from None
    number = 0
    try:
        if not book.worksheets:
            raise UnreadableUpload("the workbook has no worksheet")
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=sheet.min_row or 1):
            cells = [cell_text(v) for v in values[:max_columns]]
            while cells and not cells[-1]:
                cells.pop()
            yield number, cells
    except UnreadableUpload:
        raise
    except Exception as exc:
        raise UnreadableUpload(f"the worksheet cannot be read after row {number} ({type(exc).__name__})") from None
    finally:
        book.close()


def cell_text(value: object) -> str:
    """A cell value as text: whole numbers without a decimal point (codes and phone numbers typed as numbers),
    other numbers in their shortest form, dates as 2024-01-05 (with the time when there is one), booleans as
    true/false, an empty cell as ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, datetime):
        value = value.replace(microsecond=0)
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)  # timedelta, or anything newer openpyxl may return
