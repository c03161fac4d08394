"""complaint-svc: hot spots found among recent complaints (published to risk-svc), index on receipt time

Revision ID: complaint_svc_0003
Revises: complaint_svc_0002
Create Date: 2026-11-22 13:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "complaint_svc_0003"
down_revision = "complaint_svc_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaint_hotspots",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("industry_code", sa.String(length=20), nullable=True),
        sa.Column("hot", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("previous_count", sa.Integer(), nullable=False),
        sa.Column("growth", sa.Float(), nullable=True),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column(
            "published_count",
            sa.Integer(),
            nullable=False,
            comment="The count the last detected/grown event carried.",
        ),
        sa.Column("categories", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("complaint_ids", postgresql.ARRAY(sa.String(length=36)), nullable=False),
        sa.Column("object", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cooled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_hotspots")),
        sa.UniqueConstraint("dimension", "key", name=op.f("uq_complaint_hotspots_dimension")),
    )
    op.create_index(
        "ix_complaint_hotspots_hot",
        "complaint_hotspots",
        ["dimension", "count"],
        unique=False,
        postgresql_where=sa.text("hot"),
    )
    op.create_index("ix_complaints_received", "complaints", ["received_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_complaints_received", table_name="complaints")
    op.drop_table("complaint_hotspots")
