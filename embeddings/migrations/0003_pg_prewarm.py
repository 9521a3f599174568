"""pg_prewarm, to load the active spaces' HNSW indexes into memory after a restart
(embeddings/prewarm.py). A server without the extension, or a role that may not create it,
is told so in a line and the migration goes on: prewarming is an optimisation."""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger("embeddings.migrations")


def create_pg_prewarm(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_prewarm'")
        if cursor.fetchone() is None:
            logger.warning("pg_prewarm is not available on this server: indexes are not prewarmed")
            return
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        except DatabaseError as exc:
            logger.warning("could not create the pg_prewarm extension (%s): indexes are not "
                           "prewarmed; a superuser can create it", exc)  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("embeddings", "0002_provider_usage"),
    ]

    operations = [
        migrations.RunPython(create_pg_prewarm, migrations.RunPython.noop, elidable=False),
    ]
