"""catalog-svc: supervision items

Revision ID: catalog_svc_0001
Revises:
Create Date: 2026-11-21 22:00
"""

import sqlalchemy as sa
from alembic import op

revision = "catalog_svc_0001"
down_revision = None
branch_labels = ("catalog_svc",)
depends_on = None

ITEM_TYPE = ("administrative_inspection", "administrative_penalty", "enforcement_measure", "other")
LEVEL = ("national", "province", "city", "county")
STATUS = ("draft", "published", "abolished")


def upgrade() -> None:
    op.create_table(
        "supervision_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(14), nullable=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("item_type", sa.Enum(*ITEM_TYPE, name="item_type"), nullable=False),
        sa.Column("supervision_level", sa.Enum(*LEVEL, name="supervision_level"), nullable=False),
        sa.Column("implementing_department", sa.String(200), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("status", sa.Enum(*STATUS, name="item_status"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_supervision_items"),
        sa.UniqueConstraint("code", name="uq_supervision_items_code"),
    )
    op.create_index("ix_supervision_items_name", "supervision_items", ["name"])
    op.create_index("ix_supervision_items_region_code", "supervision_items", ["region_code"])


def downgrade() -> None:
    op.drop_table("supervision_items")
    for enum in ("item_status", "supervision_level", "item_type"):
        sa.Enum(name=enum).drop(op.get_bind(), checkfirst=True)
