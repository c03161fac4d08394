"""catalog-svc: main/sub items, versions, code schemes and allocations, law library, inspection lists, imports

Revision ID: catalog_svc_0002
Revises: catalog_svc_0001
Create Date: 2026-11-22 10:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "catalog_svc_0002"
down_revision = "catalog_svc_0001"
branch_labels = None
depends_on = None

NEW_STATUSES = ("submitted", "returned", "approved", "adjusted")
LEVEL = ("national", "province", "city", "county")

ITEM_SCHEME_SEGMENTS = [
    {"name": "region", "length": 6, "source": "region_code", "description": "GB/T 2260 code of the owning region"},
    {
        "name": "item_type",
        "length": 2,
        "source": "item_type",
        "map": {
            "administrative_inspection": "01",
            "administrative_penalty": "02",
            "enforcement_measure": "03",
            "other": "09",
        },
    },
    {
        "name": "main_sequence",
        "length": 4,
        "source": "sequence",
        "description": "main item number within region and type",
    },
    {"name": "sub_sequence", "length": 2, "source": "sub_sequence", "description": "00 for a main item"},
]
LIST_SCHEME_SEGMENTS = [
    {"name": "agency_uscc", "length": 18, "source": "agency_uscc", "description": "implementing agency's USCC"},
    {
        "name": "level",
        "length": 1,
        "source": "level_digit",
        "description": "1 national, 2 province, 3 city, 4 county, 5 township",
    },
    {"name": "sequence", "length": 5, "source": "sequence"},
]


def _enum(name: str, *values: str) -> pg.ENUM:
    return pg.ENUM(*values, name=name, create_type=False)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for value in NEW_STATUSES:
        op.execute(f"ALTER TYPE item_status ADD VALUE IF NOT EXISTS '{value}'")
    enums = {
        "item_kind": ("main", "sub"),
        "item_source": ("local", "provincial", "national"),
        "item_change_kind": (
            "created",
            "updated",
            "submitted",
            "approved",
            "returned",
            "published",
            "adjusted",
            "abolished",
            "imported",
        ),
        "mapping_basis": ("same_legal_basis", "manual", "imported"),
        "code_target": ("item", "inspection_list"),
        "article_status": ("in_force", "amended", "repealed", "reinterpreted"),
        "article_change": ("amend", "repeal", "interpret"),
        "adjustment_task_status": ("open", "resolved"),
        "implementation_level": ("national", "province", "city", "county", "township"),
        "inspection_method": ("on_site", "non_site", "document_review"),
        "inspection_list_status": ("draft", "published", "abolished"),
        "import_format": ("csv", "json"),
        "import_job_status": ("queued", "running", "done", "failed"),
    }
    for name, values in enums.items():
        pg.ENUM(*values, name=name).create(op.get_bind(), checkfirst=True)

    op.create_table(
        "laws",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("document_number", sa.String(100), nullable=True),
        sa.Column("issuer", sa.String(200), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_laws"),
        sa.UniqueConstraint("title", name="uq_laws_title"),
    )
    op.create_table(
        "law_articles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("law_id", sa.Uuid(), nullable=False),
        sa.Column("article", sa.String(100), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("status", _enum("article_status"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_law_articles"),
        sa.ForeignKeyConstraint(["law_id"], ["laws.id"], name="fk_law_articles_law_id_laws"),
        sa.UniqueConstraint("law_id", "article", name="uq_law_articles_law_id_article"),
    )
    op.create_index("ix_law_articles_law_id", "law_articles", ["law_id"])

    with op.batch_alter_table("supervision_items") as t:
        t.add_column(sa.Column("kind", _enum("item_kind"), nullable=False, server_default="main"))
        t.add_column(sa.Column("parent_id", sa.Uuid(), nullable=True))
        t.add_column(sa.Column("main_item_name", sa.String(300), nullable=True))
        t.add_column(sa.Column("guiding_department", sa.String(200), nullable=True))
        t.add_column(sa.Column("department_id", sa.Uuid(), nullable=True))
        t.add_column(sa.Column("agency_uscc", sa.String(18), nullable=True))
        t.add_column(sa.Column("domain", sa.String(60), nullable=True))
        t.add_column(sa.Column("supervision_methods", pg.ARRAY(sa.String(40)), nullable=False, server_default="{}"))
        t.add_column(sa.Column("measures", pg.ARRAY(sa.Text()), nullable=False, server_default="{}"))
        t.add_column(sa.Column("object_types", pg.ARRAY(sa.String(40)), nullable=False, server_default="{}"))
        t.add_column(sa.Column("process", sa.Text(), nullable=True))
        t.add_column(sa.Column("result", sa.Text(), nullable=True))
        t.add_column(sa.Column("random_check", sa.Boolean(), nullable=False, server_default=sa.false()))
        t.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        t.add_column(sa.Column("source", _enum("item_source"), nullable=False, server_default="local"))
        t.add_column(sa.Column("import_key", sa.String(64), nullable=True))
        t.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        t.add_column(sa.Column("abolished_at", sa.DateTime(timezone=True), nullable=True))
        t.create_foreign_key(
            "fk_supervision_items_parent_id_supervision_items", "supervision_items", ["parent_id"], ["id"]
        )
        t.create_unique_constraint("uq_supervision_items_import_key", ["import_key"])
    op.create_index("ix_supervision_items_parent_id", "supervision_items", ["parent_id"])
    op.create_index("ix_supervision_items_department_id", "supervision_items", ["department_id"])
    op.create_index("ix_supervision_items_domain", "supervision_items", ["domain"])
    op.create_index("ix_supervision_items_status_level", "supervision_items", ["status", "supervision_level"])
    op.create_index(
        "ix_supervision_items_name_trgm",
        "supervision_items",
        ["name"],
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index("ix_supervision_items_object_types", "supervision_items", ["object_types"], postgresql_using="gin")

    op.create_table(
        "item_legal_bases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("law_id", sa.Uuid(), nullable=True),
        sa.Column("article_id", sa.Uuid(), nullable=True),
        sa.Column("law_title", sa.String(300), nullable=False),
        sa.Column("article", sa.String(100), nullable=True),
        sa.Column("clause", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_item_legal_bases"),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["supervision_items.id"],
            name="fk_item_legal_bases_item_id_supervision_items",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["law_id"], ["laws.id"], name="fk_item_legal_bases_law_id_laws"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["law_articles.id"], name="fk_item_legal_bases_article_id_law_articles"
        ),
    )
    op.create_index("ix_item_legal_bases_item_id", "item_legal_bases", ["item_id"])
    op.create_index("ix_item_legal_bases_law_id", "item_legal_bases", ["law_id"])
    op.create_index("ix_item_legal_bases_article_id", "item_legal_bases", ["article_id"])
    op.create_index("ix_item_legal_bases_law_article", "item_legal_bases", ["law_title", "article"])

    op.create_table(
        "item_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change", _enum("item_change_kind"), nullable=False),
        sa.Column("status", _enum("item_status"), nullable=False),
        sa.Column("snapshot", pg.JSONB(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_item_versions"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["supervision_items.id"], name="fk_item_versions_item_id_supervision_items", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("item_id", "version", name="uq_item_versions_item_id_version"),
    )
    op.create_index("ix_item_versions_item_created", "item_versions", ["item_id", "created_at"])

    op.create_table(
        "item_claims",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("department_name", sa.String(200), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("supervision_level", _enum("supervision_level"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_item_claims"),
        sa.ForeignKeyConstraint(["item_id"], ["supervision_items.id"], name="fk_item_claims_item_id_supervision_items"),
        sa.UniqueConstraint("item_id", "department_id", name="uq_item_claims_item_id_department_id"),
    )
    op.create_index("ix_item_claims_item_id", "item_claims", ["item_id"])

    op.create_table(
        "item_mappings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("local_item_id", sa.Uuid(), nullable=False),
        sa.Column("target_item_id", sa.Uuid(), nullable=False),
        sa.Column("basis", _enum("mapping_basis"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_item_mappings"),
        sa.ForeignKeyConstraint(
            ["local_item_id"], ["supervision_items.id"], name="fk_item_mappings_local_item_id_supervision_items"
        ),
        sa.ForeignKeyConstraint(
            ["target_item_id"], ["supervision_items.id"], name="fk_item_mappings_target_item_id_supervision_items"
        ),
        sa.UniqueConstraint("local_item_id", "target_item_id", name="uq_item_mappings_local_item_id_target_item_id"),
    )
    op.create_index("ix_item_mappings_local_item_id", "item_mappings", ["local_item_id"])
    op.create_index("ix_item_mappings_target_item_id", "item_mappings", ["target_item_id"])

    schemes = op.create_table(
        "code_schemes",
        sa.Column("scheme_id", sa.String(60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("target", _enum("code_target"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("min_length", sa.Integer(), nullable=False),
        sa.Column("max_length", sa.Integer(), nullable=False),
        sa.Column("segments", pg.JSONB(), nullable=False),
        sa.Column("validators", pg.JSONB(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("scheme_id", "version", name="pk_code_schemes"),
    )
    op.create_table(
        "code_allocations",
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("target", _enum("code_target"), nullable=False),
        sa.Column("prefix", sa.String(64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.String(60), nullable=False),
        sa.Column("scheme_version", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_code_allocations"),
    )
    op.create_index("ix_code_allocations_prefix", "code_allocations", ["prefix"])
    op.create_index("ix_code_allocations_record_id", "code_allocations", ["record_id"])
    op.bulk_insert(
        schemes,
        [
            {
                "scheme_id": "item-14",
                "version": 1,
                "target": "item",
                "name": "监管事项目录编码 (14 digits)",
                "description": "region(6) + item type(2) + main item sequence(4) + sub item sequence(2); layout [verify]",
                "min_length": 14,
                "max_length": 14,
                "segments": ITEM_SCHEME_SEGMENTS,
                "validators": ["digits", "length", "region_segment"],
                "active": True,
            },
            {
                "scheme_id": "inspection-list",
                "version": 1,
                "target": "inspection_list",
                "name": "检查实施清单编码",
                "description": "implementing agency USCC(18) + level digit 1-5 + sequence(5)",
                "min_length": 19,
                "max_length": 64,
                "segments": LIST_SCHEME_SEGMENTS,
                "validators": ["length", "uscc_prefix", "level_digit"],
                "active": True,
            },
        ],
    )

    op.create_table(
        "inspection_lists",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(64), nullable=True),
        sa.Column("level", _enum("implementation_level"), nullable=False),
        sa.Column("agency_uscc", sa.String(18), nullable=False),
        sa.Column("implementing_agency", sa.String(200), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("method", _enum("inspection_method"), nullable=False),
        sa.Column("basis", sa.Text(), nullable=True),
        sa.Column("frequency", sa.String(100), nullable=True),
        sa.Column("object_scope", sa.Text(), nullable=True),
        sa.Column("form", pg.JSONB(), nullable=False),
        sa.Column("status", _enum("inspection_list_status"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inspection_lists"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["supervision_items.id"], name="fk_inspection_lists_item_id_supervision_items"
        ),
        sa.UniqueConstraint("code", name="uq_inspection_lists_code"),
        sa.UniqueConstraint("item_id", "level", "agency_uscc", name="uq_inspection_lists_item_id_level_agency"),
    )
    op.create_index("ix_inspection_lists_item_id", "inspection_lists", ["item_id"])
    op.create_index("ix_inspection_lists_department_id", "inspection_lists", ["department_id"])
    op.create_index("ix_inspection_lists_region_code", "inspection_lists", ["region_code"])

    op.create_table(
        "adjustment_tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column("inspection_list_id", sa.Uuid(), nullable=True),
        sa.Column("article_id", sa.Uuid(), nullable=False),
        sa.Column("change", _enum("article_change"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("status", _enum("adjustment_task_status"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_adjustment_tasks"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["supervision_items.id"], name="fk_adjustment_tasks_item_id_supervision_items"
        ),
        sa.ForeignKeyConstraint(
            ["inspection_list_id"],
            ["inspection_lists.id"],
            name="fk_adjustment_tasks_inspection_list_id_inspection_lists",
        ),
        sa.ForeignKeyConstraint(
            ["article_id"], ["law_articles.id"], name="fk_adjustment_tasks_article_id_law_articles"
        ),
    )
    for column in ("item_id", "inspection_list_id", "article_id", "department_id", "region_code"):
        op.create_index(f"ix_adjustment_tasks_{column}", "adjustment_tasks", [column])

    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("format", _enum("import_format"), nullable=False),
        sa.Column("encoding", sa.String(20), nullable=True),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("status", _enum("import_job_status"), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("succeeded", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("errors", pg.JSONB(), nullable=False),
        sa.Column("report", pg.JSONB(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.String(6), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_import_jobs"),
    )
    op.create_index("ix_import_jobs_file_sha256", "import_jobs", ["file_sha256"])


def downgrade() -> None:
    for table in (
        "import_jobs",
        "adjustment_tasks",
        "inspection_lists",
        "code_allocations",
        "code_schemes",
        "item_mappings",
        "item_claims",
        "item_versions",
        "item_legal_bases",
    ):
        op.drop_table(table)
    for index in (
        "ix_supervision_items_object_types",
        "ix_supervision_items_name_trgm",
        "ix_supervision_items_status_level",
        "ix_supervision_items_domain",
        "ix_supervision_items_department_id",
        "ix_supervision_items_parent_id",
    ):
        op.drop_index(index, table_name="supervision_items")
    with op.batch_alter_table("supervision_items") as t:
        t.drop_constraint("uq_supervision_items_import_key", type_="unique")
        t.drop_constraint("fk_supervision_items_parent_id_supervision_items", type_="foreignkey")
        for column in (
            "kind",
            "parent_id",
            "main_item_name",
            "guiding_department",
            "department_id",
            "agency_uscc",
            "domain",
            "supervision_methods",
            "measures",
            "object_types",
            "process",
            "result",
            "random_check",
            "version",
            "source",
            "import_key",
            "published_at",
            "abolished_at",
        ):
            t.drop_column(column)
    op.drop_table("law_articles")
    op.drop_table("laws")
    # Values added to item_status stay (PostgreSQL cannot drop enum values); they are unused after downgrade.
