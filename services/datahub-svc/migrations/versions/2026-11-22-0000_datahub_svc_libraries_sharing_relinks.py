"""datahub-svc: the remaining libraries (personnel, complaints, credit, third-party, knowledge), risk warnings,
the append-only access log of shared data, and the relinks of merged objects' records

Revision ID: datahub_svc_0008
Revises: datahub_svc_0007
Create Date: 2026-11-22 00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "datahub_svc_0008"
down_revision = "datahub_svc_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=True),
        sa.Column("roles", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("dataset", sa.String(length=30), nullable=False),
        sa.Column("record_ref", sa.String(length=200), nullable=True),
        sa.Column("filters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("masked", sa.Boolean(), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index("ix_access_log_at", "access_log", ["at"], unique=False)
    op.create_index("ix_access_log_region_code", "access_log", ["region_code"], unique=False)
    op.create_index("ix_access_log_subject", "access_log", ["subject"], unique=False)
    op.create_table(
        "complaints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("complaint_key", sa.String(length=160), nullable=False),
        sa.Column("tracking_no", sa.String(length=60), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("channel_ref", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=50), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_code", sa.String(length=50), nullable=True),
        sa.Column("result_summary", sa.Text(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("complainant_name", sa.String(length=100), nullable=True),
        sa.Column("complainant_name_masked", sa.String(length=100), nullable=True),
        sa.Column("complainant_phone", sa.String(length=20), nullable=True),
        sa.Column("complainant_phone_masked", sa.String(length=20), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("department_name", sa.String(length=200), nullable=True),
        sa.Column("target_name", sa.String(length=300), nullable=True),
        sa.Column("target_uscc", sa.String(length=18), nullable=True),
        sa.Column("target_industry_code", sa.String(length=10), nullable=True),
        sa.Column("object_id", sa.Uuid(), nullable=True),
        sa.Column("link_method", sa.String(length=10), nullable=False),
        sa.Column("link_score", sa.Float(), nullable=True),
        sa.Column("search_vector", postgresql.TSVECTOR(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("provider_department_id", sa.Uuid(), nullable=True),
        sa.Column("source_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("complaint_key", name=op.f("uq_complaints_complaint_key")),
    )
    op.create_index(op.f("ix_complaints_department_id"), "complaints", ["department_id"], unique=False)
    op.create_index(op.f("ix_complaints_object_id"), "complaints", ["object_id"], unique=False)
    op.create_index("ix_complaints_received_at", "complaints", ["received_at"], unique=False)
    op.create_index(op.f("ix_complaints_region_code"), "complaints", ["region_code"], unique=False)
    op.create_index(
        "ix_complaints_search_vector", "complaints", ["search_vector"], unique=False, postgresql_using="gin"
    )
    op.create_index(op.f("ix_complaints_target_uscc"), "complaints", ["target_uscc"], unique=False)
    op.create_index(
        "ix_complaints_unlinked",
        "complaints",
        ["target_uscc"],
        unique=False,
        postgresql_where=sa.text("object_id IS NULL"),
    )
    op.create_table(
        "credit_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("record_type", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=True),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("risk_class", sa.String(length=2), nullable=True),
        sa.Column("previous_class", sa.String(length=2), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("scheme", sa.String(length=100), nullable=True),
        sa.Column("scheme_version", sa.Integer(), nullable=True),
        sa.Column("factors", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("list_type", sa.String(length=30), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_until", sa.Date(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("link_method", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("provider_department_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_records")),
        sa.UniqueConstraint("record_key", name=op.f("uq_credit_records_record_key")),
    )
    op.create_index(op.f("ix_credit_records_object_id"), "credit_records", ["object_id"], unique=False)
    op.create_index(op.f("ix_credit_records_region_code"), "credit_records", ["region_code"], unique=False)
    op.create_index(op.f("ix_credit_records_uscc"), "credit_records", ["uscc"], unique=False)
    op.create_table(
        "enforcement_personnel",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("personnel_key", sa.String(length=120), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=True),
        sa.Column("id_number_masked", sa.String(length=18), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("phone_masked", sa.String(length=20), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("post", sa.String(length=100), nullable=True),
        sa.Column("certificate_number", sa.String(length=50), nullable=True),
        sa.Column("certificate_issuer", sa.String(length=200), nullable=True),
        sa.Column("certificate_valid_from", sa.Date(), nullable=True),
        sa.Column("certificate_valid_until", sa.Date(), nullable=True),
        sa.Column("qualifications", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("search_vector", postgresql.TSVECTOR(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("provider_department_id", sa.Uuid(), nullable=True),
        sa.Column("source_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enforcement_personnel")),
        sa.UniqueConstraint("personnel_key", name=op.f("uq_enforcement_personnel_personnel_key")),
    )
    op.create_index(
        op.f("ix_enforcement_personnel_certificate_number"),
        "enforcement_personnel",
        ["certificate_number"],
        unique=False,
    )
    op.create_index(
        op.f("ix_enforcement_personnel_department_id"), "enforcement_personnel", ["department_id"], unique=False
    )
    op.create_index(
        op.f("ix_enforcement_personnel_region_code"), "enforcement_personnel", ["region_code"], unique=False
    )
    op.create_index(
        "ix_enforcement_personnel_search_vector",
        "enforcement_personnel",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "knowledge_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("entry_key", sa.String(length=300), nullable=False),
        sa.Column("entry_type", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("industry_codes", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("item_codes", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("tags", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("articles", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("attributes", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("search_vector", postgresql.TSVECTOR(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("provider_department_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_entries")),
        sa.UniqueConstraint("entry_key", name=op.f("uq_knowledge_entries_entry_key")),
    )
    op.create_index(
        "ix_knowledge_entries_item_codes", "knowledge_entries", ["item_codes"], unique=False, postgresql_using="gin"
    )
    op.create_index(op.f("ix_knowledge_entries_region_code"), "knowledge_entries", ["region_code"], unique=False)
    op.create_index(
        "ix_knowledge_entries_search_vector",
        "knowledge_entries",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "object_relinks",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("merge_audit_id", sa.Uuid(), nullable=False),
        sa.Column("library", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("from_object_id", sa.Uuid(), nullable=False),
        sa.Column("to_object_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_object_relinks")),
    )
    op.create_index(op.f("ix_object_relinks_merge_audit_id"), "object_relinks", ["merge_audit_id"], unique=False)
    op.create_table(
        "risk_warnings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("object_key", sa.String(length=200), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=True),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("domain", sa.String(length=30), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("responsible_department_id", sa.Uuid(), nullable=True),
        sa.Column("responsible_department", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stored_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_warnings")),
    )
    op.create_index(op.f("ix_risk_warnings_object_id"), "risk_warnings", ["object_id"], unique=False)
    op.create_index(op.f("ix_risk_warnings_region_code"), "risk_warnings", ["region_code"], unique=False)
    op.create_index(op.f("ix_risk_warnings_uscc"), "risk_warnings", ["uscc"], unique=False)
    op.create_table(
        "thirdparty_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=True),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("values", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("threshold_exceeded", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("object_id", sa.Uuid(), nullable=True),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("object_name", sa.String(length=300), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("industry_code", sa.String(length=10), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("link_method", sa.String(length=10), nullable=False),
        sa.Column("search_vector", postgresql.TSVECTOR(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("provider_department_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thirdparty_records")),
        sa.UniqueConstraint("record_key", name=op.f("uq_thirdparty_records_record_key")),
    )
    op.create_index(op.f("ix_thirdparty_records_object_id"), "thirdparty_records", ["object_id"], unique=False)
    op.create_index("ix_thirdparty_records_observed_at", "thirdparty_records", ["observed_at"], unique=False)
    op.create_index(op.f("ix_thirdparty_records_region_code"), "thirdparty_records", ["region_code"], unique=False)
    op.create_index(
        "ix_thirdparty_records_search_vector",
        "thirdparty_records",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(op.f("ix_thirdparty_records_uscc"), "thirdparty_records", ["uscc"], unique=False)
    # The access log is append-only: any update, delete or truncate is refused.
    op.execute(
        """
        CREATE FUNCTION access_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'access_log is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log "
        "FOR EACH ROW EXECUTE FUNCTION access_log_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS access_log_append_only ON access_log")
    op.execute("DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log")
    op.execute("DROP FUNCTION IF EXISTS access_log_refuse_change()")
    op.drop_index(op.f("ix_thirdparty_records_uscc"), table_name="thirdparty_records")
    op.drop_index("ix_thirdparty_records_search_vector", table_name="thirdparty_records", postgresql_using="gin")
    op.drop_index(op.f("ix_thirdparty_records_region_code"), table_name="thirdparty_records")
    op.drop_index("ix_thirdparty_records_observed_at", table_name="thirdparty_records")
    op.drop_index(op.f("ix_thirdparty_records_object_id"), table_name="thirdparty_records")
    op.drop_table("thirdparty_records")
    op.drop_index(op.f("ix_risk_warnings_uscc"), table_name="risk_warnings")
    op.drop_index(op.f("ix_risk_warnings_region_code"), table_name="risk_warnings")
    op.drop_index(op.f("ix_risk_warnings_object_id"), table_name="risk_warnings")
    op.drop_table("risk_warnings")
    op.drop_index(op.f("ix_object_relinks_merge_audit_id"), table_name="object_relinks")
    op.drop_table("object_relinks")
    op.drop_index("ix_knowledge_entries_search_vector", table_name="knowledge_entries", postgresql_using="gin")
    op.drop_index(op.f("ix_knowledge_entries_region_code"), table_name="knowledge_entries")
    op.drop_index("ix_knowledge_entries_item_codes", table_name="knowledge_entries", postgresql_using="gin")
    op.drop_table("knowledge_entries")
    op.drop_index("ix_enforcement_personnel_search_vector", table_name="enforcement_personnel", postgresql_using="gin")
    op.drop_index(op.f("ix_enforcement_personnel_region_code"), table_name="enforcement_personnel")
    op.drop_index(op.f("ix_enforcement_personnel_department_id"), table_name="enforcement_personnel")
    op.drop_index(op.f("ix_enforcement_personnel_certificate_number"), table_name="enforcement_personnel")
    op.drop_table("enforcement_personnel")
    op.drop_index(op.f("ix_credit_records_uscc"), table_name="credit_records")
    op.drop_index(op.f("ix_credit_records_region_code"), table_name="credit_records")
    op.drop_index(op.f("ix_credit_records_object_id"), table_name="credit_records")
    op.drop_table("credit_records")
    op.drop_index("ix_complaints_unlinked", table_name="complaints", postgresql_where=sa.text("object_id IS NULL"))
    op.drop_index(op.f("ix_complaints_target_uscc"), table_name="complaints")
    op.drop_index("ix_complaints_search_vector", table_name="complaints", postgresql_using="gin")
    op.drop_index(op.f("ix_complaints_region_code"), table_name="complaints")
    op.drop_index("ix_complaints_received_at", table_name="complaints")
    op.drop_index(op.f("ix_complaints_object_id"), table_name="complaints")
    op.drop_index(op.f("ix_complaints_department_id"), table_name="complaints")
    op.drop_table("complaints")
    op.drop_index("ix_access_log_subject", table_name="access_log")
    op.drop_index("ix_access_log_region_code", table_name="access_log")
    op.drop_index("ix_access_log_at", table_name="access_log")
    op.drop_table("access_log")
