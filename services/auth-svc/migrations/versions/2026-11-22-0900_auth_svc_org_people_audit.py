"""auth-svc: organisation tree (regions, departments), people (status, lockout, TOTP, inspectors), audit log

Revision ID: auth_svc_0002
Revises: auth_svc_0001
Create Date: 2026-11-22 09:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "auth_svc_0002"
down_revision = "auth_svc_0001"
branch_labels = None
depends_on = None

APPEND_ONLY_FUNCTION = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("parent_code", sa.String(6), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("level IN ('national', 'province', 'city', 'county')", name="ck_regions_level"),
        sa.ForeignKeyConstraint(["parent_code"], ["regions.code"], name="fk_regions_parent_code_regions"),
        sa.PrimaryKeyConstraint("code", name="pk_regions"),
    )
    op.create_index("ix_regions_parent_code", "regions", ["parent_code"])
    op.create_table(
        "departments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("credit_code", sa.String(18), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('active', 'inactive')", name="ck_departments_status"),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"], name="fk_departments_region_code_regions"),
        sa.ForeignKeyConstraint(["parent_id"], ["departments.id"], name="fk_departments_parent_id_departments"),
        sa.PrimaryKeyConstraint("id", name="pk_departments"),
        sa.UniqueConstraint("credit_code", name="uq_departments_credit_code"),
        sa.UniqueConstraint("region_code", "name", name="uq_departments_region_code_name"),
    )
    op.create_index("ix_departments_region_code", "departments", ["region_code"])
    op.create_index("ix_departments_parent_id", "departments", ["parent_id"])

    op.add_column("users", sa.Column("status", sa.String(16), nullable=True))
    op.execute("UPDATE users SET status = CASE WHEN is_active THEN 'active' ELSE 'disabled' END")
    op.alter_column("users", "status", nullable=False)
    op.drop_column("users", "is_active")
    op.create_check_constraint("ck_users_status", "users", "status IN ('active', 'disabled', 'left')")
    op.add_column("users", sa.Column("department_id", sa.Uuid(), nullable=True))
    op.create_foreign_key("fk_users_department_id_departments", "users", "departments", ["department_id"], ["id"])
    op.create_index("ix_users_department_id", "users", ["department_id"])
    op.add_column("users", sa.Column("region_code", sa.String(6), nullable=True))
    op.create_index("ix_users_region_code", "users", ["region_code"])
    op.add_column("users", sa.Column("email", sa.String(254), nullable=True))
    op.add_column("users", sa.Column("phone", sa.String(32), nullable=True))
    op.add_column("users", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
    op.add_column("users", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("totp_secret", sa.String(255), nullable=True))
    op.add_column("users", sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("invite_token_hash", sa.String(64), nullable=True))
    op.add_column("users", sa.Column("invite_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column("users", sa.Column("certificate_number", sa.String(50), nullable=True))
    op.create_unique_constraint("uq_users_certificate_number", "users", ["certificate_number"])
    op.add_column("users", sa.Column("certificate_valid_from", sa.Date(), nullable=True))
    op.add_column("users", sa.Column("certificate_valid_until", sa.Date(), nullable=True))
    op.add_column(
        "users",
        sa.Column("qualifications", postgresql.ARRAY(sa.String(100)), server_default="{}", nullable=False),
    )

    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("actor_roles", postgresql.ARRAY(sa.String(100)), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target_type", sa.String(50), nullable=False),
        sa.Column("target_id", sa.String(200), nullable=True),
        sa.Column("region_code", sa.String(6), nullable=True),
        sa.Column("department_id", sa.String(64), nullable=True),
        sa.Column("details", postgresql.JSONB(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("request_id", sa.String(100), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
        sa.UniqueConstraint("hash", name="uq_audit_log_hash"),
    )
    op.create_index("ix_audit_log_time", "audit_log", ["time"])
    op.create_index("ix_audit_log_region_code", "audit_log", ["region_code"])
    op.create_index("ix_audit_log_actor_time", "audit_log", ["actor", "time"])
    op.create_index("ix_audit_log_target", "audit_log", ["target_type", "target_id"])
    op.create_index("ix_audit_log_action_time", "audit_log", ["action", "time"])
    op.execute(APPEND_ONLY_FUNCTION)
    op.execute(
        "CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER audit_log_no_update_delete ON audit_log")
    op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_table("audit_log")
    for column in (
        "qualifications",
        "certificate_valid_until",
        "certificate_valid_from",
        "certificate_number",
        "totp_last_step",
        "invite_expires_at",
        "invite_token_hash",
        "totp_enabled_at",
        "totp_secret",
        "last_login_at",
        "locked_until",
        "failed_logins",
        "phone",
        "email",
        "region_code",
        "department_id",
    ):
        op.drop_column("users", column)
    op.add_column("users", sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.execute("UPDATE users SET is_active = (status = 'active')")
    op.drop_constraint("ck_users_status", "users", type_="check")
    op.drop_column("users", "status")
    op.drop_table("departments")
    op.drop_table("regions")
