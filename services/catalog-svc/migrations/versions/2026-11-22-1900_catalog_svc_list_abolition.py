"""catalog-svc: inspection lists record when and why they were abolished

An abolished list no longer holds its place: the agency may draft a new list for the item and level
(which gets a new code; the old one stays retired).

Revision ID: catalog_svc_0011
Revises: catalog_svc_0010
Create Date: 2026-11-22 19:00
"""

import sqlalchemy as sa
from alembic import op

revision = "catalog_svc_0011"
down_revision = "catalog_svc_0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("inspection_lists", sa.Column("abolished_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("inspection_lists", sa.Column("abolished_reason", sa.Text(), nullable=True))
    op.drop_constraint("uq_inspection_lists_item_id_level_agency", "inspection_lists", type_="unique")
    op.create_index(
        "uq_inspection_lists_item_id_level_agency",
        "inspection_lists",
        ["item_id", "level", "agency_uscc"],
        unique=True,
        postgresql_where=sa.text("status <> 'abolished'"),
    )


def downgrade() -> None:
    op.drop_index("uq_inspection_lists_item_id_level_agency", table_name="inspection_lists")
    op.create_unique_constraint(
        "uq_inspection_lists_item_id_level_agency", "inspection_lists", ["item_id", "level", "agency_uscc"]
    )
    op.drop_column("inspection_lists", "abolished_reason")
    op.drop_column("inspection_lists", "abolished_at")
