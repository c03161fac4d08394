"""joint-svc: timeline entries stored rendered as the API serves them

Revision ID: joint_svc_0003
Revises: joint_svc_0002
Create Date: 2026-11-23 12:00
"""

import sqlalchemy as sa
from alembic import op

revision = "joint_svc_0003"
down_revision = "joint_svc_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("joint_task_events", sa.Column("rendered", sa.Text(), nullable=True))
    # Existing entries are rendered once here; the append-only trigger is paused for this one change.
    op.execute("ALTER TABLE joint_task_events DISABLE TRIGGER joint_task_events_no_update_delete")
    op.execute(
        """
        UPDATE joint_task_events SET rendered = json_build_object(
            'seq', seq, 'at', at, 'action', action, 'from_state', from_state, 'to_state', to_state,
            'actor', actor, 'actor_side', actor_side, 'actor_department_id', actor_department_id,
            'comment', comment, 'attachments', attachments, 'data', data)::text
        """
    )
    op.execute("ALTER TABLE joint_task_events ENABLE TRIGGER joint_task_events_no_update_delete")
    op.alter_column("joint_task_events", "rendered", nullable=False)


def downgrade() -> None:
    op.execute("ALTER TABLE joint_task_events DISABLE TRIGGER joint_task_events_no_update_delete")
    op.drop_column("joint_task_events", "rendered")
    op.execute("ALTER TABLE joint_task_events ENABLE TRIGGER joint_task_events_no_update_delete")
