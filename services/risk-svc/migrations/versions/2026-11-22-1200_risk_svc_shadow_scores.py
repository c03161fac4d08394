"""risk-svc: challengers' shadow scores (computed alongside the champion, never published)

Revision ID: risk_svc_0004
Revises: risk_svc_0003
Create Date: 2026-11-22 12:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "risk_svc_0004"
down_revision = "risk_svc_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_shadow_scores",
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("object_key", sa.String(120), nullable=False),
        sa.Column("model_key", sa.String(64), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("level", sa.String(8), nullable=True, comment="The level it would have raised; null: no warning."),
        sa.Column("rule_matched", sa.Boolean(), nullable=False),
        sa.Column("features", postgresql.JSONB(), nullable=False),
        sa.Column("trigger_event_id", sa.String(200), nullable=False),
        sa.Column("first_scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("times", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["risk_model_versions.id"], name="fk_risk_shadow_scores_version_id_risk_model_versions"
        ),
        sa.PrimaryKeyConstraint("version_id", "object_key", name="pk_risk_shadow_scores"),
    )
    op.create_index("ix_risk_shadow_scores_model", "risk_shadow_scores", ["model_key", "object_key"])


def downgrade() -> None:
    op.drop_table("risk_shadow_scores")
