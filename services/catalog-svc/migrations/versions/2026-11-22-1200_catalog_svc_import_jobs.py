"""catalog-svc: import jobs read spooled files; per-row errors and change reports in their own tables

The import_jobs table of catalog_svc_0002 (file content in the row, errors in a JSON column) was
never used; it is replaced.

Revision ID: catalog_svc_0004
Revises: catalog_svc_0003
Create Date: 2026-11-22 12:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "catalog_svc_0004"
down_revision = "catalog_svc_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("import_jobs")
    sa.Enum(name="import_format").drop(op.get_bind(), checkfirst=True)
    pg.ENUM("items", "mappings", name="import_kind").create(op.get_bind(), checkfirst=True)
    pg.ENUM("added", "changed", "removed", name="import_change_type").create(op.get_bind(), checkfirst=True)
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", pg.ENUM(name="import_kind", create_type=False), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("encoding", sa.String(20), nullable=True),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("list_region", sa.String(6), nullable=False),
        sa.Column("remove_missing", sa.Boolean(), nullable=False),
        sa.Column("status", pg.ENUM(name="import_job_status", create_type=False), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_accepted", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("ignored_columns", pg.JSONB(), nullable=False),
        sa.Column("previous_job_id", sa.Uuid(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.String(6), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_import_jobs"),
    )
    op.create_index("ix_import_jobs_file_sha256", "import_jobs", ["file_sha256"])
    op.create_index("ix_import_jobs_list", "import_jobs", ["kind", "source", "list_region", "created_at"])
    op.create_table(
        "import_row_errors",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_import_row_errors"),
        sa.ForeignKeyConstraint(
            ["job_id"], ["import_jobs.id"], name="fk_import_row_errors_job_id_import_jobs", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_import_row_errors_job_row", "import_row_errors", ["job_id", "row_number"])
    op.create_table(
        "import_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("change", pg.ENUM(name="import_change_type", create_type=False), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("target_code", sa.String(64), nullable=True),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column("fields", pg.ARRAY(sa.String(60)), nullable=False, server_default="{}"),
        sa.Column("detail", pg.JSONB(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_import_changes"),
        sa.ForeignKeyConstraint(
            ["job_id"], ["import_jobs.id"], name="fk_import_changes_job_id_import_jobs", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_import_changes_job_change", "import_changes", ["job_id", "change", "id"])


def downgrade() -> None:
    op.drop_table("import_changes")
    op.drop_table("import_row_errors")
    op.drop_table("import_jobs")
    sa.Enum(name="import_change_type").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="import_kind").drop(op.get_bind(), checkfirst=True)
    import_format = pg.ENUM("csv", "json", name="import_format")
    import_format.create(op.get_bind(), checkfirst=True)
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("format", pg.ENUM(name="import_format", create_type=False), nullable=False),
        sa.Column("encoding", sa.String(20), nullable=True),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("status", pg.ENUM(name="import_job_status", create_type=False), nullable=False),
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
