"""catalog-svc: import reports keyed in report order (one index less per line); no index on allocation records

Revision ID: catalog_svc_0009
Revises: catalog_svc_0008
Create Date: 2026-11-22 17:00
"""

from alembic import op

revision = "catalog_svc_0009"
down_revision = "catalog_svc_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_code_allocations_record_id", table_name="code_allocations")
    op.drop_index("ix_import_row_errors_job_row", table_name="import_row_errors")
    op.drop_constraint("pk_import_row_errors", "import_row_errors", type_="primary")
    op.create_primary_key("pk_import_row_errors", "import_row_errors", ["job_id", "row_number", "id"])
    op.drop_index("ix_import_changes_job_change", table_name="import_changes")
    op.drop_constraint("pk_import_changes", "import_changes", type_="primary")
    op.create_primary_key("pk_import_changes", "import_changes", ["job_id", "change", "id"])


def downgrade() -> None:
    op.drop_constraint("pk_import_changes", "import_changes", type_="primary")
    op.create_primary_key("pk_import_changes", "import_changes", ["id"])
    op.create_index("ix_import_changes_job_change", "import_changes", ["job_id", "change", "id"])
    op.drop_constraint("pk_import_row_errors", "import_row_errors", type_="primary")
    op.create_primary_key("pk_import_row_errors", "import_row_errors", ["id"])
    op.create_index("ix_import_row_errors_job_row", "import_row_errors", ["job_id", "row_number"])
    op.create_index("ix_code_allocations_record_id", "code_allocations", ["record_id"])
