"""datahub-svc: bulk ingest by COPY (provider department, merged_into without a per-row FK trigger)

Revision ID: datahub_svc_0005
Revises: datahub_svc_0004
Create Date: 2026-11-21 23:30
"""

import sqlalchemy as sa
from alembic import op

revision = "datahub_svc_0005"
down_revision = "datahub_svc_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("supervised_objects", sa.Column("provider_department_id", sa.Uuid(), nullable=True))
    # The self-reference fired a trigger for every inserted row; merges check the target themselves.
    op.drop_constraint("fk_supervised_objects_merged_into_supervised_objects", "supervised_objects", type_="foreignkey")
    op.create_index(
        "ix_supervised_objects_merged_into",
        "supervised_objects",
        ["merged_into"],
        postgresql_where=sa.text("merged_into IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_supervised_objects_merged_into", table_name="supervised_objects")
    op.create_foreign_key(
        "fk_supervised_objects_merged_into_supervised_objects",
        "supervised_objects",
        "supervised_objects",
        ["merged_into"],
        ["id"],
    )
    op.drop_column("supervised_objects", "provider_department_id")
