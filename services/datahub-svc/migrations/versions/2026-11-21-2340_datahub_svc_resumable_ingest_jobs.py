"""datahub-svc: import jobs that survive a restart (write scope kept, heartbeat, attempts)

Revision ID: datahub_svc_0006
Revises: datahub_svc_0005
Create Date: 2026-11-21 23:40
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "datahub_svc_0006"
down_revision = "datahub_svc_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ingest_jobs", sa.Column("write_scope", postgresql.JSONB(), nullable=True))
    op.add_column("ingest_jobs", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("ingest_jobs", sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("ingest_jobs", "attempts")
    op.drop_column("ingest_jobs", "heartbeat_at")
    op.drop_column("ingest_jobs", "write_scope")
