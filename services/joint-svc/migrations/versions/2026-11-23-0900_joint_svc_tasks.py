"""joint-svc: tasks, append-only timeline, notifications, departments, routes, catalog items, evidence

Revision ID: joint_svc_0002
Revises: joint_svc_0001
Create Date: 2026-11-23 09:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "joint_svc_0002"
down_revision = "joint_svc_0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute("CREATE SEQUENCE joint_task_no_seq")
    op.create_table(
        "joint_tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task_no", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("national_status", sa.String(10), nullable=True),
        sa.Column("origin", sa.String(12), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("requirements", sa.Text(), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("source_key", sa.String(300), nullable=True),
        sa.Column("upstream_task_no", sa.String(100), nullable=True),
        sa.Column("upstream_source", sa.String(100), nullable=True),
        sa.Column("initiator_department_id", sa.Uuid(), nullable=True),
        sa.Column("initiator_department_name", sa.String(200), nullable=True),
        sa.Column("initiator_region_code", sa.String(6), nullable=False),
        sa.Column("initiator_subject", sa.String(200), nullable=True),
        sa.Column("assignee_department_id", sa.Uuid(), nullable=True),
        sa.Column("assignee_department_name", sa.String(200), nullable=True),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("supervision_item_code", sa.String(14), nullable=True),
        sa.Column("industry_code", sa.String(8), nullable=True),
        sa.Column("objects", postgresql.JSONB(), nullable=False),
        sa.Column("details", postgresql.JSONB(), nullable=False),
        sa.Column("attachments", postgresql.JSONB(), nullable=False),
        sa.Column("result", postgresql.JSONB(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=True),
        sa.Column("deadline", TS, nullable=True),
        sa.Column("deadline_workdays", sa.Integer(), nullable=True),
        sa.Column("next_due_at", TS, nullable=True),
        sa.Column("reminded_at", TS, nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_at", TS, nullable=True),
        sa.Column("escalated_to_department_id", sa.Uuid(), nullable=True),
        sa.Column("escalated_to_department_name", sa.String(200), nullable=True),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("fed_back_at", TS, nullable=True),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("modified_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_joint_tasks"),
        sa.ForeignKeyConstraint(["parent_id"], ["joint_tasks.id"], name="fk_joint_tasks_parent_id_joint_tasks"),
        sa.UniqueConstraint("task_no", name="uq_joint_tasks_task_no"),
        sa.UniqueConstraint("source_key", name="uq_joint_tasks_source_key"),
    )
    op.create_index("ix_joint_tasks_initiator", "joint_tasks", ["initiator_department_id", "created_at"])
    op.create_index("ix_joint_tasks_assignee", "joint_tasks", ["assignee_department_id", "created_at"])
    op.create_index("ix_joint_tasks_escalated_to", "joint_tasks", ["escalated_to_department_id"])
    op.create_index("ix_joint_tasks_region_code", "joint_tasks", ["region_code", "created_at"])
    op.create_index("ix_joint_tasks_initiator_region_code", "joint_tasks", ["initiator_region_code"])
    op.create_index("ix_joint_tasks_parent_id", "joint_tasks", ["parent_id"])
    op.create_index("ix_joint_tasks_created_at", "joint_tasks", ["created_at"])
    op.create_index(
        "ix_joint_tasks_next_due_at",
        "joint_tasks",
        ["next_due_at"],
        postgresql_where=sa.text("next_due_at IS NOT NULL"),
    )

    op.create_table(
        "joint_task_events",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("actor_side", sa.String(12), nullable=True),
        sa.Column("actor_department_id", sa.Uuid(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("attachments", postgresql.JSONB(), nullable=False),
        sa.Column("data", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "seq", name="pk_joint_task_events"),
        sa.ForeignKeyConstraint(["task_id"], ["joint_tasks.id"], name="fk_joint_task_events_task_id_joint_tasks"),
    )
    # The timeline is a record: rows are added, never changed or removed.
    op.execute(
        """
        CREATE FUNCTION joint_task_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'joint_task_events is append-only: % refused', TG_OP
                USING ERRCODE = 'restrict_violation';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER joint_task_events_no_update_delete BEFORE UPDATE OR DELETE ON joint_task_events "
        "FOR EACH ROW EXECUTE FUNCTION joint_task_events_append_only()"
    )
    op.execute(
        "CREATE TRIGGER joint_task_events_no_truncate BEFORE TRUNCATE ON joint_task_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION joint_task_events_append_only()"
    )

    op.create_table(
        "joint_notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("task_no", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("read_at", TS, nullable=True),
        sa.Column("read_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_joint_notifications"),
        sa.ForeignKeyConstraint(["task_id"], ["joint_tasks.id"], name="fk_joint_notifications_task_id_joint_tasks"),
    )
    op.create_index("ix_joint_notifications_department", "joint_notifications", ["department_id", "created_at"])
    op.create_index(
        "ix_joint_notifications_unread",
        "joint_notifications",
        ["department_id"],
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_index("ix_joint_notifications_task_id", "joint_notifications", ["task_id"])

    op.create_table(
        "joint_departments",
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("department_type", sa.String(50), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("credit_code", sa.String(18), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("department_id", name="pk_joint_departments"),
    )
    op.create_index("ix_joint_departments_region_type", "joint_departments", ["region_code", "department_type"])
    op.create_index("ix_joint_departments_credit_code", "joint_departments", ["credit_code"])

    op.create_table(
        "joint_routes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_code", sa.String(14), nullable=True),
        sa.Column("industry_code", sa.String(8), nullable=True),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("department_name", sa.String(200), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_joint_routes"),
        sa.UniqueConstraint(
            "item_code",
            "industry_code",
            "region_code",
            name="uq_joint_routes_match",
            postgresql_nulls_not_distinct=True,
        ),
    )

    op.create_table(
        "joint_catalog_items",
        sa.Column("code", sa.String(14), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("implementing_department", sa.String(200), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("domain", sa.String(50), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_joint_catalog_items"),
    )

    op.create_table(
        "joint_object_evidence",
        sa.Column("object_key", sa.String(120), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=True),
        sa.Column("object_id", sa.String(100), nullable=True),
        sa.Column("credit_assess", postgresql.JSONB(), nullable=True),
        sa.Column("operating_abnormal", postgresql.JSONB(), nullable=False),
        sa.Column("serious_illegal", postgresql.JSONB(), nullable=False),
        sa.Column("complaint_info", postgresql.JSONB(), nullable=False),
        sa.Column("tip_info", postgresql.JSONB(), nullable=False),
        sa.Column("risk_warning", postgresql.JSONB(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("object_key", name="pk_joint_object_evidence"),
    )
    op.create_index("ix_joint_object_evidence_object_id", "joint_object_evidence", ["object_id"])


def downgrade() -> None:
    op.drop_table("joint_object_evidence")
    op.drop_table("joint_catalog_items")
    op.drop_table("joint_routes")
    op.drop_table("joint_departments")
    op.drop_table("joint_notifications")
    op.drop_table("joint_task_events")
    op.execute("DROP FUNCTION joint_task_events_append_only()")
    op.drop_table("joint_tasks")
    op.execute("DROP SEQUENCE joint_task_no_seq")
