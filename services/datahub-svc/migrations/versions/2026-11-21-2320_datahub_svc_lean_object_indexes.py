"""datahub-svc: leaner indexes on supervised objects (exact links use identity_key; partial owner/department)

Revision ID: datahub_svc_0004
Revises: datahub_svc_0003
Create Date: 2026-11-21 23:20
"""

from alembic import op

revision = "datahub_svc_0004"
down_revision = "datahub_svc_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_supervised_objects_uscc", table_name="supervised_objects")
    op.drop_index("ix_supervised_objects_kind_region", table_name="supervised_objects")
    op.drop_index("ix_supervised_objects_owner_uscc", table_name="supervised_objects")
    op.drop_index("ix_supervised_objects_department_id", table_name="supervised_objects")
    op.create_index(
        "ix_supervised_objects_owner_uscc",
        "supervised_objects",
        ["owner_uscc"],
        postgresql_where="owner_uscc IS NOT NULL",
    )
    op.create_index(
        "ix_supervised_objects_department_id",
        "supervised_objects",
        ["department_id"],
        postgresql_where="department_id IS NOT NULL",
    )


def downgrade() -> None:
    op.drop_index("ix_supervised_objects_department_id", table_name="supervised_objects")
    op.drop_index("ix_supervised_objects_owner_uscc", table_name="supervised_objects")
    op.create_index("ix_supervised_objects_department_id", "supervised_objects", ["department_id"])
    op.create_index("ix_supervised_objects_owner_uscc", "supervised_objects", ["owner_uscc"])
    op.create_index("ix_supervised_objects_kind_region", "supervised_objects", ["kind", "region_code"])
    op.create_index("ix_supervised_objects_uscc", "supervised_objects", ["uscc"])
