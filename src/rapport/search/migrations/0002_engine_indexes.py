"""Engine-specific search structures, created only on the engine that uses them.

PostgreSQL: pg_trgm, a generated tsvector column with a GIN index, trigram GIN indexes for
substring matches and on the word list for typo corrections, and byte-order ("C") indexes for
prefix matches.
SQLite: an external-content FTS5 table with the trigram tokenizer, kept in sync by triggers.
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    ALTER TABLE search_searchentry ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(title_key, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, coalesce(body, '')), 'C')
    ) STORED
    """,
    "CREATE INDEX search_vector_gin ON search_searchentry USING gin (search_vector)",
    "CREATE INDEX search_title_trgm ON search_searchentry USING gin (title_key gin_trgm_ops)",
    "CREATE INDEX search_emails_trgm ON search_searchentry USING gin (emails gin_trgm_ops)",
    "CREATE INDEX search_domains_trgm ON search_searchentry USING gin (domains gin_trgm_ops)",
    "CREATE INDEX search_phones_trgm ON search_searchentry USING gin (phones gin_trgm_ops)",
    # Prefix matches as byte-order ranges, read in index order (the database collation may not be C).
    'CREATE INDEX search_title_c ON search_searchentry (workspace_id, content_type_id, (title_key COLLATE "C"))',
    'CREATE INDEX search_email_c ON search_searchentry (workspace_id, content_type_id, (email_key COLLATE "C"))',
    "CREATE INDEX search_word_trgm ON search_searchword USING gin (word gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS search_word_trgm",
    "DROP INDEX IF EXISTS search_email_c",
    "DROP INDEX IF EXISTS search_title_c",
    "DROP INDEX IF EXISTS search_phones_trgm",
    "DROP INDEX IF EXISTS search_domains_trgm",
    "DROP INDEX IF EXISTS search_emails_trgm",
    "DROP INDEX IF EXISTS search_title_trgm",
    "DROP INDEX IF EXISTS search_vector_gin",
    "ALTER TABLE search_searchentry DROP COLUMN IF EXISTS search_vector",
]

FTS_COLUMNS = "title_key, body, emails, domains, phones"
NEW_VALUES = "new.title_key, new.body, new.emails, new.domains, new.phones"
OLD_VALUES = "old.title_key, old.body, old.emails, old.domains, old.phones"
SQLITE_FORWARD = [
    f"""CREATE VIRTUAL TABLE search_fts USING fts5(
        {FTS_COLUMNS}, content='search_searchentry', content_rowid='id', tokenize='trigram'
    )""",
    f"""CREATE TRIGGER search_fts_insert AFTER INSERT ON search_searchentry BEGIN
        INSERT INTO search_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {NEW_VALUES});
    END""",
    f"""CREATE TRIGGER search_fts_delete AFTER DELETE ON search_searchentry BEGIN
        INSERT INTO search_fts(search_fts, rowid, {FTS_COLUMNS}) VALUES ('delete', old.id, {OLD_VALUES});
    END""",
    f"""CREATE TRIGGER search_fts_update AFTER UPDATE ON search_searchentry BEGIN
        INSERT INTO search_fts(search_fts, rowid, {FTS_COLUMNS}) VALUES ('delete', old.id, {OLD_VALUES});
        INSERT INTO search_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {NEW_VALUES});
    END""",
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_fts_update",
    "DROP TRIGGER IF EXISTS search_fts_delete",
    "DROP TRIGGER IF EXISTS search_fts_insert",
    "DROP TABLE IF EXISTS search_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
