"""Vectors stored in the row, not in the TOAST table.

pgvector's types default to EXTERNAL storage: a value over ~2 kB (a 512-d float vector is
2,056 bytes) moves out of line, so every row a search reads (the distance in its select list,
an exact scan, a re-rank) costs a TOAST index lookup and a second heap fetch. MAIN keeps the
value in the row while it fits a page (up to ~2,000 dimensions) and moves it out of line only
as a last resort. Measured on 20k 512-d vectors: first-page queries p50 3.7 -> 2.5 ms.
Rows written before this migration stay where they are until they are written again
(re-embedding a space rewrites them); docs/scaling.md says how to rewrite them at once."""

from django.db import migrations

TABLE = "embeddings_embedding"


class Migration(migrations.Migration):
    dependencies = [
        ("embeddings", "0003_pg_prewarm"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"ALTER TABLE {TABLE} ALTER COLUMN vector SET STORAGE MAIN",
            reverse_sql=f"ALTER TABLE {TABLE} ALTER COLUMN vector SET STORAGE EXTERNAL",
        ),
    ]
