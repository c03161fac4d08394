"""datahub-svc: supervision-behaviour library and the link review queue

Revision ID: datahub_svc_0003
Revises: datahub_svc_0002
Create Date: 2026-11-21 23:10
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "datahub_svc_0003"
down_revision = "datahub_svc_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "behaviour_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_type", sa.String(30), nullable=False),
        sa.Column("record_code", sa.String(100), nullable=False),
        sa.Column("item_code", sa.String(14), nullable=False),
        sa.Column("inspection_list_code", sa.String(800), nullable=True),
        sa.Column("random_plan_id", sa.String(100), nullable=True),
        sa.Column("implementing_agency", sa.String(200), nullable=False),
        sa.Column("implementing_agency_code", sa.String(20), nullable=True),
        sa.Column("entrusted_agency", sa.String(200), nullable=True),
        sa.Column("object_type", sa.String(50), nullable=True),
        sa.Column("object_name", sa.String(300), nullable=False),
        sa.Column("credential_type", sa.String(30), nullable=True),
        sa.Column("object_uscc", sa.String(18), nullable=True),
        sa.Column("object_id_number", sa.String(18), nullable=True),
        sa.Column("object_id_number_masked", sa.String(18), nullable=True),
        sa.Column("legal_representative", sa.String(100), nullable=True),
        sa.Column("registered_address", sa.String(500), nullable=True),
        sa.Column("business_address", sa.String(500), nullable=True),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("acted_on", sa.Date(), nullable=False),
        sa.Column("result", sa.String(200), nullable=True),
        sa.Column("officers", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("certificate_numbers", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reporter", sa.String(100), nullable=True),
        sa.Column("penalty_amount", sa.Numeric(16, 2), nullable=True),
        sa.Column("details", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=True),
        sa.Column("link_method", sa.String(10), nullable=False),
        sa.Column("link_score", sa.Float(), nullable=True),
        sa.Column("search_vector", postgresql.TSVECTOR(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_behaviour_records"),
        sa.UniqueConstraint("record_type", "record_code", name="uq_behaviour_records_record_type"),
    )
    op.create_index("ix_behaviour_records_item_code", "behaviour_records", ["item_code"])
    op.create_index("ix_behaviour_records_object_uscc", "behaviour_records", ["object_uscc"])
    op.create_index("ix_behaviour_records_region_code", "behaviour_records", ["region_code"])
    op.create_index("ix_behaviour_records_department_id", "behaviour_records", ["department_id"])
    op.create_index("ix_behaviour_records_object_id", "behaviour_records", ["object_id"])
    op.create_index(
        "ix_behaviour_records_search_vector", "behaviour_records", ["search_vector"], postgresql_using="gin"
    )
    op.create_table(
        "link_reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_object_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_link_reviews"),
    )
    op.create_index("ix_link_reviews_record_id", "link_reviews", ["record_id"])
    op.create_index("ix_link_reviews_status", "link_reviews", ["status"])


def downgrade() -> None:
    op.drop_table("link_reviews")
    op.drop_table("behaviour_records")
