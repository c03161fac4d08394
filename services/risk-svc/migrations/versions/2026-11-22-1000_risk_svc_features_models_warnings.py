"""risk-svc: feature buckets, object profiles, rebuilds, model versions, warnings, disposals

Revision ID: risk_svc_0002
Revises: risk_svc_0001
Create Date: 2026-11-22 10:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "risk_svc_0002"
down_revision = "risk_svc_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_feature_buckets",
        sa.Column("object_key", sa.String(120), nullable=False),
        sa.Column("feature", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("object_key", "feature", "day", name="pk_risk_feature_buckets"),
    )
    op.create_table(
        "risk_objects",
        sa.Column("object_key", sa.String(120), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=True),
        sa.Column("object_id", sa.String(100), nullable=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("industry_code", sa.String(8), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("department_name", sa.String(200), nullable=True),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("object_key", name="pk_risk_objects"),
    )
    op.create_index("ix_risk_objects_region_code", "risk_objects", ["region_code"])
    op.create_table(
        "risk_feature_rebuilds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("records_read", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_risk_feature_rebuilds"),
    )
    op.create_table(
        "risk_model_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("model_key", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("domain", sa.String(32), nullable=False),
        sa.Column("default_department", sa.String(200), nullable=False),
        sa.Column("features", postgresql.JSONB(), nullable=False),
        sa.Column("rule", postgresql.JSONB(), nullable=False),
        sa.Column("bands", postgresql.JSONB(), nullable=False),
        sa.Column("estimator", sa.String(32), nullable=False),
        sa.Column("artifact", sa.LargeBinary(), nullable=True),
        sa.Column("metrics", postgresql.JSONB(), nullable=False),
        sa.Column("training", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("flagged", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("flag_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_risk_model_versions"),
        sa.UniqueConstraint("model_key", "version", name="uq_risk_model_versions_key_version"),
    )
    op.create_index(
        "uq_risk_model_versions_champion",
        "risk_model_versions",
        ["model_key"],
        unique=True,
        postgresql_where=sa.text("status = 'champion'"),
    )
    op.create_table(
        "risk_warnings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("object_key", sa.String(120), nullable=False),
        sa.Column("model_key", sa.String(64), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("estimator", sa.String(32), nullable=False),
        sa.Column("rule_id", sa.String(100), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("domain", sa.String(32), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("object_name", sa.String(300), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=True),
        sa.Column("object_id", sa.String(100), nullable=True),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("industry_code", sa.String(8), nullable=True),
        sa.Column("responsible_department_id", sa.Uuid(), nullable=True),
        sa.Column("responsible_department", sa.String(200), nullable=False),
        sa.Column("evidence", postgresql.JSONB(), nullable=False),
        sa.Column("properties", postgresql.JSONB(), nullable=False),
        sa.Column("trigger_event_id", sa.String(200), nullable=False),
        sa.Column("update_count", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_risk_warnings"),
    )
    op.create_index(
        "uq_risk_warnings_open_object_model",
        "risk_warnings",
        ["object_key", "model_key"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index("ix_risk_warnings_region_code", "risk_warnings", ["region_code"])
    op.create_index("ix_risk_warnings_raised_at", "risk_warnings", ["raised_at"])
    op.create_table(
        "risk_disposals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("warning_id", sa.Uuid(), nullable=False),
        sa.Column("model_key", sa.String(64), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("label", sa.Boolean(), nullable=False),
        sa.Column("action", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("features", postgresql.JSONB(), nullable=False),
        sa.ForeignKeyConstraint(
            ["warning_id"], ["risk_warnings.id"], name="fk_risk_disposals_warning_id_risk_warnings"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_risk_disposals"),
        sa.UniqueConstraint("warning_id", name="uq_risk_disposals_warning_id"),
    )
    op.create_index("ix_risk_disposals_model", "risk_disposals", ["model_key", "recorded_at"])


def downgrade() -> None:
    op.drop_table("risk_disposals")
    op.drop_table("risk_warnings")
    op.drop_table("risk_model_versions")
    op.drop_table("risk_feature_rebuilds")
    op.drop_table("risk_objects")
    op.drop_table("risk_feature_buckets")
