"""Preparing object rows for COPY: the fast path for clean cells gives exactly what the general path gives."""

from __future__ import annotations

import gc
import multiprocessing as mp
import random
import uuid
from concurrent.futures import ProcessPoolExecutor

import pytest

from datahub_svc.access import WriteScope
from datahub_svc.cleaning.standardise import search_document, tsvector_literal
from datahub_svc.objects.prepare import (
    OBJECT_ROW_RULES,
    CleanContext,
    ColumnIndex,
    _new_ids,
    clean_cells,
    clean_object,
    copy_line,
    init_worker,
    prepare_chunk,
    prepare_file_chunk,
    prepare_rows,
)
from datahub_svc.quality.rules import rules_of
from supervision_schemas.datahub import ObjectKind
from supervision_schemas.identifiers import uscc_check_char

COLUMNS = [
    "kind",
    "name",
    "uscc",
    "legal_representative",
    "address",
    "region_code",
    "phone",
    "industry_code",
    "credit_class",
    "established_on",
    "registered_capital",
    "business_traits",
    "code",
    "id_number",
    "equipment_type",
]


def uscc(n: int, region: str = "341602") -> str:
    first17 = f"91{region}MA{n:07d}"[:17]
    return first17 + uscc_check_char(first17)


def row(n: int, rnd: random.Random | None = None) -> list[str]:
    """A provider row, clean or with one of the traps providers send."""
    cells = [
        "法人",
        f"亳州市测试{n}号药房有限公司",
        uscc(n),
        "王五",
        f"安徽省亳州市谯城区人民路{n}号",
        "341602",
        f"1380013{n % 10000:04d}",
        "F52",
        "abcde"[n % 5],
        f"20{n % 24:02d}年{n % 12 + 1}月{n % 28 + 1}日",
        f"{n % 5000}万元",
        "",
        "",
        "",
        "",
    ]
    trap = rnd.randrange(24) if rnd is not None else -1
    if trap == 0:
        cells[1] = f"亳州市（测试）{n}号药房"  # full-width brackets
    elif trap == 1:
        cells[2] = cells[2].lower()
    elif trap == 2:
        cells[2] = cells[2][:-1] + ("A" if cells[2][-1] != "A" else "B")  # wrong check character
    elif trap == 3:
        cells[4] = "  谯城区  人民路 "
    elif trap == 4:
        cells[6] = "0558-5123456"
    elif trap == 5:
        cells[6] = "12345"
    elif trap == 6:
        cells[9] = "2023-02-29"
    elif trap == 7:
        cells[9] = "2019/3/5"
    elif trap == 8:
        cells[10] = "1,250.5元"
    elif trap == 9:
        cells[10] = "12.5万"
    elif trap == 10:
        cells[0] = "设备"
        cells[12] = f"LIFT-{n}"
        cells[14] = "elevator"
    elif trap == 11:
        cells[0] = "设施设备"
        cells[12] = f"LIFT-{n}"
    elif trap == 12:
        cells[0] = "自然人"
        cells[13] = "11010519491231002x"
    elif trap == 13:
        cells[11] = "中药饮片|药品零售,药品零售"
    elif trap == 14:
        cells[7] = "c27"
    elif trap == 15:
        cells[5] = "991600"
    elif trap == 16:
        cells[2] = ""
    elif trap == 17:
        cells[8] = "F"
    elif trap == 18:
        cells[1] = "ＡＢＣ商店"
    elif trap == 19:
        cells[0] = "unknown"
    elif trap == 20:
        cells[3] = "a\\b"  # a backslash must survive the COPY text format
    elif trap == 21:
        cells[2] = uscc(n, "110105")  # registered in another province
    return cells


@pytest.mark.parametrize("scope", [None, WriteScope(prefix="3416", department_id=None), WriteScope("3401", None)])
def test_fast_path_gives_what_the_general_path_gives(scope: WriteScope | None) -> None:
    rnd = random.Random(5)
    ix = ColumnIndex.of(COLUMNS)
    ctx = CleanContext(default_kind=None, source="test", scope_check=scope, provider_department_id=None)
    fast_taken = 0
    for n in range(3000):
        cells = row(n, rnd)
        slow, errors = clean_object(dict(zip(COLUMNS, cells, strict=True)), n, source="test", scope_check=scope)
        fast = clean_cells(cells, ix, n, ctx)
        if fast is not None:
            fast_taken += 1
            assert fast == slow, (cells, fast, slow)
        assert (slow is None) == bool(errors)
    # Outside the caller's region every row is refused, by the general path.
    assert fast_taken > 1000 if scope is None or scope.prefix == "3416" else fast_taken == 0


