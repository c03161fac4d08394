"""credit-svc: object view, signals, warnings, records and requests, lists, schemes, grades and
history, outcome models, jobs, and the append-only audit log

Revision ID: credit_svc_0002
Revises: credit_svc_0001
Create Date: 2026-11-21 22:10
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "credit_svc_0002"
down_revision = "credit_svc_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=True),
        sa.Column("roles", sa.ARRAY(sa.String(length=40)), server_default="{}", nullable=False),
        sa.Column("actor_department_id", sa.Uuid(), nullable=True),
        sa.Column("actor_region_code", sa.String(length=6), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("request_id", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_audit_log")),
    )
    op.create_index("ix_credit_audit_log_at", "credit_audit_log", ["at"], unique=False)
    op.create_index("ix_credit_audit_log_entity", "credit_audit_log", ["entity_type", "entity_id"], unique=False)
    op.create_index("ix_credit_audit_log_object_id", "credit_audit_log", ["object_id"], unique=False)
    op.create_table(
        "credit_grade_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("scheme_id", sa.Uuid(), nullable=False),
        sa.Column("scheme_key", sa.String(length=64), nullable=False),
        sa.Column("scheme_version", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rule_score", sa.Float(), nullable=False),
        sa.Column("model_score", sa.Float(), nullable=True),
        sa.Column("risk_class", sa.String(length=2), nullable=False),
        sa.Column("previous_class", sa.String(length=2), nullable=True),
        sa.Column("previous_score", sa.Float(), nullable=True),
        sa.Column("contributions", sa.ARRAY(sa.Float()), nullable=False),
        sa.Column("feature_values", sa.ARRAY(sa.Float()), nullable=False),
        sa.Column("trigger", sa.String(length=12), nullable=False),
        sa.Column("trigger_ref", sa.String(length=200), nullable=True),
        sa.Column("graded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_grade_history")),
    )
    op.create_index("ix_credit_grade_history_object", "credit_grade_history", ["object_id", "id"], unique=False)
    op.create_table(
        "credit_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("phase", sa.String(length=100), nullable=True),
        sa.Column("progress", sa.Float(), server_default="0", nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=True),
        sa.Column("processed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("changed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_jobs")),
    )
    op.create_index(
        "uq_credit_jobs_pending_kind",
        "credit_jobs",
        ["kind"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.create_table(
        "credit_lists",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("list_type", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("criteria", sa.Text(), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("department_name", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("region_prefix", sa.String(length=6), nullable=False),
        sa.Column("default_validity_days", sa.Integer(), nullable=True),
        sa.Column("auto_classes", sa.ARRAY(sa.String(length=2)), server_default="{}", nullable=False),
        sa.Column("auto_same_department", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_lists")),
        sa.UniqueConstraint("department_id", "name", name="uq_credit_lists_department_name"),
    )
    op.create_table(
        "credit_objects",
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("owner_uscc", sa.String(length=18), nullable=True),
        sa.Column("code", sa.String(length=100), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("industry_code", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=10), server_default="active", nullable=False),
        sa.Column("merged_into", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("source_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("input_version", sa.BigInteger(), server_default="1", nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("object_id", name=op.f("pk_credit_objects")),
    )
    op.create_index(
        "ix_credit_objects_department_id",
        "credit_objects",
        ["department_id"],
        unique=False,
        postgresql_where=sa.text("department_id IS NOT NULL"),
    )
    op.create_index("ix_credit_objects_region_code", "credit_objects", ["region_code"], unique=False)
    op.create_index(
        "ix_credit_objects_uscc", "credit_objects", ["uscc"], unique=False, postgresql_where=sa.text("uscc IS NOT NULL")
    )
    op.create_table(
        "credit_outcome_models",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("estimator", sa.String(length=32), nullable=False),
        sa.Column("features", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("artifact", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("trained_by", sa.String(length=200), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_outcome_models")),
        sa.UniqueConstraint("version", name=op.f("uq_credit_outcome_models_version")),
    )
    op.create_index(
        "uq_credit_outcome_models_active",
        "credit_outcome_models",
        ["status"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "credit_signals",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=True),
        sa.Column("origin_object_id", sa.Uuid(), nullable=True),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("source_ref", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_signals")),
        sa.UniqueConstraint("source_ref", name=op.f("uq_credit_signals_source_ref")),
    )
    op.create_index(
        "ix_credit_signals_object",
        "credit_signals",
        ["object_id", "occurred_on"],
        unique=False,
        postgresql_where=sa.text("object_id IS NOT NULL"),
    )
    op.create_index(
        "ix_credit_signals_unlinked_uscc",
        "credit_signals",
        ["uscc"],
        unique=False,
        postgresql_where=sa.text("object_id IS NULL"),
    )
    op.create_table(
        "credit_warnings",
        sa.Column("warning_id", sa.Uuid(), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=True),
        sa.Column("object_key", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("level_rank", sa.SmallInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("model_key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("warning_id", name=op.f("pk_credit_warnings")),
    )
    op.create_index(
        "ix_credit_warnings_object",
        "credit_warnings",
        ["object_id"],
        unique=False,
        postgresql_where=sa.text("object_id IS NOT NULL"),
    )
    op.create_index(
        "ix_credit_warnings_unlinked_uscc",
        "credit_warnings",
        ["uscc"],
        unique=False,
        postgresql_where=sa.text("object_id IS NULL"),
    )
    op.create_table(
        "grading_schemes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("region_prefix", sa.String(length=6), server_default="", nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("base_score", sa.Float(), nullable=False),
        sa.Column("min_score", sa.Float(), nullable=False),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("classes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("indicators", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("forced", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("model_weight", sa.Float(), server_default="0", nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grading_schemes")),
        sa.UniqueConstraint("key", "version", name="uq_grading_schemes_key_version"),
    )
    op.create_index(
        "uq_grading_schemes_active_region",
        "grading_schemes",
        ["region_prefix"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "credit_grades",
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("scheme_id", sa.Uuid(), nullable=False),
        sa.Column("scheme_key", sa.String(length=64), nullable=False),
        sa.Column("scheme_version", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rule_score", sa.Float(), nullable=False),
        sa.Column("model_score", sa.Float(), nullable=True),
        sa.Column("risk_class", sa.String(length=2), nullable=False),
        sa.Column("class_rank", sa.SmallInteger(), nullable=False),
        sa.Column("contributions", sa.ARRAY(sa.Float()), nullable=False),
        sa.Column("feature_values", sa.ARRAY(sa.Float()), nullable=False),
        sa.Column("previous_class", sa.String(length=2), nullable=True),
        sa.Column("previous_score", sa.Float(), nullable=True),
        sa.Column("previous_scheme_id", sa.Uuid(), nullable=True),
        sa.Column("previous_contributions", sa.ARRAY(sa.Float()), nullable=True),
        sa.Column("input_version", sa.BigInteger(), nullable=False),
        sa.Column("trigger", sa.String(length=12), nullable=False),
        sa.Column("trigger_ref", sa.String(length=200), nullable=True),
        sa.Column("graded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["grading_schemes.id"], name=op.f("fk_credit_grades_scheme_id_grading_schemes")
        ),
        sa.PrimaryKeyConstraint("object_id", name=op.f("pk_credit_grades")),
    )
    op.create_index("ix_credit_grades_risk_class", "credit_grades", ["risk_class"], unique=False)
    op.create_table(
        "credit_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=True),
        sa.Column("origin_object_id", sa.Uuid(), nullable=True),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("object_name", sa.String(length=300), nullable=False),
        sa.Column("record_type", sa.String(length=24), nullable=False),
        sa.Column("list_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("automatic", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("department_name", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("document_number", sa.String(length=100), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_until", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("public", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["list_id"], ["credit_lists.id"], name=op.f("fk_credit_records_list_id_credit_lists")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_records")),
        sa.UniqueConstraint("source_ref", name=op.f("uq_credit_records_source_ref")),
    )
    op.create_index(
        "ix_credit_records_effective_until",
        "credit_records",
        ["effective_until"],
        unique=False,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "ix_credit_records_list_id",
        "credit_records",
        ["list_id"],
        unique=False,
        postgresql_where=sa.text("list_id IS NOT NULL"),
    )
    op.create_index("ix_credit_records_object_id", "credit_records", ["object_id"], unique=False)
    op.create_index("ix_credit_records_region_code", "credit_records", ["region_code"], unique=False)
    op.create_index("ix_credit_records_type_status", "credit_records", ["record_type", "status"], unique=False)
    op.create_index(
        "ix_credit_records_uscc", "credit_records", ["uscc"], unique=False, postgresql_where=sa.text("uscc IS NOT NULL")
    )
    op.create_index(
        "uq_credit_records_active_list_entry",
        "credit_records",
        ["list_id", "object_id"],
        unique=True,
        postgresql_where=sa.text("list_id IS NOT NULL AND status = 'active'"),
    )
    op.create_table(
        "credit_record_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("applicant", sa.String(length=200), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=True),
        sa.Column("review_opinion", sa.Text(), nullable=True),
        sa.Column("recommendation", sa.String(length=10), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["credit_records.id"], name=op.f("fk_credit_record_requests_record_id_credit_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_record_requests")),
    )
    op.create_index("ix_credit_record_requests_record_id", "credit_record_requests", ["record_id"], unique=False)
    op.create_index("ix_credit_record_requests_status", "credit_record_requests", ["status"], unique=False)
    op.create_index(
        "uq_credit_record_requests_open",
        "credit_record_requests",
        ["record_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('submitted', 'under_review')"),
    )

    op.execute(
        "CREATE FUNCTION credit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP; END $$"
    )
    for table in ("credit_audit_log", "credit_grade_history"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION credit_append_only()"
        )


def downgrade() -> None:
    for table in ("credit_audit_log", "credit_grade_history"):
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    op.execute("DROP FUNCTION credit_append_only()")
    op.drop_index(
        "uq_credit_record_requests_open",
        table_name="credit_record_requests",
        postgresql_where=sa.text("status IN ('submitted', 'under_review')"),
    )
    op.drop_index("ix_credit_record_requests_status", table_name="credit_record_requests")
    op.drop_index("ix_credit_record_requests_record_id", table_name="credit_record_requests")
    op.drop_table("credit_record_requests")
    op.drop_index(
        "uq_credit_records_active_list_entry",
        table_name="credit_records",
        postgresql_where=sa.text("list_id IS NOT NULL AND status = 'active'"),
    )
    op.drop_index("ix_credit_records_uscc", table_name="credit_records", postgresql_where=sa.text("uscc IS NOT NULL"))
    op.drop_index("ix_credit_records_type_status", table_name="credit_records")
    op.drop_index("ix_credit_records_region_code", table_name="credit_records")
    op.drop_index("ix_credit_records_object_id", table_name="credit_records")
    op.drop_index(
        "ix_credit_records_list_id", table_name="credit_records", postgresql_where=sa.text("list_id IS NOT NULL")
    )
    op.drop_index(
        "ix_credit_records_effective_until", table_name="credit_records", postgresql_where=sa.text("status = 'active'")
    )
    op.drop_table("credit_records")
    op.drop_index("ix_credit_grades_risk_class", table_name="credit_grades")
    op.drop_table("credit_grades")
    op.drop_index(
        "uq_grading_schemes_active_region", table_name="grading_schemes", postgresql_where=sa.text("status = 'active'")
    )
    op.drop_table("grading_schemes")
    op.drop_index(
        "ix_credit_warnings_unlinked_uscc", table_name="credit_warnings", postgresql_where=sa.text("object_id IS NULL")
    )
    op.drop_index(
        "ix_credit_warnings_object", table_name="credit_warnings", postgresql_where=sa.text("object_id IS NOT NULL")
    )
    op.drop_table("credit_warnings")
    op.drop_index(
        "ix_credit_signals_unlinked_uscc", table_name="credit_signals", postgresql_where=sa.text("object_id IS NULL")
    )
    op.drop_index(
        "ix_credit_signals_object", table_name="credit_signals", postgresql_where=sa.text("object_id IS NOT NULL")
    )
    op.drop_table("credit_signals")
    op.drop_index(
        "uq_credit_outcome_models_active",
        table_name="credit_outcome_models",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_table("credit_outcome_models")
    op.drop_index("ix_credit_objects_uscc", table_name="credit_objects", postgresql_where=sa.text("uscc IS NOT NULL"))
    op.drop_index("ix_credit_objects_region_code", table_name="credit_objects")
    op.drop_index(
        "ix_credit_objects_department_id",
        table_name="credit_objects",
        postgresql_where=sa.text("department_id IS NOT NULL"),
    )
    op.drop_table("credit_objects")
    op.drop_table("credit_lists")
    op.drop_index(
        "uq_credit_jobs_pending_kind",
        table_name="credit_jobs",
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.drop_table("credit_jobs")
    op.drop_index("ix_credit_grade_history_object", table_name="credit_grade_history")
    op.drop_table("credit_grade_history")
    op.drop_index("ix_credit_audit_log_object_id", table_name="credit_audit_log")
    op.drop_index("ix_credit_audit_log_entity", table_name="credit_audit_log")
    op.drop_index("ix_credit_audit_log_at", table_name="credit_audit_log")
    op.drop_table("credit_audit_log")
