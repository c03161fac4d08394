"""Rows of list files: column names (English field names or the Chinese headings of provincial sheets),
values (enum values or their Chinese names) and the checks of one row, with every error it has.

Pure functions without database access; they run in a worker thread, chunk by chunk.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from catalog_svc.coding import validators
from catalog_svc.coding.validators import prefix_and_sequence
from catalog_svc.items.kinds import ItemKind, ObjectType, SupervisionMethod
from catalog_svc.laws.citations import legal_basis_refs
from supervision_schemas.catalog import ItemType, SupervisionLevel
from supervision_schemas.identifiers import normalise_text, validate_region_code, validate_uscc

RowError = tuple[int, str, str]
NATIONAL_REGIONS = frozenset({"000000", "100000"})

# Field name -> the headings that name it (besides the field name itself).
ITEM_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("事项编码", "监管事项编码", "监管事项目录编码", "子项编码", "编码"),
    "parent_code": ("主项编码", "上级事项编码"),
    "name": ("事项名称", "监管事项名称", "子项名称", "监管事项"),
    "main_item_name": ("主项名称",),
    "item_type": ("事项类型", "监管类型"),
    "supervision_level": ("监管层级", "层级"),
    "implementing_department": ("实施部门", "实施主体", "监管部门"),
    "guiding_department": ("业务指导部门", "指导部门"),
    "department_id": ("部门标识",),
    "agency_uscc": ("实施主体统一社会信用代码", "实施部门统一社会信用代码", "统一社会信用代码"),
    "region_code": ("行政区划代码", "区划代码", "行政区划"),
    "domain": ("业务领域", "领域"),
    "supervision_methods": ("监管方式",),
    "measures": ("监管措施",),
    "object_types": ("监管对象类型", "监管对象类别"),
    "process": ("监管流程",),
    "result": ("监管结果",),
    "legal_basis": ("设定依据", "法定依据", "监管依据"),
    "random_check": ("是否随机抽查事项", "随机抽查事项", "是否随机抽查"),
}
MAPPING_COLUMNS: dict[str, tuple[str, ...]] = {
    "local_code": ("本地事项编码", "地方事项编码", "本级事项编码", "local_item_code"),
    "target_code": ("国家事项编码", "上级事项编码", "对应事项编码", "national_code", "target_item_code"),
}
REQUIRED_ITEM_COLUMNS = (
    "code",
    "name",
    "item_type",
    "supervision_level",
    "implementing_department",
    "region_code",
    "legal_basis",
)
REQUIRED_MAPPING_COLUMNS = ("local_code", "target_code")
CHINESE_HEADINGS = {name: names[0] for name, names in ITEM_COLUMNS.items()}

ITEM_TYPES: dict[str, ItemType] = {
    **{t.value: t for t in ItemType},
    "行政检查": ItemType.ADMINISTRATIVE_INSPECTION,
    "检查": ItemType.ADMINISTRATIVE_INSPECTION,
    "行政处罚": ItemType.ADMINISTRATIVE_PENALTY,
    "处罚": ItemType.ADMINISTRATIVE_PENALTY,
    "行政强制": ItemType.ENFORCEMENT_MEASURE,
    "行政强制措施": ItemType.ENFORCEMENT_MEASURE,
    "强制措施": ItemType.ENFORCEMENT_MEASURE,
    "其他": ItemType.OTHER,
    "其他行政权力": ItemType.OTHER,
    "其他监管": ItemType.OTHER,
}
LEVELS: dict[str, SupervisionLevel] = {
    **{v.value: v for v in SupervisionLevel},
    "国家": SupervisionLevel.NATIONAL,
    "国家级": SupervisionLevel.NATIONAL,
    "省": SupervisionLevel.PROVINCE,
    "省级": SupervisionLevel.PROVINCE,
    "市": SupervisionLevel.CITY,
    "市级": SupervisionLevel.CITY,
    "地市级": SupervisionLevel.CITY,
    "设区的市级": SupervisionLevel.CITY,
    "县": SupervisionLevel.COUNTY,
    "县级": SupervisionLevel.COUNTY,
    "区县级": SupervisionLevel.COUNTY,
}
METHODS: dict[str, SupervisionMethod] = {
    **{m.value: m for m in SupervisionMethod},
    "现场检查": SupervisionMethod.ON_SITE,
    "现场监管": SupervisionMethod.ON_SITE,
    "非现场检查": SupervisionMethod.NON_SITE,
    "非现场监管": SupervisionMethod.NON_SITE,
    "书面检查": SupervisionMethod.DOCUMENT_REVIEW,
    "书面审查": SupervisionMethod.DOCUMENT_REVIEW,
    "随机抽查": SupervisionMethod.RANDOM_CHECK,
    "双随机抽查": SupervisionMethod.RANDOM_CHECK,
    "重点监管": SupervisionMethod.KEY_SUPERVISION,
    "信用监管": SupervisionMethod.CREDIT_SUPERVISION,
    "联合检查": SupervisionMethod.JOINT_CHECK,
}
OBJECT_TYPES: dict[str, ObjectType] = {
    **{o.value: o for o in ObjectType},
    "法人": ObjectType.LEGAL_PERSON,
    "法人和其他组织": ObjectType.LEGAL_PERSON,
    "企业": ObjectType.LEGAL_PERSON,
    "自然人": ObjectType.NATURAL_PERSON,
    "特定自然人": ObjectType.NATURAL_PERSON,
    "设备": ObjectType.EQUIPMENT,
    "特种设备": ObjectType.EQUIPMENT,
    "产品": ObjectType.PRODUCT,
    "场所": ObjectType.SITE,
    "项目": ObjectType.PROJECT,
}
TRUE = frozenset({"true", "1", "yes", "y", "是", "√"})
FALSE = frozenset({"false", "0", "no", "n", "否", ""})
_LIST_SPLIT = re.compile(r"[;；、,，|\n]+")
_MEASURE_SPLIT = re.compile(r"[;；|\n]+")  # a measure may hold 、 or ， (查封、扣押)
_CODE_RE = re.compile(r"^\d{14}$")
_HEADING_NOISE = re.compile(r"[*＊]|[(（]\s*(必填|选填|可选)\s*[)）]")
LIMITS = {
    "name": 300,
    "main_item_name": 300,
    "implementing_department": 200,
    "guiding_department": 200,
    "domain": 60,
    "process": 8000,
    "result": 8000,
    "legal_basis": 4000,
}


def _lookup(columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out = {}
    for name, headings in columns.items():
        out[name] = name
        for heading in headings:
            out[heading.lower()] = name
    return out


_ITEM_LOOKUP = _lookup(ITEM_COLUMNS)
_MAPPING_LOOKUP = _lookup(MAPPING_COLUMNS)


def _heading(value: str) -> str:
    return _HEADING_NOISE.sub("", normalise_text(value.lstrip("\ufeff"))).strip().lower()


def item_field(heading: str) -> str | None:
    """The field a column heading names, or None for a column that is not imported."""
    return _ITEM_LOOKUP.get(_heading(heading))


def mapping_field(heading: str) -> str | None:
    return _MAPPING_LOOKUP.get(_heading(heading))


class ItemRow(NamedTuple):
    """One valid row of an item list, normalised (a tuple: it crosses from the checking process cheaply)."""

    row: int
    code: str
    parent_code: str | None
    kind: ItemKind
    name: str
    main_item_name: str | None
    item_type: ItemType
    supervision_level: SupervisionLevel
    implementing_department: str
    guiding_department: str | None
    department_id: uuid.UUID | None
    department_given: bool
    agency_uscc: str | None
    region_code: str
    domain: str | None
    supervision_methods: list[str]
    measures: list[str]
    object_types: list[str]
    process: str | None
    result: str | None
    legal_basis: str
    bases: list[tuple[str, str | None]]
    random_check: bool
    scheme_id: str
    scheme_version: int
    prefix: str
    sequence: int


@dataclass
class RowContext:
    """What checking a row needs besides the row: the list and the active code schemes."""

    national: bool
    list_prefix: str
    default_department: uuid.UUID | None
    schemes: list[dict[str, Any]]
    errors: list[RowError] = field(default_factory=list)


_CACHE_LIMIT = 50_000
_cleaned: dict[str, str | None] = {}


def cell_text(value: Any) -> str | None:
    """A cell as normalised text (NFKC, trimmed, inner whitespace collapsed), None when empty.

    Lists repeat most cells (departments, types, levels, laws), so cleaned short texts are cached.
    """
    if value is None:
        return None
    if isinstance(value, str):
        hit = _cleaned.get(value, _cleaned)
        if hit is not _cleaned:
            return hit  # type: ignore[return-value]
        text = normalise_text(value) or None
        if len(value) <= 300:
            if len(_cleaned) >= _CACHE_LIMIT:
                _cleaned.clear()
            _cleaned[value] = text
        return text
    if isinstance(value, bool):
        return "true" if value else "false"
    return normalise_text(str(value)) or None


def _list(value: Any, split: re.Pattern[str] = _LIST_SPLIT) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        parts = [cell_text(v) for v in value]
    else:
        parts = [cell_text(p) for p in split.split(str(value))]
    return [p for p in parts if p]


def _enum_list(values: list[str], table: dict[str, Any], what: str) -> tuple[list[str], str | None]:
    out, unknown = [], []
    for v in values:
        member = table.get(v) or table.get(v.lower())
        if member is None:
            unknown.append(v)
        elif member.value not in out:
            out.append(member.value)
    if unknown:
        return (
            out,
            f"unknown {what} {', '.join(unknown)}; allowed: {', '.join(sorted({m.value for m in table.values()}))}",
        )
    return out, None


_lists: dict[tuple[str, str], Any] = {}


def _cached_list(value: Any, split: re.Pattern[str]) -> list[str]:
    if not isinstance(value, str):
        return _list(value, split)
    key = (split.pattern, value)
    hit = _lists.get(key)
    if hit is None:
        if len(_lists) >= _CACHE_LIMIT:
            _lists.clear()
        hit = _lists[key] = _list(value, split)
    return list(hit)


def _cached_enum_list(value: Any, table: dict[str, Any], what: str) -> tuple[list[str], str | None]:
    if not isinstance(value, str):
        return _enum_list(_list(value), table, what)
    key = (what, value)
    hit = _lists.get(key)
    if hit is None:
        if len(_lists) >= _CACHE_LIMIT:
            _lists.clear()
        hit = _lists[key] = _enum_list(_list(value), table, what)
    return list(hit[0]), hit[1]


_bases: dict[str, list[tuple[str, str | None]]] = {}


def _legal_bases(text: str) -> list[tuple[str, str | None]]:
    hit = _bases.get(text)
    if hit is None:
        if len(_bases) >= _CACHE_LIMIT:
            _bases.clear()
        hit = _bases[text] = legal_basis_refs(text)
    return hit


_regions: dict[str, str | None] = {}


def _region_error(region: str) -> str | None:
    if region not in _regions:
        try:
            validate_region_code(region)
        except ValueError as exc:
            _regions[region] = str(exc)
        else:
            _regions[region] = None
    return _regions[region]


def check_code(code: str, schemes: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, str | None]:
    """The first active scheme the code passes, or why none does."""
    if not _CODE_RE.match(code):
        return None, "must be 14 digits (监管事项目录编码)"
    messages = []
    for scheme in schemes:
        found = validators.run(code, scheme)
        if not found:
            return scheme, None
        messages.append(f"{scheme['scheme_id']} v{scheme['version']}: {'; '.join(found)}")
    return None, "; ".join(messages) or "no active code scheme for items"


def parse_item(values: dict[str, Any], row: int, ctx: RowContext) -> ItemRow | None:
    """Check one row; every problem is added to `ctx.errors` and the row is refused as a whole."""
    errors: list[RowError] = []

    def fail(field_name: str, reason: str) -> None:
        errors.append((row, field_name, reason))

    text = {k: cell_text(values.get(k)) for k in LIMITS}
    for key, limit in LIMITS.items():
        value = text[key]
        if value is not None and len(value) > limit:
            fail(key, f"is longer than {limit} characters")
    for key in ("name", "implementing_department"):
        if not text[key]:
            fail(key, "is required")

    code = cell_text(values.get("code")) or ""
    scheme = None
    if not code:
        fail("code", "is required (14-digit 监管事项目录编码)")
    else:
        scheme, message = check_code(code, ctx.schemes)
        if message:
            fail("code", message)
    parent_code = cell_text(values.get("parent_code"))
    if parent_code is not None:
        if not _CODE_RE.match(parent_code):
            fail("parent_code", "must be the 14-digit code of the main item")
        elif parent_code == code:
            fail("parent_code", "an item cannot be its own main item")

    raw_type = cell_text(values.get("item_type"))
    item_type = ITEM_TYPES.get(raw_type or "") or ITEM_TYPES.get((raw_type or "").lower())
    if item_type is None:
        allowed = ", ".join(t.value for t in ItemType)
        fail("item_type", f"{'is required' if not raw_type else f'unknown type {raw_type!r}'}; allowed: {allowed}")
    raw_level = cell_text(values.get("supervision_level"))
    level = LEVELS.get(raw_level or "") or LEVELS.get((raw_level or "").lower())
    if level is None:
        allowed = ", ".join(v.value for v in SupervisionLevel)
        fail(
            "supervision_level",
            f"{'is required' if not raw_level else f'unknown level {raw_level!r}'}; allowed: {allowed}",
        )

    region = cell_text(values.get("region_code")) or ""
    if not region:
        fail("region_code", "is required (GB/T 2260)")
    elif region in NATIONAL_REGIONS:
        if not ctx.national:
            fail("region_code", f"{region} stands for the whole country: only the national list uses it")
    elif (message := _region_error(region)) is not None:
        fail("region_code", message)
    elif not region.startswith(ctx.list_prefix):
        fail("region_code", f"region {region} lies outside the list's region")

    uscc = cell_text(values.get("agency_uscc"))
    if uscc is not None:
        try:
            uscc = validate_uscc(uscc)
        except ValueError as exc:
            fail("agency_uscc", str(exc))

    department_id = ctx.default_department
    raw_department = cell_text(values.get("department_id"))
    if raw_department is not None:
        try:
            department_id = uuid.UUID(raw_department)
        except ValueError:
            fail("department_id", "must be a department id (UUID)")

    methods, message = _cached_enum_list(values.get("supervision_methods"), METHODS, "supervision methods")
    if message:
        fail("supervision_methods", message)
    objects, message = _cached_enum_list(values.get("object_types"), OBJECT_TYPES, "object types")
    if message:
        fail("object_types", message)
    measures = _cached_list(values.get("measures"), _MEASURE_SPLIT)
    if len(measures) > 50:
        fail("measures", "at most 50 measures")

    raw_random = cell_text(values.get("random_check")) or ""
    random_check = raw_random.lower() in TRUE
    if not random_check and raw_random.lower() not in FALSE:
        fail("random_check", f"{raw_random!r} is not yes/no (是/否, true/false)")

    legal_basis = text["legal_basis"]
    bases = _legal_bases(legal_basis) if legal_basis else []
    if not bases:
        fail(
            "legal_basis",
            "an item needs its legal basis (设定依据) naming a law, e.g. 《中华人民共和国食品安全法》第一百一十条",
        )
    elif any(len(t) > 300 or (a is not None and len(a) > 100) for t, a in bases):
        fail("legal_basis", "a law title is longer than 300 or an article longer than 100 characters")

    if errors:
        ctx.errors.extend(errors)
        return None
    assert scheme is not None
    assert item_type is not None
    assert level is not None
    assert legal_basis is not None
    prefix, sequence = prefix_and_sequence(code, scheme)
    return ItemRow(
        row=row,
        code=code,
        parent_code=parent_code,
        kind=ItemKind.SUB if parent_code else ItemKind.MAIN,
        name=text["name"] or "",
        main_item_name=text["main_item_name"],
        item_type=item_type,
        supervision_level=level,
        implementing_department=text["implementing_department"] or "",
        guiding_department=text["guiding_department"],
        department_id=department_id,
        department_given=raw_department is not None,
        agency_uscc=uscc,
        region_code=region,
        domain=text["domain"],
        supervision_methods=methods,
        measures=measures,
        object_types=objects,
        process=text["process"],
        result=text["result"],
        legal_basis=legal_basis,
        bases=bases,
        random_check=random_check,
        scheme_id=scheme["scheme_id"],
        scheme_version=scheme["version"],
        prefix=prefix,
        sequence=sequence,
    )


@dataclass(slots=True)
class MappingRow:
    row: int
    local_code: str
    target_code: str


def parse_mapping(values: dict[str, Any], row: int, errors: list[RowError]) -> MappingRow | None:
    found: list[RowError] = []
    codes = {}
    for key in ("local_code", "target_code"):
        code = cell_text(values.get(key)) or ""
        if not code:
            found.append((row, key, "is required (14-digit item code)"))
        elif not _CODE_RE.match(code):
            found.append((row, key, "must be 14 digits (监管事项目录编码)"))
        codes[key] = code
    if not found and codes["local_code"] == codes["target_code"]:
        found.append((row, "target_code", "an item cannot map to itself"))
    if found:
        errors.extend(found)
        return None
    return MappingRow(row, codes["local_code"], codes["target_code"])
