"""catalog-svc: locale-independent trigram index for Chinese keyword search

pg_trgm only makes trigrams of characters the database's ctype calls alphanumeric; under the C
locale (the embedded server's default) Chinese text yields none, so the GIN index on `name` is
unused. Indexing the hex form of the UTF-8 name gives ASCII trigrams under any locale; queries
add `catalog_search_key(name) LIKE '%<hex>%'` beside the ILIKE, which rechecks alignment.

Revision ID: catalog_svc_0003
Revises: catalog_svc_0002
Create Date: 2026-11-22 11:00
"""

from alembic import op

revision = "catalog_svc_0003"
down_revision = "catalog_svc_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE OR REPLACE FUNCTION catalog_search_key(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        "AS $$ SELECT encode(convert_to(lower($1), 'UTF8'), 'hex') $$"
    )
    op.execute(
        "CREATE INDEX ix_supervision_items_name_key_trgm ON supervision_items "
        "USING gin (catalog_search_key(name) gin_trgm_ops)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_supervision_items_name_key_trgm")
    op.execute("DROP FUNCTION IF EXISTS catalog_search_key(text)")
