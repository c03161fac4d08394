"""risk-svc: complaint hot spots as features, and model escalations (conditions that raise a warning's level)

Revision ID: risk_svc_0005
Revises: risk_svc_0004
Create Date: 2026-11-22 13:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "risk_svc_0005"
down_revision = "risk_svc_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_hotspots",
        sa.Column("dimension", sa.String(16), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("hotspot_id", sa.Uuid(), nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False, comment="0 cooled, 1 hot, 2 hot and growing"),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("previous_count", sa.Integer(), nullable=False),
        sa.Column("growth", sa.Double(), nullable=True),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=True),
        sa.Column("industry_code", sa.String(8), nullable=True),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("dimension", "key", name="pk_risk_hotspots"),
    )
    op.create_index(
        "ix_risk_hotspots_hot", "risk_hotspots", ["dimension", "key"], postgresql_where=sa.text("level > 0")
    )
    op.add_column(
        "risk_model_versions",
        sa.Column(
            "escalations",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
            comment="Conditions that raise the level of a warning the version raises.",
        ),
    )


def downgrade() -> None:
    op.drop_column("risk_model_versions", "escalations")
    op.drop_index("ix_risk_hotspots_hot", table_name="risk_hotspots")
    op.drop_table("risk_hotspots")
