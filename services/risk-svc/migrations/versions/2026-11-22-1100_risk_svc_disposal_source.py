"""risk-svc: where each disposal feedback came from (this API or a joint-svc disposal task)

Revision ID: risk_svc_0003
Revises: risk_svc_0002
Create Date: 2026-11-22 11:00
"""

import sqlalchemy as sa
from alembic import op

revision = "risk_svc_0003"
down_revision = "risk_svc_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("risk_disposals", sa.Column("source", sa.String(100), nullable=False, server_default="/risk-svc"))


def downgrade() -> None:
    op.drop_column("risk_disposals", "source")
