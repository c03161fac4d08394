"""datahub-svc: data quality errors fed back to providing departments; provider of behaviour records

Revision ID: datahub_svc_0007
Revises: datahub_svc_0006
Create Date: 2026-11-21 23:50
"""

import sqlalchemy as sa
from alembic import op

revision = "datahub_svc_0007"
down_revision = "datahub_svc_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quality_errors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("library", sa.String(30), nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("field", sa.String(100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=True),
        sa.Column("record_ref", sa.String(200), nullable=False),
        sa.Column("subject_key", sa.String(400), nullable=True),
        sa.Column("provider_department_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.String(6), nullable=True),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(10), server_default="open", nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_quality_errors"),
    )
    op.create_index(
        "uq_quality_errors_open_rule_record",
        "quality_errors",
        ["rule", "record_ref"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index("ix_quality_errors_provider_status", "quality_errors", ["provider_department_id", "status"])
    op.create_index(
        "ix_quality_errors_open_record", "quality_errors", ["record_id"], postgresql_where=sa.text("status = 'open'")
    )
    op.create_index(
        "ix_quality_errors_open_subject",
        "quality_errors",
        ["library", "subject_key"],
        postgresql_where=sa.text("status = 'open' AND subject_key IS NOT NULL"),
    )
    op.create_index("ix_quality_errors_region_code", "quality_errors", ["region_code"])
    op.add_column("behaviour_records", sa.Column("provider_department_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    op.drop_column("behaviour_records", "provider_department_id")
    op.drop_table("quality_errors")
