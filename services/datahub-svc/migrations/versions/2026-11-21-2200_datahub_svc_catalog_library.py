"""datahub-svc: catalog library

Revision ID: datahub_svc_0001
Revises:
Create Date: 2026-11-21 22:00
"""

import sqlalchemy as sa
from alembic import op

revision = "datahub_svc_0001"
down_revision = None
branch_labels = ("datahub_svc",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_items",
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(14), nullable=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("item_type", sa.String(50), nullable=False),
        sa.Column("supervision_level", sa.String(20), nullable=False),
        sa.Column("implementing_department", sa.String(200), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("source_event_id", sa.String(200), nullable=False),
        sa.Column("source_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name="pk_catalog_items"),
    )
    op.create_index("ix_catalog_items_code", "catalog_items", ["code"])
    op.create_index("ix_catalog_items_name", "catalog_items", ["name"])
    op.create_index("ix_catalog_items_region_code", "catalog_items", ["region_code"])


def downgrade() -> None:
    op.drop_table("catalog_items")
