"""catalog-svc: Chinese keyword search on character bigrams; an index for the default sort

A GIN index over the bigrams of the name (`catalog_bigrams(name) @> ARRAY[...]`, then ILIKE to
check the bigrams are adjacent) serves a keyword of two or more characters under any locale,
without the text search parser (which, like pg_trgm, sees no word characters in Chinese under the
C locale of the embedded server). It replaces both trigram indexes on the name, which were costly
to maintain on every write; pg_trgm stays for similarity() in mapping suggestions.

Revision ID: catalog_svc_0005
Revises: catalog_svc_0004
Create Date: 2026-11-22 13:00
"""

from alembic import op

revision = "catalog_svc_0005"
down_revision = "catalog_svc_0004"
branch_labels = None
depends_on = None

BIGRAMS = """
CREATE OR REPLACE FUNCTION catalog_bigrams(value text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    folded text := lower(value);
    n integer := length(folded);
    grams text[] := '{}';
BEGIN
    FOR i IN 1 .. n - 1 LOOP
        grams := grams || substr(folded, i, 2);
    END LOOP;
    RETURN grams;
END
$$
"""


def upgrade() -> None:
    op.execute(BIGRAMS)
    op.execute("CREATE INDEX ix_supervision_items_name_bigrams ON supervision_items USING gin (catalog_bigrams(name))")
    op.execute("DROP INDEX IF EXISTS ix_supervision_items_name_key_trgm")
    op.execute("DROP FUNCTION IF EXISTS catalog_search_key(text)")
    op.drop_index("ix_supervision_items_name_trgm", table_name="supervision_items")
    op.create_index("ix_supervision_items_created_at_id", "supervision_items", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_supervision_items_created_at_id", table_name="supervision_items")
    op.create_index(
        "ix_supervision_items_name_trgm",
        "supervision_items",
        ["name"],
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.execute(
        "CREATE OR REPLACE FUNCTION catalog_search_key(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        "AS $$ SELECT encode(convert_to(lower($1), 'UTF8'), 'hex') $$"
    )
    op.execute(
        "CREATE INDEX ix_supervision_items_name_key_trgm ON supervision_items "
        "USING gin (catalog_search_key(name) gin_trgm_ops)"
    )
    op.execute("DROP INDEX ix_supervision_items_name_bigrams")
    op.execute("DROP FUNCTION catalog_bigrams(text)")
