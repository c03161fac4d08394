"""Reading files in chunks: blocks split by the workers give exactly the records the csv reader gives."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from datahub_svc.ingestion import files
from datahub_svc.ingestion.files import Block, FileFormat, Reader, UnreadableFile, chunk_records
from datahub_svc.objects.prepare import KNOWN_FIELDS, header_field
from svc_runtime.uploads import detect_encoding


def _reader(path: Path) -> Reader:
    return Reader(path, FileFormat.CSV, detect_encoding(path), header_field, KNOWN_FIELDS)


def _provider_file(rnd: random.Random) -> str:
    """A CSV with the traps providers send, quoted and unquoted rows mixed."""
    lines = ["kind,name,uscc,region_code" if rnd.random() < 0.8 else '"kind","name",uscc,region_code']
    for i in range(rnd.randint(0, 40)):
        cells = ["legal_person", f"店{i}", "91341602MA0000001X", "341602"]
        trap = rnd.randrange(14)
        if trap == 0:
            cells[1] = '"带,逗号的名称"'
        elif trap == 1:
            cells[1] = '"两\n行"'
        elif trap == 2:
            cells[1] = '"引号没有闭合'
        elif trap == 3:
            cells[1] = 'a"b'
        elif trap == 4:
            cells = cells[:2]
        elif trap == 5:
            cells = [*cells, "多余"]
        elif trap == 6:
            cells = ["", "", "", ""]
        elif trap == 7:
            cells = ["  "]
        elif trap == 8:
            cells[1] = "长" * (files.MAX_CELL_CHARS + rnd.choice([0, 1]))
        elif trap == 9:
            cells[1] = "a\x00b"
        elif trap == 10:
            cells[1] = "a\rb"
        lines.append(",".join(cells) if rnd.random() > 0.05 else "")
    ending = rnd.choice(["\n", "\r\n", None])
    text = "".join(line + (ending or rnd.choice(["\n", "\r\n", "\r"])) for line in lines)
    return text.rstrip("\r\n") if rnd.random() < 0.3 else text


@pytest.mark.parametrize("seed", range(6))
def test_chunks_give_the_records_of_the_csv_reader(seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(seed)
    path = tmp_path / "objects.csv"
    for _ in range(40):
        data = _provider_file(rnd).encode("utf-8")
        if rnd.random() < 0.2:
            data = data.replace("店".encode(), b"\xff\xfe", 1)  # bytes that are not UTF-8
        if rnd.random() < 0.2:
            data = b"\xef\xbb\xbf" + data
        path.write_bytes(data)
        try:
            expected: object = list(_reader(path))
        except UnreadableFile as exc:
            expected = str(exc)
        for piece in (5, 1 << 22):  # text read a few characters at a time, or all at once
            monkeypatch.setattr(files, "_READ_PIECE", piece)
            for chunk_rows in (1, 3, 1000):
                skip = rnd.randint(0, 4)
                try:
                    chunks = list(_reader(path).chunks(chunk_rows, skip))
                    got: object = [r for c in chunks for r in chunk_records(c)]
                    want = expected[skip:] if isinstance(expected, list) else expected
                except UnreadableFile as exc:
                    got, want = str(exc), expected
                assert got == want, (data[:200], piece, chunk_rows, skip)
                if isinstance(got, list):
                    assert all(sum(len(chunk_records([p])) for p in c) <= chunk_rows for c in chunks)


def test_clean_lines_go_to_the_workers_as_blocks(tmp_path: Path) -> None:
    path = tmp_path / "objects.csv"
    rows = [f"legal_person,店{i},,341602" for i in range(10)]
    rows[6] = 'legal_person,"店,6",,341602'
    path.write_text("kind,name,uscc,region_code\r\n" + "\r\n".join(rows) + "\r\n", encoding="gb18030")
    chunks = list(_reader(path).chunks(4, 0))
    assert [[type(p).__name__ for p in c] for c in chunks] == [["Block"], ["Block", "list", "Block"], ["Block"]]
    first = chunks[0][0]
    assert isinstance(first, Block)
    assert (first.encoding, first.first_row) == ("gb18030", 2)
    records = [r for c in chunks for r in chunk_records(c)]
    assert [r[0] for r in records] == list(range(2, 12))
    assert records[6][1] == ["legal_person", "店,6", "", "341602"]


def _minimal_xlsx(path: Path, sheet_rows: str, *, date1904: bool = False) -> None:
    """A workbook as some exporters write it: inline strings, no shared strings, a custom date format."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(  # the package parts every exporter writes (Open Packaging Conventions)
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/data.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><workbookPr date1904="{int(date1904)}"/>'
            '<sheets><sheet name="数据" sheetId="1" r:id="rId7"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId7" Type="{rel}/worksheet" Target="worksheets/data.xml"/></Relationships>',
        )
        z.writestr(
            "xl/styles.xml",
            f'<styleSheet xmlns="{main}"><numFmts count="1">'
            '<numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
            '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="176"/><xf numFmtId="4"/></cellXfs></styleSheet>',
        )
        z.writestr(
            "xl/worksheets/data.xml", f'<worksheet xmlns="{main}"><sheetData>{sheet_rows}</sheetData></worksheet>'
        )


def test_xlsx_cells_as_exporters_write_them(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    inline = '<c t="inlineStr"><is><t>{}</t></is></c>'
    rows = (
        '<row r="1">'
        + "".join(inline.format(h) for h in ("企业名称", "行政区划代码", "成立日期", "注册资本"))
        + "</row>"
        '<row r="3"><c r="A3" t="inlineStr"><is><r><t>亳州市</t></r><r><t>华佗药店</t></r>'
        '<rPh sb="0" eb="3"><t>ハ</t></rPh></is></c>'
        '<c r="B3"><v>341602</v></c><c r="C3" s="1"><v>43529</v></c><c r="D3" s="2"><v>1234.5</v></c></row>'
        '<row r="4"><c r="B4" t="e"><v>#N/A</v></c><c r="C4" t="b"><v>1</v></c></row>'
    )
    _minimal_xlsx(path, rows)
    reader = Reader(path, FileFormat.XLSX, "utf-8", header_field, KNOWN_FIELDS)
    records = list(reader)
    assert reader.columns == ["name", "region_code", "established_on", "registered_capital"]
    assert records == [
        (3, ["亳州市华佗药店", "341602", "2019-03-05", "1234.5"], ()),
        (4, ["", "#N/A", "true", ""], ()),  # cells after a gap keep their columns
    ]
    _minimal_xlsx(path, rows, date1904=True)
    assert list(Reader(path, FileFormat.XLSX, "utf-8", header_field, KNOWN_FIELDS))[0][1][2] == "2023-03-06"


def test_a_sheet_without_a_known_header_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    _minimal_xlsx(path, '<row r="1"><c t="inlineStr"><is><t>序号</t></is></c></row>')
    with pytest.raises(UnreadableFile, match="header"):
        list(Reader(path, FileFormat.XLSX, "utf-8", header_field, KNOWN_FIELDS))
    path.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(UnreadableFile, match="xlsx"):
        list(Reader(path, FileFormat.XLSX, "utf-8", header_field, KNOWN_FIELDS))
