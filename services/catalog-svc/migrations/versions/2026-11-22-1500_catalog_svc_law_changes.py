"""catalog-svc: changes of law articles (立改废释) and how adjustment tasks are closed

Revision ID: catalog_svc_0007
Revises: catalog_svc_0006
Create Date: 2026-11-22 15:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "catalog_svc_0007"
down_revision = "catalog_svc_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pg.ENUM("adjusted", "abolished", "unchanged", name="adjustment_resolution").create(op.get_bind(), checkfirst=True)
    op.create_table(
        "law_article_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("article_id", sa.Uuid(), nullable=False),
        sa.Column("change", pg.ENUM(name="article_change", create_type=False), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_text", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("affected_items", sa.Integer(), nullable=False),
        sa.Column("affected_lists", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_law_article_changes"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["law_articles.id"], name="fk_law_article_changes_article_id_law_articles"
        ),
    )
    op.create_index("ix_law_article_changes_article_id", "law_article_changes", ["article_id"])
    with op.batch_alter_table("adjustment_tasks") as t:
        t.add_column(sa.Column("change_id", sa.Uuid(), nullable=True))
        t.add_column(sa.Column("resolution", pg.ENUM(name="adjustment_resolution", create_type=False), nullable=True))
        t.add_column(sa.Column("resolution_note", sa.Text(), nullable=True))
        t.add_column(sa.Column("resolved_by", sa.String(200), nullable=True))
        t.create_foreign_key(
            "fk_adjustment_tasks_change_id_law_article_changes", "law_article_changes", ["change_id"], ["id"]
        )
    op.create_index("ix_adjustment_tasks_change_id", "adjustment_tasks", ["change_id"])


def downgrade() -> None:
    op.drop_index("ix_adjustment_tasks_change_id", table_name="adjustment_tasks")
    with op.batch_alter_table("adjustment_tasks") as t:
        t.drop_constraint("fk_adjustment_tasks_change_id_law_article_changes", type_="foreignkey")
        for column in ("resolved_by", "resolution_note", "resolution", "change_id"):
            t.drop_column(column)
    op.drop_table("law_article_changes")
    sa.Enum(name="adjustment_resolution").drop(op.get_bind(), checkfirst=True)
