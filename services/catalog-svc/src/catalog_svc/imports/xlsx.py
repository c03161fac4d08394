"""The first sheet of an XLSX workbook as rows of text, and a streamed one-sheet workbook (standard library only).

Office Open XML (ECMA-376) is a zip of XML parts. Reading takes the workbook's first sheet, shared
strings, inline strings, numbers (integral numbers without a trailing `.0`, so 14-digit codes keep
their digits) and booleans; formulas give their cached value. Writing uses inline strings, so rows
go out as they come without a shared-string table held in memory.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO
from xml.etree import ElementTree
from xml.sax.saxutils import escape

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REF_RE = re.compile(r"^([A-Z]+)(\d+)$")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_COLUMNS = 200


class NotAWorkbook(ValueError):
    """The file is not an XLSX workbook this reader understands."""


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _first_sheet(zf: zipfile.ZipFile) -> str:
    try:
        workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        sheet = workbook.find(f"{_NS}sheets/{_NS}sheet")
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return "xl/worksheets/sheet1.xml"
    if sheet is None:
        raise NotAWorkbook("the workbook has no sheet")
    rid = sheet.get(f"{_REL_NS}id")
    for rel in rels.iter(f"{_PKG_REL_NS}Relationship"):
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return "xl/worksheets/sheet1.xml"


def _shared_strings(zf: zipfile.ZipFile) -> list[str]:
    try:
        data = zf.open("xl/sharedStrings.xml")
    except KeyError:
        return []
    out = []
    with data:
        for _, element in ElementTree.iterparse(data):
            if element.tag == f"{_NS}si":
                out.append("".join(t.text or "" for t in element.iter(f"{_NS}t")))
                element.clear()
    return out


def _number(value: str) -> str:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    if number == number.to_integral_value() and abs(number) < Decimal(10) ** 20:
        return str(int(number))
    return value


def read_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as text) of the first sheet, in order; empty cells are ''."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise NotAWorkbook(f"not an XLSX workbook ({exc})") from None
    with zf:
        strings = _shared_strings(zf)
        name = _first_sheet(zf)
        try:
            sheet = zf.open(name)
        except KeyError:
            raise NotAWorkbook(f"the workbook lacks its sheet part {name}") from None
        with sheet:
            next_row = 1
            try:
                for _, element in ElementTree.iterparse(sheet):
                    if element.tag != f"{_NS}row":
                        continue
                    number = int(element.get("r") or next_row)
                    next_row = number + 1
                    cells: list[str] = []
                    for position, cell in enumerate(element.iter(f"{_NS}c")):
                        ref = _REF_RE.match(cell.get("r") or "")
                        index = _column(ref.group(1)) if ref else position
                        if index >= MAX_COLUMNS:
                            continue
                        while len(cells) < index:
                            cells.append("")
                        cells.append(_cell_text(cell, strings))
                    element.clear()
                    yield number, cells
            except ElementTree.ParseError as exc:
                raise NotAWorkbook(f"the sheet is not well-formed XML ({exc})") from None


def _cell_text(cell: ElementTree.Element, strings: list[str]) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{_NS}t"))
    value = cell.findtext(f"{_NS}v") or ""
    if kind == "s":
        try:
            return strings[int(value)]
        except (ValueError, IndexError):
            return ""
    if kind == "b":
        return "true" if value == "1" else "false"
    if kind == "n":
        return _number(value)
    return value


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def _workbook(sheet_name: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{escape(sheet_name, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )


def _row_xml(number: int, cells: Iterable[str]) -> str:
    parts = [f'<row r="{number}">']
    for value in cells:
        if value:
            text = escape(_ILLEGAL_XML.sub("", value))
            parts.append(f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
        else:
            parts.append("<c/>")
    parts.append("</row>")
    return "".join(parts)


class _Sink:
    """A write-only stream the zip is written into; `drain` hands over what was written so far."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        return None

    def drain(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


class XlsxWriter:
    """A one-sheet workbook written row batch by row batch; each call returns the bytes ready to send."""

    def __init__(self, sheet_name: str = "Sheet1") -> None:
        self._sink = _Sink()
        stream: IO[bytes] = self._sink  # type: ignore[assignment]
        self._zip = zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED)
        self._zip.writestr("[Content_Types].xml", _CONTENT_TYPES)
        self._zip.writestr("_rels/.rels", _ROOT_RELS)
        self._zip.writestr("xl/workbook.xml", _workbook(sheet_name))
        self._zip.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        self._part = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._part.write(
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        )
        self._rows = 0

    def add(self, rows: Iterable[list[str]]) -> bytes:
        parts = []
        for cells in rows:
            self._rows += 1
            parts.append(_row_xml(self._rows, cells))
        self._part.write("".join(parts).encode())
        return self._sink.drain()

    def finish(self) -> bytes:
        self._part.write(b"</sheetData></worksheet>")
        self._part.close()
        self._zip.close()
        return self._sink.drain()


def write_rows(rows: Iterable[list[str]], *, sheet_name: str = "Sheet1") -> bytes:
    """A whole one-sheet workbook of the rows (the first is the header)."""
    writer = XlsxWriter(sheet_name)
    return writer.add(rows) + writer.finish()
