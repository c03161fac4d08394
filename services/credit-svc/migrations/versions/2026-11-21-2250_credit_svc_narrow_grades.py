"""credit-svc: narrow grade rows (contributions and feature values stay in the history entry they point to)

Revision ID: credit_svc_0003
Revises: credit_svc_0002
Create Date: 2026-11-21 22:50
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "credit_svc_0003"
down_revision = "credit_svc_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("credit_grades", sa.Column("history_id", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE credit_grades g SET history_id = "
        "(SELECT max(h.id) FROM credit_grade_history h WHERE h.object_id = g.object_id)"
    )
    for column in ("contributions", "feature_values", "previous_contributions", "previous_scheme_id"):
        op.drop_column("credit_grades", column)


def downgrade() -> None:
    op.add_column("credit_grades", sa.Column("previous_scheme_id", sa.Uuid(), nullable=True))
    op.add_column("credit_grades", sa.Column("previous_contributions", postgresql.ARRAY(sa.Float()), nullable=True))
    op.add_column(
        "credit_grades",
        sa.Column("feature_values", postgresql.ARRAY(sa.Float()), server_default="{}", nullable=False),
    )
    op.add_column(
        "credit_grades",
        sa.Column("contributions", postgresql.ARRAY(sa.Float()), server_default="{}", nullable=False),
    )
    op.execute(
        "UPDATE credit_grades g SET contributions = h.contributions, feature_values = h.feature_values "
        "FROM credit_grade_history h WHERE h.id = g.history_id"
    )
    op.alter_column("credit_grades", "contributions", server_default=None)
    op.alter_column("credit_grades", "feature_values", server_default=None)
    op.drop_column("credit_grades", "history_id")
