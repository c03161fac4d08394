"""catalog-svc: the items an import adds are recorded one row per chunk (arrays), listed when the report is read

Revision ID: catalog_svc_0013
Revises: catalog_svc_0012
Create Date: 2026-11-22 20:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "catalog_svc_0013"
down_revision = "catalog_svc_0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_added_batches",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("batch", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("row_numbers", pg.ARRAY(sa.Integer()), nullable=False),
        sa.Column("codes", pg.ARRAY(sa.String(64)), nullable=False),
        sa.Column("item_ids", pg.ARRAY(sa.Uuid()), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["import_jobs.id"], name="fk_import_added_batches_job_id_import_jobs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "batch", name="pk_import_added_batches"),
    )
    # item imports run before this revision keep their added lines in import_changes, where they are read as before


def downgrade() -> None:
    op.execute(
        """
        INSERT INTO import_changes (job_id, change, row_number, code, item_id, fields)
        SELECT b.job_id, 'added', u.row_number, u.code, u.item_id, '{}'
        FROM import_added_batches b, unnest(b.row_numbers, b.codes, b.item_ids) WITH ORDINALITY
             AS u(row_number, code, item_id, position)
        ORDER BY b.job_id, b.batch, u.position
        """
    )
    op.drop_table("import_added_batches")
