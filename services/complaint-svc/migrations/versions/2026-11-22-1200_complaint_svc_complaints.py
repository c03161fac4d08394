"""complaint-svc: complaints and reports, their timeline, intake keys, object and department views, routing switch

Revision ID: complaint_svc_0002
Revises: complaint_svc_0001
Create Date: 2026-11-22 12:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "complaint_svc_0002"
down_revision = "complaint_svc_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("tracking_no", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("channel_ref", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_bigrams", postgresql.ARRAY(sa.String(length=8)), nullable=False),
        sa.Column("category", sa.String(length=50), nullable=False),
        sa.Column("declared_category", sa.String(length=50), nullable=True),
        sa.Column("proposed_category", sa.String(length=50), nullable=True),
        sa.Column("proposed_department_type", sa.String(length=50), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("routed_by", sa.String(length=20), nullable=False),
        sa.Column("department_type", sa.String(length=50), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("department_name", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("long", sa.Float(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("target_name", sa.String(length=300), nullable=True),
        sa.Column("target_name_core", sa.String(length=300), nullable=True),
        sa.Column("target_uscc", sa.String(length=18), nullable=True),
        sa.Column("target_address", sa.String(length=500), nullable=True),
        sa.Column("target_object_id", sa.Uuid(), nullable=True),
        sa.Column("target_industry_code", sa.String(length=20), nullable=True),
        sa.Column("target_department_id", sa.Uuid(), nullable=True),
        sa.Column("target_department_name", sa.String(length=200), nullable=True),
        sa.Column("link_method", sa.String(length=10), nullable=False),
        sa.Column("link_score", sa.Float(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("name_enc", sa.LargeBinary(), nullable=True),
        sa.Column("name_masked", sa.String(length=100), nullable=True),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("phone_masked", sa.String(length=30), nullable=True),
        sa.Column("id_number_enc", sa.LargeBinary(), nullable=True),
        sa.Column("id_number_masked", sa.String(length=30), nullable=True),
        sa.Column("email_enc", sa.LargeBinary(), nullable=True),
        sa.Column("email_masked", sa.String(length=300), nullable=True),
        sa.Column("merged_into", sa.Uuid(), nullable=True),
        sa.Column("repeat_count", sa.Integer(), nullable=False),
        sa.Column("accept_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handle_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handle_days", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_for", sa.String(length=60), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_for", sa.String(length=60), nullable=True),
        sa.Column("result_code", sa.String(length=50), nullable=True),
        sa.Column("result_summary", sa.Text(), nullable=True),
        sa.Column("visit_note", sa.Text(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("satisfaction_comment", sa.Text(), nullable=True),
        sa.Column("signalled", sa.Boolean(), nullable=False),
        sa.Column("media_urls", postgresql.ARRAY(sa.String(length=2000)), nullable=False),
        sa.Column("attributes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["merged_into"], ["complaints.id"], name=op.f("fk_complaints_merged_into_complaints")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("tracking_no", name=op.f("uq_complaints_tracking_no")),
    )
    op.create_index(
        "ix_complaints_channel_ref",
        "complaints",
        ["channel", "channel_ref"],
        unique=True,
        postgresql_where=sa.text("channel_ref IS NOT NULL"),
    )
    op.create_index("ix_complaints_department_status", "complaints", ["department_id", "status"], unique=False)
    op.create_index(
        "ix_complaints_merged_into",
        "complaints",
        ["merged_into"],
        unique=False,
        postgresql_where=sa.text("merged_into IS NOT NULL"),
    )
    op.create_index(
        "ix_complaints_open_due",
        "complaints",
        ["status", "accept_due", "handle_due"],
        unique=False,
        postgresql_where=sa.text("status IN ('received', 'accepted', 'dispatched', 'handling')"),
    )
    op.create_index("ix_complaints_region_received", "complaints", ["region_code", "received_at"], unique=False)
    op.create_index("ix_complaints_status_received", "complaints", ["status", "received_at"], unique=False)
    op.create_index(
        "ix_complaints_target_name_core",
        "complaints",
        ["target_name_core", "category"],
        unique=False,
        postgresql_where=sa.text("target_name_core IS NOT NULL"),
    )
    op.create_index(
        "ix_complaints_target_object",
        "complaints",
        ["target_object_id"],
        unique=False,
        postgresql_where=sa.text("target_object_id IS NOT NULL"),
    )
    op.create_index(
        "ix_complaints_target_uscc",
        "complaints",
        ["target_uscc"],
        unique=False,
        postgresql_where=sa.text("target_uscc IS NOT NULL"),
    )
    op.create_table(
        "department_view",
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_type", sa.String(length=50), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("department_id", name=op.f("pk_department_view")),
    )
    op.create_index(
        "ix_department_view_type_region", "department_view", ["department_type", "region_code"], unique=False
    )
    op.create_table(
        "object_view",
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("name_core", sa.String(length=300), nullable=False),
        sa.Column("name_bigrams", postgresql.ARRAY(sa.String(length=8)), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("industry_code", sa.String(length=20), nullable=True),
        sa.Column("merged_into", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("object_id", name=op.f("pk_object_view")),
    )
    op.create_index(
        "ix_object_view_name_bigrams", "object_view", ["name_bigrams"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        "ix_object_view_uscc", "object_view", ["uscc"], unique=False, postgresql_where=sa.text("uscc IS NOT NULL")
    )
    op.create_table(
        "routing_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("classification_enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_settings")),
    )
    op.create_table(
        "complaint_events",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_complaint_events_complaint_id_complaints")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_complaint_events")),
    )
    op.create_index("ix_complaint_events_complaint", "complaint_events", ["complaint_id", "seq"], unique=False)
    op.create_table(
        "intake_keys",
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_intake_keys_complaint_id_complaints")
        ),
        sa.PrimaryKeyConstraint("principal", "key", name=op.f("pk_intake_keys")),
    )


def downgrade() -> None:
    for table in (
        "intake_keys",
        "complaint_events",
        "routing_settings",
        "object_view",
        "department_view",
        "complaints",
    ):
        op.drop_table(table)
