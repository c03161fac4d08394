"""The set-based statements of an item import: a chunk's checked rows are COPYed into a temporary
staging table, and the items, their versions, code allocations and the change report are written
from it inside PostgreSQL (legal bases and events are COPYed from Python). The items a chunk adds
are reported by one row of arrays (`ADDED`), the changed ones by a line each (`CHANGES`).

Version snapshots built here are `ItemRead` documents, as the API writes them (a test compares
them with GET /v1/items/{id}). Events are not built here: the job stages them through
`svc_runtime.outbox.stage_rows`.
"""

from __future__ import annotations

COMPARED = (
    "kind",
    "parent_id",
    "name",
    "main_item_name",
    "item_type",
    "supervision_level",
    "implementing_department",
    "guiding_department",
    "department_id",
    "agency_uscc",
    "region_code",
    "domain",
    "supervision_methods",
    "measures",
    "object_types",
    "process",
    "result",
    "legal_basis",
    "random_check",
)
ITEM_COLUMNS = (
    "id",
    *COMPARED,
    "code",
    "status",
    "version",
    "source",
    "import_key",
    "published_at",
    "created_at",
    "modified_at",
)
STAGE_COLUMNS = (
    *ITEM_COLUMNS,
    "is_new",
    "row_number",
    "parent_code",
    "prefix",
    "sequence",
    "scheme_id",
    "scheme_version",
    "changed",
    "detail",
    "rebase",
    "bases",
    "created_text",
    "published_text",
    "methods_json",
    "measures_json",
    "objects_json",
)
STAGE_DDL = """
    CREATE TEMP TABLE IF NOT EXISTS catalog_import_stage (
        id uuid, kind item_kind, parent_id uuid, name varchar(300), main_item_name varchar(300),
        item_type item_type, supervision_level supervision_level, implementing_department varchar(200),
        guiding_department varchar(200), department_id uuid, agency_uscc varchar(18), region_code varchar(6),
        domain varchar(60), supervision_methods text, measures text, object_types text,
        process text, result text, legal_basis text, random_check boolean, code varchar(14), status item_status,
        version integer, source item_source, import_key varchar(64), published_at timestamptz,
        created_at timestamptz, modified_at timestamptz, is_new boolean, row_number integer,
        parent_code varchar(14), prefix varchar(64), sequence integer, scheme_id varchar(60),
        scheme_version integer, changed text, detail jsonb, rebase boolean, bases jsonb,
        created_text text, published_text text, methods_json jsonb, measures_json jsonb, objects_json jsonb
    ) ON COMMIT DELETE ROWS
"""
# Array columns are staged as array literals (text, written once per distinct list by `array_literal`):
# asyncpg's binary encoding of arrays (type checks per element) is a large part of encoding a staged row.
# The version snapshot takes them as JSON, staged beside them (casting text to an array, then to JSON, per
# row costs the database more than reading the JSON).
ARRAYS = {"supervision_methods": "varchar(40)[]", "measures": "text[]", "object_types": "varchar(40)[]"}


def _staged(column: str) -> str:
    return f"s.{column}::{ARRAYS[column]}" if column in ARRAYS else f"s.{column}"


_UPDATED = [c for c in ITEM_COLUMNS if c not in ("id", "code", "import_key", "source", "created_at", "published_at")]
# New items are a plain insert (no speculative insertion: their ids are fresh, their codes were checked free).
INSERT_NEW = f"""
    INSERT INTO supervision_items ({", ".join(ITEM_COLUMNS)})
    SELECT {", ".join(_staged(c) for c in ITEM_COLUMNS)} FROM catalog_import_stage s WHERE s.is_new
"""
UPDATE_CHANGED = f"""
    UPDATE supervision_items i SET {", ".join(f"{c} = {_staged(c)}" for c in _UPDATED)}
    FROM catalog_import_stage s WHERE i.id = s.id AND NOT s.is_new
"""


def array_literal(values: list[str]) -> str:
    """A PostgreSQL array literal of text values, every element quoted."""
    quoted = (v.replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return "{" + ",".join(f'"{v}"' for v in quoted) + "}"


ALLOCATE = """
    INSERT INTO code_allocations (code, target, prefix, sequence, scheme_id, scheme_version, record_id)
    SELECT code, 'item', prefix, sequence, scheme_id, scheme_version, id FROM catalog_import_stage WHERE is_new
    ON CONFLICT (code) DO NOTHING
"""
DROP_BASES = """
    DELETE FROM item_legal_bases b USING catalog_import_stage s WHERE b.item_id = s.id AND s.rebase AND NOT s.is_new
"""
CLOSE_VERSIONS = """
    UPDATE item_versions v SET valid_to = $1
    FROM catalog_import_stage s WHERE v.item_id = s.id AND NOT s.is_new AND v.valid_to IS NULL
"""
# $1 comment of a first version, $2 comment of an adjustment, $3 actor, $4 time
VERSIONS = """
    INSERT INTO item_versions (item_id, version, change, status, snapshot, comment, actor, created_at)
    SELECT s.id, s.version, (CASE WHEN s.is_new THEN 'imported' ELSE 'adjusted' END)::item_change_kind, s.status,
           jsonb_build_object(
               'id', s.id, 'kind', s.kind, 'parent_id', s.parent_id, 'code', s.code, 'name', s.name,
               'main_item_name', s.main_item_name, 'item_type', s.item_type,
               'supervision_level', s.supervision_level, 'implementing_department', s.implementing_department,
               'guiding_department', s.guiding_department, 'department_id', s.department_id,
               'agency_uscc', s.agency_uscc, 'region_code', s.region_code, 'domain', s.domain,
               'supervision_methods', s.methods_json, 'measures', s.measures_json, 'object_types', s.objects_json,
               'process', s.process, 'result', s.result,
               'legal_basis', s.legal_basis, 'legal_bases', s.bases, 'random_check', s.random_check,
               'status', s.status, 'version', s.version, 'source', s.source, 'published_at', s.published_text,
               'abolished_at', NULL, 'created_at', s.created_text
           ),
           CASE WHEN s.is_new THEN $1 ELSE $2 END, $3, $4
    FROM catalog_import_stage s
"""
# $1 job id: the changed items, one report line each (with the fields before and after)
CHANGES = """
    INSERT INTO import_changes (job_id, change, row_number, code, item_id, fields, detail)
    SELECT $1, 'changed', s.row_number, s.code, s.id, coalesce(s.changed::varchar(60)[], '{}'), s.detail
    FROM catalog_import_stage s WHERE NOT s.is_new
"""
# $1 job id: the added items of a chunk, one row for all of them (the report lists them when it is read)
ADDED = """
    INSERT INTO import_added_batches (job_id, row_numbers, codes, item_ids)
    SELECT $1, array_agg(s.row_number ORDER BY s.row_number), array_agg(s.code ORDER BY s.row_number),
           array_agg(s.id ORDER BY s.row_number)
    FROM catalog_import_stage s WHERE s.is_new
"""
