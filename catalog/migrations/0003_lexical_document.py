"""Each item's lexical document becomes a trigger-kept column (catalog/lexical.py): BM25
field lengths, normalised identifiers, the text search configuration from settings; pg_trgm
indexes titles for misspelled queries; `simple_unaccent` is a text search configuration
for any language (case and accents folded, no stemming). The trigger that fills the new
columns is installed by 0004, once they all exist."""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.functions.text
from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations, models

SIMPLE_UNACCENT = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'simple_unaccent') THEN
        CREATE TEXT SEARCH CONFIGURATION simple_unaccent (COPY = simple);
        ALTER TEXT SEARCH CONFIGURATION simple_unaccent
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
    END IF;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_item_text_limits"),
    ]

    operations = [
        TrigramExtension(),
        UnaccentExtension(),
        migrations.RunSQL(
            SIMPLE_UNACCENT, "DROP TEXT SEARCH CONFIGURATION IF EXISTS simple_unaccent"
        ),
        migrations.RemoveIndex(model_name="item", name="catalog_item_search_gin"),
        migrations.RemoveField(model_name="item", name="search_vector"),
        migrations.AddField(
            model_name="item",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="item",
            name="identifiers",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.TextField(), default=list, editable=False, size=None
            ),
        ),
        migrations.AddField(
            model_name="item",
            name="lexical_lengths",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.IntegerField(), default=list, editable=False, size=None
            ),
        ),
        migrations.AddIndex(
            model_name="item",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="catalog_item_search_gin"
            ),
        ),
        migrations.AddIndex(
            model_name="item",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["identifiers"], name="catalog_item_identifiers_gin"
            ),
        ),
        migrations.AddIndex(
            model_name="item",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Lower("title"), name="gin_trgm_ops"
                ),
                name="catalog_item_title_trgm",
            ),
        ),
    ]
