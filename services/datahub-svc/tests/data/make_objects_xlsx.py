"""Writes objects.xlsx, the spreadsheet the XLSX import test reads, with openpyxl (an independent writer).

Run once with openpyxl installed anywhere (it is not a dependency of the service):
    PYTHONPATH=<dir with openpyxl> .venv/bin/python services/datahub-svc/tests/data/make_objects_xlsx.py
Row numbers below are the sheet's; row 7 is left empty on purpose.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook  # type: ignore[import-not-found]

from supervision_schemas.identifiers import uscc_check_char


def uscc(n: int) -> str:
    first17 = f"91341602MA{n:07d}"
    return first17 + uscc_check_char(first17)


def main() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "市场主体"
    ws["A1"] = "亳州市药品经营企业名录（2024年）"  # a title above the header, as providers' sheets have
    header = ["对象类型", "企业名称", "统一社会信用代码", "法定代表人", "住所", "行政区划代码", "联系电话"]
    header += ["成立日期", "注册资本", "信用等级"]
    for column, name in enumerate(header, start=1):
        ws.cell(row=2, column=column, value=name)
    rows = {
        # codes and phone numbers typed as numbers, a real date cell
        3: [
            "法人",
            "亳州市华佗大药房有限公司",
            uscc(8100001),
            "张三",
            "安徽省亳州市谯城区人民路1号",
            341602,
            13800138000,
            datetime(2019, 3, 5),
            "500万元",
            "A",
        ],
        # text cells, a Chinese date, an amount typed as a decimal number, a lower-case class
        4: [
            "法人",
            "亳州市神农中药饮片有限公司",
            uscc(8100002),
            "李四",
            "安徽省亳州市谯城区药都大道8号",
            "341602",
            "0558-5512345",
            "2020年1月2日",
            1234.5,
            "b",
        ],
        5: [
            "法人",
            "坏代码药店",
            uscc(8100003)[:-1] + ("0" if uscc(8100003)[-1] != "0" else "1"),
            "王五",
            "地址",
            341602,
            None,
            None,
            None,
            "A",
        ],  # wrong check character
        6: ["法人", "坏日期药店", uscc(8100004), "赵六", "地址", 341602, None, "2023-02-30", None, None],
        8: ["法人", None, uscc(8100005), "孙七", "地址", 341602, None, None, None, None],  # no name
        9: ["法人", "外省区划药店", uscc(8100006), "周八", "地址", 999999, None, None, None, None],
        # full-width letters and doubled spaces, standardised on the way in
        10: ["企业", "亳州市ＡＢＣ  大药房", uscc(8100007), "吴九", "地址", 341602, None, None, None, "Ｂ"],
        # the same object as row 3 again: the later row wins
        11: [
            "法人",
            "亳州市华佗大药房有限公司",
            uscc(8100001),
            "张三",
            "安徽省亳州市谯城区人民路1号",
            341602,
            13800138000,
            datetime(2019, 3, 5),
            "500万元",
            "C",
        ],
    }
    for row, values in rows.items():
        for column, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(row=row, column=column, value=value)
    ws.cell(row=3, column=8).number_format = "yyyy-mm-dd"
    ws.cell(row=11, column=8).number_format = "yyyy/m/d"
    wb.save(Path(__file__).with_name("objects.xlsx"))


if __name__ == "__main__":
    main()
