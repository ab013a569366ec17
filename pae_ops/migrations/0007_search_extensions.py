"""The PostgreSQL extensions and the function the portal's search needs.

``pg_trgm`` gives the trigram GIN indexes that answer ``ILIKE '%…%'``;
``unaccent`` drops accents. ``unaccent()`` itself is only STABLE (its
dictionary could change), so an index cannot use it: ``public.f_unaccent``
is an IMMUTABLE wrapper that names the dictionary and its schema, which is
what makes it safe to declare immutable. Both extensions are "trusted"
(PostgreSQL 13+): the database's owner may create them.
"""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION public.f_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $func$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $func$;
"""
DROP_FUNCTION = "DROP FUNCTION IF EXISTS public.f_unaccent(text);"


class Migration(migrations.Migration):
    dependencies = [
        ("pae_ops", "0006_rate_limit_buckets"),
    ]

    operations = [
        TrigramExtension(),
        UnaccentExtension(),
        migrations.RunSQL(CREATE_FUNCTION, DROP_FUNCTION),
    ]
