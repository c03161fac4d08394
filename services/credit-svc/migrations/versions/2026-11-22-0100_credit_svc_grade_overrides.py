"""credit-svc: manual class overrides (人工调整) with reason, legal basis and validity, shown in grades and history

Revision ID: credit_svc_0004
Revises: credit_svc_0003
Create Date: 2026-11-22 01:00
"""

import sqlalchemy as sa
from alembic import op

revision = "credit_svc_0004"
down_revision = "credit_svc_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_grade_overrides",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("risk_class", sa.String(length=2), nullable=False),
        sa.Column(
            "automatic_class", sa.String(length=2), nullable=True, comment="The rules' class when it was decided."
        ),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("document_number", sa.String(length=100), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False, comment="First day the override no longer applies."),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_by_department_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=200), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_grade_overrides")),
        sa.CheckConstraint("valid_until > valid_from", name=op.f("ck_credit_grade_overrides_validity")),
        sa.CheckConstraint("status IN ('active', 'lifted', 'expired')", name=op.f("ck_credit_grade_overrides_status")),
    )
    op.create_index(
        "ix_credit_grade_overrides_object_id", "credit_grade_overrides", ["object_id", "created_at"], unique=False
    )
    op.create_index(
        "uq_credit_grade_overrides_active_object",
        "credit_grade_overrides",
        ["object_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "ix_credit_grade_overrides_active_dates",
        "credit_grade_overrides",
        ["valid_until"],
        unique=False,
        postgresql_where=sa.text("status = 'active'"),
    )
    for table in ("credit_grades", "credit_grade_history"):
        op.add_column(table, sa.Column("automatic_class", sa.String(length=2), nullable=True))
        op.add_column(table, sa.Column("override_id", sa.Uuid(), nullable=True))
    op.alter_column("credit_grades", "automatic_class", comment="The rules' class (before an override).")
    op.alter_column("credit_grades", "override_id", comment="The manual override in force, if any.")
    op.create_index(
        "ix_credit_grades_override_id",
        "credit_grades",
        ["override_id"],
        unique=False,
        postgresql_where=sa.text("override_id IS NOT NULL"),
    )
    # Until now every class was the rules' class. (The history is append-only: its old rows keep NULL.)
    op.execute("UPDATE credit_grades SET automatic_class = risk_class")


def downgrade() -> None:
    op.drop_index("ix_credit_grades_override_id", table_name="credit_grades")
    for table in ("credit_grade_history", "credit_grades"):
        op.drop_column(table, "override_id")
        op.drop_column(table, "automatic_class")
    op.drop_index("ix_credit_grade_overrides_active_dates", table_name="credit_grade_overrides")
    op.drop_index("uq_credit_grade_overrides_active_object", table_name="credit_grade_overrides")
    op.drop_index("ix_credit_grade_overrides_object_id", table_name="credit_grade_overrides")
    op.drop_table("credit_grade_overrides")
