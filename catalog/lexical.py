"""Each item's lexical document, kept by PostgreSQL itself on every write (a row trigger), so
every path that writes items (admin, API, import, a bulk UPDATE) keeps it right:

- ``search_vector``: title (weight A), category (B), attribute values (C) and description (D)
  under the deployment's text search configuration (``SEARCHAPP_TEXT_SEARCH_CONFIG``:
  ``english`` stems English words; ``simple_unaccent``, created by the migrations, folds case
  and accents and works for any language; any configuration the server has);
- ``lexical_lengths``: how many tokens each of those four fields has, for BM25's document
  length (the field weights are the query's business, so they are not baked in);
- ``lexical_terms``: each lexeme's occurrences per field, ``{"python": [2, 0, 0, 5]}``, so
  that BM25 reads a term's frequency by key instead of unnesting the whole document;
- ``identifiers``: the external id and the values of identifier attributes
  (``SEARCHAPP_IDENTIFIER_ATTRIBUTES``: sku, isbn, ean, gtin, mpn), normalised by
  `identifier_normal_form`, for exact identifier lookups.

The trigger function is generated from the settings; `lexical_apply` replaces it and rebuilds
every item's document when they change (after `migrate`, see catalog.apps)."""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

FUNCTION = "catalog_item_lexical"
TRIGGER = "catalog_item_lexical_trigger"
# What identifier normalisation removes besides case: white space, hyphens, dots, slashes.
IDENTIFIER_NOISE = r"[\s\-./]+"
_IDENTIFIER_NOISE = re.compile(IDENTIFIER_NOISE)


def identifier_normal_form(value: str) -> str:
    """ "978-0-13-235088-4", "978 0132 350884" and "9780132350884" are one identifier."""
    return _IDENTIFIER_NOISE.sub("", value.lower())


_KEY = re.compile(r"^[\w .:-]{1,100}$")


def identifier_keys() -> list[str]:
    keys = sorted({key.strip().lower() for key in settings.SEARCHAPP_IDENTIFIER_ATTRIBUTES if key})
    for key in keys:
        if not _KEY.match(key):
            raise ImproperlyConfigured(
                f"SEARCHAPP_IDENTIFIER_ATTRIBUTES: {key!r} is not an attribute name (letters, "
                "digits, spaces, '_', '.', ':' and '-')."
            )
    return keys


def text_search_config() -> str:
    return str(settings.SEARCHAPP_TEXT_SEARCH_CONFIG)


def _function_sql(config: str, keys: list[str]) -> str:
    # Both values are checked before they are quoted in: the configuration exists on the
    # server (lexical_apply), identifier keys are plain names (identifier_keys).
    keys_literal = "ARRAY[" + ",".join(_quoted(key) for key in keys) + "]::text[]"
    return f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
    attrs jsonb := CASE WHEN jsonb_typeof(NEW.attributes) = 'object'
                        THEN NEW.attributes ELSE '{{}}'::jsonb END;
    fields tsvector[];
BEGIN
    fields := ARRAY[
        to_tsvector({_quoted(config)}::regconfig, coalesce(NEW.title, '')),
        to_tsvector({_quoted(config)}::regconfig, coalesce(NEW.category, '')),
        to_tsvector({_quoted(config)}::regconfig,
                    coalesce((SELECT string_agg(value, ' ') FROM jsonb_each_text(attrs)), '')),
        to_tsvector({_quoted(config)}::regconfig, coalesce(NEW.description, ''))
    ];
    NEW.search_vector := setweight(fields[1], 'A') || setweight(fields[2], 'B')
                         || setweight(fields[3], 'C') || setweight(fields[4], 'D');
    NEW.lexical_lengths := ARRAY(
        SELECT (SELECT count(*) FROM unnest(f) AS u, unnest(u.positions) AS p)::int
        FROM unnest(fields) WITH ORDINALITY AS t(f, n) ORDER BY n
    );
    NEW.lexical_terms := coalesce((
        SELECT jsonb_object_agg(lexeme, counts) FROM (
            SELECT u.lexeme, jsonb_build_array(
                count(*) FILTER (WHERE w = 'A'), count(*) FILTER (WHERE w = 'B'),
                count(*) FILTER (WHERE w = 'C'), count(*) FILTER (WHERE w = 'D')) AS counts
            FROM unnest(NEW.search_vector) AS u, unnest(u.weights) AS w
            GROUP BY u.lexeme
        ) AS per_term
    ), '{{}}'::jsonb);
    NEW.identifiers := ARRAY(
        SELECT DISTINCT regexp_replace(lower(v), {_quoted(IDENTIFIER_NOISE)}, '', 'g')
        FROM (
            SELECT NEW.external_id AS v
            UNION ALL
            SELECT value FROM jsonb_each_text(attrs) WHERE lower(key) = ANY({keys_literal})
        ) AS ids
        WHERE regexp_replace(v, {_quoted(IDENTIFIER_NOISE)}, '', 'g') <> ''
    );
    RETURN NEW;
END
$body$;
"""  # noqa: S608


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _signature(config: str, keys: list[str]) -> str:
    text = _function_sql(config, keys)
    return "lexical " + hashlib.sha256(text.encode()).hexdigest()[:16]


def _installed_signature() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT obj_description(p.oid, 'pg_proc') FROM pg_proc p WHERE p.proname = %s",
            [FUNCTION],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def lexical_apply(*, force: bool = False) -> bool:
    """Install the trigger function for the configured text search configuration and
    identifier keys, and rebuild every item's document when they changed (or ``force``).
    Returns whether items were rebuilt."""
    config, keys = text_search_config(), identifier_keys()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [config])
        if cursor.fetchone() is None:
            raise ImproperlyConfigured(
                f"SEARCHAPP_TEXT_SEARCH_CONFIG={config!r}: the database has no text search "
                "configuration of that name (e.g. english, simple, simple_unaccent, german)."
            )
    signature = _signature(config, keys)
    if not force and _installed_signature() == signature:
        return False
    with connection.cursor() as cursor:
        cursor.execute(_function_sql(config, keys))
        cursor.execute(f"COMMENT ON FUNCTION {FUNCTION}() IS {_quoted(signature)}")
        cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON catalog_item")
        cursor.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE INSERT OR UPDATE OF title, category, "
            f"description, attributes, external_id ON catalog_item "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )
        # Setting a column to itself fires the trigger: every document is rebuilt.
        cursor.execute("UPDATE catalog_item SET title = title")
    return True
