"""Each lexeme's occurrences per field (BM25 reads a term's frequency by key), and the
trigger that keeps every lexical column (catalog/lexical.py), installed and run over every
item."""

from django.db import migrations, models


def install_lexical(apps, schema_editor):
    from catalog.lexical import lexical_apply

    lexical_apply(force=True)


def remove_lexical(apps, schema_editor):
    schema_editor.execute("DROP TRIGGER IF EXISTS catalog_item_lexical_trigger ON catalog_item")
    schema_editor.execute("DROP FUNCTION IF EXISTS catalog_item_lexical()")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_lexical_document"),
    ]

    operations = [
        migrations.AddField(
            model_name="item",
            name="lexical_terms",
            field=models.JSONField(default=dict, editable=False),
        ),
        migrations.RunPython(install_lexical, remove_lexical),
    ]
