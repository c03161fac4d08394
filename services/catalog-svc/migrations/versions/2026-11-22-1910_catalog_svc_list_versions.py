"""catalog-svc: every published state of an inspection list as an immutable version

Revision ID: catalog_svc_0012
Revises: catalog_svc_0011
Create Date: 2026-11-22 19:10
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "catalog_svc_0012"
down_revision = "catalog_svc_0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inspection_list_versions",
        sa.Column("list_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", pg.ENUM(name="inspection_list_status", create_type=False), nullable=False),
        sa.Column("snapshot", pg.JSONB(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["inspection_lists.id"],
            name="fk_inspection_list_versions_list_id_inspection_lists",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "version", name="pk_inspection_list_versions"),
    )
    # lists published before versions were kept: their current state is their first recorded version
    op.execute(
        """
        INSERT INTO inspection_list_versions (list_id, version, status, snapshot, created_at)
        SELECT id, version, status, jsonb_build_object('id', id, 'code', code, 'status', status, 'version', version,
               'content', content, 'method', method, 'basis', basis, 'frequency', frequency,
               'object_scope', object_scope, 'form', form), coalesce(published_at, created_at)
        FROM inspection_lists WHERE status <> 'draft'
        """
    )


def downgrade() -> None:
    op.drop_table("inspection_list_versions")
