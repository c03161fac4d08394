"""catalog-svc: list owners, the departments that review submitted items (事项汇聚审核)

Revision ID: catalog_svc_0008
Revises: catalog_svc_0007
Create Date: 2026-11-22 16:00
"""

import sqlalchemy as sa
from alembic import op

revision = "catalog_svc_0008"
down_revision = "catalog_svc_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "list_owners",
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("department_name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("region_code", name="pk_list_owners"),
    )
    op.create_index("ix_list_owners_department_id", "list_owners", ["department_id"])


def downgrade() -> None:
    op.drop_table("list_owners")
