"""datahub-svc: supervised-object library, merge audit, idempotency keys, import jobs

Revision ID: datahub_svc_0002
Revises: datahub_svc_0001
Create Date: 2026-11-21 23:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "datahub_svc_0002"
down_revision = "datahub_svc_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # pg_trgm serves Latin text (codes, pinyin); a database created with the C ctype (as the embedded
    # server's are) makes it skip Chinese characters, so Chinese names are matched on bigram tsvectors.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "supervised_objects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("identity_key", sa.String(400), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), server_default="active", nullable=False),
        sa.Column("merged_into", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=True),
        sa.Column("owner_uscc", sa.String(18), nullable=True),
        sa.Column("code", sa.String(100), nullable=True),
        sa.Column("id_number", sa.String(18), nullable=True),
        sa.Column("id_number_masked", sa.String(18), nullable=True),
        sa.Column("legal_representative", sa.String(100), nullable=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("department_name", sa.String(200), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("phone_masked", sa.String(20), nullable=True),
        sa.Column("industry_code", sa.String(10), nullable=True),
        sa.Column("business_traits", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("supervision_focus", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("credit_class", sa.String(1), nullable=True),
        sa.Column("attributes", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("lineage", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("search_vector", postgresql.TSVECTOR(), nullable=True),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_supervised_objects"),
        sa.UniqueConstraint("identity_key", name="uq_supervised_objects_identity_key"),
        sa.ForeignKeyConstraint(
            ["merged_into"], ["supervised_objects.id"], name="fk_supervised_objects_merged_into_supervised_objects"
        ),
    )
    op.create_index("ix_supervised_objects_uscc", "supervised_objects", ["uscc"])
    op.create_index("ix_supervised_objects_owner_uscc", "supervised_objects", ["owner_uscc"])
    op.create_index("ix_supervised_objects_region_code", "supervised_objects", ["region_code"])
    op.create_index("ix_supervised_objects_department_id", "supervised_objects", ["department_id"])
    op.create_index("ix_supervised_objects_kind_region", "supervised_objects", ["kind", "region_code"])
    op.create_index(
        "ix_supervised_objects_search_vector", "supervised_objects", ["search_vector"], postgresql_using="gin"
    )
    op.create_table(
        "object_merge_audit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("surviving_object_id", sa.Uuid(), nullable=False),
        sa.Column("merged_object_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_object_merge_audit"),
        sa.ForeignKeyConstraint(
            ["surviving_object_id"],
            ["supervised_objects.id"],
            name="fk_object_merge_audit_surviving_object_id_supervised_objects",
        ),
        sa.ForeignKeyConstraint(
            ["merged_object_id"],
            ["supervised_objects.id"],
            name="fk_object_merge_audit_merged_object_id_supervised_objects",
        ),
    )
    op.create_index("ix_object_merge_audit_surviving_object_id", "object_merge_audit", ["surviving_object_id"])
    op.create_index("ix_object_merge_audit_merged_object_id", "object_merge_audit", ["merged_object_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("route", sa.String(200), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("principal", "key", name="pk_idempotency_keys"),
    )
    op.create_table(
        "ingest_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("library", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("file_format", sa.String(10), nullable=False),
        sa.Column("encoding", sa.String(20), nullable=True),
        sa.Column("default_kind", sa.String(20), nullable=True),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_accepted", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("ignored_columns", postgresql.JSONB(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_jobs"),
    )
    op.create_index("ix_ingest_jobs_status", "ingest_jobs", ["status"])
    op.create_table(
        "ingest_row_errors",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_row_errors"),
        sa.ForeignKeyConstraint(
            ["job_id"], ["ingest_jobs.id"], name="fk_ingest_row_errors_job_id_ingest_jobs", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_ingest_row_errors_job_id", "ingest_row_errors", ["job_id"])


def downgrade() -> None:
    op.drop_table("ingest_row_errors")
    op.drop_table("ingest_jobs")
    op.drop_table("idempotency_keys")
    op.drop_table("object_merge_audit")
    op.drop_table("supervised_objects")
