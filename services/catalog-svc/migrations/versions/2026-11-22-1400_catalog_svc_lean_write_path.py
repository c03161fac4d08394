"""catalog-svc: leaner writes for bulk imports

Version and legal-basis rows get their ids from the database (so COPY can leave them out); the
indexes on a basis's law and article cover only the rows that point into the law library; the
versions index on (item_id, created_at) goes, the unique (item_id, version) serves the same
per-item lookups.

Revision ID: catalog_svc_0006
Revises: catalog_svc_0005
Create Date: 2026-11-22 14:00
"""

import sqlalchemy as sa
from alembic import op

revision = "catalog_svc_0006"
down_revision = "catalog_svc_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("item_versions", "id", server_default=sa.text("gen_random_uuid()"))
    op.alter_column("item_legal_bases", "id", server_default=sa.text("gen_random_uuid()"))
    op.drop_index("ix_item_versions_item_created", table_name="item_versions")
    op.drop_index("ix_item_legal_bases_law_id", table_name="item_legal_bases")
    op.drop_index("ix_item_legal_bases_article_id", table_name="item_legal_bases")
    op.create_index(
        "ix_item_legal_bases_law_id", "item_legal_bases", ["law_id"], postgresql_where=sa.text("law_id IS NOT NULL")
    )
    op.create_index(
        "ix_item_legal_bases_article_id",
        "item_legal_bases",
        ["article_id"],
        postgresql_where=sa.text("article_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_item_legal_bases_article_id", table_name="item_legal_bases")
    op.drop_index("ix_item_legal_bases_law_id", table_name="item_legal_bases")
    op.create_index("ix_item_legal_bases_article_id", "item_legal_bases", ["article_id"])
    op.create_index("ix_item_legal_bases_law_id", "item_legal_bases", ["law_id"])
    op.create_index("ix_item_versions_item_created", "item_versions", ["item_id", "created_at"])
    op.alter_column("item_legal_bases", "id", server_default=None)
    op.alter_column("item_versions", "id", server_default=None)
