"""complaint-svc: initial revision (its domain tables arrive with their issue)

Revision ID: complaint_svc_0001
Revises:
Create Date: 2026-11-21 22:00
"""

revision = "complaint_svc_0001"
down_revision = None
branch_labels = ("complaint_svc",)
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
