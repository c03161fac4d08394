"""random-check-svc: a draw writes its visits and tasks without per-row FK triggers, GIN or object index on tasks

Visit and task ids are a per-draw prefix plus the ordinal (written by the draw), so their primary keys
grow in one place; the rows are written only by the draw that owns them, in one transaction.

Revision ID: random_check_svc_0003
Revises: random_check_svc_0002
Create Date: 2026-11-21 22:40
"""

import sqlalchemy as sa
from alembic import op

revision = "random_check_svc_0003"
down_revision = "random_check_svc_0002"
branch_labels = None
depends_on = None

ID_COMMENT = "Draw prefix + ordinal: a draw's rows are adjacent."


def upgrade() -> None:
    op.drop_constraint("fk_rc_tasks_visit_id_rc_visits", "rc_tasks", type_="foreignkey")
    op.drop_constraint("fk_rc_visits_draw_id_rc_draws", "rc_visits", type_="foreignkey")
    op.drop_index("ix_rc_tasks_inspector_ids", table_name="rc_tasks", postgresql_using="gin")
    op.drop_index("ix_rc_tasks_object_id", table_name="rc_tasks")
    op.alter_column("rc_visits", "id", server_default=None, comment=ID_COMMENT, existing_type=sa.Uuid())
    op.alter_column(
        "rc_visits",
        "draw_id",
        comment="The draw (rows written only by it; no per-row FK check).",
        existing_type=sa.Uuid(),
        existing_nullable=False,
    )
    op.alter_column("rc_tasks", "id", server_default=None, comment=ID_COMMENT, existing_type=sa.Uuid())
    op.alter_column(
        "rc_tasks",
        "visit_id",
        comment="The visit (written with it by the draw).",
        existing_type=sa.Uuid(),
        existing_nullable=False,
    )


def downgrade() -> None:
    op.alter_column("rc_tasks", "visit_id", comment=None, existing_type=sa.Uuid(), existing_nullable=False)
    op.alter_column(
        "rc_tasks", "id", server_default=sa.text("gen_random_uuid()"), comment=None, existing_type=sa.Uuid()
    )
    op.alter_column("rc_visits", "draw_id", comment=None, existing_type=sa.Uuid(), existing_nullable=False)
    op.alter_column(
        "rc_visits", "id", server_default=sa.text("gen_random_uuid()"), comment=None, existing_type=sa.Uuid()
    )
    op.create_index("ix_rc_tasks_object_id", "rc_tasks", ["object_id"], unique=False)
    op.create_index("ix_rc_tasks_inspector_ids", "rc_tasks", ["inspector_ids"], unique=False, postgresql_using="gin")
    op.create_foreign_key("fk_rc_visits_draw_id_rc_draws", "rc_visits", "rc_draws", ["draw_id"], ["id"])
    op.create_foreign_key("fk_rc_tasks_visit_id_rc_visits", "rc_tasks", "rc_visits", ["visit_id"], ["id"])
