"""random-check-svc: the list and two databases, plans, draws with their append-only ledger, visits, tasks, evidence

Revision ID: random_check_svc_0002
Revises: random_check_svc_0001
Create Date: 2026-11-21 22:15
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "random_check_svc_0002"
down_revision = "random_check_svc_0001"
branch_labels = None
depends_on = None

# The draw ledger is append-only: no UPDATE, DELETE or TRUNCATE, whoever asks.
REFUSE_CHANGE = """
CREATE FUNCTION rc_draw_ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rc_draw_ledger is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "rc_conflicts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("inspector_id", sa.Uuid(), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=False, comment="The inspector's department (data scope)."),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("declared_by", sa.String(length=200), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rc_conflicts")),
    )
    op.create_index(op.f("ix_rc_conflicts_inspector_id"), "rc_conflicts", ["inspector_id"], unique=False)
    op.create_index(op.f("ix_rc_conflicts_object_id"), "rc_conflicts", ["object_id"], unique=False)
    op.create_table(
        "rc_departments",
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_type", sa.String(length=60), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("source_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("department_id", name=op.f("pk_rc_departments")),
    )
    op.create_table(
        "rc_draw_ledger",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("draw_id", sa.Uuid(), nullable=False),
        sa.Column("entry", sa.String(length=12), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=True),
        sa.Column("blob_sha256", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False, comment="Bytes in blob."),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_rc_draw_ledger")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_rc_draw_ledger_entry_hash")),
    )
    op.create_index(op.f("ix_rc_draw_ledger_draw_id"), "rc_draw_ledger", ["draw_id"], unique=False)
    op.create_table(
        "rc_inspection_forms",
        sa.Column("list_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("item_code", sa.String(length=14), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("implementing_agency", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("form", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("list_id", name=op.f("pk_rc_inspection_forms")),
    )
    op.create_index(op.f("ix_rc_inspection_forms_item_code"), "rc_inspection_forms", ["item_code"], unique=False)
    op.create_table(
        "rc_inspectors",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("certificate_number", sa.String(length=50), nullable=True),
        sa.Column("certificate_valid_from", sa.Date(), nullable=True),
        sa.Column("certificate_valid_until", sa.Date(), nullable=True),
        sa.Column("qualifications", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("source_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_rc_inspectors")),
    )
    op.create_index(op.f("ix_rc_inspectors_department_id"), "rc_inspectors", ["department_id"], unique=False)
    op.create_table(
        "rc_items",
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=14), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("parent_code", sa.String(length=14), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("item_type", sa.String(length=40), nullable=False),
        sa.Column("supervision_level", sa.String(length=20), nullable=False),
        sa.Column("implementing_department", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("domain", sa.String(length=60), nullable=True),
        sa.Column("object_types", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("random_check", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("source_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_rc_items")),
        sa.UniqueConstraint("code", name=op.f("uq_rc_items_code")),
    )
    op.create_index(op.f("ix_rc_items_region_code"), "rc_items", ["region_code"], unique=False)
    op.create_table(
        "rc_leads",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=14), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=True),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_rc_leads")),
    )
    op.create_index(op.f("ix_rc_leads_object_id"), "rc_leads", ["object_id"], unique=False)
    op.create_index(op.f("ix_rc_leads_uscc"), "rc_leads", ["uscc"], unique=False)
    op.create_table(
        "rc_objects",
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("industry_code", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=14), server_default="active", nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("merged_into", sa.Uuid(), nullable=True),
        sa.Column("credit_class", sa.String(length=2), nullable=True),
        sa.Column(
            "credit_graded_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Set once credit-svc graded the object; hub classes no longer apply.",
        ),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("source_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stored_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("object_id", name=op.f("pk_rc_objects")),
    )
    op.create_index(
        "ix_rc_objects_region_code",
        "rc_objects",
        ["region_code"],
        unique=False,
        postgresql_ops={"region_code": "text_pattern_ops"},
    )
    op.create_index(
        "ix_rc_objects_uscc", "rc_objects", ["uscc"], unique=False, postgresql_where=sa.text("uscc IS NOT NULL")
    )
    op.create_table(
        "rc_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False, comment="The initiating department."),
        sa.Column("region_code", sa.String(length=6), nullable=False, comment="Objects of this region are drawn."),
        sa.Column("class_ratios", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("lead_ratio", sa.Double(), nullable=False),
        sa.Column("object_kinds", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("industry_codes", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("recent_check_days", sa.Integer(), nullable=False),
        sa.Column("max_checks_per_period", sa.Integer(), nullable=False),
        sa.Column("cap_period_days", sa.Integer(), nullable=False),
        sa.Column("inspectors_per_object", sa.Integer(), nullable=False),
        sa.Column("task_deadline_workdays", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rc_plans")),
    )
    op.create_index(op.f("ix_rc_plans_department_id"), "rc_plans", ["department_id"], unique=False)
    op.create_index(op.f("ix_rc_plans_region_code"), "rc_plans", ["region_code"], unique=False)
    op.create_index(op.f("ix_rc_plans_year"), "rc_plans", ["year"], unique=False)
    op.create_table(
        "rc_draws",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False, comment="The plan's initiating department (data scope)."),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("algorithm", sa.String(length=40), nullable=False),
        sa.Column("check_date", sa.Date(), nullable=False),
        sa.Column("seed_hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_seed", sa.LargeBinary(), nullable=False, comment="Kept secret until the draw is run."),
        sa.Column("seed", sa.String(length=64), nullable=True, comment="Revealed after the draw."),
        sa.Column("public_entropy", sa.String(length=200), nullable=True),
        sa.Column("inputs_hash", sa.String(length=64), nullable=True),
        sa.Column("outputs_hash", sa.String(length=64), nullable=True),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("drawn_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["rc_plans.id"], name=op.f("fk_rc_draws_plan_id_rc_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rc_draws")),
    )
    op.create_index(op.f("ix_rc_draws_plan_id"), "rc_draws", ["plan_id"], unique=False)
    op.create_table(
        "rc_plan_departments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_codes", sa.ARRAY(sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["rc_plans.id"], name=op.f("fk_rc_plan_departments_plan_id_rc_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rc_plan_departments")),
        sa.UniqueConstraint("plan_id", "department_id", name="uq_rc_plan_departments_plan_department"),
    )
    op.create_index(
        op.f("ix_rc_plan_departments_department_id"), "rc_plan_departments", ["department_id"], unique=False
    )
    op.create_index(op.f("ix_rc_plan_departments_plan_id"), "rc_plan_departments", ["plan_id"], unique=False)
    op.create_table(
        "rc_visits",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("draw_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False, comment="Position in the draw's output."),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("stratum", sa.String(length=20), nullable=False, comment="Credit class at draw time (+lead)."),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("department_ids", sa.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("check_date", sa.Date(), nullable=False),
        sa.Column("joint", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["draw_id"], ["rc_draws.id"], name=op.f("fk_rc_visits_draw_id_rc_draws")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rc_visits")),
    )
    op.create_index("ix_rc_visits_check_date", "rc_visits", ["check_date"], unique=False)
    op.create_index("ix_rc_visits_draw_id_ordinal", "rc_visits", ["draw_id", "ordinal"], unique=True)
    op.create_index("ix_rc_visits_object_id_check_date", "rc_visits", ["object_id", "check_date"], unique=False)
    op.create_table(
        "rc_tasks",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("draw_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("item_codes", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("inspector_ids", sa.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("check_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=True),
        sa.Column("problem_found", sa.Boolean(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True, comment="Public summary."),
        sa.Column("findings", sa.Text(), nullable=True, comment="Internal notes, never disclosed."),
        sa.Column("forms", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("inspection_list_codes", sa.ARRAY(sa.Text()), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=True),
        sa.Column("disclosure_due", sa.Date(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["visit_id"], ["rc_visits.id"], name=op.f("fk_rc_tasks_visit_id_rc_visits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rc_tasks")),
    )
    op.create_index("ix_rc_tasks_department_id_status", "rc_tasks", ["department_id", "status"], unique=False)
    op.create_index(op.f("ix_rc_tasks_draw_id"), "rc_tasks", ["draw_id"], unique=False)
    op.create_index("ix_rc_tasks_inspector_ids", "rc_tasks", ["inspector_ids"], unique=False, postgresql_using="gin")
    op.create_index(op.f("ix_rc_tasks_object_id"), "rc_tasks", ["object_id"], unique=False)
    op.create_index(op.f("ix_rc_tasks_visit_id"), "rc_tasks", ["visit_id"], unique=False)
    op.create_table(
        "rc_evidence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["rc_tasks.id"], name=op.f("fk_rc_evidence_task_id_rc_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rc_evidence")),
    )
    op.create_index(op.f("ix_rc_evidence_task_id"), "rc_evidence", ["task_id"], unique=False)
    # Blobs are random ids and hashes: compression would only cost time.
    op.execute("ALTER TABLE rc_draw_ledger ALTER COLUMN blob SET STORAGE EXTERNAL")
    op.execute(REFUSE_CHANGE)
    op.execute(
        "CREATE TRIGGER rc_draw_ledger_append_only BEFORE UPDATE OR DELETE ON rc_draw_ledger "
        "FOR EACH ROW EXECUTE FUNCTION rc_draw_ledger_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER rc_draw_ledger_no_truncate BEFORE TRUNCATE ON rc_draw_ledger "
        "FOR EACH STATEMENT EXECUTE FUNCTION rc_draw_ledger_refuse_change()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER rc_draw_ledger_no_truncate ON rc_draw_ledger")
    op.execute("DROP TRIGGER rc_draw_ledger_append_only ON rc_draw_ledger")
    op.execute("DROP FUNCTION rc_draw_ledger_refuse_change()")
    op.drop_index(op.f("ix_rc_evidence_task_id"), table_name="rc_evidence")
    op.drop_table("rc_evidence")
    op.drop_index(op.f("ix_rc_tasks_visit_id"), table_name="rc_tasks")
    op.drop_index(op.f("ix_rc_tasks_object_id"), table_name="rc_tasks")
    op.drop_index("ix_rc_tasks_inspector_ids", table_name="rc_tasks", postgresql_using="gin")
    op.drop_index(op.f("ix_rc_tasks_draw_id"), table_name="rc_tasks")
    op.drop_index("ix_rc_tasks_department_id_status", table_name="rc_tasks")
    op.drop_table("rc_tasks")
    op.drop_index("ix_rc_visits_object_id_check_date", table_name="rc_visits")
    op.drop_index("ix_rc_visits_draw_id_ordinal", table_name="rc_visits")
    op.drop_index("ix_rc_visits_check_date", table_name="rc_visits")
    op.drop_table("rc_visits")
    op.drop_index(op.f("ix_rc_plan_departments_plan_id"), table_name="rc_plan_departments")
    op.drop_index(op.f("ix_rc_plan_departments_department_id"), table_name="rc_plan_departments")
    op.drop_table("rc_plan_departments")
    op.drop_index(op.f("ix_rc_draws_plan_id"), table_name="rc_draws")
    op.drop_table("rc_draws")
    op.drop_index(op.f("ix_rc_plans_year"), table_name="rc_plans")
    op.drop_index(op.f("ix_rc_plans_region_code"), table_name="rc_plans")
    op.drop_index(op.f("ix_rc_plans_department_id"), table_name="rc_plans")
    op.drop_table("rc_plans")
    op.drop_index("ix_rc_objects_uscc", table_name="rc_objects", postgresql_where=sa.text("uscc IS NOT NULL"))
    op.drop_index(
        "ix_rc_objects_region_code", table_name="rc_objects", postgresql_ops={"region_code": "text_pattern_ops"}
    )
    op.drop_table("rc_objects")
    op.drop_index(op.f("ix_rc_leads_uscc"), table_name="rc_leads")
    op.drop_index(op.f("ix_rc_leads_object_id"), table_name="rc_leads")
    op.drop_table("rc_leads")
    op.drop_index(op.f("ix_rc_items_region_code"), table_name="rc_items")
    op.drop_table("rc_items")
    op.drop_index(op.f("ix_rc_inspectors_department_id"), table_name="rc_inspectors")
    op.drop_table("rc_inspectors")
    op.drop_index(op.f("ix_rc_inspection_forms_item_code"), table_name="rc_inspection_forms")
    op.drop_table("rc_inspection_forms")
    op.drop_index(op.f("ix_rc_draw_ledger_draw_id"), table_name="rc_draw_ledger")
    op.drop_table("rc_draw_ledger")
    op.drop_table("rc_departments")
    op.drop_index(op.f("ix_rc_conflicts_object_id"), table_name="rc_conflicts")
    op.drop_index(op.f("ix_rc_conflicts_inspector_id"), table_name="rc_conflicts")
    op.drop_table("rc_conflicts")