def test_default_kind_and_other_kinds_agree() -> None:
    ix = ColumnIndex.of(["name", "code", "region_code", "uscc"])
    for kind in ObjectKind:
        ctx = CleanContext(default_kind=kind)
        cells = ["1号客梯", "3110341602201900001", "341602", uscc(7)]
        slow, _ = clean_object(dict(zip(ix.columns, cells, strict=True)), 2, default_kind=kind)
        fast = clean_cells(cells, ix, 2, ctx)
        assert fast is None or fast == slow


def test_tsvector_literal_is_the_document_with_positions() -> None:
    doc = ("亳州市华佗中药饮片有限公司", "91341602MA0000001X", "SITE-QQ-1", "张三")
    tokens = search_document(*doc).split()
    assert tsvector_literal(*doc).split() == [f"{t}:{i}" for i, t in enumerate(tokens, start=1)]
    long = tsvector_literal("药" * 20_000).split()
    assert long[-1] == "药药:16383"


def test_copy_lines_escape_backslashes_and_mark_nulls() -> None:
    clean, _ = clean_object({"kind": "legal_person", "name": "a\\b", "region_code": "341602"}, 1)
    assert clean is not None
    line = copy_line("00000000-0000-4000-8000-000000000000", clean)
    fields = line.split("\t")
    assert fields[3] == "a\\\\b"
    assert fields[4] == "\\N"


def test_new_ids_are_distinct_version_4_uuids() -> None:
    ids = _new_ids(1000) + _new_ids(1000)
    assert len(set(ids)) == 2000
    assert {uuid.UUID(i).version for i in ids} == {4}


def test_prepare_keeps_the_last_row_of_an_object_and_reports_refusals() -> None:
    cells = [row(1), row(2), row(1)]
    cells[2][8] = "d"
    cells.append(["法人", "坏", "91341602MA0000001Z"] + [""] * (len(COLUMNS) - 3))
    records = [(n + 2, c, ()) for n, c in enumerate(cells)]
    result = prepare_chunk(CleanContext(), COLUMNS, records, "2026-01-01T00:00:00Z")
    assert (result.read, result.accepted, result.rejected) == (4, 3, 1)
    assert result.prepared.rows == [3, 4]
    assert {(e[0], e[1]) for e in result.errors} >= {(4, "identity"), (5, "uscc")}
    assert result.refused_subjects == {5: "name:坏"}
    assert result.prepared.select([1]) == result.prepared.lines[result.prepared.line_ends[0] :]


def test_a_worker_of_the_cleaning_pool_gives_the_same_rows_and_keeps_its_collector() -> None:
    rnd = random.Random(11)
    records = [(n + 2, row(n, rnd), ()) for n in range(400)]
    now = "2026-01-01T00:00:00Z"
    here = prepare_file_chunk(CleanContext(), COLUMNS, [records], now)
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=init_worker) as pool:
        there = pool.submit(prepare_file_chunk, CleanContext(), COLUMNS, [records], now).result()
        assert pool.submit(gc.isenabled).result()  # paused only while a chunk is cleaned

    def without_ids(data: bytes) -> list[bytes]:
        return [line.split(b"\t", 1)[1] for line in data.splitlines()]

    assert there.rejected > 0
    assert there.accepted > 200
    assert (there.read, there.accepted, there.rejected, there.errors) == (
        here.read,
        here.accepted,
        here.rejected,
        here.errors,
    )
    assert (there.prepared.rows, there.prepared.keys) == (here.prepared.rows, here.prepared.keys)
    assert without_ids(there.prepared.lines) == without_ids(here.prepared.lines)
    assert len(there.prepared.quality) == len(here.prepared.quality)
    assert gc.isenabled()


def test_row_rules_cover_the_objects_library_rules() -> None:
    assert set(OBJECT_ROW_RULES) == {r.id for r in rules_of("objects")}
    bare, _ = clean_object({"kind": "legal_person", "name": "无码店", "region_code": "341602"}, 1)
    assert bare is not None
    broken = {rule for rule, check in OBJECT_ROW_RULES.items() if check(bare)}
    assert broken == {
        "objects.completeness.uscc",
        "objects.completeness.legal_representative",
        "objects.completeness.address",
        "objects.completeness.industry_code",
    }
    prepared = prepare_rows([bare], "2026-01-01T00:00:00Z")
    assert len(prepared.quality) == 4
