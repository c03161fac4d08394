"""A one-sheet XLSX workbook written as a stream (exports), reading is `svc_runtime.uploads.xlsx_rows`.

Office Open XML (ECMA-376) is a zip of XML parts. Writing uses inline strings, so rows go out as
they come without a shared-string table held in memory (openpyxl's write-only mode needs a file).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from typing import IO
from xml.sax.saxutils import escape

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


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
