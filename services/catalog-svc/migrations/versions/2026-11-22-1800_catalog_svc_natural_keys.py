"""catalog-svc: versions keyed by (item, version) and legal bases by (item, position)

Both had a surrogate uuid key beside the natural one, so every row kept one index more than it
needs; bulk imports write one row of each per item.

Revision ID: catalog_svc_0010
Revises: catalog_svc_0009
Create Date: 2026-11-22 18:00
"""

import sqlalchemy as sa
from alembic import op

revision = "catalog_svc_0010"
down_revision = "catalog_svc_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("pk_item_versions", "item_versions", type_="primary")
    op.drop_constraint("uq_item_versions_item_id_version", "item_versions", type_="unique")
    op.drop_column("item_versions", "id")
    op.create_primary_key("pk_item_versions", "item_versions", ["item_id", "version"])
    op.drop_constraint("pk_item_legal_bases", "item_legal_bases", type_="primary")
    op.drop_index("ix_item_legal_bases_item_id", table_name="item_legal_bases")
    op.drop_column("item_legal_bases", "id")
    op.create_primary_key("pk_item_legal_bases", "item_legal_bases", ["item_id", "position"])


def downgrade() -> None:
    op.drop_constraint("pk_item_legal_bases", "item_legal_bases", type_="primary")
    op.add_column(
        "item_legal_bases", sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False)
    )
    op.create_primary_key("pk_item_legal_bases", "item_legal_bases", ["id"])
    op.create_index("ix_item_legal_bases_item_id", "item_legal_bases", ["item_id"])
    op.drop_constraint("pk_item_versions", "item_versions", type_="primary")
    op.add_column(
        "item_versions", sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False)
    )
    op.create_primary_key("pk_item_versions", "item_versions", ["id"])
    op.create_unique_constraint("uq_item_versions_item_id_version", "item_versions", ["item_id", "version"])
